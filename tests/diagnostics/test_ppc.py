"""Posterior predictive checks against independent numpy computations."""

from __future__ import annotations

import numpy as np
import pytest

from mmm.diagnostics import acf, durbin_watson, ljung_box, predictive_check
from mmm.modeling import predict


def test_residual_statistics_against_loops() -> None:
    rng = np.random.default_rng(0)
    e = rng.normal(size=60)
    dw = sum((e[t] - e[t - 1]) ** 2 for t in range(1, 60)) / sum(v**2 for v in e)
    assert durbin_watson(e) == pytest.approx(dw)
    c = e - e.mean()
    ref = [sum(c[t] * c[t - k] for t in range(k, 60)) / sum(c**2) for k in range(1, 6)]
    np.testing.assert_allclose(acf(e, 5), ref)
    q = 60 * 62 * sum(ref[k - 1] ** 2 / (60 - k) for k in range(1, 6))
    assert ljung_box(e, 5)[0] == pytest.approx(q)
    ar = np.zeros(200)
    for t in range(1, 200):
        ar[t] = 0.8 * ar[t - 1] + rng.normal()
    assert durbin_watson(ar) < 0.8
    assert ljung_box(ar, 5)[1] < 1e-6
    assert ljung_box(rng.normal(size=200), 5)[1] > 0.01


@pytest.mark.slow
def test_metrics_match_a_direct_computation(true_and_misspecified) -> None:
    fitted, _ = true_and_misspecified
    pred = predict(fitted, seed=3)
    check = predictive_check(fitted, prediction=pred, levels=(0.5, 0.8, 0.9))
    y = fitted.dataset.frame[fitted.dataset.kpi_column].to_numpy().astype(np.float64)
    yhat = pred.mean.mean(axis=0)
    np.testing.assert_allclose(check.observed, y, rtol=1e-5)
    np.testing.assert_allclose(check.residuals, y - yhat, rtol=1e-4, atol=1e-3 * y.std())
    r2 = 1 - np.sum((y - yhat) ** 2) / np.sum((y - y.mean()) ** 2)
    assert check.r2 == pytest.approx(r2, rel=1e-4)
    assert check.mape == pytest.approx(np.mean(np.abs(y - yhat) / y), rel=1e-4)
    nrmse = np.sqrt(np.mean((y - yhat) ** 2)) / (y.max() - y.min())
    assert check.nrmse == pytest.approx(nrmse, rel=1e-4)
    for level in (0.5, 0.8, 0.9):
        lo = np.quantile(pred.draws, (1 - level) / 2, axis=0)
        hi = np.quantile(pred.draws, (1 + level) / 2, axis=0)
        inside = sum(lo[t] <= y[t] <= hi[t] for t in range(len(y)))
        assert check.coverage[level] == pytest.approx(inside / len(y))
    # A well-specified model is calibrated and leaves white-noise residuals.
    assert check.r2 > 0.8
    assert abs(check.coverage[0.9] - 0.9) < 0.1
    assert check.status == "pass", str(check)
    assert 0 < check.bayes_r2[1] <= check.bayes_r2[0] <= check.bayes_r2[2] < 1
    assert check.to_frame()["metric"].to_list()[:4] == ["r2", "bayes_r2", "mape", "nrmse"]


@pytest.mark.slow
def test_a_model_without_its_seasonality_leaves_autocorrelated_residuals(
    true_and_misspecified,
) -> None:
    good, bad = (predictive_check(f) for f in true_and_misspecified)
    assert bad.check_status("autocorrelation") == "warn", str(bad)
    assert bad.durbin_watson < good.durbin_watson
    assert "trend changepoints, seasonality" in str(bad)
    assert bad.r2 < good.r2


@pytest.mark.slow
def test_arguments_are_validated(true_and_misspecified) -> None:
    fitted, _ = true_and_misspecified
    with pytest.raises(ValueError, match="levels"):
        predictive_check(fitted, levels=(1.5,))
    with pytest.raises(ValueError, match="max_lag"):
        predictive_check(fitted, max_lag=0)
