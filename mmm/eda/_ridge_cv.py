r"""Rolling-origin cross-validation of the ridge penalty: no fold sees its future.

Fold ``k`` trains on periods ``[0, c_k)`` and is scored on the next ``horizon`` periods
``[c_k, c_k + h)``, ``c_k = min_train + k h`` (an expanding window). Everything a fold
uses is computed from the data up to ``c_k + h`` only, and everything fitted (the KPI and
media scalings, the control standardization, the time axis, the coefficients) from the
training periods only: the validation rows are built with the training scalings, and
adstock only looks back, so a validation row depends on data up to its own date. (The
fold's design is built at the full length with every value after ``c_k + h`` set to zero,
so all folds share one compiled program.) A channel with no spend in a fold's training
periods (launched later) or a control constant in them gets a neutral scaling
(:meth:`~mmm.features.Scalings.fit` with ``degenerate="neutral"``): its column is zero in
those periods, so the fold's ridge gives it no weight and the fold forecasts without it,
as a forecaster at that date would have.

The chosen penalty minimizes the pooled validation RMSE (in KPI units) over all folds,
:math:`\sqrt{\sum_k \sum_{t \in V_k} (y_t - \hat y_t)^2 / \sum_k |V_k|}`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import polars as pl
from jaxtyping import Float

from mmm.data import ModelArrays
from mmm.eda._design import regression_design
from mmm.eda._features import EDAFeatures
from mmm.eda._linear import ridge
from mmm.features import Scalings, media_inputs

__all__ = ["DEFAULT_PENALTIES", "CVFold", "RidgeCV", "rolling_folds", "ridge_cv"]

DEFAULT_PENALTIES: tuple[float, ...] = tuple(float(v) for v in np.logspace(-4, 2, 25))
"""Ridge penalties tried (per observation, on standardized columns): 1e-4 to 1e2."""


@dataclasses.dataclass(frozen=True)
class CVFold:
    """One fold of the rolling-origin CV.

    Attributes:
        train_start, train_end: first and last training date.
        valid_start, valid_end: first and last validation date (after ``train_end``).
        n_train, n_valid: number of periods of each part.
        rmse: validation RMSE (KPI units) per penalty, ``(penalty,)``.
    """

    train_start: dt.date
    train_end: dt.date
    valid_start: dt.date
    valid_end: dt.date
    n_train: int
    n_valid: int
    rmse: Float[np.ndarray, " penalty"]


@dataclasses.dataclass(frozen=True)
class RidgeCV:
    """The penalty search.

    Attributes:
        penalties: the penalties tried, ``(penalty,)``.
        folds: the folds, in time order.
        rmse: pooled validation RMSE per penalty (KPI units).
        penalty: the chosen penalty (smallest pooled RMSE).
        at_edge: whether it is the smallest or largest penalty tried (widen the grid).
    """

    penalties: Float[np.ndarray, " penalty"]
    folds: tuple[CVFold, ...]
    rmse: Float[np.ndarray, " penalty"]
    penalty: float
    at_edge: bool

    def to_frame(self) -> pl.DataFrame:
        """One row per penalty: ``penalty``, pooled ``rmse`` and ``rmse_fold_<k>`` per fold."""
        columns: dict[str, np.ndarray] = {"penalty": self.penalties, "rmse": self.rmse}
        for k, fold in enumerate(self.folds):
            columns[f"rmse_fold_{k}"] = fold.rmse
        return pl.DataFrame(columns)

    def folds_frame(self) -> pl.DataFrame:
        """One row per fold: its dates and sizes."""
        return pl.DataFrame(
            [
                {
                    "fold": k,
                    "train_start": f.train_start,
                    "train_end": f.train_end,
                    "valid_start": f.valid_start,
                    "valid_end": f.valid_end,
                    "n_train": f.n_train,
                    "n_valid": f.n_valid,
                }
                for k, f in enumerate(self.folds)
            ]
        )


def rolling_folds(
    n_periods: int, folds: int = 5, horizon: int | None = None, min_train: int | None = None
) -> list[tuple[int, int]]:
    """``(cut, stop)`` per fold: train on ``[0, cut)``, validate on ``[cut, stop)``.

    Defaults: the validation windows split the second half of the data into ``folds``
    consecutive blocks (``min_train = ceil(n / 2)``, ``horizon = (n - min_train) // folds``).

    Raises:
        ValueError: if the folds do not fit in ``n_periods``.

    Examples:
        >>> rolling_folds(20, folds=2)
        [(10, 15), (15, 20)]
    """
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 1:
        raise ValueError(f"folds={folds!r} is not valid: pass an int >= 1")
    min_train = math.ceil(n_periods / 2) if min_train is None else min_train
    if horizon is None:
        horizon = (n_periods - min_train) // folds
    if min_train < 2 or horizon < 1 or min_train + folds * horizon > n_periods:
        raise ValueError(
            f"{folds} fold(s) of horizon {horizon} after min_train={min_train} periods do not "
            f"fit in {n_periods} periods: use fewer folds, a shorter horizon or min_train"
        )
    return [(min_train + k * horizon, min_train + (k + 1) * horizon) for k in range(folds)]


def _zero_after(arrays: ModelArrays, stop: int) -> ModelArrays:
    """``arrays`` with every value from period ``stop`` on set to zero (dates kept).

    The fold's window at the full length, so every fold's design has the same shape (one
    compiled program for all folds) while no value after the window enters it.
    """
    keep = (jnp.arange(arrays.n_periods) < stop)[:, None]
    return dataclasses.replace(
        arrays,
        kpi=jnp.where(keep[:, 0], arrays.kpi, 0.0),
        spend=jnp.where(keep, arrays.spend, 0.0),
        media=jnp.where(keep, arrays.media, 0.0),
        organic=jnp.where(keep, arrays.organic, 0.0),
        controls=jnp.where(keep, arrays.controls, 0.0),
        events=jnp.where(keep, arrays.events, 0.0),
    )


def _fold(
    arrays: ModelArrays,
    host: ModelArrays,
    features: EDAFeatures,
    params: Mapping[str, Mapping[str, float]],
    cut: int,
    stop: int,
    penalties: Float[np.ndarray, " penalty"],
) -> CVFold:
    train = host.periods(0, cut)  # numpy slices: no compiled program per fold length
    # a channel not launched yet (or a control constant) in the training part gets a
    # neutral scaling: its column is zero there, so the fold's ridge gives it no weight
    scalings = Scalings.fit(
        train, media_inputs(train, features.media), features.scaling, degenerate="neutral"
    )
    design = regression_design(_zero_after(arrays, stop), features, params, scalings)
    actual = np.asarray(host.kpi[cut:stop], dtype=np.float64)
    rmse = np.empty(len(penalties))
    for i, penalty in enumerate(penalties):
        coef = ridge(design.x[:cut], design.y[:cut], float(penalty)).coef
        predicted = design.x[cut:stop] @ coef * design.kpi_scale
        rmse[i] = np.sqrt(np.mean((actual - predicted) ** 2))
    return CVFold(
        train_start=arrays.dates[0],
        train_end=arrays.dates[cut - 1],
        valid_start=arrays.dates[cut],
        valid_end=arrays.dates[stop - 1],
        n_train=cut,
        n_valid=stop - cut,
        rmse=rmse,
    )


def ridge_cv(
    arrays: ModelArrays,
    features: EDAFeatures,
    params: Mapping[str, Mapping[str, float]],
    *,
    penalties: Sequence[float] = DEFAULT_PENALTIES,
    folds: int = 5,
    horizon: int | None = None,
    min_train: int | None = None,
) -> RidgeCV:
    """Choose the ridge penalty by rolling-origin CV (see the module docstring).

    Raises:
        ValueError: for an empty or negative penalty grid, or folds that do not fit.
    """
    grid = np.asarray(penalties, dtype=np.float64)
    if grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid < 0):
        raise ValueError(f"penalties={penalties!r} is not valid: pass finite floats >= 0")
    grid = np.sort(grid)
    host = jax.tree.map(np.asarray, arrays)
    cuts = rolling_folds(arrays.n_periods, folds, horizon, min_train)
    fold_results = tuple(_fold(arrays, host, features, params, c, s, grid) for c, s in cuts)
    squared = sum(f.rmse**2 * f.n_valid for f in fold_results)
    pooled = np.sqrt(squared / sum(f.n_valid for f in fold_results))
    best = int(np.argmin(pooled))
    return RidgeCV(
        penalties=grid,
        folds=fold_results,
        rmse=pooled,
        penalty=float(grid[best]),
        at_edge=grid.size > 1 and best in (0, grid.size - 1),
    )
