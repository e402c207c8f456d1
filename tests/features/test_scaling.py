"""Scalers: fitted factors, exact round trips, pytrees under jit, guards, JSON round trips."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mmm.features._scaling import MaxScaling, MeanScaling, ScalingError, Standardization

RNG = np.random.default_rng(42)
CONTROLS = (RNG.normal(size=(60, 3)) * np.array([1.0, 50.0, 0.01]) + [0.0, 1000.0, -3.0]).astype(
    np.float32
)
SPEND = (RNG.gamma(2.0, 1.0, size=(60, 4)) * np.array([1e3, 10.0, 1e5, 0.5])).astype(np.float32)
KPI = (1e4 + 500 * RNG.normal(size=60)).astype(np.float32)

SCALERS: dict[str, tuple[Any, np.ndarray]] = {
    "standardization": (Standardization, CONTROLS),
    "max": (MaxScaling, SPEND),
    "mean": (MeanScaling, KPI),
}


@pytest.fixture(params=list(SCALERS))
def fitted(request: pytest.FixtureRequest) -> tuple[Any, np.ndarray]:
    cls, data = SCALERS[request.param]
    return cls.fit(data), data


# --- fitted factors against numpy ------------------------------------------------------------


def test_standardization_factors_and_moments() -> None:
    s = Standardization.fit(CONTROLS)
    x64 = CONTROLS.astype(np.float64)
    np.testing.assert_allclose(s.mean, x64.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(s.scale, x64.std(axis=0, ddof=0), rtol=1e-6)
    z = np.asarray(s.transform(CONTROLS), dtype=np.float64)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(z.std(axis=0), 1.0, rtol=1e-4)


def test_max_scaling_factors() -> None:
    s = MaxScaling.fit(SPEND)
    np.testing.assert_allclose(s.scale, SPEND.max(axis=0), rtol=1e-7)
    z = np.asarray(s.transform(SPEND))
    np.testing.assert_allclose(z.max(axis=0), 1.0, rtol=1e-6)
    assert z.min() >= 0.0


def test_mean_scaling_factor() -> None:
    s = MeanScaling.fit(KPI)
    assert s.scale.shape == ()
    np.testing.assert_allclose(s.scale, np.abs(KPI.astype(np.float64)).mean(), rtol=1e-6)
    np.testing.assert_allclose(np.abs(np.asarray(s.transform(KPI))).mean(), 1.0, rtol=1e-5)


# --- round trips, jit, pytrees ----------------------------------------------------------------


def test_round_trip_is_identity_in_float32(fitted: tuple[Any, np.ndarray]) -> None:
    scaler, data = fitted
    z = scaler.transform(data)
    assert z.dtype == jnp.float32
    assert z.shape == data.shape
    np.testing.assert_allclose(scaler.inverse(z), data, rtol=1e-6, atol=1e-6 * np.abs(data).max())
    # and the other way round
    np.testing.assert_allclose(scaler.transform(scaler.inverse(z)), z, rtol=1e-5, atol=1e-5)


def test_jit_with_the_scaler_as_argument(fitted: tuple[Any, np.ndarray]) -> None:
    scaler, data = fitted
    traces = 0

    @jax.jit
    def round_trip(s: Any, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        nonlocal traces
        traces += 1
        z = s.transform(x)
        return z, s.inverse(z)

    z, back = round_trip(scaler, data)
    np.testing.assert_allclose(z, scaler.transform(data), rtol=1e-6)
    np.testing.assert_allclose(back, scaler.inverse(scaler.transform(data)), rtol=1e-6)
    # A scaler with other values but the same shapes reuses the compiled function.
    round_trip(jax.tree_util.tree_map(lambda a: a * 2, scaler), data)
    assert traces == 1


def test_scalers_are_pytrees_of_arrays(fitted: tuple[Any, np.ndarray]) -> None:
    scaler, _ = fitted
    leaves = jax.tree_util.tree_leaves(scaler)
    assert leaves
    assert all(isinstance(leaf, jax.Array) for leaf in leaves)
    with pytest.raises(dataclasses.FrozenInstanceError):
        scaler.scale = jnp.ones(3)


def test_leading_axes_are_scaled_column_by_column() -> None:
    s = Standardization.fit(CONTROLS)
    draws = np.stack([CONTROLS, 2 * CONTROLS])  # (draw, time, control)
    z = s.transform(draws)
    assert z.shape == draws.shape
    np.testing.assert_allclose(z[1], s.transform(2 * CONTROLS), rtol=1e-6)
    m = MaxScaling.fit(SPEND)
    np.testing.assert_allclose(m.inverse(m.transform(SPEND[0])), SPEND[0], rtol=1e-6)


def test_json_round_trip(fitted: tuple[Any, np.ndarray]) -> None:
    scaler, data = fitted
    payload = json.loads(json.dumps(scaler.to_dict()))
    loaded = type(scaler).from_dict(payload)
    assert eqx.tree_equal(loaded, scaler)
    np.testing.assert_array_equal(loaded.transform(data), scaler.transform(data))


# --- guards -----------------------------------------------------------------------------------


def test_constant_control_names_its_column() -> None:
    x = CONTROLS.copy()
    x[:, 2] = 7.0
    with pytest.raises(ScalingError, match=r"column 2 is constant.*drop the column") as info:
        Standardization.fit(x)
    assert isinstance(info.value, ValueError)


def test_all_zero_channel_names_its_column() -> None:
    x = SPEND.copy()
    x[:, 1] = 0.0
    with pytest.raises(ValueError, match=r"column 1 is all zero.*drop the channel"):
        MaxScaling.fit(x)


def test_all_zero_kpi_is_refused() -> None:
    with pytest.raises(ScalingError, match=r"KPI\) is all zero.*check the KPI"):
        MeanScaling.fit(np.zeros(10))


@pytest.mark.parametrize("cls", [Standardization, MaxScaling])
def test_non_finite_values_name_their_column(cls: Any) -> None:
    x = SPEND.copy()
    x[5, 3] = np.nan
    with pytest.raises(ScalingError, match=r"column 3 has NaN or infinite.*fill or drop"):
        cls.fit(x)


@pytest.mark.parametrize(
    ("cls", "data"),
    [
        (Standardization, np.zeros(5)),
        (MaxScaling, np.zeros((0, 2))),
        (MeanScaling, np.ones((5, 2))),
    ],
)
def test_wrong_training_shapes_are_refused(cls: Any, data: np.ndarray) -> None:
    with pytest.raises(ScalingError, match="shape"):
        cls.fit(data)


def test_wrong_number_of_columns_is_refused() -> None:
    s = MaxScaling.fit(SPEND)
    with pytest.raises(ValueError, match="fitted on 4 columns"):
        s.transform(SPEND[:, :3])


@pytest.mark.parametrize(
    ("cls", "payload", "match"),
    [
        (MaxScaling, {"kind": "mean", "scale": 1.0}, "kind='max'"),
        (Standardization, {"kind": "standardization", "mean": [0.0]}, "missing"),
        (MaxScaling, {"kind": "max", "scale": [1.0, 0.0]}, "column 1 has a scale <= 0"),
        (MeanScaling, {"kind": "mean", "scale": [1.0]}, "one scalar"),
        (Standardization, {"kind": "standardization", "mean": [0.0], "scale": [1.0, 2.0]}, "per"),
    ],
)
def test_bad_dicts_are_refused(cls: Any, payload: dict, match: str) -> None:
    with pytest.raises(ScalingError, match=match):
        cls.from_dict(payload)
