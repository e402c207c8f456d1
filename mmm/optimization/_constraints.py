"""A plan's constraints from the user's arguments, checked for feasibility with clear errors.

Units follow the plan. A **steady** plan (``horizon=None``) is spend per period, so the
budget, ``bounds`` and ``locks`` are per period. A **flighting** plan over ``H`` periods
has a total budget over the horizon; ``bounds`` are then each channel's total over the
horizon, ``period_bounds`` limit every single period of a channel, and ``locks`` fix a
channel's total (spread over the horizon like the reference plan) or, as a sequence of
``H`` values, its spend in each period. :class:`Multiple` bounds are multiples of the
channel's historic spend over the same span (its mean spend per training period, times
``H`` for horizon totals).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import jax.numpy as jnp
import numpy as np

from mmm.optimization._projection import FeasibleSet

__all__ = [
    "Multiple",
    "Bound",
    "BudgetRule",
    "InfeasiblePlanError",
    "Constraints",
    "build_constraints",
]

BudgetRule = Literal["equal", "at_most"]


class InfeasiblePlanError(ValueError):
    """The constraints of a plan cannot all hold; the message names the ones that conflict."""


@dataclasses.dataclass(frozen=True)
class Multiple:
    """Bounds as multiples of a channel's historic spend over the same span.

    Attributes:
        lower: the smallest multiple (``>= 0``); ``Multiple(0.5, 2.0)`` keeps a channel
            between half and twice its historic spend.
        upper: the largest multiple (``inf`` for none).
    """

    lower: float = 0.0
    upper: float = math.inf


Bound = tuple[float, float] | Multiple


@dataclasses.dataclass(frozen=True)
class Constraints:
    """Resolved constraints in money units (float64) and the set the optimizer projects on.

    Attributes:
        channels: channel names.
        lower: cell lower bounds ``(period, channel)``.
        upper: cell upper bounds ``(period, channel)`` (``inf`` for none).
        channel_lower: channel-total lower bounds ``(channel,)``.
        channel_upper: channel-total upper bounds ``(channel,)``.
        total: the budget.
        rule: ``"equal"`` (spend it all) or ``"at_most"``.
        locked: channels whose spend is fixed.
    """

    channels: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    channel_lower: np.ndarray
    channel_upper: np.ndarray
    total: float
    rule: BudgetRule
    locked: tuple[str, ...]

    def feasible_set(self, dtype: Any = jnp.float32, scale: float = 1.0) -> FeasibleSet:
        """The set as arrays of ``dtype``, every bound divided by ``scale``."""

        def cast(a: np.ndarray | float) -> jnp.ndarray:
            return jnp.asarray(np.asarray(a, np.float64) / scale, dtype)

        return FeasibleSet(
            cast(self.lower),
            cast(self.upper),
            cast(self.channel_lower),
            cast(self.channel_upper),
            cast(self.total),
            self.rule == "equal",
        )

    def numpy_set(self) -> FeasibleSet:
        """The set in float64 numpy (for the returned plan)."""
        return FeasibleSet(
            self.lower,  # type: ignore[arg-type]
            self.upper,  # type: ignore[arg-type]
            self.channel_lower,  # type: ignore[arg-type]
            self.channel_upper,  # type: ignore[arg-type]
            np.float64(self.total),  # type: ignore[arg-type]
            self.rule == "equal",
        )


def _check_names(argument: str, keys: Sequence[str], channels: Sequence[str]) -> None:
    unknown = [k for k in keys if k not in channels]
    if unknown:
        raise ValueError(
            f"{argument} names {unknown}, which are not paid channels of the fit: use "
            f"{list(channels)}"
        )


def _pair(argument: str, channel: str, bound: object, base: float) -> tuple[float, float]:
    if isinstance(bound, Multiple):
        lo, hi = bound.lower * base, bound.upper * base
    elif isinstance(bound, tuple | list) and len(bound) == 2:
        lo, hi = float(bound[0]), float(bound[1])
    else:
        raise ValueError(
            f"{argument}[{channel!r}]={bound!r}: pass (lower, upper) in money units or "
            "Multiple(lower, upper) of historic spend"
        )
    if not (math.isfinite(lo) and lo >= 0) or math.isnan(hi) or hi < lo:
        raise ValueError(
            f"{argument}[{channel!r}] gives [{lo:g}, {hi:g}]: bounds need 0 <= lower <= upper "
            "(upper may be inf)"
        )
    return lo, hi


def _describe(parts: list[str]) -> str:
    return ", ".join(parts) if parts else "no channel"


def build_constraints(
    channels: Sequence[str],
    historic: np.ndarray,
    total_budget: float,
    *,
    horizon: int | None,
    bounds: Mapping[str, Bound] | None,
    period_bounds: Mapping[str, Bound] | None,
    locks: Mapping[str, float | Sequence[float]] | None,
    pattern: np.ndarray,
    rule: BudgetRule,
) -> Constraints:
    """Resolve and check the constraints (see the module docstring).

    Args:
        channels: the paid channels.
        historic: each channel's mean spend per training period ``(channel,)``.
        total_budget: the budget (per period for a steady plan, else over the horizon).
        horizon: ``None`` (steady) or the number of periods ``H``.
        bounds: per-channel bounds (per period if steady, totals if flighting).
        period_bounds: per-period bounds of each channel (flighting only).
        locks: fixed spend per channel (see the module docstring).
        pattern: ``(H, channel)`` shares of each channel's total per period (columns sum
            to 1), used to spread a locked total.
        rule: ``"equal"`` or ``"at_most"``.

    Raises:
        InfeasiblePlanError: if the constraints conflict (the message names them).
        ValueError: for unknown channels or malformed bounds.
    """
    if rule not in ("equal", "at_most"):
        raise ValueError(f"budget={rule!r} is not valid: use 'equal' or 'at_most'")
    if not (isinstance(total_budget, int | float) and math.isfinite(total_budget)):
        raise ValueError(f"total_budget={total_budget!r}: pass a finite number > 0")
    if total_budget <= 0:
        raise ValueError(f"total_budget={total_budget!r}: pass a budget > 0")
    bounds, period_bounds, locks = bounds or {}, period_bounds or {}, locks or {}
    if horizon is None and period_bounds:
        raise ValueError("period_bounds needs a horizon (a flighting plan): pass horizon=H")
    for argument, given in (("bounds", bounds), ("period_bounds", period_bounds), ("locks", locks)):
        _check_names(argument, list(given), channels)
    h = 1 if horizon is None else horizon
    c = len(channels)
    lower, upper = np.zeros((h, c)), np.full((h, c), np.inf)
    ch_lower, ch_upper = np.zeros(c), np.full(c, np.inf)
    span = 1.0 if horizon is None else float(h)
    for j, name in enumerate(channels):
        if name in bounds:
            lo, hi = _pair("bounds", name, bounds[name], historic[j] * span)
            if horizon is None:
                lower[:, j], upper[:, j] = lo, hi
            else:
                ch_lower[j], ch_upper[j] = lo, hi
        if name in period_bounds:
            lower[:, j], upper[:, j] = _pair(
                "period_bounds", name, period_bounds[name], historic[j]
            )
    total = float(total_budget)
    for name, value in locks.items():
        j = channels.index(name)
        path: np.ndarray = np.asarray(value, np.float64)
        if path.ndim == 0:
            path = float(path) * (pattern[:, j] if horizon is not None else np.ones(1))
        if path.shape != (h,) or not np.isfinite(path).all() or (path < 0).any():
            raise ValueError(
                f"locks[{name!r}]={value!r}: pass a spend >= 0"
                + (f" (a total, or {h} per-period values)" if horizon is not None else "")
            )
        argument = "bounds" if horizon is None else "period_bounds"
        cell_lo, cell_hi = lower[:, j], upper[:, j]
        below = path < cell_lo - 1e-9 * (1 + cell_lo)
        above = path > cell_hi + 1e-9 * (1 + np.abs(path))
        if below.any() or above.any():
            raise InfeasiblePlanError(
                f"locks[{name!r}] ({path.sum():g}) is outside {argument}[{name!r}]: "
                "drop one of them or make them agree"
            )
        if not ch_lower[j] - 1e-9 * (1 + ch_lower[j]) <= path.sum() <= ch_upper[j] * (1 + 1e-9):
            raise InfeasiblePlanError(
                f"locks[{name!r}] (total {path.sum():g}) is outside bounds[{name!r}] "
                f"[{ch_lower[j]:g}, {ch_upper[j]:g}]: drop one of them or make them agree"
            )
        lower[:, j] = upper[:, j] = path
        ch_lower[j] = ch_upper[j] = path.sum()
    # per channel the reachable totals, then the budget against their sums
    least = np.maximum(lower.sum(axis=0), ch_lower)
    most = np.minimum(upper.sum(axis=0), ch_upper)
    for j, name in enumerate(channels):
        if least[j] > most[j] * (1 + 1e-12):
            raise InfeasiblePlanError(
                f"channel {name!r}: its per-period minimums add up to {lower[:, j].sum():g} "
                f"over the horizon and its total must be in [{ch_lower[j]:g}, {ch_upper[j]:g}]"
                f" with per-period maximums adding up to {upper[:, j].sum():g}: "
                "bounds and period_bounds conflict"
            )

    def listing(values: np.ndarray, kind: str) -> list[str]:
        return [
            f"{name} {'locked at' if name in locks else kind} {values[j]:g}"
            for j, name in enumerate(channels)
            if (values[j] > 0 if kind == ">=" else np.isfinite(values[j]))
        ]

    if least.sum() > total * (1 + 1e-12):
        raise InfeasiblePlanError(
            f"the minimum spends ({_describe(listing(least, '>='))}) add up to "
            f"{least.sum():g}, more than total_budget={total:g}: lower a minimum, unlock a "
            "channel or raise the budget"
        )
    if rule == "equal" and most.sum() < total * (1 - 1e-12):
        raise InfeasiblePlanError(
            f"the maximum spends ({_describe(listing(most, '<='))}) add up to "
            f"{most.sum():g}, less than total_budget={total:g}: raise a maximum, unlock a "
            "channel, lower the budget or pass budget='at_most'"
        )
    return Constraints(
        channels=tuple(channels),
        lower=lower,
        upper=upper,
        channel_lower=ch_lower,
        channel_upper=ch_upper,
        total=total,
        rule=rule,
        locked=tuple(n for n in channels if n in locks),
    )
