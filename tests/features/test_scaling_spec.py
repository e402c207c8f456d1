"""Scaling choices: the alternative scalers against numpy, and ScalingSpec in designs/specs."""

import jax.numpy as jnp
import numpy as np
import pytest

from mmm.datasets import load_example
from mmm.features import (
    MaxScaling,
    MeanColumnScaling,
    MeanScaling,
    PeakScaling,
    ScalingError,
    ScalingSpec,
    build_design,
)
from mmm.modeling import ModelSpec, design_for

RNG = np.random.default_rng(0)
X = np.abs(RNG.normal(size=(40, 3))) * np.array([1.0, 1e6, 3.0])
Y = RNG.normal(loc=5.0, size=40)


def test_mean_column_scaling_matches_numpy_and_round_trips() -> None:
    s = MeanColumnScaling.fit(X)
    np.testing.assert_allclose(s.scale, np.abs(X).mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(s.transform(X).mean(axis=0), 1.0, rtol=1e-5)
    np.testing.assert_allclose(s.inverse(s.transform(X)), X, rtol=1e-5)
    again = MeanColumnScaling.from_dict(s.to_dict())
    np.testing.assert_array_equal(again.scale, s.scale)
    assert s.to_dict()["kind"] == "mean_column"
    with pytest.raises(ScalingError, match="kind"):
        MaxScaling.from_dict(s.to_dict())


def test_peak_scaling_matches_numpy_and_round_trips() -> None:
    s = PeakScaling.fit(Y)
    assert float(s.scale) == pytest.approx(np.abs(Y).max(), rel=1e-6)
    assert float(jnp.abs(s.transform(Y)).max()) == pytest.approx(1.0, rel=1e-6)
    assert float(PeakScaling.from_dict(s.to_dict()).scale) == float(s.scale)
    with pytest.raises(ScalingError, match="kind"):
        MeanScaling.from_dict(s.to_dict())


def test_alternative_scalers_reject_zero_data_naming_the_column() -> None:
    zero_column = X.copy()
    zero_column[:, 1] = 0.0
    with pytest.raises(ScalingError, match="column 1"):
        MeanColumnScaling.fit(zero_column)
    with pytest.raises(ScalingError, match="all zero"):
        PeakScaling.fit(np.zeros(5))


def test_scaling_spec_rejects_unknown_choices() -> None:
    with pytest.raises(ValueError, match=r"ScalingSpec\(kpi='median'\).*'mean', 'peak'"):
        ScalingSpec(kpi="median")
    with pytest.raises(ValueError, match=r"media='sum'"):
        ScalingSpec(media="sum")


def test_design_follows_the_scaling_spec() -> None:
    ds = load_example("pymc_marketing")
    kpi = np.abs(ds.frame[ds.kpi_column].to_numpy())
    spend = ds.frame.select([f"spend__{c}" for c in ds.channels]).to_numpy()
    default = build_design(ds)
    np.testing.assert_allclose(np.asarray(default.kpi).mean(), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(default.media).max(axis=0), 1.0, rtol=1e-6)
    chosen = build_design(ds, scaling=ScalingSpec(kpi="peak", media="mean"))
    np.testing.assert_allclose(np.abs(np.asarray(chosen.kpi)).max(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(float(chosen.scalings.kpi.scale), kpi.max(), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(chosen.media).mean(axis=0), 1.0, rtol=1e-5)
    np.testing.assert_allclose(chosen.scalings.media.scale, spend.mean(axis=0), rtol=1e-6)
    # Held-out periods reuse the training scalings whatever the choice.
    again = build_design(ds, scalings=chosen.scalings)
    np.testing.assert_array_equal(np.asarray(again.media), np.asarray(chosen.media))


def test_model_spec_carries_the_scaling_through_json_and_design() -> None:
    ds = load_example("pymc_marketing")
    spec = ModelSpec.default(ds, scaling=ScalingSpec(media="mean"))
    back = ModelSpec.from_json(spec.to_json())
    assert back.scaling == ScalingSpec(media="mean")
    design = design_for(back, ds)
    assert isinstance(design.scalings.media, MeanColumnScaling)
    assert isinstance(design.scalings.kpi, MeanScaling)
    assert ModelSpec.default(ds).scaling == ScalingSpec()
