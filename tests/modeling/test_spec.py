import dataclasses

import jax
import numpy as np
import numpyro.distributions as dist
import pytest

from mmm.features import (
    Fourier,
    GeometricAdstock,
    HillSaturation,
    Intercept,
    LogisticSaturation,
    MediaSpec,
    PiecewiseTrend,
    WeibullPDFAdstock,
)
from mmm.modeling import (
    SPEC_FORMAT_VERSION,
    CoefficientEffect,
    ContributionEffect,
    ModelSpec,
    ROIEffect,
    StudentTLikelihood,
    default_l_max,
    spend_share_effect,
)


def test_default_spec_follows_the_dataset(small_ds, example_ds) -> None:
    spec = ModelSpec.default(small_ds)
    assert spec.channels == tuple(small_ds.channels)
    assert [b.name for b in spec.baseline] == ["intercept", "trend", "yearly", "controls", "events"]
    assert all(m.adstock.l_max == default_l_max(small_ds.frequency) for m in spec.media)
    assert isinstance(spec.effect, ContributionEffect)
    assert all(isinstance(m.saturation, LogisticSaturation) for m in spec.media)
    # Shares a priori in proportion to spend: Gamma(1.5) with means 0.4 * spend share, so
    # the media explain 40% of the KPI a priori, and no mass at zero.
    spend = small_ds.frame.select([f"spend__{c}" for c in small_ds.channels]).to_numpy()
    prior = spec.effect.share
    assert isinstance(prior, dist.Gamma)
    np.testing.assert_allclose(np.asarray(prior.mean), 0.4 * spend.sum(0) / spend.sum(), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(prior.concentration), 1.5)
    assert float(np.asarray(prior.mean).sum()) == pytest.approx(0.4, rel=1e-5)
    example = ModelSpec.default(example_ds)
    assert [b.name for b in example.baseline] == ["intercept", "trend", "yearly", "events"]


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"media_share": 0.0}, "media_share"),
        ({"media_share": 1.5}, "media_share"),
        ({"concentration": 0.0}, "concentration"),
        ({"concentration": float("inf")}, "concentration"),
        ({"concentration": float("nan")}, "concentration"),
    ],
)
def test_spend_share_effect_rejects_bad_arguments(small_ds, kwargs, named) -> None:
    with pytest.raises(ValueError, match=named):
        spend_share_effect(small_ds, **kwargs)


def test_spend_share_effect_sets_the_prior_mean_and_spread(small_ds) -> None:
    prior = spend_share_effect(small_ds, media_share=0.6, concentration=4.0).share
    with jax.numpy_rank_promotion("allow"):  # NumPyro's sampler broadcasts implicitly
        draws = np.asarray(prior.sample(jax.random.PRNGKey(0), (20_000,)))
    spend = small_ds.frame.select([f"spend__{c}" for c in small_ds.channels]).to_numpy()
    mean = 0.6 * spend.sum(0) / spend.sum()
    np.testing.assert_allclose(draws.mean(0), mean, rtol=0.03)
    np.testing.assert_allclose(draws.std(0), mean / 2.0, rtol=0.05)  # sd = mean / sqrt(k)
    assert draws.min() > 0


def test_default_spec_on_short_and_daily_data() -> None:
    import datetime as dt

    import polars as pl

    from mmm.data import MMMDataSet

    n = 400
    rng = np.random.default_rng(0)
    frame = pl.DataFrame(
        {
            "date": [dt.date(2023, 1, 2) + dt.timedelta(days=i) for i in range(n)],
            "kpi__sales": rng.uniform(100, 200, n),
            "spend__tv": rng.uniform(0, 50, n),
        }
    )
    spec = ModelSpec.default(MMMDataSet.from_frame(frame))
    names = [b.name for b in spec.baseline]
    assert names == ["intercept", "trend", "yearly", "weekly"]
    yearly = spec.baseline[2]
    assert isinstance(yearly, Fourier)
    assert yearly.order == 2
    assert spec.media[0].adstock.l_max == 28


def test_json_round_trip_with_mixed_media_and_channel_priors(small_ds) -> None:
    media = {
        "tv": MediaSpec(adstock=WeibullPDFAdstock(l_max=10), saturation=LogisticSaturation()),
        "search": MediaSpec(),
        "social": MediaSpec(adstock=GeometricAdstock(l_max=4), order="saturation_first"),
    }
    spec = ModelSpec.default(
        small_ds, media=media, effect=ROIEffect(), likelihood=StudentTLikelihood()
    )
    spec = spec.with_media_priors({"tv": dist.LogNormal(0.5, 0.2)})
    spec = dataclasses.replace(spec, baseline=(Intercept(), PiecewiseTrend(n_changepoints=4)))
    again = ModelSpec.from_json(spec.to_json())
    assert again.to_dict() == spec.to_dict()
    assert again.effect.roi.batch_shape == (3,)
    assert float(again.effect.roi.loc[0]) == pytest.approx(0.5)
    assert float(again.effect.roi.loc[1]) == pytest.approx(0.2)  # default LogNormal(0.2, 0.9)
    assert again.media[2].order == "saturation_first"


def test_from_dict_rejects_other_versions_and_keys(small_ds) -> None:
    data = ModelSpec.default(small_ds).to_dict()
    with pytest.raises(
        ValueError, match=f"format_version 99.*reads format_version {SPEC_FORMAT_VERSION}"
    ):
        ModelSpec.from_dict({**data, "format_version": 99})
    with pytest.raises(ValueError, match="keys"):
        ModelSpec.from_dict({**data, "extra": 1})
    bad = {**data, "likelihood": data["media"][0]}
    with pytest.raises(ValueError, match="likelihood holds a MediaSpec"):
        ModelSpec.from_dict(bad)


def test_spec_validation_messages(small_ds) -> None:
    with pytest.raises(ValueError, match="3 channels"):
        ModelSpec(channels=("a", "b", "c"), media=(MediaSpec(),))
    with pytest.raises(ValueError, match="unique"):
        ModelSpec(channels=("a", "a"), media=(MediaSpec(), MediaSpec()))
    with pytest.raises(ValueError, match="clash"):
        ModelSpec(channels=("a",), media=(MediaSpec(),), baseline=(Intercept(name="kpi"),))
    with pytest.raises(ValueError, match="repeated"):
        ModelSpec(channels=("a",), media=(MediaSpec(),), baseline=(Intercept(), Intercept()))
    with pytest.raises(ValueError, match="batch shape"):
        ModelSpec(
            channels=("a",),
            media=(MediaSpec(),),
            effect=CoefficientEffect(coef=dist.HalfNormal(np.ones(2))),
        )
    spec = ModelSpec.default(small_ds, effect=CoefficientEffect())
    with pytest.raises(ValueError, match=r"no channel\(s\) \['radio'\]"):
        spec.with_media_priors({"radio": dist.HalfNormal(0.1)})
    per_channel = spec.with_media_priors({"tv": dist.HalfNormal(0.1)})
    with pytest.raises(ValueError, match="already per channel"):
        per_channel.with_media_priors({"tv": dist.HalfNormal(0.2)})
    with pytest.raises(ValueError, match="missing"):
        ModelSpec.default(small_ds, media={"tv": MediaSpec(saturation=HillSaturation())})


def test_spec_is_a_pytree_with_static_channels(small_ds) -> None:
    import jax

    spec = ModelSpec.default(small_ds)
    leaves, treedef = jax.tree_util.tree_flatten(spec)
    rebuilt = jax.tree_util.tree_unflatten(treedef, leaves)
    assert rebuilt.channels == spec.channels
    assert rebuilt.to_dict() == spec.to_dict()
