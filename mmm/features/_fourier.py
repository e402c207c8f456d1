r"""Fourier seasonality: calendar time of each date and its sine/cosine basis.

Seasonality is a function of the *calendar*, never of the row number, so the features of a
date do not depend on the data's frequency (daily, weekly, monthly) or on where the window
starts. Two clocks are provided, both computed in float64 from the dates themselves:

* :func:`day_of_year_fraction` -- the calendar position in the year, ``(doy - 1) / n_days``
  with ``n_days`` 365 or 366 (leap years). Every day advances it by ``1 / n_days``, Dec 31
  to Jan 1 included, and a given calendar day (e.g. Dec 25) sits at the same phase every
  year to within ``1 / 366``. Use it for yearly seasonality (``period=1.0``).
* :func:`years_since_epoch` -- continuous time ``days since 1970-01-01 / 365.25``,
  optionally reduced modulo a period. Use it for sub-yearly cycles such as the day of the
  week on daily data (``period=WEEK``, exactly 7 days).

:func:`fourier_features` then maps time in years to the basis

.. math:: \big[\sin(2\pi k t / P),\ \cos(2\pi k t / P)\big]_{k=1}^{K}.

It is periodic in ``t`` with period ``P``, so reducing ``t`` modulo ``P`` in float64 first
(both clocks above do) leaves the features unchanged and keeps them accurate in float32.

Examples:
    >>> import datetime as dt
    >>> dates = [dt.date(2024, 1, 1), dt.date(2024, 7, 1)]
    >>> t = day_of_year_fraction(dates)
    >>> t.round(4).tolist()
    [0.0, 0.4973]
    >>> fourier_features(t, order=1).round(3)
    Array([[ 0.   ,  1.   ],
           [ 0.017, -1.   ]], dtype=float32)
    >>> fourier_labels(1)
    ['yearly_sin_1', 'yearly_cos_1']
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

__all__ = [
    "EPOCH",
    "DAYS_PER_YEAR",
    "YEAR",
    "WEEK",
    "day_of_year_fraction",
    "years_since_epoch",
    "fourier_features",
    "fourier_labels",
]

EPOCH = dt.date(1970, 1, 1)
"""Origin of :func:`years_since_epoch` (a Thursday)."""
DAYS_PER_YEAR = 365.25
"""Days in a mean Julian year; converts days to years."""
YEAR = 1.0
"""The yearly period, in years."""
WEEK = 7 / DAYS_PER_YEAR
"""The weekly period, in years (exactly 7 days)."""

_WHOLE_DAYS_TOLERANCE = 1e-9


def _check_dates(dates: Sequence[dt.date]) -> list[dt.date]:
    values = list(dates)
    for i, d in enumerate(values):
        if not isinstance(d, dt.date):
            raise TypeError(
                f"dates[{i}]={d!r} is a {type(d).__name__}, not a datetime.date: pass the "
                "dataset's dates (MMMDataSet.dates or ModelArrays.dates)"
            )
    return values


def _check_period(period: float) -> float:
    if isinstance(period, bool) or not isinstance(period, int | float) or not period > 0:
        raise ValueError(
            f"period={period!r} is not valid: pass a positive Python float in years, "
            f"e.g. YEAR={YEAR} or WEEK=7/365.25"
        )
    if not math.isfinite(period):
        raise ValueError(f"period={period!r} is not finite: pass a positive period in years")
    return float(period)


def day_of_year_fraction(dates: Sequence[dt.date]) -> np.ndarray:
    r"""Calendar position of each date in its year, in ``[0, 1)``.

    .. math:: f(d) = \frac{\mathrm{doy}(d) - 1}{n(d)}, \qquad
              n(d) = 366 \text{ if } \mathrm{year}(d) \text{ is a leap year else } 365,

    with :math:`\mathrm{doy}` the day of the year (1 on January 1). It depends on the date
    only, so daily, weekly and monthly data give identical values at matching dates, and a
    sub-window gives the matching slice.

    Args:
        dates: period start dates (``datetime.date``; a ``datetime`` is read as its date),
            length ``time``.

    Returns:
        ``float64`` numpy array of shape ``(time,)``.

    Raises:
        TypeError: if an element is not a ``datetime.date``.

    Examples:
        >>> day_of_year_fraction([dt.date(2023, 1, 1), dt.date(2023, 12, 31)]).tolist()
        [0.0, 0.9972602739726028]
        >>> day_of_year_fraction([dt.date(2024, 12, 31)]).tolist()  # leap year: 365/366
        [0.9972677595628415]
    """
    values = _check_dates(dates)
    out = np.empty(len(values), dtype=np.float64)
    for i, d in enumerate(values):
        day = d.toordinal() - dt.date(d.year, 1, 1).toordinal()
        out[i] = day / (366 if calendar.isleap(d.year) else 365)
    return out


def years_since_epoch(dates: Sequence[dt.date], *, period: float | None = None) -> np.ndarray:
    r"""Continuous time in years since :data:`EPOCH`, optionally reduced modulo ``period``.

    .. math:: t(d) = \frac{(d - \text{1970-01-01}) \text{ in days}}{365.25}, \qquad
              t_P(d) = t(d) \bmod P \in [0, P).

    The reduction is computed on whole days in float64: ``days mod (P * 365.25)``, where a
    period that is a whole number of days (within ``1e-9``; e.g. :data:`WEEK`) is taken as
    exactly that many days. Reduced times are small, so they keep full precision when cast to
    float32, and :func:`fourier_features` of ``t`` and of ``t_P`` agree.

    Args:
        dates: period start dates, length ``time``.
        period: reduce modulo this many years (``> 0``); ``None`` keeps the full time.

    Returns:
        ``float64`` numpy array of shape ``(time,)``; in ``[0, period)`` when reduced.

    Raises:
        TypeError: if an element is not a ``datetime.date``.
        ValueError: if ``period`` is not a positive finite number.

    Examples:
        >>> years_since_epoch([dt.date(1970, 1, 1), dt.date(1971, 1, 1)]).tolist()
        [0.0, 0.999315537303217]
        >>> d = [dt.date(2024, 1, 4), dt.date(2024, 1, 5)]  # Thursday, Friday
        >>> (years_since_epoch(d, period=WEEK) * DAYS_PER_YEAR).tolist()
        [0.0, 1.0]
    """
    values = _check_dates(dates)
    days = np.array([d.toordinal() - EPOCH.toordinal() for d in values], dtype=np.float64)
    if period is None:
        return days / DAYS_PER_YEAR
    period_days = _check_period(period) * DAYS_PER_YEAR
    if abs(period_days - round(period_days)) < _WHOLE_DAYS_TOLERANCE:
        period_days = float(round(period_days))
    return np.mod(days, period_days) / DAYS_PER_YEAR


@functools.partial(jax.jit, static_argnames=("period", "order"))
def fourier_features(
    t_years: Float[ArrayLike, " time"], *, period: float = YEAR, order: int
) -> Float[Array, "time 2*order"]:
    r"""Sine/cosine basis of a seasonal cycle, interleaved by harmonic.

    .. math:: X_{t, 2(k-1)} = \sin\!\Big(\frac{2\pi k\, t}{P}\Big), \quad
              X_{t, 2(k-1)+1} = \cos\!\Big(\frac{2\pi k\, t}{P}\Big), \quad k = 1..K.

    Columns are ``[sin_1, cos_1, sin_2, cos_2, ..., sin_K, cos_K]``, matching
    :func:`fourier_labels`. The features are periodic in ``t`` with period ``P``: pass ``t``
    already reduced modulo ``P`` (:func:`day_of_year_fraction` for ``P = 1``,
    ``years_since_epoch(dates, period=P)`` otherwise) so float32 keeps them accurate.

    Args:
        t_years: time in years, shape ``(time,)``.
        period: cycle length ``P`` in years, ``> 0`` (static): :data:`YEAR` (1.0) or
            :data:`WEEK` (``7 / 365.25``).
        order: number of harmonics ``K >= 1`` (static).

    Returns:
        Features of shape ``(time, 2 * order)`` in ``[-1, 1]``, float dtype of ``t_years``.

    Raises:
        ValueError: if ``t_years`` is not one-dimensional, ``order`` is not a positive int or
            ``period`` is not positive.

    Examples:
        >>> fourier_features(jnp.array([0.0, 0.25]), order=2).round(3) + 0.0  # no -0.0
        Array([[ 0.,  1.,  0.,  1.],
               [ 1.,  0.,  0., -1.]], dtype=float32)
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"order={order!r} is not valid: pass a Python int >= 1 (static)")
    p = _check_period(period)
    t = jnp.asarray(t_years)
    t = t.astype(jnp.result_type(t.dtype, float))
    if t.ndim != 1:
        raise ValueError(
            f"t_years has shape {t.shape}: pass one time axis of shape (time,), e.g. "
            "day_of_year_fraction(dates)"
        )
    k = jnp.arange(1, order + 1, dtype=t.dtype)
    angle = (2 * jnp.pi / p) * jnp.outer(t, k)  # (time, order)
    return jnp.stack([jnp.sin(angle), jnp.cos(angle)], axis=-1).reshape(t.shape[0], 2 * order)


def fourier_labels(order: int, name: str = "yearly") -> list[str]:
    """Column labels of :func:`fourier_features`, in its column order.

    Args:
        order: number of harmonics ``K >= 1``.
        name: prefix naming the cycle, e.g. ``"yearly"`` or ``"weekly"``.

    Returns:
        ``[f"{name}_sin_1", f"{name}_cos_1", ..., f"{name}_sin_K", f"{name}_cos_K"]``.

    Raises:
        ValueError: if ``order`` is not a positive int or ``name`` is empty.

    Examples:
        >>> fourier_labels(2, "weekly")
        ['weekly_sin_1', 'weekly_cos_1', 'weekly_sin_2', 'weekly_cos_2']
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"order={order!r} is not valid: pass a Python int >= 1")
    if not name:
        raise ValueError("name='' is not valid: pass a prefix such as 'yearly' or 'weekly'")
    return [f"{name}_{fn}_{k}" for k in range(1, order + 1) for fn in ("sin", "cos")]
