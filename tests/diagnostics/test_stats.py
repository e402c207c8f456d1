"""R-hat, ESS and MCSE against arviz on the same arrays."""

from __future__ import annotations

import numpy as np
import pytest
from arviz.utils import Numba

from mmm.diagnostics import ess_bulk, ess_mean, ess_tail, mcse_mean, mcse_sd, rhat
from mmm.modeling._arviz import arviz

az = arviz()

rng = np.random.default_rng(0)

CASES = {
    "iid": rng.normal(size=(4, 500)),
    "autocorrelated": np.cumsum(rng.normal(size=(4, 300)), axis=1) * 0.1
    + rng.normal(size=(4, 300)),
    "chains_apart": rng.normal(size=(4, 200)) + np.arange(4)[:, None],
    "heavy_tailed_odd_draws": rng.standard_cauchy(size=(3, 401)),
    "ties": rng.integers(0, 3, size=(4, 100)).astype(float),
    "two_chains": rng.gamma(2.0, size=(2, 64)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_statistics_agree_with_arviz(name: str) -> None:
    x = CASES[name]
    ours = [rhat(x), ess_bulk(x), ess_tail(x), ess_mean(x), mcse_mean(x), mcse_sd(x)]
    # arviz's numba path (numba comes with the bench extra) returns shape (1,) for some of
    # these and fails in its own float() under numpy 2.4: take the reference without it.
    numba_was_on = Numba.numba_flag
    Numba.disable_numba()
    try:
        ref = [
            np.asarray(value).item()
            for value in (
                az.rhat(x),
                az.ess(x),
                az.ess(x, method="tail"),
                az.ess(x, method="mean"),
                az.mcse(x),
                az.mcse(x, method="sd"),
            )
        ]
    finally:
        if numba_was_on:
            Numba.enable_numba()
    np.testing.assert_allclose(ours, ref, rtol=1e-9)


def test_rhat_detects_chains_that_disagree_and_passes_agreeing_ones() -> None:
    assert rhat(CASES["iid"]) < 1.01
    assert rhat(CASES["chains_apart"]) > 1.5


def test_ess_of_independent_draws_is_about_their_number() -> None:
    x = rng.normal(size=(4, 1000))
    assert 3000 < ess_bulk(x) < 5000


def test_constant_draws_and_one_chain() -> None:
    assert ess_bulk(np.ones((4, 50))) == 200
    assert np.isnan(rhat(rng.normal(size=(1, 100))))


def test_rejects_draws_that_are_not_chain_by_draw() -> None:
    with pytest.raises(ValueError, match=r"\(chain, draw\)"):
        rhat(np.zeros(10))
