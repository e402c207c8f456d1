"""How long does ``eda.report`` take? First call (with compilation) and repeat calls.

Run: ``python benchmarks/eda.py [--repeats N]``. For the bundled PyMC-Marketing example and
``simulate()`` data (156 weeks x 5 channels, 208 weeks x 30 channels) prints the wall time
of the first ``eda.report`` call in this process (compilation of the design's transforms
included), the median of N (default 3) repeat calls (same shapes: nothing compiles), and
the parts of a repeat call: the frequentist baselines (design + rolling ridge CV over 25
penalties x 5 folds) and the rest (profile, correlations, VIF, lagged correlations,
findings).
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable

import jax

from mmm import eda
from mmm.config import DataContractWarning, severity_counts
from mmm.data import MMMDataSet
from mmm.datasets import load_example, simulate


def _cases() -> list[tuple[str, MMMDataSet]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataContractWarning)
        return [
            ("pymc_marketing (179 wk x 2 ch)", load_example("pymc_marketing")),
            ("simulate 156 wk x 5 ch", simulate(n_weeks=156, n_channels=5, seed=0)[0]),
            ("simulate 208 wk x 30 ch", simulate(n_weeks=208, n_channels=30, seed=0)[0]),
        ]


def _seconds(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    """Print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=3, help="repeat calls per figure, median reported (3)"
    )
    repeats = parser.parse_args().repeats
    if repeats < 1:
        parser.error(f"--repeats must be at least 1, got {repeats}")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"jax {jax.__version__} on {jax.default_backend()}"
    )
    print(f"{'dataset':<32} {'first':>8} {'repeat':>8} {'baselines':>10} {'rest':>8}  findings")
    for name, ds in _cases():
        first = _seconds(functools.partial(eda.report, ds))
        repeat = statistics.median(
            _seconds(functools.partial(eda.report, ds)) for _ in range(repeats)
        )
        baselines = statistics.median(
            _seconds(functools.partial(eda.linear_baselines, ds)) for _ in range(repeats)
        )
        rep = eda.report(ds)
        counts = severity_counts(rep.findings)
        print(
            f"{name:<32} {first:7.2f}s {repeat:7.2f}s {baselines:9.2f}s "
            f"{repeat - baselines:7.2f}s  {counts}"
        )


if __name__ == "__main__":
    main()
