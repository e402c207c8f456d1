"""Decomposition: identity per draw, a numpy recomputation, truth, aggregation."""

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from mmm.datasets import SimulationTruth
from mmm.modeling import FittedMMM, draw_totals
from mmm.results import (
    calendar_windows,
    component_index,
    contributions,
    contributions_by_period,
    decompose,
)


def _numpy_components(f: FittedMMM, draw: int) -> dict[str, np.ndarray]:
    """One draw's components by hand: geometric adstock + logistic saturation, numpy loops."""
    p = {k: np.asarray(v[draw], dtype=np.float64) for k, v in f.flat_samples().items()}
    d = f.design
    x = np.asarray(d.media, dtype=np.float64)
    scale = float(d.scalings.kpi.scale)
    out = {}
    l_max = f.spec.media[0].adstock.l_max
    for c, channel in enumerate(f.spec.channels):
        alpha, lam = p["media/adstock/alpha"][c], p["media/saturation/lam"][c]
        w = alpha ** np.arange(l_max)
        w = w / w.sum()
        carried = np.array(
            [sum(w[k] * x[t - k, c] for k in range(l_max) if t >= k) for t in range(len(x))]
        )
        unit = (1 - np.exp(-lam * carried)) / (1 + np.exp(-lam * carried))
        out[channel] = unit * p["media/coef"][c] * scale
    for b, features in zip(f.spec.baseline, d.baseline, strict=True):
        coef = p[f"{b.name}/coef"]
        contribution = np.asarray(features, dtype=np.float64) * coef[None, :] * scale
        if b.split_features:
            for j, label in enumerate(d.baseline_labels[f.spec.baseline.index(b)]):
                out[label] = contribution[:, j]
        else:
            out[b.name] = contribution.sum(axis=1)
    return out


def test_components_sum_to_the_fitted_mean_per_draw(
    fitted_sim: tuple[FittedMMM, SimulationTruth],
) -> None:
    f, _ = fitted_sim
    d = decompose(f, chunk_size=128)  # several chunks, the last one padded
    mean = draw_totals(f).mean
    assert d.draws.shape == (600, 156, len(d.index.names))
    np.testing.assert_allclose(d.fitted, mean, rtol=2e-6, atol=2e-6 * np.abs(mean).max())
    assert d.index.names[:5] == f.spec.channels
    assert set(d.index.groups) == {"media", "intercept", "trend", "yearly", "controls", "events"}
    assert "price" in d.index.names  # each control is its own component


@pytest.mark.parametrize("draw", [0, 417])
def test_components_equal_a_numpy_recomputation(
    fitted_sim: tuple[FittedMMM, SimulationTruth], draw: int
) -> None:
    f, _ = fitted_sim
    d = decompose(f)
    reference = _numpy_components(f, draw)
    for j, name in enumerate(d.index.names):
        np.testing.assert_allclose(
            d.draws[draw, :, j], reference[name], rtol=1e-4, atol=1e-4 * f.design.scalings.kpi.scale
        )


def test_posterior_contributions_are_close_to_the_truth(
    fitted_sim: tuple[FittedMMM, SimulationTruth],
) -> None:
    f, truth = fitted_sim
    frame = contributions(f, level=0.9)
    assert frame.columns == ["date", "component", "group", "mean", "median", "lower", "upper"]
    assert frame.height == 156 * len(component_index(f.spec, f.design).names)
    kpi_total = truth.contributions.drop("date").to_numpy().sum()
    for channel in f.spec.channels:
        rows = frame.filter(pl.col("component") == channel)
        estimated = rows["mean"].sum() / kpi_total
        true = truth.contributions[channel].sum() / kpi_total
        assert estimated == pytest.approx(true, abs=0.06), channel  # test_recovery's tolerance
        assert (rows["lower"] <= rows["median"]).all()
        assert (rows["median"] <= rows["upper"]).all()


def test_aggregation_by_period_sums_the_draws(
    fitted_sim: tuple[FittedMMM, SimulationTruth],
) -> None:
    f, _ = fitted_sim
    frame, d = contributions(f, return_draws=True)
    quarterly = contributions_by_period(f, by="quarter", decomposition=d)
    windows = calendar_windows(d.dates, "quarter")
    assert quarterly["window"].unique(maintain_order=True).to_list() == [w.name for w in windows]
    assert sum(w.n_periods for w in windows) == 156
    tv = quarterly.filter(pl.col("component") == "tv")
    first = windows[0]
    sums = d.draws[:, first.first : first.stop, 0].sum(axis=1, dtype=np.float64)
    assert tv["mean"][0] == pytest.approx(sums.mean(), rel=1e-9)
    assert tv["lower"][0] == pytest.approx(np.quantile(sums, 0.05), rel=1e-9)
    # the sum of the period means is the sum of the weekly means
    weekly = frame.filter(pl.col("component") == "tv")["mean"].sum()
    assert tv["mean"].sum() == pytest.approx(weekly, rel=1e-6)
    custom = contributions_by_period(f, by={"h1": (None, "2021-06-30")}, decomposition=d)
    assert custom["window"].unique().to_list() == ["h1"]
    with pytest.raises(ValueError, match="by='fortnight'"):
        contributions_by_period(f, by="fortnight", decomposition=d)  # type: ignore[arg-type]


def test_bounded_memory_paths_give_the_same_numbers(
    fitted_sim: tuple[FittedMMM, SimulationTruth],
) -> None:
    f, _ = fitted_sim
    frame, d = contributions(f, return_draws=True)
    k = len(d.index.names)
    blockwise = contributions(f, memory=600 * k * 4 * 10)  # ten periods per pass: 16 passes
    assert_frame_equal(blockwise, frame)
    chunked = contributions_by_period(f, by="quarter")
    assert_frame_equal(
        chunked, contributions_by_period(f, by="quarter", decomposition=d), rel_tol=1e-9
    )
