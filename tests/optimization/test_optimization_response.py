"""A plan's KPI per draw equals the model's own transforms and an independent numpy loop."""

from __future__ import annotations

import dataclasses
import warnings

import equinox as eqx
import jax.numpy as jnp
import numpy as np
import polars as pl
import pytest
from optimization_helpers import make_fit

from mmm.config import DataContractWarning
from mmm.data import MMMDataSet
from mmm.datasets import simulate
from mmm.features import DelayedAdstock, GeometricAdstock, HillSaturation, MediaSpec
from mmm.modeling import ModelSpec, components, media_groups, prior_fit, unit_responses
from mmm.optimization import (
    carry_in,
    flight_contributions,
    plan_response,
    steady_contributions,
)


def _numpy_flight(fit, draw: int, plan: np.ndarray) -> np.ndarray:
    """Incremental KPI of ``plan`` (money, (H, channel)) for one draw of the default spec
    (normalized geometric adstock, logistic saturation), by loops: (H + L - 1, channel)."""
    p = {k: np.asarray(v[draw], np.float64) for k, v in fit.flat_samples().items()}
    design = fit.design
    per_spend = np.asarray(design.media, np.float64).sum(0) / np.asarray(
        design.spend, np.float64
    ).sum(0)
    l_max = fit.spec.media[0].adstock.l_max
    history = np.asarray(design.media, np.float64)
    h, c = plan.shape
    tail = np.zeros((l_max - 1, c))
    with_plan = np.concatenate([history, plan * per_spend, tail])
    without = np.concatenate([history, 0 * plan, tail])
    n = history.shape[0]
    out = np.zeros((h + l_max - 1, c))
    for j in range(c):
        alpha, lam = p["media/adstock/alpha"][j], p["media/saturation/lam"][j]
        w = alpha ** np.arange(l_max)
        w = w / w.sum()
        for i, t in enumerate(range(n, n + h + l_max - 1)):
            a1 = sum(w[k] * with_plan[t - k, j] for k in range(l_max))
            a0 = sum(w[k] * without[t - k, j] for k in range(l_max))
            out[i, j] = np.tanh(lam * a1 / 2) - np.tanh(lam * a0 / 2)
    return out * p["media/coef"][None, :] * float(design.scalings.kpi.scale)


def test_flight_contributions_match_a_numpy_loop() -> None:
    fit = make_fit(104, 3, 20)
    response = plan_response(fit)
    rng = np.random.default_rng(0)
    hist = np.asarray(fit.design.spend, np.float64).mean(0)
    plan = hist[None, :] * rng.uniform(0, 2, (6, 3))
    plan[2, 1] = 0.0
    got = np.asarray(flight_contributions(response, jnp.asarray(plan, jnp.float32)), np.float64)
    assert got.shape == (20, 6 + response.carryover, 3)
    for draw in (0, 7, 19):
        expected = _numpy_flight(fit, draw, plan)
        np.testing.assert_allclose(
            got[draw], expected, rtol=2e-4, atol=1e-3 * np.abs(expected).max()
        )


def _model_media(fit, draw: int, inputs: np.ndarray) -> np.ndarray:
    """The model's own media contributions (KPI units) of scaled ``inputs`` for one draw."""
    p = {k: jnp.asarray(v[draw]) for k, v in fit.flat_samples().items()}
    beta = components(fit.spec, p, fit.design).coef * fit.design.scalings.kpi.scale
    u = unit_responses(media_groups(fit.spec), p, jnp.asarray(inputs, jnp.float32))
    return np.asarray(u * beta[None, :], np.float64)


MIXED = {
    "tv": MediaSpec(adstock=DelayedAdstock(l_max=6), saturation=HillSaturation()),
    "search": MediaSpec(adstock=GeometricAdstock(l_max=3), order="saturation_first"),
    "social": MediaSpec(),
}


@pytest.fixture(scope="module")
def mixed_fit():
    """Three channels in three media groups (different adstocks, orders, saturations)."""
    fit = make_fit(104, 3, 12, seed=3)
    media = {c: MIXED[name] for c, name in zip(fit.spec.channels, MIXED, strict=True)}
    return make_fit(104, 3, 12, seed=3, media=media)  # type: ignore[arg-type]


def test_mixed_groups_match_the_model_transforms(mixed_fit) -> None:
    fit = mixed_fit
    assert len(media_groups(fit.spec)) == 3
    response = plan_response(fit)
    per_spend = np.asarray(response.input_per_spend, np.float64)
    hist = np.asarray(fit.design.spend, np.float64).mean(0)
    plan = hist[None, :] * np.linspace(0.5, 1.5, 5)[:, None]
    got = np.asarray(flight_contributions(response, jnp.asarray(plan, jnp.float32)), np.float64)
    lag = response.carryover
    media = np.asarray(fit.design.media, np.float64)
    n = media.shape[0]
    tail = np.zeros((lag, 3))
    for draw in (0, 11):
        full = _model_media(fit, draw, np.concatenate([media, plan * per_spend, tail]))
        none = _model_media(fit, draw, np.concatenate([media, 0 * plan, tail]))
        expected = (full - none)[n:]
        np.testing.assert_allclose(
            got[draw], expected, rtol=1e-3, atol=1e-4 * np.abs(expected).max()
        )
        # carry-in: the no-plan response inside the horizon
        inherited = np.asarray(carry_in(response, 5), np.float64)[draw]
        np.testing.assert_allclose(inherited, none[n : n + 5], rtol=1e-3, atol=1e-3)
    # the steady state is the response to constant spend held longer than every l_max
    levels = hist[None, :] * np.array([[0.0], [0.3], [1.0], [2.5]])
    steady = np.asarray(
        steady_contributions(response, jnp.asarray(levels, jnp.float32)), np.float64
    )
    assert steady.shape == (12, 4, 3)
    for i, level in enumerate(levels):
        constant = np.repeat((level * per_spend)[None, :], 30, axis=0)
        expected = _model_media(fit, 5, constant)[-1]
        np.testing.assert_allclose(steady[5, i], expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(steady[:, 0], 0.0)


def test_a_channel_without_training_spend_is_refused(fit_factory) -> None:
    fit = fit_factory(104, 3, 5)
    design = eqx.tree_at(lambda d: d.spend, fit.design, fit.design.spend.at[:, 0].set(0.0))
    with pytest.raises(ValueError, match="no spend in the training data"):
        plan_response(dataclasses.replace(fit, design=design))


def test_an_exposure_channel_buys_exposures_at_the_historic_average_cost() -> None:
    """A channel modeled on impressions: a plan's money buys impressions at the average
    historic cost per impression, and its KPI equals the model's response to those."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataContractWarning)
        ds, _ = simulate(n_weeks=104, n_channels=2, seed=5)
        tv = ds.channels[0]
        cost = np.linspace(8.0, 12.0, ds.n_periods)  # money per 1000 impressions
        frame = ds.frame.with_columns(
            (pl.col(f"spend__{tv}") / pl.Series(cost) * 1000.0).alias(f"media__{tv}")
        )
        ds = MMMDataSet.from_frame(frame)
    spec = ModelSpec.default(
        ds, media={tv: MediaSpec(input="exposure"), ds.channels[1]: MediaSpec()}
    )
    fit = prior_fit(spec, ds, draws=6, seed=0)
    response = plan_response(fit)
    impressions = frame[f"media__{tv}"].to_numpy()
    spend = frame[f"spend__{tv}"].to_numpy()
    scale = float(fit.design.scalings.media.scale[0])
    np.testing.assert_allclose(
        float(response.input_per_spend[0]), impressions.sum() / spend.sum() / scale, rtol=1e-5
    )
    plan = np.array([[spend.mean(), 0.0]] * 3)
    got = np.asarray(flight_contributions(response, jnp.asarray(plan, jnp.float32)), np.float64)
    media = np.asarray(fit.design.media, np.float64)
    per_spend = np.asarray(response.input_per_spend, np.float64)
    lag = response.carryover
    full = _model_media(fit, 2, np.concatenate([media, plan * per_spend, np.zeros((lag, 2))]))
    none = _model_media(fit, 2, np.concatenate([media, 0 * plan, np.zeros((lag, 2))]))
    expected = (full - none)[media.shape[0] :]
    np.testing.assert_allclose(got[2], expected, rtol=1e-3, atol=1e-4 * np.abs(expected).max())
