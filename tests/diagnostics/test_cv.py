"""Rolling-origin cross-validation: fold windows, no look-ahead, warm starts, CRPS, errors."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from numpyro.distributions.transforms import biject_to
from scipy import stats

import mmm.diagnostics._cv as cv_module
from mmm.data import MMMDataSet
from mmm.datasets import simulate
from mmm.diagnostics._cv import CrossValidation, _medians, cross_validate, crps
from mmm.modeling import FitInfo, FittedMMM, ModelSpec, design_for, fit, model_sites
from mmm.modeling._mcmc import latent_supports


@pytest.fixture(scope="module")
def ds() -> MMMDataSet:
    ds, _ = simulate(n_weeks=104, n_channels=2, seed=2, n_controls=1, n_events=1)
    return ds


@pytest.fixture(scope="module")
def spec(ds) -> ModelSpec:
    return ModelSpec.default(ds)


@pytest.fixture(scope="module")
def pool(spec, ds) -> dict[str, np.ndarray]:
    """300 draws of every latent site, N(0, 0.5) in unconstrained space: a stand-in posterior.

    (Cheaper than prior draws, whose Beta and Gamma samplers take long to compile.)
    """
    design = design_for(spec, ds)
    sites = model_sites(spec, design)
    rng = np.random.default_rng(0)
    out = {}
    for name, support in latent_supports(spec, design).items():
        transform = biject_to(support)
        free = rng.normal(0.0, 0.5, size=(300, *transform.inverse_shape(sites[name].shape)))
        out[name] = np.asarray(transform(np.asarray(free, np.float32)))
    return out


class FakeFit:
    """Stands in for ``fit``: records its arguments, returns 2 x 40 of the draws (no sampler).

    Each call takes other draws of the pool (by seed), so the folds' medians differ.
    """

    def __init__(self, pool: dict[str, np.ndarray]) -> None:
        self.pool = pool
        self.calls: list[dict] = []

    def __call__(self, spec, train, *, method, seed, init, **kwargs) -> FittedMMM:
        rows = np.random.default_rng(seed).choice(300, 80, replace=False)
        samples = {k: v[rows].reshape(2, 40, *v.shape[1:]) for k, v in self.pool.items()}
        fitted = FittedMMM(
            spec=spec,
            dataset=train,
            design=design_for(spec, train),
            samples=samples,
            sample_stats={},
            info=FitInfo(method, seed, 0.0, {"warm_start": init is not None}),
        )
        self.calls.append(
            {"train": train, "init": init, "seed": seed, "kwargs": kwargs, "fitted": fitted}
        )
        return fitted


@pytest.fixture
def fake(monkeypatch, pool) -> FakeFit:
    recorder = FakeFit(pool)
    monkeypatch.setattr(cv_module, "fit", recorder)
    return recorder


def _brute_crps(x: np.ndarray, y: float) -> float:
    return float(np.mean(np.abs(x - y)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :])))


def test_crps_matches_the_quadratic_formula() -> None:
    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 200):
        draws = rng.gamma(2.0, 3.0, size=(n, 5))
        observed = rng.normal(6.0, 4.0, size=5)
        ours = crps(draws, observed)
        reference = [_brute_crps(draws[:, t], observed[t]) for t in range(5)]
        np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)
    # One draw: the absolute error.
    np.testing.assert_allclose(crps(np.array([[3.0, -1.0]]), np.array([1.0, 1.0])), [2.0, 2.0])


def test_crps_of_many_normal_draws_is_the_normal_closed_form() -> None:
    mu, sigma = 2.0, 1.5
    y = np.array([2.0, 0.5, 5.0, -3.0])
    z = (y - mu) / sigma
    closed = sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))
    # Draws at the Normal's quantiles: no Monte Carlo error, only the O(1/n) discretization.
    n = 20_000
    grid = stats.norm.ppf((np.arange(n) + 0.5) / n, mu, sigma)[:, None] * np.ones((1, 4))
    np.testing.assert_allclose(crps(grid, y), closed, rtol=2e-3)
    # Random draws: within a few Monte Carlo standard errors (about 0.01 here).
    draws = np.random.default_rng(1).normal(mu, sigma, size=(n, 4))
    np.testing.assert_allclose(crps(draws, y), closed, atol=0.04)
    with pytest.raises(ValueError, match="do not match"):
        crps(draws, y[:2])


def test_medians_of_simplex_draws_stay_on_the_simplex() -> None:
    rng = np.random.default_rng(2)
    share = rng.dirichlet([1.0, 2.0, 3.0], size=(2, 50))
    level = rng.gamma(2.0, size=(2, 50, 3))
    medians = _medians({"share": share, "level": level})
    assert np.isclose(medians["share"].sum(), 1.0)
    raw = np.median(share, axis=(0, 1))
    np.testing.assert_allclose(medians["share"], raw / raw.sum())
    np.testing.assert_array_equal(medians["level"], np.median(level, axis=(0, 1)))


def test_expanding_folds_never_see_the_future(fake, spec, ds) -> None:
    dates = ds.dates
    result = cross_validate(
        spec, ds, folds=3, horizon=13, chains=2, draws=40, keep_fits=True, seed=7
    )
    assert isinstance(result, CrossValidation)
    folds = result.folds
    assert folds.height == 3
    assert folds["fold"].to_list() == [0, 1, 2]
    # Cut-offs: the last test window ends with the data, consecutive ones 13 apart.
    cuts = [104 - 13 * 3, 104 - 13 * 2, 104 - 13]
    assert folds["test_start"].to_list() == [dates[c] for c in cuts]
    assert folds["test_end"].to_list() == [dates[c + 12] for c in cuts]
    assert folds["train_start"].to_list() == [dates[0]] * 3  # expanding
    assert folds["train_end"].to_list() == [dates[c - 1] for c in cuts]
    assert folds["n_train"].to_list() == cuts
    assert [c["seed"] for c in fake.calls] == [7, 8, 9]
    assert all(c["kwargs"] == {"chains": 2, "draws": 40} for c in fake.calls)
    for call, cut in zip(fake.calls, cuts, strict=True):
        train = call["train"]
        assert max(train.dates) == dates[cut - 1]
        assert max(train.dates) < dates[cut]
        assert train.dates == dates[:cut]
    # What each fold forecast: exactly the next 13 periods, judged on their real KPI.
    kpi = ds.frame[ds.kpi_column].to_numpy()
    for fold, (fitted, cut) in enumerate(zip(result.fits, cuts, strict=True)):
        assert fitted is fake.calls[fold]["fitted"]
        prediction = cv_module.predict(
            fitted, future=ds.to_arrays().periods(cut, cut + 13), seed=7 + fold
        )
        assert prediction.dates == tuple(dates[cut : cut + 13])
        y = kpi[cut : cut + 13]
        point = prediction.mean.mean(axis=0)
        row = folds.row(fold, named=True)
        np.testing.assert_allclose(row["rmse"], np.sqrt(np.mean((y - point) ** 2)), rtol=1e-5)
        np.testing.assert_allclose(row["mape"], np.mean(np.abs(y - point) / y), rtol=1e-5)
        np.testing.assert_allclose(row["crps"], crps(prediction.draws, y).mean(), rtol=1e-5)
        lo, hi = prediction.interval(0.9)
        assert row["coverage"] == pytest.approx(np.mean((y >= lo) & (y <= hi)))
    # Warm starts: fold i starts at fold i - 1's posterior medians.
    assert fake.calls[0]["init"] is None
    for prev, call in zip(fake.calls, fake.calls[1:], strict=False):
        expected = {k: np.median(v, axis=(0, 1)) for k, v in prev["fitted"].free_samples().items()}
        assert set(call["init"]) == set(expected)
        for k, v in expected.items():
            np.testing.assert_array_equal(call["init"][k], v, err_msg=k)
    assert folds["warm_start"].to_list() == [False, True, True]
    # ROI: long per fold and channel, and its stability across folds.
    assert result.roi.columns == ["fold", "channel", "roi_mean", "roi_lower", "roi_upper"]
    assert result.roi.height == 3 * 2
    assert (result.roi["roi_lower"] <= result.roi["roi_mean"]).all()
    assert (result.roi["roi_mean"] <= result.roi["roi_upper"]).all()
    stability = result.roi_stability()
    tv = result.roi.filter(pl.col("channel") == "tv")["roi_mean"].to_numpy()
    row = stability.filter(pl.col("channel") == "tv").row(0, named=True)
    assert row["mean"] == pytest.approx(tv.mean())
    assert row["sd"] == pytest.approx(tv.std(ddof=1))
    assert row["cv"] == pytest.approx(tv.std(ddof=1) / abs(tv.mean()))
    assert (row["min"], row["max"]) == (pytest.approx(tv.min()), pytest.approx(tv.max()))
    text = str(result)
    assert "3 expanding fold(s)" in text
    assert "least stable ROI:" in text
    assert str(dates[cuts[0]]) in text
    assert result.settings["min_train"] == 26
    assert result.settings["step"] == 13


def test_sliding_folds_have_one_length(fake, spec, ds) -> None:
    dates = ds.dates
    result = cross_validate(
        spec, ds, folds=3, horizon=8, step=5, window="sliding", warm_start=False
    )
    cuts = [104 - 8 - 10, 104 - 8 - 5, 104 - 8]
    assert result.folds["n_train"].to_list() == [cuts[0]] * 3  # the first fold's length
    for call, cut in zip(fake.calls, cuts, strict=True):
        assert call["train"].dates == dates[cut - cuts[0] : cut]
        assert call["init"] is None
    assert result.folds["test_end"].to_list()[-1] == dates[-1]
    assert result.fits is None
    fake.calls.clear()
    result = cross_validate(spec, ds, folds=2, horizon=8, window="sliding", min_train=40)
    assert result.folds["n_train"].to_list() == [40, 40]
    assert [c["train"].dates for c in fake.calls] == [dates[48:88], dates[56:96]]


def test_invalid_arguments_fail_before_fitting(fake, spec, ds) -> None:
    for kwargs, match in (
        ({"folds": 0}, "folds=0"),
        ({"horizon": 0}, "horizon=0"),
        ({"step": 2.5}, "step=2.5"),
        ({"window": "rolling"}, "window='rolling'"),
        ({"method": "gibbs"}, "method='gibbs'"),
        ({"level": 1.0}, "level=1.0"),
        ({"init": {}}, "init is set per fold"),
        ({"min_train": 20}, r"min_train=20 is too short: .* at least 26 periods"),
        (
            {"folds": 7, "horizon": 13},
            r"need min_train \+ horizon \+ \(folds - 1\) \* step = 26 \+ 13 \+ 6 \* 13 = 117 "
            r"periods, the data have 104: use fewer folds",
        ),
        ({"folds": 2, "horizon": 13, "min_train": 80}, "= 106 periods, the data have 104"),
    ):
        with pytest.raises(ValueError, match=match):
            cross_validate(spec, ds, **kwargs)
    assert fake.calls == []


def _launched_late(ds: MMMDataSet, channel: str, launch: int) -> MMMDataSet:
    """``ds`` with ``channel``'s spend zero before period ``launch``."""
    column = f"spend__{channel}"
    late = pl.when(pl.int_range(pl.len()) < launch).then(0.0).otherwise(pl.col(column))
    return MMMDataSet.from_frame(ds.frame.with_columns(late.alias(column)), warn=False)


def test_a_channel_launched_after_a_cut_off_fails_before_fitting_with_the_fix(
    fake, spec, ds
) -> None:
    channel = ds.channels[1]
    late = _launched_late(ds, channel, 80)  # 104 weeks: cut-offs 65, 78, 91 with 3 folds
    with pytest.raises(ValueError, match=r"fold 0 would train on .*no spend") as err:
        cross_validate(spec, late, folds=3, horizon=13)
    message = str(err.value)
    first = int(np.flatnonzero(late.frame[f"spend__{channel}"].to_numpy() != 0)[0])
    assert first >= 80
    assert f"'{channel}' has spend from {late.dates[first]}" in message
    # the fix it names works: cut-offs after the launch
    most = (104 - 13 - (first + 1)) // 13 + 1
    assert f"use at most {most} fold(s) with horizon=13 and step=13" in message
    assert fake.calls == []
    cross_validate(spec, late, folds=most, horizon=13)
    assert len(fake.calls) == most
    assert fake.calls[0]["train"].n_periods > first
    fake.calls.clear()
    with pytest.raises(ValueError, match="training windows include its spend"):
        cross_validate(spec, late, folds=2, horizon=13, window="sliding", min_train=40)
    assert fake.calls == []


@pytest.mark.slow
def test_nuts_sliding_folds_forecast_the_next_weeks(monkeypatch, spec, ds) -> None:
    """Real NUTS fits (one compiled program for both folds: equal windows)."""
    seen: list[dict] = []

    def recording_fit(spec, train, **kwargs):
        fitted = fit(spec, train, **kwargs)
        seen.append({"end": max(train.dates), "init": kwargs["init"], "fitted": fitted})
        return fitted

    monkeypatch.setattr(cv_module, "fit", recording_fit)
    result = cross_validate(
        spec, ds, folds=2, horizon=8, window="sliding", chains=2, draws=100, tune=100
    )
    dates = ds.dates
    assert [s["end"] for s in seen] == [dates[87], dates[95]]
    assert result.folds["test_start"].to_list() == [dates[88], dates[96]]
    assert seen[0]["init"] is None
    assert set(seen[1]["init"]) == set(seen[0]["fitted"].free_samples())
    assert seen[1]["fitted"].info.settings["warm_start"] is True
    folds = result.folds
    # A model of the simulated process forecasts two months ahead within a few percent.
    assert (folds["mape"] < 0.15).all()
    assert (folds["crps"] < folds["rmse"]).all()
    assert ((folds["coverage"] >= 0) & (folds["coverage"] <= 1)).all()
    assert (folds["fit_seconds"] > 0).all()
    assert result.roi.height == 4
    assert result.roi["roi_mean"].is_finite().all()
    assert result.fits is None
