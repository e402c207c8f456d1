r"""In-sample posterior predictive checks: fit metrics, interval coverage, residual memory.

With :math:`y_t` the observed KPI, :math:`\hat y_t` the posterior mean of the expected KPI
:math:`\mu_t` and :math:`e_t = y_t - \hat y_t` the residuals (KPI units):

* :math:`R^2 = 1 - \sum e_t^2 / \sum (y_t - \bar y)^2`; the Bayesian :math:`R^2` per draw
  (Gelman, Goodrich, Gabry and Vehtari 2019) is
  :math:`\mathrm{var}(\mu^{(s)}) / (\mathrm{var}(\mu^{(s)}) + \mathrm{var}(y - \mu^{(s)}))`;
* MAPE :math:`= \mathrm{mean}_{y_t \ne 0} |e_t| / |y_t|`;
* NRMSE :math:`= \sqrt{\mathrm{mean}(e_t^2)} / (\max y - \min y)` (Robyn's definition);
* coverage: the share of periods whose :math:`y_t` lies inside the equal-tailed
  posterior predictive interval at each level (a calibrated model covers about the
  level; much less means the noise or the mean is wrong);
* Durbin-Watson :math:`= \sum_{t>1} (e_t - e_{t-1})^2 / \sum e_t^2` (about 2 without
  autocorrelation, towards 0 with positive autocorrelation), the residual ACF up to
  ``max_lag`` with the :math:`\pm 1.96 / \sqrt{T}` band, and the Ljung-Box test
  :math:`Q = T (T + 2) \sum_{k \le m} \hat\rho_k^2 / (T - k)` against
  :math:`\chi^2_m`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import polars as pl
from jaxtyping import Float
from scipy import stats

from mmm.diagnostics._thresholds import STATUS_ORDER, Check, Status
from mmm.modeling import FittedMMM, Prediction, predict

__all__ = ["PredictiveCheck", "predictive_check", "acf", "durbin_watson", "ljung_box"]


def acf(x: Float[np.ndarray, " time"], max_lag: int) -> Float[np.ndarray, " lag"]:
    """Sample autocorrelation at lags ``1..max_lag`` (biased estimator, as statsmodels)."""
    e = np.asarray(x, dtype=np.float64) - np.mean(x)
    denom = np.sum(e**2)
    return np.array([np.sum(e[k:] * e[:-k]) / denom for k in range(1, max_lag + 1)])


def durbin_watson(residuals: Float[np.ndarray, " time"]) -> float:
    """Durbin-Watson statistic of ``residuals`` (2: no first-order autocorrelation)."""
    e = np.asarray(residuals, dtype=np.float64)
    return float(np.sum(np.diff(e) ** 2) / np.sum(e**2))


def ljung_box(residuals: Float[np.ndarray, " time"], max_lag: int) -> tuple[float, float]:
    """Ljung-Box statistic over lags ``1..max_lag`` and its chi-square p-value."""
    n = len(residuals)
    rho = acf(residuals, max_lag)
    q = float(n * (n + 2) * np.sum(rho**2 / (n - np.arange(1, max_lag + 1))))
    return q, float(stats.chi2.sf(q, max_lag))


@dataclasses.dataclass(frozen=True)
class PredictiveCheck:
    """In-sample posterior predictive checks of a fit (see :func:`predictive_check`).

    Attributes:
        dates: the training periods.
        observed: the KPI, ``(time,)`` (its own units).
        fitted_mean: posterior mean of the expected KPI, ``(time,)``.
        residuals: ``observed - fitted_mean``, ``(time,)``.
        r2: classical R-squared of ``fitted_mean``.
        bayes_r2: Bayesian R-squared: posterior mean, and the 5% and 95% quantiles.
        mape: mean absolute percentage error (a share: 0.05 is 5%) over nonzero KPIs.
        nrmse: RMSE divided by the KPI's range.
        coverage: level -> share of periods inside the predictive interval.
        durbin_watson: of the residuals.
        acf: residual autocorrelation at lags ``1..max_lag``.
        acf_band: the approximate 95% band ``1.96 / sqrt(T)`` of a white-noise ACF.
        ljung_box: ``(Q, p-value)`` over lags ``1..max_lag``.
        checks: calibration and residual checks with pass / warn and what to do.
    """

    dates: tuple[dt.date, ...]
    observed: Float[np.ndarray, " time"]
    fitted_mean: Float[np.ndarray, " time"]
    residuals: Float[np.ndarray, " time"]
    r2: float
    bayes_r2: tuple[float, float, float]
    mape: float
    nrmse: float
    coverage: dict[float, float]
    durbin_watson: float
    acf: Float[np.ndarray, " lag"]
    acf_band: float
    ljung_box: tuple[float, float]
    checks: tuple[Check, ...]

    @property
    def status(self) -> Status:
        """The worst status over the checks."""
        return max((c.status for c in self.checks), key=lambda s: STATUS_ORDER[s])

    def check_status(self, name: str) -> Status:
        """Status of the check called ``name`` (``coverage_0.9``, ``autocorrelation``)."""
        for c in self.checks:
            if c.name == name:
                return c.status
        raise KeyError(f"no check {name!r}: the checks are {[c.name for c in self.checks]}")

    def to_frame(self) -> pl.DataFrame:
        """The metrics as ``metric``, ``value`` rows."""
        rows = [
            ("r2", self.r2),
            ("bayes_r2", self.bayes_r2[0]),
            ("mape", self.mape),
            ("nrmse", self.nrmse),
            *((f"coverage_{level:g}", share) for level, share in self.coverage.items()),
            ("durbin_watson", self.durbin_watson),
            ("acf_lag1", float(self.acf[0]) if len(self.acf) else float("nan")),
            ("ljung_box_q", self.ljung_box[0]),
            ("ljung_box_p", self.ljung_box[1]),
        ]
        return pl.DataFrame({"metric": [r[0] for r in rows], "value": [float(r[1]) for r in rows]})

    def __str__(self) -> str:
        cover = ", ".join(f"{lv:.0%}: {c:.0%}" for lv, c in self.coverage.items())
        lo, hi = self.bayes_r2[1], self.bayes_r2[2]
        lines = [
            f"Posterior predictive checks ({len(self.dates)} periods): {self.status.upper()}",
            f"  R2 {self.r2:.3f} (Bayesian R2 {self.bayes_r2[0]:.3f}, 90% {lo:.3f}-{hi:.3f}), "
            f"MAPE {self.mape:.1%}, NRMSE {self.nrmse:.3f}",
            f"  predictive interval coverage: {cover}",
            f"  residuals: Durbin-Watson {self.durbin_watson:.2f}, lag-1 ACF "
            f"{self.acf[0]:+.2f}, Ljung-Box p {self.ljung_box[1]:.3f}",
        ]
        lines += [f"  [{c.status:>4}] {c.name:<15} {c.message}" for c in self.checks]
        return "\n".join(lines)


def _coverage_check(level: float, share: float, n: int) -> Check:
    # Below the level by more than 2.5 binomial sd (and 5 points) means miscalibration.
    sd = np.sqrt(level * (1 - level) / n)
    low = level - max(2.5 * sd, 0.05)
    name = f"coverage_{level:g}"
    threshold = f">= {low:.2f}"
    if share >= low:
        return Check(
            name, "pass", share, threshold, f"{share:.0%} of periods in the {level:.0%} band."
        )
    return Check(
        name,
        "warn",
        share,
        threshold,
        f"only {share:.0%} of periods lie in the {level:.0%} predictive band: the model "
        "is overconfident. Look at the residual plot for periods it misses (an event or "
        "a control not in the data?) or use a heavier-tailed likelihood (StudentT).",
    )


def _autocorrelation_check(dw: float, p_value: float, max_lag: int) -> Check:
    threshold = "Durbin-Watson in [1.5, 2.5], Ljung-Box p >= 0.01"
    value = dw
    if 1.5 <= dw <= 2.5 and p_value >= 0.01:
        return Check(
            "autocorrelation",
            "pass",
            value,
            threshold,
            f"no strong residual autocorrelation (DW {dw:.2f}, Ljung-Box p {p_value:.2f}).",
        )
    side = "positive" if dw < 2 else "negative"
    return Check(
        "autocorrelation",
        "warn",
        value,
        threshold,
        f"{side} residual autocorrelation (DW {dw:.2f}, Ljung-Box p {p_value:.3g} over "
        f"{max_lag} lags): the model misses a slow-moving part of the KPI, which it may "
        "credit to media with long carry-over. Add trend changepoints, seasonality terms "
        "or the missing controls.",
    )


def predictive_check(
    fitted: FittedMMM,
    *,
    levels: tuple[float, ...] = (0.5, 0.9),
    max_lag: int | None = None,
    seed: int = 0,
    prediction: Prediction | None = None,
) -> PredictiveCheck:
    """Posterior predictive checks of ``fitted`` on its training window.

    Args:
        fitted: the fit.
        levels: the predictive interval levels whose coverage is reported, in (0, 1).
        max_lag: the largest ACF lag (``None``: ``min(10, T // 4)``).
        seed: PRNG seed of the posterior predictive noise.
        prediction: an in-sample :func:`mmm.modeling.predict` result to reuse.

    Returns:
        The :class:`PredictiveCheck`.

    Raises:
        ValueError: for a level outside (0, 1) or an unusable ``max_lag``.
    """
    for level in levels:
        if not 0 < level < 1:
            raise ValueError(f"levels contains {level!r}: pass levels in (0, 1)")
    y = np.asarray(fitted.design.scalings.kpi.inverse(fitted.design.kpi), dtype=np.float64)
    n = len(y)
    lag = min(10, n // 4) if max_lag is None else max_lag
    if isinstance(lag, bool) or not isinstance(lag, int) or not 1 <= lag < n:
        raise ValueError(f"max_lag={max_lag!r} is not valid: pass an int in [1, {n - 1}]")
    pred = predict(fitted, seed=seed) if prediction is None else prediction
    if len(pred.dates) != n:
        raise ValueError(
            f"prediction covers {len(pred.dates)} periods, the training window {n}: pass "
            "the in-sample prediction (predict(fitted))"
        )
    mu = np.asarray(pred.mean, dtype=np.float64)
    mean = mu.mean(axis=0)
    e = y - mean
    r2 = float(1 - np.sum(e**2) / np.sum((y - y.mean()) ** 2))
    var_fit = mu.var(axis=1, ddof=1)
    var_res = (y[None, :] - mu).var(axis=1, ddof=1)
    bayes = var_fit / (var_fit + var_res)
    nonzero = y != 0
    mape = float(np.mean(np.abs(e[nonzero]) / np.abs(y[nonzero])))
    nrmse = float(np.sqrt(np.mean(e**2)) / (y.max() - y.min()))
    coverage = {}
    for level in levels:
        lower, upper = pred.interval(level)
        coverage[float(level)] = float(np.mean((y >= lower) & (y <= upper)))
    dw = durbin_watson(e)
    q, p = ljung_box(e, lag)
    checks = [_coverage_check(lv, share, n) for lv, share in coverage.items()]
    checks.append(_autocorrelation_check(dw, p, lag))
    return PredictiveCheck(
        dates=tuple(pred.dates),
        observed=y,
        fitted_mean=mean,
        residuals=e,
        r2=r2,
        bayes_r2=(
            float(bayes.mean()),
            float(np.quantile(bayes, 0.05)),
            float(np.quantile(bayes, 0.95)),
        ),
        mape=mape,
        nrmse=nrmse,
        coverage=coverage,
        durbin_watson=dw,
        acf=acf(e, lag),
        acf_band=float(1.96 / np.sqrt(n)),
        ljung_box=(q, p),
        checks=tuple(checks),
    )
