"""Response curves around a plan: each channel's KPI as a function of its spend.

For a steady plan the curve of channel ``c`` is its steady KPI per period at spend ``s``
(:func:`~mmm.optimization.steady_contributions`); for a flighting plan it is the KPI the
channel causes (horizon plus carry-over) when its optimized spend path is scaled to total
``s`` (the reference path where the plan spends nothing). Channels are separable, so one
call evaluates every channel's point. The grid runs from 0 to 1.5 times the larger of
the reference and optimized spend, and the two operating points are evaluated in the
same call (so they lie exactly on their curves' draws).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import polars as pl
from jaxtyping import Array

from mmm.modeling import FittedMMM
from mmm.modeling._compile import jit_in_mode
from mmm.optimization._plan import BudgetPlan
from mmm.optimization._response import (
    PlanResponse,
    flight_contributions,
    no_plan_media,
    steady_contributions,
)
from mmm.optimization._scenario import historic_spend, response_of
from mmm.results import summarize_draws

__all__ = ["plan_response_curves", "curve_draws"]

_SPAN = 1.5  # the curves' spend grid runs to this multiple of the larger operating point


@jit_in_mode
def _steady_grid(response: PlanResponse, levels: Array) -> Array:
    """``(draw, level, channel)`` steady KPI per period of ``levels`` ``(level, channel)``."""
    return steady_contributions(response, levels)


@jit_in_mode
def _flight_grid(response: PlanResponse, plans: Array) -> Array:
    """``(point, draw, channel)`` total incremental KPI of plans ``(point, H, channel)``."""
    baseline = no_plan_media(response, plans.shape[1])

    def one(spend: Array) -> Array:
        return flight_contributions(response, spend, baseline).sum(axis=1)

    return jax.lax.map(one, plans)


def curve_draws(
    fitted: FittedMMM, plan: BudgetPlan, points: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per channel the response curve of ``plan``: spend grid and KPI draws.

    Returns ``x``, the KPI ``draws`` over the grid, the reference and optimized operating
    points' spend ``(channel,)`` and their KPI draws ``(draw, channel)`` (the last two
    computed in the same call as the grid).
    """
    response = response_of(fitted)
    dtype = response.beta.dtype
    optimal = plan.spend.sum(axis=0)
    reference = plan.reference.spend.sum(axis=0)
    fallback = historic_spend(fitted).mean(axis=0) * (plan.horizon or 1)
    top = np.maximum(optimal, reference)
    top = np.where(top > 0, top, np.where(fallback > 0, fallback, 1.0))
    x = np.linspace(0.0, 1.0, points)[:, None] * (_SPAN * top)[None, :]  # (point, channel)
    if plan.horizon is None:
        levels = np.concatenate([x, reference[None, :], optimal[None, :]])
        out = _steady_grid(response, jnp.asarray(levels, dtype))
        draws = np.asarray(out, np.float64)
    else:
        # along the optimized path's shape (the reference's where the plan spends nothing)
        opt_path, ref_path = plan.spend, plan.reference.spend
        flat = np.full_like(opt_path, 1.0 / opt_path.shape[0])
        shape = np.where(
            optimal[None, :] > 0,
            opt_path / np.where(optimal > 0, optimal, 1.0)[None, :],
            np.where(
                reference[None, :] > 0,
                ref_path / np.where(reference > 0, reference, 1.0)[None, :],
                flat,
            ),
        )
        plans = np.concatenate(
            [x[:, None, :] * shape[None, :, :], ref_path[None], opt_path[None]]
        )  # (point + 2, H, channel)
        out = _flight_grid(response, jnp.asarray(plans, dtype))
        draws = np.transpose(np.asarray(out, np.float64), (1, 0, 2))
    return x, draws[:, :points], reference, optimal, draws[:, points:]


def plan_response_curves(
    fitted: FittedMMM, plan: BudgetPlan, points: int = 41, level: float | None = None
) -> pl.DataFrame:
    """The response curves of ``plan`` as a table (see the module docstring).

    Args:
        fitted: the fit the plan was optimized on.
        plan: the plan.
        points: grid points per channel (``>= 2``).
        level: central interval level (``None``: the plan's).

    Returns:
        ``channel, spend, mean, median, lower, upper, point`` with ``point`` ``"grid"``,
        ``"reference"`` or ``"optimized"`` (spend per period for a steady plan, the
        channel's total over the horizon for flighting; KPI likewise).
    """
    if not (isinstance(points, int) and points >= 2):
        raise ValueError(f"points={points!r}: pass an int >= 2")
    x, draws, ref_x, opt_x, at = curve_draws(fitted, plan, points)
    stats = summarize_draws(draws, plan.evaluation.level if level is None else level)
    marks = summarize_draws(at, plan.evaluation.level if level is None else level)
    frames = []
    for j, channel in enumerate(plan.channels):
        frames.append(
            pl.DataFrame(
                {
                    "channel": [channel] * (points + 2),
                    "spend": np.concatenate([x[:, j], [ref_x[j], opt_x[j]]]),
                    **{
                        k: np.concatenate([stats[k][:, j], marks[k][:, j]])
                        for k in ("mean", "median", "lower", "upper")
                    },
                    "point": ["grid"] * points + ["reference", "optimized"],
                }
            )
        )
    return pl.concat(frames)
