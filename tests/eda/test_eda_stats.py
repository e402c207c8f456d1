"""EDA statistics against plain-Python / numpy references."""

import itertools

import numpy as np
import pytest

from mmm.eda import (
    average_ranks,
    lagged_correlation,
    longest_zero_run,
    pearson_matrix,
    spearman_matrix,
)


def _ranks_by_counting(x: np.ndarray) -> np.ndarray:
    """Rank of each value: 1 + (number smaller) + (number of ties - 1) / 2."""
    return np.array([1 + np.sum(x < v) + (np.sum(x == v) - 1) / 2 for v in x])


def _pearson_loop(a: np.ndarray, b: np.ndarray) -> float:
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    num = sum((u - ma) * (v - mb) for u, v in zip(a, b, strict=True))
    den = (sum((u - ma) ** 2 for u in a) * sum((v - mb) ** 2 for v in b)) ** 0.5
    return num / den


@pytest.mark.parametrize("seed", [0, 1])
def test_pearson_and_spearman_match_references(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(60, 4))
    x[:, 2] = np.round(x[:, 2])  # ties
    x[:, 3] = np.exp(x[:, 0]) + 0.1 * rng.normal(size=60)  # monotone-ish in column 0
    np.testing.assert_allclose(pearson_matrix(x), np.corrcoef(x.T), atol=1e-12)
    ranks = np.stack([_ranks_by_counting(x[:, j]) for j in range(4)], axis=1)
    np.testing.assert_allclose(average_ranks(x), ranks)
    rho = spearman_matrix(x)
    for i, j in itertools.combinations(range(4), 2):
        assert rho[i, j] == pytest.approx(_pearson_loop(ranks[:, i], ranks[:, j]), abs=1e-12)
    assert rho[0, 3] > pearson_matrix(x)[0, 3]  # ranks see the monotone relation


def test_constant_column_has_no_correlation() -> None:
    x = np.stack([np.arange(10.0), np.full(10, 3.0)], axis=1)
    r = pearson_matrix(x)
    assert r[0, 0] == 1.0
    assert np.isnan(r[1]).all()
    assert np.isnan(r[:, 1]).all()


def test_longest_zero_run_matches_loop() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        x = rng.choice([0.0, 0.0, 1.5], size=int(rng.integers(1, 40)))
        best, start, run = 0, -1, 0
        for t, v in enumerate(x):
            run = run + 1 if v == 0 else 0
            if run > best:
                best, start = run, t - run + 1
        assert longest_zero_run(x) == (best, start)


def test_lagged_correlation_is_a_shifted_pearson() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=80)
    y = np.concatenate([np.zeros(3), x[:-3]]) + 0.3 * rng.normal(size=80)  # y follows x by 3
    out = lagged_correlation(x, y, 6)
    for lag in range(7):
        assert out[lag] == pytest.approx(np.corrcoef(x[: 80 - lag], y[lag:])[0, 1], abs=1e-12)
    assert int(np.argmax(out)) == 3
    with pytest.raises(ValueError, match="max_lag"):
        lagged_correlation(x, y, 79)
