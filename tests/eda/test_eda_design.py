"""The EDA regression design against numpy references and the Bayesian model's sites."""

import dataclasses

import numpy as np
import numpyro.distributions as dist
import pytest

from mmm.data import MMMDataSet
from mmm.datasets import SimulationTruth
from mmm.eda import (
    count_parameters,
    prior_centers,
    regression_design,
    resolve_features,
    resolve_transform_params,
)
from mmm.features import (
    GeometricAdstock,
    Intercept,
    LogisticSaturation,
    MediaSpec,
    PiecewiseTrend,
    build_design,
    changepoint_grid,
    time_index,
)
from mmm.modeling import ModelSpec, model_sites


def _geometric_logistic(x: np.ndarray, alpha: float, lam: float, l_max: int) -> np.ndarray:
    weights = alpha ** np.arange(l_max)
    weights = weights / weights.sum()
    carried = np.array(
        [sum(weights[k] * x[t - k] for k in range(l_max) if t - k >= 0) for t in range(len(x))]
    )
    return (1 - np.exp(-lam * carried)) / (1 + np.exp(-lam * carried))


def test_media_columns_equal_a_numpy_loop(sim: tuple[MMMDataSet, SimulationTruth]) -> None:
    ds, _ = sim
    features = resolve_features(ds, None)
    params = resolve_transform_params(
        features, {"tv": {"adstock/alpha": 0.6, "saturation/lam": 1.5}}
    )
    design = regression_design(ds.to_arrays(), features, params)
    spend = ds.frame.select([f"spend__{c}" for c in ds.channels]).to_numpy()
    for i, channel in enumerate(ds.channels):
        p = params[channel]
        x = spend[:, i] / spend[:, i].max()
        expected = _geometric_logistic(x, p["adstock/alpha"], p["saturation/lam"], 8)
        np.testing.assert_allclose(design.x[:, i], expected, rtol=2e-5, atol=1e-6)
    assert params["tv"] == {"adstock/alpha": 0.6, "saturation/lam": 1.5}
    # the others sit at the default priors' means
    spec = features.media["search"]
    means = {
        "adstock/alpha": float(spec.adstock.priors()["alpha"].mean),
        "saturation/lam": float(spec.saturation.priors()["lam"].mean),
    }
    assert params["search"] == pytest.approx(means)
    assert design.y == pytest.approx(ds.frame[ds.kpi_column].to_numpy() / design.kpi_scale)


def test_baseline_columns_are_the_pipeline_features_and_trend_hinges(
    sim: tuple[MMMDataSet, SimulationTruth],
) -> None:
    ds, _ = sim
    features = resolve_features(ds, None)
    params = resolve_transform_params(features, None)
    design = regression_design(ds.to_arrays(), features, params)
    pipeline = build_design(ds, media=features.media, baseline=features.baseline)
    expected = np.concatenate([np.asarray(m) for m in pipeline.baseline], axis=1)
    np.testing.assert_allclose(design.x[:, len(ds.channels) :], expected, atol=1e-6)
    assert design.groups[len(ds.channels)] == "intercept"
    # a piecewise trend's slope changes enter as hinges (t - s_j)_+
    piecewise = dataclasses.replace(
        features, baseline=(Intercept(), PiecewiseTrend(n_changepoints=3))
    )
    d2 = regression_design(ds.to_arrays(), piecewise, params)
    t = time_index(ds.dates)
    s = changepoint_grid(3, range_fraction=0.8)
    hinges = np.maximum(t[:, None] - np.asarray(s)[None, :], 0.0)
    np.testing.assert_allclose(d2.x[:, -3:], hinges, atol=1e-6)
    assert d2.terms[-3:] == ("trend_delta_1", "trend_delta_2", "trend_delta_3")


def test_parameter_count_equals_the_model_latent_sites(
    sim: tuple[MMMDataSet, SimulationTruth],
) -> None:
    ds, _ = sim
    spec = ModelSpec.default(ds)
    sites = model_sites(
        spec, build_design(ds, media=dict(zip(spec.channels, spec.media, strict=True)))
    )
    n_latent = sum(
        int(np.prod(s.shape)) for s in sites.values() if s.kind == "sample" and not s.observed
    )
    features = resolve_features(ds, spec)
    assert count_parameters(features, ds.to_arrays()) == n_latent
    assert count_parameters(resolve_features(ds, None), ds.to_arrays()) == n_latent


def test_transform_params_errors_name_the_problem(
    sim: tuple[MMMDataSet, SimulationTruth],
) -> None:
    ds, _ = sim
    features = resolve_features(ds, None)
    with pytest.raises(ValueError, match="unknown series \\['nope'\\]"):
        resolve_transform_params(features, {"nope": {"adstock/alpha": 0.5}})
    with pytest.raises(ValueError, match=r"unknown parameter.*adstock/beta"):
        resolve_transform_params(features, {"adstock/beta": 0.5})
    with pytest.raises(ValueError, match="not finite"):
        resolve_transform_params(features, {"tv": {"adstock/alpha": float("nan")}})
    with pytest.raises(ValueError, match="mixes"):
        resolve_transform_params(features, {"tv": {"adstock/alpha": 0.5}, "adstock/alpha": 0.1})
    other = ModelSpec.default(ds.drop("spend__tv"))
    with pytest.raises(ValueError, match="channels"):
        resolve_features(ds, other)


def test_prior_center_of_a_prior_without_mean_is_its_median() -> None:
    spec = MediaSpec(GeometricAdstock(), LogisticSaturation(lam=dist.HalfCauchy(2.0)))
    center = prior_centers(spec)["saturation/lam"]
    assert center == pytest.approx(2.0, rel=0.1)  # the half-Cauchy's median is its scale
    assert prior_centers(spec) == prior_centers(spec)  # fixed key: same every run
