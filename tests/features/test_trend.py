"""Trend: scaled time and Prophet's piecewise linear trend, against a numpy loop."""

from __future__ import annotations

import datetime as dt

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mmm.features._trend import (
    changepoint_grid,
    linear_trend,
    piecewise_linear_trend,
    time_index,
)

START = dt.date(2021, 1, 4)
END = dt.date(2023, 12, 25)


def ref_piecewise(
    t: np.ndarray, s: np.ndarray, delta: np.ndarray, k: float, m: float
) -> np.ndarray:
    out = np.zeros(len(t))
    for i, ti in enumerate(t):
        slope, offset = k, m
        for sj, dj in zip(s, delta, strict=True):
            if ti >= sj:
                slope += dj
                offset -= sj * dj
        out[i] = slope * ti + offset
    return out


def every(step: int, start: dt.date = START, end: dt.date = END) -> list[dt.date]:
    n = (end - start).days // step + 1
    return [start + dt.timedelta(days=step * i) for i in range(n)]


# --- time_index ---------------------------------------------------------------------------


def test_time_index_spans_zero_to_one_over_the_window() -> None:
    t = time_index(every(7))
    assert t[0] == 0.0
    assert t[-1] == 1.0
    assert np.all(np.diff(t) > 0)
    np.testing.assert_allclose(np.diff(t), 7 / (END - START).days)


def test_time_index_is_the_same_for_daily_weekly_and_monthly_at_matching_dates() -> None:
    daily = dict(zip(every(1), time_index(every(1)), strict=True))
    weekly = every(7)
    for d, v in zip(weekly, time_index(weekly, start=START, end=END), strict=True):
        assert v == daily[d]
    months = [dt.date(y, m, 1) for y in (2021, 2022, 2023) for m in range(1, 13)][1:]
    for d, v in zip(months, time_index(months, start=START, end=END), strict=True):
        assert v == pytest.approx(daily[d], abs=1e-12)
        assert v == pytest.approx((d - START).days / (END - START).days, abs=1e-12)


def test_future_dates_continue_past_one() -> None:
    future = [END + dt.timedelta(days=7 * i) for i in range(1, 5)]
    t = time_index(future, start=START, end=END)
    span = (END - START).days
    np.testing.assert_allclose(t, [1 + 7 * i / span for i in range(1, 5)])
    assert time_index([START - dt.timedelta(days=7)], start=START, end=END)[0] < 0


@pytest.mark.parametrize(
    ("dates", "kwargs", "match"),
    [
        ([START], {}, "empty"),
        ([], {}, "dates is empty"),
        ([START, END], {"start": END, "end": START}, "end after start"),
    ],
)
def test_time_index_refuses_empty_windows(dates: list[dt.date], kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        time_index(dates, **kwargs)


def test_time_index_refuses_non_dates() -> None:
    with pytest.raises(TypeError, match=r"dates\[0\]"):
        time_index(["2024-01-01", START])  # type: ignore[list-item]


# --- changepoint grid -----------------------------------------------------------------------


def test_changepoint_grid_fills_the_first_eighty_percent() -> None:
    np.testing.assert_allclose(changepoint_grid(4), [0.2, 0.4, 0.6, 0.8])
    s = changepoint_grid(25)
    assert s.shape == (25,)
    assert np.all(np.diff(s) > 0)
    assert s[0] > 0
    assert s[-1] == pytest.approx(0.8)
    np.testing.assert_allclose(changepoint_grid(2, range_fraction=1.0), [0.5, 1.0])


@pytest.mark.parametrize(
    ("n", "r"), [(0, 0.8), (-1, 0.8), (2.0, 0.8), (True, 0.8), (3, 0.0), (3, 1.5), (3, np.nan)]
)
def test_changepoint_grid_refuses_bad_arguments(n: object, r: float) -> None:
    with pytest.raises(ValueError, match=r"n_changepoints|range_fraction"):
        changepoint_grid(n, range_fraction=r)  # type: ignore[arg-type]


# --- the trends -----------------------------------------------------------------------------


def test_piecewise_trend_matches_numpy_loop() -> None:
    rng = np.random.default_rng(0)
    t = np.concatenate([np.linspace(0, 1, 157), [1.2, 1.5]])
    s = changepoint_grid(10)
    for _ in range(5):
        delta = rng.normal(0, 1, size=s.shape)
        k, m = rng.normal(), rng.normal()
        got = piecewise_linear_trend(t, s, delta, k, m)
        assert got.shape == t.shape
        np.testing.assert_allclose(got, ref_piecewise(t, s, delta, k, m), atol=1e-5)


def test_piecewise_trend_has_no_jumps_at_changepoints() -> None:
    s = np.array([0.2, 0.5, 0.7])
    delta = np.array([3.0, -5.0, 4.0])
    k, m = 1.0, 2.0
    eps = 1e-3
    left = np.asarray(piecewise_linear_trend(s - eps, s, delta, k, m))
    at = np.asarray(piecewise_linear_trend(s, s, delta, k, m))
    slopes = k + np.cumsum(delta)
    slope_before = np.concatenate([[k], slopes[:-1]])
    # Left limit + slope * eps: a jump of delta_j * s_j (>= 0.6 here) would show.
    np.testing.assert_allclose(at, left + slope_before * eps, atol=1e-5)
    # Slopes change by delta_j after each changepoint.
    right = np.asarray(piecewise_linear_trend(s + eps, s, delta, k, m))
    np.testing.assert_allclose((right - at) / eps, slopes, rtol=1e-3)


def test_zero_deltas_give_the_linear_trend() -> None:
    t = np.linspace(0.0, 1.3, 40, dtype=np.float32)
    s = changepoint_grid(6)
    got = piecewise_linear_trend(t, s, np.zeros(6), 0.7, -0.3)
    np.testing.assert_allclose(got, 0.7 * linear_trend(t) - 0.3, atol=1e-6)
    np.testing.assert_array_equal(linear_trend(t), t)


def test_last_slope_extends_out_of_sample() -> None:
    s = changepoint_grid(3)
    delta = np.array([0.5, -1.0, 2.0])
    g = np.asarray(piecewise_linear_trend(np.array([1.0, 1.5, 2.0]), s, delta, 1.0, 0.0))
    np.testing.assert_allclose(np.diff(g), 0.5 * (1.0 + delta.sum()), rtol=1e-5)


def test_vmap_over_draws_matches_loop_and_gradients_are_finite() -> None:
    t = np.linspace(0.0, 1.0, 30)
    s = changepoint_grid(4)
    rng = np.random.default_rng(0)
    deltas, ks, ms = rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=3)
    batched = jax.vmap(piecewise_linear_trend, in_axes=(None, None, 0, 0, 0))(t, s, deltas, ks, ms)
    for i in range(3):
        np.testing.assert_allclose(
            batched[i], ref_piecewise(t, s, deltas[i], ks[i], ms[i]), atol=1e-5
        )
    grads = jax.grad(lambda d, k, m: piecewise_linear_trend(t, s, d, k, m).sum(), (0, 1, 2))(
        jnp.asarray(deltas[0], dtype=jnp.float32), jnp.float32(ks[0]), jnp.float32(ms[0])
    )
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in grads)
    # d/dm of sum(g) = time, d/dk = sum(t)
    np.testing.assert_allclose(grads[2], 30.0, rtol=1e-6)
    np.testing.assert_allclose(grads[1], t.sum(), rtol=1e-5)


def test_shape_errors_name_the_fix() -> None:
    with pytest.raises(ValueError, match="vmap"):
        piecewise_linear_trend(np.zeros(5), np.zeros(3), np.zeros(2), 1.0, 0.0)
    with pytest.raises(ValueError, match="k has shape"):
        piecewise_linear_trend(np.zeros(5), np.zeros(2), np.zeros(2), np.ones(2), 0.0)
    with pytest.raises(ValueError, match=r"\(time,\)"):
        linear_trend(np.zeros((2, 2)))
