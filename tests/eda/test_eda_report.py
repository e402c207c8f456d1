"""``eda.report``: findings on constructed problems, and consistency of its parts."""

import math

import numpy as np
import polars as pl
import pytest

from mmm import eda
from mmm.config import DataContractWarning
from mmm.data import MMMDataSet
from mmm.datasets import SimulationTruth, load_example, simulate
from mmm.modeling import ModelSpec


def _with(ds: MMMDataSet, **columns: np.ndarray) -> MMMDataSet:
    frame = ds.frame.with_columns([pl.Series(k, v) for k, v in columns.items()])
    return MMMDataSet.from_frame(frame, warn=False)


@pytest.mark.parametrize(("seed", "pair"), [(11, ("search", "radio")), (12, ("tv", "display"))])
def test_report_flags_exactly_the_nearly_collinear_pair(seed: int, pair: tuple[str, str]) -> None:
    ds, _ = simulate(n_weeks=156, n_channels=5, seed=seed)
    rng = np.random.default_rng(seed)
    a, b = pair
    source = ds.frame[f"spend__{a}"].to_numpy()
    copy = source * rng.uniform(0.2, 3.0) * np.exp(rng.normal(0.0, 0.1, ds.n_periods))
    rep = eda.report(_with(ds, **{f"spend__{b}": np.round(copy, 2)}))
    assert rep.collinear_pairs == [pair]
    flagged = [f for f in rep.findings if f.check == "correlated_channels"]
    assert [f.subject for f in flagged] == [f"{a} & {b}"]
    assert flagged[0].value > 0.9
    assert f"{a} and {b} correlate at" in flagged[0].message
    vif = dict(zip(*rep.collinearity.vif.select("term", "vif"), strict=True))
    assert vif[a] > 10
    assert vif[b] > 10
    others = [c for c in ds.channels if c not in pair]
    assert all(vif[c] < 5 for c in others)


def test_independent_channels_flag_no_pair_and_the_report_reads_well(
    sim: tuple[MMMDataSet, SimulationTruth],
) -> None:
    ds, _ = sim
    rep = eda.report(ds)
    assert rep.collinear_pairs == []
    text = str(rep)
    assert text.startswith("EDA report: passed")
    for channel in ds.channels:
        assert channel in text
    frame = rep.to_frame()
    assert frame.columns == ["check", "severity", "subject", "value", "message"]
    order = {"critical": 0, "warning": 1, "info": 2}
    ranks = [order[s] for s in frame["severity"]]
    assert ranks == sorted(ranks)
    assert rep.profile.columns["spend_share"].drop_nulls().sum() == pytest.approx(1.0)
    # the pieces agree with each other
    assert rep.correlations.labels[0] == ds.kpi_column
    assert rep.lagged.height == len(ds.channels) * (16 + 1)
    assert rep.ridge.cv is not None
    assert rep.ols.design is rep.ridge.design


def test_a_model_spec_gives_the_same_report_as_the_defaults(
    sim: tuple[MMMDataSet, SimulationTruth],
) -> None:
    ds, _ = sim
    default, explicit = eda.report(ds), eda.report(ds, ModelSpec.default(ds))
    assert explicit.features.from_spec
    assert not default.features.from_spec
    assert explicit.findings == default.findings
    np.testing.assert_array_equal(explicit.ridge.fit.coef, default.ridge.fit.coef)
    assert explicit.profile.adequacy == default.profile.adequacy


def test_duplicated_control_and_flat_spend_are_flagged(
    sim: tuple[MMMDataSet, SimulationTruth],
) -> None:
    ds, _ = sim
    price = ds.frame["control__price"].to_numpy()
    flat = np.full(ds.n_periods, 5000.0) + np.arange(ds.n_periods) % 2  # CV ~ 1e-4
    rep = eda.report(_with(ds, control__price_copy=2.0 * price + 1.0, spend__search=flat))
    checks = {(f.check, f.subject): f.severity for f in rep.findings}
    assert checks[("rank", "design")] == "critical"
    assert checks[("spend_variation", "search")] == "warning"
    assert not rep.passed
    assert np.isinf(rep.collinearity.vif.filter(pl.col("term") == "price_copy")["vif"][0])


def test_thin_data_are_critical_and_the_pymc_example_passes() -> None:
    with pytest.warns(DataContractWarning, match="fewer than the recommended"):
        ds, _ = simulate(n_weeks=52, n_channels=10, seed=0)
    thin = eda.report(ds, folds=2)
    (adequacy,) = [f for f in thin.findings if f.check == "adequacy"]
    assert adequacy.severity == "critical"
    assert adequacy.value == pytest.approx(52 / thin.profile.adequacy.n_parameters)
    shown = math.floor(100 * adequacy.value) / 100
    assert f"({shown:.2f} per parameter, below 2)" in adequacy.message
    example = eda.report(load_example("pymc_marketing"))
    assert example.passed
    assert example.ridge.r2 > 0.9
    assert [f.subject for f in example.findings if f.check == "off_stretch"] == ["x2"]


def test_bad_thresholds_and_specs_are_rejected(sim: tuple[MMMDataSet, SimulationTruth]) -> None:
    with pytest.raises(ValueError, match="pair_warning <= pair_critical"):
        eda.EDAThresholds(pair_warning=0.99, pair_critical=0.9)
    ds, _ = sim
    with pytest.raises(ValueError, match="do not fit"):
        eda.report(ds, folds=60)
