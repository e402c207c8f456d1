"""The feature pipeline: design arrays, scalings kept, future periods, baseline specs."""

from __future__ import annotations

import dataclasses
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
    ScalingError,
    Scalings,
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


# --- columns a window cannot scale --------------------------------------------------------


def _window_with_a_late_channel_and_a_flat_control(meridian: MMMDataSet, stop: int):
    """The first ``stop`` periods of the example's arrays, channel 1 and control 0 made
    degenerate there (zero spend, a constant control)."""
    arrays = meridian.to_arrays().periods(0, stop)
    spend = np.asarray(arrays.spend).copy()
    spend[:, 1] = 0.0
    controls = np.asarray(arrays.controls).copy()
    controls[:, 0] = 2.5
    return dataclasses.replace(arrays, spend=jnp.asarray(spend), controls=jnp.asarray(controls))


def test_degenerate_columns_raise_naming_the_series_and_the_window(meridian: MMMDataSet) -> None:
    window = _window_with_a_late_channel_and_a_flat_control(meridian, 60)
    channel = window.channels[1]
    no_controls = dataclasses.replace(
        window, controls=window.controls[:, 1:], control_names=window.control_names[1:]
    )
    with pytest.raises(
        ScalingError,
        match=rf"channel '{channel}' \(training window "
        rf"{window.dates[0]} to {window.dates[-1]}\): .*all zero",
    ) as err:
        Scalings.fit(no_controls, no_controls.spend)
    assert err.value.column == 1
    with pytest.raises(ScalingError, match=rf"control '{window.control_names[0]}' .*constant"):
        Scalings.fit(window, window.spend)
    with pytest.raises(ValueError, match="degenerate="):
        Scalings.fit(window, window.spend, degenerate="skip")  # type: ignore[arg-type]


def test_neutral_scaling_of_degenerate_columns_matches_numpy(meridian: MMMDataSet) -> None:
    window = _window_with_a_late_channel_and_a_flat_control(meridian, 60)
    scalings = Scalings.fit(window, window.spend, degenerate="neutral")
    spend = np.asarray(window.spend, np.float64)
    expected = np.abs(spend).max(axis=0)
    expected[1] = 1.0  # the channel with no spend: neutral
    np.testing.assert_allclose(np.asarray(scalings.media.scale), expected, rtol=1e-6)
    controls = np.asarray(window.controls, np.float64)
    mean, sd = controls.mean(axis=0), controls.std(axis=0)
    mean[0], sd[0] = 2.5, 1.0  # the constant control: centred on its value, scale 1
    assert scalings.controls is not None
    np.testing.assert_allclose(np.asarray(scalings.controls.mean), mean, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(scalings.controls.scale), sd, rtol=1e-6)
    # both degenerate columns scale to zero throughout the window
    assert np.all(np.asarray(scalings.media.transform(window.spend))[:, 1] == 0.0)
    assert np.all(np.asarray(scalings.controls.transform(window.controls))[:, 0] == 0.0)
    # the KPI scaling and a healthy window are untouched by the option
    healthy = meridian.to_arrays()
    a = Scalings.fit(healthy, healthy.spend)
    b = Scalings.fit(healthy, healthy.spend, degenerate="neutral")
    np.testing.assert_array_equal(np.asarray(a.media.scale), np.asarray(b.media.scale))
    np.testing.assert_array_equal(np.asarray(a.kpi.scale), np.asarray(b.kpi.scale))
