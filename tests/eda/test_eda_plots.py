"""The EDA plots draw the report's numbers, labelled, without warnings or stray figures."""

from __future__ import annotations

import dataclasses

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from mmm import eda
from mmm.datasets import simulate
from mmm.eda._plots import (
    channel_colors,
    plot_baselines,
    plot_correlation,
    plot_kpi_spend,
    plot_lagged_correlation,
    plot_spend_share,
    plot_vif,
)


@pytest.fixture(scope="module")
def rep() -> eda.EDAReport:
    ds, _ = simulate(n_weeks=104, n_channels=3, seed=0)
    return eda.report(ds)


def _spend(rep: eda.EDAReport, channel: str) -> np.ndarray:
    return rep.dataset.frame[f"spend__{channel}"].to_numpy()


# --------------------------------------------------------------------------- colours


def test_channel_colors_follow_the_channel_index(rep):
    colors = channel_colors(rep)
    assert list(colors) == rep.dataset.channels
    tab10 = matplotlib.colormaps["tab10"]
    for i, channel in enumerate(rep.dataset.channels):
        assert colors[channel] == pytest.approx(to_rgba(tab10(i)))
    many = channel_colors([f"c{i}" for i in range(25)])
    assert many["c0"] == colors["tv"]  # the first ten keep their colours with more channels
    assert len(set(list(many.values())[:20])) == 20
    assert many["c20"] == many["c0"]


# --------------------------------------------------------------------------- time series


def test_kpi_spend_draws_the_kpi_and_each_channel(rep):
    ds = rep.dataset
    fig = plot_kpi_spend(rep)
    assert isinstance(fig, Figure)
    ax_kpi, ax_spend = fig.axes
    assert ax_kpi.get_ylabel() == ds.kpi
    assert "money" in ax_spend.get_ylabel()
    assert "week" in ax_spend.get_ylabel()
    assert ax_spend.get_xlabel() == "date"
    np.testing.assert_allclose(ax_kpi.lines[0].get_ydata(), ds.frame[ds.kpi_column].to_numpy())
    assert len(ax_spend.lines) == len(ds.channels)
    colors = channel_colors(rep)
    for line, channel in zip(ax_spend.lines, ds.channels, strict=True):
        np.testing.assert_allclose(line.get_ydata(), _spend(rep, channel))
        assert to_rgba(line.get_color()) == pytest.approx(colors[channel])
        assert len(line.get_xdata()) == ds.n_periods
    legend = ax_spend.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ds.channels
    assert ax_kpi.get_shared_x_axes().joined(ax_kpi, ax_spend)
    plt.close(fig)


def test_baselines_draw_actual_and_both_fits(rep):
    fig = plot_baselines(rep)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    actual, ols, ridge = ax.lines
    np.testing.assert_allclose(actual.get_ydata(), rep.ols.actual)
    np.testing.assert_allclose(ols.get_ydata(), rep.ols.fitted)
    np.testing.assert_allclose(ridge.get_ydata(), rep.ridge.fitted)
    assert ax.get_ylabel() == rep.dataset.kpi
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"{rep.ols.r2:.3f}" in texts[1]
    assert texts[1].startswith("OLS")
    assert f"{rep.ridge.r2:.3f}" in texts[2]
    assert texts[2].startswith("ridge")
    plt.close(fig)


def test_single_panel_plots_draw_into_a_given_axes(rep):
    fig, axes = plt.subplots(1, 3, layout="constrained")
    assert plot_baselines(rep, ax=axes[0]) is fig
    assert plot_vif(rep, ax=axes[1]) is fig
    assert plot_spend_share(rep, ax=axes[2]) is fig
    assert plot_correlation(rep, ax=axes[0]) is fig  # adds a colour bar axes
    assert len(fig.axes) == 4
    assert len(plt.get_fignums()) == 1
    plt.close(fig)


# --------------------------------------------------------------------------- correlation


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_correlation_heatmap_shows_the_matrix(rep, method):
    expected = getattr(rep.correlations, method)
    labels = list(rep.correlations.labels)
    k = len(labels)
    fig = plot_correlation(rep, method)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2  # heatmap and colour bar
    ax = fig.axes[0]
    (image,) = ax.images
    values = image.get_array()
    assert values.shape == (k, k)
    np.testing.assert_allclose(np.ma.getdata(values), expected)
    assert image.get_clim() == (-1.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    assert [t.get_text() for t in ax.get_yticklabels()] == labels
    assert len(ax.texts) == k * k
    assert ax.texts[1].get_text() == f"{expected[0, 1]:.2f}"
    assert method.capitalize() in fig.axes[1].get_ylabel()
    plt.close(fig)


def test_correlation_heatmap_leaves_undefined_cells_blank(rep):
    pearson = rep.correlations.pearson.copy()
    pearson[1, :] = pearson[:, 1] = np.nan  # as for a constant column
    broken = dataclasses.replace(
        rep, correlations=dataclasses.replace(rep.correlations, pearson=pearson)
    )
    k = len(rep.correlations.labels)
    fig = plot_correlation(broken, annotate=True)
    values = fig.axes[0].images[0].get_array()
    np.testing.assert_array_equal(np.ma.getmaskarray(values), np.isnan(pearson))
    finite = np.isfinite(pearson)
    np.testing.assert_allclose(np.ma.getdata(values)[finite], pearson[finite])
    assert len(fig.axes[0].texts) == k * k - (2 * k - 1)
    plt.close(fig)


def test_correlation_rejects_an_unknown_method(rep):
    with pytest.raises(ValueError, match=r"method='kendall'.*'pearson', 'spearman'"):
        plot_correlation(rep, "kendall")  # type: ignore[arg-type]


def test_lagged_correlation_one_panel_per_channel(rep):
    ds = rep.dataset
    n = ds.n_periods
    colors = channel_colors(rep)
    for adjusted, column in ((True, "corr_adjusted"), (False, "corr")):
        fig = plot_lagged_correlation(rep, adjusted=adjusted)
        assert isinstance(fig, Figure)
        assert len(fig.axes) == len(ds.channels)
        for ax, channel in zip(fig.axes, ds.channels, strict=True):
            rows = rep.lagged.filter(pl.col("channel") == channel).sort("lag")
            line = ax.lines[0]
            np.testing.assert_array_equal(line.get_xdata(), rows["lag"].to_numpy())
            np.testing.assert_allclose(line.get_ydata(), rows[column].to_numpy())
            assert to_rgba(line.get_color()) == pytest.approx(colors[channel])
            assert ax.get_title().startswith(channel)
            assert ax.get_xlabel() == "lag (weeks)"
            (band,) = ax.collections
            y = band.get_paths()[0].vertices[:, 1]
            max_lag = int(rows["lag"].max())
            assert y.max() == pytest.approx(2 / np.sqrt(n - max_lag))
            assert y.min() == pytest.approx(-2 / np.sqrt(n - max_lag))
        suptitle = fig.get_suptitle()
        assert ("trend and yearly seasonality" in suptitle) is adjusted
        assert ds.kpi in suptitle
        plt.close(fig)


# --------------------------------------------------------------------------- collinearity


def test_vif_bars_on_a_log_axis_with_the_thresholds(rep):
    table = rep.collinearity.vif.filter(pl.col("vif").is_not_nan())
    fig = plot_vif(rep)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert "variance inflation" in ax.get_xlabel()
    bars = ax.patches
    assert len(bars) == table.height == rep.collinearity.vif.height - 1  # not the intercept
    ends = [bar.get_x() + bar.get_width() for bar in bars]
    np.testing.assert_allclose(ends, table["vif"].to_numpy())
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[: len(rep.dataset.channels)] == rep.dataset.channels
    assert not any(t.startswith("intercept") for t in ticks)
    lines = {float(line.get_xdata()[0]) for line in ax.lines}
    assert lines == {rep.thresholds.vif_warning, rep.thresholds.vif_critical}
    colors = channel_colors(rep)
    for bar, kind, component in zip(bars, table["kind"], table["component"], strict=True):
        if kind == "media":
            assert bar.get_facecolor() == pytest.approx(colors[component])
        else:
            assert bar.get_facecolor() == pytest.approx(to_rgba("0.72"))
    plt.close(fig)


def test_vif_draws_an_infinite_vif_at_the_edge(rep):
    vif = rep.collinearity.vif.with_columns(
        pl.when(pl.col("term") == "search").then(np.inf).otherwise(pl.col("vif")).alias("vif")
    )
    broken = dataclasses.replace(rep, collinearity=dataclasses.replace(rep.collinearity, vif=vif))
    fig = plot_vif(broken)
    ax = fig.axes[0]
    search = rep.dataset.channels.index("search")
    bar = ax.patches[search]
    assert bar.get_x() + bar.get_width() == pytest.approx(ax.get_xlim()[1])
    assert np.isfinite(bar.get_width())
    assert "inf" in [t.get_text() for t in ax.texts]
    plt.close(fig)


# --------------------------------------------------------------------------- shares


@pytest.mark.parametrize("baseline", ["ridge", "ols"])
def test_spend_share_bars_are_the_profile_and_baseline_shares(rep, baseline):
    channels = rep.dataset.channels
    profile = rep.profile.columns.filter(pl.col("role") == "spend")
    share = dict(zip(profile["column"], profile["spend_share"], strict=True))
    table = (rep.ridge if baseline == "ridge" else rep.ols).channels()
    contribution = dict(zip(table["channel"], table["contribution"], strict=True))
    total = sum(contribution.values())
    fig = plot_spend_share(rep, baseline=baseline)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    spend_bars, contribution_bars = ax.containers
    np.testing.assert_allclose(
        [b.get_height() for b in spend_bars], [share[f"spend__{c}"] for c in channels]
    )
    np.testing.assert_allclose(
        [b.get_height() for b in contribution_bars], [contribution[c] / total for c in channels]
    )
    assert sum(b.get_height() for b in contribution_bars) == pytest.approx(1.0)
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)
    assert "%" in ax.get_ylabel()
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert [t.split("\n")[0] for t in ticks] == channels
    colors = channel_colors(rep)
    for bar, channel in zip(spend_bars, channels, strict=True):
        assert bar.get_facecolor() == pytest.approx(colors[channel])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "share of spend"
    assert ("ridge" if baseline == "ridge" else "OLS") in legend[1]
    plt.close(fig)


def test_spend_share_rejects_an_unknown_baseline(rep):
    with pytest.raises(ValueError, match=r"baseline='lasso'.*'ridge', 'ols'"):
        plot_spend_share(rep, baseline="lasso")  # type: ignore[arg-type]
