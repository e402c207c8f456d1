"""The ``mmm`` command line: exit codes and what it prints."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import numpy as np
import polars as pl
import pytest
import yaml

from mmm.cli import main
from mmm.data import ColumnMapper
from mmm.datasets import example_names

START = dt.date(2021, 1, 4)
MAPPING = {"Week": "date", "Revenue": "kpi__revenue", "TV": "spend__tv", "Search": "spend__search"}


def raw_frame(n: int = 110, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "Week": [(START + dt.timedelta(weeks=i)).strftime("%d/%m/%Y") for i in range(n)],
            "Revenue": rng.uniform(1_000.0, 2_000.0, n).round(2),
            "TV": rng.uniform(0.0, 100.0, n).round(2),
            "Search": rng.uniform(0.0, 50.0, n).round(2),
            "Notes": ["ok"] * n,
        }
    )


def write(tmp_path: pathlib.Path, frame: pl.DataFrame, mapping: object = MAPPING) -> list[str]:
    data = tmp_path / "data.csv"
    frame.write_csv(data)
    spec = tmp_path / "mapping.yaml"
    spec.write_text(yaml.safe_dump(mapping, sort_keys=False))
    return [str(data), "--mapping", str(spec)]


def test_validate_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--example", "pymc_marketing"]) == 0
    out = capsys.readouterr().out
    assert "Contract check of example 'pymc_marketing': PASSED\n" in out
    assert "179 weekly periods" in out
    assert "date_week -> date" in out
    assert "t: a 0..178 time index" in out


def test_validate_csv_with_yaml_mapping(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", *write(tmp_path, raw_frame())]) == 0
    captured = capsys.readouterr()
    assert f"Contract check of {tmp_path / 'data.csv'}: PASSED\n" in captured.out
    assert "110 weekly periods, 2021-01-04 to" in captured.out
    assert "channels: tv, search" in captured.out
    assert "Notes: not in the mapping" in captured.out
    assert "text -> Date with '%d/%m/%Y'" in captured.out
    assert captured.err == ""


def test_validate_geo_panel_aggregated_or_one_geo(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    north, south = raw_frame(seed=1), raw_frame(seed=2)
    frame = pl.concat(
        [north.with_columns(Region=pl.lit("north")), south.with_columns(Region=pl.lit("south"))]
    )
    args = ["validate", *write(tmp_path, frame)]
    assert main(args) == 1
    assert "geo_column='Region'" in capsys.readouterr().err
    assert main([*args, "--geo-column", "Region", "--aggregate-geos"]) == 0
    out = capsys.readouterr().out
    assert "Geo ('Region'): aggregated 2 geos ('north', 'south') into 110 periods" in out
    assert "PASSED" in out
    assert main([*args, "--geo-column", "Region", "--geo", "south"]) == 0
    assert "kept geo 'south' of 2 (110 of 220 rows)" in capsys.readouterr().out


def test_validate_short_csv_passes_with_warnings(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", *write(tmp_path, raw_frame(n=40))]) == 0
    out = capsys.readouterr().out
    assert "PASSED with warnings" in out
    assert "fewer than the recommended 104" in out


def test_validate_negative_spend_fails(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = raw_frame().with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(-12.5).otherwise(pl.col("TV")).alias("TV")
    )
    assert main(["validate", *write(tmp_path, frame)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "FAILED" in captured.err
    assert "'spend__tv'" in captured.err
    assert "[raw column 'TV']" in captured.err
    assert "row 7 (2021-02-22)" in captured.err
    assert (START + dt.timedelta(weeks=7)).isoformat() == "2021-02-22"


def test_validate_reports_every_problem(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = raw_frame().with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("Search")).alias("Search"),
        pl.when(pl.int_range(pl.len()) == 5).then(-1.0).otherwise(pl.col("TV")).alias("TV"),
    )
    assert main(["validate", *write(tmp_path, frame)]) == 1
    err = capsys.readouterr().err
    assert "2 problems" in err
    assert "'spend__search'" in err
    assert "'spend__tv'" in err


def test_convention_csv_needs_no_mapping(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = raw_frame().drop("Notes").rename(MAPPING)
    path = tmp_path / "data.csv"
    frame.write_csv(path)
    assert main(["validate", str(path), "--date-format", "%d/%m/%Y"]) == 0
    assert "PASSED" in capsys.readouterr().out


def test_command_line_options_override_the_file(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = raw_frame().with_columns(
        pl.col("Revenue").map_elements(lambda v: f"{v * 1000:,.2f}", return_dtype=pl.String)
    )
    args = write(tmp_path, frame, {"columns": MAPPING, "ignore": {"Notes": "free text"}})
    assert main(["validate", *args]) == 1
    assert "thousands_separator=','" in capsys.readouterr().err
    assert main(["validate", *args, "--thousands-separator", ","]) == 0
    out = capsys.readouterr().out
    assert "Notes: free text" in out
    assert "thousands separator ','" in out


def test_invalid_mapping_file_fails(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = write(tmp_path, raw_frame(), {"columns": MAPPING, "colums": {}})
    assert main(["validate", *args]) == 1
    assert "'colums'" in capsys.readouterr().err


def test_json_mapping(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data.csv"
    raw_frame().write_csv(data)
    spec = tmp_path / "mapping.json"
    spec.write_text(json.dumps(MAPPING))
    assert main(["validate", str(data), "--mapping", str(spec)]) == 0
    assert "PASSED" in capsys.readouterr().out


def test_examples_lists_all(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["examples"]) == 0
    out = capsys.readouterr().out
    assert len(example_names()) == 4
    for name in example_names():
        assert f"{name}: " in out
    assert out.count("source: ") == 4


def test_missing_file(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.csv"
    assert main(["validate", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err
    assert "nope.csv" in err


def test_missing_mapping_file(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data.csv"
    raw_frame().write_csv(data)
    assert main(["validate", str(data), "--mapping", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["validate"],
        ["validate", "--example", "nope"],
        ["validate", "--example", "pymc_marketing", "--mapping", "m.yaml"],
        [],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage: mmm" in capsys.readouterr().err


def test_csv_is_read_as_text_so_dot_thousands_are_not_decimals(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # European file: '1.200' is one thousand two hundred. A type-guessing CSV reader would
    # turn it into the float 1.2 before the mapper could apply the thousands separator.
    base = raw_frame()
    tv = (base["TV"] * 1000).round(0).cast(pl.Int64)
    frame = base.with_columns(
        pl.col("Revenue").round(0).cast(pl.Int64),
        pl.col("Search").round(0).cast(pl.Int64),
        tv.map_elements(lambda v: f"{v:,}".replace(",", "."), return_dtype=pl.String).alias("TV"),
    )
    args = write(tmp_path, frame)
    options = ["--thousands-separator", ".", "--decimal-separator", ","]
    assert main(["validate", *args, *options]) == 0
    assert "thousands separator '.'" in capsys.readouterr().out
    from mmm._commands import _read_csv

    mapper = ColumnMapper.from_file(args[2])
    mapper = ColumnMapper(mapper.mapping, thousands_separator=".", decimal_separator=",")
    ds, _ = mapper.build(_read_csv(pathlib.Path(args[0]), ","))
    np.testing.assert_array_equal(ds.frame["spend__tv"].to_numpy(), tv.to_numpy())


def test_semicolon_csv_needs_the_separator_option(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data.csv"
    raw_frame().write_csv(data, separator=";")
    spec = tmp_path / "mapping.yaml"
    spec.write_text(yaml.safe_dump(MAPPING))
    assert main(["validate", str(data), "--mapping", str(spec)]) == 1
    assert "--separator ';'" in capsys.readouterr().err
    assert main(["validate", str(data), "--mapping", str(spec), "--separator", ";"]) == 0


def test_eda_example_writes_tables_and_plots(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "eda"
    assert main(["eda", "--example", "pymc_marketing", "--out", str(out), "--folds", "3"]) == 0
    printed = capsys.readouterr().out
    assert "EDA report: passed" in printed
    assert "off_stretch / x2" in printed
    findings = pl.read_csv(out / "findings.csv")
    assert findings.columns == ["check", "severity", "subject", "value", "message"]
    assert pl.read_csv(out / "ridge_cv_folds.csv").height == 3
    for name in ("kpi_spend", "correlation", "vif", "spend_share", "lagged_correlation"):
        assert (out / f"{name}.png").stat().st_size > 10_000
    assert (out / "report.txt").read_text().startswith("EDA report: passed")


def test_eda_values_a_kpi_for_the_quick_roi(capsys: pytest.CaptureFixture[str]) -> None:
    """``--value-per-kpi``: the quick ROI is the value of the KPI per unit of spend."""
    from mmm import eda
    from mmm.datasets import load_example

    args = ["eda", "--example", "plr_small_business", "--folds", "3"]
    assert main([*args, "--value-per-kpi", "4"]) == 0
    printed = capsys.readouterr().out
    assert "ridge ROI, OLS ROI, one sales valued at 4):" in printed
    ds = load_example("plr_small_business")
    plain = eda.report(ds, folds=3).ridge.channels()
    for channel, roi in zip(plain["channel"], plain["roi"], strict=True):
        line = next(row for row in printed.splitlines() if row.strip().startswith(channel))
        assert float(line.split()[-2]) == pytest.approx(4 * roi, rel=6e-3), channel  # 3 digits
    for bad in ("0", "-1", "nan", "x"):
        with pytest.raises(SystemExit) as exit_info:
            main([*args, "--value-per-kpi", bad])
        assert exit_info.value.code == 2
    assert "--value-per-kpi" in capsys.readouterr().err


def test_eda_of_a_csv_that_breaks_the_contract_exits_1(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = raw_frame().with_columns(pl.lit("-5").alias("TV"))
    assert main(["eda", *write(tmp_path, frame)]) == 1
    assert "FAILED" in capsys.readouterr().err
