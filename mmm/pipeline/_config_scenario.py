"""``[scenario]``: the budget plan optimized after the fit (``optimize_budget``).

The units follow the plan, as in :mod:`mmm.optimization`: a steady plan (no ``horizon``)
has a budget, bounds and locks per period; a plan over ``horizon`` periods has a total
budget over the horizon, channel bounds on totals over the horizon, and ``period_bounds``
on each period.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, cast, get_args

import numpy as np

from mmm.config import Role, column_name
from mmm.data import MMMDataSet
from mmm.optimization import (
    AbstractObjective,
    Bound,
    BudgetRule,
    Multiple,
    ObjectiveName,
    Pattern,
    resolve_objective,
)
from mmm.pipeline._config_base import (
    ConfigError,
    FrozenMap,
    Table,
    check_names,
    check_number,
    describe,
)

__all__ = ["OBJECTIVES", "BUDGET_RULES", "PATTERNS", "BoundConfig", "ScenarioConfig"]

OBJECTIVES: tuple[str, ...] = get_args(ObjectiveName)
"""Values of ``scenario.objective`` (those of :func:`~mmm.optimization.optimize_budget`)."""

BUDGET_RULES: tuple[str, ...] = get_args(BudgetRule)
"""Values of ``scenario.budget_rule``: spend the whole budget, or at most it."""

PATTERNS: tuple[str, ...] = get_args(Pattern)
"""Values of ``scenario.pattern``: how a horizon's reference plan spreads over time."""


def _objective_class(objective: str) -> type[AbstractObjective]:
    return type(resolve_objective(cast(ObjectiveName, objective)))


def _risk_options(objective: str) -> tuple[str, ...]:
    """The settings of ``objective``'s class (``alpha``, ``risk_aversion``...)."""
    return tuple(f.name for f in dataclasses.fields(_objective_class(objective)))


@dataclasses.dataclass(frozen=True)
class BoundConfig:
    """A channel's spend bounds: money units, or multiples of its historic spend.

    Attributes:
        lower: the smallest spend (or multiple), ``>= 0``.
        upper: the largest (``inf`` for none).
        relative: multiples of historic spend (``{multiple = [0.5, 2]}``), else money.
    """

    lower: float
    upper: float
    relative: bool = False

    @classmethod
    def from_value(cls, value: object, key: str, source: str) -> BoundConfig:
        """Read ``[lower, upper]`` or ``{multiple = [lower, upper]}``."""
        relative = isinstance(value, Mapping)
        if relative:
            table = Table(value, key, source, ["multiple"])
            if "multiple" not in table:
                raise ConfigError(
                    "a relative bound is {multiple = [lower, upper]}", key=key, source=source
                )
            key, value = table.key("multiple"), table.value("multiple")
        if not (isinstance(value, list | tuple) and len(value) == 2):
            raise ConfigError(
                f"expected [lower, upper] (money per period, or over the horizon) or "
                f"{{multiple = [lower, upper]}} (of historic spend), got {describe(value)}",
                key=key,
                source=source,
            )
        lo = check_number(value[0], f"{key}[0]", source, low=0.0)
        hi = check_number(value[1], f"{key}[1]", source, low=0.0, finite=False)
        if hi < lo:
            raise ConfigError(
                f"lower {lo:g} > upper {hi:g}: pass [lower, upper] with lower <= upper",
                key=key,
                source=source,
            )
        return cls(lo, hi, relative)

    def to_value(self) -> list[float] | dict[str, list[float]]:
        """The file's form."""
        pair = [self.lower, self.upper]
        return {"multiple": pair} if self.relative else pair

    def build(self) -> Bound:
        """The bound :func:`~mmm.optimization.optimize_budget` takes."""
        return Multiple(self.lower, self.upper) if self.relative else (self.lower, self.upper)


@dataclasses.dataclass(frozen=True)
class ScenarioConfig:
    """``[scenario]``: the budget plan optimized after the fit.

    Attributes:
        enabled: whether a plan is made.
        budget: per period for a steady plan, else the total over ``horizon`` periods
            (``None``: the historic average spend per period over the last
            ``reference_periods`` periods, times ``1 + budget_change``, times ``horizon``).
        budget_change: relative change of the historic budget (``0.1``: +10%), > -1;
            only without ``budget``.
        reference_periods: the last periods of history that are "historic": the default
            budget averages over them, the plan is compared with their channel mix and
            ``multiple`` bounds are multiples of each channel's mean spend per period over
            them (``None``: the last year, e.g. 52 weeks, or all the data if shorter).
        horizon: ``None`` for a steady plan, else the periods of a flighting plan.
        objective: ``"mean"``, ``"mean_sd"``, ``"cvar"`` or ``"prob_beat"``.
        risk: the objective's settings (``alpha`` and ``temperature`` of ``cvar``,
            ``risk_aversion`` of ``mean_sd``, ``temperature`` of ``prob_beat``).
        budget_rule: ``"equal"`` (spend it all) or ``"at_most"``.
        pattern: how the reference plan and locked totals spread over a horizon:
            ``"flat"`` or ``"historic"``.
        bounds: per channel spend bounds (per period; totals over a horizon).
        period_bounds: per channel bounds on each period's spend (with a horizon).
        locks: per channel fixed spend (per period; a total or one value per period
            over a horizon).
        starts: starting points of the optimizer (``None``: its default).
        max_steps: most ascent iterations per start.
        tol: KKT residual below which the plan is certified.
        seed: seed of the optimizer's random starts.
        source: the config file, for messages (not compared).

    Raises:
        ConfigError: naming the key (``scenario.bounds.tv``) of an invalid value.
    """

    enabled: bool = True
    budget: float | None = None
    budget_change: float = 0.0
    reference_periods: int | None = None
    horizon: int | None = None
    objective: str = "mean"
    risk: Mapping[str, float] = dataclasses.field(default_factory=dict)
    budget_rule: str = "equal"
    pattern: str = "flat"
    bounds: Mapping[str, BoundConfig] = dataclasses.field(default_factory=dict)
    period_bounds: Mapping[str, BoundConfig] = dataclasses.field(default_factory=dict)
    locks: Mapping[str, float | tuple[float, ...]] = dataclasses.field(default_factory=dict)
    starts: int | None = None
    max_steps: int = 500
    tol: float = 1e-3
    seed: int = 0
    source: str = dataclasses.field(default="config", compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("risk", "bounds", "period_bounds", "locks"):
            object.__setattr__(self, name, FrozenMap(getattr(self, name)))
        _parse(Table(self.to_dict(), "scenario", self.source))  # validates

    # --- reading and writing -------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "config") -> ScenarioConfig:
        """Read the ``[scenario]`` table; absent keys take their defaults.

        Raises:
            ConfigError: naming the key path of an unknown key or an invalid value.
        """
        return cls(**_parse(Table(data, "scenario", source)), source=source)

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain data (``None`` ones left out)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "source" or value is None:
                continue
            if f.name in ("bounds", "period_bounds"):
                value = {c: b.to_value() for c, b in value.items()}
            elif f.name == "locks":
                value = {c: list(v) if isinstance(v, tuple) else v for c, v in value.items()}
            elif f.name == "risk":
                value = dict(value)
            out[f.name] = value
        return out

    def replace(self, **overrides: Any) -> ScenarioConfig:
        """A copy with ``overrides`` in the file's form (validated), e.g. ``horizon=13``.

        ``budget=x`` also resets ``budget_change`` to 0 unless it is given too, and
        ``budget=None`` returns to the historic budget.
        """
        data = self.to_dict()
        if "budget" in overrides and "budget_change" not in overrides:
            data["budget_change"] = 0.0
        data.update(overrides)
        data = {k: v for k, v in data.items() if v is not None}
        return ScenarioConfig.from_dict(data, source=self.source)

    # --- use -----------------------------------------------------------------------------

    def check_channels(self, channels: Sequence[str]) -> None:
        """Every channel named by ``bounds``, ``period_bounds`` and ``locks`` is paid.

        Raises:
            ConfigError: at ``scenario.<key>.<name>``, listing the channels.
        """
        for key in ("bounds", "period_bounds", "locks"):
            check_names(getattr(self, key), channels, f"scenario.{key}", self.source, "channel")

    def reference_window(self, dataset: MMMDataSet) -> int:
        """How many of ``dataset``'s last periods are "historic" (``reference_periods``).

        ``reference_periods`` if set, else one year of periods (52 weeks, 365 days, 12
        months) or all the data if shorter. The historic budget, the historic mix the
        plan is compared with and ``multiple`` bounds are all taken over this window.

        Raises:
            ConfigError: if ``reference_periods`` exceeds the data.
        """
        n = dataset.n_periods
        if self.reference_periods is None:
            return min(n, round(dataset.frequency.periods_per_year))
        if self.reference_periods > n:
            raise ConfigError(
                f"{self.reference_periods} periods asked for, the data have {n}: pass at most {n}",
                key="scenario.reference_periods",
                source=self.source,
            )
        return self.reference_periods

    def resolve_budget(self, dataset: MMMDataSet) -> float:
        """The budget to pass to :func:`~mmm.optimization.optimize_budget`.

        ``budget`` if set; else the average total spend per period over the last
        :meth:`reference_window` periods of ``dataset`` times ``1 + budget_change`` (per
        period, a steady plan), times ``horizon`` for a plan over a horizon (its total
        budget).

        Raises:
            ConfigError: if ``reference_periods`` exceeds the data, or the historic spend
                is zero (set ``budget``).
        """
        periods = self.reference_window(dataset)
        if self.budget is not None:
            return self.budget
        columns = [column_name(Role.SPEND, c) for c in dataset.channels]
        spend = dataset.frame.select(columns).to_numpy().astype(np.float64)
        per_period = float(spend[-periods:].sum(axis=1).mean()) * (1.0 + self.budget_change)
        if not per_period > 0:
            raise ConfigError(
                f"the data's spend over the last {periods} periods is zero, so there is no "
                "historic budget: set budget",
                key="scenario.budget",
                source=self.source,
            )
        return per_period * (1 if self.horizon is None else self.horizon)

    def objective_spec(self) -> AbstractObjective | str:
        """The objective's name, or its instance with the ``risk`` settings."""
        if not self.risk:
            return self.objective
        return _objective_class(self.objective)(**self.risk)

    def optimize_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``optimize_budget(fitted, budget, **kwargs)`` (no ``level``)."""
        return {
            "horizon": self.horizon,
            "bounds": {c: b.build() for c, b in self.bounds.items()} or None,
            "period_bounds": {c: b.build() for c, b in self.period_bounds.items()} or None,
            "locks": dict(self.locks) or None,
            "objective": self.objective_spec(),
            "budget": self.budget_rule,
            "pattern": self.pattern,
            "starts": self.starts,
            "max_steps": self.max_steps,
            "tol": self.tol,
            "seed": self.seed,
        }


def _bounds(table: Table, key: str) -> dict[str, BoundConfig]:
    sub = table.table(key)
    if sub is None:
        return {}
    return {c: BoundConfig.from_value(sub.value(c), sub.key(c), table.source) for c in sub}


def _lock(value: object, key: str, source: str, horizon: int | None) -> float | tuple[float, ...]:
    if not isinstance(value, list | tuple):
        return check_number(value, key, source, low=0.0)
    if horizon is None:
        raise ConfigError(
            "per-period locks need a horizon: lock a steady plan's channel with one number "
            "(its spend per period), or set scenario.horizon",
            key=key,
            source=source,
        )
    if len(value) != horizon:
        raise ConfigError(
            f"{len(value)} values for a horizon of {horizon} periods: give one per period, or "
            "one number (the total over the horizon)",
            key=key,
            source=source,
        )
    return tuple(check_number(v, f"{key}[{i}]", source, low=0.0) for i, v in enumerate(value))


def _parse(table: Table) -> dict[str, Any]:
    names = [f.name for f in dataclasses.fields(ScenarioConfig) if f.name != "source"]
    table = Table(table.data, table.path, table.source, names)
    source = table.source
    budget = table.number("budget", None, low=0.0, low_open=True)
    change = table.number("budget_change", 0.0, low=-1.0, low_open=True)
    if budget is not None and change != 0.0:
        raise table.error(
            "budget_change",
            "budget_change changes the historic budget, and budget is set: give one of them",
        )
    horizon = table.integer("horizon", None, minimum=1)
    objective = table.choice("objective", OBJECTIVES, "mean", what="objective")
    options = _risk_options(objective)
    risk: dict[str, float] = {}
    risk_table = table.table("risk")
    if risk_table is not None:
        for k in risk_table:
            if not options:
                raise risk_table.error(
                    k, f"objective {objective!r} has no risk settings: drop scenario.risk"
                )
            if k not in options:
                raise risk_table.unknown(k, list(options))
        risk = {k: check_number(risk_table.value(k), risk_table.key(k), source) for k in risk_table}
        try:
            _objective_class(objective)(**risk)
        except ValueError as err:
            raise table.error("risk", str(err)) from None
    period_bounds = _bounds(table, "period_bounds")
    if period_bounds and horizon is None:
        raise table.error(
            "period_bounds", "period_bounds limit each period of a horizon: set scenario.horizon"
        )
    locks_table = table.table("locks")
    locks = (
        {}
        if locks_table is None
        else {
            c: _lock(locks_table.value(c), locks_table.key(c), source, horizon) for c in locks_table
        }
    )
    return {
        "enabled": table.boolean("enabled", True),
        "budget": budget,
        "budget_change": change,
        "reference_periods": table.integer("reference_periods", None, minimum=1),
        "horizon": horizon,
        "objective": objective,
        "risk": risk,
        "budget_rule": table.choice("budget_rule", BUDGET_RULES, "equal", what="budget rule"),
        "pattern": table.choice("pattern", PATTERNS, "flat", what="pattern"),
        "bounds": _bounds(table, "bounds"),
        "period_bounds": period_bounds,
        "locks": locks,
        "starts": table.integer("starts", None, minimum=1),
        "max_steps": table.integer("max_steps", 500, minimum=1),
        "tol": table.number("tol", 1e-3, low=0.0, low_open=True),
        "seed": table.integer("seed", 0, minimum=0),
    }
