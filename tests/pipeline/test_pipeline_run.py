"""End to end through the command line: ``mmm demo``, ``mmm optimize``, ``mmm fit``.

Each run is real (NUTS on the bundled example, short chains); the assertions compare the
written files with each other and with independent numpy computations on the raw data.
"""

import base64
import json
import pathlib
import re

import numpy as np
import polars as pl
import pytest

import mmm
from mmm import cli
from mmm.datasets import EXAMPLES, load_example, simulate_frame

pytestmark = pytest.mark.slow

SECTIONS = ("summary", "data", "model", "diagnostics", "roi", "plan", "caveats", "files")


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("demo")
    code = cli.main(["demo", "--quick", "--quiet", "--out", str(out)])
    assert code == 0
    return out


def _spend(dataset: mmm.MMMDataSet) -> np.ndarray:
    return dataset.frame.select([f"spend__{c}" for c in dataset.channels]).to_numpy()


def test_demo_writes_a_self_contained_report(demo_out: pathlib.Path) -> None:
    report = (demo_out / "report.html").read_text(encoding="utf-8")
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in report
    assert "<script" not in report
    assert 'src="http' not in report
    pngs = sorted((demo_out / "plots").rglob("*.png"))
    embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', report)
    assert len(pngs) >= 15
    assert len(embedded) == len(pngs)
    on_disk = {p.read_bytes() for p in pngs}
    assert {base64.b64decode(e) for e in embedded} == on_disk  # the same plots, embedded
    for text in ("Verdict", "uplift", "Caveats", "Against the known truth"):
        assert text in report


def test_demo_tables_in_both_formats_agree(demo_out: pathlib.Path) -> None:
    csvs = sorted((demo_out / "tables").rglob("*.csv"))
    assert {p.parent.name for p in csvs} == {"eda", "diagnostics", "results", "plan"}
    for path in csvs:
        parquet = pl.read_parquet(path.with_suffix(".parquet"))
        csv = pl.read_csv(path, schema=parquet.schema)
        assert csv.equals(parquet, null_equal=True), path


def test_demo_roi_and_truth_match_the_saved_fit(demo_out: pathlib.Path) -> None:
    fitted = mmm.load(demo_out / "model")
    name = "plr_small_business"
    assert fitted.spec.channels == tuple(load_example(name).channels)
    roi = pl.read_parquet(demo_out / "tables/results/roi.parquet")
    again = mmm.roi_table(fitted)
    np.testing.assert_allclose(roi["roi_mean"], again["roi_mean"], rtol=1e-5)
    truth = pl.read_parquet(demo_out / "tables/results/truth.parquet")
    true_roi = EXAMPLES[name].true_roi
    assert true_roi is not None
    assert dict(zip(truth["channel"], truth["true_roi"], strict=True)) == dict(true_roi)
    attributed = mmm.roi_table(fitted, roi="attributed")
    np.testing.assert_allclose(truth["roi_mean"], attributed["roi_mean"], rtol=1e-5)
    inside = (truth["roi_lower"] <= truth["true_roi"]) & (truth["true_roi"] <= truth["roi_upper"])
    assert truth["covered"].to_list() == inside.to_list()
    report = (demo_out / "report.html").read_text(encoding="utf-8")
    assert f"{int(truth['covered'].sum())} of 4 true ROIs" in report


def test_demo_plan_spends_the_historic_budget_within_its_bounds(demo_out: pathlib.Path) -> None:
    dataset = load_example("plr_small_business")
    spend = _spend(dataset)
    last_year = spend[-52:].mean(axis=0)  # "historic": the last year, per week
    budget = last_year.sum()
    plan = pl.read_parquet(demo_out / "tables/plan/allocation.parquet")
    planned = plan["spend"].to_numpy()
    assert planned.sum() == pytest.approx(budget, rel=1e-5)
    # the historic mix at the historic budget is last year's spend itself, and the
    # multiple bounds are multiples of it: a binding bound reads 0.5x or 2x of that column
    np.testing.assert_allclose(plan["reference_spend"].to_numpy(), last_year, rtol=1e-5)
    assert np.all(planned >= 0.5 * last_year * (1 - 1e-5))
    assert np.all(planned <= 2.0 * last_year * (1 + 1e-5))
    for constraint, multiple in (("upper", 2.0), ("lower", 0.5)):
        rows = (plan["binding"] == constraint).to_numpy()
        np.testing.assert_allclose(planned[rows], multiple * last_year[rows], rtol=1e-5)
    assert set(plan["binding"]) & {"upper", "lower"}
    report = (demo_out / "report.html").read_text(encoding="utf-8")
    window = f"the last 52 periods ({dataset.dates[-52]} to {dataset.dates[-1]})"
    assert f"historic: {window}" in report
    assert f"Historic here means {window}" in report
    config = json.loads((demo_out / "config.json").read_text())
    assert config["sampler"]["draws"] == 300  # --quick, recorded


def test_optimize_replans_from_the_saved_run(
    demo_out: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plan"
    argv = ["optimize", str(demo_out), "--budget", "500", "--lock", "search_ads=150"]
    assert cli.main([*argv, "--bound", "email=0.5x:3x", "--out", str(out)]) == 0
    assert "BudgetPlan" in capsys.readouterr().out
    plan = pl.read_parquet(out / "tables/plan/allocation.parquet")
    spend = dict(zip(plan["channel"], plan["spend"], strict=True))
    assert sum(spend.values()) == pytest.approx(500.0, rel=1e-5)
    assert spend["search_ads"] == pytest.approx(150.0, rel=1e-6)
    scenario = json.loads((out / "scenario.json").read_text())
    assert scenario["bounds"]["email"] == {"multiple": [0.5, 3.0]}
    assert scenario["bounds"]["local_ads"] == {"multiple": [0.5, 2.0]}  # kept from the run
    assert (out / "plots/plan/allocation.png").is_file()


def test_optimize_takes_another_reference_window(
    demo_out: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    out = tmp_path / "plan13"
    argv = ["optimize", str(demo_out), "--reference-periods", "13", "--budget", "400"]
    assert cli.main([*argv, "--out", str(out)]) == 0
    recent = _spend(load_example("plr_small_business"))[-13:].mean(axis=0)
    plan = pl.read_parquet(out / "tables/plan/allocation.parquet")
    np.testing.assert_allclose(
        plan["reference_spend"].to_numpy(), recent / recent.sum() * 400.0, rtol=1e-5
    )
    assert json.loads((out / "scenario.json").read_text())["reference_periods"] == 13


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bound", "tv=1:2"], "scenario.bounds.tv"),
        (["--bound", "email=1x:2"], "--bound"),
        (["--lock", "email"], "--lock"),
        (["--objective", "median"], "scenario.objective"),
        (["--reference-periods", "0"], "scenario.reference_periods"),
        (["--reference-periods", "500"], "scenario.reference_periods"),
    ],
)
def test_optimize_rejects_bad_scenarios(
    demo_out: pathlib.Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["optimize", str(demo_out), *argv]) == 1
    assert message in capsys.readouterr().err


def test_optimize_needs_a_saved_fit(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["optimize", str(tmp_path)]) == 2
    assert "neither a run folder" in capsys.readouterr().err


CONFIG = """
[data.mapping]
columns = { Week = "date", Revenue = "kpi__revenue", "TV Spend" = "spend__tv", \
"Search Spend" = "spend__search" }
date_format = "%d/%m/%Y"
thousands_separator = ","

[model]
effect = "roi"

[model.media.channels.search]
adstock = {type = "geometric", l_max = 4}

[model.roi_priors]
tv = {distribution = "LogNormal", loc = 0.0, scale = 0.5}

[sampler]
chains = 1
draws = 150
tune = 150

[scenario]
horizon = 4
budget = 400000.0
"""


def _client_csv(path: pathlib.Path) -> pl.DataFrame:
    frame, _ = simulate_frame(60, 2, 3, n_controls=0, n_events=0)
    raw = pl.DataFrame(
        {
            "Week": frame["date"].dt.strftime("%d/%m/%Y"),
            "Revenue": frame["kpi__revenue"].map_elements(lambda v: f"{v:,.2f}", pl.String),
            "TV Spend": frame["spend__tv"].map_elements(lambda v: f"{v:,.2f}", pl.String),
            "Search Spend": frame["spend__search"].map_elements(lambda v: f"{v:,.2f}", pl.String),
        }
    )
    raw.write_csv(path)
    return frame


def test_fit_with_a_config_file(tmp_path: pathlib.Path) -> None:
    data = tmp_path / "client.csv"
    frame = _client_csv(data)
    config = tmp_path / "run.toml"
    config.write_text(CONFIG)
    out = tmp_path / "out"
    assert cli.main(["fit", str(data), "--config", str(config), "--out", str(out), "--quiet"]) == 0
    spec = json.loads((out / "model/spec.json").read_text())
    assert spec["effect"]["type"] == "ROIEffect"
    assert [m["adstock"]["l_max"] for m in spec["media"]][1] == 4
    fitted = mmm.load(out / "model")
    np.testing.assert_allclose(
        fitted.dataset.frame["kpi__revenue"], frame["kpi__revenue"].round(2), rtol=1e-9
    )
    flighting = pl.read_parquet(out / "tables/plan/flighting.parquet")
    assert flighting.height == 4
    assert flighting.select("tv", "search").to_numpy().sum() == pytest.approx(400000.0, rel=1e-5)
    assert (out / "report.html").is_file()
    assert (out / "mapping.txt").is_file()


def test_fit_reports_a_config_error_before_fitting(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "client.csv"
    _client_csv(data)
    config = tmp_path / "run.toml"
    config.write_text(CONFIG.replace("channels.search]", "channels.radio]"))
    out = tmp_path / "out"
    assert cli.main(["fit", str(data), "--config", str(config), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "model.media.channels.radio" in err
    assert "'search'" in err  # names the channels the data have
    assert not (out / "model").exists()  # nothing was fitted


def test_fit_on_a_geo_panel_models_the_total_and_says_so(tmp_path: pathlib.Path) -> None:
    """Two geos with 40% / 60% of each week: the total is the single-series data again."""
    single = tmp_path / "client.csv"
    frame = _client_csv(single)
    raw = pl.read_csv(single, infer_schema=False)
    numbers = ["Revenue", "TV Spend", "Search Spend"]

    def share(part: float) -> list[pl.Expr]:
        return [
            (pl.col(c).str.replace_all(",", "").cast(pl.Float64) * part).alias(c) for c in numbers
        ]

    panel = pl.concat(
        [
            raw.with_columns(*share(0.4), Market=pl.lit("east")),
            raw.with_columns(*share(0.6), Market=pl.lit("west")),
        ]
    )
    data = tmp_path / "panel.csv"
    panel.write_csv(data)
    config = tmp_path / "run.toml"
    geo = CONFIG.replace(
        'thousands_separator = ","', 'geo_column = "Market"\naggregate_geos = true'
    )
    config.write_text(geo.split("[scenario]")[0] + "[scenario]\nenabled = false\n")
    out = tmp_path / "out"
    assert cli.main(["fit", str(data), "--config", str(config), "--out", str(out), "--quiet"]) == 0
    fitted = mmm.load(out / "model")
    np.testing.assert_allclose(
        fitted.dataset.frame["kpi__revenue"], frame["kpi__revenue"].round(2), rtol=1e-12
    )
    mapping = (out / "mapping.txt").read_text()
    assert "Geo ('Market'): aggregated 2 geos ('east', 'west') into 60 periods" in mapping
    report = (out / "report.html").read_text()
    assert "The model is of the total over 2 geos (column &#x27;Market&#x27;" in report


def test_geo_caveat_names_the_series_that_was_modelled() -> None:
    from types import SimpleNamespace

    from mmm.data import GeoReduction, MappingReport
    from mmm.pipeline._caveats import _geo

    def notes(geo: GeoReduction | None) -> list[str]:
        mapping = MappingReport(mapped=(), unmapped={}, geo=geo)
        return _geo(SimpleNamespace(mapping=mapping))  # type: ignore[arg-type]

    assert notes(None) == []
    assert _geo(SimpleNamespace(mapping=None)) == []  # type: ignore[arg-type]
    (kept,) = notes(GeoReduction("Market", ("east", "west", "north"), "west", 30, 10))
    assert "3 geos (column 'Market'); this model is of geo 'west' alone" in kept
    (total,) = notes(GeoReduction("Market", ("east", "west"), None, 20, 10))
    assert "total over 2 geos" in total


def test_fit_values_a_conversions_kpi(tmp_path: pathlib.Path) -> None:
    """``model.value_per_kpi``: ROI, mROAS, the plan's ROI and the report are money per money."""
    value = 25.0
    frame, _ = simulate_frame(60, 2, 3, n_controls=0, n_events=0)
    data = tmp_path / "conversions.csv"
    frame.select(
        pl.col("date").alias("Week"),
        (pl.col("kpi__revenue") / value).alias("Conversions"),
        pl.col("spend__tv").alias("TV"),
        pl.col("spend__search").alias("Search"),
    ).write_csv(data)
    config = tmp_path / "run.toml"
    config.write_text(
        '[data.mapping]\ncolumns = { Week = "date", Conversions = "kpi__conversions", '
        'TV = "spend__tv", Search = "spend__search" }\n'
        f"[model]\nvalue_per_kpi = {value}\n"
        "[sampler]\nchains = 1\ndraws = 150\ntune = 150\n"
    )
    out = tmp_path / "out"
    assert cli.main(["fit", str(data), "--config", str(config), "--out", str(out), "--quiet"]) == 0
    fitted = mmm.load(out / "model")
    assert fitted.spec.value_per_kpi == value
    roi = pl.read_parquet(out / "tables/results/roi.parquet")
    # the ROI of each channel is the value of the KPI it caused per unit of spend
    np.testing.assert_allclose(
        roi["roi_mean"], value * roi["contribution_mean"] / roi["spend"], rtol=1e-6
    )
    unvalued = mmm.results.roi_table(fitted, value_per_kpi=1.0)
    np.testing.assert_allclose(roi["mroas_mean"], value * unvalued["mroas_mean"], rtol=1e-5)
    plan = pl.read_parquet(out / "tables/plan/allocation.parquet")
    np.testing.assert_allclose(
        plan["roi_mean"], value * plan["kpi_mean"] / plan["spend"], rtol=1e-6
    )
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "valued at 25 money units per unit" in report
