"""Datasets: bundled peer examples, and a simulator with known ground truth."""

from mmm.datasets._examples import (
    EXAMPLES,
    Example,
    example_names,
    load_example,
    load_example_raw,
    load_example_truth,
    load_example_with_report,
)
from mmm.datasets._simulate import simulate, simulate_frame
from mmm.datasets._truth import ChannelTruth, SimulationTruth

__all__ = [
    # bundled examples
    "EXAMPLES",
    "Example",
    "example_names",
    "load_example",
    "load_example_raw",
    "load_example_truth",
    "load_example_with_report",
    # simulation
    "simulate",
    "simulate_frame",
    "SimulationTruth",
    "ChannelTruth",
]
