"""The simulator: determinism, an exact decomposition, and truth checked independently."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import jax
import numpy as np
import polars as pl
import pytest

from mmm.datasets import ChannelTruth, SimulationTruth, simulate, simulate_frame


@pytest.fixture(autouse=True)
def _strict_jax() -> Iterator[None]:
    with jax.numpy_rank_promotion("raise"):
        yield


@pytest.fixture(scope="module")
def default() -> tuple[Any, SimulationTruth]:
    return simulate(seed=0)


@pytest.fixture(scope="module")
def delayed_logistic() -> tuple[pl.DataFrame, SimulationTruth]:
    return simulate_frame(
        130, 7, seed=5, adstock="delayed", saturation="logistic", correlated_channels=True
    )


# --- an independent numpy implementation of the media truth ---------------------------------


def np_adstock(x: np.ndarray, p: ChannelTruth) -> np.ndarray:
    lags = np.arange(p.l_max, dtype=np.float64)
    alpha = p.adstock_params["alpha"]
    if p.adstock == "geometric":
        w = alpha**lags
    else:
        w = alpha ** ((lags - p.adstock_params["theta"]) ** 2)
    if p.normalize:
        w = w / w.sum()
    y = np.zeros_like(x)
    for t in range(len(x)):
        for lag in range(p.l_max):
            if t >= lag:
                y[t] += w[lag] * x[t - lag]
    return y


def np_saturation(x: np.ndarray, p: ChannelTruth) -> np.ndarray:
    if p.saturation == "hill":
        k, s = p.saturation_params["k"], p.saturation_params["s"]
        return x**s / (x**s + k**s)
    lam = p.saturation_params["lam"]
    return (1 - np.exp(-lam * x)) / (1 + np.exp(-lam * x))


def np_contribution(spend: np.ndarray, p: ChannelTruth) -> np.ndarray:
    return p.beta * np_saturation(np_adstock(spend / p.spend_scale, p), p)


def frame_of(data: Any) -> pl.DataFrame:
    return data if isinstance(data, pl.DataFrame) else data.frame


# --- tests -------------------------------------------------------------------------------------


def test_same_seed_same_data_and_truth() -> None:
    a_frame, a = simulate_frame(60, 3, seed=7, n_events=2)
    b_frame, b = simulate_frame(60, 3, seed=7, n_events=2)
    assert a_frame.equals(b_frame)
    assert a.contributions.equals(b.contributions)
    assert a.params == b.params
    assert a.roi == b.roi
    assert a.control_coefficients == b.control_coefficients
    assert a.event_effects == b.event_effects
    assert (a.noise_sd, a.off_channel, a.off_window) == (b.noise_sd, b.off_channel, b.off_window)


def test_other_seed_other_data() -> None:
    a_frame, a = simulate_frame(60, 3, seed=7)
    b_frame, b = simulate_frame(60, 3, seed=8)
    for column in a_frame.columns[1:]:
        if column == "event__holiday":  # the calendar decides it
            continue
        assert not np.allclose(a_frame[column].to_numpy(), b_frame[column].to_numpy()), column
    assert a.params != b.params


def test_dataset_layout(default: tuple[Any, SimulationTruth]) -> None:
    ds, truth = default
    frame = ds.frame
    assert ds.channels == ["tv", "search", "social", "display", "radio"]
    assert truth.channels == tuple(ds.channels)
    assert frame.columns == [
        "date",
        "kpi__revenue",
        *(f"spend__{c}" for c in ds.channels),
        "control__price",
        "control__macro",
        "event__holiday",
    ]
    dates = frame["date"].to_list()
    assert len(dates) == 156
    assert dates[0] == dt.date(2021, 1, 4)
    assert all(d.weekday() == 0 for d in dates)
    assert all((b - a).days == 7 for a, b in itertools.pairwise(dates))
    assert truth.contributions["date"].to_list() == dates


def test_many_channels_are_named_in_the_convention() -> None:
    frame, truth = simulate_frame(52, 12, seed=1, off_channel=False)
    assert truth.channels[:6] == ("tv", "search", "social", "display", "radio", "video")
    assert truth.channels[10:] == ("channel_10", "channel_11")
    assert len(set(truth.channels)) == 12
    assert [c for c in frame.columns if c.startswith("spend__")] == [
        f"spend__{c}" for c in truth.channels
    ]


@pytest.mark.parametrize("which", ["default", "delayed_logistic"])
def test_contributions_match_an_independent_numpy_model(
    which: str, request: pytest.FixtureRequest
) -> None:
    data, truth = request.getfixturevalue(which)
    frame = frame_of(data)
    for channel in truth.channels:
        p = truth.params[channel]
        spend = frame[f"spend__{channel}"].to_numpy()
        assert p.spend_scale == pytest.approx(spend.max())
        expected = np_contribution(spend, p)
        got = truth.contributions[channel].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-9 * expected.max())
        np.testing.assert_array_equal(truth.contribution(channel), got)


def test_parameters_are_drawn_in_their_ranges(
    default: tuple[Any, SimulationTruth],
    delayed_logistic: tuple[pl.DataFrame, SimulationTruth],
) -> None:
    for p in default[1].params.values():
        assert (p.adstock, p.saturation, p.l_max) == ("geometric", "hill", 8)
        assert set(p.adstock_params) == {"alpha"}
        assert 0.1 <= p.adstock_params["alpha"] <= 0.7
        assert 0.3 <= p.saturation_params["k"] <= 0.9
        assert 0.8 <= p.saturation_params["s"] <= 2.5
        assert p.beta > 0
    for p in delayed_logistic[1].params.values():
        assert (p.adstock, p.saturation) == ("delayed", "logistic")
        assert 0.0 <= p.adstock_params["theta"] <= 3.0
        assert 1.0 <= p.saturation_params["lam"] <= 4.0


def test_switching_a_family_keeps_the_other_parameters() -> None:
    _, hill = simulate_frame(60, 3, seed=2)
    _, logistic = simulate_frame(60, 3, seed=2, saturation="logistic")
    for c in hill.channels:
        assert hill.params[c].adstock_params == logistic.params[c].adstock_params


@pytest.mark.parametrize("which", ["default", "delayed_logistic"])
def test_kpi_is_the_sum_of_the_components(which: str, request: pytest.FixtureRequest) -> None:
    data, truth = request.getfixturevalue(which)
    kpi = frame_of(data)["kpi__revenue"].to_numpy()
    parts = truth.contributions.drop("date")
    expected_columns = {*truth.channels, "intercept", "trend", "seasonality"}
    assert set(parts.columns) == expected_columns | {"controls", "events", "noise"}
    np.testing.assert_allclose(kpi, parts.to_numpy().sum(axis=1), rtol=1e-10)
    np.testing.assert_allclose(
        truth.baseline() + truth.media(),
        kpi - parts.select("controls", "events", "noise").to_numpy().sum(axis=1),
        rtol=1e-10,
    )
    assert np.all(kpi > 0)


def test_controls_and_events_follow_their_truth(default: tuple[Any, SimulationTruth]) -> None:
    ds, truth = default
    frame = ds.frame
    controls = sum(
        gamma * (frame[f"control__{n}"].to_numpy() - truth.control_centers[n])
        for n, gamma in truth.control_coefficients.items()
    )
    np.testing.assert_allclose(truth.contributions["controls"].to_numpy(), controls, atol=1e-6)
    events = sum(e * frame[f"event__{n}"].to_numpy() for n, e in truth.event_effects.items())
    np.testing.assert_allclose(truth.contributions["events"].to_numpy(), events)
    assert truth.control_coefficients["price"] < 0 < truth.control_coefficients["macro"]
    for n in truth.control_coefficients:
        values = frame[f"control__{n}"].to_numpy()
        assert np.all(np.isfinite(values))
        assert values.std() > 0
        assert truth.control_centers[n] == pytest.approx(values.mean())
    holiday = frame["event__holiday"].to_numpy()
    assert set(np.unique(holiday)) == {0.0, 1.0}
    christmas = [d for d, h in zip(frame["date"], holiday, strict=True) if h == 1.0]
    assert all(d <= dt.date(d.year, 12, 25) < d + dt.timedelta(days=7) for d in christmas)
    assert len(christmas) == 3


def test_every_event_occurs() -> None:
    frame, truth = simulate_frame(52, 2, seed=3, n_events=6, n_controls=7)
    assert len(truth.event_effects) == 6
    assert len(truth.control_coefficients) == 7
    for name in truth.event_effects:
        values = frame[f"event__{name}"].to_numpy()
        assert set(np.unique(values)) <= {0.0, 1.0}
        assert values.sum() >= 1


@pytest.mark.parametrize("which", ["default", "delayed_logistic"])
def test_roi_is_contribution_over_spend(which: str, request: pytest.FixtureRequest) -> None:
    data, truth = request.getfixturevalue(which)
    frame = frame_of(data)
    assert set(truth.roi) == set(truth.channels)
    for channel in truth.channels:
        spend = frame[f"spend__{channel}"].to_numpy().sum()
        contribution = truth.contributions[channel].to_numpy().sum()
        assert truth.roi[channel] == pytest.approx(contribution / spend, rel=1e-12)
        assert 0 < truth.roi[channel] < 50


@pytest.mark.parametrize("seed", range(4))
def test_spend_is_realistic(seed: int) -> None:
    frame, truth = simulate_frame(104, 6, seed=seed, correlated_channels=seed % 2 == 1)
    spend = frame.select(f"spend__{c}" for c in truth.channels).to_numpy()
    assert np.all(np.isfinite(spend))
    assert np.all(spend >= 0)
    assert np.all(spend.max(axis=0) > 0), "every channel spends somewhere"
    assert (spend == 0).any(), "some zero-spend weeks"
    typical = np.nanmedian(np.where(spend > 0, spend, np.nan), axis=0)
    assert np.all((typical > 1e3) & (typical < 2e6))


def test_off_channel_has_a_contiguous_zero_stretch(default: tuple[Any, SimulationTruth]) -> None:
    ds, truth = default
    assert truth.off_channel in truth.channels
    assert truth.off_window is not None
    first, last = truth.off_window
    frame = ds.frame
    window = frame.filter(pl.col("date").is_between(first, last))
    assert window.height >= 8
    assert (window[f"spend__{truth.off_channel}"] == 0).all()
    zero = (frame[f"spend__{truth.off_channel}"] == 0).to_numpy()
    longest = max(len(list(g)) for z, g in itertools.groupby(zero) if z)
    assert longest >= 8


def test_no_off_channel_when_disabled() -> None:
    _, truth = simulate_frame(60, 3, seed=0, off_channel=False)
    assert truth.off_channel is None
    assert truth.off_window is None


def test_correlated_channels_co_move() -> None:
    def mean_correlation(correlated: bool) -> float:
        values = []
        for seed in range(3):
            frame, truth = simulate_frame(
                156, 5, seed=seed, correlated_channels=correlated, off_channel=False
            )
            spend = frame.select(f"spend__{c}" for c in truth.channels).to_numpy()
            on = np.all(spend > 0, axis=1)
            corr = np.corrcoef(np.log(spend[on]).T)
            values.append(corr[np.triu_indices(5, 1)].mean())
        return float(np.mean(values))

    assert mean_correlation(True) > mean_correlation(False) + 0.3


@pytest.mark.parametrize("share", [0.1, 0.3, 0.6])
def test_media_share_is_as_requested(share: float) -> None:
    frame, truth = simulate_frame(104, 4, seed=11, media_share=share)
    kpi = frame["kpi__revenue"].to_numpy()
    assert truth.media().sum() / kpi.sum() == pytest.approx(share, abs=0.1)
    noise_free = kpi - truth.contributions["noise"].to_numpy()
    assert truth.media_share == pytest.approx(share, rel=1e-9)
    assert truth.media().sum() / noise_free.sum() == pytest.approx(share, rel=1e-9)


def test_noise_level() -> None:
    frame, truth = simulate_frame(520, 2, seed=4, noise=0.1)
    noise = truth.contributions["noise"].to_numpy()
    noise_free = frame["kpi__revenue"].to_numpy() - noise
    assert truth.noise_sd == pytest.approx(0.1 * noise_free.mean())
    assert noise.std() == pytest.approx(truth.noise_sd, rel=0.1)
    _, quiet = simulate_frame(60, 2, seed=4, noise=0.0)
    assert quiet.noise_sd == 0.0
    assert (quiet.contributions["noise"] == 0).all()


def test_contribution_of_an_unknown_channel_names_the_choices(
    default: tuple[Any, SimulationTruth],
) -> None:
    with pytest.raises(KeyError, match="search"):
        default[1].contribution("billboards")


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("n_weeks", 51),
        ("n_weeks", 100.0),
        ("n_channels", 0),
        ("n_channels", 51),
        ("seed", -1),
        ("adstock", "weibull"),
        ("saturation", "tanh"),
        ("noise", -0.01),
        ("noise", float("nan")),
        ("n_controls", -1),
        ("n_events", -1),
        ("media_share", 0.0),
        ("media_share", 1.0),
        ("start_date", dt.date(2021, 1, 5)),
        ("start_date", "2021-01-04"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(argument: str, value: object) -> None:
    with pytest.raises(ValueError, match=rf"^{argument}=") as info:
        simulate(**{argument: value})  # type: ignore[arg-type]
    assert repr(value) in str(info.value) or str(value) in str(info.value)
