"""Corrupted variants of a valid frame: each must fail with the right rule, column and rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import polars as pl
import pytest

from mmm.config import ContractRule, DataContractError, MappingError
from mmm.data import ColumnMapper, MMMDataSet

R = ContractRule
FIRST_WEEK = dt.date(2021, 1, 4)  # must match conftest.START (checked below)


def week(i: int) -> dt.date:
    return FIRST_WEEK + dt.timedelta(weeks=i)


# --- corruptions (pure functions of a frame) ------------------------------------------------


def set_value(frame: pl.DataFrame, column: str, row: int, value: Any) -> pl.DataFrame:
    values = frame[column].to_list()
    values[row] = value
    return frame.with_columns(pl.Series(column, values, dtype=frame[column].dtype))


def swap_rows(frame: pl.DataFrame, a: int, b: int) -> pl.DataFrame:
    order = list(range(frame.height))
    order[a], order[b] = order[b], order[a]
    return frame[order]


def add_column(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    return frame.with_columns(pl.Series(name, [float(i % 5) for i in range(frame.height)]))


def pandas_text_cell(frame: pl.DataFrame) -> pd.DataFrame:
    pdf = frame.to_pandas()
    pdf["spend__search"] = pdf["spend__search"].astype(object)
    pdf.loc[4, "spend__search"] = "abc"
    return pdf


def polars_text_column(frame: pl.DataFrame) -> pl.DataFrame:
    text = frame["spend__tv"].cast(pl.String).to_list()
    text[6] = "12,5"
    return frame.with_columns(pl.Series("spend__tv", text, dtype=pl.String))


def with_times(frame: pl.DataFrame) -> pl.DataFrame:
    hours = [3 if i == 8 else 0 for i in range(frame.height)]
    return frame.with_columns(
        (pl.col("date").cast(pl.Datetime("us")) + pl.duration(hours=pl.Series(hours))).alias("date")
    )


def pandas_duplicate_column(frame: pl.DataFrame) -> pd.DataFrame:
    pdf = frame.to_pandas()
    return pd.concat([pdf, pdf[["spend__tv"]]], axis=1)


def daily_step(frame: pl.DataFrame) -> pl.DataFrame:
    return set_value(frame, "date", 10, week(9) + dt.timedelta(days=1))


# --- the cases ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Case:
    """A corrupted input and what the error must say about it.

    ``run`` gets the conftest ``Kit`` and must raise; ``row``/``date`` are the first
    offending row and date (both must be in the violation and in the message); ``text``
    are further fragments the message must contain.
    """

    id: str
    run: Callable[[Any], object]
    rule: ContractRule
    column: str | None
    row: int | None = None
    date: dt.date | None = None
    text: tuple[str, ...] = ()
    error: type[DataContractError] = DataContractError


def contract(corrupt: Callable[[pl.DataFrame], Any]) -> Callable[[Any], object]:
    return lambda kit: MMMDataSet.from_frame(corrupt(kit.frame))


def mapped(
    raw: Callable[[Any], Any] = lambda kit: kit.raw,
    mapping: Callable[[Any], dict[str, str]] = lambda kit: kit.mapping,
    **options: Any,
) -> Callable[[Any], object]:
    return lambda kit: ColumnMapper(mapping(kit), **options).build(raw(kit))


def monthly_raw(kit: Any) -> pl.DataFrame:
    months = pl.date_range(dt.date(2019, 1, 1), dt.date(2022, 12, 1), "1mo", eager=True)
    frame = kit.frame.head(len(months)).with_columns(months.alias("date"))
    return kit.to_raw(frame, date_format="%d/%m/%Y")


def raw_with(column: str, row: int, value: Any, cast: Any = None) -> Callable[[Any], Any]:
    def build(kit: Any) -> pl.DataFrame:
        raw = kit.raw
        if cast is not None:
            raw = raw.with_columns(pl.col(column).cast(cast))
        return set_value(raw, column, row, value)

    return build


def with_thousands(kit: Any) -> pl.DataFrame:
    return kit.raw.with_columns(
        pl.col("Revenue").map_elements(lambda v: f"{v * 1000:,.2f}", return_dtype=pl.String)
    )


def with_european_thousands(kit: Any) -> pl.DataFrame:
    def european(v: float) -> str:
        return f"{v * 1000:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")

    return kit.raw.with_columns(pl.col("Revenue").map_elements(european, return_dtype=pl.String))


CONTRACT_CASES = [
    # dates
    Case(
        "duplicate_dates",
        contract(lambda f: set_value(f, "date", 5, week(4))),
        R.DUPLICATE_DATES,
        "date",
        row=4,
        date=week(4),
    ),
    Case(
        "unsorted_dates",
        contract(lambda f: swap_rows(f, 5, 6)),
        R.UNSORTED_DATES,
        "date",
        row=6,
        date=week(5),
    ),
    Case(
        "gap_missing_week",
        contract(lambda f: f.filter(pl.col("date") != week(10))),
        R.DATE_GAP,
        "date",
        row=10,
        date=week(11),
        text=(f"({week(10).isoformat()})", "1 missing period"),
    ),
    Case(
        "mixed_frequency_daily_step",
        contract(daily_step),
        R.IRREGULAR_DATES,
        "date",
        row=10,
        date=week(9) + dt.timedelta(days=1),
        text=("weekly",),
    ),
    Case(
        "every_14_days",
        contract(lambda f: f.gather_every(2)),
        R.IRREGULAR_DATES,
        "date",
        text=("14 days",),
    ),
    Case("missing_date_column", contract(lambda f: f.drop("date")), R.MISSING_DATE, "date"),
    Case(
        "date_as_string",
        contract(lambda f: f.with_columns(pl.col("date").cast(pl.String))),
        R.DATE_DTYPE,
        "date",
        text=("String",),
    ),
    Case("datetime_not_midnight", contract(with_times), R.DATE_DTYPE, "date", row=8),
    Case(
        "null_date",
        contract(lambda f: set_value(f, "date", 3, None)),
        R.MISSING_VALUES,
        "date",
        row=3,
        text=("every period needs its date",),
    ),
    # values
    Case(
        "nan_in_spend",
        contract(lambda f: set_value(f, "spend__tv", 5, float("nan"))),
        R.MISSING_VALUES,
        "spend__tv",
        row=5,
        date=week(5),
        text=("fill_missing",),
    ),
    Case(
        "null_in_spend",
        contract(lambda f: set_value(f, "spend__search", 7, None)),
        R.MISSING_VALUES,
        "spend__search",
        row=7,
        date=week(7),
    ),
    Case(
        "null_in_kpi",
        contract(lambda f: set_value(f, "kpi__revenue", 2, None)),
        R.MISSING_VALUES,
        "kpi__revenue",
        row=2,
        date=week(2),
        text=("KPI is never filled",),
    ),
    Case(
        "inf_in_kpi",
        contract(lambda f: set_value(f, "kpi__revenue", 3, float("inf"))),
        R.NON_FINITE,
        "kpi__revenue",
        row=3,
        date=week(3),
    ),
    Case(
        "minus_inf_in_control",
        contract(lambda f: set_value(f, "control__price", 9, float("-inf"))),
        R.NON_FINITE,
        "control__price",
        row=9,
        date=week(9),
    ),
    Case(
        "negative_spend",
        contract(lambda f: set_value(f, "spend__tv", 11, -1.0)),
        R.NEGATIVE_VALUES,
        "spend__tv",
        row=11,
        date=week(11),
    ),
    Case(
        "negative_media",
        contract(lambda f: set_value(f, "media__tv", 2, -5.0)),
        R.NEGATIVE_VALUES,
        "media__tv",
        row=2,
        date=week(2),
    ),
    Case(
        "string_in_pandas_object_column",
        contract(pandas_text_cell),
        R.NUMERIC_DTYPE,
        "spend__search",
        row=4,
        date=week(4),
        text=("'abc'",),
    ),
    Case(
        "polars_string_column",
        contract(polars_text_column),
        R.NUMERIC_DTYPE,
        "spend__tv",
        row=6,
        date=week(6),
        text=("'12,5'",),
    ),
    Case(
        "boolean_spend",
        contract(lambda f: f.with_columns(pl.col("spend__tv") > 50)),
        R.NUMERIC_DTYPE,
        "spend__tv",
        text=("Boolean",),
    ),
    # roles
    Case(
        "two_kpis",
        contract(lambda f: f.with_columns(kpi__orders=pl.col("kpi__revenue") / 10)),
        R.KPI_COUNT,
        "kpi__orders",
        text=("'kpi__revenue'", "found 2"),
    ),
    Case(
        "no_kpi",
        contract(lambda f: f.drop("kpi__revenue")),
        R.KPI_COUNT,
        None,
        text=("kpi__", "found none"),
    ),
    Case(
        "no_spend",
        contract(lambda f: f.drop("spend__tv", "spend__search", "media__tv")),
        R.NO_SPEND,
        None,
        text=("spend__",),
    ),
    Case(
        "media_without_spend",
        contract(lambda f: f.drop("spend__tv")),
        R.MEDIA_WITHOUT_SPEND,
        "media__tv",
        text=("'spend__tv'",),
    ),
    Case(
        "all_zero_channel",
        contract(lambda f: f.with_columns(spend__search=pl.lit(0.0))),
        R.ALL_ZERO_CHANNEL,
        "spend__search",
    ),
    Case(
        "constant_kpi",
        contract(lambda f: f.with_columns(kpi__revenue=pl.lit(5.0))),
        R.CONSTANT_COLUMN,
        "kpi__revenue",
    ),
    Case(
        "constant_control",
        contract(lambda f: f.with_columns(control__price=pl.lit(9.5))),
        R.CONSTANT_COLUMN,
        "control__price",
        text=("9.5",),
    ),
    # names
    Case(
        "uppercase_name",
        contract(lambda f: add_column(f, "Spend__Radio")),
        R.INVALID_COLUMN_NAME,
        "Spend__Radio",
        text=("'spend__radio'",),
    ),
    Case(
        "no_role_prefix",
        contract(lambda f: add_column(f, "radio")),
        R.INVALID_COLUMN_NAME,
        "radio",
        text=("no role prefix",),
    ),
    Case(
        "unknown_role",
        contract(lambda f: add_column(f, "paid__radio")),
        R.INVALID_COLUMN_NAME,
        "paid__radio",
        text=("unknown role 'paid'",),
    ),
    Case(
        "reserved_role",
        contract(lambda f: add_column(f, "trend__x")),
        R.INVALID_COLUMN_NAME,
        "trend__x",
        text=("reserved",),
    ),
    Case(
        "double_underscore_in_name",
        contract(lambda f: add_column(f, "spend__radio__fm")),
        R.INVALID_COLUMN_NAME,
        "spend__radio__fm",
        text=("'spend__radio_fm'",),
    ),
    Case(
        "name_with_space",
        contract(lambda f: add_column(f, "spend__radio fm")),
        R.INVALID_COLUMN_NAME,
        "spend__radio fm",
    ),
    Case(
        "pandas_duplicate_column_names",
        contract(pandas_duplicate_column),
        R.DUPLICATE_COLUMN,
        "spend__tv",
        text=("2 times",),
    ),
    # shape and length
    Case(
        "no_rows",
        contract(lambda f: f.head(0)),
        R.EMPTY_FRAME,
        None,
        text=("no rows",),
    ),
    Case(
        "no_columns",
        contract(lambda f: pl.DataFrame()),
        R.EMPTY_FRAME,
        None,
        text=("no columns",),
    ),
    Case(
        "single_row",
        contract(lambda f: f.head(1)),
        R.TOO_FEW_PERIODS,
        None,
        text=("1 period(s)",),
    ),
    Case(
        "too_few_weeks",
        contract(lambda f: f.head(20)),
        R.TOO_FEW_PERIODS,
        None,
        text=("20 period(s)", "26 weekly"),
    ),
]

MAPPER_CASES = [
    Case(
        "two_raw_columns_to_one_target",
        mapped(mapping=lambda kit: {**kit.mapping, "Search": "spend__tv"}),
        R.DUPLICATE_TARGET,
        "spend__tv",
        text=("'TV Spend'", "'Search'"),
        error=MappingError,
    ),
    Case(
        "raw_and_convention_column_collide",
        mapped(raw=lambda kit: kit.raw.with_columns(spend__tv=pl.lit(1.0))),
        R.DUPLICATE_TARGET,
        "spend__tv",
        text=("'TV Spend'",),
        error=MappingError,
    ),
    Case(
        "unknown_mapping_key",
        mapped(
            mapping=lambda kit: {
                ("Serch" if raw == "Search" else raw): target for raw, target in kit.mapping.items()
            }
        ),
        R.UNKNOWN_SOURCE_COLUMN,
        "spend__search",
        text=("'Serch'", "did you mean ['Search']"),
        error=MappingError,
    ),
    Case(
        "ambiguous_source_column",
        mapped(
            raw=lambda kit: kit.raw.with_columns(pl.col("Search").alias("search")),
            mapping=lambda kit: {
                ("SEARCH" if raw == "Search" else raw): target
                for raw, target in kit.mapping.items()
            },
        ),
        R.AMBIGUOUS_SOURCE_COLUMN,
        "spend__search",
        text=("'SEARCH'",),
        error=MappingError,
    ),
    Case(
        "ambiguous_monthly_dates",
        mapped(raw=monthly_raw),
        R.AMBIGUOUS_DATE_FORMAT,
        "date",
        row=1,
        text=("'01/02/2019'", "2019-02-01", "2019-01-02", "date_format"),
        error=MappingError,
    ),
    Case(
        "unparseable_date_with_format",
        mapped(raw=raw_with("Week", 7, "31/02/2021"), date_format="%d/%m/%Y"),
        R.DATE_PARSE,
        "date",
        row=7,
        text=("'31/02/2021'", "'Week'"),
        error=MappingError,
    ),
    Case(
        "unparseable_date_inferred",
        mapped(raw=raw_with("Week", 12, "someday")),
        R.DATE_PARSE,
        "date",
        row=12,
        text=("'someday'",),
        error=MappingError,
    ),
    Case(
        "thousands_without_separator",
        mapped(raw=with_thousands),
        R.NUMERIC_PARSE,
        "kpi__revenue",
        row=0,
        text=("'Revenue'", "thousands_separator=','"),
        error=MappingError,
    ),
    Case(
        "european_thousands_without_separator",
        mapped(raw=with_european_thousands, decimal_separator=","),
        R.NUMERIC_PARSE,
        "kpi__revenue",
        row=0,
        text=("thousands_separator='.'",),
        error=MappingError,
    ),
    Case(
        "text_in_raw_numbers",
        mapped(raw=raw_with("TV Spend", 9, "lots", cast=pl.String)),
        R.NUMERIC_PARSE,
        "spend__tv",
        row=9,
        text=("'lots'", "'TV Spend'"),
        error=MappingError,
    ),
    Case(
        "target_not_in_convention",
        mapped(mapping=lambda kit: {**kit.mapping, "Search": "search_spend"}),
        R.INVALID_MAPPING,
        "search_spend",
        text=("'Search'",),
        error=MappingError,
    ),
    Case(
        "target_reserved_role",
        mapped(mapping=lambda kit: {**kit.mapping, "Avg Price": "trend__price"}),
        R.INVALID_MAPPING,
        "trend__price",
        error=MappingError,
    ),
    Case(
        "fill_missing_on_kpi",
        mapped(fill_missing={"kpi__revenue": 0.0}),
        R.INVALID_MAPPING,
        "kpi__revenue",
        error=MappingError,
    ),
    Case(
        "fill_missing_on_unmapped_column",
        mapped(fill_missing={"spend__radio": 0.0}),
        R.INVALID_MAPPING,
        "spend__radio",
        error=MappingError,
    ),
    Case(
        "negative_raw_spend_names_raw_column",
        mapped(raw=raw_with("TV Spend", 9, -3.0)),
        R.NEGATIVE_VALUES,
        "spend__tv",
        row=9,
        date=week(9),
        text=("[raw column 'TV Spend']",),
    ),
    Case(
        "missing_marker_in_raw_spend",
        mapped(raw=raw_with("Search", 4, "NA", cast=pl.String)),
        R.MISSING_VALUES,
        "spend__search",
        row=4,
        date=week(4),
        text=("[raw column 'Search']",),
    ),
    Case(
        "empty_raw_frame",
        mapped(raw=lambda kit: kit.raw.head(0)),
        R.EMPTY_FRAME,
        None,
        text=("0 rows",),
        error=MappingError,
    ),
]

ALL_CASES = CONTRACT_CASES + MAPPER_CASES


def test_matrix_is_large_enough() -> None:
    assert len(CONTRACT_CASES) >= 25
    assert len({c.id for c in ALL_CASES}) == len(ALL_CASES)


def test_fixture_dates_match_this_module(kit: Any) -> None:
    assert kit.frame["date"].to_list()[:3] == [week(0), week(1), week(2)]
    MMMDataSet.from_frame(kit.frame)  # the uncorrupted frame is valid and does not warn


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_corrupted_input_is_rejected(case: Case, kit: Any) -> None:
    with pytest.raises(case.error) as err:
        case.run(kit)
    error = err.value
    assert isinstance(error, ValueError)
    assert case.rule in error.rules, f"expected {case.rule}, got {error.rules}"
    violation = next(v for v in error.violations if v.rule is case.rule)
    message = str(error)
    assert violation.message in message
    if case.column is not None:
        assert violation.column == case.column
        assert repr(case.column) in violation.message
    if case.row is not None:
        assert violation.rows[0] == case.row
        assert f"row {case.row}" in violation.message
    if case.date is not None:
        assert violation.dates[0] == case.date
        assert case.date.isoformat() in violation.message
    for fragment in case.text:
        assert fragment in violation.message


def test_missing_values_in_two_columns_are_reported_together(valid_frame: pl.DataFrame) -> None:
    frame = set_value(valid_frame, "spend__tv", 5, float("nan"))
    frame = set_value(frame, "control__price", 8, None)
    with pytest.raises(DataContractError) as err:
        MMMDataSet.from_frame(frame)
    error = err.value
    assert error.rules == {R.MISSING_VALUES}
    assert error.columns == {"spend__tv", "control__price"}
    assert len(error.violations) == 2
    message = str(error)
    assert message.startswith("2 problems")
    assert "'spend__tv'" in message
    assert "'control__price'" in message
    assert week(5).isoformat() in message
    assert week(8).isoformat() in message


def test_violations_of_one_stage_are_all_reported(valid_frame: pl.DataFrame) -> None:
    frame = set_value(valid_frame, "spend__tv", 3, -1.0)
    frame = set_value(frame, "kpi__revenue", 4, float("inf"))
    frame = frame.filter(pl.col("date") != week(20))
    with pytest.raises(DataContractError) as err:
        MMMDataSet.from_frame(frame)
    assert err.value.rules == {R.NEGATIVE_VALUES, R.NON_FINITE, R.DATE_GAP}
    assert err.value.columns == {"spend__tv", "kpi__revenue", "date"}


def test_name_problems_are_reported_together(valid_frame: pl.DataFrame) -> None:
    frame = add_column(add_column(valid_frame, "TV"), "trend__t").drop("kpi__revenue")
    with pytest.raises(DataContractError) as err:
        MMMDataSet.from_frame(frame)
    assert err.value.rules == {R.INVALID_COLUMN_NAME, R.KPI_COUNT}
    assert err.value.columns == {"TV", "trend__t"}


def test_nan_and_negative_in_one_column_report_the_nan_once(valid_frame: pl.DataFrame) -> None:
    frame = set_value(set_value(valid_frame, "spend__tv", 5, float("nan")), "spend__tv", 9, -2.0)
    with pytest.raises(DataContractError) as err:
        MMMDataSet.from_frame(frame)
    by_rule = {v.rule: v for v in err.value.violations}
    assert set(by_rule) == {R.MISSING_VALUES, R.NEGATIVE_VALUES}
    assert by_rule[R.MISSING_VALUES].rows == (5,)
    assert by_rule[R.NEGATIVE_VALUES].rows == (9,)


def test_many_offending_rows_are_all_kept_but_few_listed(valid_frame: pl.DataFrame) -> None:
    rows = list(range(10, 30))
    frame = valid_frame.with_columns(
        pl.when(pl.int_range(pl.len()).is_in(rows))
        .then(-1.0)
        .otherwise(pl.col("spend__tv"))
        .alias("spend__tv")
    )
    with pytest.raises(DataContractError) as err:
        MMMDataSet.from_frame(frame)
    (violation,) = err.value.violations
    assert violation.rows == tuple(rows)
    assert violation.dates == tuple(week(i) for i in rows)
    assert "20 negative value(s)" in violation.message
    assert "and 15 more" in violation.message
    assert week(14).isoformat() in violation.message
    assert week(15).isoformat() not in violation.message


def test_not_a_frame_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="polars or pandas"):
        MMMDataSet.from_frame({"date": [1, 2]})
