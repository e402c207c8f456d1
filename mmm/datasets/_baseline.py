"""Non-media part of a simulated KPI: intercept, trend, seasonality, controls and events."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import numpy as np
from jaxtyping import Float, Int

from mmm.datasets._spend import ar1

__all__ = ["Baseline", "draw_baseline"]

_CONTROLS = (
    # name, typical level, week-to-week scale, sign of the effect on the KPI
    ("price", 10.0, 0.5, -1.0),
    ("macro", 100.0, 2.0, 1.0),
    ("competitor", 50.0, 8.0, -1.0),
    ("distribution", 0.8, 0.05, 1.0),
    ("weather", 15.0, 6.0, 1.0),
)
_EVENTS = ("holiday", "black_friday", "promo", "launch")
_EVENT_RATE = {"promo": 0.06, "launch": 0.03}  # random events; others not listed: 0.05


def _week_contains(dates: Sequence[dt.date], month: int, day_of: dict[int, int]) -> np.ndarray:
    """1 for the weeks (Monday start) containing the given day of ``month`` in each year."""
    out = np.zeros(len(dates))
    for t, start in enumerate(dates):
        for offset in range(7):
            d = start + dt.timedelta(days=offset)
            if d.month == month and d.day == day_of.get(d.year, 0):
                out[t] = 1.0
    return out


def _black_friday(year: int) -> int:
    """Day of November after the fourth Thursday."""
    first_thursday = 1 + (3 - dt.date(year, 11, 1).weekday()) % 7
    return first_thursday + 21 + 1


def _event(rng: np.random.Generator, name: str, dates: Sequence[dt.date]) -> np.ndarray:
    years = range(dates[0].year, dates[-1].year + 1)
    if name == "holiday":
        values = _week_contains(dates, 12, dict.fromkeys(years, 25))
    elif name == "black_friday":
        values = _week_contains(dates, 11, {y: _black_friday(y) for y in years})
    else:
        values = (rng.random(len(dates)) < _EVENT_RATE.get(name, 0.05)).astype(np.float64)
    if not values.any():
        values[rng.integers(0, len(dates))] = 1.0
    return values


@dataclasses.dataclass(frozen=True)
class Baseline:
    """Non-media components per unit of the intercept ``level``.

    Every component is proportional to the intercept, so :meth:`components` scales them
    all at once and :attr:`shape` (their sum at level 1) fixes the level for a media share.

    Attributes:
        trend: linear trend at level 1, shape ``(time,)``.
        seasonality: yearly Fourier (order 2) at level 1, shape ``(time,)``.
        controls: raw control values by name, each shape ``(time,)``.
        gamma: effect of one unit of each control at level 1.
        events: 0/1 indicators by name, each shape ``(time,)``.
        event_effects: effect of each event at level 1.
    """

    trend: Float[np.ndarray, " time"]
    seasonality: Float[np.ndarray, " time"]
    controls: dict[str, Float[np.ndarray, " time"]]
    gamma: dict[str, float]
    events: dict[str, Float[np.ndarray, " time"]]
    event_effects: dict[str, float]

    def components(self, level: float) -> dict[str, Float[np.ndarray, " time"]]:
        """The components in KPI units for intercept ``level``.

        Args:
            level: the intercept, > 0.

        Returns:
            ``intercept``, ``trend``, ``seasonality``, ``controls`` (centred on each
            control's mean) and ``events``, each shape ``(time,)``.
        """
        n = self.trend.shape[0]
        controls = np.zeros(n)
        for name, values in self.controls.items():
            controls = controls + self.gamma[name] * (values - values.mean())
        events = np.zeros(n)
        for name, values in self.events.items():
            events = events + self.event_effects[name] * values
        return {
            "intercept": np.full(n, level),
            "trend": level * self.trend,
            "seasonality": level * self.seasonality,
            "controls": level * controls,
            "events": level * events,
        }

    @property
    def shape(self) -> Float[np.ndarray, " time"]:
        """Sum of the components at level 1, shape ``(time,)``."""
        return np.sum(list(self.components(1.0).values()), axis=0)


def draw_baseline(
    rng: np.random.Generator,
    dates: Sequence[dt.date],
    day_of_year: Int[np.ndarray, " time"],
    *,
    n_controls: int,
    n_events: int,
) -> Baseline:
    """Draw the non-media components (relative to an intercept of 1).

    Trend slope ``g ~ U(-0.1, 0.3)`` over the window; four Fourier coefficients
    ``U(-0.06, 0.06)`` on ``sin/cos(2 pi j doy / 365.25)``, ``j = 1, 2``. Controls are
    AR(1) series (``price``, ``macro``, ``competitor``, ``distribution``, ``weather``, then
    ``factor_<i>``) around a typical level, each moving the KPI by ``U(0.02, 0.06) /
    sqrt(n_controls)`` per standard deviation, with the sign of the table. Events are
    ``holiday`` (week of Dec 25), ``black_friday``, ``promo``, ``launch`` (random weeks),
    then ``event_<i>``, each occurring at least once, with effects ``U(0.05, 0.2)``.

    Args:
        rng: the generator to draw from.
        dates: week start dates.
        day_of_year: day of the year of each date, shape ``(time,)``.
        n_controls: number of controls, >= 0.
        n_events: number of events, >= 0.

    Returns:
        The components at level 1.
    """
    n = len(dates)
    trend = rng.uniform(-0.1, 0.3) * np.arange(n) / (n - 1)
    angle = 2.0 * np.pi * day_of_year / 365.25
    fourier = np.stack([f(j * angle) for j in (1, 2) for f in (np.sin, np.cos)], axis=1)
    seasonality = fourier @ rng.uniform(-0.06, 0.06, fourier.shape[1])

    controls: dict[str, np.ndarray] = {}
    gamma: dict[str, float] = {}
    z = ar1(rng, n, n_controls, phi=0.8)
    per_sd = rng.uniform(0.02, 0.06, n_controls) / np.sqrt(max(n_controls, 1))
    random_sign = rng.choice([-1.0, 1.0], n_controls)
    for i in range(n_controls):
        name, typical, scale, sign = (
            _CONTROLS[i] if i < len(_CONTROLS) else (f"factor_{i}", 0.0, 1.0, random_sign[i])
        )
        controls[name] = typical + scale * z[:, i]
        gamma[name] = float(sign * per_sd[i] / scale)

    names = [_EVENTS[i] if i < len(_EVENTS) else f"event_{i}" for i in range(n_events)]
    events = {name: _event(rng, name, dates) for name in names}
    effects = dict(zip(names, (float(e) for e in rng.uniform(0.05, 0.2, n_events)), strict=True))
    return Baseline(trend, seasonality, controls, gamma, events, effects)
