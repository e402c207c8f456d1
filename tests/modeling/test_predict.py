"""Prediction in and out of sample, against an independent numpy computation."""

import dataclasses

import numpy as np
import pytest

from mmm.datasets import simulate
from mmm.features import Intercept, LinearTrend, MediaSpec
from mmm.modeling import CoefficientEffect, ModelSpec, predict

N_TRAIN, N_FUTURE = 104, 14


def split(ds):
    return ds.to_arrays().periods(N_TRAIN, N_TRAIN + N_FUTURE)


@pytest.fixture(scope="module")
def setup(make_fitted, ref_media):
    ds_all, _ = simulate(n_weeks=N_TRAIN + N_FUTURE, n_channels=2, seed=7, n_controls=0, n_events=0)
    train = ds_all.slice(end=ds_all.dates[N_TRAIN - 1])
    spec = ModelSpec(
        channels=tuple(train.channels),
        media=(MediaSpec(), MediaSpec()),  # geometric (8 lags) + Hill, as the reference
        effect=CoefficientEffect(),
        baseline=(Intercept(), LinearTrend()),
    )
    draws = {
        "media/adstock/alpha": np.array([[0.6, 0.3], [0.2, 0.8]], dtype=np.float32),
        "media/saturation/k": np.array([[0.4, 0.7], [0.5, 0.3]], dtype=np.float32),
        "media/saturation/s": np.array([[1.5, 0.8], [2.0, 1.1]], dtype=np.float32),
        "media/coef": np.array([[0.3, 0.2], [0.1, 0.4]], dtype=np.float32),
        "intercept/level": np.array([[0.9], [0.8]], dtype=np.float32),
        "trend/coef": np.array([[0.1], [-0.05]], dtype=np.float32),
        "kpi/sigma": np.array([0.05, 0.02], dtype=np.float32),
    }
    return ds_all, train, spec, make_fitted(spec, train, draws), draws, ref_media


def reference(ds_all, train, draws, d, ref_geometric_hill):
    spend = ds_all.frame.select([f"spend__{c}" for c in ds_all.channels]).to_numpy()
    scale = spend[:N_TRAIN].max(axis=0)
    kpi_scale = np.abs(train.frame[train.kpi_column].to_numpy()).mean()
    start, end = train.dates[0], train.dates[-1]
    t = np.array([(x - start).days / (end - start).days for x in ds_all.dates])
    media = np.zeros(len(t))
    for i in range(len(ds_all.channels)):
        unit = ref_geometric_hill(
            spend[:, i] / scale[i],
            float(draws["media/adstock/alpha"][d, i]),
            float(draws["media/saturation/k"][d, i]),
            float(draws["media/saturation/s"][d, i]),
            8,
        )
        media = media + draws["media/coef"][d, i] * unit
    # The sampled level is the intercept plus the mean media contribution of the
    # training window (Intercept's parametrization).
    intercept = draws["intercept/level"][d, 0] - media[:N_TRAIN].mean()
    baseline = intercept + draws["trend/coef"][d, 0] * t
    return (baseline + media) * kpi_scale, baseline * kpi_scale


def test_out_of_sample_with_carry_in_matches_numpy(setup) -> None:
    ds_all, train, _, fitted, draws, ref = setup
    future = split(ds_all)
    pred = predict(fitted, future)
    assert pred.dates == tuple(ds_all.dates[N_TRAIN:])
    assert pred.mean.shape == (2, N_FUTURE)
    for d in range(2):
        expected = reference(ds_all, train, draws, d, ref)[0][N_TRAIN:]
        np.testing.assert_allclose(pred.mean[d], expected, rtol=1e-4)
    # The first future weeks carry the adstock of past spend: zero future spend still
    # gives a media response in week 1.
    silent = dataclasses.replace(future, spend=future.spend * 0)
    quiet = predict(fitted, silent)
    base = reference(ds_all, train, draws, 0, ref)[1][N_TRAIN:]
    assert quiet.mean[0, 0] - base[0] > 1e-3 * base[0]


def test_in_sample_prediction_and_noise(setup) -> None:
    ds_all, train, _, fitted, draws, ref = setup
    pred = predict(fitted, seed=3)
    assert pred.dates == tuple(train.dates)
    for d in range(2):
        np.testing.assert_allclose(
            pred.mean[d], reference(ds_all, train, draws, d, ref)[0][:N_TRAIN], rtol=1e-4
        )
    kpi_scale = np.abs(train.frame[train.kpi_column].to_numpy()).mean()
    resid = (pred.draws - pred.mean) / (draws["kpi/sigma"][:, None] * kpi_scale)
    assert abs(resid.std() - 1.0) < 0.15
    lower, upper = pred.interval(0.9)
    assert np.all(lower <= upper)
    again = predict(fitted, seed=3)
    np.testing.assert_array_equal(again.draws, pred.draws)
    with pytest.raises(ValueError, match="level"):
        pred.interval(1.5)


def test_future_must_continue_the_training_window(setup) -> None:
    ds_all, _, _, fitted, _, _ = setup
    future = split(ds_all)
    gap = dataclasses.replace(future, dates=tuple(d.replace(year=d.year + 1) for d in future.dates))
    with pytest.raises(ValueError, match="one period"):
        predict(fitted, gap)
    other = dataclasses.replace(future, channels=("tv", "radio"))
    with pytest.raises(ValueError, match="channels"):
        predict(fitted, other)
