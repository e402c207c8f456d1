r"""The dual mode: the budget a target needs, found by bisection over optimized plans.

Each target is a condition on the optimal plan at budget ``B``, monotone in ``B`` for
increasing, concave responses:

* :class:`ResponseTarget` -- the objective (the expected KPI for ``objective="mean"``, the
  CVaR for ``"cvar"``, ...) reaches ``value``: the **smallest** budget that does (the
  optimal value grows with the budget);
* :class:`ROITarget` -- the plan's ROI (``value_per_kpi`` x KPI per unit of spend) is at
  least ``value``: the **largest** budget that keeps it (average returns fall as spend
  grows);
* :class:`MROASTarget` -- the budget's marginal return (``value_per_kpi`` x the multiplier
  :math:`\mu` of the KKT certificate: the objective per extra unit of budget, spent
  optimally) is at least ``value``: the **largest** budget, i.e. spend until the next unit
  returns less than ``value``.

``value_per_kpi`` is the fit's :attr:`mmm.modeling.ModelSpec.value_per_kpi` (1 for a KPI
that is money), so ROI and mROAS targets are money per money like the results tables.

The search brackets the answer (doubling from the historic budget), then bisects on
``log B`` until the bracket is within ``rtol``; every probe is a full, certified
:func:`~mmm.optimization.optimize_budget` solve. A target out of reach raises a
``ValueError`` that says what the reachable range is.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable
from typing import ClassVar, Protocol

import equinox as eqx

__all__ = [
    "AbstractTarget",
    "ResponseTarget",
    "ROITarget",
    "MROASTarget",
    "TargetUnreachableError",
    "search_budget",
]


class _Plan(Protocol):
    @property
    def objective_value(self) -> float: ...

    @property
    def expected_response(self) -> float: ...

    @property
    def spend_total(self) -> float: ...

    @property
    def marginal_return(self) -> float: ...

    @property
    def value_per_kpi(self) -> float: ...


class TargetUnreachableError(ValueError):
    """No budget within the constraints meets the target (the message gives the range)."""


class AbstractTarget(eqx.Module):
    """A condition on the optimal plan that picks a budget (see the module docstring)."""

    value: eqx.AbstractVar[float]
    smallest: ClassVar[bool]
    label: ClassVar[str]

    @abc.abstractmethod
    def achieved(self, plan: _Plan) -> float:
        """The target's quantity at ``plan``."""

    def met(self, plan: _Plan) -> bool:
        """Whether ``plan`` meets the target."""
        return self.achieved(plan) >= self.value

    def __check_init__(self) -> None:
        if not (isinstance(self.value, int | float) and math.isfinite(self.value)):
            raise ValueError(f"{type(self).__name__}(value={self.value!r}): pass a finite number")


class ResponseTarget(AbstractTarget):
    """The smallest budget whose optimal plan's objective reaches ``value`` (KPI units).

    Attributes:
        value: the objective value to reach (e.g. the expected KPI per period).
    """

    value: float
    smallest: ClassVar[bool] = True
    label: ClassVar[str] = "objective"

    def achieved(self, plan: _Plan) -> float:
        """The plan's objective value."""
        return plan.objective_value


class ROITarget(AbstractTarget):
    """The largest budget whose optimal plan has an ROI of at least ``value``.

    Attributes:
        value: the smallest acceptable ROI (money per money unit: ``value_per_kpi`` x
            KPI per unit of spend).
    """

    value: float
    smallest: ClassVar[bool] = False
    label: ClassVar[str] = "ROI"

    def achieved(self, plan: _Plan) -> float:
        """``value_per_kpi`` x expected KPI over spend."""
        spend = plan.spend_total
        return plan.value_per_kpi * plan.expected_response / spend if spend > 0 else math.inf


class MROASTarget(AbstractTarget):
    """The largest budget whose last unit, spent optimally, returns at least ``value``.

    Attributes:
        value: the smallest acceptable marginal return (``value_per_kpi`` x objective per
            money unit).
    """

    value: float
    smallest: ClassVar[bool] = False
    label: ClassVar[str] = "marginal return"

    def achieved(self, plan: _Plan) -> float:
        """``value_per_kpi`` x the budget multiplier of the plan's KKT certificate."""
        return plan.value_per_kpi * plan.marginal_return


def search_budget(
    solve: Callable[[float], _Plan],
    target: AbstractTarget,
    start: float,
    least: float,
    most: float,
    rtol: float = 1e-3,
    max_doublings: int = 40,
) -> tuple[float, _Plan]:
    """The budget the target picks and its plan (see the module docstring).

    Args:
        solve: the optimal plan at a budget.
        target: the target.
        start: a first budget to try (e.g. the historic budget).
        least: the smallest feasible budget (sum of minimum spends; may be 0).
        most: the largest feasible budget (sum of maximum spends; may be inf).
        rtol: relative width of the final bracket.
        max_doublings: most doublings / halvings while bracketing.

    Raises:
        TargetUnreachableError: when no budget in ``(least, most]`` meets the target.
    """
    floor = max(least, most * 1e-12 if math.isfinite(most) else 0.0)
    probe = min(max(start, floor * 2 if floor > 0 else start), most)
    plans: dict[float, _Plan] = {}

    def met(b: float) -> bool:
        if b not in plans:
            plans[b] = solve(b)
        return target.met(plans[b])

    if target.smallest:  # find lo (not met) < hi (met)
        hi = probe
        for _ in range(max_doublings):
            if met(hi) or hi >= most:
                break
            hi = min(hi * 2.0, most)
        if not met(hi):
            raise TargetUnreachableError(
                f"{target.label} reaches at most {target.achieved(plans[hi]):,.6g} with a budget "
                f"of {hi:,.6g} (the most searched within the constraints), short of the "
                f"target {target.value:,.6g}: lower the target or relax the maximums"
            )
        lo = hi / 2.0
        for _ in range(max_doublings):
            if lo <= floor or not met(lo):
                break
            hi, lo = lo, max(lo / 2.0, floor)
        if lo <= floor and met(lo):
            return lo, plans[lo]
    else:  # find lo (met) < hi (not met)
        lo = probe
        for _ in range(max_doublings):
            if met(lo) or lo <= floor:
                break
            lo = max(lo / 2.0, floor)
        if not met(lo):
            raise TargetUnreachableError(
                f"{target.label} is {target.achieved(plans[lo]):,.6g} already at a budget of "
                f"{lo:,.6g} (the least searched within the constraints), below the target "
                f"{target.value:,.6g}: lower the target or the minimum spends"
            )
        hi = lo * 2.0
        for _ in range(max_doublings):
            if hi >= most or not met(hi):
                break
            lo, hi = hi, min(hi * 2.0, most)
        if hi >= most and met(hi):
            return hi, plans[hi]
    while hi - lo > rtol * hi:
        mid = math.sqrt(lo * hi) if lo > 0 else 0.5 * hi
        if met(mid) == target.smallest:
            hi = mid
        else:
            lo = mid
    chosen = hi if target.smallest else lo
    met(chosen)
    return chosen, plans[chosen]
