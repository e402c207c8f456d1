"""Diagnostic plots of a fit: traces, rank histograms, R-hat/ESS and posterior predictive checks.

Every function draws with matplotlib and returns what it drew: a :class:`~matplotlib.figure.Figure`
for a composite plot, an :class:`~matplotlib.axes.Axes` for a single panel (pass ``ax=`` to draw
into an existing one). Nothing is shown and no backend is chosen here; close the figures you
are done with (``plt.close(fig)``).

The parameter plots (:func:`plot_trace`, :func:`plot_rank`) show one row per scalar
parameter: each site's trailing dims are flattened and labelled with the model's
coordinates, e.g. ``media/adstock/alpha[tv]``. Rows are ordered by R-hat
(rank-normalized, as :func:`summarize`), worst first,
so that a capped plot (``max_params``) shows the parameters that most need a look.

The predictive plots use :func:`mmm.modeling.predict` in sample; pass ``prediction=`` to
reuse one computed already (:func:`plot_ppc` computes it once for its three panels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from jaxtyping import Float
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from mmm.diagnostics._convergence import scalar_draws
from mmm.diagnostics._stats import rhat
from mmm.modeling import FittedMMM, Prediction, predict

__all__ = [
    "ParameterOrder",
    "SupportsToFrame",
    "plot_trace",
    "plot_rank",
    "plot_convergence",
    "plot_fit",
    "plot_residuals",
    "plot_ppc_density",
    "plot_ppc",
]

ParameterOrder = Literal["rhat", "model"]
"""Row order of the parameter plots: worst R-hat first, or the model's site order."""

_ORDERS: tuple[str, ...] = ("rhat", "model")
_OK_COLOR = "C0"
_BAD_COLOR = "C3"
_GRID_POINTS = 256


@runtime_checkable
class SupportsToFrame(Protocol):
    """A convergence report: anything with ``to_frame() -> polars.DataFrame``.

    The frame has at least the columns ``parameter`` (str), ``rhat``, ``ess_bulk`` and
    ``ess_tail`` (floats), one row per scalar parameter. A report may also carry
    ``thresholds`` with attributes ``rhat`` and ``ess``.
    """

    def to_frame(self) -> pl.DataFrame:
        """The per-parameter table."""
        ...


# --------------------------------------------------------------------------- validation


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name}={value!r} is not valid: pass an int >= 1")
    return int(value)


def _check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    if isinstance(levels, str) or not isinstance(levels, Sequence) or len(levels) == 0:
        raise ValueError(
            f"levels={levels!r} is not valid: pass a non-empty sequence of floats in (0, 1), "
            "e.g. (0.5, 0.9)"
        )
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
            raise ValueError(
                f"levels={tuple(levels)!r} is not valid: {level!r} is not a float in (0, 1); "
                "pass e.g. (0.5, 0.9)"
            )
    return tuple(sorted({float(level) for level in levels}, reverse=True))


def _check_order(order: str) -> None:
    if order not in _ORDERS:
        raise ValueError(f"order={order!r} is not valid: pass one of {list(_ORDERS)}")


# --------------------------------------------------------------------------- statistics


def _kde(
    x: Float[np.ndarray, " n"], grid: Float[np.ndarray, " grid"]
) -> Float[np.ndarray, " grid"]:
    """Gaussian kernel density of ``x`` on ``grid`` with Scott's bandwidth.

    ``h = sd(x, ddof=1) * n ** (-1/5)``, ``f(g) = mean_i N(g; x_i, h)`` (as
    ``scipy.stats.gaussian_kde`` in one dimension). A constant ``x`` gets a narrow kernel.
    """
    x = np.asarray(x, dtype=np.float64)
    h = _bandwidth(x)
    z = (np.asarray(grid, dtype=np.float64)[:, None] - x[None, :]) / h
    return np.exp(-0.5 * z**2).mean(axis=1) / (h * math.sqrt(2 * math.pi))


def _bandwidth(x: np.ndarray) -> float:
    sd = float(np.std(x, ddof=1)) if x.size > 1 else 0.0
    h = sd * x.size ** (-0.2)
    if not np.isfinite(h) or h <= 0:
        h = 1e-3 * max(1.0, float(np.abs(x).max(initial=0.0)))
    return h


def _grid(values: Sequence[np.ndarray]) -> Float[np.ndarray, " grid"]:
    """Evaluation grid covering all ``values`` plus three bandwidths on either side."""
    pad = 3 * max(_bandwidth(np.asarray(v, dtype=np.float64)) for v in values)
    lo = min(float(np.min(v)) for v in values) - pad
    hi = max(float(np.max(v)) for v in values) + pad
    return np.linspace(lo, hi, _GRID_POINTS)


# --------------------------------------------------------------------------- parameters


def _scalar_parameters(
    fitted: FittedMMM, sites: str | Sequence[str] | None, max_params: int, order: str
) -> tuple[list[tuple[str, np.ndarray]], int]:
    """``(label, (chain, draw) draws)`` of the scalar parameters to plot, and how many exist."""
    _check_count("max_params", max_params)
    _check_order(order)
    free = fitted.free_samples()
    if sites is None:
        chosen = free
    else:
        names = [sites] if isinstance(sites, str) else list(sites)
        if not names:
            raise ValueError(f"sites={sites!r} is empty: pass site names or None for all")
        unknown = [s for s in names if s not in fitted.samples]
        if unknown:
            raise ValueError(
                f"sites={unknown!r} are not sites of this fit: pass some of "
                f"{sorted(fitted.samples)} (the free parameters are {list(free)})"
            )
        chosen = {s: fitted.samples[s] for s in names}
    params = list(scalar_draws(fitted, chosen).items())
    if order == "rhat":
        # Worst first; an undefined R-hat (stuck chain, too few draws) counts as worst.
        def badness(item: tuple[str, np.ndarray]) -> float:
            r = rhat(item[1])
            return math.inf if math.isnan(r) else r

        params.sort(key=badness, reverse=True)
    return params[:max_params], len(params)


def _suptitle(fig: Figure, title: str, shown: int, total: int, order: str) -> None:
    if shown < total:
        which = "worst R-hat first" if order == "rhat" else "model order"
        title = f"{title}: {shown} of {total} parameters, {which}"
    fig.suptitle(title)


def plot_trace(
    fitted: FittedMMM,
    sites: str | Sequence[str] | None = None,
    max_params: int = 12,
    *,
    order: ParameterOrder = "rhat",
) -> Figure:
    """Trace and per-chain density of each scalar parameter, one row per parameter.

    Left: the draws over iteration, one line per chain (``axes[i, 0].lines[c]`` is chain
    ``c``), divergent transitions ticked at the bottom when the sampler recorded them.
    Right: each chain's Gaussian kernel density (Scott's bandwidth). Chains that agree
    overlap; a chain stuck elsewhere shows as a separate band and a separate bump.

    Args:
        fitted: the fit.
        sites: site names to show (e.g. ``"media/adstock/alpha"``; any site of
            ``fitted.samples``); ``None`` shows the free parameters
            (``fitted.free_samples()``).
        max_params: at most this many rows (>= 1).
        order: ``"rhat"`` (worst R-hat first) or ``"model"`` (site order).

    Returns:
        The figure, axes ``(row, 2)``; rows titled by parameter label, e.g.
        ``media/adstock/alpha[tv]``.

    Raises:
        ValueError: if a site is unknown, ``max_params < 1`` or ``order`` is not allowed.
    """
    params, total = _scalar_parameters(fitted, sites, max_params, order)
    n = len(params)
    fig, axes = plt.subplots(
        n,
        2,
        figsize=(10, 1.6 * n + 0.8),
        squeeze=False,
        gridspec_kw={"width_ratios": [3, 1]},
        layout="constrained",
    )
    diverging = fitted.sample_stats.get("diverging")
    for row, (label, draws) in enumerate(params):
        left, right = axes[row]
        iteration = np.arange(draws.shape[1])
        grid = _grid(list(draws))
        for c, chain in enumerate(draws):
            color = f"C{c % 10}"
            left.plot(iteration, chain, color=color, lw=0.7, alpha=0.8, label=f"chain {c}")
            right.plot(grid, _kde(chain, grid), color=color, lw=1.0)
        if diverging is not None and np.any(diverging):
            where = np.nonzero(np.asarray(diverging))[1]
            left.plot(
                where,
                np.zeros_like(where),
                "|",
                color="k",
                markersize=6,
                transform=left.get_xaxis_transform(),
                label="divergent",
            )
        left.set_title(label, loc="left", fontsize=9)
        left.tick_params(labelsize=8)
        right.tick_params(labelsize=8)
        right.set_yticks([])
    axes[0, 1].set_title("density per chain", fontsize=9)
    axes[-1, 0].set_xlabel("iteration")
    axes[-1, 1].set_xlabel("value")
    if fitted.n_chains > 1 or (diverging is not None and np.any(diverging)):
        axes[0, 0].legend(fontsize=7, loc="upper right", ncols=min(fitted.n_chains + 1, 5))
    _suptitle(fig, "Trace", n, total, order)
    return fig


def plot_rank(
    fitted: FittedMMM,
    sites: str | Sequence[str] | None = None,
    max_params: int = 12,
    bins: int = 20,
    *,
    order: ParameterOrder = "rhat",
) -> Figure:
    """Rank histograms: one row per scalar parameter, one column per chain.

    The draws of all chains are pooled and ranked (``0 .. chain * draw - 1``) per
    parameter; each panel is the histogram of one chain's ranks in ``bins`` equal bins
    (a filled :class:`~matplotlib.patches.StepPatch` labelled ``"ranks"``). If the chains
    sample the same distribution, every histogram is flat around the uniform expectation
    ``draw / bins`` (dashed line; the shaded band is its approximate 95% binomial range).
    A chain in a different region piles up at one end.

    Args:
        fitted: the fit.
        sites: site names to show; ``None`` shows the free parameters.
        max_params: at most this many rows (>= 1).
        bins: histogram bins per panel (>= 1).
        order: ``"rhat"`` (worst R-hat first) or ``"model"`` (site order).

    Returns:
        The figure, axes ``(row, chain)``; the left column's y labels are the parameter
        labels, the top row's titles the chains.

    Raises:
        ValueError: if a site is unknown, ``max_params < 1``, ``bins < 1`` or ``order`` is
            not allowed.
    """
    bins = _check_count("bins", bins)
    params, total = _scalar_parameters(fitted, sites, max_params, order)
    n, chains, draws_per_chain = len(params), fitted.n_chains, fitted.n_draws
    fig, axes = plt.subplots(
        n,
        chains,
        figsize=(max(2.2 * chains + 2.5, 7.0), 1.3 * n + 0.8),
        squeeze=False,
        sharex=True,
        sharey=True,
        layout="constrained",
    )
    pooled = chains * draws_per_chain
    edges = np.linspace(0, pooled, bins + 1)
    expected = draws_per_chain / bins
    p = 1 / bins
    spread = 1.96 * math.sqrt(draws_per_chain * p * (1 - p))
    for row, (label, draws) in enumerate(params):
        values = draws.reshape(-1)
        pooled_ranks = np.empty(values.size)
        pooled_ranks[np.argsort(values, kind="stable")] = np.arange(values.size)
        ranks = pooled_ranks.reshape(chains, draws_per_chain)
        for c in range(chains):
            ax = axes[row, c]
            counts, _ = np.histogram(ranks[c], bins=edges)
            ax.stairs(counts, edges, fill=True, color=f"C{c % 10}", label="ranks")
            ax.axhspan(max(expected - spread, 0.0), expected + spread, color="0.92", zorder=0)
            ax.axhline(expected, color="k", ls="--", lw=0.8)
            ax.set_yticks([])
            ax.tick_params(labelsize=7)
            if row == 0:
                ax.set_title(f"chain {c}", fontsize=9)
        axes[row, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("pooled rank")
    _suptitle(fig, "Rank histograms", n, total, order)
    return fig


# --------------------------------------------------------------------------- convergence


def _report_frame(report: SupportsToFrame | pl.DataFrame) -> pl.DataFrame:
    if isinstance(report, pl.DataFrame):
        frame = report
    elif isinstance(report, SupportsToFrame):
        frame = report.to_frame()
    else:
        raise ValueError(
            f"report={type(report).__name__} is not valid: pass a DiagnosticsReport "
            "(anything with .to_frame()) or a polars DataFrame"
        )
    needed = ("parameter", "rhat", "ess_bulk", "ess_tail")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(
            f"report has no columns {missing} (it has {frame.columns}): pass a frame with "
            f"the columns {list(needed)}, one row per parameter"
        )
    if frame.height == 0:
        raise ValueError("report has no rows: there is nothing to plot")
    return frame


def _threshold(report: object, attribute: str, given: float | None, default: float) -> float:
    if given is not None:
        return float(given)
    thresholds = getattr(report, "thresholds", None)
    value = getattr(thresholds, attribute, None)
    return default if value is None else float(value)


def plot_convergence(
    report: SupportsToFrame | pl.DataFrame,
    rhat_threshold: float | None = None,
    ess_threshold: float | None = None,
) -> Figure:
    """R-hat and bulk/tail ESS of every parameter, against their thresholds.

    Left panel: R-hat as horizontal bars from 1 (``x = 1 .. rhat``), those above the
    threshold in a second container (``label="R-hat > ..."``) and colour; a parameter
    with NaN R-hat has no bar. Right panel: bulk and tail ESS bars (containers labelled
    ``"bulk ESS"`` and ``"tail ESS"``), with the ESS threshold. Parameters run top to
    bottom in the frame's order.

    Args:
        report: a diagnostics report (``.to_frame()`` giving the columns ``parameter``,
            ``rhat``, ``ess_bulk``, ``ess_tail``) or such a polars DataFrame.
        rhat_threshold: R-hat above this is flagged; ``None`` takes
            ``report.thresholds.rhat`` when the report has it, else 1.01.
        ess_threshold: the ESS line; ``None`` takes ``report.thresholds.ess``, else 400.

    Returns:
        The figure with the two panels (``fig.axes[0]`` R-hat, ``fig.axes[1]`` ESS).

    Raises:
        ValueError: if ``report`` is neither, lacks a column or has no rows.

    Examples:
        >>> import matplotlib.pyplot as plt
        >>> import polars as pl
        >>> frame = pl.DataFrame({"parameter": ["a", "b"], "rhat": [1.0, 1.05],
        ...                       "ess_bulk": [900.0, 80.0], "ess_tail": [700.0, 60.0]})
        >>> fig = plot_convergence(frame)
        >>> [c.get_label() for c in fig.axes[0].containers]
        ['R-hat ≤ 1.01', 'R-hat > 1.01']
        >>> plt.close(fig)
    """
    frame = _report_frame(report)
    r_max = _threshold(report, "rhat", rhat_threshold, 1.01)
    e_min = _threshold(report, "ess", ess_threshold, 400.0)
    labels = [str(p) for p in frame["parameter"].to_list()]
    rhat = frame["rhat"].cast(pl.Float64).fill_null(math.nan).to_numpy()
    bulk = frame["ess_bulk"].cast(pl.Float64).fill_null(math.nan).to_numpy()
    tail = frame["ess_tail"].cast(pl.Float64).fill_null(math.nan).to_numpy()
    y = np.arange(len(labels), dtype=np.float64)
    fig, (ax_r, ax_e) = plt.subplots(
        1, 2, figsize=(11, 0.28 * len(labels) + 1.5), sharey=True, layout="constrained"
    )
    bad = rhat > r_max
    groups = ((~bad, _OK_COLOR, f"R-hat ≤ {r_max:g}"), (bad, _BAD_COLOR, f"R-hat > {r_max:g}"))
    for mask, color, name in groups:
        if mask.any():
            ax_r.barh(y[mask], rhat[mask] - 1.0, left=1.0, height=0.7, color=color, label=name)
    ax_r.axvline(r_max, color="k", ls="--", lw=0.8)
    ax_r.set_yticks(y, labels, fontsize=8)
    ax_r.invert_yaxis()
    ax_r.set_xlabel("R-hat")
    ax_r.set_title(f"R-hat (threshold {r_max:g})")
    ax_r.legend(fontsize=8, loc="lower right")
    ax_e.barh(y - 0.2, bulk, height=0.4, color="C0", label="bulk ESS")
    ax_e.barh(y + 0.2, tail, height=0.4, color="C1", label="tail ESS")
    ax_e.axvline(e_min, color="k", ls="--", lw=0.8)
    ax_e.set_xlabel("effective sample size")
    ax_e.set_title(f"ESS (threshold {e_min:g})")
    ax_e.legend(fontsize=8, loc="lower right")
    fig.suptitle("Convergence")
    return fig


# --------------------------------------------------------------------------- predictive


def _observed(fitted: FittedMMM) -> Float[np.ndarray, " time"]:
    return np.asarray(fitted.design.scalings.kpi.inverse(fitted.design.kpi), dtype=np.float64)


def _in_sample(fitted: FittedMMM, prediction: Prediction | None, seed: int) -> Prediction:
    if prediction is None:
        return predict(fitted, seed=seed)
    if tuple(prediction.dates) != tuple(fitted.design.dates):
        raise ValueError(
            f"prediction covers {len(prediction.dates)} periods from "
            f"{prediction.dates[0] if prediction.dates else None}, not the training window: "
            "pass the in-sample prediction predict(fitted) or None"
        )
    return prediction


def _dates(prediction: Prediction) -> np.ndarray:
    return np.asarray(prediction.dates, dtype="datetime64[D]")


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def plot_fit(
    fitted: FittedMMM,
    levels: Sequence[float] = (0.5, 0.9),
    ax: Axes | None = None,
    prediction: Prediction | None = None,
    *,
    seed: int = 0,
) -> Axes:
    """Observed KPI against the posterior predictive over the training dates.

    Draws, in this order, the observed KPI (``ax.lines[0]``), the posterior mean of the
    expected KPI (``ax.lines[1]``) and one band per level, the equal-tailed posterior
    predictive interval :meth:`Prediction.interval` (``ax.collections``, widest first).

    Args:
        fitted: the fit.
        levels: interval levels, each in (0, 1).
        ax: the axes to draw into; ``None`` makes a new figure.
        prediction: ``predict(fitted)`` if computed already, else computed here.
        seed: PRNG seed of the predictive draws when ``prediction`` is ``None``.

    Returns:
        The axes, y label the KPI name, with a legend.

    Raises:
        ValueError: if a level is not in (0, 1) or ``prediction`` is not in sample.
    """
    bands = _check_levels(levels)
    pred = _in_sample(fitted, prediction, seed)
    ax = _axes(ax, (11, 4))
    x = _dates(pred)
    kpi = fitted.dataset.kpi
    ax.plot(x, _observed(fitted), color="k", lw=1.0, marker=".", ms=3, label=f"observed {kpi}")
    ax.plot(x, pred.mean.mean(axis=0), color="C0", lw=1.5, label="posterior mean")
    for i, level in enumerate(bands):
        lower, upper = pred.interval(level)
        alpha = 0.2 + 0.25 * i / max(len(bands) - 1, 1)
        ax.fill_between(
            x, lower, upper, color="C0", alpha=alpha, lw=0, label=f"{level:.0%} predictive"
        )
    _date_axis(ax)
    ax.set_xlabel("date")
    ax.set_ylabel(kpi)
    ax.set_title(f"Posterior predictive fit: {kpi}")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_residuals(
    fitted: FittedMMM,
    ax: Axes | None = None,
    prediction: Prediction | None = None,
    *,
    seed: int = 0,
) -> Axes:
    """Residuals over time: observed KPI minus the posterior mean of the expected KPI.

    Args:
        fitted: the fit.
        ax: the axes to draw into; ``None`` makes a new figure.
        prediction: ``predict(fitted)`` if computed already, else computed here.
        seed: PRNG seed passed to :func:`predict` when ``prediction`` is ``None``.

    Returns:
        The axes: the residuals are ``ax.lines[0]``, the zero line ``ax.lines[1]``.

    Raises:
        ValueError: if ``prediction`` is not in sample.
    """
    pred = _in_sample(fitted, prediction, seed)
    ax = _axes(ax, (11, 3))
    kpi = fitted.dataset.kpi
    residual = _observed(fitted) - pred.mean.mean(axis=0)
    ax.plot(_dates(pred), residual, color="C0", lw=1.0, marker=".", ms=3, label="residual")
    ax.axhline(0.0, color="k", lw=0.8, ls="--")
    _date_axis(ax)
    ax.set_xlabel("date")
    ax.set_ylabel(f"residual ({kpi})")
    ax.set_title("Residuals: observed - posterior mean")
    return ax


def plot_ppc_density(
    fitted: FittedMMM,
    n_draws: int = 50,
    ax: Axes | None = None,
    prediction: Prediction | None = None,
    seed: int = 0,
) -> Axes:
    """Density of the observed KPI against those of replicated datasets.

    Each of ``n_draws`` posterior predictive draws (chosen without replacement with
    ``seed``; all of them if there are fewer) is a replicated KPI series; its Gaussian
    kernel density is a thin line (``ax.lines[:-1]``), the observed KPI's density the thick
    last line. The observed curve should look like one of the replicated ones.

    Args:
        fitted: the fit.
        n_draws: replicated datasets to draw (>= 1).
        ax: the axes to draw into; ``None`` makes a new figure.
        prediction: ``predict(fitted)`` if computed already, else computed here.
        seed: seed of the choice of draws and, without ``prediction``, of :func:`predict`.

    Returns:
        The axes, x label the KPI name, with a legend.

    Raises:
        ValueError: if ``n_draws < 1`` or ``prediction`` is not in sample.
    """
    n_draws = _check_count("n_draws", n_draws)
    pred = _in_sample(fitted, prediction, seed)
    ax = _axes(ax, (6, 4))
    observed = _observed(fitted)
    total = pred.draws.shape[0]
    chosen = np.random.default_rng(seed).choice(total, size=min(n_draws, total), replace=False)
    replicated = np.asarray(pred.draws[np.sort(chosen)], dtype=np.float64)
    grid = _grid([observed, *replicated])
    for i, rep in enumerate(replicated):
        label = f"replicated ({len(replicated)} draws)" if i == 0 else None
        ax.plot(grid, _kde(rep, grid), color="C0", lw=0.6, alpha=0.3, label=label)
    kpi = fitted.dataset.kpi
    ax.plot(grid, _kde(observed, grid), color="k", lw=2.0, label=f"observed {kpi}")
    ax.set_xlabel(kpi)
    ax.set_ylabel("density")
    ax.set_title("Posterior predictive check")
    ax.legend(fontsize=8)
    return ax


def plot_ppc(
    fitted: FittedMMM,
    levels: Sequence[float] = (0.5, 0.9),
    seed: int = 0,
    *,
    n_draws: int = 50,
) -> Figure:
    """The fit, its residuals and the predictive density check in one figure.

    :func:`predict` runs once (with ``seed``) and feeds :func:`plot_fit` (top, full
    width), :func:`plot_residuals` (bottom left) and :func:`plot_ppc_density` (bottom
    right).

    Args:
        fitted: the fit.
        levels: interval levels of the fit panel, each in (0, 1).
        seed: PRNG seed of the predictive draws and of the density panel's choice.
        n_draws: replicated datasets in the density panel (>= 1).

    Returns:
        The figure; ``fig.axes`` is ``[fit, residuals, density]``.

    Raises:
        ValueError: if a level is not in (0, 1) or ``n_draws < 1``.
    """
    _check_levels(levels)
    _check_count("n_draws", n_draws)
    prediction = predict(fitted, seed=seed)
    fig = plt.figure(figsize=(12, 7.5), layout="constrained")
    panels = fig.subplot_mosaic([["fit", "fit"], ["residuals", "density"]])
    plot_fit(fitted, levels, ax=panels["fit"], prediction=prediction)
    plot_residuals(fitted, ax=panels["residuals"], prediction=prediction)
    plot_ppc_density(fitted, n_draws, ax=panels["density"], prediction=prediction, seed=seed)
    return fig
