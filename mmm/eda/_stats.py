"""Small numpy statistics of the EDA layer: correlations, ranks, zero runs, lagged correlation.

Everything here is float64 numpy on ``(time,)`` or ``(time, column)`` arrays: EDA runs
once per dataset, so clarity and exactness matter more than a compiled kernel.
"""

from __future__ import annotations

import numpy as np
from jaxtyping import Float

__all__ = [
    "pearson_matrix",
    "average_ranks",
    "spearman_matrix",
    "longest_zero_run",
    "lagged_correlation",
]


def pearson_matrix(x: Float[np.ndarray, "time column"]) -> Float[np.ndarray, "column column"]:
    r"""Pearson correlations between the columns of ``x``.

    :math:`r_{ij} = \sum_t \tilde x_{ti} \tilde x_{tj} / \sqrt{\sum_t \tilde x_{ti}^2
    \sum_t \tilde x_{tj}^2}` with centered columns :math:`\tilde x`. A constant column has
    no correlation: its row and column are NaN (its diagonal entry too).

    Examples:
        >>> pearson_matrix(np.array([[1.0, 2.0], [2.0, 4.1], [3.0, 5.9]])).round(3)
        array([[1.   , 0.999],
               [0.999, 1.   ]])
    """
    x = np.asarray(x, dtype=np.float64)
    centered = x - x.mean(axis=0)
    norm = np.sqrt((centered**2).sum(axis=0))
    scale = np.max(np.abs(x), axis=0, initial=0.0)
    constant = norm <= 1e-12 * np.maximum(scale, 1e-300) * np.sqrt(x.shape[0])
    safe = np.where(constant, 1.0, norm)
    z = centered / safe
    r = np.clip(z.T @ z, -1.0, 1.0)
    r[constant, :] = np.nan
    r[:, constant] = np.nan
    return r


def average_ranks(x: Float[np.ndarray, "time column"]) -> Float[np.ndarray, "time column"]:
    """Ranks ``1..n`` of each column, ties given the average of their ranks.

    Examples:
        >>> average_ranks(np.array([[3.0], [1.0], [3.0], [2.0]]))[:, 0]
        array([3.5, 1. , 3.5, 2. ])
    """
    x = np.asarray(x, dtype=np.float64)
    ranks = np.empty_like(x)
    for j in range(x.shape[1]):
        _, inverse, counts = np.unique(x[:, j], return_inverse=True, return_counts=True)
        ends = np.cumsum(counts)
        ranks[:, j] = (ends - (counts - 1) / 2.0)[inverse]
    return ranks


def spearman_matrix(x: Float[np.ndarray, "time column"]) -> Float[np.ndarray, "column column"]:
    """Spearman rank correlations: :func:`pearson_matrix` of :func:`average_ranks`."""
    return pearson_matrix(average_ranks(x))


def longest_zero_run(x: Float[np.ndarray, " time"]) -> tuple[int, int]:
    """Length and start index of the longest run of exact zeros (``(0, -1)`` without zeros).

    Examples:
        >>> longest_zero_run(np.array([1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0]))
        (3, 4)
    """
    zero = np.concatenate([[False], np.asarray(x) == 0, [False]])
    edges = np.flatnonzero(np.diff(zero.astype(np.int8)))
    if edges.size == 0:
        return 0, -1
    starts, stops = edges[::2], edges[1::2]
    i = int(np.argmax(stops - starts))
    return int(stops[i] - starts[i]), int(starts[i])


def lagged_correlation(
    x: Float[np.ndarray, " time"], y: Float[np.ndarray, " time"], max_lag: int
) -> Float[np.ndarray, " lag"]:
    r"""``corr(x[t - l], y[t])`` for ``l = 0..max_lag`` over the overlapping periods.

    Positive lags mean ``x`` leads ``y`` (spend this week, KPI ``l`` weeks later). Each
    lag's Pearson correlation uses the ``time - l`` overlapping pairs; NaN where either
    side is constant there.

    Examples:
        >>> x = np.array([0.0, 1.0, 0.0, 0.0, 2.0, 0.0, 1.0, 0.0])
        >>> y = np.concatenate([[0.0], x[:-1]])  # y follows x by one period
        >>> int(np.nanargmax(lagged_correlation(x, y, 3)))
        1
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if not 0 <= max_lag < x.shape[0] - 2:
        raise ValueError(f"max_lag={max_lag} is not valid: pass 0 <= max_lag < {x.shape[0] - 2}")
    out = np.empty(max_lag + 1)
    for lag in range(max_lag + 1):
        pair = np.stack([x[: x.shape[0] - lag], y[lag:]], axis=1)
        out[lag] = pearson_matrix(pair)[0, 1]
    return out
