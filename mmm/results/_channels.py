r"""Per-draw channel metrics over time windows: contributions, incremental KPI, marginal return.

For a window ``W`` of training periods and one posterior draw, with ``f_c(x)`` channel
``c``'s contribution (its media response times its coefficient, KPI units) and ``x`` the
scaled media inputs extended by ``L - 1`` periods of zero spend after the data
(``L`` the longest adstock ``l_max``, so that carry-over past the end is counted):

* **attributed** :math:`A_c = \sum_{t \in W} f_c(x)_t`: the model's contribution inside
  the window (carry-in from earlier spend included, carry-over after it not);
* **incremental** :math:`I_c = \sum_t [f_c(x) - f_c(x \odot (1 - 1_W))]_t`: the KPI the
  window's spend caused, inside and after the window (the counterfactual sets the
  channel's spend in ``W`` to zero);
* **marginal** :math:`M_c = \frac{d}{d\epsilon} \sum_t f_c(x \odot (1 + \epsilon 1_W))_t
  \big|_{\epsilon = 0}` by ``jax.jvp`` (forward mode, exact): the extra KPI of spending
  the window's budget 1% more, per 1% (divide by the window's spend for the marginal
  ROAS).

Channels are separable in the model (a channel's contribution depends on its own input
only), so one counterfactual and one ``jvp`` per window give every channel's numbers.
For a channel modeled on exposures, "more spend" means proportionally more exposures
(a constant cost per exposure). Draws are evaluated in chunks (bounded memory); all windows
of one call share each draw's evaluation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float

from mmm.config import Role, column_name
from mmm.features import Design
from mmm.modeling import FittedMMM, ModelSpec, components, media_groups, unit_responses
from mmm.modeling._programs import run_cached
from mmm.results._components import draw_chunks
from mmm.results._windows import Window

__all__ = ["WindowDraws", "window_draws", "window_spend", "carryover_periods"]


def carryover_periods(spec: ModelSpec) -> int:
    """Periods of zero spend appended to count carry-over: the longest ``l_max`` minus one."""
    return max(int(m.adstock.l_max) for m in spec.media) - 1


@dataclasses.dataclass(frozen=True)
class WindowDraws:
    """Per-draw channel metrics for each window (KPI units, money units for spend).

    Attributes:
        channels: the paid channels.
        windows: the windows.
        spend: spend per window and channel, ``(window, channel)``.
        attributed: ``(draw, window, channel)`` contribution inside the window.
        incremental: ``(draw, window, channel)`` KPI caused by the window's spend,
            including its carry-over after the window.
        marginal: ``(draw, window, channel)`` derivative of the incremental KPI with
            respect to a proportional change of the window's spend (per unit of relative
            change: divide by spend for the marginal ROAS).
        fitted: ``(draw, window)`` the fitted mean KPI summed over the window.
    """

    channels: tuple[str, ...]
    windows: tuple[Window, ...]
    spend: Float[np.ndarray, "window channel"]
    attributed: Float[np.ndarray, "draw window channel"]
    incremental: Float[np.ndarray, "draw window channel"]
    marginal: Float[np.ndarray, "draw window channel"]
    fitted: Float[np.ndarray, "draw window"]


def _one_draw(
    spec: ModelSpec,
    design: Design,
    params: dict[str, Array],
    masks: Bool[Array, "window extended"],
) -> tuple[Array, Array, Array, Array]:
    n, c = design.media.shape
    groups = media_groups(spec)
    x = jnp.concatenate([design.media, jnp.zeros((masks.shape[1] - n, c), design.media.dtype)])

    def unit_of(inputs: Array) -> Array:
        return unit_responses(groups, params, inputs)

    # One evaluation of the transforms serves the model's components, the attributed
    # contributions and (linearized) every window's marginal return.
    unit, tangent = jax.linearize(unit_of, x)
    parts = components(spec, params, design, unit=unit[:n])
    beta, mu = parts.coef, parts.total()

    def per_window(mask: Array) -> tuple[Array, Array, Array, Array]:
        w = mask.astype(x.dtype)[:, None]
        lost = (unit - unit_of(x * (1.0 - w))) * beta[None, :]
        return (
            (unit * w).sum(axis=0) * beta,
            lost.sum(axis=0),
            tangent(x * w).sum(axis=0) * beta,
            (mu * w[:n, 0]).sum(),
        )

    out = jax.lax.map(per_window, masks)  # a loop: batching the windows too costs 1.8x
    scale = design.scalings.kpi.scale
    return out[0] * scale, out[1] * scale, out[2] * scale, out[3] * scale


def _chunk_program(
    spec: ModelSpec, design: Design, params: dict[str, Array], masks: Bool[Array, "w t"]
) -> tuple[Array, Array, Array, Array]:
    return jax.vmap(lambda p: _one_draw(spec, design, p, masks))(params)


def _chunk(*args: Any) -> Any:
    """:func:`_chunk_program` compiled, kept in the traced-program cache across processes."""
    return run_cached("channels_chunk", _chunk_program, args)


def window_spend(fitted: FittedMMM, window: Window) -> Float[np.ndarray, " channel"]:
    """Spend per channel summed over ``window``, float64 from the data (money units)."""
    columns = [column_name(Role.SPEND, c) for c in fitted.spec.channels]
    spend = fitted.dataset.frame.select(columns).to_numpy().astype(np.float64)
    return spend[window.first : window.stop].sum(axis=0)


def window_draws(
    fitted: FittedMMM, windows: Sequence[Window], chunk_size: int = 500
) -> WindowDraws:
    """:class:`WindowDraws` of the fit's posterior draws for ``windows`` (chains merged)."""
    if not windows:
        raise ValueError("windows is empty: pass at least one Window")
    spec, design = fitted.spec, fitted.design
    n = design.media.shape[0]
    extended = n + carryover_periods(spec)
    masks = jnp.asarray(np.stack([w.mask(extended) for w in windows]))
    samples = fitted.flat_samples()
    draws = next(iter(samples.values())).shape[0]
    k, c = len(windows), len(spec.channels)
    attributed = np.empty((draws, k, c))
    incremental = np.empty((draws, k, c))
    marginal = np.empty((draws, k, c))
    fitted_total = np.empty((draws, k))
    for start, params in draw_chunks(samples, chunk_size):
        a, i, m, f = (np.asarray(v, dtype=np.float64) for v in _chunk(spec, design, params, masks))
        stop = min(start + a.shape[0], draws)
        size = stop - start
        attributed[start:stop], incremental[start:stop] = a[:size], i[:size]
        marginal[start:stop], fitted_total[start:stop] = m[:size], f[:size]
    return WindowDraws(
        channels=spec.channels,
        windows=tuple(windows),
        spend=np.stack([window_spend(fitted, w) for w in windows]),
        attributed=attributed,
        incremental=incremental,
        marginal=marginal,
        fitted=fitted_total,
    )
