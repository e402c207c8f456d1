"""``ModelSpec.value_per_kpi``: ROI priors and ROI draws in money for a KPI that is not money."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import polars as pl
import pytest

from mmm.data import MMMDataSet
from mmm.modeling import (
    ModelSpec,
    ROIEffect,
    components,
    design_for,
    draw_totals,
    fit,
    prior_samples,
    roi_draws,
)


def _draw(spec, design, seed):
    return {k: v for k, v in prior_samples(spec, design, draws=4, seed=seed).items() if k != "kpi"}


@pytest.mark.parametrize("value", [1.0, 35.0, 0.02])
def test_roi_prior_is_money_per_money(small_ds, value) -> None:
    """The implied ``v * KPI / spend`` of every channel is exactly the sampled ``media/roi``."""
    spec = ModelSpec.default(small_ds, effect=ROIEffect(), value_per_kpi=value)
    design = design_for(spec, small_ds)
    prior = _draw(spec, design, seed=4)
    kpi_scale = float(np.abs(small_ds.frame[small_ds.kpi_column].to_numpy()).mean())
    spend = small_ds.frame.select([f"spend__{c}" for c in small_ds.channels]).to_numpy().sum(axis=0)
    for i in range(4):
        parts = components(spec, {k: v[i] for k, v in prior.items()}, design)
        kpi = np.asarray(parts.media, np.float64).sum(axis=0) * kpi_scale  # KPI units
        np.testing.assert_allclose(value * kpi / spend, prior["media/roi"][i], rtol=1e-4)


def test_roi_draws_are_valued(small_ds, make_fitted) -> None:
    spec = ModelSpec.default(small_ds)
    valued = dataclasses.replace(spec, value_per_kpi=12.5)
    design = design_for(spec, small_ds)
    samples = _draw(spec, design, seed=5)
    plain = draw_totals(make_fitted(spec, small_ds, samples))
    money = draw_totals(make_fitted(valued, small_ds, samples))
    np.testing.assert_array_equal(plain.media, money.media)  # contributions stay KPI units
    np.testing.assert_allclose(roi_draws(money), 12.5 * roi_draws(plain), rtol=1e-12)


@pytest.mark.parametrize("bad", [0.0, -3.0, math.nan, math.inf, True, "35"])
def test_invalid_value_is_refused(small_ds, bad) -> None:
    with pytest.raises(ValueError, match="value_per_kpi"):
        ModelSpec.default(small_ds, value_per_kpi=bad)


def test_value_survives_json_and_old_specs_read_as_money(small_ds) -> None:
    spec = ModelSpec.default(small_ds, effect=ROIEffect(), value_per_kpi=35.0)
    assert ModelSpec.from_json(spec.to_json()).value_per_kpi == 35.0
    old = spec.to_dict()
    del old["value_per_kpi"]  # written before the field existed
    assert ModelSpec.from_dict(old).value_per_kpi == 1.0


def test_conversions_valued_fit_like_revenue(small_ds) -> None:
    """Conversions with ``value_per_kpi = c`` and revenue = c x conversions are one model.

    ``c`` is a power of two, so revenue's scaled KPI and ``v * s_y`` are bitwise those of
    the conversions: same seed, same draws, and the ROI draws are money per money in both.
    """
    c = 32.0
    frame = small_ds.frame
    conversions = MMMDataSet.from_frame(
        frame.with_columns(pl.col(small_ds.kpi_column) / c), warn=False
    )
    spec_rev = ModelSpec.default(small_ds, effect=ROIEffect())
    spec_conv = ModelSpec.default(conversions, effect=ROIEffect(), value_per_kpi=c)
    kwargs = {"chains": 1, "draws": 60, "tune": 60, "seed": 3}
    revenue_fit = fit(spec_rev, small_ds, **kwargs)
    conversions_fit = fit(spec_conv, conversions, **kwargs)
    np.testing.assert_allclose(
        conversions_fit.samples["media/roi"], revenue_fit.samples["media/roi"], rtol=1e-5
    )
    np.testing.assert_allclose(
        roi_draws(draw_totals(conversions_fit)), roi_draws(draw_totals(revenue_fit)), rtol=1e-4
    )
