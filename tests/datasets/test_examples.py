"""Bundled examples: load cleanly, have the documented shape, and keep the raw values."""

from __future__ import annotations

import datetime as dt
import pathlib
import warnings

import numpy as np
import polars as pl
import pytest

import mmm.datasets
from mmm.config import DataContractWarning, Frequency
from mmm.data import MMMDataSet
from mmm.datasets import (
    EXAMPLES,
    example_names,
    load_example,
    load_example_raw,
    load_example_truth,
    load_example_with_report,
)

DATA = pathlib.Path(mmm.datasets.__file__).parent / "_data"


def read_raw(filename: str) -> pl.DataFrame:
    return pl.read_csv(DATA / filename, try_parse_dates=False)


def iso_dates(column: pl.Series) -> list[dt.date]:
    return [dt.date.fromisoformat(d) for d in column.to_list()]


@pytest.fixture(scope="module")
def loaded() -> dict[str, MMMDataSet]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataContractWarning)
        return {name: load_example(name) for name in example_names()}


def test_names() -> None:
    assert example_names() == [
        "pymc_marketing",
        "meridian_national",
        "plr_small_business",
        "plr_medium_business",
    ]
    assert list(EXAMPLES) == example_names()


@pytest.mark.parametrize("name", example_names())
def test_loads_without_warnings(name: str, loaded: dict[str, MMMDataSet]) -> None:
    ds = loaded[name]
    assert ds.warnings == ()
    assert ds.frequency is Frequency.WEEKLY
    assert ds.frame.schema["date"] == pl.Date
    assert all(t == pl.Float64 for c, t in ds.frame.schema.items() if c != "date")


def test_pymc_marketing(loaded: dict[str, MMMDataSet]) -> None:
    ds = loaded["pymc_marketing"]
    raw = read_raw("pymc_marketing_mmm_example.csv")
    assert ds.n_periods == 179 == raw.height
    assert ds.channels == ["x1", "x2"]
    assert ds.kpi == "sales"
    assert ds.events == ["event_1", "event_2"]
    assert ds.media_channels == []
    assert ds.controls == []
    assert ds.organic == []
    assert ds.dates == iso_dates(raw["date_week"])
    np.testing.assert_array_equal(ds.frame["kpi__sales"].to_numpy(), raw["y"].to_numpy())
    for channel in ("x1", "x2"):
        np.testing.assert_array_equal(
            ds.frame[f"spend__{channel}"].to_numpy(), raw[channel].to_numpy()
        )
    for event in ("event_1", "event_2"):
        np.testing.assert_array_equal(ds.frame[f"event__{event}"].to_numpy(), raw[event].to_numpy())


def test_meridian_national(loaded: dict[str, MMMDataSet]) -> None:
    ds = loaded["meridian_national"]
    raw = read_raw("meridian_national_all_channels.csv")
    channels = [f"channel{i}" for i in range(5)]
    assert ds.n_periods == 156 == raw.height
    assert ds.kpi == "revenue"
    assert ds.channels == channels
    assert ds.media_channels == channels
    assert ds.organic == ["channel0"]
    assert ds.controls == ["competitor_sales", "sentiment_score"]
    assert ds.events == ["promo"]
    assert ds.dates == iso_dates(raw["time"])
    revenue = raw["conversions"].to_numpy() * raw["revenue_per_conversion"].to_numpy()
    np.testing.assert_array_equal(ds.frame["kpi__revenue"].to_numpy(), revenue)
    for i in range(5):
        np.testing.assert_array_equal(
            ds.frame[f"spend__channel{i}"].to_numpy(), raw[f"Channel{i}_spend"].to_numpy()
        )
        np.testing.assert_array_equal(
            ds.frame[f"media__channel{i}"].to_numpy(),
            raw[f"Channel{i}_impression"].to_numpy().astype(np.float64),
        )
    np.testing.assert_array_equal(
        ds.frame["organic__channel0"].to_numpy(),
        raw["Organic_channel0_impression"].to_numpy().astype(np.float64),
    )
    np.testing.assert_array_equal(
        ds.frame["control__competitor_sales"].to_numpy(),
        raw["competitor_sales_control"].to_numpy(),
    )
    np.testing.assert_array_equal(ds.frame["event__promo"].to_numpy(), raw["Promo"].to_numpy())


def test_plr_small_business(loaded: dict[str, MMMDataSet]) -> None:
    ds = loaded["plr_small_business"]
    raw = read_raw("plr_small_business.csv")
    assert ds.n_periods == 104 == raw.height
    assert ds.kpi == "sales"
    assert ds.channels == ["search_ads", "social_media", "local_ads", "email"]
    assert ds.controls == ["event", "sale"]
    assert ds.dates == iso_dates(raw["date"])
    np.testing.assert_array_equal(ds.frame["kpi__sales"].to_numpy(), raw["y"].to_numpy())
    for column, channel in [
        ("x1_Search-Ads", "search_ads"),
        ("x2_Social-Media", "social_media"),
        ("x3_Local-Ads", "local_ads"),
        ("x4_Email", "email"),
    ]:
        np.testing.assert_array_equal(
            ds.frame[f"spend__{channel}"].to_numpy(), raw[column].to_numpy()
        )


def test_plr_medium_business(loaded: dict[str, MMMDataSet]) -> None:
    ds = loaded["plr_medium_business"]
    raw = read_raw("plr_medium_business_national.csv")
    assert ds.n_periods == 156 == raw.height
    assert ds.kpi == "sales"
    columns = [
        ("x1_Search-Ads", "search_ads"),
        ("x2_Search-Ads-Brand", "search_ads_brand"),
        ("x3_Video", "video"),
        ("x4_Video-2", "video_2"),
        ("x5_Social-Media", "social_media"),
        ("x6_Social-Media-2", "social_media_2"),
        ("x7_Display-Ads", "display_ads"),
        ("x8_Influencer", "influencer"),
    ]
    assert ds.channels == [channel for _, channel in columns]
    assert ds.controls == ["event_a", "event_b", "linear", "sale"]
    assert ds.dates == iso_dates(raw["date"])
    np.testing.assert_array_equal(ds.frame["kpi__sales"].to_numpy(), raw["y"].to_numpy())
    for column, channel in columns:
        np.testing.assert_array_equal(
            ds.frame[f"spend__{channel}"].to_numpy(), raw[column].to_numpy()
        )
    for k, control in enumerate(ds.controls, start=1):
        np.testing.assert_array_equal(
            ds.frame[f"control__{control}"].to_numpy(), raw[f"c{k}"].to_numpy()
        )


WITH_TRUTH = [name for name in example_names() if EXAMPLES[name].truth_filename is not None]


def test_examples_with_truth() -> None:
    assert WITH_TRUTH == ["plr_small_business", "plr_medium_business"]
    assert all(EXAMPLES[name].true_roi is not None for name in WITH_TRUTH)


@pytest.mark.parametrize("name", WITH_TRUTH)
def test_truth_matches_the_data(name: str, loaded: dict[str, MMMDataSet]) -> None:
    ds, truth = loaded[name], load_example_truth(name)
    assert truth.columns == ["date", *ds.channels]
    assert truth["date"].to_list() == ds.dates
    true_roi = EXAMPLES[name].true_roi
    assert true_roi is not None
    for channel in ds.channels:
        contribution = truth[channel].to_numpy()
        spend = ds.frame[f"spend__{channel}"].to_numpy()
        assert np.all(contribution >= 0)
        # the published ROI (rounded to 3 decimals) is total contribution / total spend
        assert contribution.sum() / spend.sum() == pytest.approx(true_roi[channel], abs=6e-4)
        # a channel contributes nothing until it has spent (adstock only carries forward)
        first = int(np.argmax(spend > 0))
        np.testing.assert_array_equal(contribution[:first], 0.0)
    # y = baseline + control effects + media: the implied baseline is positive everywhere
    raw = load_example_raw(name)
    effects = sum(raw[f"c{k}_effect"].to_numpy() for k in range(1, len(ds.controls) + 1))
    media = sum(truth[channel].to_numpy() for channel in ds.channels)
    baseline = ds.frame["kpi__sales"].to_numpy() - effects - media
    assert baseline.min() > 0


def test_small_business_truth_rebuilt_from_spend() -> None:
    """The generator's formula (numpy loop) with its published parameters gives the file."""
    ds, truth = load_example("plr_small_business"), load_example_truth("plr_small_business")
    base_sales_rate = 5000.0
    # channel: (beta, adstock alpha, Hill slope, Hill kappa), from the preset's truth JSON
    parameters = {
        "search_ads": (1.5, 0.0, 1.0, 1.0),
        "social_media": (1.2, 0.2, 1.5, 0.8),
        "local_ads": (0.9, 0.4, 1.0, 1.5),
        "email": (1.2, 0.3, 2.0, 0.5),
    }
    for channel, (beta, alpha, slope, kappa) in parameters.items():
        spend = ds.frame[f"spend__{channel}"].to_numpy()
        scaled = spend / spend.max()
        adstocked = np.zeros_like(scaled)
        for t in range(len(scaled)):
            for lag in range(min(8, t + 1)):
                adstocked[t] += alpha**lag * scaled[t - lag]
        hill = adstocked**slope / (kappa**slope + adstocked**slope)
        np.testing.assert_allclose(
            truth[channel].to_numpy(), beta * base_sales_rate * hill, rtol=1e-12, atol=1e-9
        )


def test_truth_for_an_example_without_one() -> None:
    with pytest.raises(ValueError, match=r"no published ground truth.*plr_small_business"):
        load_example_truth("pymc_marketing")
    with pytest.raises(ValueError, match="unknown example"):
        load_example_truth("nope")


@pytest.mark.parametrize("name", example_names())
def test_raw_file_and_report(name: str, loaded: dict[str, MMMDataSet]) -> None:
    raw = load_example_raw(name)
    assert raw.equals(read_raw(EXAMPLES[name].filename))
    ds, report = load_example_with_report(name)
    assert ds == loaded[name]
    assert set(report.renames.values()) == set(ds.columns)
    prepared = EXAMPLES[name].prepare(raw)
    assert set(report.unmapped) | set(report.renames) == set(prepared.columns)
    assert all(reason for reason in report.unmapped.values())
    assert report.date_format == "%Y-%m-%d"


def test_unknown_name_lists_the_names() -> None:
    with pytest.raises(ValueError, match="unknown example 'nope'") as err:
        load_example("nope")
    for name in example_names():
        assert name in str(err.value)
    with pytest.raises(ValueError, match="pymc_marketing"):
        load_example_raw("nope")
