"""Realistic weekly media spend for the simulator: levels, seasonality, flighting, gaps."""

from __future__ import annotations

import dataclasses

import numpy as np
from jaxtyping import Bool, Float, Int

__all__ = ["CHANNEL_NAMES", "SpendDraw", "ar1", "channel_names", "draw_spend"]

CHANNEL_NAMES = (
    "tv",
    "search",
    "social",
    "display",
    "radio",
    "video",
    "print",
    "ooh",
    "podcast",
    "affiliate",
)
"""Names of the first channels; later ones are ``channel_<index>``."""

SPEND_RANGE = (5e3, 5e5)
"""Range of the typical weekly spend of a channel (drawn log-uniformly)."""

_LOG_SD = 0.35  # week-to-week spend variation (log scale)
_FLIGHTED_SHARE = 0.4  # probability that a channel runs in on/off bursts
_GAP_RATE = 0.03  # probability of a sporadic zero-spend week for always-on channels
_OFF_WEEKS = (12, 27)  # length of the off stretch, weeks [lo, hi)
_MARGIN = 4  # weeks kept on at both ends of the window around the off stretch


def channel_names(n: int) -> tuple[str, ...]:
    """The first ``n`` channel names: ``tv, search, ...`` then ``channel_10, channel_11, ...``.

    Args:
        n: number of channels, >= 0.

    Returns:
        ``n`` distinct names in the naming convention.
    """
    return tuple(CHANNEL_NAMES[i] if i < len(CHANNEL_NAMES) else f"channel_{i}" for i in range(n))


def ar1(rng: np.random.Generator, n: int, k: int, phi: float) -> Float[np.ndarray, "time k"]:
    """``k`` independent stationary AR(1) series with unit marginal variance.

    Args:
        rng: the generator to draw from.
        n: length of each series.
        k: number of series.
        phi: autocorrelation, in ``(-1, 1)``.

    Returns:
        Array of shape ``(n, k)``.
    """
    shocks = rng.standard_normal((n, k))
    z = np.empty((n, k))
    z[0] = shocks[0]
    scale = np.sqrt(1.0 - phi**2)
    for t in range(1, n):
        z[t] = phi * z[t - 1] + scale * shocks[t]
    return z


def _flighting(rng: np.random.Generator, n: int) -> Bool[np.ndarray, " time"]:
    """On/off bursts: on for 4-10 weeks, off for 2-6 weeks, starting at a random phase."""
    mask = np.zeros(n, dtype=bool)
    t = -int(rng.integers(0, 6))
    while t < n:
        on = int(rng.integers(4, 11))
        mask[max(t, 0) : max(t + on, 0)] = True
        t += on + int(rng.integers(2, 7))
    return mask


@dataclasses.dataclass(frozen=True)
class SpendDraw:
    """Simulated spend and where one channel was switched off.

    Attributes:
        spend: weekly spend per channel, shape ``(time, channel)``, >= 0, rounded to cents;
            every channel has some positive spend.
        off_channel: index of the channel switched off, or ``None``.
        off_weeks: ``(first, stop)`` week indices of that stretch (``stop`` exclusive), or
            ``None``.
    """

    spend: Float[np.ndarray, "time channel"]
    off_channel: int | None
    off_weeks: tuple[int, int] | None


def draw_spend(
    rng: np.random.Generator,
    day_of_year: Int[np.ndarray, " time"],
    n_channels: int,
    *,
    correlated: bool,
    off_channel: bool,
) -> SpendDraw:
    """Draw weekly spend for ``n_channels`` channels.

    Each channel has a log-uniform base level in :data:`SPEND_RANGE`, a yearly seasonal
    modulation ``1 + a sin(2 pi doy / 365.25 + phase)`` with ``a ~ U(0.1, 0.4)``, and
    log-normal AR(1) week-to-week variation. With ``correlated`` the log variation loads
    on a shared latent AR(1) factor (loadings ``U(0.7, 0.95)``), so the spends co-move.
    About 40% of channels run in on/off bursts (flighting); the others have sporadic
    zero weeks. With ``off_channel`` one channel is off for 12-26 contiguous weeks (at
    most a quarter of the window) away from both ends.

    Args:
        rng: the generator to draw from.
        day_of_year: day of the year of each week's date, shape ``(time,)``.
        n_channels: number of channels, >= 1.
        correlated: add a shared latent factor.
        off_channel: switch one channel off for a stretch of weeks.

    Returns:
        The spend and the off stretch.
    """
    n = day_of_year.shape[0]
    lo, hi = np.log(SPEND_RANGE[0]), np.log(SPEND_RANGE[1])
    base = np.exp(rng.uniform(lo, hi, n_channels))
    amplitude = rng.uniform(0.1, 0.4, n_channels)
    phase = rng.uniform(0.0, 2.0 * np.pi, n_channels)
    angle = 2.0 * np.pi * day_of_year[:, None] / 365.25
    seasonal = 1.0 + amplitude * np.sin(angle + phase)

    z = ar1(rng, n, n_channels, phi=0.7)
    if correlated:
        loading = rng.uniform(0.7, 0.95, n_channels)
        shared = ar1(rng, n, 1, phi=0.8)
        z = loading * shared + np.sqrt(1.0 - loading**2) * z
    level = base * seasonal * np.exp(_LOG_SD * z - 0.5 * _LOG_SD**2)

    flighted = rng.random(n_channels) < _FLIGHTED_SHARE
    gaps = rng.random((n, n_channels)) < _GAP_RATE
    mask = np.empty((n, n_channels), dtype=bool)
    for c in range(n_channels):
        mask[:, c] = _flighting(rng, n) if flighted[c] else ~gaps[:, c]

    off: int | None = None
    weeks: tuple[int, int] | None = None
    if off_channel:
        off = int(rng.integers(0, n_channels))
        length = min(int(rng.integers(*_OFF_WEEKS)), n // 4)
        first = int(rng.integers(_MARGIN, n - length - _MARGIN + 1))
        weeks = (first, first + length)
        mask[first : first + length, off] = False

    # Week 0 is never inside the off stretch: use it so that every channel spends somewhere.
    mask[0, ~mask.any(axis=0)] = True
    spend = np.round(level * mask, 2)
    return SpendDraw(spend=spend, off_channel=off, off_weeks=weeks)
