"""SVI, MAP and Laplace run as one compiled program: a repeat fit compiles nothing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from mmm.datasets import simulate
from mmm.modeling import ModelSpec, fit


@pytest.mark.parametrize("method", ["map", "svi"])
def test_a_repeat_variational_fit_compiles_nothing(method, small_ds, compile_counter) -> None:
    options = {"method": method, "svi_steps": 200, "draws": 20, "progress_bar": False}
    first = fit(ModelSpec.default(small_ds), small_ds, seed=0, **options)
    other, _ = simulate(
        n_weeks=104, n_channels=3, seed=4, n_controls=1, n_events=1, start_date=dt.date(2022, 5, 2)
    )
    with compile_counter() as counter:
        refit = fit(ModelSpec.default(other), other, seed=1, **options)
    assert counter["n"] == 0
    assert refit.info.losses is not None
    assert refit.info.losses.shape == (200,)
    # The data are arguments, not baked-in constants: the other data give another fit.
    assert not np.allclose(first.info.losses, refit.info.losses)
    again = fit(ModelSpec.default(small_ds), small_ds, seed=0, **options)
    np.testing.assert_array_equal(again.info.losses, first.info.losses)
    for site, values in first.samples.items():
        np.testing.assert_array_equal(again.samples[site], values)


def test_laplace_draws_come_from_the_normal_at_the_mode(small_ds) -> None:
    """Regression: drawing through the guide gave the mode itself (a point mass) every time."""
    spec = ModelSpec.default(small_ds)
    options = {"svi_steps": 1500, "draws": 400, "progress_bar": False, "seed": 0}
    laplace = fit(spec, small_ds, method="laplace", **options)
    alpha = laplace.flat_samples()["media/adstock/alpha"]
    spread = alpha.std(axis=0)
    assert (spread > 0.005).all(), spread
    assert len(np.unique(alpha[:, 0])) == alpha.shape[0]  # every draw its own
    sigma = laplace.flat_samples()["kpi/sigma"]
    assert sigma.std() > 0.01 * sigma.mean()
