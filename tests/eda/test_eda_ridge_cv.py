"""Rolling-origin ridge CV: folds in time order, and no fold ever uses its future."""

import warnings

import numpy as np
import polars as pl
import pytest

from mmm.config import DataContractWarning
from mmm.data import MMMDataSet
from mmm.datasets import SimulationTruth, simulate
from mmm.eda import (
    linear_baselines,
    regression_design,
    resolve_features,
    resolve_transform_params,
    ridge,
    ridge_cv,
    rolling_folds,
)
from mmm.features import GeometricAdstock, HillSaturation, MediaSpec, Scalings, media_inputs
from mmm.modeling import ModelSpec

PENALTIES = (1e-3, 1e-2, 1e-1, 1.0)


def _cv(ds: MMMDataSet, folds: int = 4):
    features = resolve_features(ds, None)
    params = resolve_transform_params(features, None)
    return ridge_cv(ds.to_arrays(), features, params, penalties=PENALTIES, folds=folds)


def _corrupt_after(ds: MMMDataSet, last: object) -> MMMDataSet:
    """The dataset with KPI, spend and controls scrambled after the date ``last``."""
    later = pl.col("date") > last
    changed = [c for c in ds.frame.columns if c.startswith(("kpi__", "spend__", "control__"))]
    return MMMDataSet.from_frame(
        ds.frame.with_columns(
            [
                pl.when(later).then(pl.col(c) * 3.0 + 7.0).otherwise(pl.col(c)).alias(c)
                for c in changed
            ]
        ),
        warn=False,
    )


def test_rolling_folds_layout() -> None:
    assert rolling_folds(104, folds=4) == [(52, 65), (65, 78), (78, 91), (91, 104)]
    assert rolling_folds(30, folds=2, horizon=5, min_train=10) == [(10, 15), (15, 20)]
    with pytest.raises(ValueError, match="do not fit"):
        rolling_folds(30, folds=5, horizon=5, min_train=10)
    with pytest.raises(ValueError, match="folds"):
        rolling_folds(30, folds=0)


def test_fold_dates_train_strictly_before_validation(
    sim: tuple[MMMDataSet, SimulationTruth],
) -> None:
    ds, _ = sim
    cv = _cv(ds)
    dates = ds.dates
    for k, fold in enumerate(cv.folds):
        assert fold.train_start == dates[0]
        assert fold.train_end < fold.valid_start
        assert dates.index(fold.valid_start) == dates.index(fold.train_end) + 1
        assert fold.n_train == dates.index(fold.train_end) + 1
        if k:
            assert fold.valid_start > cv.folds[k - 1].valid_end
    frame = cv.folds_frame()
    assert frame["n_valid"].to_list() == [13] * 4
    assert cv.rmse == pytest.approx(
        np.sqrt(sum(f.rmse**2 * f.n_valid for f in cv.folds) / sum(f.n_valid for f in cv.folds))
    )
    assert cv.penalty == PENALTIES[int(np.argmin(cv.rmse))]


def test_no_fold_changes_when_data_after_its_window_change(
    sim: tuple[MMMDataSet, SimulationTruth],
) -> None:
    ds, _ = sim
    base = _cv(ds)
    for k, fold in enumerate(base.folds[:-1]):
        corrupted = _cv(_corrupt_after(ds, fold.valid_end))
        np.testing.assert_array_equal(corrupted.folds[k].rmse, fold.rmse)
        assert not np.allclose(corrupted.folds[k + 1].rmse, base.folds[k + 1].rmse)
    # and the validation window itself only affects the scores, not what was trained on
    fold = base.folds[0]
    corrupted = _cv(_corrupt_after(ds, fold.train_end))
    assert not np.allclose(corrupted.folds[0].rmse, fold.rmse)


def test_fold_score_equals_a_fit_on_the_training_slice_alone(
    sim: tuple[MMMDataSet, SimulationTruth],
) -> None:
    ds, _ = sim
    features = resolve_features(ds, None)
    params = resolve_transform_params(features, None)
    cv = _cv(ds)
    fold = cv.folds[1]
    with warnings.catch_warnings():  # short windows: the contract warns, as it should
        warnings.simplefilter("ignore", DataContractWarning)
        train = ds.slice(end=fold.train_end).to_arrays()
        window = ds.slice(end=fold.valid_end).to_arrays()
    scalings = Scalings.fit(train, media_inputs(train, features.media), features.scaling)
    train_design = regression_design(train, features, params)
    window_design = regression_design(window, features, params, scalings)
    actual = np.asarray(window.kpi)[fold.n_train :]
    for i, penalty in enumerate(PENALTIES):
        coef = ridge(train_design.x, train_design.y, penalty).coef
        predicted = window_design.x[fold.n_train :] @ coef * train_design.kpi_scale
        rmse = np.sqrt(np.mean((actual - predicted) ** 2))
        assert fold.rmse[i] == pytest.approx(rmse, rel=1e-5)


def test_a_channel_launched_after_a_folds_training_part_gets_no_weight_there(
    sim: tuple[MMMDataSet, SimulationTruth],
) -> None:
    """Regression: a channel off for the first months crashed EDA (its first folds'
    training part could not be scaled). Before the launch it must weigh nothing: those
    folds score as if the channel were not in the data at all."""
    ds, _ = sim
    late = ds.channels[-1]
    launch = ds.dates[80]  # after the first two folds' training parts (52 and 65 weeks)
    launched = MMMDataSet.from_frame(
        ds.frame.with_columns(
            pl.when(pl.col("date") < launch)
            .then(0.0)
            .otherwise(pl.col(f"spend__{late}"))
            .alias(f"spend__{late}")
        ),
        warn=False,
    )
    without = launched.drop(f"spend__{late}")
    cv, reference = _cv(launched), _cv(without)
    assert [f.n_train for f in cv.folds] == [52, 65, 78, 91]
    for k in (0, 1, 2):  # training parts that end before the launch
        np.testing.assert_allclose(cv.folds[k].rmse, reference.folds[k].rmse, rtol=1e-5)
    # once the channel has history, it is in the fit and changes the scores
    assert not np.allclose(cv.folds[3].rmse, reference.folds[3].rmse, rtol=1e-3)
    assert np.all(np.isfinite(cv.rmse))


def test_baselines_recover_the_truth_with_the_true_transforms() -> None:
    ds, truth = simulate(n_weeks=104, n_channels=3, seed=4, noise=0.0)
    true_params = {
        c: {
            "adstock/alpha": truth.params[c].adstock_params["alpha"],
            **{f"saturation/{k}": v for k, v in truth.params[c].saturation_params.items()},
        }
        for c in ds.channels
    }
    spec = ModelSpec.default(ds, media=MediaSpec(GeometricAdstock(l_max=8), HillSaturation()))
    fits = linear_baselines(ds, spec, transform_params=true_params, folds=3)
    ols_roi = dict(zip(*fits.ols.channels().select("channel", "roi"), strict=True))
    for channel in ds.channels:
        assert ols_roi[channel] == pytest.approx(truth.roi[channel], rel=1e-3), channel
    contributions = fits.ols.contributions()
    tv = contributions.filter(pl.col("component") == "tv")["contribution"].to_numpy()
    np.testing.assert_allclose(
        tv, truth.contributions["tv"].to_numpy(), rtol=0.15, atol=0.03 * tv.max()
    )
    # contributions add up to the fitted KPI, and ROI is contribution / spend
    total = contributions.group_by("date").agg(pl.col("contribution").sum()).sort("date")
    np.testing.assert_allclose(total["contribution"].to_numpy(), fits.ols.fitted, rtol=1e-9)
    table = fits.ridge.channels()
    np.testing.assert_allclose(table["roi"], table["contribution"] / table["spend"])
    assert fits.ridge.fit.penalty == fits.ridge.cv.penalty


def test_a_valued_conversions_kpi_gives_the_money_roi_of_the_truth() -> None:
    """KPI = revenue / 25 (conversions) with ``value_per_kpi = 25``: the true ROAS again."""
    ds, truth = simulate(n_weeks=104, n_channels=3, seed=4, noise=0.0)
    conversions = MMMDataSet.from_frame(
        ds.frame.with_columns(pl.col(ds.kpi_column) / 25.0), warn=False
    )
    true_params = {
        c: {
            "adstock/alpha": truth.params[c].adstock_params["alpha"],
            **{f"saturation/{k}": v for k, v in truth.params[c].saturation_params.items()},
        }
        for c in ds.channels
    }
    spec = ModelSpec.default(ds, media=MediaSpec(GeometricAdstock(l_max=8), HillSaturation()))
    fits = linear_baselines(
        conversions, spec, transform_params=true_params, folds=3, value_per_kpi=25.0
    )
    roi = dict(zip(*fits.ols.channels().select("channel", "roi"), strict=True))
    for channel in ds.channels:
        assert roi[channel] == pytest.approx(truth.roi[channel], rel=1e-3), channel
    plain = linear_baselines(conversions, spec, transform_params=true_params, folds=3)
    np.testing.assert_allclose(
        fits.ridge.channels()["roi"], 25.0 * plain.ridge.channels()["roi"], rtol=1e-9
    )
    with pytest.raises(ValueError, match="value_per_kpi"):
        linear_baselines(conversions, spec, value_per_kpi=0.0)
