"""Plots of a fit's results: fit, contributions, waterfall, ROI, response and adstock curves.

Every function takes a :class:`~mmm.modeling.FittedMMM` and returns the
:class:`~matplotlib.figure.Figure` it drew (the single-panel plots accept ``ax=`` to draw
into an existing axes, and then return that axes' figure). Nothing is shown and no backend
is chosen here; close the figures you are done with (``plt.close(fig)``).

Each plot draws a table of :mod:`mmm.results` and accepts it precomputed, so that a report
computes every table once and several plots share it:

* :func:`plot_fit`, :func:`plot_contributions`, :func:`plot_waterfall`: a
  :class:`~mmm.results.Decomposition` (:func:`~mmm.results.decompose`, or the second item
  of ``contributions(fitted, return_draws=True)``);
* :func:`plot_roi`: :func:`~mmm.results.roi_table`'s frame;
* :func:`plot_response_curves`: :func:`~mmm.results.response_curves`' frame;
* :func:`plot_adstock`: :func:`~mmm.results.adstock_curves`' frame.

Values are in the KPI's units (labelled with the KPI's name) and spend in the data's money
units. A paid channel has the same colour here as in the EDA plots
(:func:`mmm.eda.channel_colors` by its index in ``fitted.dataset.channels``); the baseline
(intercept, trend, seasonality, controls, events) is light grey, organic series dark grey.

Usage (``fitted`` from :func:`mmm.fit`)::

    import matplotlib.pyplot as plt
    from mmm import results

    decomposition = results.decompose(fitted)
    fig = results.plot_contributions(fitted, decomposition=decomposition)
    fig = results.plot_waterfall(fitted, decomposition=decomposition)
    fig = results.plot_roi(fitted, table=results.roi_table(fitted))
    plt.close("all")
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import EngFormatter, FuncFormatter, MaxNLocator, PercentFormatter

from mmm._plotting import check_choice, curve_axes, date_axis, figure_of, new_axes
from mmm.eda import channel_colors
from mmm.modeling import FittedMMM
from mmm.results._curves import adstock_curves, response_curves
from mmm.results._decomposition import Decomposition, decompose
from mmm.results._summary import check_level
from mmm.results._tables import roi_table
from mmm.results._windows import Window, resolve_window

__all__ = [
    "Metric",
    "AdstockLayout",
    "plot_fit",
    "plot_contributions",
    "plot_waterfall",
    "plot_roi",
    "plot_response_curves",
    "plot_adstock",
]

Metric = Literal["roi", "mroas", "cost_per_kpi", "share", "contribution"]
"""A metric of :func:`~mmm.results.roi_table` that :func:`plot_roi` can draw."""

AdstockLayout = Literal["overlay", "panels"]
"""How :func:`plot_adstock` arranges the channels: one axes, or one panel each."""

_ADSTOCK_LAYOUTS: tuple[str, ...] = ("overlay", "panels")
_METRICS: tuple[str, ...] = ("roi", "mroas", "cost_per_kpi", "share", "contribution")
_MEDIA_GROUPS = ("media", "organic")
_UNITS = {"daily": ("day", "days"), "weekly": ("week", "weeks"), "monthly": ("month", "months")}
_KPI_COLOR = "k"
_FIT_COLOR = "C0"
_BASELINE_COLOR = "0.78"
_ORGANIC_COLOR = "0.45"
_TOTAL_COLOR = "0.2"
_OTHER_COLOR = "0.55"
_GRID_COLOR = "0.92"
_ROI_COLUMNS = ("channel",)
_RESPONSE_COLUMNS = ("channel", "spend", "mean", "lower", "upper", "current")
_ADSTOCK_COLUMNS = ("channel", "lag", "mean", "lower", "upper")

DateBound = dt.date | str | None
RGBA = tuple[float, float, float, float]


# --------------------------------------------------------------------------- helpers


def _check_columns(name: str, frame: pl.DataFrame, columns: Sequence[str], source: str) -> None:
    if not isinstance(frame, pl.DataFrame):
        raise ValueError(f"{name} is a {type(frame).__name__}: pass the polars frame of {source}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} lacks the columns {missing}: pass the frame of {source} (or None to "
            "compute it)"
        )


def _dates(dates: Sequence[object]) -> np.ndarray:
    return np.asarray(dates, dtype="datetime64[D]")


def _column(frame: pl.DataFrame, name: str) -> np.ndarray:
    return frame[name].cast(pl.Float64).fill_null(math.nan).to_numpy()


def _period_unit(fitted: FittedMMM, plural: bool = True) -> str:
    unit = _UNITS.get(fitted.dataset.frequency.value, ("period", "periods"))
    return unit[1] if plural else unit[0]


def _eng(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return str(EngFormatter(places=2, sep="")(value)).replace("\u2212", "-")


def _percent(value: float) -> str:
    text = f"{value:.1%}"
    return text[1:] if text == "-0.0%" else text


def _colors(fitted: FittedMMM) -> dict[str, RGBA]:
    return channel_colors(fitted.dataset.channels)


def _color(colors: dict[str, RGBA], name: str) -> RGBA | str:
    return colors.get(name, _OTHER_COLOR)


def _actual(fitted: FittedMMM) -> np.ndarray:
    ds = fitted.dataset
    return _column(ds.frame, ds.kpi_column)


def _decomposition(fitted: FittedMMM, decomposition: Decomposition | None) -> Decomposition:
    if decomposition is None:
        return decompose(fitted)
    if not isinstance(decomposition, Decomposition):
        raise ValueError(
            f"decomposition is a {type(decomposition).__name__}: pass "
            "mmm.results.decompose(fitted) or None"
        )
    if tuple(decomposition.dates) != tuple(fitted.dataset.dates):
        raise ValueError(
            f"decomposition covers {len(decomposition.dates)} periods, not the fit's "
            f"{fitted.dataset.n_periods} training periods: pass decompose(fitted) of this fit "
            "or None"
        )
    return decomposition


def _layers(d: Decomposition, means: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
    """``(name, kind, values)`` bottom to top: the summed baseline, organic, then channels.

    ``means`` is ``(..., component)``; ``kind`` is ``"baseline"``, ``"organic"`` or
    ``"media"``.
    """
    groups = d.index.groups
    baseline = [i for i, g in enumerate(groups) if g not in _MEDIA_GROUPS]
    out: list[tuple[str, str, np.ndarray]] = []
    if baseline:
        out.append(("baseline", "baseline", means[..., baseline].sum(axis=-1)))
    for kind in ("organic", "media"):
        out += [(d.index.names[i], kind, means[..., i]) for i in d.index.of_group(kind)]
    return out


def _organic_colors(names: Sequence[str]) -> dict[str, str]:
    shades = np.linspace(0.35, 0.6, len(names)) if len(names) > 1 else [0.45] * len(names)
    return {name: f"{shade:.3f}" for name, shade in zip(names, shades, strict=True)}


def _layer_color(
    name: str, kind: str, colors: dict[str, RGBA], organic: dict[str, str]
) -> RGBA | str:
    if kind == "baseline":
        return _BASELINE_COLOR
    if kind == "organic":
        return organic.get(name, _ORGANIC_COLOR)
    return _color(colors, name)


# --------------------------------------------------------------------------- fit


def plot_fit(
    fitted: FittedMMM,
    level: float = 0.9,
    decomposition: Decomposition | None = None,
    ax: Axes | None = None,
) -> Figure:
    """The actual KPI against the posterior of the fitted (expected) KPI over time.

    Draws, in this order, the actual KPI (black, ``ax.lines[0]``), the posterior mean of
    the fitted KPI (the sum of the components per draw, :attr:`Decomposition.fitted`;
    ``ax.lines[1]``) and its equal-tailed ``level`` interval (``ax.collections[0]``). The
    band is the uncertainty of the expected KPI, not a predictive interval (no observation
    noise): see :func:`mmm.diagnostics.plot_fit` for that. The title gives the in-sample R²
    of the posterior mean.

    Args:
        fitted: the fit.
        level: interval level, in (0, 1).
        decomposition: :func:`~mmm.results.decompose` of ``fitted``, to reuse (``None``:
            computed here).
        ax: the axes to draw into; ``None`` makes a new figure.

    Returns:
        The figure, y label the KPI name.

    Raises:
        ValueError: for a level outside (0, 1) or a decomposition of other dates.
    """
    lo, hi = check_level(level)
    d = _decomposition(fitted, decomposition)
    kpi = fitted.dataset.kpi
    draws = d.fitted
    mean = draws.mean(axis=0)
    lower, upper = np.quantile(draws, [lo, hi], axis=0)
    actual = _actual(fitted)
    ok = np.isfinite(actual)
    ss_tot = float(((actual[ok] - actual[ok].mean()) ** 2).sum())
    r2 = 1.0 - float(((actual[ok] - mean[ok]) ** 2).sum()) / ss_tot if ss_tot > 0 else math.nan
    ax = new_axes(ax, (11, 4))
    x = _dates(d.dates)
    ax.plot(x, actual, color=_KPI_COLOR, lw=1.0, marker=".", ms=3, label=f"actual {kpi}")
    ax.plot(x, mean, color=_FIT_COLOR, lw=1.5, label="fitted (posterior mean)")
    ax.fill_between(
        x, lower, upper, color=_FIT_COLOR, alpha=0.25, lw=0, label=f"{level:.0%} interval"
    )
    date_axis(ax)
    ax.yaxis.set_major_formatter(EngFormatter(sep=""))
    ax.grid(axis="y", color=_GRID_COLOR)
    ax.set_xlabel("date")
    ax.set_ylabel(kpi)
    ax.set_title(f"Actual vs fitted {kpi} (in-sample R² = {r2:.3f})")
    ax.legend(fontsize=8, loc="upper left")
    return figure_of(ax)


# --------------------------------------------------------------------------- contributions


def plot_contributions(
    fitted: FittedMMM, decomposition: Decomposition | None = None, ax: Axes | None = None
) -> Figure:
    """Stacked areas of the posterior mean contributions over time, with the actual KPI.

    Bottom to top: the baseline (every component that is not a paid channel or an organic
    series, summed: intercept, trend, seasonality, controls, events; light grey), each
    organic series (greys), then each paid channel in its colour. Positive parts stack up
    from zero and negative parts down from zero, period by period, so the top edge of the
    stack is the sum of the positive contributions (the fitted KPI when none is negative)
    and a negative baseline or channel shows below the zero line. The actual KPI is the
    black line ``ax.lines[0]``; the areas are ``ax.collections`` (one per layer and sign
    that has any non-zero value, bottom layer first, positives before negatives).

    Args:
        fitted: the fit.
        decomposition: :func:`~mmm.results.decompose` of ``fitted``, to reuse.
        ax: the axes to draw into; ``None`` makes a new figure.

    Returns:
        The figure, y label the KPI name; the legend lists the layers top to bottom.

    Raises:
        ValueError: for a decomposition of other dates.
    """
    d = _decomposition(fitted, decomposition)
    kpi = fitted.dataset.kpi
    means = d.draws.mean(axis=0, dtype=np.float64)  # (time, component)
    layers = _layers(d, means)
    colors = _colors(fitted)
    organic = _organic_colors([n for n, k, _ in layers if k == "organic"])
    ax = new_axes(ax, (11, 4.5))
    x = _dates(d.dates)
    ax.plot(x, _actual(fitted), color=_KPI_COLOR, lw=1.2, label=f"actual {kpi}", zorder=3)
    up = np.zeros(len(x))
    down = np.zeros(len(x))
    handles: list[Artist] = []
    negative = False
    for name, kind, values in layers:
        color = _layer_color(name, kind, colors, organic)
        pos, neg = np.maximum(values, 0.0), np.minimum(values, 0.0)
        if (pos > 0).any():
            ax.fill_between(x, up, up + pos, color=color, lw=0, label=name)
            up = up + pos
        if (neg < 0).any():
            ax.fill_between(x, down + neg, down, color=color, lw=0, label=f"{name} (negative)")
            down = down + neg
            negative = True
        handles.append(Patch(facecolor=color, label=name))
    if negative:
        ax.axhline(0.0, color="k", lw=0.6)
    date_axis(ax)
    ax.yaxis.set_major_formatter(EngFormatter(sep=""))
    ax.grid(axis="y", color=_GRID_COLOR, zorder=0)
    ax.set_axisbelow(True)
    ax.set_xlim(x[0], x[-1])
    ax.set_xlabel("date")
    ax.set_ylabel(kpi)
    ax.set_title(f"Contributions to {kpi} (posterior mean)")
    ax.legend(
        handles=[Line2D([], [], color=_KPI_COLOR, lw=1.2, label=f"actual {kpi}"), *handles[::-1]],
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title="component",
        title_fontsize=8,
    )
    return figure_of(ax)


# --------------------------------------------------------------------------- waterfall


def _waterfall_steps(d: Decomposition, totals: np.ndarray) -> list[tuple[str, str, float]]:
    """``(label, kind, total)``: each baseline group, each organic series, each channel."""
    groups = d.index.groups
    steps: list[tuple[str, str, float]] = []
    for group in dict.fromkeys(g for g in groups if g not in _MEDIA_GROUPS):
        steps.append((group, "baseline", float(totals[d.index.of_group(group)].sum())))
    for kind in ("organic", "media"):
        steps += [(d.index.names[i], kind, float(totals[i])) for i in d.index.of_group(kind)]
    return steps


def plot_waterfall(
    fitted: FittedMMM,
    decomposition: Decomposition | None = None,
    ax: Axes | None = None,
    *,
    window: Window | tuple[DateBound, DateBound] | None = None,
) -> Figure:
    """Waterfall of each component's total contribution over a window, to the fitted total.

    One bar per step, left to right: each baseline group (``intercept``, ``trend``,
    ``yearly``, ``controls``, ``events``, ...: the components of a group summed), each
    organic series and each paid channel, floating from the running total before it; then
    the total (from zero), which is the sum of the fitted KPI's posterior mean over the
    window. Values are posterior means of the sums (KPI units). The bars are ``ax.patches``
    in that order (the total last); each is labelled with its value and its share of the
    total. Baseline bars are grey, organic dark grey, channels in their colours.

    Args:
        fitted: the fit.
        decomposition: :func:`~mmm.results.decompose` of ``fitted``, to reuse.
        ax: the axes to draw into; ``None`` makes a new figure.
        window: the training periods to sum (``None``: all; ``(start, end)`` dates,
            inclusive, either may be ``None``).

    Returns:
        The figure, y label ``"<kpi>, total over the window"``.

    Raises:
        ValueError: for a decomposition of other dates or a window without training
            periods.
    """
    d = _decomposition(fitted, decomposition)
    w = resolve_window(list(d.dates), window)
    kpi = fitted.dataset.kpi
    totals = d.draws[:, w.first : w.stop].sum(axis=1, dtype=np.float64).mean(axis=0)
    steps = _waterfall_steps(d, totals)
    total = float(totals.sum())
    values = np.array([v for _, _, v in steps] + [total])
    ends = np.cumsum(values[:-1])
    bottoms = np.concatenate([[0.0], ends[:-1], [0.0]])
    colors = _colors(fitted)
    organic = _organic_colors([n for n, k, _ in steps if k == "organic"])
    bar_colors = [_layer_color(n, k, colors, organic) for n, k, _ in steps] + [_TOTAL_COLOR]
    n = len(values)
    ax = new_axes(ax, (max(7.0, 0.75 * n + 2.5), 4.8))
    x = np.arange(n, dtype=np.float64)
    width = 0.7
    bars = ax.bar(x, values, width, bottom=bottoms, color=bar_colors, edgecolor="white", lw=0.5)
    for i, end in enumerate(ends):  # connectors: the running total from one bar to the next
        ax.plot([x[i] + width / 2, x[i + 1] - width / 2], [end, end], color="0.4", lw=0.7, ls=":")
    shares = values / total if total != 0 else np.full(n, np.nan)
    labels = [
        _eng(v) if not np.isfinite(s) else f"{_eng(v)}\n{_percent(s)}"
        for v, s in zip(values, shares, strict=True)
    ]
    ax.bar_label(bars, labels=labels, label_type="edge", fontsize=7, padding=2)
    ax.axhline(0.0, color="k", lw=0.6)
    names = [name for name, _, _ in steps] + ["total"]
    rotation = 30 if n > 6 else 0
    ax.set_xticks(x, names, rotation=rotation, ha="right" if rotation else "center", fontsize=8)
    ax.yaxis.set_major_formatter(EngFormatter(sep=""))
    ax.grid(axis="y", color=_GRID_COLOR)
    ax.set_axisbelow(True)
    tops = np.maximum(bottoms, bottoms + values)
    lows = np.minimum(bottoms, bottoms + values)
    span = float(tops.max() - min(lows.min(), 0.0)) or 1.0
    ax.set_ylim(min(lows.min(), 0.0) - 0.04 * span, tops.max() + 0.14 * span)
    ax.set_ylabel(f"{kpi}, total over the window")
    ax.set_title(f"Decomposition of the fitted {kpi}, {w.start} to {w.end} (posterior mean)")
    handles: list[Artist] = [Patch(facecolor=_BASELINE_COLOR, label="baseline")]
    if organic:
        handles.append(Patch(facecolor=_ORGANIC_COLOR, label="organic"))
    handles.append(Patch(facecolor=_TOTAL_COLOR, label=f"fitted {kpi}"))
    ax.legend(handles=handles, fontsize=8, loc="upper left")
    return figure_of(ax)


# --------------------------------------------------------------------------- ROI


def _metric_axis(metric: str, kpi: str) -> tuple[str, str]:
    """``(x label, title)`` of ``metric``."""
    return {
        "roi": (f"ROI (value of incremental {kpi} per money unit spent)", "Return on investment"),
        "mroas": (
            f"mROAS (value of incremental {kpi} per extra money unit)",
            "Marginal return on ad spend",
        ),
        "cost_per_kpi": (f"cost per incremental {kpi} (money units)", f"Cost per {kpi}"),
        "share": (f"share of the fitted {kpi} (%)", f"Share of the fitted {kpi}"),
        "contribution": (f"contribution ({kpi})", f"Contribution to {kpi}"),
    }[metric]


def _metric_format(metric: str, value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    if metric == "share":
        return f"{value:.1%}"
    if metric == "contribution":
        return _eng(value)
    return f"{value:.3g}"


def plot_roi(
    fitted: FittedMMM,
    metric: Metric = "roi",
    table: pl.DataFrame | None = None,
    level: float = 0.9,
    ax: Axes | None = None,
) -> Figure:
    """Forest plot of a channel metric: posterior mean, median and interval per channel.

    One row per channel (the table's order, top to bottom): the interval
    ``<metric>_lower`` to ``<metric>_upper`` is ``ax.lines[i]`` for channel ``i`` (in its
    colour), the posterior means are the dots of ``ax.collections[0]`` and the medians the
    ticks of ``ax.collections[1]``. For ``roi`` and ``mroas`` a dashed line marks
    break-even at 1 (``ax.lines[-1]``). The y tick labels give each channel's mean and
    interval; a channel without spend (NaN metric) shows ``n/a`` and no interval.

    Args:
        fitted: the fit.
        metric: ``"roi"``, ``"mroas"``, ``"cost_per_kpi"``, ``"share"`` or
            ``"contribution"``.
        table: :func:`~mmm.results.roi_table` of ``fitted`` (one window), to reuse
            (``None``: computed here at ``level``).
        level: the interval level: the table is computed at it, and the legend names it
            (pass the level a given ``table`` was computed at).
        ax: the axes to draw into; ``None`` makes a new figure.

    Returns:
        The figure, x label the metric with its units.

    Raises:
        ValueError: for another ``metric``, a level outside (0, 1), or a table without the
            metric's columns or with more than one window.
    """
    check_choice("metric", metric, _METRICS)
    check_level(level)
    if table is None:
        table = roi_table(fitted, level=level)
    stats = [f"{metric}_{s}" for s in ("mean", "median", "lower", "upper")]
    _check_columns("table", table, [*_ROI_COLUMNS, *stats], "mmm.results.roi_table(fitted)")
    if "window" in table.columns and table["window"].n_unique() > 1:
        raise ValueError(
            f"table holds {table['window'].n_unique()} windows: pass one window's rows, e.g. "
            "table.filter(pl.col('window') == name), or roi_table(fitted, window=...)"
        )
    kpi = fitted.dataset.kpi
    channels = [str(c) for c in table["channel"].to_list()]
    mean, median, lower, upper = (_column(table, s) for s in stats)
    colors = _colors(fitted)
    point_colors = [to_rgba(_color(colors, c)) for c in channels]
    k = len(channels)
    ax = new_axes(ax, (8, 0.55 * k + 1.8))
    y = np.arange(k, dtype=np.float64)
    for yi, lo, hi, color in zip(y, lower, upper, point_colors, strict=True):
        ax.plot([lo, hi], [yi, yi], color=color, lw=2.4, solid_capstyle="butt")
    ax.scatter(mean, y, s=42, c=point_colors, edgecolors="k", linewidths=0.6, zorder=3)
    ax.scatter(median, y, s=90, marker="|", c="k", linewidths=1.2, zorder=4)
    handles: list[Artist] = [
        Line2D([], [], color="0.5", lw=2.4, label=f"{level:.0%} interval"),
        Line2D([], [], ls="", marker="o", color="0.5", mec="k", mew=0.6, label="posterior mean"),
        Line2D([], [], ls="", marker="|", color="k", ms=9, mew=1.2, label="posterior median"),
    ]
    if metric in ("roi", "mroas"):
        ax.axvline(1.0, color="k", ls="--", lw=0.9)
        handles.append(Line2D([], [], color="k", ls="--", lw=0.9, label="break-even (1)"))
    labels = [
        f"{c}\n{_metric_format(metric, m)} "
        f"[{_metric_format(metric, lo)}, {_metric_format(metric, hi)}]"
        if np.isfinite(m)
        else f"{c}\nn/a (no spend)"
        for c, m, lo, hi in zip(channels, mean, lower, upper, strict=True)
    ]
    ax.set_yticks(y, labels, fontsize=8)
    if k:
        ax.set_ylim(k - 0.5, -0.5)  # table order, top to bottom
    if metric == "share":
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    elif metric == "contribution":
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    ax.grid(axis="x", color=_GRID_COLOR)
    ax.set_axisbelow(True)
    xlabel, title = _metric_axis(metric, kpi)
    ax.set_xlabel(xlabel)
    window = ""
    if "start" in table.columns and "end" in table.columns and table.height:
        window = f", {table['start'][0]} to {table['end'][0]}"
    ax.set_title(f"{title} per channel{window}")
    ax.legend(handles=handles, fontsize=8, loc="best")
    return figure_of(ax)


# --------------------------------------------------------------------------- curves


def _grid(
    n: int, width: float, height: float, *, share: bool = False
) -> tuple[Figure, list[Axes], int]:
    ncols = max(1, min(n, 3))
    nrows = max(1, math.ceil(n / ncols))
    fig, grid = plt.subplots(
        nrows,
        ncols,
        figsize=(max(width * ncols + 0.6, 5.5), height * nrows + 1.0),
        squeeze=False,
        sharex=share,
        sharey=share,
        layout="constrained",
    )
    axes = list(grid.reshape(-1))
    for extra in axes[n:]:
        fig.delaxes(extra)
    return fig, axes[:n], ncols


def _channels(frame: pl.DataFrame) -> list[str]:
    return [str(c) for c in frame["channel"].unique(maintain_order=True).to_list()]


def plot_response_curves(
    fitted: FittedMMM, curves: pl.DataFrame | None = None, level: float = 0.9
) -> Figure:
    """Per channel, the incremental KPI as a function of its spend, with its interval.

    One panel per channel (the frame's order, up to three per row, own scales): the
    posterior mean response (``ax.lines[0]``, channel colour, by increasing spend) over the
    equal-tailed interval band (``ax.collections[0]``) and, when the grid has it, the
    current operating point (the historic spend, multiplier 1; ``ax.lines[1]``, labelled
    with its spend and incremental KPI). Spend is the total over the curves' window.

    Args:
        fitted: the fit.
        curves: :func:`~mmm.results.response_curves` of ``fitted``, to reuse (``None``:
            computed here at ``level``).
        level: the interval level: the curves are computed at it, and the legend names it
            (pass the level given ``curves`` were computed at).

    Returns:
        The figure, one axes per channel (``fig.axes[i]`` is channel ``i``); x labels
        ``"spend (money units)"``, y labels ``"incremental <kpi>"``.

    Raises:
        ValueError: for a level outside (0, 1) or a frame without the curves' columns.
    """
    check_level(level)
    if curves is None:
        curves = response_curves(fitted, level=level)
    _check_columns("curves", curves, _RESPONSE_COLUMNS, "mmm.results.response_curves(fitted)")
    kpi = fitted.dataset.kpi
    channels = _channels(curves)
    colors = _colors(fitted)
    fig, axes, ncols = _grid(len(channels), 3.9, 3.0)
    k = len(channels)
    for i, (channel, ax) in enumerate(zip(channels, axes, strict=True)):
        rows = curves.filter(pl.col("channel") == channel).sort("spend")
        spend = _column(rows, "spend")
        color = _color(colors, channel)
        ax.plot(spend, _column(rows, "mean"), color=color, lw=1.8, label="posterior mean")
        ax.fill_between(
            spend,
            _column(rows, "lower"),
            _column(rows, "upper"),
            color=color,
            alpha=0.22,
            lw=0,
            label=f"{level:.0%} interval",
        )
        current = rows.filter(pl.col("current"))
        title = channel
        if current.height:
            cx, cy = float(current["spend"][0]), float(current["mean"][0])
            ax.plot(
                [cx], [cy], ls="", marker="o", ms=7, mfc=color, mec="k", mew=1.0, label="current"
            )
            ax.annotate(
                f"current\n{_eng(cx)} → {_eng(cy)}",
                (cx, cy),
                xytext=(6, -6),
                textcoords="offset points",
                ha="left",
                va="top",
                fontsize=7,
            )
            if cx > 0:
                title = f"{channel}: {cy / cx:.3g} {kpi} per money unit at current spend"
        ax.set_title(title, fontsize=9)
        curve_axes(ax, _GRID_COLOR)
        if i + ncols >= k:  # lowest panel of its column
            ax.set_xlabel("spend over the window (money units)")
        if i % ncols == 0:
            ax.set_ylabel(f"incremental {kpi}")
    if axes:
        axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"Response curves: incremental {kpi} vs spend", fontsize=11)
    return fig


def _adstock_layer(ax: Axes, rows: pl.DataFrame, color: RGBA | str, label: str) -> None:
    lag = _column(rows, "lag")
    ax.plot(lag, _column(rows, "mean"), color=color, lw=1.6, marker="o", ms=3.5, label=label)
    ax.fill_between(
        lag, _column(rows, "lower"), _column(rows, "upper"), color=color, alpha=0.15, lw=0
    )


def _mean_lag(rows: pl.DataFrame) -> float:
    lag, mean = _column(rows, "lag"), _column(rows, "mean")
    weight = float(np.nansum(mean))
    return float(np.nansum(lag * mean)) / weight if weight > 0 else math.nan


def _adstock_axis(ax: Axes, top: float) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}"))
    ax.set_ylim(0.0, top)
    ax.grid(color=_GRID_COLOR)
    ax.set_axisbelow(True)


def plot_adstock(
    fitted: FittedMMM,
    curves: pl.DataFrame | None = None,
    level: float = 0.9,
    ax: Axes | None = None,
    *,
    layout: AdstockLayout = "overlay",
) -> Figure:
    """Adstock weights by lag per channel, with their posterior intervals.

    Per channel (the frame's order) the posterior mean weight against the lag (channel
    colour, markers) over its equal-tailed interval band (light). With
    ``layout="overlay"`` all channels share one axes: channel ``i`` is ``ax.lines[i]`` and
    ``ax.collections[i]``, and the legend gives each channel's mean lag (the
    weight-averaged lag of its posterior mean weights). With ``layout="panels"`` each
    channel has its own panel (up to three per row, shared axes; ``fig.axes[i]`` is channel
    ``i``, its line ``lines[0]`` and band ``collections[0]``; the mean lag in the title),
    easier to read when intervals overlap. Lag 0 is the period of the spend.

    Args:
        fitted: the fit.
        curves: :func:`~mmm.results.adstock_curves` of ``fitted``, to reuse (``None``:
            computed here at ``level``).
        level: the interval level: the curves are computed at it, and the title names it.
        ax: the axes to draw into (``layout="overlay"`` only); ``None`` makes a new
            figure.
        layout: ``"overlay"`` (one axes) or ``"panels"`` (one axes per channel).

    Returns:
        The figure; x label ``"lag (weeks)"`` for weekly data (days, months otherwise), y
        label ``"adstock weight"``.

    Raises:
        ValueError: for another ``layout``, ``ax`` with ``"panels"``, a level outside
            (0, 1) or a frame without the curves' columns.
    """
    check_choice("layout", layout, _ADSTOCK_LAYOUTS)
    if layout == "panels" and ax is not None:
        raise ValueError("ax is only for layout='overlay': 'panels' makes its own figure")
    check_level(level)
    if curves is None:
        curves = adstock_curves(fitted, level=level)
    _check_columns("curves", curves, _ADSTOCK_COLUMNS, "mmm.results.adstock_curves(fitted)")
    unit = _period_unit(fitted)
    colors = _colors(fitted)
    channels = _channels(curves)
    title = f"Adstock decay per channel (posterior mean, {level:.0%} interval)"
    by_channel = {c: curves.filter(pl.col("channel") == c).sort("lag") for c in channels}
    highest = np.nanmax(np.concatenate([[0.0], _column(curves, "upper"), _column(curves, "mean")]))
    top = 1.05 * float(highest) if highest > 0 else 1.0
    if layout == "panels":
        fig, axes, ncols = _grid(len(channels), 3.6, 2.6, share=True)
        k = len(channels)
        for i, (channel, panel) in enumerate(zip(channels, axes, strict=True)):
            rows = by_channel[channel]
            _adstock_layer(panel, rows, _color(colors, channel), channel)
            panel.set_title(f"{channel}: mean lag {_mean_lag(rows):.2g} {unit}", fontsize=9)
            _adstock_axis(panel, top)
            if i + ncols >= k:  # lowest panel of its column: its ticks and the x label
                panel.xaxis.set_tick_params(labelbottom=True)
                panel.set_xlabel(f"lag ({unit})")
            if i % ncols == 0:
                panel.set_ylabel("adstock weight")
        fig.suptitle(title, fontsize=11)
        return fig
    ax = new_axes(ax, (8, 4.2))
    for channel in channels:
        rows = by_channel[channel]
        label = f"{channel} (mean lag {_mean_lag(rows):.2g} {unit})"
        _adstock_layer(ax, rows, _color(colors, channel), label)
    _adstock_axis(ax, top)
    ax.set_xlabel(f"lag ({unit})")
    ax.set_ylabel("adstock weight")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper right", title="channel", title_fontsize=8)
    return figure_of(ax)
