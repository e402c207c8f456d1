"""Shared EDA fixtures: one small simulated dataset."""

import pytest

from mmm.data import MMMDataSet
from mmm.datasets import SimulationTruth, simulate


@pytest.fixture(scope="package")
def sim() -> tuple[MMMDataSet, SimulationTruth]:
    """104 weeks, 3 channels, low noise."""
    return simulate(n_weeks=104, n_channels=3, seed=4, noise=0.02)
