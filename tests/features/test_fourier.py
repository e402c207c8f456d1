"""Fourier seasonality: calendar clocks and the sin/cos basis, against numpy from the dates."""

from __future__ import annotations

import datetime as dt
import math

import jax
import numpy as np
import pytest

from mmm.features._fourier import (
    DAYS_PER_YEAR,
    WEEK,
    YEAR,
    day_of_year_fraction,
    fourier_features,
    fourier_labels,
    years_since_epoch,
)

ORDER = 4


def date_range(start: dt.date, end: dt.date, step_days: int) -> list[dt.date]:
    out = []
    d = start
    while d <= end:
        out.append(d)
        d += dt.timedelta(days=step_days)
    return out


def month_starts(first_year: int, last_year: int) -> list[dt.date]:
    return [dt.date(y, m, 1) for y in range(first_year, last_year + 1) for m in range(1, 13)]


DAILY = date_range(dt.date(2019, 1, 1), dt.date(2024, 12, 31), 1)
WEEKLY = date_range(dt.date(2019, 1, 7), dt.date(2024, 12, 30), 7)  # Mondays
MONTHLY = month_starts(2019, 2024)


# --- numpy references from the calendar --------------------------------------------------


def ref_fraction(d: dt.date) -> float:
    yday = d.timetuple().tm_yday
    n_days = 366 if (d.year % 4 == 0 and (d.year % 100 != 0 or d.year % 400 == 0)) else 365
    return (yday - 1) / n_days


def ref_fourier(t: np.ndarray, period: float, order: int) -> np.ndarray:
    cols = []
    for k in range(1, order + 1):
        cols.append(np.sin(2 * np.pi * k * t / period))
        cols.append(np.cos(2 * np.pi * k * t / period))
    return np.stack(cols, axis=1)


def yearly(dates: list[dt.date]) -> np.ndarray:
    return np.asarray(fourier_features(day_of_year_fraction(dates), order=ORDER))


# --- frequency and window invariance ------------------------------------------------------


@pytest.mark.parametrize("other", [WEEKLY, MONTHLY], ids=["weekly", "monthly"])
def test_yearly_features_match_daily_at_matching_dates(other: list[dt.date]) -> None:
    daily = dict(zip(DAILY, yearly(DAILY), strict=True))
    features = yearly(other)
    assert len(other) > 50
    for d, row in zip(other, features, strict=True):
        np.testing.assert_allclose(row, daily[d], atol=1e-6)


@pytest.mark.parametrize("other", [WEEKLY, MONTHLY], ids=["weekly", "monthly"])
def test_epoch_clock_matches_daily_at_matching_dates(other: list[dt.date]) -> None:
    daily_t = years_since_epoch(DAILY, period=YEAR)
    daily = dict(zip(DAILY, np.asarray(fourier_features(daily_t, order=ORDER)), strict=True))
    features = np.asarray(fourier_features(years_since_epoch(other, period=YEAR), order=ORDER))
    for d, row in zip(other, features, strict=True):
        np.testing.assert_allclose(row, daily[d], atol=1e-6)


def test_window_start_does_not_shift_the_phase() -> None:
    full = yearly(WEEKLY)
    for start in (1, 13, 40):
        np.testing.assert_allclose(yearly(WEEKLY[start:]), full[start:], atol=1e-6)


# --- against numpy from the calendar --------------------------------------------------------

LEAP_DATES = [
    dt.date(2023, 1, 1),
    dt.date(2023, 2, 28),
    dt.date(2023, 3, 1),
    dt.date(2023, 12, 31),
    dt.date(2024, 1, 1),
    dt.date(2024, 2, 28),
    dt.date(2024, 2, 29),
    dt.date(2024, 3, 1),
    dt.date(2024, 12, 30),
    dt.date(2024, 12, 31),
    dt.date(2000, 12, 31),  # divisible by 400: leap
    dt.date(2100, 12, 31),  # divisible by 100: not leap
]


def test_day_of_year_fraction_matches_tm_yday() -> None:
    dates = [*LEAP_DATES, *DAILY[::17]]
    expected = np.array([ref_fraction(d) for d in dates])
    got = day_of_year_fraction(dates)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, expected)


def test_day_of_year_fraction_leap_years_step_evenly() -> None:
    t = day_of_year_fraction(LEAP_DATES)
    assert t[0] == 0.0
    assert t[6] == pytest.approx(59 / 366)  # Feb 29, 2024
    assert t[7] == pytest.approx(60 / 366)  # Mar 1, 2024
    assert t[2] == pytest.approx(59 / 365)  # Mar 1, 2023
    assert t[9] == pytest.approx(365 / 366)  # Dec 31 of a leap year
    assert t[10] == pytest.approx(365 / 366)  # 2000 is a leap year
    assert t[11] == pytest.approx(364 / 365)  # 2100 is not
    # Every day advances by 1/n_days, across year ends too: no jumps.
    steps = np.diff(day_of_year_fraction(DAILY)) % 1.0
    assert np.all((np.abs(steps - 1 / 365) < 1e-12) | (np.abs(steps - 1 / 366) < 1e-12))


def test_fourier_features_match_numpy_from_the_date() -> None:
    dates = [*LEAP_DATES, *DAILY[::11]]
    t = np.array([ref_fraction(d) for d in dates])
    expected = ref_fourier(t, 1.0, ORDER)
    np.testing.assert_allclose(yearly(dates), expected, atol=1e-5)


def test_years_since_epoch_matches_numpy() -> None:
    dates = [*LEAP_DATES, *DAILY[::13]]
    full = np.array([(d - dt.date(1970, 1, 1)).days / 365.25 for d in dates])
    np.testing.assert_allclose(years_since_epoch(dates), full, rtol=1e-15)
    reduced = years_since_epoch(dates, period=YEAR)
    assert np.all((reduced >= 0) & (reduced < 1))
    np.testing.assert_allclose(reduced, full - np.floor(full), atol=1e-9)
    # Reducing modulo the period does not change the features (float64 reference).
    np.testing.assert_allclose(
        np.asarray(fourier_features(reduced, order=ORDER)),
        ref_fourier(full, 1.0, ORDER),
        atol=1e-5,
    )


def test_weekly_period_on_daily_data_follows_the_weekday() -> None:
    dates = DAILY[:60]
    t = years_since_epoch(dates, period=WEEK)
    # 1970-01-01 was a Thursday (weekday 3): the weekly clock is days since a Thursday.
    days = np.array([(d.weekday() - 3) % 7 for d in dates], dtype=float)
    np.testing.assert_allclose(t * DAYS_PER_YEAR, days, atol=1e-9)
    assert np.all(t < WEEK)
    features = np.asarray(fourier_features(t, period=WEEK, order=3))
    np.testing.assert_allclose(features, ref_fourier(days, 7.0, 3), atol=1e-5)
    np.testing.assert_array_equal(features[7:], features[:-7])  # exactly 7-periodic


def test_columns_over_whole_years_average_zero_and_are_orthogonal() -> None:
    dates = date_range(dt.date(2021, 1, 1), dt.date(2024, 12, 31), 1)  # 4 years, one leap
    x = yearly(dates)
    n = x.shape[0]
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(x.T @ x / n, 0.5 * np.eye(2 * ORDER), atol=1e-4)


# --- labels, shapes and errors --------------------------------------------------------------


def test_labels_follow_the_column_order() -> None:
    labels = fourier_labels(3, "yearly")
    assert labels == [
        "yearly_sin_1",
        "yearly_cos_1",
        "yearly_sin_2",
        "yearly_cos_2",
        "yearly_sin_3",
        "yearly_cos_3",
    ]
    t = np.array([0.1, 0.3])
    x = np.asarray(fourier_features(t, order=3))
    assert x.shape == (2, len(labels))
    for j, label in enumerate(labels):
        _, fn, k = label.split("_")
        ref = {"sin": np.sin, "cos": np.cos}[fn](2 * np.pi * int(k) * t)
        np.testing.assert_allclose(x[:, j], ref, atol=1e-6)


def test_jit_inlines_and_vmap_matches_loop() -> None:
    t = np.stack([day_of_year_fraction(WEEKLY[:30]), day_of_year_fraction(WEEKLY[30:60])])
    batched = jax.vmap(lambda s: fourier_features(s, order=2))(t)
    for i in range(2):
        np.testing.assert_allclose(batched[i], fourier_features(t[i], order=2), atol=1e-7)


@pytest.mark.parametrize("order", [0, -1, 1.5, True])
def test_bad_order_is_refused(order: object) -> None:
    with pytest.raises(ValueError, match="order"):
        fourier_features(np.zeros(3), order=order)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="order"):
        fourier_labels(order)  # type: ignore[arg-type]


@pytest.mark.parametrize("period", [0.0, -1.0, math.inf])
def test_bad_period_is_refused(period: float) -> None:
    with pytest.raises(ValueError, match="period"):
        fourier_features(np.zeros(3), period=period, order=1)
    with pytest.raises(ValueError, match="period"):
        years_since_epoch(LEAP_DATES, period=period)


def test_two_dimensional_time_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\(time,\)"):
        fourier_features(np.zeros((3, 2)), order=1)


def test_non_dates_are_refused() -> None:
    with pytest.raises(TypeError, match=r"dates\[1\]"):
        day_of_year_fraction([dt.date(2024, 1, 1), "2024-01-02"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="name"):
        fourier_labels(2, "")
