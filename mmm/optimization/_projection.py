r"""Exact Euclidean projection onto a budget plan's feasible set.

A plan ``x`` of shape ``(period, channel)`` (one period for a steady plan) is feasible when

.. math::

    l_{hc} \le x_{hc} \le u_{hc}, \qquad
    g^-_c \le \textstyle\sum_h x_{hc} \le g^+_c, \qquad
    \textstyle\sum_{hc} x_{hc} = B \;\; (\text{or} \le B),

cell bounds (per period and channel; locks have ``l = u``), channel-total bounds and the
budget. Its projection :math:`P(y) = \arg\min_x \lVert x - y\rVert^2` has the closed form
(KKT) :math:`x_{hc} = \operatorname{clip}(y_{hc} - t_c, l_{hc}, u_{hc})` with one threshold
per channel :math:`t_c = \operatorname{clip}(\mu, t^+_c, t^-_c)`: :math:`t^\pm_c` make the
channel's total hit :math:`g^\pm_c` and :math:`\mu` (the budget's multiplier, ``>= 0``
for ``<=``) makes the grand total hit ``B``. Each is the root of a continuous decreasing
piecewise-linear function, found by bisection to the float type's resolution, so the
projection is exact up to rounding (the result is checked against a QP solver in the
tests). The same code runs on numpy arrays (float64, the final plan) and inside ``jit``
(the optimizer's loop); it is not differentiated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

__all__ = ["FeasibleSet", "project", "project_numpy"]


class FeasibleSet(eqx.Module):
    """The constraints of a plan, already checked to be feasible (see the module docstring).

    Attributes:
        lower: cell lower bounds ``>= 0``, ``(period, channel)``.
        upper: cell upper bounds (``inf`` allowed), ``(period, channel)``.
        channel_lower: per-channel total lower bounds ``>= 0``, ``(channel,)``.
        channel_upper: per-channel total upper bounds (``inf`` allowed), ``(channel,)``.
        total: the budget ``B``.
        equality: ``sum(x) == B`` (``True``) or ``sum(x) <= B``.
    """

    lower: Float[Array, "period channel"]
    upper: Float[Array, "period channel"]
    channel_lower: Float[Array, " channel"]
    channel_upper: Float[Array, " channel"]
    total: Float[Array, ""]
    equality: bool = eqx.field(static=True, default=True)

    def scaled(self, factor: float | Array) -> FeasibleSet:
        """The same set for ``x / factor`` (every bound divided by ``factor``)."""
        return FeasibleSet(
            self.lower / factor,
            self.upper / factor,
            self.channel_lower / factor,
            self.channel_upper / factor,
            self.total / factor,
            self.equality,
        )


def _bisect(
    fn: Callable[[Any], Any], lo: Any, hi: Any, target: Any, iterations: int, xp: Any
) -> Any:
    """``t`` in ``[lo, hi]`` with ``fn(t) = target`` for decreasing ``fn`` (elementwise)."""

    def body(_: int, bracket: tuple[Any, Any]) -> tuple[Any, Any]:
        a, b = bracket
        mid = 0.5 * (a + b)
        above = fn(mid) > target  # the root lies to the right of mid
        return xp.where(above, mid, a), xp.where(above, b, mid)

    if xp is np:
        bracket = (lo, hi)
        for i in range(iterations):
            bracket = body(i, bracket)
    else:
        bracket = jax.lax.fori_loop(0, iterations, body, (lo, hi))
    return 0.5 * (bracket[0] + bracket[1])


def _project(fs: FeasibleSet, y: Any, xp: Any, metric: Any = None) -> Any:
    lower, upper = fs.lower, fs.upper
    h = xp.ones_like(y) if metric is None else metric
    finfo = np.finfo(np.dtype(y.dtype))
    iterations = finfo.nmant + 40  # brackets span up to 2^40 resolutions: exact to rounding

    def column_sums(t: Any) -> Any:  # t: (channel,) thresholds -> (channel,) totals
        return xp.clip(y - h * t[None, :], lower, upper).sum(axis=0)

    finite_upper = xp.where(xp.isfinite(upper), upper, 0.0)
    reach = xp.maximum(finite_upper.max(), fs.total) + 1.0
    t_min = ((y - reach) / h).min() - 1.0  # every cell at its upper bound (or above any target)
    t_max = ((y - lower) / h).max() + 1.0  # every cell at its lower bound
    n = y.shape[1]
    lo, hi = xp.full((n,), t_min, y.dtype), xp.full((n,), t_max, y.dtype)
    max_sum, min_sum = upper.sum(axis=0), lower.sum(axis=0)
    big = xp.asarray(finfo.max, y.dtype)
    # t+ hits the channel's upper total where it can be exceeded, else -inf (never binds)
    t_up = _bisect(column_sums, lo, hi, xp.minimum(fs.channel_upper, big), iterations, xp)
    t_up = xp.where(max_sum > fs.channel_upper, t_up, -big)
    t_lo = _bisect(column_sums, lo, hi, fs.channel_lower, iterations, xp)
    t_lo = xp.where(min_sum < fs.channel_lower, t_lo, big)

    def grand_total(mu: Any) -> Any:
        return column_sums(xp.clip(mu, t_up, t_lo)).sum()

    mu_lo = t_min if fs.equality else xp.asarray(0.0, y.dtype)
    mu = _bisect(grand_total, mu_lo, t_max, fs.total, iterations, xp)
    if not fs.equality:
        mu = xp.where(grand_total(xp.asarray(0.0, y.dtype)) <= fs.total, 0.0, mu)
    return xp.clip(y - h * xp.clip(mu, t_up, t_lo)[None, :], lower, upper)


def project(
    fs: FeasibleSet,
    y: Float[Array, "period channel"],
    metric: Float[Array, "period channel"] | None = None,
) -> Float[Array, "period channel"]:
    r"""The projection of ``y`` onto ``fs`` (jit-able; see the module docstring).

    ``metric`` (positive, per cell) gives the projection in the scaled norm
    :math:`\sum (x - y)^2 / h`: then :math:`x = \operatorname{clip}(y - h\,t_c, l, u)`,
    found the same way. ``None`` is the Euclidean projection.
    """
    return _project(fs, y, jnp, metric)


def project_numpy(
    fs: FeasibleSet, y: Float[np.ndarray, "period channel"]
) -> Float[np.ndarray, "period channel"]:
    """:func:`project` in float64 numpy (for the returned plan: constraints to rounding)."""
    as64 = jax.tree.map(lambda a: np.asarray(a, np.float64), fs)
    return np.asarray(_project(as64, np.asarray(y, np.float64), np))
