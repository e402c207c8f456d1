"""The model's pure half against an independent numpy computation, and its sites."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import pytest

from mmm.datasets import simulate
from mmm.features import MediaSpec, ScalingSpec, WeibullCDFAdstock
from mmm.modeling import (
    CoefficientEffect,
    ModelSpec,
    ROIEffect,
    components,
    design_for,
    media_groups,
    mmm_model,
    model_sites,
)
from mmm.modeling import _model as model_module


def draw(spec, design, seed=0):
    return numpyro.infer.Predictive(mmm_model, num_samples=1)(
        jax.random.PRNGKey(seed), spec, design, None
    )


def test_components_match_a_numpy_reference(small_ds, ref_media) -> None:
    spec = ModelSpec.default(small_ds, effect=CoefficientEffect(), media=MediaSpec())
    design = design_for(spec, small_ds)
    prior = {k: np.asarray(v[0]) for k, v in draw(spec, design).items() if k != "kpi"}
    parts = components(spec, prior, design)
    x = np.asarray(design.media, dtype=np.float64)
    for i, _ in enumerate(spec.channels):
        unit = ref_media(
            x[:, i],
            float(prior["media/adstock/alpha"][i]),
            float(prior["media/saturation/k"][i]),
            float(prior["media/saturation/s"][i]),
            spec.media[i].adstock.l_max,
        )
        expected = prior["media/coef"][i] * unit
        np.testing.assert_allclose(parts.media[:, i], expected, rtol=2e-5, atol=1e-7)
    for b, features, contribution in zip(
        spec.baseline, design.baseline, parts.baseline, strict=True
    ):
        coef = prior[f"{b.name}/coef"]
        np.testing.assert_allclose(contribution, np.asarray(features) @ coef, rtol=1e-5, atol=1e-6)
    total = parts.media.sum(axis=1) + sum(parts.baseline)
    np.testing.assert_allclose(parts.total(), total, rtol=1e-6, atol=1e-6)
    # The intercept is implied by the sampled level: level - mean media per period.
    media_mean = np.asarray(parts.media, dtype=np.float64).sum(axis=1).mean()
    expected_intercept = prior["intercept/level"] - media_mean
    np.testing.assert_allclose(prior["intercept/coef"], expected_intercept, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        np.asarray(parts.total()).mean(),
        _mean_net_of_level(parts) + prior["intercept/level"][0],
        rtol=1e-5,
    )


def _mean_net_of_level(parts):
    """Mean of every baseline term but the intercept: the level is the rest of the mean."""
    return float(sum(np.asarray(b).mean() for b in parts.baseline[1:]))


@pytest.mark.parametrize(
    ("scaling", "kpi_statistic"),
    [(ScalingSpec(), np.mean), (ScalingSpec(kpi="peak", media="mean"), np.max)],
)
def test_roi_effect_implies_exactly_the_sampled_roi(small_ds, scaling, kpi_statistic) -> None:
    spec = ModelSpec.default(small_ds, effect=ROIEffect(), scaling=scaling)
    design = design_for(spec, small_ds)
    prior = draw(spec, design, seed=1)
    params = {k: v[0] for k, v in prior.items() if k != "kpi"}
    parts = components(spec, params, design)
    kpi_scale = float(kpi_statistic(np.abs(small_ds.frame[small_ds.kpi_column].to_numpy())))
    implied = np.asarray(parts.media.sum(axis=0)) * kpi_scale / np.asarray(design.spend.sum(axis=0))
    np.testing.assert_allclose(implied, prior["media/roi"][0], rtol=1e-4)
    np.testing.assert_allclose(prior["media/coef"][0], parts.coef, rtol=1e-6)


def test_contribution_effect_implies_the_sampled_share(small_ds) -> None:
    spec = ModelSpec.default(small_ds)
    design = design_for(spec, small_ds)
    prior = draw(spec, design, seed=2)
    params = {k: v[0] for k, v in prior.items() if k != "kpi"}
    parts = components(spec, params, design)
    np.testing.assert_allclose(parts.media.mean(axis=0), prior["media/share"][0], rtol=1e-4)


def test_roi_window_is_the_training_window_when_future_is_appended(small_ds) -> None:
    spec = ModelSpec.default(small_ds, effect=ROIEffect())
    design = design_for(spec, small_ds)
    params = {k: v[0] for k, v in draw(spec, design, seed=3).items() if k != "kpi"}
    full = components(spec, params, design)
    n = 80
    short = components(spec, params, design, train_periods=n)
    ratio = np.asarray(short.coef / full.coef)
    expected = (
        np.asarray(design.spend[:n].sum(0) / design.spend.sum(0))
        * np.asarray((full.media / full.coef[None, :]).sum(0))
        / np.asarray((full.media / full.coef[None, :])[:n].sum(0))
    )
    np.testing.assert_allclose(ratio, expected, rtol=1e-4)


def test_sites_and_groups_for_mixed_media(small_ds) -> None:
    media = {c: MediaSpec() for c in small_ds.channels}
    media["search"] = MediaSpec(adstock=WeibullCDFAdstock(l_max=6))  # Hill, the others too
    spec = ModelSpec.default(small_ds, media=media)
    groups = media_groups(spec)
    assert [(g.prefix, g.channels) for g in groups] == [
        ("media_0", ("tv", "social")),
        ("media_1", ("search",)),
    ]
    design = design_for(spec, small_ds)
    trace = numpyro.handlers.trace(numpyro.handlers.seed(mmm_model, 0)).get_trace(
        spec, design, design.kpi
    )
    shapes = {k: tuple(v["value"].shape) for k, v in trace.items() if v["type"] != "plate"}
    assert shapes["media_0/adstock/alpha"] == (2,)
    assert shapes["media_1/adstock/shape"] == (1,)
    assert shapes["media/share"] == (3,)
    assert shapes["media/coef"] == (3,)
    assert shapes["controls/coef"] == (1,)
    assert shapes["kpi"] == (104,)
    assert trace["kpi"]["is_observed"]
    # Channel order is kept when the groups are scattered back.
    params = {k: v["value"] for k, v in trace.items() if v["type"] == "sample" and k != "kpi"}
    parts = components(spec, params, design)
    alone = ModelSpec.default(small_ds, media=MediaSpec(adstock=WeibullCDFAdstock(l_max=6)))
    alone_params = {
        "media/adstock/shape": jnp.broadcast_to(params["media_1/adstock/shape"], (3,)),
        "media/adstock/scale": jnp.broadcast_to(params["media_1/adstock/scale"], (3,)),
        "media/saturation/k": jnp.broadcast_to(params["media_1/saturation/k"], (3,)),
        "media/saturation/s": jnp.broadcast_to(params["media_1/saturation/s"], (3,)),
        **{k: v for k, v in params.items() if not k.startswith("media_")},
    }
    np.testing.assert_allclose(
        parts.media[:, 1], components(alone, alone_params, design).media[:, 1], rtol=1e-5
    )


def test_model_function_never_branches_on_spec_types() -> None:
    import inspect

    from mmm.modeling import _model

    source = inspect.getsource(_model)
    assert "isinstance" not in source
    assert "type(" not in source


@pytest.mark.parametrize("effect", [CoefficientEffect(), ROIEffect()])
def test_gradient_of_the_log_density_is_finite(small_ds, effect) -> None:
    from numpyro.infer.util import initialize_model

    spec = ModelSpec.default(small_ds, effect=effect)
    design = design_for(spec, small_ds)
    info = initialize_model(jax.random.PRNGKey(0), mmm_model, model_args=(spec, design, design.kpi))
    grad = jax.grad(info.potential_fn)(info.param_info.z)
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree_util.tree_leaves(grad))


@pytest.fixture(scope="module")
def organic_ds(small_ds):
    import polars as pl

    from mmm.data import MMMDataSet

    rng = np.random.default_rng(0)
    n = small_ds.n_periods
    newsletter = rng.gamma(2.0, 50.0, n) * (rng.random(n) > 0.3)
    frame = small_ds.frame.with_columns(pl.Series("organic__newsletter", newsletter))
    return MMMDataSet.from_frame(frame, warn=False)


def test_organic_series_are_modeled_like_media(organic_ds, ref_media) -> None:
    from mmm.features import GeometricAdstock, HillSaturation

    spec = ModelSpec.default(organic_ds, effect=CoefficientEffect(), media=MediaSpec())
    assert spec.organic_names == ("newsletter",)
    spec = dataclasses.replace(
        spec,
        organic=(MediaSpec(adstock=GeometricAdstock(l_max=4), saturation=HillSaturation()),),
        organic_effect=CoefficientEffect(),
    )
    assert ModelSpec.from_json(spec.to_json()).to_dict() == spec.to_dict()
    design = design_for(spec, organic_ds)
    prior = {k: np.asarray(v[0]) for k, v in draw(spec, design, seed=4).items() if k != "kpi"}
    assert prior["organic/adstock/alpha"].shape == (1,)
    assert prior["organic/coef"].shape == (1,)
    parts = components(spec, prior, design)
    raw = organic_ds.frame["organic__newsletter"].to_numpy()
    unit = ref_media(
        raw / raw.max(),
        float(prior["organic/adstock/alpha"][0]),
        float(prior["organic/saturation/k"][0]),
        float(prior["organic/saturation/s"][0]),
        4,
    )
    np.testing.assert_allclose(parts.organic[:, 0], prior["organic/coef"][0] * unit, rtol=2e-5)
    expected = parts.media.sum(axis=1) + parts.organic.sum(axis=1) + sum(parts.baseline)
    np.testing.assert_allclose(parts.total(), expected, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="no ROI"):
        dataclasses.replace(spec, organic_effect=ROIEffect())


def test_organic_fit_and_idata(organic_ds) -> None:
    from mmm.modeling import fit

    f = fit(ModelSpec.default(organic_ds), organic_ds, method="map", svi_steps=100)
    post = f.idata.posterior
    assert post["organic.share"].dims == ("chain", "draw", "organic")
    assert list(post["organic.share"].coords["organic"].values) == ["newsletter"]
    assert post["organic.coef"].shape == (1, 1, 1)


def _no_trace(*args: object, **kwargs: object) -> None:
    raise ValueError("traced where the kept sites should have been used")


def test_model_sites_are_traced_once_per_structure(small_ds, monkeypatch) -> None:
    monkeypatch.setattr(model_module, "_SITES", {})  # none kept by earlier tests
    spec = ModelSpec.default(small_ds)
    design = design_for(spec, small_ds)
    sites = model_sites(spec, design)
    trace = numpyro.handlers.trace(numpyro.handlers.seed(mmm_model, 0)).get_trace(
        spec, design, design.kpi
    )
    expected = {
        name: (site["type"], tuple(jnp.shape(site["value"])))
        for name, site in trace.items()
        if site["type"] in ("sample", "deterministic")
    }
    assert {name: (s.kind, s.shape) for name, s in sites.items()} == expected
    assert sites["kpi"].observed
    sites.pop("kpi")  # the caller's copy: the kept one is not changed
    monkeypatch.setattr(jax, "make_jaxpr", _no_trace)
    doubled = dataclasses.replace(design, kpi=design.kpi * 2.0)  # new values, same shapes
    again = model_sites(spec, doubled)
    assert again.keys() == expected.keys()
    other, _ = simulate(n_weeks=104, n_channels=2, seed=3, n_controls=1, n_events=1)
    other_spec = ModelSpec.default(other)
    with pytest.raises(ValueError, match="kept sites"):  # other shapes: traced anew
        model_sites(other_spec, design_for(other_spec, other))
