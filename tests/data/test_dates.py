"""``check_dates``: inferred frequency against an independent rule, gaps, order, spacing."""

from __future__ import annotations

import calendar
import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmm.config import ContractRule, Frequency
from mmm.data._dates import check_dates, next_period, period_step

# --- an independent rule ----------------------------------------------------------------------


def month_length(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def is_next_month(a: dt.date, b: dt.date) -> bool:
    """``b`` is the month after ``a`` and both are on one day of month ``D`` (1..31), where
    a month shorter than ``D`` days uses its last day (so month ends match month ends)."""
    one_month_on = (b.year * 12 + b.month) - (a.year * 12 + a.month) == 1
    return one_month_on and any(
        min(anchor, month_length(a.year, a.month)) == a.day
        and min(anchor, month_length(b.year, b.month)) == b.day
        for anchor in range(1, 32)
    )


def reference_frequency(dates: list[dt.date]) -> Frequency | None:
    """Daily/weekly/monthly when every step is exactly one such period, else ``None``."""
    pairs = list(itertools.pairwise(dates))
    if all((b - a).days == 1 for a, b in pairs):
        return Frequency.DAILY
    if all((b - a).days == 7 for a, b in pairs):
        return Frequency.WEEKLY
    if all(is_next_month(a, b) for a, b in pairs):
        return Frequency.MONTHLY
    return None


def add_months(start: dt.date, k: int, anchor: int) -> dt.date:
    year, month = divmod(start.year * 12 + start.month - 1 + k, 12)
    return dt.date(year, month + 1, min(anchor, month_length(year, month + 1)))


def series(
    start: dt.date, frequency: Frequency, n: int, anchor: int | None = None
) -> list[dt.date]:
    """``n`` periods from ``start``; monthly ones on day ``anchor`` (default: start's day)."""
    if frequency is Frequency.DAILY:
        return [start + dt.timedelta(days=k) for k in range(n)]
    if frequency is Frequency.WEEKLY:
        return [start + dt.timedelta(weeks=k) for k in range(n)]
    return [add_months(start, k, anchor or start.day) for k in range(n)]


# --- examples ------------------------------------------------------------------------------


@pytest.mark.parametrize("weekday", range(7))
def test_weekly_on_any_weekday(weekday: int) -> None:
    start = dt.date(2022, 1, 3) + dt.timedelta(days=weekday)  # 2022-01-03 is a Monday
    dates = series(start, Frequency.WEEKLY, 60)
    assert start.weekday() == weekday
    check = check_dates(dates)
    assert check.frequency is Frequency.WEEKLY
    assert check.violations == ()


@pytest.mark.parametrize(
    ("dates", "frequency"),
    [
        pytest.param(series(dt.date(2019, 12, 1), Frequency.DAILY, 500), Frequency.DAILY, id="d"),
        pytest.param(
            [dt.date(2019 + k // 12, k % 12 + 1, 1) for k in range(30)],
            Frequency.MONTHLY,
            id="month_starts",
        ),
        pytest.param(
            [
                dt.date(
                    2019 + k // 12, k % 12 + 1, calendar.monthrange(2019 + k // 12, k % 12 + 1)[1]
                )
                for k in range(30)
            ],
            Frequency.MONTHLY,
            id="month_ends_with_leap_february",
        ),
        pytest.param(
            [
                dt.date(2021, 1, 31),
                dt.date(2021, 2, 28),
                dt.date(2021, 3, 31),
                dt.date(2021, 4, 30),
            ],
            Frequency.MONTHLY,
            id="month_ends_non_leap",
        ),
        pytest.param(
            [dt.date(2021, 1, 28), dt.date(2021, 2, 28), dt.date(2021, 3, 28)],
            Frequency.MONTHLY,
            id="28th_is_a_day_of_month",
        ),
        pytest.param(
            [
                dt.date(2021, 1, 30),
                dt.date(2021, 2, 28),
                dt.date(2021, 3, 30),
                dt.date(2021, 4, 30),
            ],
            Frequency.MONTHLY,
            id="30th_clamped_in_february",
        ),
    ],
)
def test_frequency_examples(dates: list[dt.date], frequency: Frequency) -> None:
    check = check_dates(dates)
    assert check.frequency is frequency
    assert check.violations == ()
    assert reference_frequency(dates) is frequency


def test_february_29_is_a_month_end() -> None:
    dates = [dt.date(2020, 1, 31), dt.date(2020, 2, 29), dt.date(2020, 3, 31)]
    assert check_dates(dates).frequency is Frequency.MONTHLY
    assert check_dates(dates).violations == ()
    not_end = [dt.date(2020, 1, 31), dt.date(2020, 2, 28), dt.date(2020, 3, 31)]
    assert check_dates(not_end).violations  # 2020-02-28 is not the end of February 2020


def test_weekly_gap_lists_missing_weeks() -> None:
    dates = series(dt.date(2021, 1, 4), Frequency.WEEKLY, 60)
    missing = [dates[10], dates[11], dates[30]]
    kept = [d for d in dates if d not in missing]
    check = check_dates(kept)
    assert check.frequency is Frequency.WEEKLY
    (violation,) = check.violations
    assert violation.rule is ContractRule.DATE_GAP
    assert violation.column == "date"
    assert violation.rows == (10, 28)  # positions, in the gappy series, of the dates after gaps
    assert violation.dates == (dates[12], dates[31])
    assert "3 missing period(s)" in violation.message
    assert "(2021-03-15, 2021-03-22, 2021-08-02)" in violation.message
    assert [d.isoformat() for d in missing] == ["2021-03-15", "2021-03-22", "2021-08-02"]


def test_a_four_week_gap_spanning_a_calendar_month_is_a_gap() -> None:
    dates = series(dt.date(2021, 1, 4), Frequency.WEEKLY, 40)  # 2021-02-01 .. 2021-03-01
    kept = [d for d in dates if not dt.date(2021, 2, 1) < d < dt.date(2021, 3, 1)]
    (violation,) = check_dates(kept).violations
    assert violation.rule is ContractRule.DATE_GAP
    assert "3 missing period(s) (2021-02-08, 2021-02-15, 2021-02-22)" in violation.message


def test_many_missing_periods_are_summarized() -> None:
    dates = series(dt.date(2020, 1, 1), Frequency.DAILY, 200)
    kept = dates[:50] + dates[60:]
    (violation,) = check_dates(kept).violations
    assert violation.rule is ContractRule.DATE_GAP
    assert "10 missing period(s)" in violation.message
    assert "and 5 more" in violation.message
    assert dates[50].isoformat() in violation.message
    assert dates[55].isoformat() not in violation.message


def test_monthly_gap_at_month_ends() -> None:
    dates = [dt.date(2021, 1, 31), dt.date(2021, 3, 31), dt.date(2021, 4, 30), dt.date(2021, 5, 31)]
    (violation,) = check_dates(dates).violations
    assert violation.rule is ContractRule.DATE_GAP
    assert "(2021-02-28)" in violation.message


@pytest.mark.parametrize(
    ("dates", "fragment"),
    [
        pytest.param(series(dt.date(2021, 1, 4), Frequency.WEEKLY, 30)[::2], "14 days", id="14d"),
        pytest.param(
            [dt.date(2021, 1, 1) + dt.timedelta(days=10 * k) for k in range(30)],
            "10 days",
            id="10d",
        ),
        pytest.param(
            [dt.date(2021, 1, 15), dt.date(2021, 2, 14), dt.date(2021, 3, 16)],
            "30 days",
            id="30_days_is_not_a_month",
        ),
    ],
)
def test_unsupported_spacing(dates: list[dt.date], fragment: str) -> None:
    check = check_dates(dates)
    assert check.frequency is None
    (violation,) = check.violations
    assert violation.rule is ContractRule.IRREGULAR_DATES
    assert fragment in violation.message


def test_mixed_frequencies() -> None:
    dates = series(dt.date(2021, 1, 4), Frequency.WEEKLY, 30)
    dates[12] = dates[11] + dt.timedelta(days=1)
    check = check_dates(dates)
    assert check.frequency is Frequency.WEEKLY
    (violation,) = check.violations
    assert violation.rule is ContractRule.IRREGULAR_DATES
    assert violation.rows == (12, 13)
    assert "mixes frequencies" in violation.message
    assert dates[12].isoformat() in violation.message


def test_order_problems_come_first() -> None:
    dates = series(dt.date(2021, 1, 4), Frequency.WEEKLY, 30)
    duplicated = [*dates[:5], dates[4], *dates[5:]]
    check = check_dates(duplicated)
    assert check.frequency is None
    assert [v.rule for v in check.violations] == [ContractRule.DUPLICATE_DATES]
    assert check.violations[0].rows == (4, 5)
    swapped = dates.copy()
    swapped[3], swapped[4] = swapped[4], swapped[3]
    check = check_dates(swapped)
    assert [v.rule for v in check.violations] == [ContractRule.UNSORTED_DATES]
    assert check.violations[0].rows == (4,)
    assert check.violations[0].dates == (dates[3],)
    reversed_dup = [dates[1], dates[0], dates[0]]
    rules = {v.rule for v in check_dates(reversed_dup).violations}
    assert rules == {ContractRule.DUPLICATE_DATES, ContractRule.UNSORTED_DATES}


def test_fewer_than_two_dates() -> None:
    assert check_dates([dt.date(2021, 1, 4)]).frequency is None
    assert check_dates([dt.date(2021, 1, 4)]).violations == ()
    assert check_dates([]).violations == ()


@pytest.mark.parametrize(
    ("anchor", "dropped"),
    [
        pytest.param(28, dt.date(2001, 3, 28), id="28th"),  # 28 February 2001 ends a month
        pytest.param(30, dt.date(2001, 3, 30), id="30th"),  # ... and stands for the 30th
        pytest.param(31, dt.date(2001, 3, 31), id="month_end"),
        pytest.param(30, dt.date(2001, 2, 28), id="30th_february"),
        pytest.param(29, dt.date(2000, 2, 29), id="29th_leap"),
    ],
)
def test_monthly_gap_lists_the_series_day(anchor: int, dropped: dt.date) -> None:
    dates = series(dt.date(2000, 1, 1), Frequency.MONTHLY, 24, anchor)
    assert dropped in dates
    check = check_dates(dates)
    assert check.frequency is Frequency.MONTHLY
    assert check.violations == ()
    (violation,) = check_dates([d for d in dates if d != dropped]).violations
    assert violation.rule is ContractRule.DATE_GAP
    assert f"1 missing period(s) ({dropped.isoformat()})" in violation.message


def test_next_period_and_period_step() -> None:
    assert next_period(dt.date(2001, 2, 28), Frequency.MONTHLY) == dt.date(2001, 3, 31)
    assert next_period(dt.date(2001, 2, 28), Frequency.MONTHLY, day_of_month=28) == dt.date(
        2001, 3, 28
    )
    assert next_period(dt.date(2001, 2, 28), Frequency.MONTHLY, day_of_month=30) == dt.date(
        2001, 3, 30
    )
    assert next_period(dt.date(2001, 1, 15), Frequency.MONTHLY, day_of_month=31) == dt.date(
        2001, 2, 28
    )
    assert next_period(dt.date(2020, 1, 31), Frequency.MONTHLY) == dt.date(2020, 2, 29)
    assert next_period(dt.date(2020, 2, 29), Frequency.MONTHLY, 12) == dt.date(2021, 2, 28)
    assert next_period(dt.date(2020, 2, 29), Frequency.MONTHLY) == dt.date(2020, 3, 31)
    assert next_period(dt.date(2020, 11, 15), Frequency.MONTHLY, 3) == dt.date(2021, 2, 15)
    assert next_period(dt.date(2020, 12, 28), Frequency.WEEKLY, 2) == dt.date(2021, 1, 11)
    assert next_period(dt.date(2020, 12, 31), Frequency.DAILY) == dt.date(2021, 1, 1)
    assert period_step(dt.date(2021, 1, 4), dt.date(2021, 2, 1), Frequency.WEEKLY) == 4
    assert period_step(dt.date(2021, 1, 4), dt.date(2021, 2, 2), Frequency.WEEKLY) is None
    assert period_step(dt.date(2021, 1, 31), dt.date(2021, 4, 30), Frequency.MONTHLY) == 3
    assert period_step(dt.date(2021, 1, 15), dt.date(2021, 4, 16), Frequency.MONTHLY) is None


# --- properties ---------------------------------------------------------------------------------

FREQUENCIES = st.sampled_from(list(Frequency))


@st.composite
def regular_series(
    draw: st.DrawFn, min_size: int = 2
) -> tuple[Frequency, list[dt.date], int | None]:
    """A regular series and, for monthly ones, the day of month it is on."""
    frequency = draw(FREQUENCIES)
    start = draw(st.dates(dt.date(1990, 1, 1), dt.date(2060, 12, 31)))
    n = draw(st.integers(min_size, 60))
    if frequency is not Frequency.MONTHLY:
        return frequency, series(start, frequency, n), None
    # favour the days where months differ: the 28th to the 31st
    anchor = draw(st.one_of(st.integers(1, 31), st.integers(28, 31)))
    return frequency, series(start, frequency, n, anchor), anchor


@given(regular_series())
def test_regular_series_are_recognized(
    case: tuple[Frequency, list[dt.date], int | None],
) -> None:
    frequency, dates, _ = case
    check = check_dates(dates)
    assert check.violations == ()
    assert check.frequency is frequency
    assert reference_frequency(dates) is frequency


@given(regular_series(min_size=12), st.data())
def test_dropped_periods_are_gaps(
    case: tuple[Frequency, list[dt.date], int | None], data: st.DataObject
) -> None:
    frequency, dates, _ = case
    interior = range(1, len(dates) - 1)
    dropped = sorted(
        data.draw(st.sets(st.sampled_from(interior), min_size=1, max_size=len(dates) // 4))
    )
    kept = [d for i, d in enumerate(dates) if i not in dropped]
    check = check_dates(kept)
    assert check.frequency is frequency
    (violation,) = check.violations
    assert violation.rule is ContractRule.DATE_GAP
    assert f"{len(dropped)} missing period(s)" in violation.message
    for i in dropped[:5]:
        assert dates[i].isoformat() in violation.message
    after_gaps = sorted(
        {next(j for j in range(i, len(dates)) if j not in dropped) for i in dropped}
    )
    assert violation.dates == tuple(dates[j] for j in after_gaps)
    assert violation.rows == tuple(kept.index(dates[j]) for j in after_gaps)


@given(regular_series(min_size=3), st.data())
def test_steps_are_whole_periods(
    case: tuple[Frequency, list[dt.date], int | None], data: st.DataObject
) -> None:
    frequency, dates, anchor = case
    i = data.draw(st.integers(0, len(dates) - 1))
    k = data.draw(st.integers(0, len(dates) - 1 - i))
    assert period_step(dates[i], dates[i + k], frequency) == k
    assert next_period(dates[i], frequency, k, day_of_month=anchor) == dates[i + k]


@settings(max_examples=300)
@given(
    st.sets(st.integers(0, 120), min_size=2, max_size=6),
    st.dates(dt.date(2019, 1, 1), dt.date(2100, 12, 31)),  # + 120 days stays a valid date
)
def test_no_violation_exactly_when_the_reference_finds_a_frequency(
    offsets: set[int], start: dt.date
) -> None:
    dates = [start + dt.timedelta(days=k) for k in sorted(offsets)]
    check = check_dates(dates)
    expected = reference_frequency(dates)
    assert (check.violations == ()) == (expected is not None)
    if expected is not None:
        assert check.frequency is expected
