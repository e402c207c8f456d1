"""SVI, MAP and Laplace as one compiled program per model structure and settings.

The guide is built, initialised, optimised (a ``lax.scan`` of NumPyro's
``SVI.stable_update``) and sampled inside one ``equinox.filter_jit`` program whose
arguments are the spec, the design, the key and the starting values: a second fit of a
spec with the same structure, on data of the same shapes (at any dates) and with the same
settings, compiles nothing. It is compiled with the settings' XLA options
(:mod:`mmm.modeling._compile`). The steps are those of ``SVI.run(..., stable_update=True)``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import optax
from numpyro.infer import SVI, Predictive, Trace_ELBO, init_to_mean
from numpyro.infer.autoguide import (
    AutoDelta,
    AutoGuide,
    AutoLaplaceApproximation,
    AutoLowRankMultivariateNormal,
    AutoNormal,
)

from mmm.features import Design
from mmm.modeling._compile import CompilerOptions, jitted
from mmm.modeling._mcmc import Start, unlabelled
from mmm.modeling._model import mmm_model
from mmm.modeling._spec import ModelSpec

__all__ = ["SVISettings", "run_variational"]


class SVISettings(NamedTuple):
    """Static settings of a variational fit (hashable: part of the compilation key)."""

    method: str
    """``"svi"``, ``"map"`` or ``"laplace"``."""
    steps: int
    learning_rate: float
    guide: str
    """``"mean_field"`` or ``"low_rank"`` (SVI only)."""
    rank: int | None
    num_particles: int
    draws: int
    """Draws taken from the fitted approximation (1 for MAP)."""
    progress: bool
    compiler_options: CompilerOptions = ()
    """XLA options of the program (:func:`mmm.modeling._compile.compiler_options`)."""


def _value_or_mean(site: dict[str, Any] | None = None, start: Start | None = None) -> Any:
    """The site's value in ``start`` where it is flagged as given, else its prior mean.

    The choice is a ``jnp.where`` on traced flags, so every start runs the same program.
    """
    if site is None:
        return partial(_value_or_mean, start=start)
    mean = init_to_mean(site)
    if start is None or mean is None or site["name"] not in start.values:
        return mean
    name = site["name"]
    return jnp.where(start.given[name], start.values[name], mean)


def _guide(settings: SVISettings, start: Start) -> AutoGuide:
    strategy = partial(_value_or_mean, start=start)  # a partial, as NumPyro expects
    if settings.method == "map":
        return AutoDelta(mmm_model, init_loc_fn=strategy)
    if settings.method == "laplace":
        return AutoLaplaceApproximation(mmm_model, init_loc_fn=strategy)
    if settings.guide == "low_rank":
        return AutoLowRankMultivariateNormal(mmm_model, init_loc_fn=strategy, rank=settings.rank)
    return AutoNormal(mmm_model, init_loc_fn=strategy, init_scale=0.05)


_BAR: dict[str, Any] = {}


def _tick(done: np.ndarray) -> None:
    """Host callback: advance the progress bar."""
    bar = _BAR.get("bar")
    if bar is not None:
        bar.n = int(done)
        bar.refresh()


def _program(
    spec: ModelSpec,
    design: Design,
    key: jax.Array,
    start: Start,
    settings: SVISettings,
    sites: tuple[str, ...],
) -> tuple[dict[str, jax.Array], jax.Array]:
    guide = _guide(settings, start)
    optimizer = optax.chain(optax.clip_by_global_norm(10.0), optax.adam(settings.learning_rate))
    particles = 1 if settings.method in ("map", "laplace") else settings.num_particles
    svi = SVI(mmm_model, guide, numpyro.optim.optax_to_numpyro(optimizer), Trace_ELBO(particles))
    fit_key, draw_key = jax.random.split(key)
    state = svi.init(fit_key, spec, design, design.kpi)
    every = max(1, settings.steps // 50)

    def step(state: Any, i: jax.Array) -> tuple[Any, jax.Array]:
        state, loss = svi.stable_update(state, spec, design, design.kpi)
        if settings.progress:
            jax.lax.cond(
                (i + 1) % every == 0,
                lambda: jax.debug.callback(_tick, i + 1),
                lambda: None,
            )
        return state, loss

    state, losses = jax.lax.scan(step, state, jax.numpy.arange(settings.steps))
    params = svi.get_params(state)
    if settings.method == "laplace":
        # As a guide the Laplace approximation is a point mass at the mode (that is what
        # SVI optimizes); its Normal (inverse Hessian at the mode, in the unconstrained
        # space) is only in ``sample_posterior``.
        # One draw per key, vmapped: NumPyro's batched draw adds (n,) to (draws, n).
        keys = jax.random.split(draw_key, settings.draws)
        latent = jax.vmap(lambda k: guide.sample_posterior(k, params, spec, design, design.kpi))(
            keys
        )
        predictive = Predictive(mmm_model, posterior_samples=latent, return_sites=list(sites))
    else:
        predictive = Predictive(
            mmm_model,
            guide=guide,
            params=params,
            num_samples=settings.draws,
            return_sites=list(sites),
        )
    return predictive(draw_key, spec, design, None), losses


def run_variational(
    spec: ModelSpec,
    design: Design,
    key: jax.Array,
    start: Start,
    settings: SVISettings,
    sites: tuple[str, ...],
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Fit the approximation and draw from it.

    Args:
        spec: the model.
        design: its data.
        key: PRNG key (split into an optimisation and a drawing key).
        start: the starting values (:func:`mmm.modeling._mcmc.warm_start`; its jitter is
            not used: the guide starts exactly there, the rest at the prior means).
        settings: the static settings.
        sites: the latent and deterministic sites to return.

    Returns:
        Draws ``(draws, ...)`` per site and the loss per step.
    """
    bar: Callable[..., Any] | None = None
    if settings.progress:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]

        bar = tqdm(total=settings.steps, desc=settings.method.upper(), file=sys.stderr)
    _BAR["bar"] = bar
    try:
        program = jitted(_program, settings.compiler_options)
        drawn, losses = program(spec, unlabelled(design), key, start, settings, sites)
        drawn = jax.block_until_ready(drawn)
    finally:
        _BAR.pop("bar", None)
        if bar is not None:
            bar.close()  # type: ignore[attr-defined]
    return {k: np.asarray(v) for k, v in drawn.items()}, np.asarray(losses)
