"""Shared fixtures of the diagnostics tests: a small dataset and fits built from given draws."""

from __future__ import annotations

import numpy as np
import pytest

from mmm.config import DataContractWarning
from mmm.data import MMMDataSet
from mmm.datasets import simulate
from mmm.modeling import FitInfo, FittedMMM, ModelSpec, design_for


@pytest.fixture(scope="session")
def short_ds() -> MMMDataSet:
    """78 weeks, 2 channels (tv, search), default controls and events."""
    with pytest.warns(DataContractWarning, match="fewer than the recommended"):
        ds, _ = simulate(n_weeks=78, n_channels=2, seed=1)
    return ds


def fitted_from_chains(
    spec: ModelSpec,
    ds: MMMDataSet,
    samples: dict[str, np.ndarray],
    sample_stats: dict[str, np.ndarray] | None = None,
) -> FittedMMM:
    """A FittedMMM whose posterior is the given ``(chain, draw, ...)`` draws: no sampler."""
    return FittedMMM(
        spec=spec,
        dataset=ds,
        design=design_for(spec, ds),
        samples={k: np.asarray(v) for k, v in samples.items()},
        sample_stats=dict(sample_stats or {}),
        info=FitInfo(method="given", seed=0, seconds=0.0, settings={}),
    )


@pytest.fixture(scope="session")
def make_chains():
    return fitted_from_chains


@pytest.fixture(scope="session")
def seasonal_ds() -> MMMDataSet:
    """104 weeks, 2 channels, with yearly seasonality, a trend, 2 controls and an event."""
    ds, _ = simulate(n_weeks=104, n_channels=2, seed=5)
    return ds


@pytest.fixture(scope="session")
def true_and_misspecified(seasonal_ds):
    """NUTS fits of the default spec and of one without seasonality and controls."""
    import equinox as eqx

    from mmm.modeling import fit

    spec = ModelSpec.default(seasonal_ds)
    dropped = ("yearly", "controls")
    bad = eqx.tree_at(
        lambda s: s.baseline, spec, tuple(b for b in spec.baseline if b.name not in dropped)
    )
    kw = {"chains": 4, "draws": 200, "tune": 200, "seed": 0, "progress_bar": False}
    return fit(spec, seasonal_ds, **kw), fit(bad, seasonal_ds, **kw)


@pytest.fixture(scope="session")
def ds() -> MMMDataSet:
    """104 weeks, 3 channels (tv, search, social), logistic truth, 1 control, 1 event."""
    data, _ = simulate(
        n_weeks=104, n_channels=3, seed=3, n_controls=1, n_events=1, saturation="logistic"
    )
    return data


@pytest.fixture(scope="session")
def spec(ds) -> ModelSpec:
    """The default spec of :func:`ds`."""
    return ModelSpec.default(ds)
