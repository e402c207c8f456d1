"""``ColumnMapper``: renames, parsing, coercions, fills, scaling, files, and its report."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from typing import Any

import polars as pl
import pytest

from mmm.config import ContractRule, DataContractError, DataContractWarning, MappingError
from mmm.data import (
    ColumnMapper,
    Fill,
    MappedColumn,
    MappingReport,
    MatchKind,
    MMMDataSet,
    Normalization,
)

FIRST_WEEK = dt.date(2021, 1, 4)


def week(i: int) -> dt.date:
    return FIRST_WEEK + dt.timedelta(weeks=i)


def set_rows(frame: pl.DataFrame, column: str, rows: dict[int, Any]) -> pl.DataFrame:
    values = frame[column].to_list()
    for row, value in rows.items():
        values[row] = value
    return frame.with_columns(pl.Series(column, values, dtype=frame[column].dtype))


def as_text(frame: pl.DataFrame, column: str, fmt: Any) -> pl.DataFrame:
    return frame.with_columns(pl.col(column).map_elements(fmt, return_dtype=pl.String))


# --- renames and the report -----------------------------------------------------------------


def test_build_renames_and_keeps_values(
    valid_frame: pl.DataFrame, raw_frame: pl.DataFrame, mapping: dict[str, str]
) -> None:
    ds, report = ColumnMapper(mapping).build(raw_frame)
    assert ds == MMMDataSet.from_frame(valid_frame)
    assert report.renames == mapping
    assert all(m.match is MatchKind.EXACT and m.mapping_key is None for m in report.mapped)
    assert dict(report.unmapped) == {}
    assert report.date_format == "%d/%m/%Y"
    (coercion,) = report.coercions
    assert (coercion.column, coercion.raw, coercion.n_values) == ("date", "Week", 120)
    assert "%d/%m/%Y" in coercion.detail
    assert report.fills == ()
    assert report.normalizations == ()
    assert report.warnings == ()


def test_unmapped_columns_and_reasons(raw_frame: pl.DataFrame, mapping: dict[str, str]) -> None:
    raw = raw_frame.with_columns(
        pl.int_range(pl.len()).alias("t"),
        pl.lit("x").alias("Notes"),
        pl.col("Search").alias("spend__Radio"),
    )
    ds, report = ColumnMapper(mapping, ignore={"t": "the trend comes from the dates"}).build(raw)
    assert list(report.unmapped) == ["t", "Notes", "spend__Radio"]
    assert report.unmapped["t"] == "the trend comes from the dates"
    assert report.unmapped["Notes"] == "not in the mapping"
    assert report.unmapped["spend__Radio"].startswith("not in the mapping, and ")
    assert "'spend__radio'" in report.unmapped["spend__Radio"]  # the suggested fix
    assert "t" not in ds.columns
    assert ds.channels == ["tv", "search"]


def test_convention_columns_pass_through(raw_frame: pl.DataFrame, mapping: dict[str, str]) -> None:
    raw = raw_frame.with_columns((pl.col("Avg Price") * 2).alias("control__temperature"))
    ds, report = ColumnMapper(mapping).build(raw)
    assert ds.controls == ["price", "temperature"]
    assert MappedColumn("control__temperature", "control__temperature", MatchKind.CONVENTION) in (
        report.mapped
    )
    assert ds.frame["control__temperature"].equals(raw["control__temperature"])
    ds_off, report_off = ColumnMapper(mapping, keep_convention_columns=False).build(raw)
    assert ds_off.controls == ["price"]
    assert report_off.unmapped == {"control__temperature": "not in the mapping"}


def test_convention_frame_needs_no_mapping(valid_frame: pl.DataFrame) -> None:
    raw = valid_frame.with_columns(pl.col("date").dt.strftime("%Y-%m-%d"))
    ds, report = ColumnMapper().build(raw)
    assert ds == MMMDataSet.from_frame(valid_frame)
    assert {m.match for m in report.mapped} == {MatchKind.CONVENTION}
    assert report.date_format == "%Y-%m-%d"


def test_normalized_match_is_reported(raw_frame: pl.DataFrame, mapping: dict[str, str]) -> None:
    raw = raw_frame.rename({"Week": "Week ", "TV Spend": "TV-SPEND"})
    keys = {**mapping}
    keys["week"] = keys.pop("Week")
    keys["tv spend"] = keys.pop("TV Spend")
    ds, report = ColumnMapper(keys).build(raw)
    by_target = {m.target: m for m in report.mapped}
    assert by_target["date"] == MappedColumn("Week ", "date", MatchKind.NORMALIZED, "week")
    assert by_target["spend__tv"] == MappedColumn(
        "TV-SPEND", "spend__tv", MatchKind.NORMALIZED, "tv spend"
    )
    assert by_target["kpi__revenue"].match is MatchKind.EXACT
    text = str(report)
    width = max(len(raw) for raw in raw.columns)  # "Avg Price"
    assert f"\n  {'Week ':<{width}} -> date  [normalized match]\n" in text
    assert f"\n  {'Revenue':<{width}} -> kpi__revenue\n" in text
    assert text.count("[normalized match]") == 2
    frame = report.to_frame()
    detail = frame.filter((pl.col("raw") == "Week ") & (pl.col("action") == "mapped"))[
        "detail"
    ].item()
    assert detail == "normalized (mapping key 'week')"
    assert ds.n_periods == 120


def test_report_text_and_frame(raw_frame: pl.DataFrame, mapping: dict[str, str]) -> None:
    raw = set_rows(raw_frame.with_columns(pl.lit(1).alias("t")), "Search", {3: None, 5: None})
    mapper = ColumnMapper(
        mapping,
        ignore={"t": "constant"},
        fill_missing={"spend__search": 0.0},
        unit_scale={"spend__tv": 1000.0},
    )
    _, report = mapper.build(raw)
    text = str(report)
    assert text.startswith("Mapping report: 7 columns mapped, 1 left out")
    assert "  Week      -> date" in text
    assert "Left out:\n  t: constant" in text
    assert "Coerced:\n  date (from 'Week'): text -> Date with '%d/%m/%Y', 120 values" in text
    assert "Normalized:\n  spend__tv: multiplied by 1000" in text
    assert (
        "Filled (opt-in fill_missing):\n  spend__search: 2 missing set to 0 "
        f"({week(3).isoformat()}, {week(5).isoformat()})"
    ) in text
    frame = report.to_frame()
    assert frame.columns == ["action", "raw", "column", "detail"]
    assert frame.schema["raw"] == pl.String
    actions = frame["action"].to_list()
    assert actions.count("mapped") == 7
    assert actions.count("unmapped") == 1
    assert actions.count("coerced") == 1
    assert actions.count("normalized") == 1
    assert actions.count("filled") == 1
    rows = {(r["action"], r["column"]): r for r in frame.iter_rows(named=True)}
    assert rows[("filled", "spend__search")]["detail"] == "2 missing values set to 0"
    assert rows[("normalized", "spend__tv")]["detail"] == "multiplied by 1000"
    assert rows[("mapped", "spend__tv")]["raw"] == "TV Spend"
    assert rows[("unmapped", None)]["raw"] == "t"
    # filled and normalized rows name the raw column they came from
    assert rows[("filled", "spend__search")]["raw"] == "Search"
    assert rows[("normalized", "spend__tv")]["raw"] == "TV Spend"


def test_report_is_immutable(raw_frame: pl.DataFrame, mapping: dict[str, str]) -> None:
    _, report = ColumnMapper(mapping).build(raw_frame)
    assert isinstance(report, MappingReport)
    with pytest.raises(TypeError):
        report.unmapped["x"] = "y"  # type: ignore[index]


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text_format", "given", "expected"),
    [
        ("%Y-%m-%d", None, "%Y-%m-%d"),
        ("%Y/%m/%d", None, "%Y/%m/%d"),
        ("%d/%m/%Y", None, "%d/%m/%Y"),  # days > 12 make it unique
        ("%m/%d/%Y", None, "%m/%d/%Y"),
        ("%d.%m.%Y", None, "%d.%m.%Y"),
        ("%m/%d/%Y", "%m/%d/%Y", "%m/%d/%Y"),
        ("%d %b %Y", "%d %b %Y", "%d %b %Y"),
    ],
)
def test_date_parsing(
    valid_frame: pl.DataFrame,
    to_raw: Any,
    mapping: dict[str, str],
    text_format: str,
    given: str | None,
    expected: str,
) -> None:
    raw = to_raw(valid_frame, date_format=text_format)
    ds, report = ColumnMapper(mapping, date_format=given).build(raw)
    assert ds.dates == valid_frame["date"].to_list()
    assert report.date_format == expected


def test_ambiguous_dates_parse_with_explicit_format(
    make_frame: Any, to_raw: Any, mapping: dict[str, str]
) -> None:
    months = [dt.date(2019 + k // 12, k % 12 + 1, 1) for k in range(48)]
    frame = make_frame(48).with_columns(pl.Series("date", months))
    raw = to_raw(frame, date_format="%d/%m/%Y")
    with pytest.raises(MappingError) as err:
        ColumnMapper(mapping).build(raw)
    assert err.value.rules == {ContractRule.AMBIGUOUS_DATE_FORMAT}
    ds, report = ColumnMapper(mapping, date_format="%d/%m/%Y").build(raw)
    assert ds.dates == months
    assert report.date_format == "%d/%m/%Y"
    us_ds, _ = ColumnMapper(mapping, date_format="%m/%d/%Y").build(
        to_raw(frame, date_format="%m/%d/%Y")
    )
    assert us_ds.dates == months


def test_integer_and_typed_dates(valid_frame: pl.DataFrame, mapping: dict[str, str]) -> None:
    as_int = valid_frame.with_columns(pl.col("date").dt.strftime("%Y%m%d").cast(pl.Int64))
    ds, report = ColumnMapper({"date": "date"}).build(as_int)
    assert ds.dates == valid_frame["date"].to_list()
    assert report.date_format == "%Y%m%d"
    typed = valid_frame.rename({"date": "Week"})
    ds_typed, report_typed = ColumnMapper({"Week": "date"}).build(typed)
    assert ds_typed.dates == valid_frame["date"].to_list()
    assert report_typed.date_format is None
    assert report_typed.coercions == ()


def test_date_parse_error_names_rows(raw_frame: pl.DataFrame, mapping: dict[str, str]) -> None:
    raw = set_rows(raw_frame, "Week", {4: "2021-02-01", 9: "n/a"})
    with pytest.raises(MappingError) as err:
        ColumnMapper(mapping, date_format="%d/%m/%Y").build(raw)
    (violation,) = err.value.violations
    assert violation.rule is ContractRule.DATE_PARSE
    assert violation.rows == (4, 9)
    assert "'2021-02-01'" in violation.message
    assert "row 4" in violation.message
    assert "row 9" in violation.message


# --- numbers --------------------------------------------------------------------------------


def test_thousands_separator(
    valid_frame: pl.DataFrame, raw_frame: pl.DataFrame, mapping: dict[str, str]
) -> None:
    raw = as_text(raw_frame, "Revenue", lambda v: f"{v:,.2f}")
    ds, report = ColumnMapper(mapping, thousands_separator=",").build(raw)
    expected = [float(f"{v:.2f}") for v in valid_frame["kpi__revenue"]]
    assert ds.frame["kpi__revenue"].to_list() == expected
    coercion = next(c for c in report.coercions if c.column == "kpi__revenue")
    assert coercion.raw == "Revenue"
    assert "thousands separator ','" in coercion.detail
    assert coercion.n_values == 120


def test_decimal_comma(
    valid_frame: pl.DataFrame, raw_frame: pl.DataFrame, mapping: dict[str, str]
) -> None:
    def european(v: float) -> str:
        return f"{v * 1000:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")

    raw = as_text(raw_frame, "TV Spend", european)
    assert raw["TV Spend"][0].count(",") == 1
    ds, report = ColumnMapper(mapping, thousands_separator=".", decimal_separator=",").build(raw)
    expected = [float(f"{v * 1000:.2f}") for v in valid_frame["spend__tv"]]
    assert ds.frame["spend__tv"].to_list() == expected
    detail = next(c for c in report.coercions if c.column == "spend__tv").detail
    assert "decimal separator ','" in detail
    only_decimal = as_text(raw_frame, "Search", lambda v: f"{v:.3f}".replace(".", ","))
    ds2, _ = ColumnMapper(mapping, decimal_separator=",").build(only_decimal)
    assert ds2.frame["spend__search"].to_list() == [
        float(f"{v:.3f}") for v in valid_frame["spend__search"]
    ]


def test_currency_stripping(
    valid_frame: pl.DataFrame, raw_frame: pl.DataFrame, mapping: dict[str, str]
) -> None:
    raw = as_text(raw_frame, "TV Spend", lambda v: f"${v * 1000:,.2f}")
    raw = as_text(raw, "Search", lambda v: f"EUR {v:.2f}")
    with pytest.raises(MappingError) as err:
        ColumnMapper(mapping, thousands_separator=",").build(raw)
    assert err.value.columns == {"spend__tv", "spend__search"}
    assert "strip_currency=True" in str(err.value)
    ds, report = ColumnMapper(mapping, thousands_separator=",", strip_currency=True).build(raw)
    assert ds.frame["spend__tv"].to_list() == [
        float(f"{v * 1000:.2f}") for v in valid_frame["spend__tv"]
    ]
    assert ds.frame["spend__search"].to_list() == [
        float(f"{v:.2f}") for v in valid_frame["spend__search"]
    ]
    details = {c.column: c.detail for c in report.coercions}
    assert "currency symbols removed" in details["spend__tv"]
    assert "currency symbols removed" in details["spend__search"]
    # Search has no thousands separator: only the steps that changed a value are reported
    assert "thousands separator" in details["spend__tv"]
    assert "thousands separator" not in details["spend__search"]
    plain = as_text(raw_frame, "Search", lambda v: f"{v:.2f}")
    _, report = ColumnMapper(mapping, thousands_separator=",", strip_currency=True).build(plain)
    details = {c.column: c.detail for c in report.coercions}
    assert details["spend__search"] == "text -> Float64"


@pytest.mark.parametrize("marker", ["", "NA", "n/a", "null", "-", " NaN "])
def test_missing_markers_are_missing(
    raw_frame: pl.DataFrame, mapping: dict[str, str], marker: str
) -> None:
    raw = set_rows(
        raw_frame.with_columns(pl.col("Search").cast(pl.String)), "Search", {2: marker, 6: marker}
    )
    with pytest.raises(DataContractError) as err:
        ColumnMapper(mapping).build(raw)
    (violation,) = err.value.violations
    assert violation.rule is ContractRule.MISSING_VALUES
    assert violation.column == "spend__search"
    assert violation.rows == (2, 6)
    assert violation.dates == (week(2), week(6))
    assert "[raw column 'Search']" in violation.message
    assert "fill_missing" in violation.message


def test_fill_missing_is_recorded(
    valid_frame: pl.DataFrame, raw_frame: pl.DataFrame, mapping: dict[str, str]
) -> None:
    raw = set_rows(
        raw_frame.with_columns(pl.col("Search").cast(pl.String)),
        "Search",
        {2: "", 6: "NA", 7: None},
    )
    raw = set_rows(raw, "Avg Price", {11: float("nan")})
    mapper = ColumnMapper(mapping, fill_missing={"spend__search": 0.0, "control__price": 10.0})
    ds, report = mapper.build(raw)
    search = ds.frame["spend__search"].to_list()
    expected = valid_frame["spend__search"].to_list()
    for row in (2, 6, 7):
        expected[row] = 0.0
    assert search == expected
    assert ds.frame["control__price"][11] == 10.0
    assert report.fills == (
        Fill("spend__search", 0.0, (2, 6, 7), (week(2), week(6), week(7))),
        Fill("control__price", 10.0, (11,), (week(11),)),
    )


def test_fill_missing_without_gaps_records_nothing(
    raw_frame: pl.DataFrame, mapping: dict[str, str]
) -> None:
    _, report = ColumnMapper(mapping, fill_missing={"spend__search": 0.0}).build(raw_frame)
    assert report.fills == ()


def test_unit_scale(
    valid_frame: pl.DataFrame, raw_frame: pl.DataFrame, mapping: dict[str, str]
) -> None:
    ds, report = ColumnMapper(mapping, unit_scale={"spend__tv": 1000.0, "media__tv": 0.5}).build(
        raw_frame
    )
    assert ds.frame["spend__tv"].to_list() == [v * 1000.0 for v in valid_frame["spend__tv"]]
    assert ds.frame["media__tv"].to_list() == [v * 0.5 for v in valid_frame["media__tv"]]
    assert ds.frame["spend__search"].equals(valid_frame["spend__search"])
    assert report.normalizations == (
        Normalization("spend__tv", 1000.0),
        Normalization("media__tv", 0.5),
    )


def test_fill_then_scale(raw_frame: pl.DataFrame, mapping: dict[str, str]) -> None:
    raw = set_rows(raw_frame, "TV Spend", {3: None})
    ds, _ = ColumnMapper(
        mapping, fill_missing={"spend__tv": 2.0}, unit_scale={"spend__tv": 10.0}
    ).build(raw)
    assert ds.frame["spend__tv"][3] == 20.0


def test_integer_raw_columns_are_scaled_as_floats(
    valid_frame: pl.DataFrame, mapping: dict[str, str]
) -> None:
    raw = valid_frame.with_columns(pl.col("spend__tv").round().cast(pl.Int64))
    ds, _ = ColumnMapper(unit_scale={"spend__tv": 2.5}).build(raw)
    assert ds.frame["spend__tv"].to_list() == [
        float(v) * 2.5 for v in valid_frame["spend__tv"].round()
    ]


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"unit_scale": {"spend__tv": 0.0}}, id="scale_zero"),
        pytest.param({"unit_scale": {"spend__tv": -1.0}}, id="scale_negative"),
        pytest.param({"unit_scale": {"spend__tv": float("inf")}}, id="scale_inf"),
        pytest.param({"unit_scale": {"spend__tv": True}}, id="scale_bool"),
        pytest.param({"unit_scale": {"TV": 2.0}}, id="scale_not_convention"),
        pytest.param({"unit_scale": {"date": 2.0}}, id="scale_date"),
        pytest.param({"fill_missing": {"spend__tv": "zero"}}, id="fill_text"),
        pytest.param({"fill_missing": {"kpi__revenue": 0.0}}, id="fill_kpi"),
        pytest.param({"decimal_separator": ";"}, id="decimal_semicolon"),
        pytest.param({"thousands_separator": "."}, id="thousands_is_decimal"),
        pytest.param({"ignore": {"TV Spend": "no"}}, id="mapped_and_ignored"),
        pytest.param({"mapping": ["TV Spend"]}, id="mapping_not_a_dict"),
    ],
)
def test_invalid_options(mapping: dict[str, str], options: dict[str, Any]) -> None:
    kwargs = {"mapping": mapping, **options}
    with pytest.raises(MappingError) as err:
        ColumnMapper(**kwargs)
    assert err.value.rules == {ContractRule.INVALID_MAPPING}


def test_nothing_mapped(raw_frame: pl.DataFrame) -> None:
    with pytest.raises(MappingError) as err:
        ColumnMapper(keep_convention_columns=True).build(raw_frame)
    assert err.value.rules == {ContractRule.INVALID_MAPPING}
    assert "'Week'" in str(err.value)


def test_pandas_raw_frame(
    raw_frame: pl.DataFrame, mapping: dict[str, str], valid_frame: pl.DataFrame
) -> None:
    ds, report = ColumnMapper(mapping).build(raw_frame.to_pandas())
    ds_pl, report_pl = ColumnMapper(mapping).build(raw_frame)
    assert ds == ds_pl == MMMDataSet.from_frame(valid_frame)
    assert report == report_pl


def test_pandas_object_column_with_text_numbers(
    raw_frame: pl.DataFrame, mapping: dict[str, str]
) -> None:
    pdf = raw_frame.to_pandas()
    pdf["Search"] = pdf["Search"].astype(object)
    pdf.loc[3, "Search"] = "1,234.5"
    pdf.loc[4, "Search"] = None
    ds, report = ColumnMapper(
        mapping, thousands_separator=",", fill_missing={"spend__search": 0.0}
    ).build(pdf)
    assert ds.frame["spend__search"][3] == 1234.5
    assert ds.frame["spend__search"][4] == 0.0
    assert ds.frame["spend__search"][5] == pytest.approx(float(raw_frame["Search"][5]), rel=1e-12)
    assert report.fills[0].rows == (4,)


def test_mapped_contract_errors_name_the_raw_column(
    raw_frame: pl.DataFrame, mapping: dict[str, str]
) -> None:
    raw = raw_frame.with_columns(pl.lit(3.0).alias("Avg Price"), pl.lit(0.0).alias("Search"))
    with pytest.raises(DataContractError) as err:
        ColumnMapper(mapping).build(raw)
    assert not isinstance(err.value, MappingError)
    messages = {v.column: v.message for v in err.value.violations}
    assert set(messages) == {"control__price", "spend__search"}
    assert messages["control__price"].endswith("[raw column 'Avg Price']")
    assert messages["spend__search"].endswith("[raw column 'Search']")


def test_mapped_short_history_warns_once(
    make_frame: Any, to_raw: Any, mapping: dict[str, str]
) -> None:
    raw = to_raw(make_frame(60))
    with pytest.warns(DataContractWarning) as record:
        ds, report = ColumnMapper(mapping).build(raw)
    assert len(record) == 1
    assert report.warnings == ds.warnings == (str(record[0].message),)
    assert "Warnings:" in str(report)
    assert "warning" in report.to_frame()["action"].to_list()


def test_mapping_error_is_a_contract_error() -> None:
    assert issubclass(MappingError, DataContractError)
    assert issubclass(DataContractError, ValueError)


# --- files ----------------------------------------------------------------------------------

STRUCTURED = {
    "columns": {"Week": "date", "Revenue": "kpi__revenue", "TV Spend": "spend__tv"},
    "date_format": "%d/%m/%Y",
    "thousands_separator": ",",
    "unit_scale": {"spend__tv": 1000.0},
    "fill_missing": {"spend__tv": 0.0},
    "ignore": {"Notes": "free text"},
}


def write_yaml(path: pathlib.Path, spec: dict[str, Any]) -> pathlib.Path:
    import yaml

    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml"])
def test_from_file_flat(tmp_path: pathlib.Path, mapping: dict[str, str], suffix: str) -> None:
    path = tmp_path / f"mapping{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(mapping))
    else:
        write_yaml(path, mapping)
    mapper = ColumnMapper.from_file(path)
    assert dict(mapper.mapping) == mapping
    assert mapper.date_format is None


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_from_file_structured(tmp_path: pathlib.Path, suffix: str) -> None:
    path = tmp_path / f"mapping{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(STRUCTURED))
    else:
        write_yaml(path, STRUCTURED)
    mapper = ColumnMapper.from_file(path)
    assert dict(mapper.mapping) == STRUCTURED["columns"]
    assert mapper.date_format == "%d/%m/%Y"
    assert mapper.thousands_separator == ","
    assert dict(mapper.unit_scale) == {"spend__tv": 1000.0}
    assert dict(mapper.fill_missing) == {"spend__tv": 0.0}
    assert dict(mapper.ignore) == {"Notes": "free text"}


def test_structured_file_builds(tmp_path: pathlib.Path, raw_frame: pl.DataFrame) -> None:
    path = write_yaml(tmp_path / "m.yaml", STRUCTURED)
    raw = raw_frame.select("Week", "Revenue", "TV Spend").with_columns(pl.lit("hi").alias("Notes"))
    ds, report = ColumnMapper.from_file(path).build(raw)
    assert ds.columns == ["date", "kpi__revenue", "spend__tv"]
    assert ds.frame["spend__tv"].to_list() == [v * 1000.0 for v in raw["TV Spend"]]
    assert report.unmapped == {"Notes": "free text"}


def test_from_file_unknown_key_lists_allowed_keys(tmp_path: pathlib.Path) -> None:
    path = write_yaml(tmp_path / "m.yaml", {**STRUCTURED, "date_fromat": "%Y"})
    with pytest.raises(MappingError) as err:
        ColumnMapper.from_file(path)
    message = str(err.value)
    assert "'date_fromat'" in message
    for key in ("columns", "date_format", "thousands_separator", "fill_missing", "ignore"):
        assert repr(key) in message


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("m.txt", "Week: date", ".json, .yaml or .yml"),
        ("m.yaml", "Week: [date\n", "not valid"),
        ("m.json", "{not json", "not valid"),
        ("m.yaml", "- Week\n- date\n", "mapping at the top level"),
        ("m.yaml", "Week: date\noptions: {a: 1}\n", "'columns' section"),
    ],
)
def test_from_file_bad_files(tmp_path: pathlib.Path, name: str, text: str, fragment: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(MappingError, match=None) as err:
        ColumnMapper.from_file(path)
    assert fragment in str(err.value)


def test_from_file_missing_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError):
        ColumnMapper.from_file(tmp_path / "nope.yaml")


def test_ignore_wins_over_convention_passthrough(valid_frame: pl.DataFrame) -> None:
    ds, report = ColumnMapper(ignore={"control__price": "not needed"}).build(valid_frame)
    assert ds.controls == []
    assert report.unmapped == {"control__price": "not needed"}


def test_fill_missing_on_integer_column(valid_frame: pl.DataFrame) -> None:
    spend = [None if i == 3 else i % 7 for i in range(valid_frame.height)]
    raw = valid_frame.with_columns(pl.Series("spend__tv", spend, dtype=pl.Int64))
    ds, report = ColumnMapper(fill_missing={"spend__tv": 0.5}).build(raw)
    assert ds.frame["spend__tv"].to_list() == [0.5 if v is None else float(v) for v in spend]
    assert report.fills == (Fill("spend__tv", 0.5, (3,), (week(3),)),)


# --- empty rows at the end of a file -----------------------------------------------------


def _with_empty_rows(frame: pl.DataFrame, rows: int, at: int | None = None) -> pl.DataFrame:
    """``frame`` with ``rows`` all-null rows appended (or inserted before row ``at``)."""
    blank = pl.DataFrame({c: [None] * rows for c in frame.columns}, schema=frame.schema)
    if at is None:
        return pl.concat([frame, blank])
    return pl.concat([frame.head(at), blank, frame.slice(at)])


@pytest.mark.parametrize("rows", [1, 3])
def test_trailing_empty_rows_are_dropped_and_reported(
    raw_frame: pl.DataFrame, mapping: dict[str, str], rows: int
) -> None:
    expected, _ = ColumnMapper(mapping).build(raw_frame)
    raw = _with_empty_rows(raw_frame, rows)
    # spaces-only text counts as empty too (a spreadsheet's " " cell); the date is text
    date = raw.columns[0]
    assert raw[date].dtype == pl.String
    raw = set_rows(raw, date, {raw.height - 1: "  "})
    ds, report = ColumnMapper(mapping).build(raw)
    assert ds.frame.equals(expected.frame)  # nothing else changed
    n = raw_frame.height
    assert report.dropped_empty_rows == tuple(range(n, n + rows))
    assert f"Dropped: {rows} empty row(s) at the end of the file" in str(report)
    dropped = report.to_frame().filter(pl.col("action") == "dropped")
    assert dropped.height == 1
    assert str(n) in dropped["detail"][0]
    assert ColumnMapper(mapping).build(raw_frame)[1].dropped_empty_rows == ()


def test_an_empty_row_between_periods_is_not_dropped(
    raw_frame: pl.DataFrame, mapping: dict[str, str]
) -> None:
    raw = _with_empty_rows(raw_frame, 1, at=30)
    with pytest.raises(DataContractError, match="row 30") as err:
        ColumnMapper(mapping).build(raw)
    assert ContractRule.MISSING_VALUES in err.value.rules


def test_a_frame_of_empty_rows_is_empty(raw_frame: pl.DataFrame, mapping: dict[str, str]) -> None:
    with pytest.raises(DataContractError, match="every one of the raw frame's 4 rows is empty"):
        ColumnMapper(mapping).build(_with_empty_rows(raw_frame.head(0), 4))


def test_pandas_nan_rows_at_the_end_are_empty(
    raw_frame: pl.DataFrame, mapping: dict[str, str]
) -> None:
    pd = pytest.importorskip("pandas")
    frame = _with_empty_rows(raw_frame, 2).to_pandas()
    assert isinstance(frame, pd.DataFrame)
    _, report = ColumnMapper(mapping).build(frame)
    assert len(report.dropped_empty_rows) == 2
