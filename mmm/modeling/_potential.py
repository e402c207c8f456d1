r"""The samplers' potential: the model's negative log density up to an additive constant.

NUTS and HMC only ever use differences and gradients of the potential, so any term that
does not depend on the latent values can go. Every latent site of :func:`mmm_model` is
drawn from a prior a spec owns (:meth:`mmm.features.AbstractSpec.sample`: fixed
distributions, whose parameters are data of the spec, never other latent values), so the
normalizing constants of those priors are such terms. Two of the default priors carry
expensive ones: a Beta's :math:`-\log B(a, b)` (NumPyro 0.22 evaluates it twice, through
``betaln`` and through a Dirichlet's three ``gammaln``) and a Gamma's
:math:`k \log r - \log\Gamma(k)`. NumPyro also checks every value against its
distribution's support (on by default), which on the real line asks only that the value
be finite. Without both, the chain program of the default model on
``plr_small_business`` compiles about 7% faster (a cold fit is mostly compilation), and
the draws are those of the same posterior.

:func:`log_density` is a site's log density, exact or (``constants=False``) up to a
constant in its value; :class:`sampler_densities` is the NumPyro handler that scores
every sample site with it: latent sites without constants, the observed KPI and the
change-of-variables terms exact.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from jax.scipy.special import xlog1py, xlogy
from jaxtyping import Array, ArrayLike
from numpyro.distributions import constraints
from numpyro.distributions.util import sum_rightmost
from numpyro.infer.util import potential_energy

from mmm.features import Design
from mmm.modeling._model import mmm_model
from mmm.modeling._spec import ModelSpec

__all__ = ["log_density", "sampler_densities", "sampler_potential"]


@functools.singledispatch
def log_density(fn: dist.Distribution, value: ArrayLike, *, constants: bool = True) -> Array:
    """``fn.log_prob(value)``; ``constants=False``: up to a term constant in ``value``.

    Shaped as ``log_prob``. The default is the exact ``log_prob`` (a constant may stay: it is
    allowed, not required); families whose normalizing constant is costly register a kernel.
    NumPyro's support check (on by default: the density masked to ``-inf`` outside the
    support) is skipped where it cannot change anything: on the real line, where it only
    asks for a finite, non-NaN value (and a NaN or infinite one gives a NaN or infinite
    density anyway), and in the registered kernels, which mask their own support.
    """
    if fn.support is constraints.real and fn._validate_args:
        fn = copy.copy(fn)
        fn._validate_args = False
    return fn.log_prob(value)


def _masked(inside: Array, kernel: Array) -> Array:
    """``kernel`` inside the support, ``-inf`` outside (as NumPyro's support check)."""
    return jnp.where(inside, kernel, -jnp.inf)


@log_density.register
def _beta(fn: dist.Beta, value: ArrayLike, *, constants: bool = True) -> Array:
    if constants:
        return fn.log_prob(value)
    # (a - 1) log x + (b - 1) log(1 - x), without -log B(a, b). Covers BetaProportion.
    x = jnp.asarray(value)
    kernel = xlogy(fn.concentration1 - 1.0, x) + xlog1py(fn.concentration0 - 1.0, -x)
    return _masked((x > 0) & (x < 1), kernel)


@log_density.register
def _gamma(fn: dist.Gamma, value: ArrayLike, *, constants: bool = True) -> Array:
    if constants:
        return fn.log_prob(value)
    # (k - 1) log x - r x, without k log r - log Gamma(k). Covers Chi2.
    x = jnp.asarray(value)
    kernel = xlogy(fn.concentration - 1.0, x) - fn.rate * x
    return _masked(x > 0, kernel)


@log_density.register
def _independent(fn: dist.Independent, value: ArrayLike, *, constants: bool = True) -> Array:
    inner = log_density(fn.base_dist, value, constants=constants)
    return sum_rightmost(inner, fn.reinterpreted_batch_ndims)


@log_density.register
def _expanded(fn: dist.ExpandedDistribution, value: ArrayLike, *, constants: bool = True) -> Array:
    # as ExpandedDistribution.log_prob: the base's density broadcast to the batch shape
    batch = jnp.shape(value)[: max(jnp.ndim(value) - fn.event_dim, 0)]
    shape = jax.lax.broadcast_shapes(fn.batch_shape, batch)
    return jnp.broadcast_to(log_density(fn.base_dist, value, constants=constants), shape)


class _Scored(dist.Distribution):
    """``fn`` scored by :func:`log_density`; same support, shapes and sampler."""

    def __init__(self, fn: dist.Distribution, constants: bool):
        self.fn = fn
        self.constants = constants
        super().__init__(fn.batch_shape, fn.event_shape, validate_args=False)

    @property
    def support(self) -> Any:
        return self.fn.support

    def sample(self, key: Array, sample_shape: tuple[int, ...] = ()) -> Array:
        return self.fn.sample(key, sample_shape)

    def log_prob(self, value: ArrayLike) -> Array:
        return log_density(self.fn, value, constants=self.constants)


class sampler_densities(numpyro.primitives.Messenger):
    """NumPyro handler: every sample site scored by :func:`log_density`.

    Latent sites without their priors' constants (``constants=False``), observed ones
    exact. Only for models whose latent sites are drawn from fixed priors (as
    :func:`mmm_model`'s): a prior whose parameters depend on another latent value would
    lose terms that are not constant.
    """

    def process_message(self, msg: dict[str, Any]) -> None:
        if msg["type"] == "sample":
            msg["fn"] = _Scored(msg["fn"], constants=msg["is_observed"])


def sampler_potential(spec: ModelSpec, design: Design, z: dict[str, Array]) -> Array:
    """The potential NUTS and HMC run on, at unconstrained latent values ``z``.

    NumPyro's ``potential_energy`` of :func:`mmm_model` (minus the log joint density of the
    KPI and the latent values, with the log-Jacobians of the maps to unconstrained space)
    with every site scored by :func:`log_density` (:class:`sampler_densities`): equal to it
    up to a constant.
    """
    return potential_energy(sampler_densities(mmm_model), (spec, design, design.kpi), {}, z)
