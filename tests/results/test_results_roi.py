"""ROI, incremental KPI, mROAS: windowed sums, a numpy finite difference, the truth."""

import dataclasses
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

from mmm.datasets import SimulationTruth
from mmm.modeling import FittedMMM
from mmm.results import (
    carryover_periods,
    channel_metrics,
    decompose,
    resolve_window,
    roi_by_period,
    roi_table,
    window_draws,
)

Reference = Callable[[FittedMMM, int, np.ndarray], np.ndarray]


def test_attributed_roi_is_the_ratio_of_windowed_sums(
    fitted_sim: tuple[FittedMMM, SimulationTruth],
) -> None:
    f, _ = fitted_sim
    dates = list(f.dataset.dates)
    window = resolve_window(dates, ("2022-03-01", "2022-09-30"))
    metrics = channel_metrics(window_draws(f, [window]), roi="attributed")
    d = decompose(f)
    contribution = d.draws[:, window.first : window.stop, :5].sum(axis=1, dtype=np.float64)
    spend = f.dataset.frame.select([f"spend__{c}" for c in f.spec.channels]).to_numpy()
    spend_w = spend[window.first : window.stop].sum(axis=0)
    np.testing.assert_allclose(metrics.contribution[:, 0], contribution, rtol=1e-4)
    np.testing.assert_allclose(metrics.roi[:, 0], contribution / spend_w, rtol=1e-4)
    fitted_w = d.fitted[:, window.first : window.stop].sum(axis=1)
    np.testing.assert_allclose(metrics.share[:, 0], contribution / fitted_w[:, None], rtol=1e-4)
    np.testing.assert_allclose(metrics.cost_per_kpi * metrics.roi, 1.0, rtol=1e-9)
    table = roi_table(f, window=("2022-03-01", "2022-09-30"), roi="attributed")
    assert table["spend"].to_list() == pytest.approx(spend_w.tolist())
    assert table["roi_mean"].to_list() == pytest.approx(metrics.roi[:, 0].mean(axis=0).tolist())
    doubled = roi_table(f, window=("2022-03-01", "2022-09-30"), roi="attributed", value_per_kpi=2)
    assert doubled["roi_mean"].to_list() == pytest.approx((2 * table["roi_mean"]).to_list())


def test_incremental_kpi_and_mroas_match_a_numpy_counterfactual(
    fitted_sim: tuple[FittedMMM, SimulationTruth], media_reference: Reference
) -> None:
    f, _ = fitted_sim
    x = np.asarray(f.design.media, dtype=np.float64)
    pad = carryover_periods(f.spec)
    x = np.concatenate([x, np.zeros((pad, x.shape[1]))])
    window = resolve_window(list(f.dataset.dates), ("2023-06-01", None))  # tail past the end
    w = window.mask(x.shape[0])[:, None].astype(float)
    draws = window_draws(f, [window])
    spend = draws.spend[0]
    h = 1e-3
    for draw in (3, 250):
        full = media_reference(f, draw, x)
        incremental = (full - media_reference(f, draw, x * (1 - w))).sum(axis=0)
        np.testing.assert_allclose(draws.incremental[draw, 0], incremental, rtol=1e-4)
        up = media_reference(f, draw, x * (1 + h * w)).sum(axis=0)
        down = media_reference(f, draw, x * (1 - h * w)).sum(axis=0)
        finite_difference = (up - down) / (2 * h) / spend
        mroas = draws.marginal[draw, 0] / spend
        np.testing.assert_allclose(mroas, finite_difference, rtol=1e-3)
    assert (draws.marginal < draws.incremental).all()  # diminishing returns
    # over the whole window, incremental - attributed is exactly the carry-over past the end
    everything = window_draws(f, [resolve_window(list(f.dataset.dates), None)])
    n = len(f.dataset.dates)
    for draw in (3, 250):
        tail = media_reference(f, draw, x)[n:].sum(axis=0)
        assert tail.min() > 0
        np.testing.assert_allclose(
            everything.incremental[draw, 0] - everything.attributed[draw, 0],
            tail,
            rtol=2e-3,
            atol=2e-6 * np.abs(everything.attributed[draw, 0]).max(),  # float32 differences
        )


def test_roi_covers_the_truth_and_windows_add_up(
    fitted_sim: tuple[FittedMMM, SimulationTruth],
) -> None:
    f, truth = fitted_sim
    table = roi_table(f, roi="attributed", level=0.9)
    assert table.columns[:5] == ["window", "start", "end", "channel", "spend"]
    true_roi = np.array([truth.roi[c] for c in f.spec.channels])
    covered = (table["roi_lower"].to_numpy() <= true_roi) & (
        true_roi <= table["roi_upper"].to_numpy()
    )
    assert covered.sum() >= 4, (true_roi, table.select("channel", "roi_lower", "roi_upper"))
    # the media's total return is pinned down far better than each channel's (stated: 15%)
    spend = table["spend"].to_numpy()
    total = table["contribution_mean"].sum() / spend.sum()
    assert total == pytest.approx((true_roi * spend).sum() / spend.sum(), rel=0.15)
    incremental = roi_table(f)
    assert (incremental["roi_mean"] >= table["roi_mean"] * 0.9).all()
    assert (incremental["mroas_mean"] < incremental["roi_mean"]).all()  # concave responses
    yearly = roi_by_period(f, by="year", roi="attributed")
    assert yearly["window"].unique(maintain_order=True).to_list() == ["2021", "2022", "2023"]
    summed = yearly.group_by("channel", maintain_order=True).agg(
        pl.col("contribution_mean").sum(), pl.col("spend").sum()
    )
    assert summed["contribution_mean"].to_list() == pytest.approx(
        table["contribution_mean"].to_list(), rel=1e-6
    )
    assert summed["spend"].to_list() == pytest.approx(table["spend"].to_list())


def test_bad_arguments_are_rejected(fitted_sim: tuple[FittedMMM, SimulationTruth]) -> None:
    f, _ = fitted_sim
    with pytest.raises(ValueError, match="holds no training period"):
        roi_table(f, window=("2030-01-01", "2031-01-01"))
    with pytest.raises(ValueError, match="roi='net'"):
        roi_table(f, roi="net")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="after its end"):
        roi_table(f, window=("2023-01-01", "2022-01-01"))
    with pytest.raises(ValueError, match="level"):
        roi_table(f, level=90)
    with pytest.raises(ValueError, match="value_per_kpi"):
        roi_table(f, value_per_kpi=0.0)
    with pytest.raises(ValueError, match="not a date"):
        roi_table(f, window=("last year", None))


def test_roi_and_mroas_take_the_fits_value_per_kpi(
    fitted_sim: tuple[FittedMMM, SimulationTruth],
) -> None:
    """A fit of conversions valued at ``v``: ROI and mROAS x v, costs and contributions not."""
    plain, _ = fitted_sim
    v = 40.0
    valued = dataclasses.replace(plain, spec=dataclasses.replace(plain.spec, value_per_kpi=v))
    base, money = roi_table(plain), roi_table(valued)
    for column in ("roi_mean", "roi_lower", "roi_upper", "mroas_mean", "mroas_upper"):
        np.testing.assert_allclose(money[column], v * base[column], rtol=1e-6)
    for column in ("contribution_mean", "cost_per_kpi_mean", "share_mean"):
        np.testing.assert_allclose(money[column], base[column], rtol=1e-6)
    # an explicit value wins over the fit's
    np.testing.assert_allclose(
        roi_table(valued, value_per_kpi=1.0)["roi_mean"], base["roi_mean"], rtol=1e-6
    )
    by_quarter = roi_by_period(valued, "quarter")
    plain_quarter = roi_by_period(plain, "quarter")
    np.testing.assert_allclose(
        by_quarter["roi_mean"].fill_nan(0.0), v * plain_quarter["roi_mean"].fill_nan(0.0)
    )
