r"""``optimize_budget``: the plan that maximizes an objective of the KPI's posterior draws.

Decision variables are the spend per channel (a steady plan, per period) or per period and
channel over a horizon (flighting: the optimizer moves spend across time as well as across
channels, with carry-over inside and after the horizon). The objective
(:mod:`mmm.optimization._objectives`) is computed from all posterior draws of the plan's
KPI (:mod:`mmm.optimization._response`), its gradient through the model's pure functions;
the feasible set (:mod:`mmm.optimization._constraints`) is handled by exact projection
and the ascent (:mod:`mmm.optimization._solver`) runs from several starts: the reference
plan (the historic mix scaled to the budget), an equal split and random feasible plans.

The result is certified, not trusted: the KKT residual says how far the plan is from
equal marginal returns across the channels (and periods) not at a bound, ``converged`` is
that residual below ``tol``, and a plan that did not move from its start without being
certified is flagged in ``warnings``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import polars as pl
from jaxtyping import Array, Float

from mmm.modeling import FittedMMM
from mmm.modeling._compile import jit_in_mode
from mmm.optimization._constraints import (
    Bound,
    BudgetRule,
    Constraints,
    build_constraints,
)
from mmm.optimization._objectives import AbstractObjective, ObjectiveName, resolve_objective
from mmm.optimization._projection import project_numpy
from mmm.optimization._response import (
    PlanResponse,
    flight_contributions,
    flight_totals,
    no_plan_media,
    steady_contributions,
    steady_totals,
)
from mmm.optimization._scenario import (
    Pattern,
    PlanEvaluation,
    evaluate_matrix,
    historic_spend,
    plan_matrix,
    response_of,
    shares,
)
from mmm.optimization._solver import Certificate, ascend, kkt_residual
from mmm.optimization._targets import AbstractTarget, TargetUnreachableError, search_budget
from mmm.results import summarize_draws

__all__ = ["BudgetPlan", "optimize_budget", "plan_objective"]


@dataclasses.dataclass(frozen=True)
class BudgetPlan:
    """An optimized plan with its evidence (see the module docstring).

    Attributes:
        evaluation: the plan's :class:`PlanEvaluation` (KPI draws, carry-in/over).
        reference: the reference plan's evaluation (historic mix, same budget).
        objective: the objective maximized.
        objective_value: its value at the plan; ``reference_objective_value`` at the
            reference.
        certificate: the KKT :class:`Certificate` at the plan.
        tol: the residual below which the plan counts as converged.
        mroas_draws: marginal return per extra unit of spend per channel, ``(draw,
            channel)``: the value (``value_per_kpi`` x KPI) of the next money unit, along
            the channel's own spend pattern for flighting.
        moved: whether the plan differs from the reference plan (more than 1e-4 of the
            budget in any cell, after projecting the reference onto the constraints).
        iterations: ascent iterations of the best start; ``starts``: how many starts.
        constraints: the resolved constraints.
        warnings: plain-language problems (not certified, did not move, ...).
        target: the target that chose the budget (dual mode), else ``None``.
        reference_periods: the last training periods whose mean spend per channel is the
            channel's historic spend (the reference mix, :class:`Multiple` bounds);
            ``None`` on a plan built by hand (all periods).
    """

    evaluation: PlanEvaluation
    reference: PlanEvaluation
    objective: AbstractObjective
    objective_value: float
    reference_objective_value: float
    certificate: Certificate
    tol: float
    mroas_draws: Float[np.ndarray, "draw channel"]
    moved: bool
    iterations: int
    starts: int
    constraints: Constraints
    warnings: tuple[str, ...]
    target: AbstractTarget | None = None
    reference_periods: int | None = None

    @property
    def channels(self) -> tuple[str, ...]:
        """The paid channels."""
        return self.evaluation.channels

    @property
    def horizon(self) -> int | None:
        """``None`` for a steady plan, else the number of periods."""
        return self.evaluation.horizon

    @property
    def dates(self) -> tuple[dt.date, ...] | None:
        """The horizon's dates (flighting)."""
        return self.evaluation.dates

    @property
    def total_budget(self) -> float:
        """The budget (per period for a steady plan, else over the horizon)."""
        return self.constraints.total

    @property
    def spend_total(self) -> float:
        """What the plan spends (at most the budget with ``budget="at_most"``)."""
        return float(self.spend.sum())

    @property
    def marginal_return(self) -> float:
        """The budget's marginal return: objective per extra unit of budget, spent optimally.

        The multiplier of the KKT certificate; for ``objective="mean"`` it is the marginal
        ROAS every free channel shares at the optimum.
        """
        return self.certificate.multiplier

    @property
    def value_per_kpi(self) -> float:
        """The money value of one KPI unit (the fit's ``spec.value_per_kpi``)."""
        return self.evaluation.value_per_kpi

    @property
    def spend(self) -> Float[np.ndarray, "period channel"]:
        """The plan as a ``(period, channel)`` array (one row for a steady plan)."""
        return self.evaluation.spend

    @property
    def allocation(self) -> dict[str, float] | pl.DataFrame:
        """Channel -> spend per period (steady), or a frame ``date`` + one column per channel."""
        return self.evaluation.allocation

    @property
    def reference_allocation(self) -> dict[str, float] | pl.DataFrame:
        """The reference plan in the same form."""
        return self.reference.allocation

    @property
    def expected_response(self) -> float:
        """Posterior mean KPI the plan causes (per period steady; horizon + carry-over)."""
        return self.evaluation.mean

    @property
    def baseline_response(self) -> float:
        """The same for the reference plan (historic mix scaled to the same budget)."""
        return self.reference.mean

    @property
    def uplift_draws(self) -> Float[np.ndarray, " draw"]:
        """The plan's KPI minus the reference's, per posterior draw."""
        return self.evaluation.uplift(self.reference)

    @property
    def uplift(self) -> float:
        """Posterior mean uplift over the reference plan."""
        return float(self.uplift_draws.mean())

    @property
    def uplift_interval(self) -> tuple[float, float]:
        """Central posterior interval of the uplift (``evaluation.level``)."""
        s = summarize_draws(self.uplift_draws, self.evaluation.level)
        return float(s["lower"]), float(s["upper"])

    @property
    def prob_beats_reference(self) -> float:
        """Posterior probability that the plan's KPI beats the reference's."""
        return self.evaluation.prob_beats(self.reference)

    @property
    def mroas(self) -> dict[str, float]:
        """Posterior mean marginal ROAS per channel at the plan."""
        return dict(zip(self.channels, self.mroas_draws.mean(axis=0).tolist(), strict=True))

    @property
    def kkt_residual(self) -> float:
        """The certificate's residual (relative violation of the optimality conditions)."""
        return self.certificate.residual

    @property
    def converged(self) -> bool:
        """Whether the plan is certified: ``kkt_residual <= tol``."""
        return self.certificate.residual <= self.tol

    @property
    def binding(self) -> dict[str, str]:
        """Per channel ``"locked"``, ``"lower"``/``"upper"`` (a bound binds) or ``"free"``.

        For flighting, a channel's total at its bound, or every period at its period
        bound, binds; ``"period bounds"`` marks a channel with some periods at a bound.
        """
        out = {}
        cert = self.certificate
        for j, name in enumerate(self.channels):
            if name in self.constraints.locked:
                out[name] = "locked"
            elif cert.channel_at_lower[j] or cert.at_lower[:, j].all():
                out[name] = "lower"
            elif cert.channel_at_upper[j] or cert.at_upper[:, j].all():
                out[name] = "upper"
            elif (cert.at_lower[:, j] | cert.at_upper[:, j]).any():
                out[name] = "period bounds"
            else:
                out[name] = "free"
        return out

    def to_frame(self) -> pl.DataFrame:
        """Per channel: reference and optimal spend, change, KPI, ROI, mROAS, binding."""
        plan, ref = self.evaluation.to_frame(), self.reference.to_frame()
        m = summarize_draws(self.mroas_draws, self.evaluation.level)
        with np.errstate(divide="ignore", invalid="ignore"):
            change = plan["spend"].to_numpy() / ref["spend"].to_numpy() - 1.0
        return pl.DataFrame(
            {
                "channel": list(self.channels),
                "reference_spend": ref["spend"],
                "spend": plan["spend"],
                "change": change,
                "reference_kpi_mean": ref["kpi_mean"],
                "kpi_mean": plan["kpi_mean"],
                "kpi_lower": plan["kpi_lower"],
                "kpi_upper": plan["kpi_upper"],
                "roi_mean": plan["roi_mean"],
                "mroas_mean": m["mean"],
                "mroas_lower": m["lower"],
                "mroas_upper": m["upper"],
                "binding": list(self.binding.values()),
            }
        )

    def __str__(self) -> str:
        lo, hi = self.uplift_interval
        unit = "per period" if self.horizon is None else f"over {self.horizon} periods"
        lines = [
            f"BudgetPlan: budget {self.total_budget:,.6g} {unit}, objective {self.objective.name}",
            f"  expected KPI {self.expected_response:,.6g} vs reference "
            f"{self.baseline_response:,.6g}: uplift {self.uplift:,.4g} "
            f"[{lo:,.4g}, {hi:,.4g}], P(beats reference) {self.prob_beats_reference:.2f}",
            f"  certificate: KKT residual {self.kkt_residual:.2e} "
            f"({'converged' if self.converged else 'NOT converged'}), "
            f"{self.iterations} iterations, {self.starts} starts",
        ]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _draw_totals(
    response: PlanResponse, spend: Array, horizon: int | None, baseline: Array | None
) -> Array:
    """``(start, draw)`` KPI totals of a batch of plans ``(start, period, channel)``.

    ``baseline`` is the no-plan media response per draw summed over the horizon and its
    carry-over (flighting).
    """
    if horizon is None:
        return steady_totals(response, spend[:, 0, :])
    assert baseline is not None
    return jax.vmap(lambda s: flight_totals(response, s, baseline))(spend)


def plan_objective(
    response: PlanResponse,
    objective: AbstractObjective,
    reference_draws: Float[Array, " draw"],
    horizon: int | None,
    baseline: Array | None,
    budget: float | Array,
    norm: float | Array,
) -> Callable[[Array], Array]:
    """The objective of a batch of plans in budget units ``z = spend / budget``."""

    def value(z: Array) -> Array:
        totals = _draw_totals(response, z * budget, horizon, baseline)
        return jax.vmap(lambda d: objective.smooth(d, reference_draws))(totals) / norm

    return value


@jit_in_mode
def _solve(
    response: PlanResponse,
    objective: AbstractObjective,
    fs_units: object,
    starts: Array,
    reference_draws: Array,
    baseline: Array | None,
    budget: Array,
    norm: Array,
    horizon: int | None,
    max_steps: int,
    gtol: float,
) -> tuple[Array, Array, Array, Array]:
    value = plan_objective(response, objective, reference_draws, horizon, baseline, budget, norm)
    state = ascend(value, fs_units, starts, max_steps, gtol)  # type: ignore[arg-type]
    return state.z, state.value, state.stationarity, state.iteration


@jit_in_mode
def _gradient(
    response: PlanResponse,
    objective: AbstractObjective,
    spend: Array,
    reference_draws: Array,
    baseline: Array | None,
    horizon: int | None,
) -> Array:
    value = plan_objective(response, objective, reference_draws, horizon, baseline, 1.0, 1.0)
    return jax.grad(lambda s: value(s[None]).sum())(spend)


@jit_in_mode
def _marginals(response: PlanResponse, spend: Array, horizon: int | None) -> Array:
    """``(draw, channel)`` d KPI / d spend along each channel's own pattern (per money)."""
    totals = spend.sum(axis=0)
    flat = jnp.full_like(spend, 1.0 / spend.shape[0])
    safe = jnp.where(totals > 0, totals, 1.0)[None, :]
    direction = jnp.where(totals[None, :] > 0, spend / safe, flat)
    if horizon is None:
        fn = lambda s: steady_contributions(response, s)[:, 0, :]  # noqa: E731
    else:
        fn = lambda s: flight_contributions(response, s).sum(axis=1)  # noqa: E731
    return jax.jvp(fn, (spend,), (direction,))[1]


def _random_starts(rng: np.random.Generator, n: int, share: np.ndarray) -> np.ndarray:
    """Random channel mixes (uniform on the simplex) spread over time by ``share``."""
    mixes = rng.dirichlet(np.ones(share.shape[1]), size=n)  # (n, channel)
    return mixes[:, None, :] * share[None, :, :]


@dataclasses.dataclass(frozen=True)
class _Problem:
    """Everything about an optimization but its budget (validated)."""

    fitted: FittedMMM
    horizon: int | None
    bounds: Mapping[str, Bound] | None
    period_bounds: Mapping[str, Bound] | None
    locks: Mapping[str, float | Sequence[float]] | None
    objective: AbstractObjective
    rule: BudgetRule
    pattern: Pattern
    reference: Mapping[str, float] | pl.DataFrame | np.ndarray | None
    starts: int
    max_steps: int
    tol: float
    seed: int
    level: float
    historic: np.ndarray
    reference_periods: int
    share: np.ndarray

    def constraints(self, total: float) -> Constraints:
        return build_constraints(
            self.fitted.spec.channels,
            self.historic,
            total,
            horizon=self.horizon,
            bounds=self.bounds,
            period_bounds=self.period_bounds,
            locks=self.locks,
            pattern=self.share,
            rule=self.rule,
        )


def optimize_budget(
    fitted: FittedMMM,
    total_budget: float | None = None,
    horizon: int | None = None,
    *,
    bounds: Mapping[str, Bound] | None = None,
    period_bounds: Mapping[str, Bound] | None = None,
    locks: Mapping[str, float | Sequence[float]] | None = None,
    objective: AbstractObjective | ObjectiveName = "mean",
    budget: BudgetRule = "equal",
    pattern: Pattern = "flat",
    reference: Mapping[str, float] | pl.DataFrame | np.ndarray | None = None,
    reference_periods: int | None = None,
    target: AbstractTarget | None = None,
    max_budget: float | None = None,
    starts: int | None = None,
    max_steps: int = 500,
    tol: float = 1e-3,
    seed: int = 0,
    level: float = 0.9,
) -> BudgetPlan:
    """The spend plan that maximizes ``objective`` under the constraints.

    Args:
        fitted: the fit.
        total_budget: the budget: per period for a steady plan (``horizon=None``), else
            the total over the ``horizon`` periods after the data. ``None`` with a
            ``target`` (the dual mode).
        horizon: ``None`` (a steady plan: one spend per channel and period) or ``H``
            (flighting: one spend per period and channel).
        bounds: per channel ``(lower, upper)`` in money units or
            :class:`~mmm.optimization.Multiple` of historic spend: per period for a steady
            plan, the channel's total over the horizon for flighting.
        period_bounds: flighting only: per channel bounds on each period's spend.
        locks: channels whose spend is fixed: per period (steady), or the total over the
            horizon (spread like the reference) or ``H`` per-period values (flighting).
        objective: ``"mean"``, ``"mean_sd"``, ``"cvar"``, ``"prob_beat"`` or an
            objective instance (e.g. ``CVaR(alpha=0.05)``).
        budget: ``"equal"`` (spend all of it) or ``"at_most"``.
        pattern: how the reference plan and locked totals spread over the horizon
            (``"flat"`` or ``"historic"``).
        reference: the plan to compare with (default: the historic mix scaled to the
            budget); same forms as :func:`evaluate_plan`'s ``allocation``.
        reference_periods: how much history is "historic": each channel's historic spend
            is its mean spend per period over the last ``reference_periods`` training
            periods (``None``: all of them). It sets the default reference plan's mix,
            the scale of :class:`~mmm.optimization.Multiple` bounds and the dual mode's
            first budget. Use the window the budget was taken from (the last year, say),
            so that ``Multiple(0.5, 2.0)`` reads as half and twice the reference plan's
            spend at the historic budget.
        target: the dual mode: instead of a budget, a :class:`ResponseTarget` (smallest
            budget whose optimal plan reaches a KPI), :class:`ROITarget` or
            :class:`MROASTarget` (largest budget that keeps the ROI / marginal return);
            see :mod:`mmm.optimization._targets`.
        max_budget: the largest budget the dual mode searches (default: 2^20 times the
            historic budget, or the sum of the maximum spends).
        starts: number of starting points: the reference plan, an equal split, then
            random channel mixes (``None``: 8 for a steady plan, 2 for flighting, whose
            iterations cost a full pass over the horizon per draw).
        max_steps: most ascent iterations per start.
        tol: KKT residual below which the plan is certified.
        seed: seed of the random starts.
        level: central interval level of the summaries.

    Returns:
        The :class:`BudgetPlan`.

    Raises:
        InfeasiblePlanError: if the constraints conflict (the message names them).
        TargetUnreachableError: if no budget meets ``target``.
        ValueError: for malformed arguments (unknown channels, bad bounds, ...).
    """
    if horizon is not None and (
        isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1
    ):
        raise ValueError(f"horizon={horizon!r}: pass None (steady plan) or an int >= 1")
    if starts is None:
        starts = 8 if horizon is None else 2
    if not (isinstance(starts, int) and starts >= 1):
        raise ValueError(f"starts={starts!r}: pass an int >= 1")
    if (total_budget is None) == (target is None):
        raise ValueError(
            "pass either total_budget (the budget to allocate) or target (the dual mode: "
            "ResponseTarget, ROITarget or MROASTarget), not both or neither"
        )
    h = 1 if horizon is None else horizon
    spend = historic_spend(fitted)
    n = spend.shape[0]
    if reference_periods is None:
        reference_periods = n
    elif (
        isinstance(reference_periods, bool)
        or not isinstance(reference_periods, int)
        or not 1 <= reference_periods <= n
    ):
        raise ValueError(
            f"reference_periods={reference_periods!r}: pass an int from 1 to {n} (the "
            "training periods), or None for all of them"
        )
    problem = _Problem(
        fitted=fitted,
        horizon=horizon,
        bounds=bounds,
        period_bounds=period_bounds,
        locks=locks,
        objective=resolve_objective(objective),
        rule=budget,
        pattern=pattern,
        reference=reference,
        starts=starts,
        max_steps=max_steps,
        tol=tol,
        seed=seed,
        level=level,
        historic=spend[-reference_periods:].mean(axis=0),
        reference_periods=reference_periods,
        share=(
            shares(fitted, h, pattern)
            if horizon is not None
            else np.ones((1, len(fitted.spec.channels)))
        ),
    )
    if target is not None:
        return _plan_for_target(problem, target, max_budget)
    assert total_budget is not None
    return _plan_at(problem, problem.constraints(total_budget))


def _plan_for_target(
    problem: _Problem, target: AbstractTarget, max_budget: float | None
) -> BudgetPlan:
    if not isinstance(target, AbstractTarget):
        raise ValueError(
            f"target={target!r}: pass ResponseTarget(value), ROITarget(value) or MROASTarget(value)"
        )
    # the feasible range of budgets, from the constraints at a huge budget
    h = 1 if problem.horizon is None else problem.horizon
    start = float(problem.historic.sum()) * h
    huge = float(max(start, 1.0)) * 2.0**40  # no budget check binds: only the spend limits
    cons = dataclasses.replace(problem, rule="at_most").constraints(huge)
    least = float(np.maximum(cons.lower.sum(axis=0), cons.channel_lower).sum())
    most = float(np.minimum(cons.upper.sum(axis=0), cons.channel_upper).sum())
    cap = start * 2.0**20 if max_budget is None else float(max_budget)
    most = min(most, cap)
    if most <= 0:
        raise TargetUnreachableError("the constraints allow no spend: raise a maximum")
    _, plan = search_budget(
        lambda b: _plan_at(problem, problem.constraints(b)),
        target,
        start=min(max(start, least), most),
        least=least,
        most=most,
    )
    assert isinstance(plan, BudgetPlan)
    return dataclasses.replace(plan, target=target)


def _plan_at(problem: _Problem, cons: Constraints) -> BudgetPlan:
    """The optimal plan under ``cons`` (the budget included)."""
    fitted, horizon, obj = problem.fitted, problem.horizon, problem.objective
    level, tol, starts = problem.level, problem.tol, problem.starts
    channels = fitted.spec.channels
    h = 1 if horizon is None else horizon
    share, historic = problem.share, problem.historic
    if problem.reference is None:
        ref_spend = share * (historic / historic.sum() * cons.total)[None, :]
    else:
        ref_spend, ref_h = plan_matrix(fitted, problem.reference, horizon, problem.pattern)
        if ref_h != horizon:
            raise ValueError("reference must be a plan of the same kind (steady or horizon)")
    response = response_of(fitted)
    dtype = response.beta.dtype
    ref_eval = evaluate_matrix(fitted, ref_spend, horizon, level)
    ref_draws = jnp.asarray(ref_eval.draws, dtype)
    baseline = None if horizon is None else no_plan_media(response, h).sum(axis=(1, 2))
    norm = max(abs(ref_eval.mean), 1e-12) if obj.in_kpi_units else 1.0

    numpy_set = cons.numpy_set()
    budget_scale = cons.total
    rng = np.random.default_rng(problem.seed)
    candidates = [ref_spend / budget_scale, np.full((h, len(channels)), 1.0 / (h * len(channels)))]
    candidates += list(_random_starts(rng, max(starts - 2, 0), share))
    unit_np = jax.tree.map(lambda a: a / budget_scale, numpy_set)
    start_points = np.stack([project_numpy(unit_np, c) for c in candidates[:starts]])
    z, values, stationarity, iterations = _solve(
        response,
        obj,
        cons.feasible_set(dtype, budget_scale),
        jnp.asarray(start_points, dtype),
        ref_draws,
        baseline,
        jnp.asarray(budget_scale, dtype),
        jnp.asarray(norm, dtype),
        horizon,
        problem.max_steps,
        tol / 10,
    )
    found = np.asarray(values, np.float64)
    # the best value wins; among values equal to rounding, the most stationary start
    tied = found >= np.nanmax(found) - 1e-6 * abs(np.nanmax(found))
    best = int(np.flatnonzero(tied)[np.argmin(np.asarray(stationarity)[tied])])
    spend = project_numpy(numpy_set, np.asarray(z[best], np.float64) * budget_scale)
    evaluation = evaluate_matrix(fitted, spend, horizon, level)
    grad = np.asarray(
        _gradient(response, obj, jnp.asarray(spend, dtype), ref_draws, baseline, horizon),
        np.float64,
    )
    certificate = kkt_residual(grad, spend, numpy_set)
    marginals = _marginals(response, jnp.asarray(spend, dtype), horizon)
    mroas = fitted.spec.value_per_kpi * np.asarray(marginals, np.float64)
    start = start_points[0] * budget_scale
    moved = bool(np.abs(spend - start).max() > 1e-4 * budget_scale)
    value = float(obj.value(jnp.asarray(evaluation.draws), ref_draws))
    ref_value = float(obj.value(ref_draws, ref_draws))
    notes = []
    if certificate.residual > tol:
        notes.append(
            f"not certified optimal: KKT residual {certificate.residual:.2e} > tol={tol:g} "
            "(marginal returns of the free channels differ); raise max_steps or starts"
        )
        if not moved:
            notes.append("the plan did not move from its start (the reference plan)")
    return BudgetPlan(
        evaluation=evaluation,
        reference=ref_eval,
        objective=obj,
        objective_value=value,
        reference_objective_value=ref_value,
        certificate=certificate,
        tol=tol,
        mroas_draws=mroas,
        moved=moved,
        iterations=int(iterations),
        starts=len(start_points),
        constraints=cons,
        warnings=tuple(notes),
        reference_periods=problem.reference_periods,
    )
