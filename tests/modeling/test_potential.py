"""The samplers' potential: NumPyro's exact one up to a constant, for every kind of prior."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pytest
from numpyro.infer.util import potential_energy

from mmm.features import (
    DelayedAdstock,
    GeometricAdstock,
    HillSaturation,
    MediaSpec,
    MichaelisMentenSaturation,
    PiecewiseTrend,
    PowerSaturation,
    TanhSaturation,
    WeibullCDFAdstock,
    WeibullPDFAdstock,
)
from mmm.modeling import ModelSpec, ROIEffect, StudentTLikelihood, design_for, mmm_model
from mmm.modeling._mcmc import prior_centre
from mmm.modeling._potential import log_density, sampler_potential


def _with_piecewise_trend(spec: ModelSpec) -> ModelSpec:
    baseline = tuple(PiecewiseTrend() if b.name == "trend" else b for b in spec.baseline)
    return dataclasses.replace(spec, baseline=baseline)


def _specs(ds) -> dict[str, ModelSpec]:
    c1, c2, c3 = ds.channels
    return {
        "default": ModelSpec.default(ds),
        "every adstock and saturation": ModelSpec.default(
            ds,
            media={
                c1: MediaSpec(DelayedAdstock(), HillSaturation()),
                c2: MediaSpec(WeibullCDFAdstock(), MichaelisMentenSaturation()),
                c3: MediaSpec(WeibullPDFAdstock(), TanhSaturation()),
            },
        ),
        "roi, student t, power, piecewise trend": _with_piecewise_trend(
            ModelSpec.default(
                ds,
                media=MediaSpec(GeometricAdstock(), PowerSaturation()),
                effect=ROIEffect(),
                likelihood=StudentTLikelihood(),
            )
        ),
    }


@pytest.mark.parametrize(
    "name", ["default", "every adstock and saturation", "roi, student t, power, piecewise trend"]
)
def test_the_sampler_potential_is_numpyros_up_to_a_constant(small_ds, name) -> None:
    """Same gradient everywhere, and a difference that does not move from point to point.

    At the prior centre and at 6 random points around it (unconstrained, +-1.5 per
    coordinate), for specs that between them use every prior family of the features.
    """
    spec = _specs(small_ds)[name]
    design = design_for(spec, small_ds)
    args = (spec, design, design.kpi)

    @jax.jit
    def both(z):
        exact = jax.value_and_grad(lambda v: potential_energy(mmm_model, args, {}, v))(z)
        ours = jax.value_and_grad(lambda v: sampler_potential(spec, design, v))(z)
        return exact, ours

    centre = prior_centre(spec, design)
    rng = np.random.default_rng(0)
    gaps, magnitudes = [], []
    for i in range(7):
        z = {
            k: v + (0.0 if i == 0 else rng.uniform(-1.5, 1.5, np.shape(v)).astype(v.dtype))
            for k, v in centre.items()
        }
        (pe, grad), (ours, our_grad) = both(z)
        assert np.isfinite(float(pe))
        gaps.append(float(ours) - float(pe))
        magnitudes.append(abs(float(pe)))
        for site in grad:
            scale = max(1.0, float(np.max(np.abs(grad[site]))))
            np.testing.assert_allclose(our_grad[site], grad[site], atol=1e-5 * scale, err_msg=site)
    # the dropped normalizing constants: not zero for these priors, and constant
    assert abs(gaps[0]) > 1e-3
    # (to the rounding of the potential itself: float32, 8 units in the last place)
    ulp = float(np.spacing(np.asarray(max(magnitudes), design.kpi.dtype)))
    np.testing.assert_allclose(gaps, gaps[0], rtol=0, atol=8 * ulp)


@pytest.mark.parametrize(
    "prior",
    [
        dist.Beta(2.5, 4.0),
        dist.Beta(1.0, 3.0),
        dist.Gamma(3.0, 1.5),
        dist.Gamma(jnp.array([0.7, 2.0]), jnp.array([1.0, 0.2])),
        dist.Gamma(2.0, 1.0).expand((3,)).to_event(1),
        dist.Chi2(4.0),
        dist.LogNormal(0.3, 0.8),  # no kernel registered: the exact density
    ],
)
def test_log_density_without_constants_differs_by_a_constant(prior) -> None:
    values = jax.vmap(prior.sample)(jax.random.split(jax.random.PRNGKey(1), 50))
    # one value at a time, as the model scores a site
    exact = np.asarray(jax.vmap(prior.log_prob)(values), np.float64)
    kernel = np.asarray(
        jax.vmap(lambda v: log_density(prior, v, constants=False))(values), np.float64
    )
    assert kernel.shape == exact.shape
    gap = kernel - exact
    np.testing.assert_allclose(gap, np.broadcast_to(gap[:1], gap.shape), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    ("prior", "outside", "edges"),
    [
        (dist.Beta(0.5, 0.5), [-0.1, 1.5], [0.0, 1.0]),  # infinite density at the edges
        (dist.Gamma(0.5, 1.0), [-1.0], [0.0]),
        (dist.Chi2(1.0), [-2.0], [0.0]),
    ],
)
def test_log_density_without_constants_keeps_the_support(prior, outside, edges) -> None:
    """Outside the support -inf, as NumPyro's support check gives; on an edge where the
    density is infinite (a value rounded onto it: the sigmoid or exp of a large
    unconstrained value) -inf too, never +inf, which a sampler would take for a mode
    (NumPyro's Beta gives +inf at 0 and 1)."""

    def kernel(values):
        return jax.vmap(lambda v: log_density(prior, v, constants=False))(jnp.asarray(values))

    np.testing.assert_array_equal(kernel(outside), -np.inf)
    np.testing.assert_array_equal(jax.vmap(prior.log_prob)(jnp.asarray(outside)), -np.inf)
    np.testing.assert_array_equal(kernel(edges), -np.inf)
