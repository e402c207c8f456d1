"""The projection onto a plan's feasible set is the QP solution, in numpy and under jit."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import minimize

from mmm.optimization import FeasibleSet, project, project_numpy


def _random_set(rng: np.random.Generator, equality: bool) -> FeasibleSet:
    h, c = int(rng.integers(1, 5)), int(rng.integers(2, 6))
    lower = rng.uniform(0, 0.5, (h, c)) * (rng.random((h, c)) < 0.5)
    upper = lower + rng.uniform(0.2, 2, (h, c))
    upper[rng.random((h, c)) < 0.3] = np.inf
    ch_lower = np.where(rng.random(c) < 0.3, lower.sum(0) + rng.uniform(0, 0.5, c), 0.0)
    ch_upper = np.where(
        rng.random(c) < 0.3, ch_lower + lower.sum(0) + rng.uniform(0.3, 1.0, c), np.inf
    )
    ch_upper = np.maximum(ch_upper, np.maximum(ch_lower, lower.sum(0)))
    least = np.maximum(ch_lower, lower.sum(0)).sum()
    most = np.minimum(ch_upper, upper.sum(0)).sum()
    total = least + rng.uniform(0.05, 1.0) * (min(most, least + 3.0) - least)
    return FeasibleSet(lower, upper, ch_lower, ch_upper, np.float64(total), equality)  # type: ignore[arg-type]


def _qp(fs: FeasibleSet, y: np.ndarray, metric: np.ndarray | None = None) -> np.ndarray:
    """The projection by SLSQP (independent reference)."""
    h, c = y.shape
    w = np.ones_like(y) if metric is None else metric
    lower, upper = np.asarray(fs.lower), np.asarray(fs.upper)
    total = float(fs.total)
    cons = [{"type": "eq" if fs.equality else "ineq", "fun": lambda v: total - v.sum()}]
    for j in range(c):
        cons.append(
            {
                "type": "ineq",
                "fun": lambda v, j=j: v.reshape(h, c)[:, j].sum() - fs.channel_lower[j],
            }
        )
        if np.isfinite(fs.channel_upper[j]):
            cons.append(
                {
                    "type": "ineq",
                    "fun": lambda v, j=j: fs.channel_upper[j] - v.reshape(h, c)[:, j].sum(),
                }
            )
    bounds = [
        (lo, None if not np.isfinite(u) else u)
        for lo, u in zip(lower.ravel(), upper.ravel(), strict=True)
    ]
    res = minimize(
        lambda v: 0.5 * (((v - y.ravel()) ** 2) / w.ravel()).sum(),
        np.clip(y.ravel(), lower.ravel(), upper.ravel()),
        jac=lambda v: (v - y.ravel()) / w.ravel(),
        bounds=bounds,
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-13, "maxiter": 1000},
    )
    assert res.success, res.message
    return res.x.reshape(h, c)


def _distance(x: np.ndarray, y: np.ndarray, metric: np.ndarray | None = None) -> float:
    w = np.ones_like(y) if metric is None else metric
    return float((((x - y) ** 2) / w).sum())


@pytest.mark.parametrize("equality", [True, False])
@pytest.mark.parametrize("seed", range(8))
def test_projection_equals_the_qp_solution_and_is_feasible(seed: int, equality: bool) -> None:
    rng = np.random.default_rng(seed)
    fs = _random_set(rng, equality)
    y = rng.normal(0.5, 1.0, np.shape(fs.lower))
    x = project_numpy(fs, y)
    reference = _qp(fs, y)
    assert _distance(x, y) <= _distance(reference, y) + 1e-10  # no feasible point is closer
    np.testing.assert_allclose(x, reference, atol=1e-5)
    # constraints hold to float64 rounding
    assert np.all(x >= fs.lower - 1e-12)
    assert np.all(x <= fs.upper + 1e-12)
    sums = x.sum(axis=0)
    assert np.all(sums >= fs.channel_lower - 1e-9)
    assert np.all(sums <= fs.channel_upper + 1e-9)
    if equality:
        assert abs(x.sum() - float(fs.total)) <= 1e-12 * max(1.0, float(fs.total))
    else:
        assert x.sum() <= float(fs.total) * (1 + 1e-12)
    # the jitted float32 projection agrees to float32 resolution
    fs32 = jax.tree.map(lambda a: jnp.asarray(a, jnp.float32), fs)
    x32 = np.asarray(jax.jit(project)(fs32, jnp.asarray(y, jnp.float32)))
    np.testing.assert_allclose(x32, x, atol=2e-6 * max(1.0, np.abs(y).max()))


@pytest.mark.parametrize("seed", range(4))
def test_scaled_projection_minimizes_the_weighted_distance(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    fs = _random_set(rng, True)
    y = rng.normal(0.5, 1.0, np.shape(fs.lower))
    metric = rng.uniform(0.05, 20.0, y.shape)
    fs32 = jax.tree.map(lambda a: jnp.asarray(a, jnp.float32), fs)
    x = np.asarray(project(fs32, jnp.asarray(y, jnp.float32), jnp.asarray(metric, jnp.float32)))
    np.testing.assert_allclose(x, _qp(fs, y, metric), atol=1e-4)


def test_projection_of_a_feasible_point_is_itself_and_is_idempotent() -> None:
    rng = np.random.default_rng(7)
    fs = _random_set(rng, True)
    x = project_numpy(fs, rng.normal(size=np.shape(fs.lower)))
    np.testing.assert_allclose(project_numpy(fs, x), x, atol=1e-12)


def test_at_most_budget_leaves_a_point_under_budget_alone() -> None:
    fs = FeasibleSet(
        np.zeros((1, 3)),
        np.full((1, 3), np.inf),
        np.zeros(3),
        np.full(3, np.inf),
        np.float64(10.0),
        False,  # type: ignore[arg-type]
    )
    y = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(project_numpy(fs, y), y)
    over = project_numpy(fs, np.array([[5.0, 6.0, 7.0]]))
    np.testing.assert_allclose(over, [[5 - 8 / 3, 6 - 8 / 3, 7 - 8 / 3]], rtol=1e-12)
