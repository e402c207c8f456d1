"""The sanity review: each check on posteriors built from given draws with known answers.

The draws are constructed so the quantity each check measures is known in closed form:
with the default spec's contribution-share effect a channel's window contribution is
``share * T * s_y`` whatever its transforms (so its ROI is ``share * T * s_y / spend``),
and with every baseline coefficient but the intercept's level ``L`` at zero the baseline
is ``(L - sum(share)) * s_y`` in every period and the media share of the KPI is
``sum(share) / L``. One real NUTS fit checks the control-sign check end to end.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest

from mmm.diagnostics._review import DEFAULT_ROI_RANGE, Finding, ReviewThresholds, review
from mmm.modeling import (
    FitInfo,
    FittedMMM,
    design_for,
    fit,
    latent_sites,
    prior_samples,
)

N_PRIOR = 1000
CHANNELS = ("tv", "search", "social")


@pytest.fixture(scope="module")
def prior(spec, ds):
    """Prior draws on the training design, shared by every review here (drawn once)."""
    return prior_samples(spec, design_for(spec, ds), N_PRIOR, seed=0)


@pytest.fixture(scope="module")
def window(ds):
    """Training-window constants: periods T, KPI scale s_y, spend totals per channel."""
    frame = ds.frame
    scale = float(np.abs(frame[ds.kpi_column].to_numpy()).mean())
    spend = np.array([frame[f"spend__{c}"].sum() for c in ds.channels])
    return len(frame), scale, spend


def posterior(spec, ds, prior, **overrides) -> FittedMMM:
    """A fit whose posterior is the prior draws (one chain), with some sites replaced."""
    latent, _ = latent_sites(spec, design_for(spec, ds))
    draws = {k: np.asarray(prior[k], dtype=np.float32) for k in latent}
    for site, value in overrides.items():
        draws[site.replace("__", "/")] = np.asarray(value, dtype=np.float32)
    return FittedMMM(
        spec=spec,
        dataset=ds,
        design=design_for(spec, ds),
        samples={k: v[None] for k, v in draws.items()},
        sample_stats={},
        info=FitInfo(method="given", seed=0, seconds=0.0, settings={}),
    )


def zero_baseline(prior, level: np.ndarray) -> dict[str, np.ndarray]:
    """Overrides: every baseline coefficient zero except the intercept level."""
    out = {"intercept__level": level.reshape(-1, 1)}
    for site in ("trend/coef", "yearly/coef", "controls/coef", "events/coef"):
        out[site.replace("/", "__")] = np.zeros_like(prior[site])
    return out


def subjects(r, check: str, severity: str | None = None) -> set[str]:
    return {f.subject for f in r.by_check(check) if severity is None or f.severity == severity}


# --- ROI range ----------------------------------------------------------------------------


def test_roi_range_flags_interval_outside_as_critical_and_mean_outside_as_warning(
    spec, ds, prior, window
) -> None:
    n_periods, scale, spend = window
    rng = np.random.default_rng(0)
    roi = np.stack(
        [
            rng.uniform(12.0, 14.0, N_PRIOR),  # whole interval above 10: critical
            rng.normal(10.5, 1.0, N_PRIOR),  # mean above, interval straddles 10: warning
            rng.normal(2.0, 0.2, N_PRIOR),  # inside: no finding
        ],
        axis=1,
    )
    share = roi * spend / (n_periods * scale)
    r = review(posterior(spec, ds, prior, media__share=share), prior=prior)
    np.testing.assert_allclose(r.channels["roi_mean"].to_numpy(), roi.mean(axis=0), rtol=1e-3)
    lower, upper = np.quantile(roi, [0.05, 0.95], axis=0)
    np.testing.assert_allclose(r.channels["roi_lower"].to_numpy(), lower, rtol=1e-3)
    np.testing.assert_allclose(r.channels["roi_upper"].to_numpy(), upper, rtol=1e-3)
    assert subjects(r, "roi_range", "critical") == {"tv"}
    assert subjects(r, "roi_range", "warning") == {"search"}
    assert subjects(r, "roi_range") == {"tv", "search"}
    for finding in r.by_check("roi_range"):  # the range's units, named after the KPI
        assert f"({ds.kpi} per unit of spend; for a KPI that is not money" in finding.message
    assert not r.passed
    assert r.worst == "critical"
    # A range that holds them all gives no finding; None skips the check.
    wide = review(posterior(spec, ds, prior, media__share=share), roi_range=(0.5, 20), prior=prior)
    assert wide.by_check("roi_range") == ()
    skipped = review(posterior(spec, ds, prior, media__share=share), roi_range=None, prior=prior)
    assert skipped.by_check("roi_range") == ()
    assert skipped.roi_range is None


def test_roi_range_checks_the_valued_roi_of_a_kpi_that_is_not_money(
    spec, ds, prior, window
) -> None:
    """``value_per_kpi = 4``: conversions ROI 2 is money ROI 8, inside (5, 10), named so."""
    n_periods, scale, spend = window
    roi = np.full((N_PRIOR, len(CHANNELS)), 2.0) * np.array([1.0, 1.0, 3.0])  # KPI per money
    share = roi * spend / (n_periods * scale)
    valued = dataclasses.replace(spec, value_per_kpi=4.0)
    r = review(posterior(valued, ds, prior, media__share=share), roi_range=(5, 10), prior=prior)
    np.testing.assert_allclose(r.channels["roi_mean"].to_numpy(), 4.0 * roi[0], rtol=1e-3)
    assert subjects(r, "roi_range", "critical") == {"social"}  # 24 money per money
    (finding,) = r.by_check("roi_range")
    assert f"(money per unit of spend, one {ds.kpi} valued at 4)" in finding.message


# --- negative baseline and media share -----------------------------------------------------


def test_negative_baseline_probability_matches_the_closed_form(spec, ds, prior) -> None:
    share = np.tile([0.1, 0.1, 0.1], (N_PRIOR, 1))
    # L - sum(share) < 0 in 30% of the draws: P(baseline_t < 0) = 0.3 in every period.
    level = 0.3 + np.linspace(-0.1, 0.2333, N_PRIOR)
    expected = float(np.mean(level < share.sum(axis=1)))
    assert 0.25 < expected < 0.35
    fitted = posterior(spec, ds, prior, media__share=share, **zero_baseline(prior, level))
    (finding,) = review(fitted, prior=prior).by_check("negative_baseline")
    assert finding.severity == "warning"
    assert finding.value == pytest.approx(expected, abs=1e-9)
    assert "0 of 104 periods above 0.5" in finding.message


def test_large_negative_intercept_level_is_critical(spec, ds, prior) -> None:
    level = np.random.default_rng(1).normal(-2.0, 0.05, N_PRIOR)
    fitted = posterior(spec, ds, prior, intercept__level=level.reshape(-1, 1))
    r = review(fitted, prior=prior)
    (finding,) = r.by_check("negative_baseline")
    assert finding.severity == "critical"
    assert finding.value == 1.0
    assert "104 of 104 periods above 0.5" in finding.message
    assert not r.passed


def test_positive_baseline_is_info(spec, ds, prior) -> None:
    share = np.tile([0.1, 0.05, 0.15], (N_PRIOR, 1))
    level = np.full(N_PRIOR, 1.0)
    fitted = posterior(spec, ds, prior, media__share=share, **zero_baseline(prior, level))
    r = review(fitted, roi_range=None, prior=prior)
    (baseline,) = r.by_check("negative_baseline")
    assert (baseline.severity, baseline.value) == ("info", 0.0)
    (media,) = r.by_check("media_share")
    assert media.severity == "info"
    assert media.value == pytest.approx(0.30, rel=1e-4)  # sum(share) / L


@pytest.mark.parametrize(("total", "severity"), [(0.9, "warning"), (0.005, "warning")])
def test_media_share_out_of_band_warns(spec, ds, prior, total, severity) -> None:
    share = np.tile(np.array([0.5, 0.3, 0.2]) * total, (N_PRIOR, 1))
    fitted = posterior(
        spec, ds, prior, media__share=share, **zero_baseline(prior, np.ones(N_PRIOR))
    )
    (finding,) = review(fitted, roi_range=None, prior=prior).by_check("media_share")
    assert finding.severity == severity
    assert finding.value == pytest.approx(total, rel=1e-4)


# --- prior contraction ---------------------------------------------------------------------


def test_channel_whose_roi_posterior_is_its_prior_is_flagged(spec, ds, prior) -> None:
    rng = np.random.default_rng(2)
    share = np.asarray(prior["media/share"]).copy()  # social: exactly the prior draws
    share[:, 0] = rng.normal(0.15, 0.005, N_PRIOR)  # tv, search: learned from the data
    share[:, 1] = rng.normal(0.08, 0.004, N_PRIOR)
    r = review(posterior(spec, ds, prior, media__share=share), roi_range=None, prior=prior)
    assert subjects(r, "prior_contraction", "warning") == {"social"}
    (flag,) = (f for f in r.by_check("prior_contraction") if f.subject == "social")
    assert flag.value == pytest.approx(0.0, abs=1e-6)
    # ROI is linear in the share here, so its contraction is the share's, recomputed by hand.
    prior_share = np.asarray(prior["media/share"], dtype=np.float64)
    expected = 1 - share.var(axis=0, ddof=1) / prior_share.var(axis=0, ddof=1)
    got = r.channels["roi_contraction"].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-6)
    assert got[0] > 0.9
    assert got[1] > 0.9
    # The per-parameter table agrees for the share itself.
    table = r.parameters.filter(pl.col("site") == "media/share")
    assert table["parameter"].to_list() == [f"media/share[{c}]" for c in CHANNELS]
    np.testing.assert_allclose(table["contraction"].to_numpy(), expected, rtol=1e-3, atol=1e-6)


def test_prior_dominated_needs_both_low_contraction_and_an_unmoved_mean(spec, ds, prior) -> None:
    share = np.asarray(prior["media/share"]).copy()
    share[:, 2] = share[:, 2] + 3.0 * share[:, 2].std()  # as wide as the prior, shifted 3 sd
    r = review(posterior(spec, ds, prior, media__share=share), roi_range=None, prior=prior)
    assert "social" not in subjects(r, "prior_contraction", "warning")
    assert {"tv", "search"} <= subjects(r, "prior_contraction", "warning")


# --- control signs -------------------------------------------------------------------------


def test_control_sign_against_expectation(spec, ds, prior) -> None:
    coef = np.random.default_rng(3).normal(0.3, 0.05, (N_PRIOR, 1))
    fitted = posterior(spec, ds, prior, controls__coef=coef)
    wrong = review(fitted, expected_signs={"price": -1}, prior=prior)
    (finding,) = wrong.by_check("control_sign")
    assert (finding.severity, finding.subject, finding.value) == ("critical", "price", 0.0)
    right = review(fitted, expected_signs={"price": 1}, prior=prior)
    (finding,) = right.by_check("control_sign")
    assert (finding.severity, finding.value) == ("info", 1.0)
    # 30% of the draws positive: P(expected +) = 0.3 is a warning.
    mixed = np.where(np.arange(N_PRIOR)[:, None] < 300, 0.1, -0.1)
    r = review(
        posterior(spec, ds, prior, controls__coef=mixed), expected_signs={"price": 1}, prior=prior
    )
    (finding,) = r.by_check("control_sign")
    assert finding.severity == "warning"
    assert finding.value == pytest.approx(0.3)


def test_expected_signs_are_validated(spec, ds, prior) -> None:
    fitted = posterior(spec, ds, prior)
    with pytest.raises(ValueError, match=r"unknown control\(s\) \['promo'\].*\['price'\]"):
        review(fitted, expected_signs={"promo": -1}, prior=prior)
    with pytest.raises(ValueError, match="use -1 or \\+1"):
        review(fitted, expected_signs={"price": 0}, prior=prior)


# --- prior boundary ------------------------------------------------------------------------


def test_transform_parameters_at_a_prior_boundary_are_flagged(spec, ds, prior) -> None:
    rng = np.random.default_rng(4)
    alpha = np.asarray(prior["media/adstock/alpha"]).copy()
    alpha[:, 0] = rng.uniform(0.0, 0.002, N_PRIOR)  # piled at the support bound 0
    alpha[:, 1] = rng.normal(0.95, 0.01, N_PRIOR)  # beyond Beta(1, 3)'s 99% quantile (0.78)
    lam = np.asarray(prior["media/saturation/lam"]).copy()
    lam[:, 2] = rng.normal(12.0, 0.5, N_PRIOR)  # beyond Gamma(3, 1)'s 99% quantile (8.4)
    fitted = posterior(spec, ds, prior, media__adstock__alpha=alpha, media__saturation__lam=lam)
    r = review(fitted, roi_range=None, prior=prior)
    found = {f.subject: f for f in r.by_check("prior_boundary")}
    assert set(found) == {
        "media/adstock/alpha[tv]",
        "media/adstock/alpha[search]",
        "media/saturation/lam[social]",
    }
    assert found["media/adstock/alpha[tv]"].value == 1.0  # share of draws at the bound
    assert "support bound 0" in found["media/adstock/alpha[tv]"].message
    assert found["media/adstock/alpha[search]"].value == pytest.approx(
        np.median(alpha[:, 1]), rel=1e-5
    )
    assert "above the prior's 99% quantile" in found["media/saturation/lam[social]"].message
    assert all(f.severity == "warning" for f in found.values())


# --- the Review object and the arguments ---------------------------------------------------


def test_review_object_sorts_and_renders(spec, ds, prior, window) -> None:
    n_periods, scale, spend = window
    share = np.tile(12.5 * spend / (n_periods * scale), (N_PRIOR, 1))  # ROI 12.5 everywhere
    r = review(posterior(spec, ds, prior, media__share=share), prior=prior)
    ranks = {"critical": 2, "warning": 1, "info": 0}
    severities = [ranks[f.severity] for f in r.findings]
    assert severities == sorted(severities, reverse=True)
    assert r.findings[0].severity == "critical"
    assert all(isinstance(f, Finding) for f in r.findings)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.findings[0].value = 0.0  # type: ignore[misc]
    frame = r.to_frame()
    assert frame.columns == ["check", "severity", "subject", "value", "message"]
    assert frame.height == len(r.findings)
    assert frame["severity"][0] == "critical"
    text = str(r)
    n_critical = sum(f.severity == "critical" for f in r.findings)
    assert n_critical >= 3  # one per channel, at least
    assert text.startswith(f"Model review: NOT passed (worst: critical; {n_critical} critical")
    assert "[critical] roi_range / tv" in text
    assert r.channels.columns[:6] == [
        "channel",
        "spend",
        "contribution",
        "roi_mean",
        "roi_lower",
        "roi_upper",
    ]
    np.testing.assert_allclose(r.channels["spend"].to_numpy(), spend, rtol=1e-6)
    with pytest.raises(ValueError, match="not a check"):
        r.by_check("rhat")


def test_arguments_are_validated(spec, ds, prior) -> None:
    fitted = posterior(spec, ds, prior)
    for kwargs, match in (
        ({"roi_range": (5.0, 1.0)}, "finite low < high"),
        ({"roi_range": "wide"}, "roi_range"),
        ({"level": 1.5}, "level=1.5"),
        ({"prior_draws": 3}, "prior_draws=3"),
        ({"seed": -1}, "seed=-1"),
        ({"thresholds": {"roi_shift": 1}}, "ReviewThresholds"),
    ):
        with pytest.raises(ValueError, match=match):
            review(fitted, prior=prior, **kwargs)
    with pytest.raises(ValueError, match="pass a FittedMMM"):
        review(spec)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"lack the site\(s\) \['kpi/sigma'\]"):
        review(fitted, prior={k: v for k, v in prior.items() if k != "kpi/sigma"})
    with pytest.raises(ValueError, match="sign_critical must be <= sign_warning"):
        ReviewThresholds(sign_critical=0.6)
    assert DEFAULT_ROI_RANGE == (0.1, 10.0)


def test_single_draw_fit_is_reviewed_without_warnings(spec, ds, prior) -> None:
    """A MAP fit has one draw: no variance, so contractions are NaN and nothing is flagged
    for them (numpy's warnings would be errors here)."""
    one = {
        k.replace("/", "__"): np.asarray(prior[k])[:1] for k in prior if k in spec_sites(spec, ds)
    }
    r = review(posterior(spec, ds, prior, **one), roi_range=None, prior=prior)
    assert np.isnan(r.channels["roi_contraction"].to_numpy()).all()
    assert r.parameters["contraction"].is_nan().all()
    assert subjects(r, "prior_contraction") == set()


def spec_sites(spec, ds) -> list[str]:
    return latent_sites(spec, design_for(spec, ds))[0]


# --- one real fit -------------------------------------------------------------------------


@pytest.mark.slow
def test_review_of_a_real_fit_flags_a_wrong_control_sign(spec, ds, prior) -> None:
    """simulate() draws the price effect negative; the fit recovers it, so +1 is flagged."""
    fitted = fit(spec, ds, chains=2, draws=200, tune=200, seed=0, progress_bar=False)
    assert float(np.asarray(fitted.samples["controls/coef"]).mean()) < 0
    wrong = review(fitted, expected_signs={"price": 1}, prior=prior)
    (finding,) = wrong.by_check("control_sign")
    assert finding.severity == "critical"
    assert not wrong.passed
    right = review(fitted, expected_signs={"price": -1}, prior=prior)
    assert right.by_check("control_sign")[0].severity == "info"
    # A well-specified fit on simulated data (true ROIs 1.6 to 2.4, media share 30%) has no
    # critical finding and no ROI outside the default range.
    assert right.passed, str(right)
    assert right.by_check("roi_range") == ()
    (share,) = right.by_check("media_share")
    assert 0.15 < share.value < 0.45
