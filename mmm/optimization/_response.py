r"""The KPI a spend plan causes per posterior draw: the fit's media response as a function of spend.

For posterior draw ``d`` and channel ``c`` with coefficient :math:`\beta_{dc}` (KPI units,
the model's own :func:`mmm.modeling.components`) and unit response :math:`u_{dc}` (its
``MediaSpec``), spend ``s`` enters the model as the scaled input :math:`k_c s` with
:math:`k_c` = the channel's training-window input per unit of spend (``1 / max spend`` for
a spend channel; for an exposure channel the historic exposures per unit of spend, i.e. a
constant cost per exposure):

* **steady plan** (spend :math:`s_c` every period, held for ``l_max`` periods or more):
  :math:`r_{dc}(s_c) = \beta_{dc}\, \bar u_{dc}(k_c s_c)` per period, with
  :math:`\bar u` = :meth:`mmm.features.MediaSpec.steady_state`;
* **flighting plan** (spend :math:`S_{hc}` in the ``H`` periods after the data): the
  incremental contribution per period of the horizon and of the ``L - 1`` periods after
  it (``L`` the longest ``l_max``: carry-over),
  :math:`\beta_{dc}[u_{dc}(k_c [x^{hist}; S; 0]) - u_{dc}([x^{hist}; 0; 0])]`, where
  :math:`x^{hist}` are the last ``L - 1`` training periods' inputs (carry-in). The
  second term alone, over the horizon, is the **carry-in**: the KPI the past spend still
  causes during the horizon whatever the plan.

Channels are separable (a channel's response depends on its own input only). Everything
here is pure and jit-able; :class:`PlanResponse` holds the per-draw arrays (a pytree).
The adstock's lag weights do not depend on the plan, so they are computed once per draw
(``AbstractAdstock.weights``) and the lag sum is one matrix product with the plan's lagged
inputs, shared by all draws; only the saturation runs per draw and period. That is the
model's own transform (:func:`mmm.modeling.unit_responses`, asserted equal in the tests),
about 10x faster for a plan because nothing is recomputed that the plan cannot change.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from mmm.modeling import FittedMMM, MediaGroup, ModelSpec, components, media_groups

__all__ = [
    "PlanResponse",
    "plan_response",
    "steady_contributions",
    "flight_contributions",
    "carry_in",
    "no_plan_media",
    "steady_totals",
    "flight_totals",
]


class PlanResponse(eqx.Module):
    """The per-draw pieces of a fit that a plan's response needs (see the module docstring).

    Attributes:
        spec: the model spec (its media specs; static structure).
        weights: per media group, the adstock lag weights ``(group channel, draw, lag)``
            (channel-major: the series axis is then the innermost, which is what
            vectorizes on CPU).
        saturation: per media group, the saturation parameters, name -> ``(group
            channel, draw)``.
        beta: coefficients in KPI units, ``(draw, channel)``.
        input_per_spend: scaled model input per unit of spend :math:`k_c`, ``(channel,)``.
        history: the last ``L - 1`` training periods' scaled inputs, ``(lag, channel)``.
        carryover: ``L - 1``, periods of carry-over counted after a horizon (static).
    """

    spec: ModelSpec
    weights: tuple[Float[Array, "group_channel draw lag"], ...]
    saturation: tuple[dict[str, Float[Array, "group_channel draw"]], ...]
    beta: Float[Array, "draw channel"]
    input_per_spend: Float[Array, " channel"]
    history: Float[Array, "lag channel"]
    carryover: int = eqx.field(static=True)

    @property
    def channels(self) -> tuple[str, ...]:
        """The paid channels, in the spec's order."""
        return self.spec.channels

    @property
    def n_draws(self) -> int:
        """Number of posterior draws."""
        return int(self.beta.shape[0])


def _input_per_spend(fitted: FittedMMM) -> np.ndarray:
    media = np.asarray(fitted.design.media, np.float64).sum(axis=0)
    spend = np.asarray(fitted.design.spend, np.float64).sum(axis=0)
    empty = [c for c, s in zip(fitted.spec.channels, spend, strict=True) if not s > 0]
    if empty:
        raise ValueError(
            f"channels {empty} have no spend in the training data, so the fit says nothing "
            "about what spending on them does: drop them from the model to plan a budget"
        )
    return media / spend


def _own(group: MediaGroup, params: dict[str, Array], part: str) -> dict[str, Array]:
    prefix = f"{group.prefix}/{part}/"
    return {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}


def plan_response(fitted: FittedMMM, batch_size: int = 256) -> PlanResponse:
    """The :class:`PlanResponse` of a fit (chains merged; ``batch_size`` draws at a time).

    The coefficients are recomputed per draw from the model's pure functions on the
    training design (they depend on training-window sums for share and ROI effects).
    """
    spec, design = fitted.spec, fitted.design
    samples = {k: jax.device_put(v) for k, v in fitted.flat_samples().items()}
    kpi_scale = design.scalings.kpi.scale

    def coef(p: dict[str, Array]) -> Array:
        return components(spec, p, design).coef * kpi_scale

    beta = jax.lax.map(coef, samples, batch_size=batch_size)
    draws = beta.shape[0]
    weights, saturation = [], []
    for group in media_groups(spec):
        own = _own(group, samples, "adstock")
        adstock = group.spec.adstock
        if own:
            w = jax.vmap(jax.vmap(adstock.weights))(own)
        else:  # a fixed-weight adstock: no sampled parameters
            w0 = adstock.weights({})
            w = jnp.broadcast_to(w0, (draws, len(group.channels), w0.shape[0]))
        weights.append(jnp.transpose(w, (1, 0, 2)))
        saturation.append({k: v.T for k, v in _own(group, samples, "saturation").items()})
    carryover = max(int(m.adstock.l_max) for m in spec.media) - 1
    n = design.media.shape[0]
    history = design.media[max(n - carryover, 0) :]
    if history.shape[0] < carryover:  # fewer training periods than lags: zeros before
        pad = jnp.zeros((carryover - history.shape[0], history.shape[1]), history.dtype)
        history = jnp.concatenate([pad, history])
    return PlanResponse(
        spec=spec,
        weights=tuple(weights),
        saturation=tuple(saturation),
        beta=beta,
        input_per_spend=jnp.asarray(_input_per_spend(fitted), design.media.dtype),
        history=history,
        carryover=carryover,
    )


def _saturate(
    group: MediaGroup, params: dict[str, Array], x: Float[Array, "group_channel draw series"]
) -> Float[Array, "group_channel draw series"]:
    """The group's saturation of every (channel, draw) series (vmapped over both)."""
    return jax.vmap(jax.vmap(group.spec.saturation.apply))(params, x)


def _by_channel(response: PlanResponse, parts: list[Array]) -> Array:
    """Group outputs ``(group channel, ...)`` reassembled in channel order (axis 0)."""
    groups = media_groups(response.spec)
    if len(groups) == 1:
        return parts[0]
    order = np.argsort(np.concatenate([np.asarray(g.positions) for g in groups]))
    return jnp.concatenate(parts, axis=0)[order]


def _steady_cdl(response: PlanResponse, spend: Array) -> Array:
    """Steady KPI ``(channel, draw, level)`` of spend levels ``(level, channel)``."""
    x = (spend * response.input_per_spend[None, :]).T  # (channel, level)
    parts = []
    for group, w, params in zip(
        media_groups(response.spec), response.weights, response.saturation, strict=True
    ):
        xg = x[jnp.asarray(group.positions)][:, None, :]  # (group channel, 1, level)
        total = w.sum(axis=-1)[:, :, None]  # (group channel, draw, 1)
        if group.spec.order == "adstock_first":
            u = _saturate(group, params, xg * total)
        else:
            u = _saturate(group, params, jnp.broadcast_to(xg, (*w.shape[:2], xg.shape[2])))
            u = u * total
        parts.append(u)
    return _by_channel(response, parts) * response.beta.T[:, :, None]


def steady_contributions(
    response: PlanResponse, spend: Float[Array, "level channel"]
) -> Float[Array, "draw level channel"]:
    """KPI per period of spending ``spend[i]`` every period (steady state), per draw.

    Each row of ``spend`` is one steady plan (a spend level per channel); they are
    evaluated together, the levels being the transform's series axis (on CPU this is what
    vectorizes: eight levels cost about as much as one). Equal to
    :meth:`mmm.features.MediaSpec.steady_state` times the coefficient.
    """
    return jnp.transpose(_steady_cdl(response, spend), (1, 2, 0))


def steady_totals(
    response: PlanResponse, spend: Float[Array, "level channel"]
) -> Float[Array, "level draw"]:
    """Steady KPI per period summed over channels, ``(level, draw)``."""
    return _steady_cdl(response, spend).sum(axis=0).T


def _lagged(x: Float[Array, "channel time"], lags: int, first: int) -> Array:
    """``out[c, l, t] = x[c, first + t - l]``, shape ``(channel, lags, time - first)``."""
    n = x.shape[1]
    return jnp.stack([x[:, first - k : n - k] for k in range(lags)], axis=1)


def _media_cdt(response: PlanResponse, inputs: Float[Array, "time channel"]) -> Array:
    """Media contribution ``(channel, draw, time - L + 1)`` of inputs shared by all draws.

    The first ``L - 1`` rows of ``inputs`` are the history (only read through the lags).
    The lag sum is one ``(draw, lag) @ (lag, time)`` product per channel.
    """
    lag = response.carryover
    parts = []
    for group, w, params in zip(
        media_groups(response.spec), response.weights, response.saturation, strict=True
    ):
        xg = inputs[:, jnp.asarray(group.positions)].T  # (group channel, time)
        lags = w.shape[-1]
        if group.spec.order == "adstock_first":
            adstocked = jnp.einsum("cdl,clt->cdt", w, _lagged(xg, lags, lag))
            parts.append(_saturate(group, params, adstocked))
        else:
            s = _saturate(
                group, params, jnp.broadcast_to(xg[:, None, :], (*w.shape[:2], xg.shape[1]))
            )
            n = s.shape[2]
            carried = w[:, :, 0, None] * s[:, :, lag:]
            for k in range(1, lags):
                carried = carried + w[:, :, k, None] * s[:, :, lag - k : n - k]
            parts.append(carried)
    return _by_channel(response, parts) * response.beta.T[:, :, None]


def _media(response: PlanResponse, inputs: Float[Array, "time channel"]) -> Array:
    """:func:`_media_cdt` as ``(draw, time - L + 1, channel)``."""
    return jnp.transpose(_media_cdt(response, inputs), (1, 2, 0))


def _padded(response: PlanResponse, plan: Float[Array, "period channel"]) -> Array:
    tail = jnp.zeros((response.carryover, plan.shape[1]), plan.dtype)
    return jnp.concatenate([response.history, plan, tail])


def carry_in(response: PlanResponse, horizon: int) -> Float[Array, "draw period channel"]:
    """KPI per draw, horizon period and channel caused by the spend before the horizon."""
    return no_plan_media(response, horizon)[:, :horizon]


def flight_contributions(
    response: PlanResponse,
    spend: Float[Array, "period channel"],
    baseline: Float[Array, "draw extended channel"] | None = None,
) -> Float[Array, "draw extended channel"]:
    """Incremental KPI of a flighting plan per draw, period and channel.

    Args:
        response: the fit's :class:`PlanResponse`.
        spend: spend per horizon period and channel, ``(H, channel)``.
        baseline: the no-plan media response over the same ``H + L - 1`` periods (from
            :func:`no_plan_media`), to skip recomputing it; ``None`` computes it.

    Returns:
        ``(draw, H + L - 1, channel)``: the plan's contribution in each horizon period,
        then its carry-over in the ``L - 1`` periods after.
    """
    with_plan = _media(response, _padded(response, spend * response.input_per_spend[None, :]))
    if baseline is None:
        baseline = no_plan_media(response, spend.shape[0])
    return with_plan - baseline


def no_plan_media(response: PlanResponse, horizon: int) -> Float[Array, "draw extended channel"]:
    """Media response over the horizon and its carry-over periods without any new spend."""
    empty = jnp.zeros((horizon, response.history.shape[1]), response.history.dtype)
    return _media(response, _padded(response, empty))


def flight_totals(
    response: PlanResponse,
    spend: Float[Array, "period channel"],
    baseline_totals: Float[Array, " draw"],
) -> Float[Array, " draw"]:
    """The plan's incremental KPI per draw, summed over periods and channels.

    The sum runs over the horizon and its carry-over periods; ``baseline_totals`` is
    :func:`no_plan_media` summed the same way.
    """
    inputs = _padded(response, spend * response.input_per_spend[None, :])
    return _media_cdt(response, inputs).sum(axis=(0, 2)) - baseline_totals
