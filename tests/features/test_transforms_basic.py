"""Shared property tests for the media transforms, against independent numpy loops."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from mmm.features import adstock, saturation

L_MAX = 6


@pytest.fixture(autouse=True)
def _strict_jax() -> Iterator[None]:
    with jax.numpy_rank_promotion("raise"):
        yield


# --- numpy references: plain loops, no library code ----------------------------------------


def ref_lag_sum(x: np.ndarray, w: list[float]) -> np.ndarray:
    y = np.zeros(len(x))
    for t in range(len(x)):
        for lag, weight in enumerate(w):
            if t - lag >= 0:
                y[t] += weight * x[t - lag]
    return y


def ref_geometric(x: np.ndarray, alpha: float, normalize: bool) -> np.ndarray:
    w = [alpha**lag for lag in range(L_MAX)]
    if normalize:
        w = [v / sum(w) for v in w]
    return ref_lag_sum(x, w)


def ref_delayed(x: np.ndarray, alpha: float, theta: float, normalize: bool) -> np.ndarray:
    w = [alpha ** ((lag - theta) ** 2) for lag in range(L_MAX)]
    if normalize:
        w = [v / sum(w) for v in w]
    return ref_lag_sum(x, w)


def ref_hill(x: np.ndarray, k: float, s: float) -> np.ndarray:
    return np.array([v**s / (v**s + k**s) for v in x])


def ref_logistic(x: np.ndarray, lam: float) -> np.ndarray:
    return np.array([(1 - np.exp(-lam * v)) / (1 + np.exp(-lam * v)) for v in x])


# --- the registry ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    fn: Callable[..., jax.Array]  # (x, *params) -> y, params scalar
    ref: Callable[..., np.ndarray]
    params: tuple[tuple[float, ...], ...]  # parameter sets covering the valid range
    kind: str  # "adstock" or "saturation"


CASES = [
    Case(
        "geometric",
        lambda x, a: adstock.geometric(x, a, l_max=L_MAX),
        lambda x, a: ref_geometric(x, a, False),
        ((0.0,), (0.3,), (0.7,), (0.99,)),
        "adstock",
    ),
    Case(
        "geometric_normalized",
        lambda x, a: adstock.geometric(x, a, l_max=L_MAX, normalize=True),
        lambda x, a: ref_geometric(x, a, True),
        ((0.0,), (0.5,), (0.99,)),
        "adstock",
    ),
    Case(
        "delayed",
        lambda x, a, th: adstock.delayed(x, a, th, l_max=L_MAX),
        lambda x, a, th: ref_delayed(x, a, th, False),
        ((0.3, 0.0), (0.5, 1.7), (0.9, 3.0), (0.99, 2.2)),
        "adstock",
    ),
    Case(
        "delayed_normalized",
        lambda x, a, th: adstock.delayed(x, a, th, l_max=L_MAX, normalize=True),
        lambda x, a, th: ref_delayed(x, a, th, True),
        ((0.3, 0.0), (0.5, 1.7), (0.99, 2.2)),
        "adstock",
    ),
    Case(
        "hill",
        saturation.hill,
        ref_hill,
        ((0.5, 0.5), (0.5, 1.0), (0.3, 2.5), (2.0, 1.3)),
        "saturation",
    ),
    Case("logistic", saturation.logistic, ref_logistic, ((0.5,), (2.0,), (4.0,)), "saturation"),
]
ADSTOCKS = [c for c in CASES if c.kind == "adstock"]
SATURATIONS = [c for c in CASES if c.kind == "saturation"]
ids = [c.name for c in CASES]


def series(seed: int = 0, n: int = 20) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, 0.5, n)
    x[[0, 3, 4, 11]] = 0.0  # zero-spend weeks, including the first
    return x


# --- properties -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_matches_numpy_reference(case: Case) -> None:
    x = series()
    for p in case.params:
        got = np.asarray(case.fn(jnp.asarray(x, dtype=jnp.float32), *p))
        assert got.shape == x.shape
        np.testing.assert_allclose(got, case.ref(x, *p), rtol=2e-5, atol=1e-6, err_msg=str(p))


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_jit_equals_eager(case: Case) -> None:
    x = jnp.asarray(series(1))
    jitted = jax.jit(case.fn)
    for p in case.params:
        np.testing.assert_allclose(jitted(x, *p), case.fn(x, *p), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_vmap_over_channels_equals_loop(case: Case) -> None:
    xs = jnp.asarray(np.stack([series(s) for s in range(len(case.params))]))
    params = [jnp.asarray(col) for col in zip(*case.params, strict=True)]
    mapped = jax.vmap(case.fn)(xs, *params)
    looped = jnp.stack([case.fn(xs[i], *p) for i, p in enumerate(case.params)])
    assert mapped.shape == xs.shape
    np.testing.assert_allclose(mapped, looped, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_finite_gradients_including_zero(case: Case) -> None:
    x = jnp.asarray(np.concatenate([[0.0, 0.0], np.linspace(0.0, 3.0, 7), [50.0]]))
    argnums = tuple(range(len(case.params[0]) + 1))
    grad = jax.jit(jax.grad(lambda x, *q: jnp.sum(case.fn(x, *q)), argnums=argnums))
    for p in case.params:
        grads = grad(x, *p)
        for g in grads:
            assert np.all(np.isfinite(np.asarray(g))), (case.name, p, grads)


def test_gradient_grid_edges() -> None:
    """The points where naive formulas give NaN: 0 ** s with s < 1, alpha ** 0 at alpha = 0."""
    x = jnp.array([0.0, 0.0, 0.5, 2.0])
    hill_grad = jax.jit(jax.grad(lambda x, k, s: saturation.hill(x, k, s).sum(), (0, 1, 2)))
    for s in (0.3, 0.5, 1.0, 2.5):
        grads = hill_grad(x, 0.5, s)
        assert all(np.all(np.isfinite(np.asarray(g))) for g in grads), (s, grads)
    geometric_grad = jax.jit(jax.grad(lambda a: adstock.geometric(x, a, l_max=8).sum()))
    delayed_grad = jax.jit(jax.grad(lambda a, th: adstock.delayed(x, a, th).sum(), (0, 1)))
    for alpha in (0.0, 0.99):
        assert np.isfinite(geometric_grad(alpha))
        assert all(np.isfinite(np.asarray(v)) for v in delayed_grad(alpha, 1.5))
    # geometric at alpha = 0: d/dalpha sum_t y_t = sum_t x_{t-1} (the lag-1 weight's slope).
    np.testing.assert_allclose(geometric_grad(0.0), float(x[:-1].sum()), rtol=1e-6)


def test_hill_slope_at_zero_is_the_one_sided_derivative() -> None:
    # s = 1: h(x) = x / (x + k), h'(0) = 1 / k; s > 1: h'(0) = 0.
    grad_x = jax.grad(lambda v, s: saturation.hill(v, 0.5, s).sum())
    np.testing.assert_allclose(grad_x(jnp.zeros(1), 1.0), 2.0, rtol=1e-4)
    np.testing.assert_allclose(grad_x(jnp.zeros(1), 2.0), 0.0, atol=1e-12)


@pytest.mark.parametrize("case", ADSTOCKS, ids=[c.name for c in ADSTOCKS])
def test_adstock_is_linear_and_causal(case: Case) -> None:
    x, z = jnp.asarray(series(2)), jnp.asarray(series(3))
    p = case.params[1]
    np.testing.assert_allclose(
        case.fn(2.0 * x + z, *p), 2.0 * case.fn(x, *p) + case.fn(z, *p), rtol=1e-5, atol=1e-5
    )
    later = x.at[10:].set(0.0)
    np.testing.assert_array_equal(case.fn(later, *p)[:10], case.fn(x, *p)[:10])


def test_geometric_alpha_zero_is_identity() -> None:
    x = jnp.asarray(series(4))
    np.testing.assert_array_equal(adstock.geometric(x, 0.0, l_max=8), x)
    np.testing.assert_array_equal(adstock.geometric(x, 0.0, l_max=8, normalize=True), x)
    np.testing.assert_array_equal(adstock.delayed(x, 0.0, 0.0, l_max=8), x)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, a: adstock.geometric(x, a, l_max=L_MAX, normalize=True),
        lambda x, a: adstock.delayed(x, a, 1.3, l_max=L_MAX, normalize=True),
    ],
    ids=["geometric", "delayed"],
)
@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.9, 0.99])
def test_normalized_impulse_response_sums_to_one(
    fn: Callable[..., jax.Array], alpha: float
) -> None:
    impulse = jnp.zeros(3 * L_MAX).at[2].set(1.0)
    response = fn(impulse, alpha)
    np.testing.assert_allclose(float(response.sum()), 1.0, rtol=1e-6)
    assert float(response[:2].sum()) == 0.0  # nothing before the spend


def test_unnormalized_geometric_impulse_is_the_weights() -> None:
    response = adstock.geometric(jnp.zeros(10).at[0].set(1.0), 0.5, l_max=4)
    np.testing.assert_allclose(response, [1, 0.5, 0.25, 0.125, 0, 0, 0, 0, 0, 0])


def test_delayed_peaks_at_theta() -> None:
    response = adstock.delayed(jnp.zeros(12).at[0].set(1.0), 0.6, 3.0, l_max=8)
    assert int(jnp.argmax(response)) == 3
    np.testing.assert_allclose(float(response[3]), 1.0)


@pytest.mark.parametrize("case", SATURATIONS, ids=[c.name for c in SATURATIONS])
def test_saturation_zero_monotone_bounded(case: Case) -> None:
    x = jnp.asarray(np.concatenate([[0.0], np.geomspace(1e-6, 1e6, 200), [1e30, 3e38]]))
    for p in case.params:
        y = np.asarray(case.fn(x, *p))
        assert y[0] == 0.0
        assert np.all(np.isfinite(y))
        assert np.all(np.diff(y) >= 0.0)
        assert np.all((y >= 0.0) & (y <= 1.0))
        assert y[-1] == pytest.approx(1.0)


def test_hill_half_saturation_point() -> None:
    for k, s in ((0.3, 0.5), (1.0, 1.0), (5.0, 3.0)):
        np.testing.assert_allclose(saturation.hill(jnp.array([k]), k, s), [0.5], rtol=1e-6)


def test_compiles_once_across_parameter_values() -> None:
    traces = 0

    def counted(x: jax.Array, a: jax.Array, k: jax.Array, s: jax.Array) -> jax.Array:
        nonlocal traces
        traces += 1
        return saturation.hill(adstock.geometric(x, a, l_max=L_MAX), k, s)

    f = jax.jit(counted)
    x = jnp.asarray(series())
    for a, k, s in ((0.1, 0.5, 1.0), (0.5, 0.2, 2.0), (0.9, 1.5, 0.7)):
        f(x, jnp.float32(a), jnp.float32(k), jnp.float32(s)).block_until_ready()
    assert traces == 1


def test_invalid_static_arguments_and_shapes_raise() -> None:
    x = jnp.ones(5)
    with pytest.raises(ValueError, match="l_max"):
        adstock.geometric(x, 0.5, l_max=0)
    bad_l_max: Any = 2.5
    with pytest.raises(ValueError, match="l_max"):
        adstock.delayed(x, 0.5, 1.0, l_max=bad_l_max)
    with pytest.raises(ValueError, match=r"vmap"):
        adstock.geometric(jnp.ones((2, 5)), 0.5)
    with pytest.raises(ValueError, match="alpha"):
        adstock.geometric(x, jnp.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="k"):
        saturation.hill(x, jnp.array([0.1, 0.2]), 1.0)
