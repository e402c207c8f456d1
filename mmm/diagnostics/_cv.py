r"""Rolling-origin time-series cross-validation: refit on the past, forecast what came next.

The data are cut at ``folds`` origins. Fold ``i`` (``0`` the earliest) trains on the
periods before its cut-off :math:`c_i` and forecasts the ``horizon`` periods from it; the
last fold's test window ends with the data and consecutive cut-offs are ``step`` periods
apart:

.. math:: c_i = T - h - (F - 1 - i)\,s, \qquad \text{test}_i = [c_i, c_i + h).

With ``window="expanding"`` every training window starts at the first period; with
``"sliding"`` each has the same length :math:`L` (``min_train``, or the first fold's
:math:`c_0`) and ends at its cut-off. A fold never sees a period at or after its
cut-off: the spec's scalings, the fit and the ROI are computed on the training window, and
the forecast carries the training window's adstock into the test window
(:func:`mmm.modeling.predict`).

Per fold, with :math:`y_t` the observed KPI of the test window, :math:`\hat y_t` the
posterior mean of the expected KPI and :math:`x^{(1..n)}_t` the posterior predictive draws:

* MAPE :math:`= \mathrm{mean}_{y_t \ne 0} |y_t - \hat y_t| / |y_t|` (a share; periods with
  a zero KPI are skipped; NaN when every test period is zero);
* RMSE :math:`= \sqrt{\mathrm{mean}_t (y_t - \hat y_t)^2}` (KPI units);
* CRPS: the mean over test periods of the sample CRPS of the predictive draws,
  :math:`\mathrm{E}|X - y| - \tfrac12 \mathrm{E}|X - X'|` over the empirical distribution
  of the draws (:func:`crps`; KPI units, lower is better, equal to the absolute error for
  a point forecast);
* coverage: the share of test periods inside the equal-tailed ``level`` predictive
  interval;
* per channel, the ROI of the fold's fit over its training window
  (:func:`mmm.modeling.roi_draws`): posterior mean and equal-tailed ``level`` interval.

Only these summaries are kept (``keep_fits=True`` also keeps every fold's fit), so memory
does not grow with the draws.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any, Literal, get_args

import numpy as np
import polars as pl
from jaxtyping import Float

from mmm.config import MIN_PERIODS, DataContractWarning
from mmm.data import MMMDataSet, ModelArrays
from mmm.modeling import (
    FittedMMM,
    Method,
    ModelSpec,
    count_parameters,
    design_for,
    draw_totals,
    fit,
    predict,
    roi_draws,
)

__all__ = ["Window", "CrossValidation", "cross_validate", "crps"]

Window = Literal["expanding", "sliding"]


def crps(
    draws: Float[np.ndarray, "draw time"], observed: Float[np.ndarray, " time"]
) -> Float[np.ndarray, " time"]:
    r"""Sample CRPS of predictive ``draws`` per period, in ``O(n log n)`` per period.

    The CRPS of the empirical distribution of the ``n`` draws :math:`x_i` at :math:`y`,

    .. math:: \frac1n \sum_i |x_i - y| - \frac1{2n^2} \sum_{i,j} |x_i - x_j|,

    with the double sum computed from the sorted draws
    :math:`\sum_{i,j} |x_i - x_j| = 2 \sum_k (2k - n - 1)\, x_{(k)}` (:math:`k = 1..n`).

    Args:
        draws: predictive draws, ``(draw, time)``.
        observed: the observed values, ``(time,)``.

    Returns:
        The CRPS per period, ``(time,)``, in the units of the data.

    Raises:
        ValueError: if the shapes do not match or there are no draws.
    """
    x = np.sort(np.asarray(draws, dtype=np.float64), axis=0)
    y = np.asarray(observed, dtype=np.float64)
    if x.ndim != 2 or y.shape != x.shape[1:] or x.shape[0] == 0:
        raise ValueError(
            f"draws of shape {np.shape(draws)} and observed of shape {np.shape(observed)} do "
            "not match: pass draws (draw, time) with at least one draw and observed (time,)"
        )
    n = x.shape[0]
    weights = (2 * np.arange(1, n + 1) - n - 1)[:, None]
    spread = 2 * np.sum(weights * x, axis=0) / n**2
    return np.mean(np.abs(x - y[None, :]), axis=0) - 0.5 * spread


@dataclasses.dataclass(frozen=True)
class CrossValidation:
    """The result of :func:`cross_validate`: per-fold forecast errors and ROI.

    Attributes:
        folds: one row per fold: ``fold``, ``train_start``, ``train_end``, ``test_start``,
            ``test_end`` (dates, inclusive), ``n_train``, ``mape`` (a share), ``rmse``,
            ``crps`` (KPI units), ``coverage`` (share of test periods in the ``level``
            predictive interval), ``fit_seconds`` and ``warm_start``.
        roi: long, one row per fold and channel: ``fold``, ``channel``, ``roi_mean``,
            ``roi_lower``, ``roi_upper`` (the equal-tailed ``level`` interval).
        fits: each fold's :class:`FittedMMM` with ``keep_fits=True``, else ``None``.
        settings: the arguments of the run (folds, horizon, window, the resolved
            ``min_train`` and ``step``, method, warm_start, level, seed, fit_kwargs).
    """

    folds: pl.DataFrame
    roi: pl.DataFrame
    fits: tuple[FittedMMM, ...] | None
    settings: Mapping[str, Any]

    def roi_stability(self) -> pl.DataFrame:
        """Per channel, how much the ROI moves between folds.

        Returns:
            One row per channel: ``channel``, ``mean`` (of the folds' posterior means),
            ``sd`` (their standard deviation across folds, ``ddof=1``; null with one
            fold), ``cv`` (``sd / |mean|``), ``min`` and ``max`` (of the fold means).
        """
        return (
            self.roi.group_by("channel", maintain_order=True)
            .agg(
                pl.col("roi_mean").mean().alias("mean"),
                pl.col("roi_mean").std(ddof=1).alias("sd"),
                pl.col("roi_mean").min().alias("min"),
                pl.col("roi_mean").max().alias("max"),
            )
            .with_columns((pl.col("sd") / pl.col("mean").abs()).alias("cv"))
            .select("channel", "mean", "sd", "cv", "min", "max")
        )

    def __str__(self) -> str:
        s = self.settings
        start = "warm-started" if s["warm_start"] else "cold-started"
        lines = [
            f"Cross-validation: {len(self.folds)} {s['window']} fold(s), horizon "
            f"{s['horizon']}, step {s['step']}, {s['method']}, {start}",
            f"  {'fold':>4}  {'train':<23} {'n':>4}  {'test':<23} {'MAPE':>6} "
            f"{'RMSE':>10} {'CRPS':>10} {'cover':>6}",
        ]
        for r in self.folds.iter_rows(named=True):
            lines.append(
                f"  {r['fold']:>4}  {r['train_start']}..{r['train_end']} {r['n_train']:>4}  "
                f"{r['test_start']}..{r['test_end']} {r['mape']:>6.1%} {_number(r['rmse']):>10} "
                f"{_number(r['crps']):>10} {r['coverage']:>6.0%}"
            )
        stability = self.roi_stability().filter(
            pl.col("cv").is_not_null() & pl.col("cv").is_finite()
        )
        if stability.height:
            worst = stability.sort("cv", descending=True).row(0, named=True)
            lines.append(
                f"  least stable ROI: {worst['channel']} (cv {worst['cv']:.2f} across folds, "
                f"fold means {worst['min']:.3g}..{worst['max']:.3g})"
            )
        return "\n".join(lines)


def _number(x: float) -> str:
    """``x`` in a few characters: thousands separated from 100 up, 3 digits below."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}={value!r} is not valid: pass an int >= {minimum}")
    return value


def _windows(
    n_periods: int,
    folds: int,
    horizon: int,
    step: int,
    window: Window,
    min_train: int,
    length: int | None,
) -> list[tuple[int, int, int]]:
    """``(train_start, cutoff, test_end)`` indices per fold: train ``[start, cutoff)``.

    Args:
        n_periods: periods in the data.
        folds: number of folds.
        horizon: periods per test window.
        step: periods between consecutive cut-offs.
        window: ``"expanding"`` or ``"sliding"``.
        min_train: the fewest training periods a fold may have.
        length: the sliding window's length (``None``: the first fold's).

    Raises:
        ValueError: if the first fold would train on fewer than ``min_train`` periods.
    """
    first = n_periods - horizon - (folds - 1) * step
    if first < min_train:
        raise ValueError(
            f"{folds} fold(s) of horizon {horizon} {step} period(s) apart need "
            f"min_train + horizon + (folds - 1) * step = {min_train} + {horizon} + "
            f"{folds - 1} * {step} = {min_train + horizon + (folds - 1) * step} periods, the "
            f"data have {n_periods}: use fewer folds, a shorter horizon or step, or a "
            "smaller min_train"
        )
    size = length if length is not None else first
    cuts = [first + i * step for i in range(folds)]
    return [(0 if window == "expanding" else c - size, c, c + horizon) for c in cuts]


def _medians(free: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Posterior median of each free parameter over chains and draws, ``(...)`` per site.

    A site whose every draw lies on the simplex (non-negative, summing to 1 over its last
    axis) gets its coordinatewise median renormalized onto the simplex, so that it is a
    valid starting value.
    """
    out = {}
    for name, v in free.items():
        median = np.median(v, axis=(0, 1))
        simplex = v.ndim >= 3 and v.shape[-1] > 1 and bool(np.all(v >= 0))
        if simplex and np.allclose(v.sum(axis=-1), 1.0, atol=1e-5):
            median = median / median.sum(axis=-1, keepdims=True)
        out[name] = median
    return out


def _train_set(dataset: MMMDataSet, lo: int, hi: int) -> MMMDataSet:
    """The periods ``[lo, hi)`` as a dataset, without repeating its contract warnings.

    A training window is shorter than the data by design; its warnings (e.g. fewer than
    the recommended periods) stay in the window's ``warnings``.
    """
    dates = dataset.dates
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataContractWarning)
        return dataset.slice(dates[lo], dates[hi - 1])


def _check_spend_in_every_window(
    dataset: MMMDataSet,
    spend: Float[np.ndarray, "time channel"],
    cuts: list[tuple[int, int, int]],
    horizon: int,
    step: int,
    window: Window,
) -> None:
    """Raise before any fit if a fold's training window has a channel without spend.

    Such a window cannot be fitted (the channel is all zero there: nothing to learn, no
    scale), which is common when a channel was launched after the first cut-off.
    """
    dates = dataset.dates
    for i, (lo, cut, _) in enumerate(cuts):
        idle = [j for j in range(spend.shape[1]) if not np.any(spend[lo:cut, j] != 0)]
        if not idle:
            continue
        names = [dataset.channels[j] for j in idle]
        spent = [np.flatnonzero(spend[:, j] != 0) for j in idle]
        first = max(int(s[0]) for s in spent)
        since = "; ".join(
            f"{n!r} has spend from {dates[int(s[0])]} to {dates[int(s[-1])]}"
            for n, s in zip(names, spent, strict=True)
        )
        if window == "expanding":
            most = (dataset.n_periods - horizon - (first + 1)) // step + 1
            fix = (
                f"use at most {most} fold(s) with horizon={horizon} and step={step} (or a "
                f"shorter horizon or step), so that the first training window ends after "
                f"{dates[first]}"
                if most >= 1
                else "the data after its launch are too short for this horizon"
            )
        else:
            fix = "choose folds (min_train, step, horizon) whose training windows include its spend"
        raise ValueError(
            f"cross-validation fold {i} would train on {dates[lo]}..{dates[cut - 1]}, where "
            f"{names} had no spend ({since}): a fit cannot learn a channel from a window "
            f"without its spend; {fix}, or cross-validate a model without the channel"
        )


def _fold_row(
    i: int,
    fitted: FittedMMM,
    test: ModelArrays,
    observed: np.ndarray,
    level: float,
    seed: int,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    prediction = predict(fitted, future=test, seed=seed)
    point = prediction.mean.mean(axis=0).astype(np.float64)
    error = observed - point
    nonzero = observed != 0
    mape = (
        float(np.mean(np.abs(error[nonzero]) / np.abs(observed[nonzero])))
        if nonzero.any()
        else float("nan")
    )
    lower, upper = prediction.interval(level)
    row = {
        "fold": i,
        "train_start": fitted.dataset.start,
        "train_end": fitted.dataset.end,
        "test_start": test.dates[0],
        "test_end": test.dates[-1],
        "n_train": fitted.dataset.n_periods,
        "mape": mape,
        "rmse": float(np.sqrt(np.mean(error**2))),
        "crps": float(np.mean(crps(prediction.draws, observed))),
        "coverage": float(np.mean((observed >= lower) & (observed <= upper))),
        "fit_seconds": float(fitted.info.seconds),
        "warm_start": bool(fitted.info.settings.get("warm_start", False)),
    }
    roi = roi_draws(draw_totals(fitted))
    tail = (1 - level) / 2
    lo, hi = np.quantile(roi, [tail, 1 - tail], axis=0)
    rois = [
        {
            "fold": i,
            "channel": channel,
            "roi_mean": float(np.mean(roi[:, j])),
            "roi_lower": float(lo[j]),
            "roi_upper": float(hi[j]),
        }
        for j, channel in enumerate(fitted.spec.channels)
    ]
    return row, rois


_FOLD_SCHEMA = {
    "fold": pl.Int64,
    "train_start": pl.Date,
    "train_end": pl.Date,
    "test_start": pl.Date,
    "test_end": pl.Date,
    "n_train": pl.Int64,
    "mape": pl.Float64,
    "rmse": pl.Float64,
    "crps": pl.Float64,
    "coverage": pl.Float64,
    "fit_seconds": pl.Float64,
    "warm_start": pl.Boolean,
}
_ROI_SCHEMA = {
    "fold": pl.Int64,
    "channel": pl.String,
    "roi_mean": pl.Float64,
    "roi_lower": pl.Float64,
    "roi_upper": pl.Float64,
}


def cross_validate(
    spec: ModelSpec,
    dataset: MMMDataSet,
    *,
    folds: int = 4,
    horizon: int = 13,
    window: Window = "expanding",
    min_train: int | None = None,
    step: int | None = None,
    method: Method = "nuts",
    warm_start: bool = True,
    keep_fits: bool = False,
    level: float = 0.9,
    seed: int = 0,
    **fit_kwargs: Any,
) -> CrossValidation:
    """Rolling-origin cross-validation of ``spec`` on ``dataset`` (see the module notes).

    Args:
        spec: the model, used unchanged in every fold (e.g. ``ModelSpec.default(dataset)``).
        dataset: the whole history; the folds' training windows are slices of it.
        folds: number of cut-offs, >= 1.
        horizon: periods forecast after each cut-off, >= 1.
        window: ``"expanding"`` (every fold trains from the first period) or
            ``"sliding"`` (every fold trains on the same number of periods, ending at its
            cut-off: ``min_train``, or the first fold's length; folds of one length reuse
            one compiled sampler).
        min_train: the fewest training periods of a fold, and the sliding window's
            length; ``None``: the least the data and the model allow, the dataset
            contract's minimum (26 weekly, 90 daily, 24 monthly periods) or one more than
            the model's free parameters, whichever is larger.
        step: periods between consecutive cut-offs, >= 1 (``None``: ``horizon``, test
            windows that tile the end of the data).
        method: the fitting method of :func:`mmm.modeling.fit`.
        warm_start: start each fold's fit (after the first) at the previous fold's
            posterior medians of the free parameters (``fit(..., init=...)``): the
            chains start near the posterior, so fewer ``tune`` steps suffice.
        keep_fits: keep every fold's :class:`FittedMMM` in ``.fits`` (memory grows with
            folds and draws).
        level: the predictive and ROI interval level, in (0, 1).
        seed: fold ``i`` fits with ``seed + i`` and draws its predictive noise with it.
        **fit_kwargs: passed to :func:`mmm.modeling.fit` (``chains``, ``draws``,
            ``tune``, ``svi_steps``, ...); not ``init``, which is set per fold.

    Returns:
        The :class:`CrossValidation` (MAPE skips test periods whose KPI is 0; see the
        module notes for every metric).

    Raises:
        ValueError: for an invalid argument (named), too few periods for the folds, the
            horizon, the step and ``min_train`` (with the numbers and how to fix it), or
            a ``min_train`` below what a fit needs. A fold whose training window cannot
            be fitted raises the fit's error, with the fold's window in a note.
    """
    folds = _check_int("folds", folds, 1)
    horizon = _check_int("horizon", horizon, 1)
    step = horizon if step is None else _check_int("step", step, 1)
    if window not in get_args(Window):
        raise ValueError(f"window={window!r} is not valid: choose one of {get_args(Window)}")
    if method not in get_args(Method):
        raise ValueError(f"method={method!r} is not valid: choose one of {get_args(Method)}")
    if not 0 < level < 1:
        raise ValueError(f"level={level!r} is not valid: pass a float in (0, 1)")
    if "init" in fit_kwargs:
        raise ValueError(
            "init is set per fold (the previous fold's posterior medians): pass "
            "warm_start=True or False instead"
        )
    contract = MIN_PERIODS[dataset.frequency]
    n_params = count_parameters(spec, design_for(spec, dataset))
    needed = max(contract, n_params + 1)
    if min_train is not None:
        _check_int("min_train", min_train, 1)
        if min_train < needed:
            raise ValueError(
                f"min_train={min_train} is too short: a training window needs at least "
                f"{needed} periods (the dataset contract's {contract} "
                f"{dataset.frequency.value} periods, and one more than the model's "
                f"{n_params} free parameters): pass min_train >= {needed} or None"
            )
    smallest = needed if min_train is None else min_train
    length = min_train if window == "sliding" else None
    cuts = _windows(dataset.n_periods, folds, horizon, step, window, smallest, length)

    arrays = dataset.to_arrays()
    _check_spend_in_every_window(dataset, np.asarray(arrays.spend), cuts, horizon, step, window)
    kpi = dataset.frame[dataset.kpi_column].to_numpy().astype(np.float64)
    rows: list[dict[str, Any]] = []
    rois: list[dict[str, Any]] = []
    fits: list[FittedMMM] = []
    init: dict[str, np.ndarray] | None = None
    for i, (lo, cut, hi) in enumerate(cuts):
        try:
            train = _train_set(dataset, lo, cut)
            fitted = fit(spec, train, method=method, seed=seed + i, init=init, **fit_kwargs)
        except ValueError as err:
            err.add_note(
                f"in cross-validation fold {i}: training window {dataset.dates[lo]}.."
                f"{dataset.dates[cut - 1]} ({cut - lo} periods)"
            )
            raise
        row, roi = _fold_row(i, fitted, arrays.periods(cut, hi), kpi[cut:hi], level, seed + i)
        rows.append(row)
        rois.extend(roi)
        if keep_fits:
            fits.append(fitted)
        init = _medians(fitted.free_samples()) if warm_start else None
    settings = {
        "folds": folds,
        "horizon": horizon,
        "window": window,
        "min_train": smallest,
        "step": step,
        "method": method,
        "warm_start": warm_start,
        "level": level,
        "seed": seed,
        "fit_kwargs": dict(fit_kwargs),
    }
    return CrossValidation(
        folds=pl.DataFrame(rows, schema=_FOLD_SCHEMA),
        roi=pl.DataFrame(rois, schema=_ROI_SCHEMA),
        fits=tuple(fits) if keep_fits else None,
        settings=settings,
    )
