"""The optimization layer: budget allocation, flighting and scenarios on posterior draws.

Everything runs on a fit's posterior arrays through the model's pure functions (no
refitting, no sampler): a plan's KPI per draw (:func:`evaluate_plan`), the plan that
maximizes an objective of those draws under budget, bounds and locks
(:func:`optimize_budget`), with a KKT certificate of optimality.

Usage (``fitted`` from :func:`mmm.fit`)::

    from mmm.optimization import optimize_budget, evaluate_plan, Multiple

    plan = optimize_budget(fitted, total_budget=10_000.0, bounds={"tv": Multiple(0.5, 2)})
    plan.allocation, plan.expected_response, plan.uplift_interval, plan.kkt_residual
    flight = optimize_budget(fitted, total_budget=130_000.0, horizon=13)  # week by week
    evaluate_plan(fitted, plan.allocation).mean == plan.expected_response
"""

from mmm.optimization._constraints import (
    Bound,
    BudgetRule,
    Constraints,
    InfeasiblePlanError,
    Multiple,
    build_constraints,
)
from mmm.optimization._curves import plan_response_curves
from mmm.optimization._objectives import (
    AbstractObjective,
    CVaR,
    ExpectedResponse,
    MeanMinusSd,
    ObjectiveName,
    ProbabilityOfBeating,
    resolve_objective,
)
from mmm.optimization._plan import BudgetPlan, optimize_budget
from mmm.optimization._plots import (
    plot_allocation,
    plot_flighting,
    plot_plan_response_curves,
    plot_uplift,
)
from mmm.optimization._projection import FeasibleSet, project, project_numpy
from mmm.optimization._response import (
    PlanResponse,
    carry_in,
    flight_contributions,
    no_plan_media,
    plan_response,
    steady_contributions,
)
from mmm.optimization._scenario import (
    Allocation,
    Pattern,
    PlanEvaluation,
    compare_plans,
    evaluate_plan,
    future_dates,
)
from mmm.optimization._solver import Certificate, ascend, kkt_residual
from mmm.optimization._targets import (
    AbstractTarget,
    MROASTarget,
    ResponseTarget,
    ROITarget,
    TargetUnreachableError,
)

__all__ = [
    # planning
    "optimize_budget",
    "BudgetPlan",
    "evaluate_plan",
    "compare_plans",
    "PlanEvaluation",
    "Allocation",
    "Pattern",
    "future_dates",
    # curves and plots
    "plan_response_curves",
    "plot_allocation",
    "plot_plan_response_curves",
    "plot_flighting",
    "plot_uplift",
    # dual mode
    "AbstractTarget",
    "ResponseTarget",
    "ROITarget",
    "MROASTarget",
    "TargetUnreachableError",
    # constraints
    "Multiple",
    "Bound",
    "BudgetRule",
    "Constraints",
    "build_constraints",
    "InfeasiblePlanError",
    # objectives
    "AbstractObjective",
    "ExpectedResponse",
    "MeanMinusSd",
    "CVaR",
    "ProbabilityOfBeating",
    "ObjectiveName",
    "resolve_objective",
    # kernels
    "PlanResponse",
    "plan_response",
    "steady_contributions",
    "flight_contributions",
    "no_plan_media",
    "carry_in",
    "FeasibleSet",
    "project",
    "project_numpy",
    "ascend",
    "kkt_residual",
    "Certificate",
]
