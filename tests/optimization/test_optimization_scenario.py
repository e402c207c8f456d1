"""Scenario simulation: plans in every form, carry-in/over, paired comparisons, bad input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from optimization_helpers import make_fit

from mmm.optimization import compare_plans, evaluate_plan, future_dates


@pytest.fixture(scope="module")
def fit():
    return make_fit(104, 3, 40, seed=1)


@pytest.fixture(scope="module")
def hist(fit) -> np.ndarray:
    return np.asarray(fit.design.spend, np.float64).mean(0)


def test_steady_dict_array_and_totals(fit, hist) -> None:
    channels = fit.spec.channels
    ev = evaluate_plan(fit, dict(zip(channels, hist, strict=True)))
    assert ev.horizon is None
    assert ev.draws.shape == (40,)
    np.testing.assert_allclose(ev.draws, ev.channel_draws.sum(1))
    same = evaluate_plan(fit, hist)
    np.testing.assert_array_equal(same.draws, ev.draws)
    assert ev.carry_in is None
    # more spend on every channel is more KPI in every draw (responses increase)
    more = evaluate_plan(fit, hist * 1.5)
    assert np.all(more.channel_draws > ev.channel_draws)
    assert more.prob_beats(ev) == 1.0
    frame = ev.to_frame()
    assert frame["channel"].to_list() == list(channels)
    np.testing.assert_allclose(frame["roi_mean"], ev.channel_draws.mean(0) / hist)


def test_flighting_forms_agree_and_split_the_kpi(fit, hist) -> None:
    channels = fit.spec.channels
    horizon = 6
    totals = dict(zip(channels, hist * horizon, strict=True))
    flat = evaluate_plan(fit, totals, horizon=horizon)
    np.testing.assert_allclose(flat.spend, np.repeat(hist[None, :], horizon, axis=0))
    frame = pl.DataFrame(
        {
            "date": list(future_dates(fit, horizon)),
            **{c: flat.spend[:, j] for j, c in enumerate(channels)},
        }
    )
    again = evaluate_plan(fit, frame)
    np.testing.assert_array_equal(again.draws, flat.draws)
    np.testing.assert_array_equal(evaluate_plan(fit, flat.spend).draws, flat.draws)
    # the plan's KPI = inside the horizon + carry-over after it; carry-in apart
    np.testing.assert_allclose(flat.channel_draws, flat.in_horizon + flat.carry_over)
    assert np.all(flat.carry_over > 0)
    assert np.all(flat.carry_in > 0)  # the last weeks of data still work in the horizon
    # the historic pattern copies the last H weeks of each channel
    historic = evaluate_plan(fit, totals, horizon=horizon, pattern="historic")
    columns = [f"spend__{c}" for c in channels]
    last = fit.dataset.frame.select(columns).to_numpy().astype(np.float64)[-horizon:]
    np.testing.assert_allclose(historic.spend, last / last.sum(0) * hist * horizon, rtol=1e-12)
    # dates continue the data's weekly grid
    assert flat.dates[0] == fit.dataset.end + dt.timedelta(days=7)


def test_a_long_steady_flight_converges_to_the_steady_plan(fit, hist) -> None:
    """Spend held for many periods: the per-period KPI far from both ends is the steady one."""
    horizon = 40
    flight = evaluate_plan(fit, np.repeat(hist[None, :], horizon, axis=0))
    steady = evaluate_plan(fit, hist)
    # total = H x steady + the transient at the start (carry-in) and the carry-over
    per_period = flight.in_horizon.sum(1) / horizon
    np.testing.assert_allclose(per_period, steady.draws, rtol=0.05)


def test_compare_plans_is_paired(fit, hist) -> None:
    plans = {"historic": hist, "more tv": hist * np.array([1.3, 0.85, 0.85])}
    table = compare_plans(fit, plans, reference="historic")
    assert table["plan"].to_list() == ["historic", "more tv"]
    base, alt = (evaluate_plan(fit, p) for p in plans.values())
    row = table.row(1, named=True)
    np.testing.assert_allclose(row["uplift_mean"], (alt.draws - base.draws).mean(), rtol=1e-9)
    assert row["prob_beats_reference"] == pytest.approx(float((alt.draws > base.draws).mean()))
    assert table.row(0, named=True)["uplift_mean"] == 0.0
    assert np.isnan(table.row(0, named=True)["prob_beats_reference"])
    with pytest.raises(ValueError, match="reference="):
        compare_plans(fit, plans, reference="nope")


def test_bad_plans_are_refused_with_the_reason(fit, hist) -> None:
    channels = list(fit.spec.channels)
    with pytest.raises(ValueError, match=r"\['tvv'\] are not paid channels"):
        evaluate_plan(fit, {"tvv": 1.0, **dict(zip(channels, hist, strict=True))})
    with pytest.raises(ValueError, match="missing"):
        evaluate_plan(fit, {channels[0]: 1.0})
    with pytest.raises(ValueError, match="finite spend >= 0"):
        evaluate_plan(fit, hist * np.array([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="finite spend >= 0"):
        evaluate_plan(fit, hist * np.array([1.0, np.nan, 1.0]))
    late = pl.DataFrame(
        {
            "date": [fit.dataset.end + dt.timedelta(days=14 + 7 * i) for i in range(3)],
            **{c: [1.0, 1.0, 1.0] for c in channels},
        }
    )
    with pytest.raises(ValueError, match="periods after the data"):
        evaluate_plan(fit, late)
    with pytest.raises(ValueError, match="horizon="):
        evaluate_plan(fit, hist, horizon=0)
    with pytest.raises(ValueError, match="pattern='historic' copies the last 500"):
        evaluate_plan(fit, dict(zip(channels, hist, strict=True)), horizon=500, pattern="historic")
