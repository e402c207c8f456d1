"""Warm starts: fit(..., init=...) starts NUTS/HMC chains and SVI guides at given values."""

from __future__ import annotations

import datetime as dt

import equinox as eqx
import jax
import numpy as np
import pytest
from numpyro.distributions.transforms import biject_to

from mmm.datasets import simulate
from mmm.modeling import FittedMMM, ModelSpec, design_for, fit
from mmm.modeling._mcmc import (
    INIT_JITTER,
    WARM_JITTER,
    latent_supports,
    prior_centre,
    starting_point,
    warm_start,
)

START = dt.date(2023, 1, 2)
QUICK = {"chains": 2, "draws": 60, "tune": 60}  # as tests/modeling/test_fit.py: one program


@pytest.fixture(scope="module")
def spec(small_ds) -> ModelSpec:
    return ModelSpec.default(small_ds)


@pytest.fixture(scope="module")
def base(spec, small_ds) -> FittedMMM:
    return fit(spec, small_ds, seed=1, **QUICK)


@pytest.fixture(scope="module")
def medians(base) -> dict[str, np.ndarray]:
    return {k: np.median(v, axis=(0, 1)) for k, v in base.free_samples().items()}


def _unconstrained(spec, design, values) -> dict[str, np.ndarray]:
    supports = latent_supports(spec, design)
    return {k: np.asarray(biject_to(supports[k]).inv(np.asarray(v))) for k, v in values.items()}


def test_start_is_within_the_warm_jitter_of_init(spec, small_ds, medians) -> None:
    design = design_for(spec, small_ds)
    given = {k: medians[k] for k in ("media/adstock/alpha", "kpi/sigma")}
    shapes = {k: v.shape for k, v in medians.items()}
    start = warm_start(shapes, {k: jax.numpy.asarray(v) for k, v in given.items()}, np.float32)
    z0 = eqx.filter_jit(starting_point)((spec, design), jax.random.PRNGKey(0), start)
    target = _unconstrained(spec, design, given)
    prior = prior_centre(spec, design)
    for name, value in z0.items():
        centre, bound = (target[name], WARM_JITTER) if name in given else (prior[name], INIT_JITTER)
        offset = np.abs(np.asarray(value) - centre)
        assert np.all(offset <= bound + 1e-6), name
        assert np.all(offset > 0), name
    # The given sites are far from the prior means: the start did move them.
    assert np.max(np.abs(target["media/adstock/alpha"] - prior["media/adstock/alpha"])) > 0.5


@pytest.mark.slow
def test_hmc_chains_start_at_init(spec, small_ds, medians, base) -> None:
    """One HMC transition of one leapfrog step from the start: the draw is the start, nearly."""
    kw = {"method": "hmc", "chains": 2, "tune": 0, "draws": 1, "hmc_steps": 1, "seed": 4}
    cold = fit(spec, small_ds, **kw)
    warm = fit(spec, small_ds, init=medians, **kw)
    assert warm.info.settings["warm_start"] is True
    assert cold.info.settings["warm_start"] is False
    target = _unconstrained(spec, base.design, medians)
    far = 0.0
    for name in medians:
        at_warm = _unconstrained(spec, base.design, {name: warm.samples[name][:, 0]})[name]
        at_cold = _unconstrained(spec, base.design, {name: cold.samples[name][:, 0]})[name]
        # Jitter (0.1) plus one small leapfrog step (measured: 0.1 at most).
        assert np.max(np.abs(at_warm - target[name])) < 0.25, name
        far = max(far, float(np.max(np.abs(at_cold - target[name]))))
    assert far > 0.75  # a cold start begins far from the posterior


def test_warm_refit_compiles_nothing(spec, small_ds, medians, base, compile_counter) -> None:
    warm = fit(spec, small_ds, seed=2, init=medians, **QUICK)
    # Other data values and other dates (a later window of the same length).
    other, _ = simulate(
        n_weeks=104, n_channels=3, seed=4, n_controls=1, n_events=1, start_date=START
    )
    assert other.start != small_ds.start
    medians_warm = {k: np.median(v, axis=(0, 1)) for k, v in warm.free_samples().items()}
    with compile_counter() as counter:
        refit = fit(ModelSpec.default(other), other, seed=3, init=medians_warm, **QUICK)
    assert counter["n"] == 0
    assert refit.info.settings["warm_start"] is True
    assert refit.samples["media/share"].shape == (2, 60, 3)


def test_same_seed_and_init_same_draws(spec, small_ds, medians) -> None:
    a = fit(spec, small_ds, seed=5, init=medians, **QUICK)
    b = fit(spec, small_ds, seed=5, init=medians, **QUICK)
    for k in a.samples:
        np.testing.assert_array_equal(a.samples[k], b.samples[k], err_msg=k)
    cold = fit(spec, small_ds, seed=5, **QUICK)
    assert not np.allclose(a.samples["media/share"], cold.samples["media/share"])


@pytest.mark.slow
def test_map_starts_at_init(spec, small_ds, medians) -> None:
    """One Adam step of 0.01 from the init: the MAP estimate is the init to within 0.01."""
    partial_init = {k: v for k, v in medians.items() if k != "kpi/sigma"}
    f = fit(spec, small_ds, method="map", svi_steps=1, learning_rate=0.01, init=partial_init)
    assert f.info.settings["warm_start"] is True
    estimate = _unconstrained(spec, f.design, {k: v[0, 0] for k, v in f.free_samples().items()})
    target = _unconstrained(spec, f.design, partial_init)
    for name, value in target.items():
        np.testing.assert_allclose(estimate[name], value, atol=0.0101, err_msg=name)
    # The site not given starts at its prior mean (plus the one step).
    prior = prior_centre(spec, f.design)
    np.testing.assert_allclose(estimate["kpi/sigma"], prior["kpi/sigma"], atol=0.0101)
    assert np.max(np.abs(prior["media/adstock/alpha"] - target["media/adstock/alpha"])) > 0.5


def test_invalid_init_fails_before_sampling(spec, small_ds, medians) -> None:
    latent = list(medians)
    with pytest.raises(ValueError, match=r"\['media/coef'\], which are not latent") as err:
        fit(spec, small_ds, init={"media/coef": np.ones(3)})
    for name in latent:
        assert name in str(err.value)
    with pytest.raises(
        ValueError, match=r"init\['media/adstock/alpha'\] has shape \(2,\), the site has shape"
    ) as err:
        fit(spec, small_ds, init={"media/adstock/alpha": np.full(2, 0.5)})
    assert "(3,)" in str(err.value)
    with pytest.raises(ValueError, match="has shape \\(2, 60\\)"):
        fit(spec, small_ds, init={"kpi/sigma": np.ones((2, 60))})
    for name, value in (
        ("media/adstock/alpha", np.array([0.5, 1.5, 0.5])),  # Beta: outside [0, 1]
        ("media/adstock/alpha", np.array([0.5, 1.0, 0.5])),  # on the boundary
        ("kpi/sigma", np.array(-1.0)),  # half-normal: negative
        ("yearly/coef", np.array([0.0, np.nan, 0.0, 0.0])),
    ):
        with pytest.raises(ValueError, match=rf"init\['{name}'\].*outside the support"):
            fit(spec, small_ds, init={name: value})
