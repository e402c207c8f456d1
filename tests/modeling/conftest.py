"""Shared fixtures: small datasets and fits, built once per session."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

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
def _counting(name: str, register: Any, unregister: Any) -> Iterator[dict[str, int]]:
    """Count JAX monitoring events ``name`` inside the block (listener added, then removed)."""
    counter = {"n": 0}

    def listener(event: str, *_: object, **__: object) -> None:
        if event == name:
            counter["n"] += 1

    register(listener)
    try:
        yield counter
    finally:
        unregister(listener)


def counting_compiles() -> contextlib.AbstractContextManager[dict[str, int]]:
    """Count XLA compilations inside the block: ``with counting_compiles() as n: ...``.

    A program loaded from JAX's disk cache counts too (JAX times the load as a compile);
    :func:`counting_disk_cache_misses` counts only the programs compiled anew.
    """
    return _counting(
        "/jax/core/compile/backend_compile_duration",
        monitoring.register_event_duration_secs_listener,
        monitoring.unregister_event_duration_listener,
    )


def counting_disk_cache_misses() -> contextlib.AbstractContextManager[dict[str, int]]:
    """Count the programs JAX compiled because its disk cache (on in the tests) lacked them."""
    return _counting(
        "/jax/compilation_cache/cache_misses",
        monitoring.register_event_listener,
        monitoring.unregister_event_listener,
    )


@pytest.fixture(scope="session")
def compile_counter():
    return counting_compiles


@pytest.fixture(scope="session")
def cache_miss_counter():
    return counting_disk_cache_misses
