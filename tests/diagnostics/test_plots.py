"""Diagnostic plots: what is drawn is the fit's draws, ranks, R-hat/ESS and predictions."""

from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pytest
from matplotlib.dates import date2num
from scipy import stats

import mmm.diagnostics._plots as plots_module
from mmm.diagnostics._plots import (
    plot_convergence,
    plot_fit,
    plot_ppc,
    plot_ppc_density,
    plot_rank,
    plot_residuals,
    plot_trace,
)
from mmm.modeling import ModelSpec, Prediction, fit, predict
from mmm.modeling._arviz import arviz

az = arviz()

CHAINS, DRAWS = 3, 40


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def spec(short_ds):
    return ModelSpec.default(short_ds)


@pytest.fixture(scope="module")
def given(spec, short_ds, make_chains):
    """Draws with known structure: 3 chains; ``media/adstock/alpha[search]`` chain 2 is off."""
    rng = np.random.default_rng(11)
    alpha = rng.uniform(0.2, 0.8, size=(CHAINS, DRAWS, 2))
    alpha[2, :, 1] += 5.0  # a chain stuck elsewhere: by far the worst R-hat
    samples = {
        "media/adstock/alpha": alpha,
        "yearly/coef": rng.normal(size=(CHAINS, DRAWS, 4)),
        "kpi/sigma": rng.gamma(2.0, 0.1, size=(CHAINS, DRAWS)),
        "media/coef": rng.normal(size=(CHAINS, DRAWS, 2)),  # deterministic under a share effect
    }
    diverging = np.zeros((CHAINS, DRAWS), dtype=bool)
    diverging[1, [3, 17]] = True
    diverging[0, 30] = True
    return make_chains(spec, short_ds, samples, {"diverging": diverging}), samples


GIVEN_LABELS = [  # model order of the free sites, coordinates from the spec
    "media/adstock/alpha[tv]",
    "media/adstock/alpha[search]",
    "yearly/coef[yearly_sin_1]",
    "yearly/coef[yearly_cos_1]",
    "yearly/coef[yearly_sin_2]",
    "yearly/coef[yearly_cos_2]",
    "kpi/sigma",
]


def given_draws(samples):
    """(label, (chain, draw)) in model order, built by hand."""
    a, y = samples["media/adstock/alpha"], samples["yearly/coef"]
    columns = [a[..., 0], a[..., 1], *(y[..., j] for j in range(4)), samples["kpi/sigma"]]
    return dict(zip(GIVEN_LABELS, columns, strict=True))


@pytest.fixture(scope="module")
def real(spec, short_ds):
    fitted = fit(spec, short_ds, chains=2, draws=100, tune=100, seed=0, progress_bar=False)
    return fitted, predict(fitted, seed=0)


def observed_of(ds):
    return ds.frame[ds.kpi_column].to_numpy().astype(np.float64)


# ----------------------------------------------------------------------------- trace


def test_trace_rows_lines_and_densities_are_the_draws(given):
    fitted, samples = given
    fig = plot_trace(fitted, order="model")
    axes = np.array(fig.axes).reshape(-1, 2)
    expected = given_draws(samples)
    assert axes.shape == (len(GIVEN_LABELS), 2)  # media/coef is not free: left out
    assert [ax.get_title(loc="left") for ax in axes[:, 0]] == GIVEN_LABELS
    for (left, right), draws in zip(axes, expected.values(), strict=True):
        for c in range(CHAINS):
            np.testing.assert_array_equal(left.lines[c].get_ydata(), draws[c])
            np.testing.assert_array_equal(left.lines[c].get_xdata(), np.arange(DRAWS))
            grid, density = right.lines[c].get_xdata(), right.lines[c].get_ydata()
            assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=0.01)
            np.testing.assert_allclose(
                density, stats.gaussian_kde(draws[c])(grid), rtol=1e-6, atol=1e-12
            )
    assert axes[-1, 0].get_xlabel() == "iteration"
    assert fig.get_suptitle() == "Trace"
    plt.close(fig)


def test_trace_marks_the_divergent_iterations(given):
    fitted, _ = given
    fig = plot_trace(fitted, sites="kpi/sigma")
    (left, _right) = fig.axes
    marks = [line for line in left.lines if line.get_label() == "divergent"]
    assert len(marks) == 1
    assert sorted(marks[0].get_xdata().tolist()) == [3, 17, 30]
    plt.close(fig)


def test_trace_puts_worst_rhat_first_and_caps(given):
    fitted, samples = given
    reference = {k: float(az.rhat(v)) for k, v in given_draws(samples).items()}
    worst_first = sorted(reference, key=reference.get, reverse=True)
    assert worst_first[0] == "media/adstock/alpha[search]"  # the stuck chain
    fig = plot_trace(fitted, max_params=3)
    titles = [ax.get_title(loc="left") for ax in fig.axes[::2]]
    assert titles == worst_first[:3]
    assert "3 of 7 parameters" in fig.get_suptitle()
    plt.close(fig)


def test_trace_sites_restrict_and_unknown_raises(given):
    fitted, samples = given
    fig = plot_trace(fitted, sites=["kpi/sigma", "media/coef"], order="model")
    titles = [ax.get_title(loc="left") for ax in fig.axes[::2]]
    assert titles == ["kpi/sigma", "media/coef[tv]", "media/coef[search]"]
    np.testing.assert_array_equal(fig.axes[4].lines[1].get_ydata(), samples["media/coef"][1, :, 1])
    plt.close(fig)
    with pytest.raises(ValueError, match=r"'media/nope'.*kpi/sigma"):
        plot_trace(fitted, sites=["kpi/sigma", "media/nope"])
    with pytest.raises(ValueError, match="sites"):
        plot_trace(fitted, sites=[])
    with pytest.raises(ValueError, match="max_params=0"):
        plot_trace(fitted, max_params=0)
    with pytest.raises(ValueError, match="order='alphabetical'"):
        plot_trace(fitted, order="alphabetical")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- rank


def rank_counts(ax, edges=None):
    (steps,) = [p for p in ax.patches if p.get_label() == "ranks"]
    if edges is not None:
        np.testing.assert_allclose(steps.get_data().edges, edges)
    return np.asarray(steps.get_data().values)


def test_rank_histograms_count_each_chains_ranks(given):
    fitted, samples = given
    bins = 8
    fig = plot_rank(fitted, bins=bins, order="model")
    axes = np.array(fig.axes).reshape(-1, CHAINS)
    assert axes.shape == (len(GIVEN_LABELS), CHAINS)
    assert [ax.get_ylabel() for ax in axes[:, 0]] == GIVEN_LABELS
    edges = np.linspace(0, CHAINS * DRAWS, bins + 1)
    for row, draws in zip(axes, given_draws(samples).values(), strict=True):
        ranks = (stats.rankdata(draws.reshape(-1)) - 1).reshape(CHAINS, DRAWS)  # no ties
        for c, ax in enumerate(row):
            heights = rank_counts(ax, edges)
            assert heights.sum() == DRAWS
            np.testing.assert_array_equal(heights, np.histogram(ranks[c], edges)[0])
            expected = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
            assert expected[0].get_ydata()[0] == pytest.approx(DRAWS / bins)
    # The stuck chain holds all the top ranks of alpha[search]: its histogram is one-sided.
    stuck = rank_counts(axes[1, 2])
    assert stuck[: bins // 2 + 1].sum() == 0
    assert [ax.get_title() for ax in axes[0]] == [f"chain {c}" for c in range(CHAINS)]
    plt.close(fig)


def test_rank_validates_bins(given):
    fitted, _ = given
    with pytest.raises(ValueError, match="bins=0"):
        plot_rank(fitted, bins=0)
    with pytest.raises(ValueError, match="max_params=-1"):
        plot_rank(fitted, max_params=-1)


# ----------------------------------------------------------------------------- convergence


FRAME = pl.DataFrame(
    {
        "parameter": ["a[tv]", "a[search]", "sigma", "b"],
        "rhat": [1.002, 1.08, 1.011, 0.999],
        "ess_bulk": [950.0, 35.0, 420.0, 1200.0],
        "ess_tail": [800.0, 20.0, 390.0, 1100.0],
    }
)


def bars_of(ax, label):
    (container,) = [c for c in ax.containers if c.get_label() == label]
    return list(container)


def test_convergence_flags_exactly_the_rhat_above_threshold():
    fig = plot_convergence(FRAME)
    ax_r, ax_e = fig.axes
    bad = bars_of(ax_r, "R-hat > 1.01")
    good = bars_of(ax_r, "R-hat ≤ 1.01")
    assert sorted(round(b.get_y() + b.get_height() / 2) for b in bad) == [1, 2]
    assert sorted(round(b.get_y() + b.get_height() / 2) for b in good) == [0, 3]
    ends = {round(b.get_y() + b.get_height() / 2): b.get_x() + b.get_width() for b in bad + good}
    np.testing.assert_allclose([ends[i] for i in range(4)], FRAME["rhat"].to_numpy())
    assert bad[0].get_facecolor() != good[0].get_facecolor()
    assert [t.get_text() for t in ax_r.get_yticklabels()] == FRAME["parameter"].to_list()
    np.testing.assert_allclose(
        [b.get_width() for b in bars_of(ax_e, "bulk ESS")], FRAME["ess_bulk"].to_numpy()
    )
    np.testing.assert_allclose(
        [b.get_width() for b in bars_of(ax_e, "tail ESS")], FRAME["ess_tail"].to_numpy()
    )
    assert ax_r.lines[0].get_xdata()[0] == pytest.approx(1.01)
    assert ax_e.lines[0].get_xdata()[0] == pytest.approx(400.0)
    assert "R-hat" in ax_r.get_title()
    assert "ESS" in ax_e.get_title()
    plt.close(fig)


@dataclasses.dataclass
class Thresholds:
    rhat: float
    ess: float


@dataclasses.dataclass
class Report:
    frame: pl.DataFrame
    thresholds: Thresholds

    def to_frame(self) -> pl.DataFrame:
        return self.frame


def test_convergence_takes_the_reports_thresholds_unless_given():
    report = Report(FRAME, Thresholds(rhat=1.05, ess=100.0))
    fig = plot_convergence(report)
    ax_r, ax_e = fig.axes
    assert len(bars_of(ax_r, "R-hat > 1.05")) == 1  # only a[search]
    assert ax_e.lines[0].get_xdata()[0] == pytest.approx(100.0)
    plt.close(fig)
    fig = plot_convergence(report, rhat_threshold=1.0, ess_threshold=1000.0)
    ax_r, ax_e = fig.axes
    assert len(bars_of(ax_r, "R-hat > 1")) == 3
    assert ax_e.lines[0].get_xdata()[0] == pytest.approx(1000.0)
    plt.close(fig)


def test_convergence_rejects_bad_reports():
    with pytest.raises(ValueError, match="ess_tail"):
        plot_convergence(FRAME.drop("ess_tail"))
    with pytest.raises(ValueError, match="report"):
        plot_convergence({"parameter": ["a"]})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no rows"):
        plot_convergence(FRAME.clear())


# ----------------------------------------------------------------------------- real fit


@pytest.mark.slow  # shares one NUTS fit (~15 s on 2 cores)
def test_real_fit_rows_are_the_scalar_free_parameters(real):
    fitted, _ = real
    n_scalar = sum(int(np.prod(v.shape[2:])) for v in fitted.free_samples().values())
    assert n_scalar == 16  # 3 x 2 media, level, trend, 4 yearly, 2 controls, 1 event, sigma
    fig = plot_trace(fitted)
    assert len(fig.axes) == 2 * 12  # capped at max_params
    plt.close(fig)
    fig = plot_trace(fitted, max_params=100, order="model")
    titles = [ax.get_title(loc="left") for ax in fig.axes[::2]]
    assert len(titles) == n_scalar
    assert titles[:2] == ["media/adstock/alpha[tv]", "media/adstock/alpha[search]"]
    assert "controls/coef[price]" in titles
    np.testing.assert_array_equal(
        fig.axes[2].lines[1].get_ydata(), fitted.samples["media/adstock/alpha"][1, :, 1]
    )
    plt.close(fig)
    fig = plot_rank(fitted, sites="media/saturation/lam")
    for ax in fig.axes:
        assert rank_counts(ax).sum() == fitted.n_draws
    plt.close(fig)


@pytest.mark.slow  # shares one NUTS fit (~15 s on 2 cores)
def test_fit_plot_draws_observed_mean_and_bands(real, short_ds):
    fitted, pred = real
    levels = (0.5, 0.9)
    ax = plot_fit(fitted, levels=levels, prediction=pred)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), observed_of(short_ds), rtol=1e-5)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), pred.mean.mean(axis=0), rtol=1e-6)
    x = date2num(np.asarray(pred.dates, dtype="datetime64[D]"))
    for level in levels:
        (band,) = [c for c in ax.collections if c.get_label() == f"{level:.0%} predictive"]
        vertices = np.concatenate([p.vertices for p in band.get_paths()])
        lower, upper = pred.interval(level)
        for t in range(len(x)):
            ys = vertices[np.isclose(vertices[:, 0], x[t]), 1]
            assert ys.min() == pytest.approx(lower[t], rel=1e-6)
            assert ys.max() == pytest.approx(upper[t], rel=1e-6)
    assert ax.get_ylabel() == "revenue"
    assert "revenue" in ax.get_title()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["observed revenue", "posterior mean", "90% predictive", "50% predictive"]
    plt.close(ax.figure)


@pytest.mark.slow  # shares one NUTS fit (~15 s on 2 cores)
def test_residuals_are_observed_minus_mean(real, short_ds):
    fitted, pred = real
    ax = plot_residuals(fitted, prediction=pred)
    residual = observed_of(short_ds) - pred.mean.mean(axis=0)
    scale = np.abs(observed_of(short_ds)).mean()  # float32 KPI: ~1e-7 of its scale
    np.testing.assert_allclose(ax.lines[0].get_ydata(), residual, rtol=0, atol=1e-5 * scale)
    assert ax.lines[1].get_ydata()[0] == 0.0
    assert "revenue" in ax.get_ylabel()
    plt.close(ax.figure)


@pytest.mark.slow  # shares one NUTS fit (~15 s on 2 cores)
def test_ppc_density_draws_replicates_and_observed(real, short_ds):
    fitted, pred = real
    ax = plot_ppc_density(fitted, n_draws=7, prediction=pred, seed=3)
    assert len(ax.lines) == 8
    grid = ax.lines[-1].get_xdata()
    observed = observed_of(short_ds)
    np.testing.assert_allclose(
        ax.lines[-1].get_ydata(), stats.gaussian_kde(observed)(grid), rtol=1e-4
    )
    replicated = [stats.gaussian_kde(d.astype(np.float64))(grid) for d in pred.draws]
    for line in ax.lines[:-1]:  # each thin line is the density of one predictive draw
        assert min(np.abs(line.get_ydata() - r).max() for r in replicated) < 1e-4 * max(
            line.get_ydata()
        )
    assert ax.get_xlabel() == "revenue"
    plt.close(ax.figure)
    ax = plot_ppc_density(fitted, n_draws=10_000, prediction=pred)
    assert len(ax.lines) == pred.draws.shape[0] + 1  # all draws, no more
    plt.close(ax.figure)


@pytest.mark.slow  # shares one NUTS fit (~15 s on 2 cores)
def test_ppc_computes_the_prediction_once(real, monkeypatch):
    fitted, pred = real
    calls = []

    def counting(f, *, seed):
        calls.append(seed)
        return pred

    monkeypatch.setattr(plots_module, "predict", counting)
    fig = plot_ppc(fitted, seed=5)
    assert calls == [5]
    fit_ax, resid_ax, density_ax = fig.axes
    assert fit_ax.get_ylabel() == "revenue"
    assert resid_ax.get_title().startswith("Residuals")
    assert density_ax.get_xlabel() == "revenue"
    assert len(fit_ax.collections) == 2
    plt.close(fig)


@pytest.mark.slow  # shares one NUTS fit (~15 s on 2 cores)
def test_panels_draw_into_a_given_axes(real):
    fitted, pred = real
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3)
    before = plt.get_fignums()
    assert plot_fit(fitted, ax=ax1, prediction=pred) is ax1
    assert plot_residuals(fitted, ax=ax2, prediction=pred) is ax2
    assert plot_ppc_density(fitted, ax=ax3, prediction=pred) is ax3
    assert plt.get_fignums() == before  # no new figure
    assert len(ax2.lines) == 2
    plt.close(fig)


@pytest.mark.slow  # shares one NUTS fit (~15 s on 2 cores)
def test_predictive_plots_validate_arguments(real):
    fitted, pred = real
    with pytest.raises(ValueError, match="levels"):
        plot_fit(fitted, levels=(0.5, 1.0), prediction=pred)
    with pytest.raises(ValueError, match="levels"):
        plot_fit(fitted, levels=(), prediction=pred)
    with pytest.raises(ValueError, match="n_draws=0"):
        plot_ppc_density(fitted, n_draws=0, prediction=pred)
    with pytest.raises(ValueError, match="levels"):
        plot_ppc(fitted, levels=(0.0,))
    future = Prediction(dates=pred.dates[:10], mean=pred.mean[:, :10], draws=pred.draws[:, :10])
    with pytest.raises(ValueError, match="training window"):
        plot_residuals(fitted, prediction=future)


@pytest.mark.slow  # shares one NUTS fit (~15 s on 2 cores)
def test_figures_do_not_accumulate(real, given):
    fitted, pred = real
    before = plt.get_fignums()
    for _ in range(2):
        plt.close(plot_trace(given[0]))
        plt.close(plot_rank(given[0]))
        plt.close(plot_convergence(FRAME))
        plt.close(plot_fit(fitted, prediction=pred).figure)
        plt.close(plot_ppc_density(fitted, prediction=pred).figure)
    assert plt.get_fignums() == before
