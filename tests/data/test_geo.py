"""Geo panels: ColumnMapper keeps one geo or aggregates the geos, and says so."""

from __future__ import annotations

import datetime as dt
import pathlib

import numpy as np
import polars as pl
import pytest

from mmm.config import ContractRule, DataContractError, MappingError
from mmm.data import AGGREGATION, ColumnMapper
from mmm.pipeline import ConfigError, RunConfig

# the panels are short (30 weeks); the contract's short-history warning is not the subject
pytestmark = pytest.mark.filterwarnings("ignore::mmm.config.DataContractWarning")

PLR = pathlib.Path(__file__).parent / "plr"
GEOS = ("north", "south", "west")
START = dt.date(2023, 1, 2)
MAPPING = {
    "Week": "date",
    "Sales": "kpi__sales",
    "TV": "spend__tv",
    "Search": "spend__search",
    "TV GRP": "media__tv",
    "Organic": "organic__newsletter",
    "Price": "control__price",
    "Promo": "event__promo",
}


def panel(
    n: int = 30, seed: int = 0, geos: tuple[str, ...] = GEOS, shuffle: bool = True
) -> pl.DataFrame:
    """One row per geo and week; shuffled: a file sorted by neither key."""
    rng = np.random.default_rng(seed)
    rows = len(geos) * n
    frame = pl.DataFrame(
        {
            "Region": [g for g in geos for _ in range(n)],
            "Week": [(START + dt.timedelta(weeks=i)).isoformat() for _ in geos for i in range(n)],
            "Sales": rng.uniform(1e5, 3e5, rows),
            "TV": rng.uniform(0.0, 5e4, rows),
            "Search": rng.uniform(1e3, 2e4, rows),
            "TV GRP": rng.uniform(0.0, 300.0, rows),
            "Organic": rng.uniform(0.0, 50.0, rows),
            "Price": rng.uniform(8.0, 12.0, rows),
            "Promo": rng.integers(0, 2, rows).astype(float),
        }
    )
    return frame.sample(fraction=1.0, shuffle=True, seed=seed) if shuffle else frame


def reference_total(frame: pl.DataFrame) -> dict[str, np.ndarray]:
    """The total over geos per week, by a loop over dates and rows."""
    weeks = sorted(set(frame["Week"].to_list()))
    out: dict[str, list[float]] = {target: [] for target in MAPPING.values() if target != "date"}
    rows = frame.to_dicts()
    for week in weeks:
        this = [r for r in rows if r["Week"] == week]
        for raw, target in MAPPING.items():
            if target == "date":
                continue
            values = [r[raw] for r in this]
            role = target.split("__")[0]
            if role == "control":
                out[target].append(sum(values) / len(values))
            elif role == "event":
                out[target].append(max(values))
            else:
                out[target].append(sum(values))
    return {k: np.asarray(v) for k, v in out.items()}


def test_aggregate_geos_matches_a_loop_over_dates() -> None:
    raw = panel()
    dataset, report = ColumnMapper(MAPPING, geo_column="Region", aggregate_geos=True).build(raw)
    expected = reference_total(raw)
    assert dataset.n_periods == 30
    assert dataset.dates[0] == START
    assert dataset.dates[-1] == START + dt.timedelta(weeks=29)
    for column, values in expected.items():
        np.testing.assert_allclose(dataset.frame[column].to_numpy(), values, rtol=1e-12)
    assert report.geo is not None
    assert (report.geo.kept, report.geo.geos, report.geo.rows_in, report.geo.rows_out) == (
        None,
        tuple(dict.fromkeys(raw["Region"].to_list())),
        90,
        30,
    )
    assert "aggregated 3 geos" in str(report)
    assert "control averaged" in str(report)
    assert report.unmapped["Region"].startswith("geo column")
    assert report.to_frame().filter(pl.col("action") == "geo")["raw"].to_list() == ["Region"]


def test_aggregation_rules_cover_every_input_role() -> None:
    from mmm.config import Role

    inputs = {role for role in Role if role.is_input and role is not Role.DATE}
    assert set(AGGREGATION) == inputs


def test_aggregate_geos_equals_the_published_national_file() -> None:
    """PyMC Labs' national file sums spend and y over geos and averages the controls."""
    raw = pl.read_csv(PLR / "plr_growing_business.csv", infer_schema=False)
    national = pl.read_csv(PLR / "plr_growing_business_national.csv")
    columns = {"date": "date", "y": "kpi__sales", "c1": "control__c1", "c2": "control__c2"}
    columns |= {c: f"spend__{c.split('_')[0]}" for c in raw.columns if c.startswith("x")}
    ignore = {c: "ground truth" for c in raw.columns if c.endswith("_effect")}
    mapper = ColumnMapper(columns, ignore=ignore, geo_column="geo", aggregate_geos=True)
    dataset, report = mapper.build(raw)
    assert report.geo is not None
    assert report.geo.geos == ("geo_a", "geo_b")
    assert [d.isoformat() for d in dataset.dates] == national["date"].to_list()
    for raw_name, target in columns.items():
        if target != "date":
            np.testing.assert_allclose(
                dataset.frame[target].to_numpy(), national[raw_name].to_numpy(), rtol=1e-12
            )


def test_select_geo_keeps_that_geos_rows() -> None:
    raw = panel(shuffle=False)
    dataset, report = ColumnMapper(MAPPING, geo_column="Region", geo="south").build(raw)
    south = raw.filter(pl.col("Region") == "south").sort("Week")
    np.testing.assert_array_equal(dataset.frame["kpi__sales"].to_numpy(), south["Sales"].to_numpy())
    np.testing.assert_array_equal(dataset.frame["event__promo"].to_numpy(), south["Promo"])
    assert report.geo is not None
    assert report.geo.kept == "south"
    assert "kept geo 'south' of 3 (30 of 90 rows)" in str(report)


def test_select_geo_compares_labels_as_text() -> None:
    raw = panel(shuffle=False)
    raw = raw.with_columns(pl.col("Region").replace({"north": "1", "south": "2", "west": "3"}))
    raw = raw.with_columns(pl.col("Region").cast(pl.Int64))
    dataset, _ = ColumnMapper(MAPPING, geo_column="Region", geo="2").build(raw)
    assert dataset.n_periods == 30


def test_a_selected_geo_must_be_in_date_order_like_any_file() -> None:
    with pytest.raises(DataContractError, match="sort the frame by date"):
        ColumnMapper(MAPPING, geo_column="Region", geo="south").build(panel(shuffle=True))


def test_unknown_geo_lists_the_geos_and_the_closest() -> None:
    with pytest.raises(MappingError, match=r"geo 'sout' is not a value.*did you mean 'south'"):
        ColumnMapper(MAPPING, geo_column="Region", geo="sout").build(panel())


def test_missing_geo_column_suggests_the_closest() -> None:
    with pytest.raises(MappingError, match=r"geo_column 'region'.*did you mean \['Region'\]"):
        ColumnMapper(MAPPING, geo_column="region", aggregate_geos=True).build(panel())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"geo": "north"}, "geo needs geo_column"),
        ({"aggregate_geos": True}, "aggregate_geos needs geo_column"),
        ({"geo_column": "Region"}, "needs exactly one of geo"),
        ({"geo_column": "Region", "geo": "north", "aggregate_geos": True}, "exactly one"),
        ({"geo_column": "Week", "aggregate_geos": True}, "'Week' is also mapped"),
        ({"geo_column": "Region", "geo": "  "}, "must be a geo's name"),
    ],
)
def test_geo_options_are_checked_when_built(options: dict[str, object], message: str) -> None:
    with pytest.raises(MappingError, match=message):
        ColumnMapper(MAPPING, **options)  # type: ignore[arg-type]


def test_a_geo_without_some_dates_cannot_be_summed() -> None:
    raw = panel()
    gone = raw.filter(~((pl.col("Region") == "west") & (pl.col("Week") >= "2023-03-06")))
    with pytest.raises(MappingError) as info:
        ColumnMapper(MAPPING, geo_column="Region", aggregate_geos=True).build(gone)
    (violation,) = info.value.violations
    assert violation.rule is ContractRule.UNBALANCED_GEOS
    assert "geo 'west'" in violation.message
    assert "2023-03-06" in violation.message
    assert violation.dates[0] == dt.date(2023, 3, 6)
    assert len(violation.dates) == 21


def test_a_geo_with_a_date_twice_is_an_error() -> None:
    raw = panel()
    doubled = pl.concat([raw, raw.filter(pl.col("Region") == "north").head(1)])
    with pytest.raises(MappingError) as info:
        ColumnMapper(MAPPING, geo_column="Region", aggregate_geos=True).build(doubled)
    assert ContractRule.DUPLICATE_DATES in info.value.rules
    assert "'north'" in str(info.value)


def test_rows_without_a_geo_are_named() -> None:
    raw = panel().with_row_index()
    raw = raw.with_columns(
        pl.when(pl.col("index") == 7).then(None).otherwise(pl.col("Region")).alias("Region")
    ).drop("index")
    with pytest.raises(MappingError, match="geo column 'Region' is empty at row 7"):
        ColumnMapper(MAPPING, geo_column="Region", aggregate_geos=True).build(raw)


def test_a_missing_value_in_one_geo_is_not_summed_away() -> None:
    raw = panel().with_row_index()
    week = raw.filter(pl.col("index") == 4)["Week"].item()
    blank = raw.with_columns(
        pl.when(pl.col("index") == 4).then(None).otherwise(pl.col("TV")).alias("TV")
    ).drop("index")
    with pytest.raises(DataContractError) as info:
        ColumnMapper(MAPPING, geo_column="Region", aggregate_geos=True).build(blank)
    assert ContractRule.MISSING_VALUES in info.value.rules
    assert week in str(info.value)
    assert "spend__tv" in str(info.value)
    filled = ColumnMapper(
        MAPPING, geo_column="Region", aggregate_geos=True, fill_missing={"spend__tv": 0.0}
    )
    dataset, report = filled.build(blank)
    expected = reference_total(blank.with_columns(pl.col("TV").fill_null(0.0)))["spend__tv"]
    np.testing.assert_allclose(dataset.frame["spend__tv"].to_numpy(), expected, rtol=1e-12)
    assert len(report.fills) == 1


def test_duplicate_dates_of_a_panel_point_at_the_geo_options() -> None:
    with pytest.raises(DataContractError) as info:
        ColumnMapper(MAPPING).build(panel())
    message = str(info.value)
    assert "raw column 'Region' (3 values" in message
    assert "geo_column='Region'" in message
    assert "aggregate_geos=true" in message


def test_duplicate_dates_without_a_panel_column_get_no_geo_hint() -> None:
    raw = panel(geos=("only",))
    doubled = pl.concat([raw, raw.head(2)]).drop("Region")
    with pytest.raises(DataContractError) as info:
        ColumnMapper(MAPPING).build(doubled)
    assert ContractRule.DUPLICATE_DATES in info.value.rules
    assert "geo panel" not in str(info.value)


def test_run_config_takes_the_geo_options(tmp_path: pathlib.Path) -> None:
    mapping = {"columns": MAPPING, "geo_column": "Region", "aggregate_geos": True}
    config = RunConfig.from_dict({"data": {"mapping": mapping}})
    mapper = config.data.mapper()
    assert (mapper.geo_column, mapper.geo, mapper.aggregate_geos) == ("Region", None, True)
    assert RunConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict({"data": {"mapping": {**mapping, "aggregate_geos": "yes"}}})
    assert info.value.key == "data.mapping.aggregate_geos"
    with pytest.raises(ConfigError, match="needs exactly one of geo"):
        RunConfig.from_dict({"data": {"mapping": {"columns": MAPPING, "geo_column": "Region"}}})
