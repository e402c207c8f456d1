r"""Closed-form linear models and collinearity measures (numpy, float64).

* :func:`ols`: least squares ``min ||y - X b||^2`` by ``numpy.linalg.lstsq`` (SVD; the
  minimum-norm solution when ``X`` is rank deficient), with classical standard errors
  :math:`\hat\sigma^2 (X^\top X)^{-1}`, :math:`\hat\sigma^2 = \mathrm{RSS} / (n - r)`.
* :func:`ridge`: :math:`\min_b ||y - X b||^2 + \lambda n \sum_{j \in P} s_j^2 b_j^2`
  with :math:`s_j` the standard deviation of column ``j`` and ``P`` the non-constant
  columns. With an (unpenalized) intercept column this is exactly ridge regression on
  centered, standardized columns with penalty ``lambda`` per observation, so ``lambda``
  means the same on any data set and window length. Solved as the augmented least-squares
  problem ``[X; sqrt(lambda n) D] b = [y; 0]``.
* :func:`vif`: variance inflation factors :math:`1 / (1 - R_j^2)`, ``R_j^2`` from
  regressing column ``j`` on the other columns and an intercept.
* :func:`condition_number`: of the standardized design (Belsley): the ratio of the largest
  to the smallest singular value of the centered, unit-variance columns.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from jaxtyping import Bool, Float

__all__ = ["LeastSquares", "ols", "ridge", "vif", "condition_number", "constant_columns"]


def constant_columns(x: Float[np.ndarray, "time column"]) -> Bool[np.ndarray, " column"]:
    """Columns with (numerically) no variation: an intercept, or a series that is constant."""
    x = np.asarray(x, dtype=np.float64)
    spread = np.ptp(x, axis=0) if x.shape[0] else np.zeros(x.shape[1])
    scale = np.max(np.abs(x), axis=0, initial=0.0)
    return spread <= 1e-12 * np.maximum(scale, 1e-300)


@dataclasses.dataclass(frozen=True)
class LeastSquares:
    """A fitted linear model ``y ~ X b``.

    Attributes:
        coef: ``b``, shape ``(column,)``.
        se: classical standard errors of ``b`` (OLS only; NaN for ridge, and where ``X``
            is rank deficient or there are no residual degrees of freedom).
        fitted: ``X b``, shape ``(time,)``.
        rank: numerical rank of ``X``.
        penalty: ``lambda`` (0 for OLS).
    """

    coef: Float[np.ndarray, " column"]
    se: Float[np.ndarray, " column"]
    fitted: Float[np.ndarray, " time"]
    rank: int
    penalty: float


def _as_2d(x: Float[np.ndarray, "time column"], y: Float[np.ndarray, " time"]) -> tuple:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(f"need X (time, column) and y (time,), got {x.shape} and {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("X and y must be finite (no NaN or inf)")
    return x, y


def ols(x: Float[np.ndarray, "time column"], y: Float[np.ndarray, " time"]) -> LeastSquares:
    """Ordinary least squares with standard errors (see the module docstring).

    Examples:
        >>> x = np.stack([np.ones(5), np.arange(5.0)], axis=1)
        >>> ols(x, 1.0 + 2.0 * np.arange(5.0)).coef.round(6)
        array([1., 2.])
    """
    x, y = _as_2d(x, y)
    coef, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
    fitted = x @ coef
    dof = x.shape[0] - int(rank)
    se = np.full(x.shape[1], np.nan)
    if int(rank) == x.shape[1] and dof > 0:
        sigma2 = float(np.sum((y - fitted) ** 2)) / dof
        _, s, vt = np.linalg.svd(x, full_matrices=False)
        cov = (vt.T / s**2) @ vt
        se = np.sqrt(sigma2 * np.diag(cov))
    return LeastSquares(coef=coef, se=se, fitted=fitted, rank=int(rank), penalty=0.0)


def ridge(
    x: Float[np.ndarray, "time column"], y: Float[np.ndarray, " time"], penalty: float
) -> LeastSquares:
    """Ridge regression, constant columns unpenalized (see the module docstring).

    Args:
        x: the design, including any intercept column.
        y: the target.
        penalty: ``lambda >= 0`` per observation on standardized columns.

    Examples:
        >>> x = np.stack([np.ones(6), np.arange(6.0)], axis=1)
        >>> y = 1.0 + 2.0 * np.arange(6.0)
        >>> ridge(x, y, 0.0).coef.round(6)
        array([1., 2.])
        >>> bool(ridge(x, y, 10.0).coef[1] < 0.5)  # shrunk towards zero, mean kept
        True
    """
    x, y = _as_2d(x, y)
    if not penalty >= 0:
        raise ValueError(f"penalty={penalty!r} is not valid: pass a float >= 0")
    n = x.shape[0]
    sd = np.where(constant_columns(x), 0.0, x.std(axis=0))
    rows = np.diag(np.sqrt(penalty * n) * sd)
    augmented = np.concatenate([x, rows[sd > 0]], axis=0)
    target = np.concatenate([y, np.zeros(int(np.sum(sd > 0)))])
    coef, _, rank, _ = np.linalg.lstsq(augmented, target, rcond=None)
    se = np.full(x.shape[1], np.nan)
    return LeastSquares(coef=coef, se=se, fitted=x @ coef, rank=int(rank), penalty=float(penalty))


def vif(x: Float[np.ndarray, "time column"]) -> Float[np.ndarray, " column"]:
    """Variance inflation factor of each non-constant column (NaN for constant ones).

    Each column is regressed on all other non-constant columns plus an intercept; a
    column that is a linear combination of the others to numerical precision
    (``1 - R^2 <= 1e-10``, i.e. a VIF beyond ``1e10``) has ``VIF = inf``.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> a, b = rng.normal(size=(2, 200))
        >>> vif(np.stack([a, b, a + b], axis=1))
        array([inf, inf, inf])
    """
    x = np.asarray(x, dtype=np.float64)
    varying = ~constant_columns(x)
    out = np.full(x.shape[1], np.nan)
    z = x[:, varying] - x[:, varying].mean(axis=0)
    z = z / np.sqrt((z**2).sum(axis=0))
    for k, j in enumerate(np.flatnonzero(varying)):
        others = np.delete(z, k, axis=1)
        target = z[:, k]
        if others.shape[1] == 0:
            out[j] = 1.0
            continue
        coef, *_ = np.linalg.lstsq(others, target, rcond=None)
        unexplained = float(np.sum((target - others @ coef) ** 2))  # 1 - R^2 (unit norm)
        out[j] = np.inf if unexplained <= 1e-10 else 1.0 / unexplained
    return out


def condition_number(x: Float[np.ndarray, "time column"]) -> float:
    """Condition number of the centered, unit-variance non-constant columns (``inf`` if singular).

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> a, b = rng.normal(size=(2, 500))
        >>> round(condition_number(np.stack([a, b], axis=1)), 1) < 1.2
        True
    """
    x = np.asarray(x, dtype=np.float64)
    z = x[:, ~constant_columns(x)]
    if z.shape[1] == 0:
        return 1.0
    z = z - z.mean(axis=0)
    z = z / np.sqrt((z**2).sum(axis=0))
    s = np.linalg.svd(z, compute_uv=False)
    if s[-1] <= 1e-12 * s[0] or z.shape[1] > z.shape[0]:
        return float("inf")
    return float(s[0] / s[-1])
