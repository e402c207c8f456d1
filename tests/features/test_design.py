"""The feature pipeline: design arrays, scalings kept, future periods, baseline specs."""

from __future__ import annotations

import datetime as dt

import jax.numpy as jnp
import numpy as np
import numpyro
import pytest

from mmm.config import DataContractWarning
from mmm.data import MMMDataSet
from mmm.datasets import load_example
from mmm.features import (
    Controls,
    DesignContext,
    Events,
    Fourier,
    Intercept,
    LinearTrend,
    MediaSpec,
    PiecewiseTrend,
    build_design,
    design_context,
)
from mmm.features._trend import changepoint_grid


@pytest.fixture(scope="module")
def meridian() -> MMMDataSet:
    return load_example("meridian_national")


def test_design_scales_and_keeps_the_factors(meridian: MMMDataSet) -> None:
    design = build_design(meridian)
    frame = meridian.frame
    spend = frame.select([f"spend__{c}" for c in meridian.channels]).to_numpy()
    kpi = frame["kpi__revenue"].to_numpy()
    np.testing.assert_allclose(np.asarray(design.media).max(axis=0), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.abs(np.asarray(design.kpi)).mean(), 1.0, rtol=1e-5)
    s = design.scalings
    np.testing.assert_allclose(np.asarray(s.media.inverse(design.media)), spend, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(s.kpi.inverse(design.kpi)), kpi, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(design.spend), spend, rtol=1e-6)
    labels = dict(
        zip(
            ["intercept", "trend", "yearly", "controls", "events"],
            design.baseline_labels,
            strict=True,
        )
    )
    assert labels["controls"] == ("competitor_sales", "sentiment_score")
    controls = np.asarray(design.baseline[3])
    np.testing.assert_allclose(controls.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(controls.std(axis=0), 1.0, rtol=1e-5)
    t = np.asarray(design.baseline[1][:, 0])
    assert t[0] == 0.0
    assert t[-1] == pytest.approx(1.0)


def test_exposure_input_uses_media_columns_and_is_checked(meridian: MMMDataSet) -> None:
    design = build_design(meridian, media=MediaSpec(input="exposure"))
    impressions = meridian.frame["media__channel0"].to_numpy()
    np.testing.assert_allclose(
        np.asarray(design.media[:, 0]), impressions / impressions.max(), rtol=1e-6
    )
    example = load_example("pymc_marketing")
    with pytest.raises(ValueError, match="media__x1"):
        build_design(example, media=MediaSpec(input="exposure"))
    with pytest.raises(ValueError, match="missing"):
        build_design(example, media={"x1": MediaSpec()})


def test_future_periods_reuse_training_scalings(meridian: MMMDataSet) -> None:
    dates = meridian.dates
    train = meridian.slice(end=dates[103])
    with pytest.warns(DataContractWarning, match="fewer than the recommended"):
        test = meridian.slice(start=dates[104 - 30])  # overlaps the end, then goes beyond
    fitted = build_design(train)
    future = build_design(test, scalings=fitted.scalings)
    t = np.asarray(future.baseline[1][:, 0])
    assert t.max() > 1.0
    overlap = dates.index(dates[103]) - (104 - 30)
    np.testing.assert_allclose(t[overlap], 1.0, rtol=1e-6)
    # The same date gets the same scaled values in both designs.
    np.testing.assert_allclose(future.media[overlap], fitted.media[103], rtol=1e-6)
    np.testing.assert_allclose(future.baseline[2][overlap], fitted.baseline[2][103], rtol=1e-5)


def test_duplicate_baseline_names_are_rejected(meridian: MMMDataSet) -> None:
    with pytest.raises(ValueError, match="unique"):
        build_design(meridian, baseline=[Fourier(), Fourier(order=3)])
    design = build_design(
        meridian, baseline=[Fourier(), Fourier(name="half_year", period=365.25 / 2, order=1)]
    )
    assert design.baseline_labels[1] == ("half_year_sin_1", "half_year_cos_1")


def _weekly_and_daily_contexts():
    start, end = dt.date(2021, 1, 4), dt.date(2022, 12, 26)
    weekly = tuple(start + dt.timedelta(weeks=i) for i in range((end - start).days // 7 + 1))
    daily = tuple(start + dt.timedelta(days=i) for i in range((end - start).days + 1))

    def ctx(dates):
        t = jnp.linspace(0.0, 1.0, len(dates))
        return DesignContext(
            dates=dates,
            t=t,
            controls=jnp.zeros((len(dates), 0)),
            events=jnp.zeros((len(dates), 0)),
            control_names=(),
            event_names=(),
        )

    return weekly, daily, ctx(weekly), ctx(daily)


def test_fourier_spec_agrees_for_weekly_and_daily_data() -> None:
    weekly, daily, cw, cd = _weekly_and_daily_contexts()
    spec = Fourier(order=3)
    xw, xd = np.asarray(spec.features(cw)), np.asarray(spec.features(cd))
    index = {d: i for i, d in enumerate(daily)}
    np.testing.assert_allclose(xw, xd[[index[d] for d in weekly]], atol=1e-6)
    # Independent reference from the calendar: day of year / days in the year.
    d = weekly[10]
    frac = (d.timetuple().tm_yday - 1) / (366 if d.year % 4 == 0 else 365)
    np.testing.assert_allclose(
        xw[10, :2], [np.sin(2 * np.pi * frac), np.cos(2 * np.pi * frac)], atol=1e-6
    )


def test_piecewise_trend_is_continuous_and_matches_numpy() -> None:
    spec = PiecewiseTrend(n_changepoints=4, range_fraction=0.8)
    t = jnp.linspace(0.0, 1.2, 121)
    delta = jnp.array([0.5, -1.0, 0.25, 0.75])
    got = np.asarray(spec.apply({"coef": jnp.array([0.3]), "delta": delta}, t[:, None]))
    cps = changepoint_grid(4, range_fraction=0.8)
    expected = []
    for ti in np.asarray(t):
        slope, level = 0.3, 0.0
        for s, d in zip(cps, np.asarray(delta), strict=True):
            if ti >= s:
                slope += d
                level -= s * d
        expected.append(slope * ti + level)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert np.max(np.abs(np.diff(got))) < 0.05  # no jumps at changepoints


def test_events_spec_spreads_windows_and_controls_pass_through() -> None:
    events = jnp.zeros((12, 2)).at[5, 0].set(1.0).at[0, 1].set(2.0)
    ctx = DesignContext(
        dates=tuple(dt.date(2021, 1, 4) + dt.timedelta(weeks=i) for i in range(12)),
        t=jnp.linspace(0, 1, 12),
        controls=jnp.ones((12, 1)),
        events=events,
        control_names=("price",),
        event_names=("promo", "launch"),
    )
    x = np.asarray(Events(pre=1, post=2).features(ctx))
    assert x[:, 0].tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]
    assert x[:3, 1].tolist() == [2, 2, 2]
    assert x[3:, 1].sum() == 0
    assert Events().labels(ctx) == ("promo", "launch")
    np.testing.assert_array_equal(np.asarray(Controls().features(ctx)), np.ones((12, 1)))
    assert np.asarray(Intercept().features(ctx)).tolist() == [[1.0]] * 12


def test_baseline_sample_shapes_and_contribution() -> None:
    _weekly, _, cw, _ = _weekly_and_daily_contexts()
    spec = Fourier(order=2)
    x = spec.features(cw)
    trace = numpyro.handlers.trace(
        numpyro.handlers.seed(lambda: spec.sample_for(x.shape[1]), 0)
    ).get_trace()
    coef = trace["yearly/coef"]["value"]
    assert coef.shape == (4,)
    np.testing.assert_allclose(
        spec.apply({"coef": coef}, x), np.asarray(x) @ np.asarray(coef), rtol=1e-5
    )
    assert LinearTrend().labels(cw) == ("trend",)


def test_design_of_model_arrays_equals_design_of_dataset(meridian: MMMDataSet) -> None:
    a = build_design(meridian)
    b = build_design(meridian.to_arrays())
    np.testing.assert_array_equal(np.asarray(a.media), np.asarray(b.media))
    ctx = design_context(meridian.to_arrays(), a.scalings)
    assert ctx.control_names == ("competitor_sales", "sentiment_score")
