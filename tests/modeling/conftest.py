"""Shared fixtures: small datasets and fits, built once per session."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest
from jax import monitoring

from mmm.data import MMMDataSet
from mmm.datasets import load_example, simulate
from mmm.modeling import FitInfo, FittedMMM, ModelSpec, design_for


@pytest.fixture(scope="session")
def small_ds() -> MMMDataSet:
    ds, _ = simulate(n_weeks=104, n_channels=3, seed=3, n_controls=1, n_events=1)
    return ds


@pytest.fixture(scope="session")
def example_ds() -> MMMDataSet:
    return load_example("pymc_marketing")


def fitted_from_draws(spec: ModelSpec, ds: MMMDataSet, samples: dict[str, np.ndarray]) -> FittedMMM:
    """A FittedMMM whose posterior is the given draws (chain axis added): no sampler."""
    design = design_for(spec, ds)
    return FittedMMM(
        spec=spec,
        dataset=ds,
        design=design,
        samples={k: np.asarray(v)[None] for k, v in samples.items()},
        sample_stats={},
        info=FitInfo(method="given", seed=0, seconds=0.0, settings={}),
    )


def ref_geometric_hill(x: np.ndarray, alpha: float, k: float, s: float, l_max: int) -> np.ndarray:
    """Normalized geometric adstock then Hill, by explicit loops in float64."""
    w = alpha ** np.arange(l_max)
    w = w / w.sum()
    n = len(x)
    y = np.array(
        [sum(w[lag] * x[t - lag] for lag in range(l_max) if t - lag >= 0) for t in range(n)]
    )
    out = np.zeros_like(y)
    pos = y > 0
    out[pos] = y[pos] ** s / (y[pos] ** s + k**s)
    return out


@pytest.fixture(scope="session")
def make_fitted():
    return fitted_from_draws


@pytest.fixture(scope="session")
def ref_media():
    return ref_geometric_hill


@contextlib.contextmanager
def counting_compiles() -> Iterator[dict[str, int]]:
    """Count XLA compilations inside the block: ``with counting_compiles() as n: ...``."""
    counter = {"n": 0}

    def listener(event: str, duration: float, **_: object) -> None:
        if event == "/jax/core/compile/backend_compile_duration":
            counter["n"] += 1

    monitoring.register_event_duration_secs_listener(listener)
    try:
        yield counter
    finally:
        monitoring.unregister_event_duration_listener(listener)


@pytest.fixture(scope="session")
def compile_counter():
    return counting_compiles
