"""How fast are decomposition, ROI and mROAS on 4000 posterior draws, and in how much memory?

Run: ``python benchmarks/results.py`` (``--draws N``, ``--chunk N``). For ``simulate()`` data of
156 weeks x 10 channels and 520 weeks x 30 channels, 4000 draws from the default spec's prior
stand in for a posterior (the cost does not depend on where the draws come from). Times,
after one warm-up call (compilation), the median of 3 calls of

* ``decompose``: every component per draw and period (``(draw, time, component)`` float32);
* ``roi_table``: attributed and incremental contribution, ROI, cost per KPI, share and the
  mROAS (forward mode) per draw, with intervals;
* ``contributions``: ``decompose`` plus the long frame with mean, median and a 90% interval
  per period and component;

and the peak resident memory growth of the process (``ru_maxrss``) after the ``roi_table``
calls (run first) and after all calls, and the size of the draw-level array for
comparison. Targets (issue 7): decomposition + ROI + mROAS under 1 s (156 x 10) and 2 s
(520 x 30) on CPU, memory bounded independent of the number of draws.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import resource
import statistics
import time
import warnings
from collections.abc import Callable

import jax
import numpy as np

from mmm.config import DataContractWarning
from mmm.datasets import simulate
from mmm.modeling import FittedMMM, ModelSpec, prior_fit
from mmm.results import contributions, decompose, roi_table


def _prior_fit(n_weeks: int, n_channels: int, draws: int) -> FittedMMM:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataContractWarning)
        ds, _ = simulate(n_weeks=n_weeks, n_channels=n_channels, seed=0)
    return prior_fit(ModelSpec.default(ds), ds, draws=draws, seed=0)


def _seconds(call: Callable[[], object], repeats: int = 3) -> float:
    call()  # compile
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=4000)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"jax {jax.__version__} on {jax.default_backend()}; {args.draws} draws, chunks of "
        f"{args.chunk}"
    )
    header = f"{'case':<18} {'decompose':>10} {'roi_table':>10} {'sum':>7} {'contributions':>14}"
    print(header + f" {'peak RSS growth: roi / all':>27} {'draw array':>11}")
    for weeks, channels in ((156, 10), (520, 30)):
        fitted = _prior_fit(weeks, channels, args.draws)
        before = _peak_mib()
        t_roi = _seconds(functools.partial(roi_table, fitted, chunk_size=args.chunk))
        roi_growth = _peak_mib() - before
        t_dec = _seconds(functools.partial(decompose, fitted, args.chunk))
        t_con = _seconds(functools.partial(contributions, fitted, chunk_size=args.chunk))
        growth = _peak_mib() - before
        array = decompose(fitted, args.chunk).draws
        print(
            f"{weeks} x {channels:<12} {t_dec:9.2f}s {t_roi:9.2f}s {t_dec + t_roi:6.2f}s "
            f"{t_con:13.2f}s {roi_growth:8.0f} / {growth:4.0f} MiB {array.nbytes / 2**20:8.0f} MiB"
        )
        del array
        assert np.isfinite(t_dec)


if __name__ == "__main__":
    main()
