"""summarize: good fits pass, broken fits fail for the right reasons."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mmm.datasets import simulate
from mmm.diagnostics import Thresholds, ebfmi, rhat, summarize
from mmm.modeling import FitInfo, ModelSpec, fit


@pytest.fixture(scope="module")
def ds():
    data, _ = simulate(n_weeks=104, n_channels=2, seed=4)
    return data


@pytest.fixture(scope="module")
def spec(ds):
    return ModelSpec.default(ds)


@pytest.fixture(scope="module")
def good_fit(spec, ds):
    return fit(spec, ds, chains=4, draws=1000, tune=500, seed=0, progress_bar=False)


@pytest.mark.slow
def test_a_good_fit_passes(good_fit) -> None:
    report = summarize(good_fit)
    assert report.passed
    assert report.status == "pass", str(report)
    assert report.rhat_max < 1.01
    assert report.ess_bulk_min > 400
    assert report.divergences == 0
    assert "PASS" in str(report)


@pytest.mark.slow
def test_table_matches_arviz_on_the_fit(good_fit) -> None:
    report = summarize(good_fit)
    table = report.to_frame()
    free = good_fit.free_samples()
    assert table.height == sum(int(np.prod(v.shape[2:])) for v in free.values())
    idata = good_fit.idata
    from mmm.modeling._arviz import arviz

    az = arviz()

    ref = az.rhat(idata, var_names=["media.adstock.alpha"])["media.adstock.alpha"].values
    ess = az.ess(idata, var_names=["media.adstock.alpha"])["media.adstock.alpha"].values
    rows = table.filter(table["site"] == "media/adstock/alpha")
    assert rows["parameter"].to_list() == [
        f"media/adstock/alpha[{c}]" for c in ds_channels(good_fit)
    ]
    # arviz folds the float32 draws in float32 (a few ties break differently): 1e-4
    np.testing.assert_allclose(rows["rhat"].to_numpy(), ref, rtol=1e-4)
    np.testing.assert_allclose(rows["ess_bulk"].to_numpy(), ess, rtol=1e-4)


def ds_channels(fitted) -> list[str]:
    return list(fitted.spec.channels)


@pytest.mark.slow
def test_a_short_rough_fit_fails_for_the_right_reasons(spec, ds) -> None:
    """Too few draws and a forced low target_accept: R-hat, ESS and divergences fail."""
    rough = fit(
        spec, ds, chains=4, draws=30, tune=30, seed=1, target_accept=0.3, progress_bar=False
    )
    report = summarize(rough)
    assert not report.passed
    assert report.check("ess_bulk").status == "fail"
    assert "Draw more" in report.check("ess_bulk").message
    assert report.check("rhat").status in ("warn", "fail")
    assert "Run longer" in report.check("rhat").message
    diverging = rough.sample_stats["diverging"]
    assert diverging.sum() > 0
    assert report.divergences == int(diverging.sum())
    assert report.check("divergences").status != "pass"
    assert "raise target_accept" in report.check("divergences").message
    assert "(now 0.3)" in report.check("divergences").message
    assert report.divergent_draws.tolist() == np.argwhere(diverging).tolist()


@pytest.mark.slow
def test_a_multimodal_posterior_fails_rhat(make_chains, good_fit, spec, ds) -> None:
    rng = np.random.default_rng(0)
    samples = dict(good_fit.samples)
    mode = np.array([-1.0, -1.0, 1.0, 1.0])[:, None]
    noise = rng.normal(0.0, 0.05, size=(4, good_fit.n_draws))
    samples["trend/coef"] = (mode + noise)[..., None]  # two chains in each of two modes
    fitted = make_chains(spec, ds, samples)
    report = summarize(fitted)
    assert report.check("rhat").status == "fail"
    assert "trend/coef[trend]" in report.check("rhat").message
    assert "multimodal" in report.check("rhat").message
    assert report.rhat_max == pytest.approx(rhat(samples["trend/coef"][..., 0]))


@pytest.mark.slow
def test_sampler_statistics_checks(make_chains, good_fit, spec, ds) -> None:
    rng = np.random.default_rng(1)
    samples = {k: v[:, :100] for k, v in good_fit.samples.items()}
    energy = np.cumsum(rng.normal(size=(4, 100)), axis=1)  # a random walk: E-BFMI near 0
    energy[0] = rng.normal(size=100)  # chain 0 is fine
    depth = np.full((4, 100), 10)
    diverging = np.zeros((4, 100), bool)
    diverging[2, [5, 7]] = True
    stats = {"energy": energy, "tree_depth": depth, "diverging": diverging}
    fitted = dataclasses.replace(
        make_chains(spec, ds, samples, stats),
        info=FitInfo(
            method="nuts",
            seed=0,
            seconds=0.0,
            settings={"max_tree_depth": 10, "target_accept": 0.9},
        ),
    )
    report = summarize(fitted)
    assert report.check("ebfmi").status == "warn"
    assert "[1, 2, 3]" in report.check("ebfmi").message
    np.testing.assert_allclose(report.ebfmi, ebfmi(energy))
    ref = [np.sum(np.diff(e) ** 2) / np.sum((e - e.mean()) ** 2) for e in energy]
    np.testing.assert_allclose(report.ebfmi, ref)
    assert report.check("tree_depth").status == "warn"
    assert report.tree_depth_share == 1.0
    assert report.divergences == 2
    assert report.divergent_draws.tolist() == [[2, 5], [2, 7]]
    assert report.check("divergences").status == "fail"  # 2 / 400 > 0.1%
    lenient = summarize(fitted, Thresholds(divergence_share_fail=0.01))
    assert lenient.check("divergences").status == "warn"


def test_svi_and_map_fits_report_the_optimizer_instead(spec, ds) -> None:
    svi = fit(spec, ds, method="svi", svi_steps=1500, draws=100, seed=0, progress_bar=False)
    report = summarize(svi)
    for name in ("rhat", "ess_bulk", "ess_tail", "divergences", "tree_depth", "ebfmi"):
        assert report.check(name).status == "n/a"
        assert "does not apply to SVI" in report.check(name).message
    assert report.check("optimizer").status in ("pass", "warn")
    assert report.table["status"].unique().to_list() == ["n/a"]
    barely = fit(spec, ds, method="map", svi_steps=40, seed=0, progress_bar=False)
    unfinished = summarize(barely)
    assert unfinished.check("optimizer").status == "fail"
    assert "svi_steps" in unfinished.check("optimizer").message
    assert not unfinished.passed


def test_thresholds_are_validated() -> None:
    with pytest.raises(ValueError, match="rhat_fail"):
        Thresholds(rhat=1.2, rhat_fail=1.1)
    with pytest.raises(ValueError, match="ess_fail"):
        Thresholds(ess=50)


def test_optimizer_check_tells_noise_from_drift(spec, ds) -> None:
    base = fit(spec, ds, method="map", svi_steps=50, seed=0, progress_bar=False)
    rng = np.random.default_rng(0)
    steps = 5000

    def optimizer_check(losses: np.ndarray):
        info = dataclasses.replace(base.info, losses=losses)
        return summarize(dataclasses.replace(base, info=info)).check("optimizer")

    # flat, with single-particle-like noise (10% of the level): settled within its noise
    flat = 1000.0 + rng.normal(0.0, 100.0, steps)
    last, before = flat[-500:].mean(), flat[-1000:-500].mean()
    assert abs(before - last) / (abs(last) + 1) > 1e-3  # the old rule would not pass it
    settled = optimizer_check(flat)
    assert settled.status == "pass"
    assert "within its noise" in settled.message
    # a real drift (1.2% over 500 steps) fails, with or without noise on top
    for noise in (1.0, 30.0):
        drifting = np.linspace(1400.0, 1000.0, steps) + rng.normal(0.0, noise, steps)
        check = optimizer_check(drifting)
        assert check.status == "fail"
        assert "svi_steps" in check.message
    # a deterministic loss (MAP) that has settled passes on the relative rule
    converged = 1000.0 + 50.0 * np.exp(-np.arange(steps) / 100.0)
    assert optimizer_check(converged).status == "pass"
