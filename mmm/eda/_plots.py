"""Plots of an EDA report: KPI and spend, correlations, VIF, shares, lags, baselines.

Every function takes an :class:`~mmm.eda.EDAReport` and returns the
:class:`~matplotlib.figure.Figure` it drew (the single-panel plots accept ``ax=`` to draw
into an existing axes, and then return that axes' figure). Nothing is shown and no backend
is chosen here; close the figures you are done with (``plt.close(fig)``).

A channel has the same colour in every plot (:func:`channel_colors`: the ``tab10``
colours by the channel's index in ``report.dataset.channels``, then the lighter ``tab20``
shades beyond ten channels), so a channel can be followed from the spend series to the
VIF bars, the share bars and the lagged correlations.

Examples:
    >>> import matplotlib.pyplot as plt
    >>> from mmm import eda
    >>> from mmm.datasets import simulate
    >>> ds, _ = simulate(n_weeks=104, n_channels=2, seed=0)
    >>> rep = eda.report(ds)
    >>> fig = plot_kpi_spend(rep)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['revenue', 'spend per week (money units)']
    >>> plt.close(fig)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import EngFormatter, MaxNLocator, PercentFormatter

from mmm._plotting import check_choice, date_axis, figure_of, new_axes
from mmm.config import Role, column_name
from mmm.eda._report import EDAReport

__all__ = [
    "RGBA",
    "channel_colors",
    "plot_kpi_spend",
    "plot_correlation",
    "plot_vif",
    "plot_spend_share",
    "plot_lagged_correlation",
    "plot_baselines",
]

RGBA = tuple[float, float, float, float]
"""A matplotlib colour as red, green, blue, alpha in [0, 1]."""

_METHODS: tuple[str, ...] = ("pearson", "spearman")
_BASELINES: tuple[str, ...] = ("ridge", "ols")
_UNITS = {"daily": ("day", "days"), "weekly": ("week", "weeks"), "monthly": ("month", "months")}
_KPI_COLOR = "k"
_BASELINE_TERM_COLOR = "0.72"
_ORGANIC_TERM_COLOR = "0.45"
_BAND_COLOR = "0.88"
_BAND_LABEL = "±2/√(n - lag)"
_OLS_COLOR = "teal"
_RIDGE_COLOR = "darkmagenta"
_NAN_COLOR = "0.85"
# tab20 reordered: its dark shades (= tab10) first, then the light ones, so the first ten
# channels keep their tab10 colours however many channels there are.
_PALETTE: tuple[tuple[float, ...], ...] = tuple(
    tuple(float(v) for v in mpl.colormaps["tab20"](i)) for i in (*range(0, 20, 2), *range(1, 20, 2))
)


# --------------------------------------------------------------------------- helpers


def channel_colors(channels: EDAReport | Sequence[str]) -> dict[str, RGBA]:
    """The colour of each paid channel, as every EDA plot draws it.

    Channel ``i`` (its index in ``report.dataset.channels``) gets the ``i``-th ``tab10``
    colour; channels 11 to 20 the lighter ``tab20`` shades; beyond that the colours repeat.

    Args:
        channels: the report (its ``dataset.channels``) or the channel names in order.

    Returns:
        ``{channel: (r, g, b, a)}`` in channel order.

    Examples:
        >>> colors = channel_colors(["tv", "search"])
        >>> list(colors), colors["tv"] == channel_colors(["tv"])["tv"]
        (['tv', 'search'], True)
    """
    names = channels.dataset.channels if isinstance(channels, EDAReport) else list(channels)
    out: dict[str, RGBA] = {}
    for i, name in enumerate(names):
        r, g, b, a = _PALETTE[i % len(_PALETTE)]
        out[name] = (r, g, b, a)
    return out


def _period_unit(report: EDAReport, plural: bool = True) -> str:
    unit = _UNITS.get(report.dataset.frequency.value, ("period", "periods"))
    return unit[1] if plural else unit[0]


def _dates(dates: Sequence[object]) -> np.ndarray:
    return np.asarray(dates, dtype="datetime64[D]")


def _column(frame: pl.DataFrame, name: str) -> np.ndarray:
    return frame[name].cast(pl.Float64).fill_null(math.nan).to_numpy()


# --------------------------------------------------------------------------- time series


def plot_kpi_spend(report: EDAReport) -> Figure:
    """The KPI (top) and each channel's spend (bottom) over time, on a shared date axis.

    The KPI is ``fig.axes[0].lines[0]`` (black); spend is one line per channel in
    ``fig.axes[1].lines`` (channel order, :func:`channel_colors`). Both y axes use
    engineering notation (``1.5M``).

    Args:
        report: the EDA report.

    Returns:
        The figure; ``fig.axes`` is ``[kpi, spend]``, y labels the KPI name and
        ``"spend per <period> (money units)"``.
    """
    ds = report.dataset
    frame = ds.frame
    x = _dates(ds.dates)
    fig, (ax_kpi, ax_spend) = plt.subplots(
        2, 1, figsize=(11, 6), sharex=True, layout="constrained", height_ratios=[1, 1]
    )
    ax_kpi.plot(
        x, _column(frame, ds.kpi_column), color=_KPI_COLOR, lw=1.2, marker=".", ms=3, label=ds.kpi
    )
    ax_kpi.set_ylabel(ds.kpi)
    ax_kpi.set_title(f"KPI: {ds.kpi}", loc="left", fontsize=10)
    colors = channel_colors(report)
    for channel in ds.channels:
        ax_spend.plot(
            x,
            _column(frame, column_name(Role.SPEND, channel)),
            color=colors[channel],
            lw=1.2,
            label=channel,
        )
    ax_spend.set_ylabel(f"spend per {_period_unit(report, plural=False)} (money units)")
    ax_spend.set_title("Spend per channel", loc="left", fontsize=10)
    ax_spend.legend(
        fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="channel", title_fontsize=8
    )
    for ax in (ax_kpi, ax_spend):
        ax.yaxis.set_major_formatter(EngFormatter(sep=""))
        ax.grid(axis="y", color="0.92")
    date_axis(ax_spend)
    ax_spend.set_xlabel("date")
    fig.suptitle(f"{ds.kpi} and spend, {ds.start} to {ds.end}")
    return fig


def plot_baselines(report: EDAReport, ax: Axes | None = None) -> Figure:
    """The actual KPI against the OLS and ridge in-sample fits over time.

    Lines, in order: actual (black, ``ax.lines[0]``), OLS (``ax.lines[1]``) and ridge
    (``ax.lines[2]``, dashed); the legend gives each fit's in-sample R² (and the ridge's
    cross-validated penalty).

    Args:
        report: the EDA report.
        ax: the axes to draw into; ``None`` makes a new figure.

    Returns:
        The figure, y label the KPI name.
    """
    ols, ridge = report.ols, report.ridge
    kpi = report.dataset.kpi
    ax = new_axes(ax, (11, 4))
    x = _dates(ols.design.dates)
    ax.plot(x, ols.actual, color=_KPI_COLOR, lw=1.0, marker=".", ms=3, label=f"actual {kpi}")
    ax.plot(x, ols.fitted, color=_OLS_COLOR, lw=1.4, label=f"OLS (R² = {ols.r2:.3f})")
    penalty = f", penalty {ridge.cv.penalty:.3g}" if ridge.cv is not None else ""
    ax.plot(
        x,
        ridge.fitted,
        color=_RIDGE_COLOR,
        lw=1.4,
        ls="--",
        label=f"ridge (R² = {ridge.r2:.3f}{penalty})",
    )
    date_axis(ax)
    ax.yaxis.set_major_formatter(EngFormatter(sep=""))
    ax.set_xlabel("date")
    ax.set_ylabel(kpi)
    ax.set_title(f"Frequentist baselines: in-sample fit of {kpi}")
    ax.legend(fontsize=8, loc="upper left")
    return figure_of(ax)


# --------------------------------------------------------------------------- correlation


def plot_correlation(
    report: EDAReport,
    method: Literal["pearson", "spearman"] = "pearson",
    ax: Axes | None = None,
    *,
    annotate: bool = True,
) -> Figure:
    """Heatmap of the correlation matrix of the dataset's series.

    The matrix (``report.correlations.pearson`` or ``.spearman``) is
    ``ax.images[0]``, a diverging colormap fixed to ``[-1, 1]`` with a colour bar; an
    undefined correlation (NaN: a constant column) is a grey cell without a number.
    Rows and columns are ``report.correlations.labels`` (``kpi__*``, ``spend__*``, ...).

    Args:
        report: the EDA report.
        method: ``"pearson"`` or ``"spearman"``.
        ax: the axes to draw into; ``None`` makes a new figure.
        annotate: write each correlation in its cell (two decimals).

    Returns:
        The figure: the heatmap axes and its colour bar.

    Raises:
        ValueError: if ``method`` is not one of the two.
    """
    check_choice("method", method, _METHODS)
    corr = report.correlations
    values = np.asarray(corr.pearson if method == "pearson" else corr.spearman, dtype=np.float64)
    labels = list(corr.labels)
    k = len(labels)
    size = max(4.0, 0.55 * k + 2.5)
    ax = new_axes(ax, (size + 1.2, size))
    cmap = mpl.colormaps["RdBu_r"].with_extremes(bad=_NAN_COLOR)
    image = ax.imshow(
        np.ma.masked_invalid(values), cmap=cmap, vmin=-1.0, vmax=1.0, interpolation="nearest"
    )
    if annotate:
        fontsize = 8 if k <= 12 else 6
        for i in range(k):
            for j in range(k):
                r = values[i, j]
                if np.isfinite(r):
                    ax.text(
                        j,
                        i,
                        f"{r:.2f}",
                        ha="center",
                        va="center",
                        fontsize=fontsize,
                        color="w" if abs(r) > 0.6 else "k",
                    )
    ticks = np.arange(k)
    ax.set_xticks(ticks, labels, rotation=45, ha="right", rotation_mode="anchor", fontsize=8)
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.tick_params(length=0)
    fig = figure_of(ax)
    name = method.capitalize()
    fig.colorbar(image, ax=ax, label=f"{name} correlation", shrink=0.8)
    ax.set_title(f"{name} correlations")
    return fig


def plot_lagged_correlation(report: EDAReport, adjusted: bool = True) -> Figure:
    """Per channel, the correlation of its spend with the KPI ``lag`` periods later.

    One panel per channel (channel order, up to three per row, shared axes): the
    correlation against the lag (``ax.lines[0]``, channel colour; ``report.lagged``'s
    ``corr_adjusted`` or ``corr``) and a grey band ``±2 / sqrt(n - lag)`` (``n`` the
    number of periods, ``n - lag`` the pairs a lag correlates): roughly where a
    correlation of unrelated white-noise series would fall. Spend and the KPI are
    autocorrelated, so treat the band as a lower bound on what chance can produce. The
    panel title gives the lag of the largest correlation.

    Args:
        report: the EDA report.
        adjusted: correlate with the KPI net of its linear trend and yearly seasonality
            (``corr_adjusted``, so that a shared season does not look like an effect);
            ``False`` uses the KPI as it is (``corr``).

    Returns:
        The figure, one axes per channel (``fig.axes[i]`` is channel ``i``); x label
        ``"lag (weeks)"`` for weekly data (days, months otherwise).
    """
    ds = report.dataset
    channels = ds.channels
    column = "corr_adjusted" if adjusted else "corr"
    colors = channel_colors(report)
    k = len(channels)
    ncols = min(k, 3)
    nrows = math.ceil(k / ncols)
    fig, grid = plt.subplots(
        nrows,
        ncols,
        figsize=(max(3.8 * ncols + 0.6, 5.5), 2.8 * nrows + 1.0),
        squeeze=False,
        sharex=True,
        sharey=True,
        layout="constrained",
    )
    axes = list(grid.reshape(-1))
    for extra in axes[k:]:
        fig.delaxes(extra)
    n = ds.n_periods
    unit = _period_unit(report)
    note = f"\n({ds.kpi} net of its trend and yearly seasonality)" if adjusted else ""
    for i, (channel, ax) in enumerate(zip(channels, axes, strict=False)):
        rows = report.lagged.filter(pl.col("channel") == channel).sort("lag")
        lag = rows["lag"].to_numpy().astype(np.float64)
        corr = _column(rows, column)
        band = 2.0 / np.sqrt(np.maximum(n - lag, 1.0))
        ax.plot(lag, corr, color=colors[channel], lw=1.4, marker=".", ms=4, label=channel)
        ax.fill_between(lag, -band, band, color=_BAND_COLOR, lw=0, zorder=0, label=_BAND_LABEL)
        ax.axhline(0.0, color="k", lw=0.6)
        title = channel
        if np.isfinite(corr).any():
            peak = int(np.nanargmax(corr))
            title = f"{channel}: peak {corr[peak]:.2f} at lag {int(lag[peak])}"
        ax.set_title(title, fontsize=9)
        ax.grid(color="0.94")
        if i + ncols >= k:  # lowest panel of its column: its ticks and the x label
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.set_xlabel(f"lag ({unit})")
        if i % ncols == 0:
            ax.set_ylabel("correlation")
    axes[0].legend(
        handles=[Patch(facecolor=_BAND_COLOR, label=_BAND_LABEL)], fontsize=7, loc="upper right"
    )
    axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(f"Spend vs {ds.kpi} a lag of {unit} later" + note, fontsize=11)
    return fig


# --------------------------------------------------------------------------- collinearity


def plot_vif(report: EDAReport, ax: Axes | None = None) -> Figure:
    """Variance inflation factor of every design term, against the report's thresholds.

    One horizontal bar per term with a VIF (a constant column such as the intercept has
    none and is left out), from 1 (no inflation) to its VIF on a log axis, top to bottom in
    the design's order; media terms in their channel colour, organic terms dark grey,
    baseline terms light grey. An infinite VIF (a term that is an exact combination of
    others) reaches the right edge and is labelled ``"inf"``; every bar is labelled with its
    value. Dashed and solid lines mark ``report.thresholds.vif_warning`` and
    ``vif_critical``.

    Args:
        report: the EDA report.
        ax: the axes to draw into; ``None`` makes a new figure.

    Returns:
        The figure; the bars are ``ax.patches`` (one per term shown) and the y tick labels
        the terms (``"term (component)"`` when they differ).
    """
    table = report.collinearity.vif.filter(pl.col("vif").is_not_nan() & pl.col("vif").is_not_null())
    terms = table["term"].to_list()
    components = table["component"].to_list()
    kinds = table["kind"].to_list()
    vif = table["vif"].to_numpy().astype(np.float64)
    warning, critical = report.thresholds.vif_warning, report.thresholds.vif_critical
    finite = vif[np.isfinite(vif)]
    top = 2.0 * max(float(finite.max(initial=1.0)), critical)
    ax = new_axes(ax, (8, 0.32 * len(terms) + 1.6))
    colors = channel_colors(report)
    y = np.arange(len(terms), dtype=np.float64)
    bar_colors = [
        colors[c] if kind == "media" and c in colors else _kind_color(kind)
        for c, kind in zip(components, kinds, strict=True)
    ]
    shown = np.where(np.isfinite(vif), vif, top)
    ax.barh(y, shown - 1.0, left=1.0, height=0.7, color=bar_colors)
    for yi, value, end in zip(y, vif, shown, strict=True):
        if np.isfinite(value):
            ax.text(end * 1.06, yi, f"{value:.3g}", va="center", fontsize=7)
        else:
            ax.text(end / 1.06, yi, "inf", va="center", ha="right", fontsize=7, color="w")
    ax.set_xscale("log")
    ax.set_xlim(1.0, top)
    ax.axvline(warning, color="k", ls="--", lw=0.9)
    ax.axvline(critical, color="k", ls="-", lw=0.9)
    labels = [t if t == c else f"{t} ({c})" for t, c in zip(terms, components, strict=True)]
    ax.set_yticks(y, labels, fontsize=8)
    if terms:
        ax.set_ylim(len(terms) - 0.5, -0.5)  # design order, top to bottom
    ax.set_xlabel("variance inflation factor (log scale)")
    handles: list[Artist] = [
        Line2D([], [], color="k", ls="--", lw=0.9, label=f"warning ({warning:g})"),
        Line2D([], [], color="k", ls="-", lw=0.9, label=f"critical ({critical:g})"),
    ]
    if "organic" in kinds:
        handles.append(Patch(color=_ORGANIC_TERM_COLOR, label="organic term"))
    if "baseline" in kinds:
        handles.append(Patch(color=_BASELINE_TERM_COLOR, label="baseline term"))
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    cn = report.collinearity.condition_number
    ax.set_title(f"VIF per design term (condition number {cn:.3g})")
    return figure_of(ax)


def _kind_color(kind: str) -> str:
    return _ORGANIC_TERM_COLOR if kind == "organic" else _BASELINE_TERM_COLOR


# --------------------------------------------------------------------------- shares


def plot_spend_share(
    report: EDAReport,
    ax: Axes | None = None,
    *,
    baseline: Literal["ridge", "ols"] = "ridge",
) -> Figure:
    """Per channel, its share of total spend next to its share of the media contribution.

    Two bars per channel, both in its colour: the spend share (solid, from
    ``report.profile.columns``' ``spend_share``; container ``ax.containers[0]``) and the
    baseline's contribution share (hatched, ``ax.containers[1]``): the channel's summed
    contribution divided by the sum over all paid channels (not the share of the KPI that
    ``LinearBaseline.channels()["share"]`` gives). A channel whose contribution share
    exceeds its spend share has an above-average ROI in that baseline; the tick labels
    give the ROI itself.

    Args:
        report: the EDA report.
        ax: the axes to draw into; ``None`` makes a new figure.
        baseline: ``"ridge"`` (cross-validated) or ``"ols"``.

    Returns:
        The figure, y axis in percent.

    Raises:
        ValueError: if ``baseline`` is not one of the two.
    """
    check_choice("baseline", baseline, _BASELINES)
    ds = report.dataset
    channels = ds.channels
    profile = report.profile.columns.filter(pl.col("role") == Role.SPEND.value)
    spend_share = dict(zip(profile["column"], _column(profile, "spend_share"), strict=True))
    spend = np.array([spend_share[column_name(Role.SPEND, c)] for c in channels])
    fit = report.ridge if baseline == "ridge" else report.ols
    table = fit.channels()
    by_channel = {name: i for i, name in enumerate(table["channel"].to_list())}
    rows = [by_channel[c] for c in channels]
    contribution = _column(table, "contribution")[rows]
    roi = _column(table, "roi")[rows]
    total = float(contribution.sum())
    share = (
        contribution / total if np.isfinite(total) and total != 0 else np.full(len(rows), np.nan)
    )
    ax = new_axes(ax, (max(5.0, 1.3 * len(channels) + 2.0), 4.2))
    colors = [channel_colors(report)[c] for c in channels]
    x = np.arange(len(channels), dtype=np.float64)
    width = 0.38
    bars_spend = ax.bar(x - width / 2, spend, width, color=colors, label="spend share")
    bars_contribution = ax.bar(
        x + width / 2,
        share,
        width,
        color=[(r, g, b, 0.35) for r, g, b, _ in colors],
        edgecolor=colors,
        hatch="//",
        label=f"{baseline} contribution share",
    )
    for bars in (bars_spend, bars_contribution):
        ax.bar_label(bars, fmt="{:.1%}", fontsize=7, padding=2)
    ax.axhline(0.0, color="k", lw=0.6)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    highest = np.nanmax(np.concatenate([spend, share, [0.0]]))
    lowest = np.nanmin(np.concatenate([spend, share, [0.0]]))
    ax.set_ylim(lowest * 1.15, highest * 1.15 + 0.02)
    ticks = [f"{c}\nROI {r:.3g}" for c, r in zip(channels, roi, strict=True)]
    ax.set_xticks(x, ticks, fontsize=8)
    ax.set_ylabel("share (%)")
    name = "ridge" if baseline == "ridge" else "OLS"
    ax.legend(
        handles=[
            Patch(facecolor="0.5", label="share of spend"),
            Patch(
                facecolor=(0.5, 0.5, 0.5, 0.35),
                edgecolor="0.5",
                hatch="//",
                label=f"share of media contribution ({name})",
            ),
        ],
        fontsize=8,
        loc="upper right",
    )
    ax.set_title(f"Spend share vs {name} contribution share")
    return figure_of(ax)
