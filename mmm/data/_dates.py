"""Checks of the ``date`` column: order, uniqueness and a regular frequency."""

from __future__ import annotations

import calendar
import collections
import dataclasses
import datetime as dt
from collections.abc import Sequence

from mmm.config import ContractRule, Frequency, Violation
from mmm.config._errors import describe_rows

__all__ = ["DateCheck", "check_dates", "next_period", "period_step"]

_DAYS = {Frequency.DAILY: 1, Frequency.WEEKLY: 7}


@dataclasses.dataclass(frozen=True)
class DateCheck:
    """Outcome of :func:`check_dates`: the frequency if it could be inferred, and problems."""

    frequency: Frequency | None
    violations: tuple[Violation, ...]


def _is_month_end(day: dt.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _months_between(a: dt.date, b: dt.date) -> int | None:
    """Whole calendar months from ``a`` to ``b`` on the same day of month.

    A day that does not exist in a short month is clamped to its end, so the 30th of each
    month passes through 28 February, and month ends match month ends.
    """
    months = (b.year - a.year) * 12 + (b.month - a.month)
    same_day = (
        a.day == b.day
        or (_is_month_end(a) and _is_month_end(b))
        or (_is_month_end(a) and a.day < b.day)
        or (_is_month_end(b) and b.day < a.day)
    )
    return months if same_day else None


def next_period(
    day: dt.date, frequency: Frequency, steps: int = 1, *, day_of_month: int | None = None
) -> dt.date:
    """The date ``steps`` periods after ``day``.

    Monthly steps land on ``day_of_month`` (clamped to the month's length; 31 gives month
    ends). ``None`` decides from ``day`` alone: a month end stays a month end, any other
    day is kept. That is ambiguous for 28 February (the 28th, 30th or end of each month?):
    pass ``day_of_month`` when the series is known.
    """
    if frequency in _DAYS:
        return day + dt.timedelta(days=_DAYS[frequency] * steps)
    month_index = day.year * 12 + day.month - 1 + steps
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    if day_of_month is None:
        day_of_month = 31 if _is_month_end(day) else day.day
    target_day = min(day_of_month, last)
    return dt.date(year, month + 1, target_day)


def period_step(a: dt.date, b: dt.date, frequency: Frequency) -> int | None:
    """How many periods of ``frequency`` separate ``a`` and ``b``; ``None`` if off-grid."""
    if frequency in _DAYS:
        days = (b - a).days
        return days // _DAYS[frequency] if days % _DAYS[frequency] == 0 else None
    return _months_between(a, b)


def _classify(a: dt.date, b: dt.date) -> Frequency | None:
    for frequency in (Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY):
        if period_step(a, b, frequency) == 1:
            return frequency
    return None


def _order_violations(dates: Sequence[dt.date]) -> list[Violation]:
    counts = collections.Counter(dates)
    duplicated = [i for i, d in enumerate(dates) if counts[d] > 1]
    problems = []
    if duplicated:
        shown = [dates[i] for i in duplicated]
        problems.append(
            Violation(
                ContractRule.DUPLICATE_DATES,
                "date",
                f"column 'date' has duplicate dates at {describe_rows(duplicated, shown)}: "
                "each period must appear once (aggregate the rows, e.g. sum spend per date)",
                tuple(duplicated),
                tuple(shown),
            )
        )
    backwards = [i for i in range(1, len(dates)) if dates[i] < dates[i - 1]]
    if backwards:
        shown = [dates[i] for i in backwards]
        problems.append(
            Violation(
                ContractRule.UNSORTED_DATES,
                "date",
                f"column 'date' is not strictly increasing: the date at "
                f"{describe_rows(backwards, shown)} is earlier than the row before it; sort the "
                "frame by date",
                tuple(backwards),
                tuple(shown),
            )
        )
    return problems


def _spacing_violation(dates: Sequence[dt.date]) -> tuple[Frequency | None, list[Violation]]:
    steps = [_classify(dates[i - 1], dates[i]) for i in range(1, len(dates))]
    tally = collections.Counter(s for s in steps if s is not None)
    if not tally:
        days = (dates[1] - dates[0]).days
        message = (
            f"column 'date' has no supported frequency: consecutive dates are {days} days "
            "apart; supported are daily, weekly and monthly periods (aggregate the data to one "
            "of them)"
        )
        return None, [Violation(ContractRule.IRREGULAR_DATES, "date", message)]
    frequency = tally.most_common(1)[0][0]
    bad = [i for i, s in enumerate(steps, start=1) if s is not frequency]
    if not bad:
        return frequency, []
    gaps = [i for i in bad if (period_step(dates[i - 1], dates[i], frequency) or 0) > 1]
    if len(gaps) == len(bad):
        # the day of month of a monthly series: its largest day (short months clamp it),
        # 31 when every date is a month end; 28 February alone cannot tell
        day_of_month = 31 if all(_is_month_end(d) for d in dates) else max(d.day for d in dates)
        missing = [
            next_period(dates[i - 1], frequency, k, day_of_month=day_of_month)
            for i in gaps
            for k in range(1, period_step(dates[i - 1], dates[i], frequency) or 1)
        ]
        shown = ", ".join(d.isoformat() for d in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        message = (
            f"column 'date' has gaps in its {frequency.value} series: {len(missing)} missing "
            f"period(s) ({shown}{more}) before {describe_rows(gaps, [dates[i] for i in gaps])}; "
            "add the missing periods (with zero spend where nothing was spent)"
        )
        rule = ContractRule.DATE_GAP
    else:
        message = (
            f"column 'date' mixes frequencies: most dates are {frequency.value} but "
            f"{describe_rows(bad, [dates[i] for i in bad])} do not follow that spacing; "
            "use one regular frequency (daily, weekly or monthly)"
        )
        rule = ContractRule.IRREGULAR_DATES
    violation = Violation(rule, "date", message, tuple(bad), tuple(dates[i] for i in bad))
    return frequency, [violation]


def check_dates(dates: Sequence[dt.date]) -> DateCheck:
    """Check that non-null dates are unique, increasing and regularly spaced.

    Frequency is the spacing of most consecutive pairs: 1 day (daily), 7 days (weekly, any
    weekday) or one calendar month on the same day of month (monthly; month ends count as the
    same day). A spacing that is a whole multiple of the frequency is a gap, anything else a
    mix of frequencies.

    Args:
        dates: the date column in row order, without nulls, at least two.

    Returns:
        The inferred frequency (``None`` when it cannot be inferred) and the violations.
    """
    problems = _order_violations(dates)
    if problems or len(dates) < 2:
        return DateCheck(None, tuple(problems))
    frequency, spacing = _spacing_violation(dates)
    return DateCheck(frequency, tuple(spacing))
