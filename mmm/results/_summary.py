"""Posterior summaries of draw arrays: mean, median and an equal-tailed interval."""

from __future__ import annotations

import warnings

import numpy as np
from jaxtyping import Float

__all__ = ["check_level", "summarize_draws"]


def check_level(level: float) -> tuple[float, float]:
    """The quantiles ``((1 - level) / 2, (1 + level) / 2)`` of a central interval.

    Raises:
        ValueError: unless ``0 < level < 1``.
    """
    if not 0 < level < 1:
        raise ValueError(f"level={level!r} is not valid: pass a float in (0, 1), e.g. 0.9")
    return (1 - level) / 2, (1 + level) / 2


def summarize_draws(
    draws: Float[np.ndarray, "draw ..."], level: float
) -> dict[str, Float[np.ndarray, "..."]]:
    """``mean``, ``median``, ``lower``, ``upper`` over the first axis (NaN draws ignored).

    Examples:
        >>> out = summarize_draws(np.arange(101.0)[:, None], 0.9)
        >>> [round(float(out[k][0]), 6) for k in ("mean", "median", "lower", "upper")]
        [50.0, 50.0, 5.0, 95.0]
    """
    lo, hi = check_level(level)
    x = np.asarray(draws)
    if np.isnan(x).any():
        with warnings.catch_warnings():  # all-NaN cells (a channel without spend) stay NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            q = np.nanquantile(x, [lo, 0.5, hi], axis=0)
            mean = np.nanmean(x, axis=0)
    else:
        q = np.quantile(x, [lo, 0.5, hi], axis=0)
        mean = x.mean(axis=0)
    return {"mean": mean, "median": q[1], "lower": q[0], "upper": q[2]}
