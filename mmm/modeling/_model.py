r"""The NumPyro model: a plain function that loops over the spec's components.

Two halves, so that everything downstream can recompute the model without NumPyro:

* :func:`sample_parameters` samples every component's parameters from its own priors
  (the only NumPyro code besides the likelihood);
* :func:`components` is pure: parameters (one draw) and a design in, each component's
  contribution in scaled KPI units out. Diagnostics, results, prediction and optimization
  vmap it over posterior draws.

:func:`mmm_model` chains the two and observes the KPI. Sites (``numpyro.handlers.scope``,
``/`` as divider): ``media/adstock/<p>`` and ``media/saturation/<p>`` per channel (one
vectorized group per distinct media structure; with several groups their prefixes are
``media_0``, ``media_1``, ... in order of first appearance), ``media/share``,
``media/coef`` or ``media/roi`` (the effect, per channel; ``media/coef`` is a
deterministic site unless it is sampled),
``<baseline name>/coef`` (and ``trend/delta`` for a piecewise trend), ``kpi/sigma`` (and
``kpi/nu``), and the observed ``kpi``. Adding a component type means adding a spec class:
this module never branches on the type of a spec.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpyro
from jaxtyping import Array, Float

from mmm.features import Design, MediaSpec, group_by_structure
from mmm.modeling._effects import AbstractMediaEffect, WindowTotals
from mmm.modeling._programs import program_key
from mmm.modeling._spec import ModelSpec

__all__ = [
    "MediaGroup",
    "media_groups",
    "organic_groups",
    "unit_responses",
    "sample_parameters",
    "components",
    "Components",
    "mmm_model",
    "Site",
    "model_sites",
    "latent_sites",
]

Params = Mapping[str, Array]


class MediaGroup(NamedTuple):
    """Channels that share one media structure, transformed in one ``vmap``.

    Attributes:
        prefix: site prefix (``"media"`` for a single group, else ``"media_<i>"``).
        positions: positions of the group's channels in ``spec.channels``.
        channels: the group's channel names.
        spec: the group's :class:`MediaSpec` with priors stacked over its channels.
    """

    prefix: str
    positions: tuple[int, ...]
    channels: tuple[str, ...]
    spec: MediaSpec


def _groups(names: tuple[str, ...], specs: tuple[MediaSpec, ...], base: str) -> list[MediaGroup]:
    grouped = group_by_structure(dict(zip(names, specs, strict=True)))
    position = {c: i for i, c in enumerate(names)}
    return [
        MediaGroup(
            prefix=base if len(grouped) == 1 else f"{base}_{g}",
            positions=tuple(position[c] for c in members),
            channels=members,
            spec=stacked,
        )
        for g, (members, stacked) in enumerate(grouped)
    ]


def media_groups(spec: ModelSpec) -> list[MediaGroup]:
    """The vectorized groups of paid channels, in order of first appearance."""
    return _groups(spec.channels, spec.media, "media")


def organic_groups(spec: ModelSpec) -> list[MediaGroup]:
    """The vectorized groups of organic series (prefix ``"organic"``); empty without any."""
    return _groups(spec.organic_names, spec.organic, "organic") if spec.organic_names else []


def sample_parameters(spec: ModelSpec, design: Design) -> dict[str, Array]:
    """Sample every parameter of ``spec`` (NumPyro); returns them keyed by site name."""
    params: dict[str, Array] = {}
    blocks = [("media", spec.channels, spec.effect, media_groups(spec))]
    if spec.organic_names:
        blocks.append(("organic", spec.organic_names, spec.organic_effect, organic_groups(spec)))
    for base, names, effect, groups in blocks:
        for group in groups:
            with numpyro.plate(f"{group.prefix}/channel", len(group.channels)):
                sampled = group.spec.sample(group.prefix)
            params.update({f"{group.prefix}/{k}": v for k, v in sampled.items()})
        with numpyro.plate(f"{base}/channel", len(names)):
            sampled = effect.sample(base)
        params.update({f"{base}/{k}": v for k, v in sampled.items()})
    for baseline, features in zip(spec.baseline, design.baseline, strict=True):
        sampled = baseline.sample_for(features.shape[1])
        params.update({f"{baseline.name}/{k}": v for k, v in sampled.items()})
    params.update({f"kpi/{k}": v for k, v in spec.likelihood.sample("kpi").items()})
    return params


def _prefixed(params: Params, prefix: str) -> dict[str, Array]:
    cut = len(prefix) + 1
    return {k[cut:]: v for k, v in params.items() if k.startswith(prefix + "/")}


def unit_responses(
    groups: list[MediaGroup], params: Params, x: Float[Array, "time channel"]
) -> Float[Array, "time channel"]:
    """Each series' unit response ``u = MediaSpec.apply(x)``, shape ``(time, channel)``.

    Args:
        groups: the vectorized groups (:func:`media_groups` or :func:`organic_groups`).
        params: one draw, keyed by site name.
        x: the scaled inputs, one column per series of the groups.
    """
    columns: list[Array | None] = [None] * x.shape[1]
    for group in groups:
        # adstock/<p> and saturation/<p>; the effect's own sites have no "/".
        own = {k: v for k, v in _prefixed(params, group.prefix).items() if "/" in k}
        u = jax.vmap(group.spec.apply)(own, x[:, jnp.asarray(group.positions)].T)
        for j, i in enumerate(group.positions):
            columns[i] = u[j]
    return jnp.stack([c for c in columns if c is not None], axis=1)


def _coefficients(
    effect: AbstractMediaEffect,
    params: Params,
    unit: Float[Array, "time channel"],
    spend: Float[Array, "time channel"],
    design: Design,
    train_periods: int,
    value_per_kpi: float = 1.0,
) -> Float[Array, " channel"]:
    """``beta`` per series from the effect's parameters (training-window sums)."""
    window = WindowTotals(
        unit_sums=unit[:train_periods].sum(axis=0),
        spend_totals=spend[:train_periods].sum(axis=0),
        kpi_scale=design.scalings.kpi.scale,
        n_periods=train_periods,
        value_per_kpi=value_per_kpi,
    )
    return effect.coefficients({k: params[k] for k in effect.param_names}, window)


class Components(NamedTuple):
    """Contributions of one draw in scaled KPI units.

    Attributes:
        media: per channel, ``(time, channel)``.
        baseline: per baseline spec (in spec order), each ``(time,)``.
        coef: the media coefficients ``beta``, ``(channel,)``.
        organic: per organic series, ``(time, organic)`` (``(time, 0)`` without).
        organic_coef: their coefficients, ``(organic,)``.
        baseline_params: per baseline spec, the parameters its ``apply`` took (e.g. the
            intercept's ``coef``, implied by its sampled level).
    """

    media: Float[Array, "time channel"]
    baseline: tuple[Float[Array, " time"], ...]
    coef: Float[Array, " channel"]
    organic: Float[Array, "time organic"]
    organic_coef: Float[Array, " organic"]
    baseline_params: tuple[Params, ...]

    def total(self) -> Float[Array, " time"]:
        """The expected scaled KPI ``mu``: the sum of every component."""
        out = self.media.sum(axis=1) + self.organic.sum(axis=1)
        for b in self.baseline:
            out = out + b
        return out


@functools.partial(jax.jit, static_argnames=("train_periods",))
def components(
    spec: ModelSpec,
    params: Params,
    design: Design,
    train_periods: int | None = None,
    unit: Float[Array, "time channel"] | None = None,
) -> Components:
    """Every component's contribution for one draw of ``params`` (pure, jit/vmap-able).

    Args:
        spec: the model spec.
        params: one draw, keyed by site name (as :func:`sample_parameters` returns).
        design: the scaled design (training window, or history followed by future periods).
        train_periods: length of the training window at the start of ``design`` (for the
            ROI effect's sums); ``None`` means all of ``design`` (static).
        unit: the paid channels' unit responses on ``design``, if the caller has them
            already (:func:`unit_responses` of ``design.media``); ``None`` computes them.

    Jitted (one compiled program per spec structure and shapes), so that NumPyro's eager
    initialization runs it as one call instead of hundreds of small ones; inside another
    transformation it inlines.
    """
    n = design.media.shape[0] if train_periods is None else train_periods
    if unit is None:
        unit = unit_responses(media_groups(spec), params, design.media)
    beta = _coefficients(
        spec.effect, _prefixed(params, "media"), unit, design.spend, design, n, spec.value_per_kpi
    )
    organic, organic_beta = design.organic, jnp.zeros((0,), design.organic.dtype)
    if spec.organic_names:
        unit_o = unit_responses(organic_groups(spec), params, design.organic)
        no_spend = jnp.zeros_like(unit_o)
        organic_beta = _coefficients(
            spec.organic_effect, _prefixed(params, "organic"), unit_o, no_spend, design, n
        )
        organic = unit_o * organic_beta[None, :]
    media = unit * beta[None, :]
    media_mean = (media.sum(axis=1) + organic.sum(axis=1))[:n].mean()
    baseline_params = tuple(
        {**own, **b.coefficients(own, media_mean)}
        for b in spec.baseline
        for own in (_prefixed(params, b.name),)
    )
    baseline = tuple(
        b.apply(p, features)
        for b, p, features in zip(spec.baseline, baseline_params, design.baseline, strict=True)
    )
    return Components(
        media=media,
        baseline=baseline,
        coef=beta,
        organic=organic,
        organic_coef=organic_beta,
        baseline_params=baseline_params,
    )


def mmm_model(
    spec: ModelSpec,
    design: Design,
    kpi: Float[Array, " time"] | None = None,
    train_periods: int | None = None,
) -> None:
    """The NumPyro model of ``spec`` on ``design``; observes ``kpi`` (scaled) if given.

    Args:
        spec: the model spec.
        design: the scaled design.
        kpi: the scaled KPI to condition on, ``(time,)``; ``None`` samples it.
        train_periods: see :func:`components`.
    """
    params = sample_parameters(spec, design)
    parts = components(spec, params, design, train_periods)
    if "coef" not in spec.effect.param_names:  # a sampled site is not recorded twice
        numpyro.deterministic("media/coef", parts.coef)
    if spec.organic_names and "coef" not in spec.organic_effect.param_names:
        numpyro.deterministic("organic/coef", parts.organic_coef)
    for b, used in zip(spec.baseline, parts.baseline_params, strict=True):
        for name in sorted(set(used) - set(b.param_names)):  # implied, e.g. intercept/coef
            numpyro.deterministic(f"{b.name}/{name}", used[name])
    mu = parts.total()
    likelihood = spec.likelihood.distribution(_prefixed(params, "kpi"), mu)
    numpyro.sample("kpi", likelihood, obs=kpi)


class Site(NamedTuple):
    """A site of the model: its kind, whether it is observed, and its value's shape."""

    kind: str
    observed: bool
    shape: tuple[int, ...]


_SITES: dict[str, dict[str, Site]] = {}
""":func:`model_sites` by structure key (:func:`mmm.modeling._programs.program_key`)."""

_MAX_SITES = 64


def model_sites(spec: ModelSpec, design: Design) -> dict[str, Site]:
    """Every sample and deterministic site of the model on ``design``, in model order.

    The model is traced abstractly (``jax.make_jaxpr``): nothing is computed or compiled.
    The sites follow from the spec's structure and the design's shapes alone, so they are
    kept per structure: a fit asks twice (its checks and its start), about 0.15 s each.
    """
    dynamic, rest = eqx.partition((spec, design), eqx.is_array)
    key = program_key("model_sites", rest, jax.tree_util.tree_leaves(dynamic), None, 1)
    if key is not None and key in _SITES:
        return dict(_SITES[key])
    sites: dict[str, Site] = {}

    def run(key: Array) -> Array:
        seeded = numpyro.handlers.seed(mmm_model, key)
        trace = numpyro.handlers.trace(seeded).get_trace(spec, design, design.kpi)
        for name, site in trace.items():
            if site["type"] in ("sample", "deterministic"):
                sites[name] = Site(
                    kind=site["type"],
                    observed=bool(site.get("is_observed", False)),
                    shape=tuple(jnp.shape(site["value"])),
                )
        return jnp.zeros(())

    jax.make_jaxpr(lambda: run(jax.random.PRNGKey(0)))()  # the key traced: no eager compile
    if key is not None:
        while len(_SITES) >= _MAX_SITES:
            del _SITES[next(iter(_SITES))]
        _SITES[key] = dict(sites)
    return sites


def latent_sites(spec: ModelSpec, design: Design) -> tuple[list[str], list[str]]:
    """Names of the latent sample sites and of the deterministic sites, in model order."""
    sites = model_sites(spec, design)
    latent = [n for n, s in sites.items() if s.kind == "sample" and not s.observed]
    deterministic = [n for n, s in sites.items() if s.kind == "deterministic"]
    return latent, deterministic
