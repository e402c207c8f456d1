r"""Scenario simulation: posterior draws of the KPI a spend plan causes, and plan comparisons.

A plan is either **steady** (a spend per period for each channel, held: the steady-state
KPI per period, see :mod:`mmm.optimization._response`) or a **flighting** plan over the
``H`` periods after the data: an explicit ``(period, channel)`` spend matrix (a polars
frame with one column per channel, and optionally a ``date`` column that must be the
``H`` periods after the data, or a numpy array), or per-channel totals spread over the
horizon by a ``pattern``: ``"flat"`` (equal spend each period) or ``"historic"`` (each
channel's spend in the last ``H`` training periods, rescaled; flat for a channel that
spent nothing then).

For a flighting plan the evaluation reports, per draw and channel, the KPI the plan
causes inside the horizon (``in_horizon``), its **carry-over** in the ``L - 1`` periods
after (``carry_over``; ``draws`` = both), and separately the **carry-in**: the KPI that
spend before the horizon still causes during it, whatever the plan. Plans evaluated on
the same fit share their posterior draws, so comparisons are paired: the uplift of plan
A over B is a posterior distribution, and :meth:`PlanEvaluation.prob_beats` is the share
of draws in which A's KPI is higher.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import weakref
from collections.abc import Mapping
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
import polars as pl
from jaxtyping import Array, Float

from mmm.config import Role, column_name
from mmm.data import next_period
from mmm.modeling import FittedMMM
from mmm.modeling._compile import jit_in_mode
from mmm.optimization._response import (
    PlanResponse,
    carry_in,
    flight_contributions,
    plan_response,
    steady_contributions,
)
from mmm.results import summarize_draws

__all__ = [
    "Pattern",
    "Allocation",
    "PlanEvaluation",
    "evaluate_plan",
    "compare_plans",
    "historic_spend",
    "future_dates",
    "spread",
    "response_of",
    "plan_matrix",
    "evaluate_matrix",
    "shares",
]

Pattern = Literal["flat", "historic"]
Allocation = Mapping[str, float] | pl.DataFrame | np.ndarray

_RESPONSES: weakref.WeakKeyDictionary[FittedMMM, PlanResponse] = weakref.WeakKeyDictionary()


def response_of(fitted: FittedMMM) -> PlanResponse:
    """The fit's :class:`PlanResponse`, built once per fit (a fit is immutable)."""
    if fitted not in _RESPONSES:
        _RESPONSES[fitted] = plan_response(fitted)
    return _RESPONSES[fitted]


def historic_spend(fitted: FittedMMM) -> Float[np.ndarray, "time channel"]:
    """Training spend per period and channel, float64 money units."""
    columns = [column_name(Role.SPEND, c) for c in fitted.spec.channels]
    return fitted.dataset.frame.select(columns).to_numpy().astype(np.float64)


def future_dates(fitted: FittedMMM, horizon: int) -> tuple[dt.date, ...]:
    """The ``horizon`` period dates after the training data."""
    last = fitted.dataset.end
    return tuple(next_period(last, fitted.dataset.frequency, k) for k in range(1, horizon + 1))


def spread(
    fitted: FittedMMM, totals: Float[np.ndarray, " channel"], horizon: int, pattern: Pattern
) -> Float[np.ndarray, "period channel"]:
    """Per-channel totals spread over ``horizon`` periods by ``pattern`` (module docstring)."""
    return totals[None, :] * shares(fitted, horizon, pattern)


def shares(fitted: FittedMMM, horizon: int, pattern: Pattern) -> np.ndarray:
    """``(H, channel)`` shares of each channel's total per period (columns sum to 1)."""
    c = len(fitted.spec.channels)
    flat = np.full((horizon, c), 1.0 / horizon)
    if pattern == "flat":
        return flat
    if pattern != "historic":
        raise ValueError(f"pattern={pattern!r} is not valid: use 'flat' or 'historic'")
    spend = historic_spend(fitted)
    if horizon > spend.shape[0]:
        raise ValueError(
            f"pattern='historic' copies the last {horizon} training periods but the data "
            f"have {spend.shape[0]}: use pattern='flat' or a shorter horizon"
        )
    last = spend[-horizon:]
    sums = last.sum(axis=0)
    return np.where(sums[None, :] > 0, last / np.where(sums > 0, sums, 1.0)[None, :], flat)


def _check_spend(values: np.ndarray, where: str) -> None:
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{where}: spend at {idx} is {values[idx]!r}; pass finite spend >= 0")


def plan_matrix(
    fitted: FittedMMM, allocation: Allocation, horizon: int | None, pattern: Pattern
) -> tuple[np.ndarray, int | None]:
    """An allocation as ``(spend (H, channel), horizon)``; a steady plan has one row, ``None``."""
    channels = list(fitted.spec.channels)
    if isinstance(allocation, pl.DataFrame):
        extra = [c for c in allocation.columns if c not in channels and c != "date"]
        missing = [c for c in channels if c not in allocation.columns]
        if extra or missing:
            raise ValueError(
                f"allocation frame: columns {extra} are not channels and {missing} are "
                f"missing; pass a 'date' column (optional) and one column per channel {channels}"
            )
        rows = allocation.height
        if horizon is not None and horizon != rows:
            raise ValueError(f"allocation has {rows} rows but horizon={horizon}")
        if "date" in allocation.columns:
            expected = future_dates(fitted, rows)
            got = tuple(allocation["date"].cast(pl.Date).to_list())
            if got != expected:
                raise ValueError(
                    f"allocation dates run {got[0]}..{got[-1]}; a plan covers the {rows} "
                    f"periods after the data: {expected[0]}..{expected[-1]}"
                )
        values = allocation.select(channels).to_numpy().astype(np.float64)
        _check_spend(values, "allocation")
        return values, rows
    if isinstance(allocation, np.ndarray | jax.Array):
        values = np.asarray(allocation, np.float64)
        if values.ndim == 1 and values.shape == (len(channels),) and horizon is None:
            _check_spend(values, "allocation")
            return values[None, :], None
        if values.ndim == 2 and values.shape[1] == len(channels):
            if horizon is not None and values.shape[0] != horizon:
                raise ValueError(f"allocation has {values.shape[0]} rows but horizon={horizon}")
            _check_spend(values, "allocation")
            return values, values.shape[0]
        raise ValueError(
            f"allocation array of shape {values.shape}: pass (channel,) = "
            f"({len(channels)},) for a steady plan or (period, channel) for a flighting plan"
        )
    if isinstance(allocation, Mapping):
        unknown = [k for k in allocation if k not in channels]
        missing = [c for c in channels if c not in allocation]
        if unknown or missing:
            raise ValueError(
                f"allocation: {unknown} are not paid channels and {missing} are missing; "
                f"give a spend for every channel of {channels} (0 for none)"
            )
        totals = np.array([float(allocation[c]) for c in channels])
        _check_spend(totals[None, :], "allocation")
        if horizon is None:
            return totals[None, :], None
        return spread(fitted, totals, horizon, pattern), horizon
    raise ValueError(
        f"allocation of type {type(allocation).__name__}: pass a dict channel -> spend, a "
        "polars frame (date + one column per channel) or a numpy array"
    )


@dataclasses.dataclass(frozen=True)
class PlanEvaluation:
    """Posterior draws of the KPI a plan causes (see the module docstring).

    Attributes:
        channels: the paid channels.
        spend: the plan ``(period, channel)`` in money units (one row for a steady plan).
        horizon: ``None`` for a steady plan (per-period KPI), else ``H``.
        dates: the horizon's dates (``None`` for a steady plan).
        channel_draws: ``(draw, channel)`` the KPI each channel's spend causes (per period
            for a steady plan; in the horizon plus carry-over for a flighting plan).
        in_horizon: ``(draw, channel)`` its part inside the horizon (flighting only).
        carry_over: ``(draw, channel)`` its part after the horizon (flighting only).
        carry_in: ``(draw, channel)`` KPI in the horizon from spend before it (flighting).
        level: the central interval level of the summaries.
        value_per_kpi: the money value of one KPI unit (the fit's
            ``spec.value_per_kpi``): ``roi_mean`` is ``value_per_kpi * KPI / spend``.
    """

    channels: tuple[str, ...]
    spend: Float[np.ndarray, "period channel"]
    horizon: int | None
    dates: tuple[dt.date, ...] | None
    channel_draws: Float[np.ndarray, "draw channel"]
    in_horizon: Float[np.ndarray, "draw channel"] | None
    carry_over: Float[np.ndarray, "draw channel"] | None
    carry_in: Float[np.ndarray, "draw channel"] | None
    level: float = 0.9
    value_per_kpi: float = 1.0

    @property
    def draws(self) -> Float[np.ndarray, " draw"]:
        """Total KPI the plan causes, per posterior draw."""
        return self.channel_draws.sum(axis=1)

    @property
    def mean(self) -> float:
        """Posterior mean of :attr:`draws`."""
        return float(self.draws.mean())

    @property
    def interval(self) -> tuple[float, float]:
        """Central ``level`` posterior interval of :attr:`draws`."""
        s = summarize_draws(self.draws, self.level)
        return float(s["lower"]), float(s["upper"])

    @property
    def total_spend(self) -> float:
        """The plan's spend (per period for a steady plan, else over the horizon)."""
        return float(self.spend.sum())

    @property
    def allocation(self) -> dict[str, float] | pl.DataFrame:
        """The plan: a dict channel -> spend per period (steady) or a frame with dates."""
        if self.horizon is None:
            return {c: float(v) for c, v in zip(self.channels, self.spend[0], strict=True)}
        return pl.DataFrame(
            {
                "date": list(self.dates or ()),
                **{c: self.spend[:, j] for j, c in enumerate(self.channels)},
            }
        )

    def prob_beats(self, other: PlanEvaluation) -> float:
        """Posterior probability that this plan's KPI exceeds ``other``'s (paired draws)."""
        if other.draws.shape != self.draws.shape:
            raise ValueError("the plans were evaluated on different posterior draws")
        return float((self.draws > other.draws).mean())

    def uplift(self, other: PlanEvaluation) -> Float[np.ndarray, " draw"]:
        """This plan's KPI minus ``other``'s, per draw."""
        return self.draws - other.draws

    def to_frame(self) -> pl.DataFrame:
        """Per channel: ``channel, spend, kpi_mean/_lower/_upper, roi_mean``.

        A flighting plan adds the ``in_horizon``, ``carry_over`` and ``carry_in`` means.
        """
        s = summarize_draws(self.channel_draws, self.level)
        spend = self.spend.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = s["mean"] / np.where(spend > 0, spend, 1.0)
        roi = np.where(spend > 0, self.value_per_kpi * ratio, np.nan)
        out = {
            "channel": list(self.channels),
            "spend": spend,
            "kpi_mean": s["mean"],
            "kpi_lower": s["lower"],
            "kpi_upper": s["upper"],
            "roi_mean": roi,
        }
        for name in ("in_horizon", "carry_over", "carry_in"):
            value = getattr(self, name)
            if value is not None:
                out[f"{name}_mean"] = value.mean(axis=0)
        return pl.DataFrame(out)


@jit_in_mode
def _steady(response: PlanResponse, spend: Array) -> Array:
    return steady_contributions(response, spend)[:, 0, :]


@jit_in_mode
def _flight(response: PlanResponse, spend: Array) -> tuple[Array, Array]:
    return flight_contributions(response, spend), carry_in(response, spend.shape[0]).sum(axis=1)


def evaluate_matrix(
    fitted: FittedMMM, spend: np.ndarray, horizon: int | None, level: float = 0.9
) -> PlanEvaluation:
    """:class:`PlanEvaluation` of a spend matrix from :func:`plan_matrix`."""
    response = response_of(fitted)
    dtype = response.beta.dtype
    if horizon is None:
        draws = np.asarray(_steady(response, jnp.asarray(spend, dtype)), np.float64)
        return PlanEvaluation(
            channels=fitted.spec.channels,
            spend=spend,
            horizon=None,
            dates=None,
            channel_draws=draws,
            in_horizon=None,
            carry_over=None,
            carry_in=None,
            level=level,
            value_per_kpi=fitted.spec.value_per_kpi,
        )
    flight, inherited = _flight(response, jnp.asarray(spend, dtype))
    per_period = np.asarray(flight, np.float64)
    inside = per_period[:, :horizon].sum(axis=1)
    after = per_period[:, horizon:].sum(axis=1)
    return PlanEvaluation(
        channels=fitted.spec.channels,
        spend=spend,
        horizon=horizon,
        dates=future_dates(fitted, horizon),
        channel_draws=inside + after,
        in_horizon=inside,
        carry_over=after,
        carry_in=np.asarray(inherited, np.float64),
        level=level,
        value_per_kpi=fitted.spec.value_per_kpi,
    )


def evaluate_plan(
    fitted: FittedMMM,
    allocation: Allocation,
    horizon: int | None = None,
    *,
    pattern: Pattern = "flat",
    level: float = 0.9,
) -> PlanEvaluation:
    """Posterior draws of the KPI a spend plan causes (see the module docstring).

    Args:
        fitted: the fit.
        allocation: a dict channel -> spend (per period if ``horizon`` is ``None``, else
            the channel's total over the horizon, spread by ``pattern``), a polars frame
            (optional ``date`` + one column per channel, one row per horizon period) or a
            numpy array (``(channel,)`` steady, ``(period, channel)`` flighting).
        horizon: ``None`` for a steady plan from a dict, else the number of periods.
        pattern: how a dict's totals are spread over the horizon.
        level: central interval level of the summaries.

    Returns:
        The :class:`PlanEvaluation` (``.draws``, ``.mean``, ``.channel_draws``, carry-in
        and carry-over for a flighting plan).

    Raises:
        ValueError: for unknown or missing channels, negative or non-finite spend, a
            frame whose dates are not the periods after the data.
    """
    if horizon is not None and (
        isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1
    ):
        raise ValueError(f"horizon={horizon!r}: pass None (steady plan) or an int >= 1")
    spend, h = plan_matrix(fitted, allocation, horizon, pattern)
    return evaluate_matrix(fitted, spend, h, level)


def compare_plans(
    fitted: FittedMMM,
    plans: Mapping[str, Allocation],
    reference: str,
    horizon: int | None = None,
    *,
    pattern: Pattern = "flat",
    level: float = 0.9,
) -> pl.DataFrame:
    """Plans side by side, each against ``reference`` (one of ``plans``' names).

    Returns:
        One row per plan: ``plan, spend, kpi_mean/_lower/_upper, roi_mean,
        uplift_mean/_lower/_upper`` (vs the reference, per draw) and
        ``prob_beats_reference`` (NaN on the reference's own row).
    """
    if reference not in plans:
        raise ValueError(f"reference={reference!r} is not one of the plans {list(plans)}")
    evaluations = {
        name: evaluate_plan(fitted, plan, horizon, pattern=pattern, level=level)
        for name, plan in plans.items()
    }
    horizons = {e.horizon for e in evaluations.values()}
    if len(horizons) > 1:
        raise ValueError(
            "the plans mix steady and flighting plans (or horizons): compare like with like"
        )
    base = evaluations[reference]
    rows = []
    for name, e in evaluations.items():
        kpi = summarize_draws(e.draws, level)
        up = summarize_draws(e.uplift(base), level)
        rows.append(
            {
                "plan": name,
                "spend": e.total_spend,
                "kpi_mean": float(kpi["mean"]),
                "kpi_lower": float(kpi["lower"]),
                "kpi_upper": float(kpi["upper"]),
                "roi_mean": (
                    e.value_per_kpi * float(kpi["mean"]) / e.total_spend
                    if e.total_spend > 0
                    else np.nan
                ),
                "uplift_mean": float(up["mean"]),
                "uplift_lower": float(up["lower"]),
                "uplift_upper": float(up["upper"]),
                # NaN for the reference itself: "beats itself" is not a probability of 0
                "prob_beats_reference": np.nan if name == reference else e.prob_beats(base),
            }
        )
    return pl.DataFrame(rows)
