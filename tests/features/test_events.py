"""Event windows against a numpy loop."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mmm.features._events import event_window


def ref_window(x: np.ndarray, pre: int, post: int) -> np.ndarray:
    n = len(x)
    y = np.array(x, dtype=float)
    for tau in range(n):  # each event spreads its value to [tau - pre, tau + post]
        for t in range(max(0, tau - pre), min(n, tau + post + 1)):
            y[t] = max(y[t], x[tau])
    return y


@pytest.mark.parametrize(("pre", "post"), [(0, 0), (1, 0), (0, 2), (2, 3), (4, 1), (30, 30)])
def test_matches_numpy_loop(pre: int, post: int) -> None:
    rng = np.random.default_rng(pre * 10 + post)
    x = np.where(rng.random(25) < 0.15, rng.uniform(0.5, 3.0, 25), 0.0)
    x[0] = 1.0
    x[-1] = 2.0  # events at the edges
    got = event_window(x, pre=pre, post=post)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, ref_window(x, pre, post), rtol=1e-6)


def test_zero_width_is_identity_and_window_never_lowers() -> None:
    x = jnp.array([0.0, 2.0, 0.0, 0.0, 1.0, -1.0])
    np.testing.assert_array_equal(event_window(x), x)
    y = event_window(x, pre=2, post=2)
    assert bool(jnp.all(y >= x))
    np.testing.assert_array_equal(y, [2.0, 2.0, 2.0, 2.0, 1.0, 1.0])


def test_consecutive_event_days_stay_an_indicator() -> None:
    x = jnp.array([0, 0, 1, 1, 1, 0, 0, 0, 0], dtype=jnp.float32)
    y = event_window(x, pre=1, post=2)
    np.testing.assert_array_equal(y, [0, 1, 1, 1, 1, 1, 1, 0, 0])


def test_integer_input_becomes_float() -> None:
    y = event_window(jnp.array([0, 1, 0]), post=1)
    assert jnp.issubdtype(y.dtype, jnp.floating)
    np.testing.assert_array_equal(y, [0.0, 1.0, 1.0])


def test_vmap_over_events_matches_per_column_loop() -> None:
    rng = np.random.default_rng(1)
    events = (rng.random((20, 3)) < 0.2).astype(np.float32)  # (time, event)
    got = jax.vmap(lambda x: event_window(x, pre=1, post=2), in_axes=1, out_axes=1)(events)
    assert got.shape == events.shape
    for j in range(3):
        np.testing.assert_array_equal(got[:, j], ref_window(events[:, j], 1, 2))


def test_gradient_is_finite() -> None:
    x = jnp.array([0.0, 1.0, 0.0, 0.5])
    g = jax.grad(lambda v: event_window(v, pre=1, post=1).sum())(x)
    assert bool(jnp.all(jnp.isfinite(g)))


@pytest.mark.parametrize("kwargs", [{"pre": -1}, {"post": 1.5}, {"post": True}])
def test_bad_widths_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="int >= 0"):
        event_window(jnp.zeros(4), **kwargs)


def test_two_dimensional_input_is_refused() -> None:
    with pytest.raises(ValueError, match="vmap"):
        event_window(jnp.zeros((4, 2)), post=1)
