"""One short NUTS fit on simulated data with known truth, shared by the results tests."""

from collections.abc import Callable

import numpy as np
import pytest

from mmm.datasets import SimulationTruth, simulate
from mmm.modeling import FittedMMM, ModelSpec, fit


@pytest.fixture(scope="package")
def fitted_sim() -> tuple[FittedMMM, SimulationTruth]:
    """156 weeks x 5 channels (logistic, the default spec's family), 2 chains x 300 draws.

    The setting of ``tests/modeling/test_recovery.py``, whose tolerances were measured on it.
    """
    ds, truth = simulate(n_weeks=156, n_channels=5, seed=11, saturation="logistic")
    return fit(ModelSpec.default(ds), ds, chains=2, draws=300, tune=300, seed=0), truth


def numpy_media(f: FittedMMM, draw: int, x: np.ndarray) -> np.ndarray:
    """One draw's media contributions (KPI units) for scaled inputs ``x`` (time, channel).

    Geometric (normalized) adstock then logistic saturation by numpy loops, times the
    draw's coefficients: an independent reference for the default spec's media.
    """
    p = {k: np.asarray(v[draw], dtype=np.float64) for k, v in f.flat_samples().items()}
    l_max = f.spec.media[0].adstock.l_max
    out = np.zeros_like(x, dtype=np.float64)
    for c in range(x.shape[1]):
        alpha, lam = p["media/adstock/alpha"][c], p["media/saturation/lam"][c]
        w = alpha ** np.arange(l_max)
        w = w / w.sum()
        for t in range(x.shape[0]):
            carried = sum(w[k] * x[t - k, c] for k in range(l_max) if t >= k)
            out[t, c] = (1 - np.exp(-lam * carried)) / (1 + np.exp(-lam * carried))
    return out * p["media/coef"][None, :] * float(f.design.scalings.kpi.scale)


@pytest.fixture(scope="package")
def media_reference() -> Callable[[FittedMMM, int, np.ndarray], np.ndarray]:
    """:func:`numpy_media`."""
    return numpy_media
