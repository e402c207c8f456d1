"""optimize_budget against analytic optima, SLSQP, exact constraints and honest certificates."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from optimization_helpers import analytic_mm_optimum, michaelis_menten_fit
from scipy.optimize import minimize

from mmm.optimization import (
    CVaR,
    InfeasiblePlanError,
    MeanMinusSd,
    MROASTarget,
    Multiple,
    ResponseTarget,
    ROITarget,
    TargetUnreachableError,
    evaluate_plan,
    optimize_budget,
)


@pytest.fixture(scope="module")
def mm():
    """Four channels with ``A s / (K + s)`` responses, every draw alike; historic budget."""
    fit, a, k = michaelis_menten_fit(4, draws=50, seed=0)
    budget = float(np.asarray(fit.design.spend, np.float64).mean(0).sum())
    return fit, a, k, budget


def _check_feasible(plan, lower=None, upper=None) -> None:
    spend = plan.spend
    budget = plan.total_budget
    assert abs(spend.sum() - budget) <= 1e-9 * budget
    assert np.all(spend >= 0)
    if lower is not None:
        assert np.all(spend[0] >= lower - 1e-9 * budget)
    if upper is not None:
        assert np.all(spend[0] <= upper + 1e-9 * budget)


@pytest.mark.parametrize("budget_factor", [0.3, 1.0, 4.0])
def test_steady_plan_matches_the_analytic_optimum(mm, budget_factor: float) -> None:
    fit, a, k, budget = mm
    b = budget * budget_factor
    plan = optimize_budget(fit, b)
    expected = analytic_mm_optimum(a, k, b)
    assert np.abs(plan.spend[0] - expected).max() <= 0.005 * b
    assert np.abs(plan.spend[0] - expected).max() <= 1e-4 * b  # in fact much closer
    _check_feasible(plan)
    assert plan.converged
    assert plan.kkt_residual < 1e-3
    # equal marginal returns: the certificate's multiplier is the analytic one
    mu = a * k / (k + expected) ** 2
    np.testing.assert_allclose(plan.marginal_return, mu[expected > 0].mean(), rtol=1e-3)
    np.testing.assert_allclose(list(plan.mroas.values()), mu, rtol=2e-3)
    assert plan.expected_response >= plan.baseline_response


def test_bounds_and_locks_match_the_analytic_optimum(mm) -> None:
    fit, a, k, budget = mm
    channels = fit.spec.channels
    free = analytic_mm_optimum(a, k, budget)
    # force the biggest channel down and the smallest up, lock a third one off its optimum
    big, small = int(np.argmax(free)), int(np.argmin(free))
    locked = next(j for j in range(4) if j not in (big, small))
    lower = np.zeros(4)
    upper = np.full(4, np.inf)
    upper[big] = 0.7 * free[big]
    lock_value = 0.5 * free[locked]
    lower[locked] = upper[locked] = lock_value
    # a minimum above what the small channel gets under the other constraints binds
    lower[small] = 1.3 * analytic_mm_optimum(a, k, budget, lower, upper)[small]
    plan = optimize_budget(
        fit,
        budget,
        bounds={channels[big]: (0.0, upper[big]), channels[small]: (lower[small], np.inf)},
        locks={channels[locked]: lock_value},
    )
    expected = analytic_mm_optimum(a, k, budget, lower, upper)
    assert expected[small] == lower[small]  # the case tests both bounds binding
    assert np.abs(plan.spend[0] - expected).max() <= 1e-4 * budget
    _check_feasible(plan, lower, upper)
    assert plan.spend[0, locked] == lock_value  # exactly unchanged
    status = np.where(expected >= upper, "upper", np.where(expected <= lower, "lower", "free"))
    status = status.astype(object)
    status[locked] = "locked"
    assert status[small] == "lower"
    assert plan.binding == dict(zip(channels, status.tolist(), strict=True))
    assert plan.converged


def test_multiple_bounds_are_multiples_of_historic_spend(mm) -> None:
    fit, _, _, budget = mm
    hist = np.asarray(fit.design.spend, np.float64).mean(0)
    bounds = {c: Multiple(0.9, 1.1) for c in fit.spec.channels}
    plan = optimize_budget(fit, budget, bounds=bounds)
    _check_feasible(plan, 0.9 * hist, 1.1 * hist)
    assert plan.converged


@pytest.mark.parametrize("k", [1, 7, 30])
def test_reference_periods_set_the_reference_mix_and_the_multiple_bounds(mm, k: int) -> None:
    fit, a, k_mm, _ = mm
    spend = np.asarray(fit.dataset.to_arrays().spend, np.float64)
    recent = spend[-k:].mean(0)  # a numpy reference of "historic" over the last k periods
    assert not np.allclose(recent / recent.sum(), spend.mean(0) / spend.mean(0).sum())
    budget = float(recent.sum())  # the historic budget over the same window
    plan = optimize_budget(
        fit, budget, bounds={c: Multiple(0.5, 2.0) for c in fit.spec.channels}, reference_periods=k
    )
    assert plan.reference_periods == k
    # the reference plan is the recent mix at the budget
    np.testing.assert_allclose(plan.reference.spend[0], recent / recent.sum() * budget, rtol=1e-6)
    # the bounds are multiples of the recent means, and exact where they bind
    _check_feasible(plan, 0.5 * recent, 2.0 * recent)
    upper = [j for j, c in enumerate(fit.spec.channels) if plan.binding[c] == "upper"]
    lower = [j for j, c in enumerate(fit.spec.channels) if plan.binding[c] == "lower"]
    assert upper or lower, "the case must have a binding multiple bound"
    np.testing.assert_allclose(plan.spend[0, upper], 2.0 * recent[upper], rtol=1e-6)
    np.testing.assert_allclose(plan.spend[0, lower], 0.5 * recent[lower], rtol=1e-6)
    expected = analytic_mm_optimum(a, k_mm, budget, 0.5 * recent, 2.0 * recent)
    assert np.abs(plan.spend[0] - expected).max() <= 1e-4 * budget


def test_reference_periods_default_to_all_training_periods(mm) -> None:
    fit, _, _, budget = mm
    n = fit.dataset.n_periods
    default = optimize_budget(fit, budget, starts=1)
    everything = optimize_budget(fit, budget, starts=1, reference_periods=n)
    assert default.reference_periods == n
    np.testing.assert_array_equal(default.reference.spend, everything.reference.spend)


@pytest.mark.parametrize("bad", [0, -1, 10_000, 2.5, True, "52"])
def test_reference_periods_out_of_range_are_rejected(mm, bad) -> None:
    fit, _, _, budget = mm
    with pytest.raises(ValueError, match="reference_periods="):
        optimize_budget(fit, budget, reference_periods=bad)


def test_a_bad_start_moves_and_an_optimal_start_is_certified_not_flagged(mm) -> None:
    fit, a, k, budget = mm
    optimum = analytic_mm_optimum(a, k, budget)
    bad = np.roll(optimum, 1) * 0.2 + budget * 0.8 * np.eye(4)[0]
    moved = optimize_budget(fit, budget, reference=bad / bad.sum() * budget, starts=1)
    assert moved.moved
    assert moved.converged
    assert np.abs(moved.spend[0] - optimum).max() <= 1e-4 * budget
    assert moved.uplift > 0
    assert moved.prob_beats_reference == 1.0  # every draw alike
    stay = optimize_budget(fit, budget, reference=optimum, starts=1)
    assert not stay.moved
    assert stay.converged
    assert stay.warnings == ()
    assert abs(stay.uplift) <= 1e-5 * stay.expected_response


def test_an_uncertified_plan_is_flagged(mm) -> None:
    fit, _, _, budget = mm
    bad = budget * np.eye(4)[0]
    plan = optimize_budget(fit, budget, reference=bad, starts=1, max_steps=1)
    assert not plan.converged
    assert plan.warnings
    assert "not certified" in plan.warnings[0]


def _slsqp(values, budget: float, n: int, x0: np.ndarray) -> float:
    cons = [{"type": "eq", "fun": lambda x: x.sum() - budget}]
    res = minimize(
        lambda x: -values(x),
        x0,
        bounds=[(0, None)] * n,
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 500},
    )
    return float(values(np.clip(res.x, 0, None) * budget / np.clip(res.x, 0, None).sum()))


def test_varying_draws_match_or_beat_slsqp_on_the_same_objective() -> None:
    fit, _, _ = michaelis_menten_fit(5, draws=200, seed=4, vary=True)
    budget = float(np.asarray(fit.design.spend, np.float64).mean(0).sum())
    samples = fit.flat_samples()
    per_spend = np.asarray(fit.design.media, np.float64).sum(0) / np.asarray(
        fit.design.spend, np.float64
    ).sum(0)
    scale = float(fit.design.scalings.kpi.scale)
    a = samples["media/coef"].astype(np.float64) * scale
    k = samples["media/saturation/k"].astype(np.float64) / per_spend

    def mean_kpi(x: np.ndarray) -> float:
        return float((a * x / (k + x)).sum(axis=1).mean())

    plan = optimize_budget(fit, budget)
    reference = _slsqp(mean_kpi, budget, 5, np.full(5, budget / 5))
    ours = mean_kpi(plan.spend[0])
    assert ours >= reference - 1e-6 * abs(reference)
    np.testing.assert_allclose(plan.expected_response, ours, rtol=1e-5)
    assert plan.converged


def test_risk_aware_objectives(mm) -> None:
    fit, _, _ = michaelis_menten_fit(5, draws=400, seed=5, vary=True)
    budget = float(np.asarray(fit.design.spend, np.float64).mean(0).sum())
    mean_plan = optimize_budget(fit, budget)
    cautious = optimize_budget(fit, budget, objective=MeanMinusSd(risk_aversion=2.0))
    assert cautious.converged
    sd = lambda p: p.evaluation.draws.std()  # noqa: E731
    assert sd(cautious) <= sd(mean_plan)
    assert cautious.expected_response <= mean_plan.expected_response * (1 + 1e-6)
    score = lambda p: p.evaluation.draws.mean() - 2.0 * sd(p)  # noqa: E731
    assert score(cautious) >= score(mean_plan) - 1e-6 * abs(score(mean_plan))
    tail = optimize_budget(fit, budget, objective=CVaR(alpha=0.1))
    draws = np.sort(tail.evaluation.draws)
    np.testing.assert_allclose(tail.objective_value, draws[:40].mean(), rtol=1e-5)
    worst = lambda p: np.sort(p.evaluation.draws)[:40].mean()  # noqa: E731
    assert worst(tail) >= worst(mean_plan) * (1 - 1e-6)
    beat = optimize_budget(fit, budget, objective="prob_beat")
    assert beat.prob_beats_reference >= mean_plan.prob_beats_reference - 0.01
    assert beat.objective_value == beat.prob_beats_reference


def test_flighting_without_carry_over_spreads_the_static_optimum(mm) -> None:
    fit, a, k, budget = mm
    horizon = 6
    plan = optimize_budget(fit, budget * horizon, horizon=horizon)
    per_period = analytic_mm_optimum(a, k, budget)
    assert plan.spend.shape == (horizon, 4)
    assert np.abs(plan.spend - per_period[None, :]).max() <= 1e-3 * budget
    assert abs(plan.spend.sum() - budget * horizon) <= 1e-9 * budget * horizon
    assert plan.converged
    frame = plan.allocation
    assert frame.columns == ["date", *fit.spec.channels]
    assert frame["date"][0] > fit.dataset.end
    # no adstock: no carry-in or carry-over, and the evaluation agrees with the plan
    ev = evaluate_plan(fit, frame)
    np.testing.assert_allclose(ev.mean, plan.expected_response, rtol=1e-6)
    assert np.abs(ev.carry_over).max() == 0.0


def test_flighting_with_carry_over_beats_slsqp(fit_factory) -> None:
    fit = fit_factory(104, 3, 30, seed=2)
    horizon = 4
    budget = float(np.asarray(fit.design.spend, np.float64).mean(0).sum()) * horizon
    plan = optimize_budget(fit, budget, horizon=horizon, starts=3)
    assert plan.converged

    def mean_kpi(x: np.ndarray) -> float:
        return evaluate_plan(fit, x.reshape(horizon, 3)).mean

    x0 = np.full(horizon * 3, budget / (horizon * 3))
    cons = [{"type": "eq", "fun": lambda x: (x.sum() - budget) / budget}]
    res = minimize(
        lambda x: -mean_kpi(x * budget) / plan.baseline_response,
        x0 / budget,
        bounds=[(0, None)] * (horizon * 3),
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-10, "maxiter": 200},
    )
    slsqp = mean_kpi(np.clip(res.x, 0, None) / np.clip(res.x, 0, None).sum() * budget)
    assert plan.expected_response >= slsqp * (1 - 1e-5)
    # carry-over is counted: the last period is not starved of spend only because its
    # effect falls after the horizon
    assert plan.evaluation.carry_over.sum() > 0


def test_period_bounds_and_locked_paths(mm) -> None:
    fit, _, _, budget = mm
    channels = fit.spec.channels
    horizon = 4
    path = [10.0, 0.0, 20.0, 5.0]
    plan = optimize_budget(
        fit,
        budget * horizon,
        horizon=horizon,
        locks={channels[0]: path},
        period_bounds={channels[1]: (0.1 * budget, 0.2 * budget)},
        bounds={channels[2]: (0.0, 0.5 * budget)},
    )
    np.testing.assert_array_equal(plan.spend[:, 0], path)
    assert np.all(plan.spend[:, 1] >= 0.1 * budget - 1e-9 * budget)
    assert np.all(plan.spend[:, 1] <= 0.2 * budget + 1e-9 * budget)
    assert plan.spend[:, 2].sum() <= 0.5 * budget * (1 + 1e-9)
    assert abs(plan.spend.sum() - budget * horizon) <= 1e-9 * budget * horizon
    assert plan.converged


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"bounds": {"A": (60.0, 100.0), "B": (50.0, 90.0)}},
            r"minimum spends \(A >= 60, B >= 50\)",
        ),
        ({"bounds": dict.fromkeys("ABCD", (0.0, 20.0))}, "maximum spends"),
        ({"locks": {"A": 150.0}}, "minimum spends"),
        (
            {"locks": {"A": 30.0}, "bounds": {"A": (0.0, 10.0)}},
            r"locks\['A'\].*outside bounds\['A'\]",
        ),
    ],
)
def test_infeasible_constraints_name_the_conflict(mm, kwargs, message) -> None:
    fit, _, _, _ = mm
    names = dict(zip("ABCD", fit.spec.channels, strict=True))

    def rename(mapping):
        return {names[k]: v for k, v in mapping.items()}

    kwargs = {key: rename(value) for key, value in kwargs.items()}
    pattern = message
    for short, full in names.items():
        pattern = pattern.replace(f"{short} ", f"{full} ").replace(f"'{short}'", f"'{full}'")
    with pytest.raises(InfeasiblePlanError, match=pattern):
        optimize_budget(fit, 100.0, **kwargs)


def test_period_bounds_conflicting_with_a_channel_total_are_named(mm) -> None:
    fit, _, _, _ = mm
    c = fit.spec.channels[0]
    with pytest.raises(InfeasiblePlanError, match=f"channel '{c}'.*conflict"):
        optimize_budget(
            fit, 1000.0, horizon=4, period_bounds={c: (50.0, 100.0)}, bounds={c: (0.0, 100.0)}
        )


def test_bad_arguments_are_rejected_early(mm) -> None:
    fit, _, _, budget = mm
    with pytest.raises(ValueError, match="not paid channels"):
        optimize_budget(fit, budget, bounds={"tvv": (0.0, 1.0)})
    with pytest.raises(ValueError, match="total_budget"):
        optimize_budget(fit, -1.0)
    with pytest.raises(ValueError, match="period_bounds needs a horizon"):
        optimize_budget(fit, budget, period_bounds={fit.spec.channels[0]: (0.0, 1.0)})
    with pytest.raises(ValueError, match="objective="):
        optimize_budget(fit, budget, objective="median")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="either total_budget"):
        optimize_budget(fit)


def test_dual_mode_finds_the_budget_a_target_needs(mm) -> None:
    fit, a, k, budget = mm

    def optimal_kpi(b: float) -> float:
        x = analytic_mm_optimum(a, k, b)
        return float((a * x / (k + x)).sum())

    goal = 0.8 * optimal_kpi(budget)
    plan = optimize_budget(fit, target=ResponseTarget(goal))
    found = plan.total_budget
    assert plan.expected_response >= goal * (1 - 1e-6)
    assert optimal_kpi(found * (1 - 3e-3)) < goal  # the smallest such budget (rtol 1e-3)
    # the largest budget whose marginal return stays above a level
    mu = 2.0 * plan.marginal_return
    rich = optimize_budget(fit, target=MROASTarget(mu))

    def marginal(b: float) -> float:  # the common marginal return of the spending channels
        x = analytic_mm_optimum(a, k, b)
        return float((a * k / (k + x) ** 2)[x > 0].mean())

    assert marginal(rich.total_budget) >= mu * (1 - 1e-3)
    assert marginal(rich.total_budget * (1 + 3e-3)) < mu
    roi = optimize_budget(fit, target=ROITarget(1.1 * optimal_kpi(budget) / budget))
    assert roi.expected_response / roi.spend_total >= 1.1 * optimal_kpi(budget) / budget * (
        1 - 1e-6
    )
    assert roi.target == ROITarget(1.1 * optimal_kpi(budget) / budget)
    with pytest.raises(TargetUnreachableError, match="short of the target"):
        optimize_budget(fit, target=ResponseTarget(10 * float(a.sum())), max_budget=100 * budget)


def test_a_valued_kpi_plans_the_same_and_reports_money(mm) -> None:
    """``spec.value_per_kpi = v``: same allocation; ROI, mROAS and ROI/mROAS targets x v."""
    fit, a, k, budget = mm
    v = 3.0
    valued = dataclasses.replace(fit, spec=dataclasses.replace(fit.spec, value_per_kpi=v))
    plain_plan = optimize_budget(fit, total_budget=budget)
    plan = optimize_budget(valued, total_budget=budget)
    np.testing.assert_allclose(plan.spend, plain_plan.spend, rtol=1e-6)
    assert plan.value_per_kpi == v
    np.testing.assert_allclose(plan.mroas_draws, v * plain_plan.mroas_draws, rtol=1e-6)
    frame, plain_frame = plan.to_frame(), plain_plan.to_frame()
    np.testing.assert_allclose(frame["kpi_mean"], plain_frame["kpi_mean"], rtol=1e-6)
    np.testing.assert_allclose(frame["roi_mean"], v * frame["kpi_mean"] / frame["spend"])
    np.testing.assert_allclose(frame["mroas_mean"], v * plain_frame["mroas_mean"], rtol=1e-6)

    def marginal(b: float) -> float:  # KPI per money at the analytic optimum
        x = analytic_mm_optimum(a, k, b)
        return float((a * k / (k + x) ** 2)[x > 0].mean())

    mu = 2.0 * v * marginal(budget)  # money per money
    rich = optimize_budget(valued, target=MROASTarget(mu))
    assert v * marginal(rich.total_budget) >= mu * (1 - 1e-3)
    assert v * marginal(rich.total_budget * (1 + 3e-3)) < mu
    roi_goal = 1.1 * v * plain_plan.expected_response / budget
    roi = optimize_budget(valued, target=ROITarget(roi_goal))
    assert v * roi.expected_response / roi.spend_total >= roi_goal * (1 - 1e-6)
    assert roi.total_budget < budget  # a higher ROI than the budget's: less spend
