"""Response and adstock curves: operating point, shape, derivative, weights."""

import numpy as np
import polars as pl
import pytest

from mmm.datasets import SimulationTruth
from mmm.modeling import FittedMMM
from mmm.results import adstock_curves, resolve_window, response_curves, roi_table, window_draws


def test_response_curves_pass_through_zero_and_the_operating_point(
    fitted_sim: tuple[FittedMMM, SimulationTruth],
) -> None:
    f, _ = fitted_sim
    curves = response_curves(f)
    assert curves.columns == [
        "channel",
        "multiplier",
        "spend",
        "mean",
        "median",
        "lower",
        "upper",
        "current",
    ]
    table = roi_table(f)
    for channel, row in zip(f.spec.channels, table.iter_rows(named=True), strict=True):
        curve = curves.filter(pl.col("channel") == channel).sort("multiplier")
        assert curve["mean"][0] == pytest.approx(0.0, abs=1e-6 * row["contribution_mean"])
        current = curve.filter(pl.col("current"))
        assert current["mean"][0] == pytest.approx(row["contribution_mean"], rel=1e-5)
        assert current["spend"][0] == pytest.approx(row["spend"])
        mean = curve["mean"].to_numpy()
        assert (np.diff(mean) > 0).all()  # more spend, more KPI
        assert (np.diff(mean, 2) < 1e-6 * mean.max()).all()  # diminishing returns (concave)


def test_curve_slope_at_one_is_the_mroas(fitted_sim: tuple[FittedMMM, SimulationTruth]) -> None:
    f, _ = fitted_sim
    h = 1e-2
    curves = response_curves(f, [1 - h, 1 + h], level=0.5)
    window = resolve_window(list(f.dataset.dates), None)
    draws = window_draws(f, [window])
    for c, channel in enumerate(f.spec.channels):
        pair = curves.filter(pl.col("channel") == channel).sort("multiplier")["mean"].to_numpy()
        slope = (pair[1] - pair[0]) / (2 * h)
        assert slope == pytest.approx(draws.marginal[:, 0, c].mean(), rel=1e-3)


def test_spend_levels_are_multipliers_of_the_window_spend(
    fitted_sim: tuple[FittedMMM, SimulationTruth],
) -> None:
    f, _ = fitted_sim
    window = ("2022-01-01", "2022-12-31")
    table = roi_table(f, window=window)
    levels = {
        row["channel"]: [0.5 * row["spend"], row["spend"]] for row in table.iter_rows(named=True)
    }
    absolute = response_curves(f, spend_levels=levels, window=window)
    relative = response_curves(f, [0.5, 1.0], window=window)
    np.testing.assert_allclose(absolute["mean"], relative["mean"], rtol=1e-5)
    np.testing.assert_allclose(absolute["multiplier"], relative["multiplier"], rtol=1e-12)
    with pytest.raises(ValueError, match="one equally long sequence per channel"):
        response_curves(f, spend_levels={"tv": [1.0]})
    with pytest.raises(ValueError, match="not both"):
        response_curves(f, [1.0], spend_levels=levels)
    with pytest.raises(ValueError, match="multipliers"):
        response_curves(f, [-1.0])


def test_adstock_curves_are_the_posterior_of_the_lag_weights(
    fitted_sim: tuple[FittedMMM, SimulationTruth],
) -> None:
    f, _ = fitted_sim
    curves = adstock_curves(f, level=0.8)
    l_max = f.spec.media[0].adstock.l_max
    assert curves.height == len(f.spec.channels) * l_max
    alpha = f.flat_samples()["media/adstock/alpha"].astype(np.float64)  # (draw, channel)
    weights = alpha[:, :, None] ** np.arange(l_max)
    weights /= weights.sum(axis=2, keepdims=True)
    for c, channel in enumerate(f.spec.channels):
        rows = curves.filter(pl.col("channel") == channel).sort("lag")
        np.testing.assert_allclose(rows["mean"], weights[:, c].mean(axis=0), rtol=1e-5)
        np.testing.assert_allclose(
            rows["upper"], np.quantile(weights[:, c], 0.9, axis=0), rtol=1e-5
        )
        assert rows["mean"].sum() == pytest.approx(1.0, rel=1e-5)  # normalized weights
