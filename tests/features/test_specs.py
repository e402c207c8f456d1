"""Feature specs: priors they own, sampling, stacking over channels, JSON round trip."""

from __future__ import annotations

import dataclasses
import json

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pytest

from mmm.features import (
    SPEC_TYPES,
    AbstractAdstock,
    AbstractSaturation,
    DelayedAdstock,
    GeometricAdstock,
    HillSaturation,
    LogisticSaturation,
    MediaSpec,
    group_by_structure,
    spec_from_dict,
    spec_to_dict,
    stack_specs,
    structure_key,
)


def _numpy_geometric(x: np.ndarray, alpha: float, l_max: int, normalize: bool) -> np.ndarray:
    w = np.array([alpha**lag for lag in range(l_max)])
    if normalize:
        w = w / w.sum()
    y = np.zeros_like(x)
    for t in range(len(x)):
        for lag in range(l_max):
            if t - lag >= 0:
                y[t] += w[lag] * x[t - lag]
    return y


def _numpy_hill(x: np.ndarray, k: float, s: float) -> np.ndarray:
    return x**s / (x**s + k**s)


def _sample_sites(fn, seed: int = 0) -> dict[str, jax.Array]:
    """Values of every sample site of ``fn``, traced inside one jit (eager sampling of Beta
    and Gamma priors is slow)."""

    def run(key: jax.Array) -> dict[str, jax.Array]:
        trace = numpyro.handlers.trace(numpyro.handlers.seed(fn, key)).get_trace()
        return {name: site["value"] for name, site in trace.items() if site["type"] == "sample"}

    return jax.jit(run)(jax.random.key(seed))


def _all_default_specs():
    return [cls() for cls in SPEC_TYPES.values()]


def test_every_registered_spec_round_trips_through_json() -> None:
    assert len(SPEC_TYPES) >= 15  # 4 adstocks, 5 saturations, MediaSpec, 6 baseline specs
    for spec in _all_default_specs():
        data = json.loads(json.dumps(spec_to_dict(spec)))
        again = spec_from_dict(data)
        assert type(again) is type(spec)
        assert spec_to_dict(again) == data
        assert structure_key(again) == structure_key(spec)


def test_custom_priors_and_static_fields_round_trip() -> None:
    spec = MediaSpec(
        adstock=GeometricAdstock(l_max=12, normalize=False, alpha=dist.Beta(2.0, 5.0)),
        saturation=LogisticSaturation(lam=dist.Gamma(2.0, 0.5)),
        order="saturation_first",
    )
    again = spec_from_dict(json.loads(json.dumps(spec_to_dict(spec))))
    assert isinstance(again, MediaSpec)
    assert again.order == "saturation_first"
    assert again.adstock.l_max == 12
    assert again.adstock.normalize is False
    alpha = again.adstock.alpha
    assert isinstance(alpha, dist.Beta)
    assert float(alpha.concentration1) == 2.0
    assert float(alpha.concentration0) == 5.0
    assert float(again.saturation.lam.rate) == 0.5


def test_bad_spec_data_is_rejected_with_the_allowed_values() -> None:
    with pytest.raises(ValueError, match="known types"):
        spec_from_dict({"type": "NoSuchAdstock"})
    with pytest.raises(ValueError, match="no field"):
        spec_from_dict({"type": "GeometricAdstock", "lmax": 3})
    with pytest.raises(ValueError, match="takes parameters"):
        spec_from_dict({"type": "GeometricAdstock", "alpha": {"distribution": "Beta", "a": 1}})
    with pytest.raises(ValueError, match="not supported"):
        spec_to_dict(GeometricAdstock(alpha=dist.TruncatedNormal(0.5, 0.1, low=0.0, high=1.0)))


def test_specs_are_frozen_and_validated_when_built() -> None:
    spec = GeometricAdstock()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.l_max = 3  # type: ignore[misc]
    with pytest.raises(ValueError, match="l_max"):
        GeometricAdstock(l_max=0)
    with pytest.raises(ValueError, match="order"):
        MediaSpec(order="backwards")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="input"):
        MediaSpec(input="clicks")  # type: ignore[arg-type]


def test_media_spec_sample_names_sites_and_respects_supports() -> None:
    spec = MediaSpec(adstock=DelayedAdstock(), saturation=HillSaturation())
    sites = _sample_sites(lambda: spec.sample("tv"))
    assert set(sites) == {
        "tv/adstock/alpha",
        "tv/adstock/theta",
        "tv/saturation/k",
        "tv/saturation/s",
    }
    assert 0 < float(sites["tv/adstock/alpha"]) < 1
    assert float(sites["tv/saturation/k"]) > 0


@pytest.mark.parametrize("order", ["adstock_first", "saturation_first"])
def test_media_spec_apply_matches_numpy_composition(order: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.gamma(2.0, 0.3, 60) * (rng.random(60) > 0.3)
    spec = MediaSpec(adstock=GeometricAdstock(l_max=6), saturation=HillSaturation(), order=order)
    params = {"adstock/alpha": 0.6, "saturation/k": 0.4, "saturation/s": 1.7}
    got = np.asarray(spec.apply({k: jnp.asarray(v) for k, v in params.items()}, jnp.asarray(x)))
    if order == "adstock_first":
        expected = _numpy_hill(_numpy_geometric(x, 0.6, 6, True), 0.4, 1.7)
    else:
        expected = _numpy_geometric(_numpy_hill(x, 0.4, 1.7), 0.6, 6, True)
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("order", ["adstock_first", "saturation_first"])
@pytest.mark.parametrize("adstock", [GeometricAdstock(l_max=5), DelayedAdstock(l_max=7)])
def test_media_spec_steady_state_is_the_response_to_constant_spend(order, adstock) -> None:
    spec = MediaSpec(adstock=adstock, saturation=HillSaturation(), order=order)
    params = {"adstock/alpha": 0.6, "adstock/theta": 1.5, "saturation/k": 0.4, "saturation/s": 1.7}
    params = {
        k: jnp.asarray(v)
        for k, v in params.items()
        if k.split("/")[1] in (*adstock.param_names, "k", "s")
    }
    levels = jnp.asarray([0.0, 0.05, 0.3, 1.0, 4.0])
    steady = np.asarray(spec.steady_state(params, levels))
    for level, got in zip(np.asarray(levels), steady, strict=True):
        series = np.asarray(spec.apply(params, jnp.full(3 * adstock.l_max, level)))
        # constant from period l_max - 1 on, equal to the steady state
        np.testing.assert_allclose(series[adstock.l_max - 1 :], got, rtol=1e-5, atol=1e-7)
    assert steady[0] == 0.0
    assert np.all(np.diff(steady) > 0)


def test_stacked_priors_keep_each_channels_prior() -> None:
    specs = [
        GeometricAdstock(alpha=dist.Beta(1.0, 3.0)),
        GeometricAdstock(alpha=dist.Beta(5.0, 2.0)),
        GeometricAdstock(alpha=dist.Beta(2.0, 2.0)),
    ]
    stacked = stack_specs(specs)
    assert stacked.alpha.batch_shape == (3,)
    value = jnp.array([0.2, 0.7, 0.5])
    expected = [float(s.alpha.log_prob(v)) for s, v in zip(specs, value, strict=True)]
    np.testing.assert_allclose(np.asarray(stacked.alpha.log_prob(value)), expected, rtol=1e-6)

    def model():
        with numpyro.plate("channel", 3):
            return stacked.sample("media/adstock")

    assert _sample_sites(model)["media/adstock/alpha"].shape == (3,)


def test_stacked_media_spec_vmaps_like_a_loop_over_channels() -> None:
    specs = {
        "tv": MediaSpec(adstock=GeometricAdstock(alpha=dist.Beta(3.0, 3.0))),
        "radio": MediaSpec(),
        "search": MediaSpec(adstock=GeometricAdstock(l_max=3)),
    }
    groups = group_by_structure(specs)
    assert [names for names, _ in groups] == [("tv", "radio"), ("search",)]
    names, stacked = groups[0]
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.random((2, 40)))
    params = {
        "adstock/alpha": jnp.array([0.3, 0.8]),
        "saturation/k": jnp.array([0.5, 0.2]),
        "saturation/s": jnp.array([1.0, 2.5]),
    }
    batched = jax.vmap(stacked.apply)(params, x)
    for i, name in enumerate(names):
        one = {k: v[i] for k, v in params.items()}
        np.testing.assert_allclose(batched[i], specs[name].apply(one, x[i]), rtol=1e-6)


def test_structure_key_separates_static_fields_and_prior_families() -> None:
    base = structure_key(GeometricAdstock())
    assert structure_key(GeometricAdstock(alpha=dist.Beta(9.0, 1.0))) == base
    assert structure_key(GeometricAdstock(l_max=4)) != base
    assert structure_key(GeometricAdstock(alpha=dist.Uniform(0.0, 1.0))) != base
    with pytest.raises(ValueError, match="different structure"):
        stack_specs([GeometricAdstock(), GeometricAdstock(l_max=4)])


def test_abstract_families_are_not_registered_and_specs_are_pytrees() -> None:
    assert "AbstractAdstock" not in SPEC_TYPES
    assert "AbstractSaturation" not in SPEC_TYPES
    assert issubclass(SPEC_TYPES["WeibullPDFAdstock"], AbstractAdstock)
    assert issubclass(SPEC_TYPES["TanhSaturation"], AbstractSaturation)
    leaves = jax.tree.leaves(MediaSpec())
    assert leaves  # the priors' parameters are leaves; static fields are not
    assert all(not isinstance(leaf, str) for leaf in leaves)
    assert isinstance(MediaSpec(), eqx.Module)
