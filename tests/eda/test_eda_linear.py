"""OLS, ridge, VIF and condition number against independent numpy computations."""

import itertools

import numpy as np
import pytest

from mmm.eda import condition_number, ols, ridge, vif


def _design(rng: np.random.Generator, n: int = 80, k: int = 5) -> np.ndarray:
    x = rng.normal(size=(n, k)) @ rng.normal(size=(k, k))  # correlated columns
    return np.concatenate([np.ones((n, 1)), x * rng.uniform(0.1, 1e3, k)], axis=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ols_matches_lstsq_and_classical_standard_errors(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = _design(rng)
    y = x @ rng.normal(size=x.shape[1]) + rng.normal(size=x.shape[0])
    fit = ols(x, y)
    reference, *_ = np.linalg.lstsq(x, y, rcond=None)
    np.testing.assert_allclose(fit.coef, reference, rtol=1e-8, atol=1e-10)
    resid = y - x @ reference
    sigma2 = resid @ resid / (x.shape[0] - x.shape[1])
    se = np.sqrt(sigma2 * np.diag(np.linalg.inv(x.T @ x)))
    np.testing.assert_allclose(fit.se, se, rtol=1e-6)
    assert fit.rank == x.shape[1]


def _ridge_by_standardizing(x: np.ndarray, y: np.ndarray, penalty: float) -> np.ndarray:
    """Textbook ridge: center and standardize the non-intercept columns, solve, map back."""
    z = x[:, 1:]
    mean, sd = z.mean(axis=0), z.std(axis=0)
    zs = (z - mean) / sd
    n = len(y)
    gamma = np.linalg.solve(zs.T @ zs + penalty * n * np.eye(zs.shape[1]), zs.T @ (y - y.mean()))
    beta = gamma / sd
    return np.concatenate([[y.mean() - mean @ beta], beta])


@pytest.mark.parametrize("penalty", [0.0, 1e-3, 0.1, 10.0])
def test_ridge_equals_standardized_ridge_with_free_intercept(penalty: float) -> None:
    rng = np.random.default_rng(7)
    x = _design(rng)
    y = x @ rng.normal(size=x.shape[1]) * 1e-2 + rng.normal(size=x.shape[0])
    np.testing.assert_allclose(
        ridge(x, y, penalty).coef, _ridge_by_standardizing(x, y, penalty), rtol=1e-7, atol=1e-9
    )


def test_ridge_shrinks_monotonically_and_rejects_bad_penalty() -> None:
    rng = np.random.default_rng(1)
    x = _design(rng)
    y = x @ rng.normal(size=x.shape[1]) + rng.normal(size=x.shape[0])
    sd = x[:, 1:].std(axis=0)
    norms = [np.linalg.norm(ridge(x, y, p).coef[1:] * sd) for p in (0.0, 0.01, 1.0, 100.0)]
    assert all(a > b for a, b in itertools.pairwise(norms))
    with pytest.raises(ValueError, match="penalty"):
        ridge(x, y, -1.0)
    with pytest.raises(ValueError, match="finite"):
        ols(np.full((3, 1), np.nan), np.zeros(3))


@pytest.mark.parametrize("seed", [0, 1])
def test_vif_is_the_diagonal_of_the_inverse_correlation_matrix(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = _design(rng, n=200)
    expected = np.diag(np.linalg.inv(np.corrcoef(x[:, 1:].T)))
    out = vif(x)
    assert np.isnan(out[0])  # the intercept
    np.testing.assert_allclose(out[1:], expected, rtol=1e-8)


def test_vif_and_condition_number_of_exact_and_near_collinearity() -> None:
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(3, 300))
    exact = np.stack([a, b, 2 * a - b, c], axis=1)
    assert np.isinf(vif(exact)[:3]).all()
    assert vif(exact)[3] == pytest.approx(1.0, abs=0.05)
    assert condition_number(exact) == float("inf")
    near = np.stack([a, a + 0.05 * b, c], axis=1)
    z = (near - near.mean(axis=0)) / near.std(axis=0)
    assert condition_number(near) == pytest.approx(np.linalg.cond(z), rel=1e-9)
    assert condition_number(near) > 30
    assert vif(near)[0] > 100
