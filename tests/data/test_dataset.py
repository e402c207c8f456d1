"""``MMMDataSet``: inputs, canonical form, properties, slicing, arrays and warnings."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import warnings
from typing import Any

import jax.numpy as jnp
import numpy as np
import pandas as pd
import polars as pl
import pytest

from mmm.config import ContractRule, DataContractError, DataContractWarning, Frequency
from mmm.data import MMMDataSet

FIRST_WEEK = dt.date(2021, 1, 4)


def week(i: int) -> dt.date:
    return FIRST_WEEK + dt.timedelta(weeks=i)


def month_ends(start_year: int, n: int) -> list[dt.date]:
    out = []
    for k in range(n):
        year, month = divmod(start_year * 12 + k, 12)
        out.append(dt.date(year, month + 1, calendar.monthrange(year, month + 1)[1]))
    return out


@pytest.fixture
def ds(valid_frame: pl.DataFrame) -> MMMDataSet:
    return MMMDataSet.from_frame(valid_frame)


# --- inputs ---------------------------------------------------------------------------------


def assert_canonical_dtypes(frame: pl.DataFrame) -> None:
    assert frame.schema["date"] == pl.Date
    assert all(dtype == pl.Float64 for name, dtype in frame.schema.items() if name != "date")


def test_polars_frame_is_kept_as_is(valid_frame: pl.DataFrame, ds: MMMDataSet) -> None:
    assert ds.frame.equals(valid_frame)
    assert_canonical_dtypes(ds.frame)


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda f: f.to_pandas(), id="pandas"),
        pytest.param(lambda f: f.to_pandas().set_index("date"), id="pandas_date_index"),
        pytest.param(
            lambda f: f.to_pandas().assign(
                date=lambda p: pd.to_datetime(p["date"]).astype("M8[ns]")
            ),
            id="pandas_datetime64_ns",
        ),
        pytest.param(
            lambda f: f.to_pandas().assign(date=lambda p: [d.date() for d in p["date"]]),
            id="pandas_python_dates",
        ),
        pytest.param(lambda f: f.lazy(), id="polars_lazy"),
        pytest.param(lambda f: f.with_columns(pl.col("date").cast(pl.Datetime)), id="midnight"),
    ],
)
def test_other_inputs_give_the_identical_dataset(
    valid_frame: pl.DataFrame, ds: MMMDataSet, convert: Any
) -> None:
    other = MMMDataSet.from_frame(convert(valid_frame))
    assert other == ds
    assert other.frame.equals(ds.frame)
    assert other.frame.columns == ds.frame.columns
    assert_canonical_dtypes(other.frame)
    assert other.frequency is Frequency.WEEKLY


def test_pandas_named_index_is_kept_as_a_column(valid_frame: pl.DataFrame) -> None:
    pdf = valid_frame.to_pandas().set_index("date")
    pdf.index.name = "week"
    with pytest.raises(DataContractError) as err:
        MMMDataSet.from_frame(pdf)
    # The index is not dropped: it comes back as column 'week', which is not a valid name,
    # and there is no 'date' column.
    assert err.value.rules == {ContractRule.MISSING_DATE, ContractRule.INVALID_COLUMN_NAME}
    assert "'week'" in str(err.value)


def test_pandas_named_index_can_be_mapped(valid_frame: pl.DataFrame) -> None:
    from mmm.data import ColumnMapper

    pdf = valid_frame.to_pandas().set_index("date")
    pdf.index.name = "Week"
    ds, report = ColumnMapper({"Week": "date"}).build(pdf)
    assert ds == MMMDataSet.from_frame(valid_frame)
    assert report.renames["Week"] == "date"


def test_int_and_bool_columns_are_cast_exactly(valid_frame: pl.DataFrame) -> None:
    spend = [(i * 7_919_993) % 1_000_003 for i in range(valid_frame.height)]
    holiday = [i % 13 == 0 for i in range(valid_frame.height)]
    frame = valid_frame.with_columns(
        pl.Series("spend__tv", spend, dtype=pl.Int64),
        pl.Series("event__holiday", holiday, dtype=pl.Boolean),
        pl.Series("control__price", [i % 4 for i in range(valid_frame.height)], dtype=pl.UInt8),
    )
    out = MMMDataSet.from_frame(frame).frame
    assert_canonical_dtypes(out)
    assert out["spend__tv"].to_list() == [float(v) for v in spend]
    assert out["event__holiday"].to_list() == [1.0 if h else 0.0 for h in holiday]
    assert out["control__price"].to_list() == [float(i % 4) for i in range(valid_frame.height)]
    from_pandas = MMMDataSet.from_frame(frame.to_pandas()).frame
    assert from_pandas.equals(out)


def test_pandas_nullable_integer_with_missing_value_is_rejected(
    valid_frame: pl.DataFrame,
) -> None:
    pdf = valid_frame.to_pandas()
    pdf["spend__tv"] = pd.array([None, *range(1, valid_frame.height)], dtype="Int64")
    with pytest.raises(DataContractError) as err:
        MMMDataSet.from_frame(pdf)
    assert err.value.rules == {ContractRule.MISSING_VALUES}
    assert err.value.violations[0].rows == (0,)


def test_columns_come_in_canonical_order(valid_frame: pl.DataFrame) -> None:
    frame = valid_frame.with_columns(organic__newsletter=pl.col("media__tv") / 100)
    shuffled = frame.select(
        "event__holiday",
        "spend__search",
        "control__price",
        "organic__newsletter",
        "media__tv",
        "date",
        "spend__tv",
        "kpi__revenue",
    )
    ds = MMMDataSet.from_frame(shuffled)
    assert ds.columns == [
        "date",
        "kpi__revenue",
        "spend__search",  # within a role the input order is kept
        "spend__tv",
        "media__tv",
        "organic__newsletter",
        "control__price",
        "event__holiday",
    ]
    assert ds.frame.columns == ds.columns
    assert ds.channels == ["search", "tv"]
    for column in ds.columns:
        assert ds.frame[column].equals(frame[column].cast(ds.frame[column].dtype))


# --- properties -----------------------------------------------------------------------------


def test_properties(ds: MMMDataSet, valid_frame: pl.DataFrame) -> None:
    assert ds.kpi == "revenue"
    assert ds.kpi_column == "kpi__revenue"
    assert ds.channels == ["tv", "search"]
    assert ds.media_channels == ["tv"]
    assert ds.controls == ["price"]
    assert ds.events == ["holiday"]
    assert ds.organic == []
    assert ds.frequency is Frequency.WEEKLY
    assert ds.n_periods == len(ds) == 120
    assert ds.start == week(0)
    assert ds.end == week(119)
    assert ds.dates == [week(i) for i in range(120)]
    assert ds.warnings == ()
    assert "revenue" in repr(ds)
    assert "weekly" in repr(ds)
    summary = ds.summary()
    assert "120 weekly periods" in summary
    assert "2021-01-04" in summary
    assert "tv, search" in summary


def test_organic_role(valid_frame: pl.DataFrame) -> None:
    frame = valid_frame.with_columns(
        organic__newsletter=pl.col("media__tv") / 10, organic__social=pl.col("spend__tv") + 1
    )
    ds = MMMDataSet.from_frame(frame)
    assert ds.organic == ["newsletter", "social"]
    assert ds.channels == ["tv", "search"]  # organic activity is not a paid channel


@pytest.mark.parametrize(
    ("dates", "frequency"),
    [
        pytest.param([week(i) for i in range(110)], Frequency.WEEKLY, id="weekly_monday"),
        pytest.param(
            [dt.date(2020, 1, 2) + dt.timedelta(weeks=i) for i in range(110)],
            Frequency.WEEKLY,
            id="weekly_thursday",
        ),
        pytest.param(
            [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(400)],
            Frequency.DAILY,
            id="daily",
        ),
        pytest.param(
            [dt.date(2018 + k // 12, k % 12 + 1, 1) for k in range(40)],
            Frequency.MONTHLY,
            id="monthly_first",
        ),
        pytest.param(month_ends(2018, 40), Frequency.MONTHLY, id="monthly_end"),
        pytest.param(
            [dt.date(2018 + k // 12, k % 12 + 1, 15) for k in range(40)],
            Frequency.MONTHLY,
            id="monthly_15th",
        ),
    ],
)
def test_frequency(make_frame: Any, dates: list[dt.date], frequency: Frequency) -> None:
    frame = make_frame(len(dates)).with_columns(pl.Series("date", dates))
    ds = MMMDataSet.from_frame(frame)  # long enough: no warning (would be an error here)
    assert ds.frequency is frequency
    assert ds.dates == dates


# --- slice and drop -------------------------------------------------------------------------


def test_slice_bounds_are_inclusive(ds: MMMDataSet, valid_frame: pl.DataFrame) -> None:
    with pytest.warns(DataContractWarning, match="40 weekly periods"):
        part = ds.slice(week(10), week(49))
    assert part.start == week(10)
    assert part.end == week(49)
    assert part.n_periods == 40
    assert part.frame.equals(valid_frame[10:50])
    assert len(part.warnings) == 1
    assert "40 weekly periods" in part.warnings[0]


def test_slice_accepts_strings_datetimes_and_open_ends(ds: MMMDataSet) -> None:
    with pytest.warns(DataContractWarning):
        by_string = ds.slice("2021-03-15", "2022-12-26")
    with pytest.warns(DataContractWarning):
        by_date = ds.slice(dt.date(2021, 3, 15), dt.datetime(2022, 12, 26, 0, 0))
    assert by_string == by_date
    assert by_string.start == dt.date(2021, 3, 15)
    assert by_string.end == dt.date(2022, 12, 26)
    assert ds.slice() == ds
    with pytest.warns(DataContractWarning):
        tail = ds.slice(start=week(30))
    assert tail.end == ds.end
    assert tail.n_periods == 90


def test_slice_between_dates_keeps_the_periods_inside(ds: MMMDataSet) -> None:
    with pytest.warns(DataContractWarning):
        part = ds.slice(week(10) + dt.timedelta(days=1), week(49) - dt.timedelta(days=1))
    assert part.start == week(11)
    assert part.end == week(48)


def test_slice_is_revalidated(ds: MMMDataSet, valid_frame: pl.DataFrame) -> None:
    with pytest.raises(DataContractError) as err:
        ds.slice(week(0), week(20))
    assert err.value.rules == {ContractRule.TOO_FEW_PERIODS}
    # a window where a channel never spends breaks the contract
    frame = valid_frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 60)
        .then(0.0)
        .otherwise(pl.col("spend__search"))
        .alias("spend__search")
    )
    full = MMMDataSet.from_frame(frame)
    with pytest.raises(DataContractError) as err:
        full.slice(end=week(59))
    assert err.value.rules == {ContractRule.ALL_ZERO_CHANNEL}
    assert err.value.columns == {"spend__search"}


def test_slice_window_without_the_event_warns(valid_frame: pl.DataFrame) -> None:
    frame = valid_frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 60)
        .then(pl.col("event__holiday"))
        .otherwise(0.0)
        .alias("event__holiday")
    )
    full = MMMDataSet.from_frame(frame)
    assert full.warnings == ()
    with pytest.warns(DataContractWarning) as record:
        part = full.slice(week(60))
    messages = [str(w.message) for w in record]
    assert len(messages) == 2
    assert any("event__holiday" in m and "zero in every period" in m for m in messages)
    assert any("60 weekly periods" in m for m in messages)
    assert list(part.warnings) == messages


def test_slice_errors(ds: MMMDataSet) -> None:
    with pytest.raises(ValueError, match="after") as err:
        ds.slice("2022-01-01", "2021-01-01")
    assert not isinstance(err.value, DataContractError)
    with pytest.raises(ValueError, match="not a date"):
        ds.slice("last year")
    with pytest.raises(DataContractError) as contract_err:
        ds.slice("2030-01-01", "2031-01-01")
    assert contract_err.value.rules == {ContractRule.EMPTY_FRAME}


def test_drop(ds: MMMDataSet) -> None:
    without_media = ds.drop("media__tv")
    assert without_media.media_channels == []
    assert "media__tv" not in without_media.columns
    assert ds.media_channels == ["tv"]  # the original is unchanged
    without_both = ds.drop("media__tv", "spend__tv", "event__holiday")
    assert without_both.channels == ["search"]
    assert without_both.events == []
    with pytest.raises(ValueError, match="spend__radio"):
        ds.drop("spend__radio")
    with pytest.raises(DataContractError) as err:
        ds.drop("spend__tv")
    assert err.value.rules == {ContractRule.MEDIA_WITHOUT_SPEND}


def test_frame_is_a_copy(ds: MMMDataSet, valid_frame: pl.DataFrame) -> None:
    frame = ds.frame
    frame[0, "spend__tv"] = 12_345.0
    frame = frame.with_columns(pl.lit(0.0).alias("kpi__revenue"))
    assert ds.frame.equals(valid_frame)
    assert ds.frame[0, "spend__tv"] == valid_frame[0, "spend__tv"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.frequency = Frequency.DAILY  # type: ignore[misc]


def test_input_frame_is_not_referenced(valid_frame: pl.DataFrame) -> None:
    frame = valid_frame.clone()
    ds = MMMDataSet.from_frame(frame)
    frame[0, "spend__tv"] = 12_345.0
    assert ds.frame[0, "spend__tv"] == valid_frame[0, "spend__tv"]


def test_equality(ds: MMMDataSet, valid_frame: pl.DataFrame) -> None:
    changed = MMMDataSet.from_frame(valid_frame.with_columns(pl.col("spend__tv") + pl.lit(1.0)))
    assert ds != changed
    assert ds != "not a dataset"
    with pytest.raises(TypeError):
        hash(ds)


# --- arrays ---------------------------------------------------------------------------------


def test_to_arrays_values_shapes_and_labels(ds: MMMDataSet, valid_frame: pl.DataFrame) -> None:
    arrays = ds.to_arrays(dtype=jnp.float32)

    def block(*columns: str) -> np.ndarray:
        return valid_frame.select(columns).to_numpy().astype(np.float32)

    np.testing.assert_array_equal(np.asarray(arrays.kpi), block("kpi__revenue")[:, 0])
    np.testing.assert_array_equal(np.asarray(arrays.spend), block("spend__tv", "spend__search"))
    np.testing.assert_array_equal(np.asarray(arrays.media), block("media__tv"))
    np.testing.assert_array_equal(np.asarray(arrays.controls), block("control__price"))
    np.testing.assert_array_equal(np.asarray(arrays.events), block("event__holiday"))
    assert arrays.kpi.shape == (120,)
    assert arrays.spend.shape == (120, 2)
    assert arrays.media.shape == (120, 1)
    assert arrays.organic.shape == (120, 0)
    assert arrays.controls.shape == (120, 1)
    assert arrays.events.shape == (120, 1)
    assert {a.dtype for a in (arrays.kpi, arrays.spend, arrays.organic)} == {np.dtype(np.float32)}
    assert arrays.channels == ("tv", "search")
    assert arrays.media_channels == ("tv",)
    assert arrays.organic_names == ()
    assert arrays.control_names == ("price",)
    assert arrays.event_names == ("holiday",)
    assert arrays.kpi_name == "revenue"
    assert arrays.dates == tuple(week(i) for i in range(120))
    assert arrays.n_periods == 120


def test_to_arrays_absent_roles_are_empty(valid_frame: pl.DataFrame) -> None:
    frame = valid_frame.select("date", "kpi__revenue", "spend__search")
    arrays = MMMDataSet.from_frame(frame).to_arrays()
    for empty in (arrays.media, arrays.organic, arrays.controls, arrays.events):
        assert empty.shape == (120, 0)
    assert arrays.spend.shape == (120, 1)
    np.testing.assert_allclose(
        np.asarray(arrays.spend)[:, 0], frame["spend__search"].to_numpy(), rtol=1e-6
    )


# --- warnings -------------------------------------------------------------------------------


def test_all_zero_event_warns(valid_frame: pl.DataFrame) -> None:
    frame = valid_frame.with_columns(event__holiday=pl.lit(0.0))
    with pytest.warns(DataContractWarning, match="event__holiday") as record:
        ds = MMMDataSet.from_frame(frame)
    assert len(record) == 1
    assert len(ds.warnings) == 1
    assert "event__holiday" in ds.warnings[0]
    assert str(record[0].message) == ds.warnings[0]


def test_short_but_valid_history_warns(make_frame: Any) -> None:
    with pytest.warns(DataContractWarning, match="fewer than the recommended 104") as record:
        ds = MMMDataSet.from_frame(make_frame(60))
    assert len(record) == 1
    assert ds.n_periods == 60
    assert ds.warnings == (str(record[0].message),)


@pytest.mark.parametrize(("n", "warns"), [(26, True), (103, True), (104, False)])
def test_history_length_thresholds(make_frame: Any, n: int, warns: bool) -> None:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        ds = MMMDataSet.from_frame(make_frame(n))
    assert bool(record) is warns
    assert bool(ds.warnings) is warns


def test_warn_false_keeps_warnings_silent(make_frame: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = MMMDataSet.from_frame(make_frame(60), warn=False)
    assert len(ds.warnings) == 1


def test_model_arrays_periods_cut_every_array_and_the_dates(ds: MMMDataSet) -> None:
    arrays = ds.to_arrays()
    part = arrays.periods(3, 7)
    assert part.dates == arrays.dates[3:7]
    for name in ("kpi", "spend", "media", "organic", "controls", "events"):
        np.testing.assert_array_equal(getattr(part, name), getattr(arrays, name)[3:7])
    assert part.channels == arrays.channels
    with pytest.raises(ValueError, match="periods"):
        arrays.periods(5, 5)
