"""Plots of an optimized budget: allocation, response curves, flighting and uplift.

Every function takes a :class:`~mmm.optimization.BudgetPlan` (from
:func:`~mmm.optimization.optimize_budget`) and returns the
:class:`~matplotlib.figure.Figure` it drew (the single-panel plots accept ``ax=`` to draw
into an existing axes, and then return that axes' figure). Nothing is shown and no backend
is chosen here; close the figures you are done with (``plt.close(fig)``).

* :func:`plot_allocation`: reference vs optimized spend per channel, the change in % and
  the constraints that bind;
* :func:`plot_plan_response_curves`: per channel, the KPI as a function of its spend
  (posterior mean and interval) with the reference and optimized operating points (needs
  the fit the plan was optimized on);
* :func:`plot_flighting`: a flighting plan's spend per period and channel (a heatmap);
* :func:`plot_uplift`: the posterior of the plan's KPI uplift over the reference plan.

Spend is in the data's money units: per period for a steady plan (``horizon=None``),
the channel's total over the ``H`` horizon periods for a flighting plan. The KPI is per
period for a steady plan and, for flighting, the total the plan causes in the horizon plus
its carry-over after it (as in :class:`~mmm.optimization.PlanEvaluation`). A paid channel
has the same colour as in the EDA and results plots (:func:`mmm.eda.channel_colors`).

Usage (``fitted`` from :func:`mmm.fit`)::

    import matplotlib.pyplot as plt
    from mmm.optimization import optimize_budget

    plan = optimize_budget(fitted, total_budget=10_000.0)
    fig = plot_allocation(plan)
    fig = plot_plan_response_curves(fitted, plan)
    fig = plot_uplift(plan)
    flight = optimize_budget(fitted, total_budget=130_000.0, horizon=13)
    fig = plot_flighting(flight)
    plt.close("all")
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import EngFormatter

from mmm._plotting import curve_axes, figure_of, new_axes
from mmm.eda import channel_colors
from mmm.modeling import FittedMMM
from mmm.optimization._curves import curve_draws
from mmm.optimization._plan import BudgetPlan
from mmm.optimization._scenario import response_of

__all__ = [
    "plot_allocation",
    "plot_plan_response_curves",
    "plot_flighting",
    "plot_uplift",
]

RGBA = tuple[float, float, float, float]

_REFERENCE_COLOR = "0.72"
_OPTIMAL_COLOR = "C3"
_GRID_COLOR = "0.92"
_MAX_BAND_DRAWS = 1000
_CELL_LABELS_UP_TO = 120  # heatmap cells annotated with their value up to this many
_BINDING_TEXT = {
    "lower": "at lower bound",
    "upper": "at upper bound",
    "locked": "locked",
    "period bounds": "period bounds bind",
}


# --------------------------------------------------------------------------- helpers


def _eng(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return str(EngFormatter(places=2, sep="")(value)).replace("\u2212", "-")


def _change(new: float, old: float) -> str:
    if old > 0:
        text = f"{new / old - 1.0:+.1%}"
        return "+0.0%" if text == "-0.0%" else text
    return "new" if new > 0 else "none"


def _spend_unit(plan: BudgetPlan) -> str:
    return "per period" if plan.horizon is None else f"over {plan.horizon} periods"


def _kpi_unit(plan: BudgetPlan) -> str:
    return "per period" if plan.horizon is None else "in the horizon + carry-over"


def _check_plan(plan: BudgetPlan) -> None:
    if not isinstance(plan, BudgetPlan):
        raise ValueError(
            f"plan is a {type(plan).__name__}: pass the BudgetPlan of "
            "mmm.optimization.optimize_budget(fitted, ...)"
        )


def _colors(channels: Sequence[str]) -> dict[str, RGBA]:
    return channel_colors(list(channels))


# --------------------------------------------------------------------------- allocation


def plot_allocation(plan: BudgetPlan, ax: Axes | None = None) -> Figure:
    """Reference vs optimized spend per channel, with the change and the binding constraints.

    One row per channel (the plan's order, top to bottom) with two horizontal bars: the
    reference plan's spend (the historic mix scaled to the same budget, grey;
    ``ax.containers[0]``, bar ``i`` = channel ``i``) and the optimized spend (the channel's
    colour; ``ax.containers[1]``). For a flighting plan each bar is the channel's total
    over the horizon. Beside each channel, ``ax.texts[i]`` gives the change from the
    reference in % (``"new"`` for a channel the reference does not spend on) and, when a
    constraint binds (:attr:`BudgetPlan.binding`), which: ``at lower bound``, ``at upper
    bound``, ``locked`` or ``period bounds bind``; such an optimized bar is hatched.

    Args:
        plan: the optimized plan.
        ax: the axes to draw into; ``None`` makes a new figure.

    Returns:
        The figure, x label ``"spend per period (money units)"`` for a steady plan (``"spend
        over H periods (money units)"`` for flighting).

    Raises:
        ValueError: if ``plan`` is not a :class:`~mmm.optimization.BudgetPlan`.
    """
    _check_plan(plan)
    channels = list(plan.channels)
    optimal = plan.spend.sum(axis=0)
    reference = plan.reference.spend.sum(axis=0)
    binding = plan.binding
    colors = _colors(channels)
    n = len(channels)
    ax = new_axes(ax, (8.5, max(2.6, 0.62 * n + 1.6)))
    y = np.arange(n, dtype=np.float64)
    height = 0.38
    ax.barh(
        y - height / 2,
        reference,
        height,
        color=_REFERENCE_COLOR,
        edgecolor="white",
        lw=0.5,
        label="reference (historic mix, same budget)",
    )
    optimal_bars = ax.barh(
        y + height / 2,
        optimal,
        height,
        color=[colors[c] for c in channels],
        edgecolor="white",
        lw=0.5,
        label="optimized",
    )
    for j, (channel, bar) in enumerate(zip(channels, optimal_bars.patches, strict=True)):
        status = binding.get(channel, "free")
        text = _change(float(optimal[j]), float(reference[j]))
        if status != "free":
            text = f"{text}  ({_BINDING_TEXT.get(status, status)})"
            bar.set_hatch("//")
            bar.set_edgecolor("k")
        ax.annotate(
            text,
            (float(max(optimal[j], reference[j])), y[j]),
            xytext=(5, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=8,
            fontweight="bold" if status != "free" else "normal",
        )
    top = float(max(optimal.max(initial=0.0), reference.max(initial=0.0)))
    ax.set_xlim(0.0, 1.35 * top if top > 0 else 1.0)
    ax.set_yticks(y, channels)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    ax.grid(axis="x", color=_GRID_COLOR)
    ax.set_axisbelow(True)
    unit = _spend_unit(plan)
    ax.set_xlabel(f"spend {unit} (money units)")
    ax.set_ylabel("channel")
    lo, hi = plan.uplift_interval
    budget, spent = plan.total_budget, float(optimal.sum())
    spends = f" (spends {_eng(spent)})" if abs(spent - budget) > 1e-6 * abs(budget) else ""
    ax.set_title(
        f"Budget allocation, {_eng(budget)} {unit}{spends}: optimized vs reference\n"
        f"KPI uplift {_eng(plan.uplift)} [{_eng(lo)}, {_eng(hi)}], "
        f"P(beats reference) {plan.prob_beats_reference:.2f}",
        fontsize=10,
    )
    handles: list[Artist] = [
        Patch(facecolor=_REFERENCE_COLOR, label="reference (historic mix, same budget)"),
        Patch(facecolor=colors[channels[0]] if channels else "C0", label="optimized"),
    ]
    if any(s != "free" for s in binding.values()):
        handles.append(
            Patch(facecolor="white", edgecolor="k", hatch="//", label="a constraint binds")
        )
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    return figure_of(ax)


# --------------------------------------------------------------------------- response curves


def _subsample(draws: np.ndarray, most: int) -> np.ndarray:
    """At most ``most`` draws (evenly spaced along the first axis)."""
    if draws.shape[0] <= most:
        return draws
    return draws[np.linspace(0, draws.shape[0] - 1, most).round().astype(np.int64)]


def _resolve_channels(plan: BudgetPlan, channels: Sequence[str] | None) -> list[str]:
    if channels is None:
        return list(plan.channels)
    if isinstance(channels, str):
        channels = [channels]
    chosen = list(channels)
    unknown = [c for c in chosen if c not in plan.channels]
    if unknown or not chosen:
        raise ValueError(
            f"channels={chosen!r}: {unknown or 'none given'}; pass some of the plan's "
            f"channels {list(plan.channels)} (or None for all)"
        )
    return chosen


def _check_fit(fitted: FittedMMM, plan: BudgetPlan) -> None:
    if not isinstance(fitted, FittedMMM):
        raise ValueError(f"fitted is a {type(fitted).__name__}: pass the fit the plan was made on")
    draws = plan.evaluation.channel_draws.shape[0]
    if tuple(fitted.spec.channels) != tuple(plan.channels) or (
        response_of(fitted).n_draws != draws
    ):
        raise ValueError(
            "the plan was not optimized on this fit (its channels or number of draws "
            f"differ: {list(plan.channels)}, {draws} draws): pass the fit given to "
            "optimize_budget"
        )


def plot_plan_response_curves(
    fitted: FittedMMM,
    plan: BudgetPlan,
    channels: Sequence[str] | None = None,
    points: int = 41,
    ncols: int = 3,
) -> Figure:
    """Per channel, its KPI as a function of its spend, with the plan's operating points.

    One panel per channel (``fig.axes[i]`` is ``channels[i]``, own scales): the posterior
    mean KPI (``lines[0]``, channel colour, by increasing spend, through the optimized
    point) over its central interval at the plan's level (``collections[0]``), and the
    operating points: the reference plan (``lines[1]``, grey square) and the optimized
    plan (``lines[2]``, red dot); the title gives the change and any binding constraint.
    Channels are separable (a channel's KPI depends on its own spend only), so each
    channel's curve holds the others fixed at any value.

    * **Steady plan**: the steady-state KPI per period against the spend per period, on
      ``points`` levels from 0 to 1.5 times the larger of the channel's reference and
      optimized spend (its historic mean spend where both are 0).
    * **Flighting plan**: the channel's optimized spend path scaled up and down (its
      reference path where the plan spends nothing on it) against the channel's total
      over the horizon, the KPI being the total in the horizon plus the carry-over. The
      reference point is the reference plan's own path (its pattern over time), so it lies
      on the curve only where the two paths have the same shape.

    The mean curve and the operating points use all posterior draws (the operating points
    equal the plan's :attr:`PlanEvaluation.channel_draws` means, to float32 rounding); the
    band uses at most 1000 of them, evenly spaced. The grid is evaluated in one compiled
    call (steady: all levels at once; flighting: a loop over the grid inside it).

    Args:
        fitted: the fit the plan was optimized on.
        plan: the plan (steady or flighting).
        channels: the channels to draw, in this order (``None``: all, the plan's order).
        points: spend levels per curve, at least 2.
        ncols: panels per row, at least 1.

    Returns:
        The figure; x labels ``"spend per period (money units)"`` (steady) or ``"spend
        over H periods (money units)"``, y labels ``"<kpi> per period"`` or ``"<kpi> in
        the horizon + carry-over"``.

    Raises:
        ValueError: for unknown channels, ``points < 2``, ``ncols < 1`` or a plan not
            optimized on ``fitted``.
    """
    _check_plan(plan)
    _check_fit(fitted, plan)
    chosen = _resolve_channels(plan, channels)
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise ValueError(f"points={points!r}: pass an int >= 2")
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols={ncols!r}: pass an int >= 1")
    x, draws, ref_x, opt_x, at = curve_draws(fitted, plan, points)
    level = plan.evaluation.level
    mean = draws.mean(axis=0)
    band = _subsample(draws, _MAX_BAND_DRAWS)
    lower, upper = np.quantile(band, [(1 - level) / 2, (1 + level) / 2], axis=0)
    at_mean = at.mean(axis=0)  # (2, channel): reference, optimized
    kpi = fitted.dataset.kpi
    colors = channel_colors(fitted.dataset.channels)
    binding = plan.binding
    k = len(chosen)
    cols = min(ncols, k)
    rows = math.ceil(k / cols)
    fig, grid = plt.subplots(
        rows,
        cols,
        figsize=(max(3.9 * cols + 0.6, 5.5), 3.0 * rows + 1.0),
        squeeze=False,
        layout="constrained",
    )
    axes = list(grid.reshape(-1))
    for extra in axes[k:]:
        fig.delaxes(extra)
    unit = _spend_unit(plan)
    for i, (channel, ax) in enumerate(zip(chosen, axes, strict=False)):
        j = plan.channels.index(channel)
        color = colors.get(channel, to_rgba("C0"))
        # the optimized point lies on the curve: merged into the line (sorted by spend)
        line_x = np.append(x[:, j], opt_x[j])
        line_y = np.append(mean[:, j], at_mean[1, j])
        order = np.argsort(line_x, kind="stable")
        ax.plot(line_x[order], line_y[order], color=color, lw=1.8, label="posterior mean")
        ax.fill_between(
            x[:, j],
            lower[:, j],
            upper[:, j],
            color=color,
            alpha=0.22,
            lw=0,
            label=f"{level:.0%} interval",
        )
        ax.plot(
            [ref_x[j]],
            [at_mean[0, j]],
            ls="",
            marker="s",
            ms=7,
            mfc=_REFERENCE_COLOR,
            mec="k",
            mew=1.0,
            label="reference",
        )
        ax.plot(
            [opt_x[j]],
            [at_mean[1, j]],
            ls="",
            marker="o",
            ms=7,
            mfc=_OPTIMAL_COLOR,
            mec="k",
            mew=1.0,
            label="optimized",
        )
        status = binding.get(channel, "free")
        title = f"{channel}: {_eng(ref_x[j])} → {_eng(opt_x[j])} ({_change(opt_x[j], ref_x[j])})"
        if status != "free":
            title += f", {_BINDING_TEXT.get(status, status)}"
        ax.set_title(title, fontsize=9)
        curve_axes(ax, _GRID_COLOR)
        if i + cols >= k:  # lowest panel of its column
            ax.set_xlabel(f"spend {unit} (money units)")
        if i % cols == 0:
            ax.set_ylabel(f"{kpi} {_kpi_unit(plan)}")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(
        f"Response curves at the optimized plan: {kpi} vs spend {unit} (posterior mean)",
        fontsize=11,
    )
    return fig


# --------------------------------------------------------------------------- flighting


def _label_every(n: int, most: int = 13) -> int:
    return max(1, math.ceil(n / most))


def plot_flighting(plan: BudgetPlan, ax: Axes | None = None) -> Figure:
    """Heatmap of a flighting plan's optimized spend per period and channel.

    Rows are the channels (the plan's order, top to bottom), columns the horizon's
    periods (labelled with their dates, left to right); the image (``ax.images[0]``) holds
    ``plan.spend.T``, ``(channel, period)``, in money units per period, with a colorbar.
    Up to 120 cells are labelled with their spend; the y tick labels give each channel's
    total over the horizon.

    Args:
        plan: a flighting plan (``optimize_budget(..., horizon=H)``).
        ax: the axes to draw into; ``None`` makes a new figure.

    Returns:
        The figure, x label ``"period (start date)"``, colorbar label ``"spend per period
        (money units)"``.

    Raises:
        ValueError: for a steady plan (``horizon=None``: one spend per period, nothing to
            spread over time) or a ``plan`` that is not a
            :class:`~mmm.optimization.BudgetPlan`.
    """
    _check_plan(plan)
    if plan.horizon is None:
        raise ValueError(
            "plot_flighting draws spend per period over a horizon, but this is a steady plan "
            "(horizon=None: one spend per period, held): pass a flighting plan from "
            "optimize_budget(fitted, total_budget, horizon=H)"
        )
    channels = list(plan.channels)
    spend = np.asarray(plan.spend, np.float64).T  # (channel, period)
    n, h = spend.shape
    ax = new_axes(ax, (max(6.5, 0.45 * h + 3.5), max(2.6, 0.5 * n + 1.8)))
    top = float(spend.max(initial=0.0))
    image = ax.imshow(
        spend,
        aspect="auto",
        cmap="viridis",
        interpolation="nearest",
        vmin=0.0,
        vmax=top if top > 0 else 1.0,
    )
    if n * h <= _CELL_LABELS_UP_TO:
        cmap, norm = image.get_cmap(), image.norm
        for c in range(n):
            for t in range(h):
                r, g, b, _ = cmap(norm(spend[c, t]))
                light = 0.299 * r + 0.587 * g + 0.114 * b > 0.5
                ax.text(
                    t,
                    c,
                    _eng(spend[c, t]),
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="k" if light else "w",
                )
    dates = plan.dates
    every = _label_every(h)
    ticks = np.arange(0, h, every)
    labels = [dates[t].isoformat() if dates else str(t + 1) for t in ticks]
    ax.set_xticks(ticks, labels, rotation=45 if dates else 0, ha="right" if dates else "center")
    totals = spend.sum(axis=1)
    ax.set_yticks(
        np.arange(n), [f"{c}\n(total {_eng(s)})" for c, s in zip(channels, totals, strict=True)]
    )
    ax.tick_params(axis="y", labelsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel("period (start date)" if dates else "period")
    ax.set_ylabel("channel")
    bar = figure_of(ax).colorbar(image, ax=ax, format=EngFormatter(sep=""))
    bar.set_label("spend per period (money units)")
    ax.set_title(
        f"Optimized flighting: {_eng(plan.total_budget)} over {h} periods "
        f"({dates[0].isoformat()} to {dates[-1].isoformat()})"
        if dates
        else f"Optimized flighting: {_eng(plan.total_budget)} over {h} periods",
        fontsize=10,
    )
    return figure_of(ax)


# --------------------------------------------------------------------------- uplift


def plot_uplift(plan: BudgetPlan, ax: Axes | None = None, bins: int = 50) -> Figure:
    """Histogram of the posterior of the plan's KPI uplift over the reference plan.

    The uplift per posterior draw (:attr:`BudgetPlan.uplift_draws`: the plan's KPI minus
    the reference's, paired draws) as ``bins`` bars (``ax.patches``, counts of draws), and
    vertical lines: no uplift at 0 (``ax.lines[0]``, dashed), the posterior mean
    (``ax.lines[1]``) and the ends of the central interval at the plan's level
    (``ax.lines[2]`` and ``ax.lines[3]``, dotted). A box gives P(beats reference), the
    mean (also relative to the reference's KPI) and the interval.

    Args:
        plan: the optimized plan.
        ax: the axes to draw into; ``None`` makes a new figure.
        bins: number of histogram bins, at least 1.

    Returns:
        The figure, x label ``"KPI uplift over the reference plan, per period"`` (steady;
        ``"..., in the horizon + carry-over"`` for flighting), y label ``"posterior
        draws"``.

    Raises:
        ValueError: for ``bins < 1`` or a ``plan`` that is not a
            :class:`~mmm.optimization.BudgetPlan`.
    """
    _check_plan(plan)
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins={bins!r}: pass an int >= 1")
    draws = np.asarray(plan.uplift_draws, np.float64)
    draws = draws[np.isfinite(draws)]
    mean = plan.uplift
    lo, hi = plan.uplift_interval
    level = plan.evaluation.level
    ax = new_axes(ax, (7.5, 4.2))
    ax.hist(draws, bins=bins, color="C0", alpha=0.55, edgecolor="white", lw=0.4)
    ax.axvline(0.0, color="k", lw=1.0, ls="--", label="no uplift")
    ax.axvline(mean, color=_OPTIMAL_COLOR, lw=2.0, label=f"mean {_eng(mean)}")
    ax.axvline(lo, color=_OPTIMAL_COLOR, lw=1.2, ls=":", label=f"{level:.0%} interval")
    ax.axvline(hi, color=_OPTIMAL_COLOR, lw=1.2, ls=":")
    base = plan.baseline_response
    relative = f" ({mean / base:+.1%} of the reference)" if base > 0 else ""
    ax.text(
        0.02,
        0.97,
        f"P(beats reference) = {plan.prob_beats_reference:.2f}\n"
        f"mean uplift {_eng(mean)}{relative}\n"
        f"{level:.0%} interval [{_eng(lo)}, {_eng(hi)}]",
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=8,
        bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.7", "alpha": 0.9},
    )
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    ax.grid(axis="y", color=_GRID_COLOR)
    ax.set_axisbelow(True)
    ax.set_xlabel(f"KPI uplift over the reference plan, {_kpi_unit(plan)}")
    ax.set_ylabel("posterior draws")
    ax.set_title(
        f"Uplift of the optimized plan over the reference ({draws.size} posterior draws)",
        fontsize=10,
    )
    handles: list[Artist] = [
        Line2D([], [], color="k", lw=1.0, ls="--", label="no uplift"),
        Line2D([], [], color=_OPTIMAL_COLOR, lw=2.0, label=f"mean {_eng(mean)}"),
        Line2D([], [], color=_OPTIMAL_COLOR, lw=1.2, ls=":", label=f"{level:.0%} interval"),
    ]
    ax.legend(handles=handles, fontsize=8, loc="upper right")
    return figure_of(ax)
