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
