"""The results plots draw the results tables' numbers, labelled, without stray figures."""

from __future__ import annotations

import dataclasses
import itertools

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from mmm.datasets import SimulationTruth
from mmm.eda import channel_colors
from mmm.modeling import FittedMMM
from mmm.results import (
    Decomposition,
    adstock_curves,
    decompose,
    resolve_window,
    response_curves,
    roi_table,
)
from mmm.results._plots import (
    plot_adstock,
    plot_contributions,
    plot_fit,
    plot_response_curves,
    plot_roi,
    plot_waterfall,
)

METRICS = ("roi", "mroas", "cost_per_kpi", "share", "contribution")


@pytest.fixture(scope="module")
def fitted(fitted_sim: tuple[FittedMMM, SimulationTruth]) -> FittedMMM:
    return fitted_sim[0]


@pytest.fixture(scope="module")
def decomposition(fitted: FittedMMM) -> Decomposition:
    return decompose(fitted)


@pytest.fixture(scope="module")
def table(fitted: FittedMMM) -> pl.DataFrame:
    return roi_table(fitted)


@pytest.fixture(scope="module")
def curves(fitted: FittedMMM) -> pl.DataFrame:
    return response_curves(fitted)


@pytest.fixture(scope="module")
def adstock(fitted: FittedMMM) -> pl.DataFrame:
    return adstock_curves(fitted)


def _actual(f: FittedMMM) -> np.ndarray:
    return f.dataset.frame[f.dataset.kpi_column].to_numpy().astype(float)


def _band(collection) -> np.ndarray:
    """The vertices ``(x, y)`` of a ``fill_between`` area."""
    return np.concatenate([p.vertices for p in collection.get_paths()])


# --------------------------------------------------------------------------- fit


def test_fit_draws_the_actual_kpi_and_the_fitted_band(fitted, decomposition):
    fig = plot_fit(fitted, level=0.8, decomposition=decomposition)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    actual, mean = ax.lines
    np.testing.assert_allclose(actual.get_ydata(), _actual(fitted))
    np.testing.assert_allclose(mean.get_ydata(), decomposition.fitted.mean(axis=0))
    assert len(mean.get_xdata()) == fitted.dataset.n_periods
    lower, upper = np.quantile(decomposition.fitted, [0.1, 0.9], axis=0)
    y = _band(ax.collections[0])[:, 1]
    assert y.min() == pytest.approx(lower.min())
    assert y.max() == pytest.approx(upper.max())
    assert (lower <= mean.get_ydata()).all()
    assert (mean.get_ydata() <= upper).all()
    kpi = fitted.dataset.kpi
    assert ax.get_ylabel() == kpi
    assert ax.get_xlabel() == "date"
    assert "R²" in ax.get_title()
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == [f"actual {kpi}", "fitted (posterior mean)", "80% interval"]
    plt.close(fig)


def test_fit_checks_level_and_the_decomposition(fitted, decomposition):
    with pytest.raises(ValueError, match="level"):
        plot_fit(fitted, level=1.5, decomposition=decomposition)
    shorter = dataclasses.replace(
        decomposition, dates=decomposition.dates[:-1], draws=decomposition.draws[:, :-1]
    )
    for plot in (plot_fit, plot_contributions, plot_waterfall):
        with pytest.raises(ValueError, match="decompose"):
            plot(fitted, decomposition=shorter)
        with pytest.raises(ValueError, match="decompose"):
            plot(fitted, decomposition=decomposition.draws)


# --------------------------------------------------------------------------- contributions


def test_contributions_stack_baseline_then_channels(fitted, decomposition):
    fig = plot_contributions(fitted, decomposition=decomposition)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    kpi = fitted.dataset.kpi
    assert ax.get_ylabel() == kpi
    np.testing.assert_allclose(ax.lines[0].get_ydata(), _actual(fitted))
    means = decomposition.draws.mean(axis=0, dtype=np.float64)
    groups = np.array(decomposition.index.groups)
    channels = fitted.spec.channels
    baseline = means[:, ~np.isin(groups, ["media", "organic"])].sum(axis=1)
    layers = np.column_stack([baseline, means[:, groups == "media"]])  # (time, layer)
    n_areas = int((layers > 0).any(axis=0).sum() + (layers < 0).any(axis=0).sum())
    assert len(ax.collections) == n_areas
    # the stack's top edge is the sum of the positive mean contributions, period by period
    vertices = np.concatenate([_band(c) for c in ax.collections])
    x = mdates.date2num(np.asarray(decomposition.dates, dtype="datetime64[D]"))
    for t in (0, 40, 100, len(x) - 1):
        at = vertices[np.isclose(vertices[:, 0], x[t]), 1]
        assert at.max() == pytest.approx(np.maximum(layers[t], 0.0).sum(), rel=1e-9)
        assert at.min() == pytest.approx(min(np.minimum(layers[t], 0.0).sum(), 0.0), abs=1e-6)
    # the channels' areas in their EDA colours, above the grey baseline
    colors = channel_colors(fitted.dataset.channels)
    areas = ax.collections[-len(channels) :]
    for area, channel in zip(areas, channels, strict=True):
        assert area.get_label() == channel
        assert tuple(area.get_facecolor()[0]) == pytest.approx(colors[channel])
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == [f"actual {kpi}", *channels[::-1], "baseline"]
    plt.close(fig)


def test_contributions_stack_negative_parts_below_zero(fitted, decomposition):
    draws = decomposition.draws.copy()
    intercept = decomposition.index.names.index("intercept")
    draws[:, ::2, intercept] -= 4.0 * draws[:, ::2, intercept].mean()  # baseline < 0 at even t
    negative = dataclasses.replace(decomposition, draws=draws)
    fig = plot_contributions(fitted, decomposition=negative)
    ax = fig.axes[0]
    labels = [c.get_label() for c in ax.collections]
    assert labels[:2] == ["baseline", "baseline (negative)"]
    means = draws.mean(axis=0, dtype=np.float64)
    groups = np.array(negative.index.groups)
    baseline = means[:, ~np.isin(groups, ["media", "organic"])].sum(axis=1)
    assert (baseline[::2] < 0).all()
    below = _band(ax.collections[1])
    x = mdates.date2num(np.asarray(negative.dates, dtype="datetime64[D]"))
    at = below[np.isclose(below[:, 0], x[0]), 1]
    assert at.min() == pytest.approx(baseline[0], rel=1e-9)
    assert at.max() == 0.0
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.0, 0.0])  # the zero line
    plt.close(fig)


# --------------------------------------------------------------------------- waterfall


def test_waterfall_steps_from_each_group_to_the_fitted_total(fitted, decomposition):
    fig = plot_waterfall(fitted, decomposition=decomposition)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    groups = decomposition.index.groups
    baseline = list(dict.fromkeys(g for g in groups if g not in ("media", "organic")))
    assert baseline[:3] == ["intercept", "trend", "yearly"]
    names = [*baseline, *fitted.spec.channels, "total"]
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    bars = ax.patches
    assert len(bars) == len(names)
    total = float(decomposition.fitted.mean(axis=0).sum())
    assert bars[-1].get_y() == 0.0
    assert bars[-1].get_height() == pytest.approx(total, rel=1e-9)
    sums = decomposition.draws.sum(axis=1, dtype=np.float64).mean(axis=0)
    for i, channel in enumerate(fitted.spec.channels):
        bar = bars[len(baseline) + i]
        assert bar.get_height() == pytest.approx(sums[decomposition.index.names.index(channel)])
    intercept = sums[decomposition.index.of_group("intercept")].sum()
    assert bars[0].get_height() == pytest.approx(intercept)
    for before, after in itertools.pairwise(bars[:-1]):  # floating steps
        assert after.get_y() == pytest.approx(before.get_y() + before.get_height())
    assert bars[-2].get_y() + bars[-2].get_height() == pytest.approx(total, rel=1e-9)
    colors = channel_colors(fitted.dataset.channels)
    for i, channel in enumerate(fitted.spec.channels):
        assert bars[len(baseline) + i].get_facecolor() == pytest.approx(colors[channel])
    labels = [t.get_text() for t in ax.texts]
    assert len(labels) == len(names)
    assert labels[-1].endswith("100.0%")
    assert fitted.dataset.kpi in ax.get_ylabel()
    plt.close(fig)


def test_waterfall_of_a_window_sums_that_window(fitted, decomposition):
    window = ("2023-01-01", None)
    fig = plot_waterfall(fitted, decomposition=decomposition, window=window)
    w = resolve_window(list(decomposition.dates), window)
    total = float(decomposition.fitted[:, w.first : w.stop].mean(axis=0).sum())
    assert fig.axes[0].patches[-1].get_height() == pytest.approx(total, rel=1e-9)
    assert str(w.start) in fig.axes[0].get_title()
    plt.close(fig)
    with pytest.raises(ValueError, match="window"):
        plot_waterfall(fitted, decomposition=decomposition, window=("2030-01-01", None))


# --------------------------------------------------------------------------- ROI


@pytest.mark.parametrize("metric", METRICS)
def test_roi_forest_draws_each_channels_interval_and_point(fitted, table, metric):
    fig = plot_roi(fitted, metric, table=table)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    channels = table["channel"].to_list()
    k = len(channels)
    colors = channel_colors(fitted.dataset.channels)
    for i, channel in enumerate(channels):
        line = ax.lines[i]
        np.testing.assert_allclose(
            line.get_xdata(), [table[f"{metric}_lower"][i], table[f"{metric}_upper"][i]]
        )
        np.testing.assert_allclose(line.get_ydata(), [i, i])
        assert to_rgba(line.get_color()) == pytest.approx(colors[channel])
    means, medians = ax.collections[0].get_offsets(), ax.collections[1].get_offsets()
    np.testing.assert_allclose(means[:, 0], table[f"{metric}_mean"].to_numpy())
    np.testing.assert_allclose(medians[:, 0], table[f"{metric}_median"].to_numpy())
    if metric in ("roi", "mroas"):  # break-even
        assert len(ax.lines) == k + 1
        np.testing.assert_allclose(ax.lines[-1].get_xdata(), [1.0, 1.0])
    else:
        assert len(ax.lines) == k
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert [t.split("\n")[0] for t in ticks] == channels
    kpi = fitted.dataset.kpi
    assert kpi in ax.get_xlabel()
    if metric in ("roi", "mroas", "cost_per_kpi"):
        assert "money" in ax.get_xlabel()
    if metric == "share":
        assert isinstance(ax.xaxis.get_major_formatter(), PercentFormatter)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[:3] == ["90% interval", "posterior mean", "posterior median"]
    plt.close(fig)


def test_roi_rejects_bad_options_and_tables(fitted, table):
    with pytest.raises(ValueError, match=r"metric='roas'.*'roi', 'mroas', 'cost_per_kpi'"):
        plot_roi(fitted, "roas", table=table)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level"):
        plot_roi(fitted, table=table, level=0.0)
    with pytest.raises(ValueError, match=r"\['roi_lower'\]"):
        plot_roi(fitted, table=table.drop("roi_lower"))
    two = pl.concat([table, table.with_columns(pl.lit("other").alias("window"))])
    with pytest.raises(ValueError, match="2 windows"):
        plot_roi(fitted, table=two)
    with pytest.raises(ValueError, match="polars frame"):
        plot_roi(fitted, table=table.to_dicts())  # type: ignore[arg-type]


def test_roi_channel_without_spend_has_no_interval(fitted, table):
    nan = table.with_columns(
        pl.when(pl.col("channel") == "tv").then(float("nan")).otherwise(pl.col(c)).alias(c)
        for c in ("roi_mean", "roi_median", "roi_lower", "roi_upper")
    )
    fig = plot_roi(fitted, table=nan)
    ax = fig.axes[0]
    assert np.isnan(ax.lines[0].get_xdata()).all()
    assert "n/a" in ax.get_yticklabels()[0].get_text()
    plt.close(fig)


# --------------------------------------------------------------------------- curves


def test_response_curves_one_panel_per_channel_with_the_operating_point(fitted, curves):
    fig = plot_response_curves(fitted, curves=curves)
    assert isinstance(fig, Figure)
    channels = fitted.spec.channels
    assert len(fig.axes) == len(channels)  # 5 panels on a 2 x 3 grid, the extra removed
    colors = channel_colors(fitted.dataset.channels)
    kpi = fitted.dataset.kpi
    for i, (ax, channel) in enumerate(zip(fig.axes, channels, strict=True)):
        rows = curves.filter(pl.col("channel") == channel).sort("spend")
        mean, point = ax.lines
        np.testing.assert_allclose(mean.get_xdata(), rows["spend"].to_numpy())
        np.testing.assert_allclose(mean.get_ydata(), rows["mean"].to_numpy())
        assert to_rgba(mean.get_color()) == pytest.approx(colors[channel])
        y = _band(ax.collections[0])[:, 1]
        assert y.max() == pytest.approx(rows["upper"].max())
        current = rows.filter(pl.col("current"))
        assert point.get_xdata()[0] == pytest.approx(current["spend"][0])
        assert point.get_ydata()[0] == pytest.approx(current["mean"][0])
        assert any(t.get_text().startswith("current") for t in ax.texts)
        assert ax.get_title().startswith(channel)
        if i % 3 == 0:
            assert ax.get_ylabel() == f"incremental {kpi}"
        if i >= len(channels) - 3:
            assert "money units" in ax.get_xlabel()
    plt.close(fig)


def test_response_curves_without_the_operating_point_and_bad_frames(fitted, curves):
    off_grid = curves.with_columns(pl.lit(False).alias("current"))
    fig = plot_response_curves(fitted, curves=off_grid)
    assert all(len(ax.lines) == 1 for ax in fig.axes)
    plt.close(fig)
    with pytest.raises(ValueError, match="current"):
        plot_response_curves(fitted, curves=curves.drop("current"))
    with pytest.raises(ValueError, match="level"):
        plot_response_curves(fitted, curves=curves, level=2.0)


def test_adstock_overlays_each_channels_weights(fitted, adstock):
    fig = plot_adstock(fitted, curves=adstock)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    channels = fitted.spec.channels
    assert len(ax.lines) == len(channels)
    assert len(ax.collections) == len(channels)
    colors = channel_colors(fitted.dataset.channels)
    for line, band, channel in zip(ax.lines, ax.collections, channels, strict=True):
        rows = adstock.filter(pl.col("channel") == channel).sort("lag")
        np.testing.assert_allclose(line.get_xdata(), rows["lag"].to_numpy())
        np.testing.assert_allclose(line.get_ydata(), rows["mean"].to_numpy())
        assert to_rgba(line.get_color()) == pytest.approx(colors[channel])
        assert _band(band)[:, 1].max() == pytest.approx(rows["upper"].max())
        assert line.get_label().startswith(f"{channel} (mean lag")
    assert ax.get_xlabel() == "lag (weeks)"
    assert ax.get_ylabel() == "adstock weight"
    plt.close(fig)


def test_adstock_panels_and_bad_options(fitted, adstock):
    fig = plot_adstock(fitted, curves=adstock, layout="panels")
    channels = fitted.spec.channels
    assert len(fig.axes) == len(channels)
    for ax, channel in zip(fig.axes, channels, strict=True):
        rows = adstock.filter(pl.col("channel") == channel).sort("lag")
        np.testing.assert_allclose(ax.lines[0].get_ydata(), rows["mean"].to_numpy())
        assert ax.get_title().startswith(f"{channel}: mean lag")
    assert fig.axes[0].get_ylabel() == "adstock weight"
    assert fig.axes[-1].get_xlabel() == "lag (weeks)"
    plt.close(fig)
    with pytest.raises(ValueError, match=r"layout='grid'.*\['overlay', 'panels'\]"):
        plot_adstock(fitted, curves=adstock, layout="grid")  # type: ignore[arg-type]
    other, ax = plt.subplots()
    with pytest.raises(ValueError, match="ax"):
        plot_adstock(fitted, curves=adstock, ax=ax, layout="panels")
    plt.close(other)
    with pytest.raises(ValueError, match="lag"):
        plot_adstock(fitted, curves=adstock.drop("lag"))


def test_adstock_computes_its_curves_when_none_are_given(fitted, adstock):
    fig = plot_adstock(fitted)
    for line, channel in zip(fig.axes[0].lines, fitted.spec.channels, strict=True):
        rows = adstock.filter(pl.col("channel") == channel).sort("lag")
        np.testing.assert_allclose(line.get_ydata(), rows["mean"].to_numpy())
    plt.close(fig)


# --------------------------------------------------------------------------- axes


def test_single_panel_plots_draw_into_a_given_axes(fitted, decomposition, table, adstock):
    fig, axes = plt.subplots(2, 3, layout="constrained")
    flat = axes.reshape(-1)
    assert plot_fit(fitted, decomposition=decomposition, ax=flat[0]) is fig
    assert plot_contributions(fitted, decomposition=decomposition, ax=flat[1]) is fig
    assert plot_waterfall(fitted, decomposition=decomposition, ax=flat[2]) is fig
    assert plot_roi(fitted, table=table, ax=flat[3]) is fig
    assert plot_adstock(fitted, curves=adstock, ax=flat[4]) is fig
    assert len(fig.axes) == 6
    assert all(ax.has_data() for ax in flat[:5])
    assert len(plt.get_fignums()) == 1
    plt.close(fig)
