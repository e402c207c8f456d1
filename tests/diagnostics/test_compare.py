"""PSIS-LOO / WAIC model comparison on simulated data with a known true model."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest

from mmm.data import MMMDataSet
from mmm.diagnostics import compare, loo, waic
from mmm.modeling import ModelSpec, fit


@pytest.mark.slow
def test_loo_prefers_the_true_model(true_and_misspecified) -> None:
    good, bad = true_and_misspecified
    result = compare({"true": good, "misspecified": bad})
    assert result.best == "true"
    assert result.table["model"].to_list() == ["true", "misspecified"]
    second = result.table.row(1, named=True)
    assert second["elpd_diff"] > 2 * second["dse"]
    assert "clearly better" in str(result)
    assert result.table["weight"].sum() == pytest.approx(1.0)
    # elpd equals the sum of the pointwise values, and WAIC ranks them the same way
    score = result.scores["true"]
    assert score.elpd == pytest.approx(score.pointwise.sum())
    assert compare([good, bad], criterion="waic").best == "model_0"


@pytest.mark.slow
def test_loo_elpd_is_a_log_density_of_the_kpi_in_its_units(true_and_misspecified) -> None:
    good, _ = true_and_misspecified
    score = loo(good)
    ll = good.log_likelihood()  # (chain, draw, time), KPI units
    flat = ll.reshape(-1, ll.shape[-1])
    lppd = np.log(np.mean(np.exp(flat - flat.max(0)), axis=0)) + flat.max(0)
    # LOO's elpd is below the in-sample lppd by about the effective number of parameters
    assert score.elpd < lppd.sum()
    assert score.elpd == pytest.approx(lppd.sum() - score.p_eff, rel=1e-6)
    assert 3 < score.p_eff < 40
    assert waic(good).elpd == pytest.approx(score.elpd, abs=3 * score.se)


@pytest.mark.slow
def test_an_outlier_week_is_reported_as_problematic(seasonal_ds) -> None:
    frame = seasonal_ds.frame
    kpi = seasonal_ds.kpi_column
    week = 60
    spiked = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == week)
        .then(pl.col(kpi) * 3.0)
        .otherwise(pl.col(kpi))
        .alias(kpi)
    )
    ds = MMMDataSet.from_frame(spiked)
    spec = ModelSpec.default(ds)
    fitted = fit(spec, ds, chains=4, draws=200, tune=200, seed=0, progress_bar=False)
    score = loo(fitted)
    bad_dates = [d for d, _ in score.bad_periods]
    assert frame["date"][week] in bad_dates
    assert int(np.argmax(score.pareto_k)) == week
    other = dataclasses.replace(fitted, samples={k: v[:, ::-1] for k, v in fitted.samples.items()})
    result = compare({"spiked": fitted, "same": other})
    assert frame["date"][week] in result.problematic["date"].to_list()
    assert "Pareto k" in str(result)


@pytest.mark.slow
def test_compare_refuses_fits_of_other_data_and_single_points(
    true_and_misspecified, short_ds, make_chains
) -> None:
    good, _ = true_and_misspecified
    with pytest.raises(ValueError, match="at least 2 fits"):
        compare([good])
    with pytest.raises(ValueError, match="criterion"):
        compare([good, good], criterion="aic")  # type: ignore[arg-type]
    # short_ds has the same columns (2 channels, 2 controls, 1 event), other weeks
    other = make_chains(
        ModelSpec.default(short_ds), short_ds, {k: v[:, :50] for k, v in good.samples.items()}
    )
    with pytest.raises(ValueError, match="other periods or another KPI"):
        compare({"a": good, "b": other})
    point = make_chains(good.spec, good.dataset, {k: v[:1, :1] for k, v in good.samples.items()})
    with pytest.raises(ValueError, match="one point"):
        loo(point)
