"""Edge cases found in review: each pins a behaviour that was once wrong."""

from __future__ import annotations

import calendar
import datetime as dt

import jax
import jax.numpy as jnp
import polars as pl
import pytest

from mmm.config import ContractRule, DataContractError, DataContractWarning, MappingError
from mmm.data import ColumnMapper, MMMDataSet
from mmm.data._parsing import NumberFormat, parse_dates, parse_numbers


def test_two_digit_years_parse_with_the_short_year_format() -> None:
    # '%Y/%m/%d' would read '13/03/15' as the year 13; the shape check rules it out.
    text = pl.Series(["13/03/15", "20/03/15", "27/03/15"])
    parsed, fmt = parse_dates(text, raw="d", date_format=None)
    assert fmt == "%d/%m/%y"
    assert parsed.to_list() == [dt.date(2015, 3, d) for d in (13, 20, 27)]


def test_two_digit_years_that_fit_both_orders_are_ambiguous() -> None:
    with pytest.raises(MappingError) as err:
        parse_dates(pl.Series(["01/02/15", "01/03/15"]), raw="Month", date_format=None)
    assert err.value.rules == {ContractRule.AMBIGUOUS_DATE_FORMAT}
    assert "'Month'" in str(err.value)


def test_text_dates_with_times_of_day_are_not_truncated(valid_frame: pl.DataFrame) -> None:
    raw = valid_frame.with_columns(
        pl.col("date").dt.strftime("%Y-%m-%d 00:00:00").alias("date")
    ).with_columns(
        pl.when(pl.int_range(pl.len()) == 4)
        .then(pl.lit("2021-02-01 12:00:00"))
        .otherwise(pl.col("date"))
        .alias("date")
    )
    with pytest.raises(DataContractError) as err:
        ColumnMapper().build(raw)
    assert err.value.rules == {ContractRule.DATE_DTYPE}
    assert "row 4 (2021-02-01)" in str(err.value)
    midnight = raw.with_columns(pl.col("date").str.replace("12:00:00", "00:00:00"))
    ds, _ = ColumnMapper().build(midnight)
    assert ds == MMMDataSet.from_frame(valid_frame)


def test_decimal_comma_gets_the_decimal_separator_hint() -> None:
    with pytest.raises(MappingError) as err:
        parse_numbers(pl.Series(["2,5", "3,25"]), raw="TV", column="spend__tv", fmt=NumberFormat())
    assert "decimal_separator=','" in str(err.value)


def test_minus_infinity_is_reported_once_as_infinite(valid_frame: pl.DataFrame) -> None:
    bad = valid_frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 7)
        .then(float("-inf"))
        .otherwise(pl.col("spend__tv"))
        .alias("spend__tv")
    )
    with pytest.raises(DataContractError) as err:
        MMMDataSet.from_frame(bad)
    assert [v.rule for v in err.value.violations] == [ContractRule.NON_FINITE]
    assert err.value.violations[0].rows == (7,)


def test_constant_spend_warns_that_roi_comes_from_the_prior(valid_frame: pl.DataFrame) -> None:
    flat = valid_frame.with_columns(pl.lit(100.0).alias("spend__search"))
    with pytest.warns(DataContractWarning, match="spend__search"):
        ds = MMMDataSet.from_frame(flat)
    assert any("prior" in w for w in ds.warnings)


def test_float64_arrays_need_x64_mode(valid_frame: pl.DataFrame) -> None:
    ds = MMMDataSet.from_frame(valid_frame)
    if jax.config.read("jax_enable_x64"):
        pytest.skip("x64 already enabled in this process")
    with pytest.raises(ValueError, match="jax_enable_x64"):
        ds.to_arrays(dtype=jnp.float64)
    assert ds.to_arrays(dtype=jnp.float32).spend.dtype == jnp.float32


def test_monthly_series_on_the_30th_passes_through_february(make_frame) -> None:
    def day_30(m: int) -> dt.date:  # the 30th, or the end of February (28th or 29th)
        year, month = 2019 + m // 12, m % 12 + 1
        return dt.date(year, month, min(30, calendar.monthrange(year, month)[1]))

    days = [day_30(m) for m in range(40)]
    frame = make_frame(40).with_columns(pl.Series("date", days))
    ds = MMMDataSet.from_frame(frame)
    assert ds.frequency.value == "monthly"


def test_convention_named_column_can_be_ignored(valid_frame: pl.DataFrame) -> None:
    ds, report = ColumnMapper(ignore={"control__price": "not trusted"}).build(valid_frame)
    assert "price" not in ds.controls
    assert report.unmapped["control__price"] == "not trusted"


def test_thousands_separator_must_group_three_digits() -> None:
    fmt = NumberFormat(thousands_separator=",")
    parsed, _ = parse_numbers(
        pl.Series(["1,234", "-1,000,000", "999"]), raw="TV", column="spend__tv", fmt=fmt
    )
    assert parsed.to_list() == [1234.0, -1_000_000.0, 999.0]
    with pytest.raises(MappingError) as err:  # '1,5' is a decimal comma, not 15
        parse_numbers(pl.Series(["1,5"]), raw="TV", column="spend__tv", fmt=fmt)
    assert err.value.rules == {ContractRule.NUMERIC_PARSE}
    assert "'1,5'" in str(err.value)


def test_explicit_date_format_rejects_two_digit_years() -> None:
    with pytest.raises(MappingError) as err:  # '%Y' must not read '22' as the year 22
        parse_dates(pl.Series(["03/01/22"]), raw="Week", date_format="%d/%m/%Y")
    assert err.value.rules == {ContractRule.DATE_PARSE}


def test_pandas_index_clashing_with_a_column_is_an_error(valid_frame: pl.DataFrame) -> None:
    pdf = valid_frame.to_pandas()
    pdf.index = pdf["spend__tv"]  # index named like an existing column
    with pytest.raises(DataContractError) as err:
        MMMDataSet.from_frame(pdf)
    assert err.value.rules == {ContractRule.DUPLICATE_COLUMN}
    assert "'spend__tv'" in str(err.value)
