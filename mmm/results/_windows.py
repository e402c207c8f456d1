"""Time windows of a fit's training period: whole span, explicit dates, calendar periods."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from jaxtyping import Bool

__all__ = ["Window", "Period", "resolve_window", "calendar_windows", "custom_windows"]

Period = Literal["week", "month", "quarter", "year"]


@dataclasses.dataclass(frozen=True)
class Window:
    """A contiguous run of training periods.

    Attributes:
        name: label (``"all"``, ``"2023-Q1"``, a custom name).
        start: first period's date (inclusive).
        end: last period's date (inclusive).
        first: index of the first period on the training time axis.
        stop: one past the index of the last period.
    """

    name: str
    start: dt.date
    end: dt.date
    first: int
    stop: int

    @property
    def n_periods(self) -> int:
        """Number of periods in the window."""
        return self.stop - self.first

    def mask(self, n_periods: int) -> Bool[np.ndarray, " time"]:
        """``True`` on the window's periods of a time axis of ``n_periods`` (>= training)."""
        out = np.zeros(n_periods, dtype=bool)
        out[self.first : self.stop] = True
        return out


def _as_date(value: dt.date | str, argument: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(
            f"{argument}={value!r} is not a date: pass a datetime.date or 'YYYY-MM-DD'"
        ) from None


def resolve_window(
    dates: Sequence[dt.date],
    window: Window | tuple[dt.date | str | None, dt.date | str | None] | None,
    name: str | None = None,
) -> Window:
    """The periods of ``dates`` inside ``window`` (``None``: all; ``(start, end)`` inclusive).

    Raises:
        ValueError: for a window with no training period in it, or ``start > end``.

    Examples:
        >>> import datetime as dt
        >>> days = [dt.date(2024, 1, 1) + dt.timedelta(weeks=i) for i in range(10)]
        >>> w = resolve_window(days, ("2024-01-10", None))
        >>> w.first, w.stop, w.start
        (2, 10, datetime.date(2024, 1, 15))
    """
    if isinstance(window, Window):
        return window
    if window is None:
        return Window(name or "all", dates[0], dates[-1], 0, len(dates))
    if not (isinstance(window, tuple) and len(window) == 2):
        raise ValueError(
            f"window={window!r} is not valid: pass None (the whole training window) or a "
            "(start, end) tuple of dates, either may be None"
        )
    lo = _as_date(window[0], "window start") if window[0] is not None else dates[0]
    hi = _as_date(window[1], "window end") if window[1] is not None else dates[-1]
    if lo > hi:
        raise ValueError(f"window start {lo} is after its end {hi}")
    inside = [i for i, d in enumerate(dates) if lo <= d <= hi]
    if not inside:
        raise ValueError(
            f"window {lo}..{hi} holds no training period (the fit covers {dates[0]}..{dates[-1]})"
        )
    first, last = inside[0], inside[-1]
    return Window(
        name or f"{dates[first]}..{dates[last]}", dates[first], dates[last], first, last + 1
    )


def _period_key(day: dt.date, by: Period) -> str:
    if by == "week":
        return day.isoformat()
    if by == "month":
        return f"{day.year}-{day.month:02d}"
    if by == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


def calendar_windows(dates: Sequence[dt.date], by: Period) -> list[Window]:
    """One window per calendar week, month, quarter or year (by each period's start date).

    Raises:
        ValueError: for another ``by``.

    Examples:
        >>> import datetime as dt
        >>> days = [dt.date(2024, 3, 18) + dt.timedelta(weeks=i) for i in range(4)]
        >>> [(w.name, w.n_periods) for w in calendar_windows(days, "month")]
        [('2024-03', 2), ('2024-04', 2)]
    """
    if by not in ("week", "month", "quarter", "year"):
        raise ValueError(f"by={by!r} is not valid: use 'week', 'month', 'quarter' or 'year'")
    out: list[Window] = []
    keys = [_period_key(d, by) for d in dates]
    start = 0
    for i in range(1, len(dates) + 1):
        if i == len(dates) or keys[i] != keys[start]:
            out.append(Window(keys[start], dates[start], dates[i - 1], start, i))
            start = i
    return out


def custom_windows(
    dates: Sequence[dt.date],
    windows: Mapping[str, tuple[dt.date | str | None, dt.date | str | None]],
) -> list[Window]:
    """Named ``(start, end)`` windows (inclusive), in the mapping's order."""
    return [resolve_window(dates, w, name) for name, w in windows.items()]
