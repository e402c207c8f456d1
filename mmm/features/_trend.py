r"""Trend: scaled time over the training window, linear and Prophet-style piecewise trends.

Time is measured in calendar days and scaled to the training window,

.. math:: t(d) = \frac{d - d_\text{start}}{d_\text{end} - d_\text{start}},

so ``t = 0`` at the first training date and ``t = 1`` at the last one, whatever the data's
frequency. Dates after the window get ``t > 1`` (and dates before it ``t < 0``), so a trend
fitted on the window extends linearly out of sample: pass the *training* window's
``start``/``end`` to :func:`time_index` when computing future dates.

Examples:
    >>> import datetime as dt
    >>> train = [dt.date(2024, 1, 1), dt.date(2024, 1, 11), dt.date(2024, 1, 21)]
    >>> time_index(train).tolist()
    [0.0, 0.5, 1.0]
    >>> time_index([dt.date(2024, 1, 31)], start=train[0], end=train[-1]).tolist()
    [1.5]
    >>> s = changepoint_grid(2)
    >>> s.tolist()
    [0.4, 0.8]
    >>> t = jnp.array([0.0, 0.4, 0.8, 1.0])
    >>> piecewise_linear_trend(t, s, jnp.array([1.0, -2.0]), 1.0, 0.0)
    Array([0. , 0.4, 1.2, 1.2], dtype=float32)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

__all__ = ["time_index", "changepoint_grid", "linear_trend", "piecewise_linear_trend"]


def time_index(
    dates: Sequence[dt.date], *, start: dt.date | None = None, end: dt.date | None = None
) -> np.ndarray:
    r"""Calendar time scaled to the training window: 0 at ``start``, 1 at ``end``.

    .. math:: t(d) = \frac{(d - \text{start}) \text{ in days}}{(\text{end} - \text{start})
              \text{ in days}}

    Computed from calendar days, so daily, weekly and monthly data over the same window give
    identical values at matching dates (irregular month lengths included).

    Args:
        dates: period start dates, length ``time``.
        start: first date of the training window; ``None``: ``dates[0]``.
        end: last date of the training window, after ``start``; ``None``: ``dates[-1]``.
            Pass the training window's bounds when ``dates`` are future (or held-out)
            periods: they then get ``t > 1``.

    Returns:
        ``float64`` numpy array of shape ``(time,)``.

    Raises:
        TypeError: if a date is not a ``datetime.date``.
        ValueError: if ``dates`` is empty while ``start`` or ``end`` is ``None``, or if
            ``end`` is not after ``start``.

    Examples:
        >>> time_index([dt.date(2024, 1, 1), dt.date(2024, 3, 1), dt.date(2024, 5, 1)]).round(3)
        array([0.   , 0.496, 1.   ])
    """
    values = list(dates)
    for i, d in enumerate(values):
        if not isinstance(d, dt.date):
            raise TypeError(
                f"dates[{i}]={d!r} is a {type(d).__name__}, not a datetime.date: pass the "
                "dataset's dates (MMMDataSet.dates or ModelArrays.dates)"
            )
    if (start is None or end is None) and not values:
        raise ValueError(
            "dates is empty: pass at least two dates, or the training window's start and end"
        )
    lo = values[0] if start is None else start
    hi = values[-1] if end is None else end
    span = hi.toordinal() - lo.toordinal()
    if span <= 0:
        raise ValueError(
            f"the training window {lo}..{hi} is empty: pass end after start (a trend needs "
            "at least two distinct training dates)"
        )
    days = np.array([d.toordinal() - lo.toordinal() for d in values], dtype=np.float64)
    return days / span


def changepoint_grid(n_changepoints: int, *, range_fraction: float = 0.8) -> np.ndarray:
    r"""Evenly spaced candidate changepoints in the first part of the training window.

    .. math:: s_j = \frac{j\, r}{J}, \qquad j = 1..J,

    with ``r = range_fraction``: the grid of ``J + 1`` points on ``[0, r]`` without its
    first point (a change at ``t = 0`` is the base slope), as Prophet places its
    changepoints in the first 80% of the history.

    Args:
        n_changepoints: number of changepoints ``J >= 1``.
        range_fraction: share ``r`` of the scaled window holding changepoints, in ``(0, 1]``.

    Returns:
        ``float64`` numpy array of shape ``(changepoint,)``, strictly increasing in
        ``(0, r]``.

    Raises:
        ValueError: if ``n_changepoints`` is not a positive int or ``range_fraction`` is
            outside ``(0, 1]``.

    Examples:
        >>> changepoint_grid(4).tolist()
        [0.2, 0.4, 0.6000000000000001, 0.8]
    """
    if isinstance(n_changepoints, bool) or not isinstance(n_changepoints, int):
        raise ValueError(f"n_changepoints={n_changepoints!r} is not valid: pass a Python int >= 1")
    if n_changepoints < 1:
        raise ValueError(
            f"n_changepoints={n_changepoints} is not valid: pass an int >= 1, or use "
            "linear_trend for a trend without changepoints"
        )
    if not (isinstance(range_fraction, int | float) and 0 < range_fraction <= 1):
        raise ValueError(
            f"range_fraction={range_fraction!r} is not valid: pass a float in (0, 1], "
            "e.g. 0.8 to keep changepoints out of the last 20% of the window"
        )
    return np.linspace(0.0, float(range_fraction), n_changepoints + 1)[1:]


def _as_float(x: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    x = jnp.asarray(x)
    return x.astype(jnp.result_type(x.dtype, float))


@jax.jit
def linear_trend(t: Float[ArrayLike, " time"]) -> Float[Array, " time"]:
    r"""Linear trend basis: the scaled time itself, :math:`g(t) = t`.

    The model multiplies it by a slope; it exists so that a trend spec names its basis
    explicitly, like :func:`piecewise_linear_trend`.

    Args:
        t: scaled time from :func:`time_index`, shape ``(time,)``.

    Returns:
        ``t`` as a float array of shape ``(time,)``.

    Raises:
        ValueError: if ``t`` is not one-dimensional.

    Examples:
        >>> linear_trend(jnp.array([0.0, 0.5, 1.0]))
        Array([0. , 0.5, 1. ], dtype=float32)
    """
    t = _as_float(t)
    if t.ndim != 1:
        raise ValueError(f"t has shape {t.shape}: pass one time axis of shape (time,)")
    return t


@jax.jit
def piecewise_linear_trend(
    t: Float[ArrayLike, " time"],
    changepoints: Float[ArrayLike, " changepoint"],
    deltas: Float[ArrayLike, " changepoint"],
    k: Float[ArrayLike, ""],
    m: Float[ArrayLike, ""],
) -> Float[Array, " time"]:
    r"""Prophet's piecewise linear trend: continuous, with slope changes at changepoints.

    .. math:: g(t) = \big(k + a(t)^\top \delta\big)\, t
              + \big(m + a(t)^\top (-s \odot \delta)\big), \qquad a_j(t) = 1[t \ge s_j],

    i.e. :math:`g(t) = k t + m + \sum_j \delta_j (t - s_j)_+`: slope ``k`` before the first
    changepoint, slope ``k + delta_1 + ... + delta_j`` after ``s_j``, and no jump anywhere.
    Beyond the window (``t > 1``) the last slope continues.

    Args:
        t: scaled time from :func:`time_index`, shape ``(time,)``.
        changepoints: changepoint times ``s`` on the same scale, shape ``(changepoint,)``
            (e.g. :func:`changepoint_grid`).
        deltas: slope changes ``delta`` at each changepoint, shape ``(changepoint,)``.
        k: base slope, scalar.
        m: offset (value at ``t = 0``), scalar.

    Returns:
        The trend, shape ``(time,)``.

    Raises:
        ValueError: if ``t``, ``changepoints`` or ``deltas`` is not one-dimensional, the
            last two differ in length, or ``k``/``m`` is not a scalar.

    Examples:
        >>> piecewise_linear_trend(
        ...     jnp.array([0.0, 0.5, 1.0]), jnp.array([0.5]), jnp.array([2.0]), 1.0, 1.0
        ... )
        Array([1. , 1.5, 3. ], dtype=float32)
    """
    t = _as_float(t)
    s = jnp.asarray(changepoints, dtype=t.dtype)
    delta = jnp.asarray(deltas, dtype=t.dtype)
    if t.ndim != 1 or s.ndim != 1 or delta.ndim != 1 or s.shape != delta.shape:
        raise ValueError(
            f"t, changepoints and deltas have shapes {t.shape}, {s.shape}, {delta.shape}: "
            "pass (time,), (changepoint,), (changepoint,); map over draws with jax.vmap"
        )
    for name, value in (("k", k), ("m", m)):
        if jnp.ndim(value) != 0:
            raise ValueError(
                f"{name} has shape {jnp.shape(value)}: pass a scalar and map over draws "
                "with jax.vmap"
            )
    a = (t[:, None] >= s[None, :]).astype(t.dtype)  # (time, changepoint)
    slope = jnp.asarray(k, dtype=t.dtype) + a @ delta
    offset = jnp.asarray(m, dtype=t.dtype) + a @ (-s * delta)
    return slope * t + offset
