"""Cost of the data layer: validating, mapping and converting datasets of realistic size.

Run: ``python benchmarks/validation.py [--repeats N]``. Prints, per size, the median wall time of
``MMMDataSet.from_frame`` (all contract checks), ``ColumnMapper.build`` from a raw CSV read
as text (parsing dates and numbers) and ``to_arrays``, with rows x columns per second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import time
from collections.abc import Callable

import numpy as np
import polars as pl

from mmm.data import ColumnMapper, MMMDataSet

SIZES = (  # (label, periods, interval, channels)
    ("156 weeks x 5 channels", 156, "1w", 5),
    ("208 weeks x 30 channels", 208, "1w", 30),
    ("10 years daily x 30 channels", 3650, "1d", 30),
)


def _frame(periods: int, interval: str, channels: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    start = dt.date(2015, 1, 5)
    dates = pl.date_range(start, start + dt.timedelta(days=periods * 8), interval, eager=True)
    columns: dict[str, object] = {"date": dates[:periods]}
    columns["kpi__revenue"] = rng.gamma(50.0, 2e4, periods)
    for c in range(channels):
        spend = rng.gamma(2.0, 5e4, periods) * (rng.random(periods) > 0.2)
        columns[f"spend__ch{c}"] = spend
        columns[f"media__ch{c}"] = spend * rng.uniform(50, 200)
    for k in range(5):
        columns[f"control__c{k}"] = rng.normal(size=periods)
    return pl.DataFrame(columns)


def _median_time(fn: Callable[[], object], repeats: int = 7) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=7, help="timed calls per figure, median reported (7)"
    )
    repeats = parser.parse_args().repeats
    if repeats < 1:
        parser.error(f"--repeats must be at least 1, got {repeats}")
    print(f"{'dataset':<30} {'cells':>8} {'from_frame':>11} {'mapper':>11} {'to_arrays':>10}")
    for label, periods, interval, channels in SIZES:
        frame = _frame(periods, interval, channels)
        buffer = io.StringIO()
        frame.rename(lambda c: c.upper()).write_csv(buffer)
        raw = pl.read_csv(io.StringIO(buffer.getvalue()), infer_schema=False)
        mapper = ColumnMapper({c.upper(): c for c in frame.columns})
        dataset = MMMDataSet.from_frame(frame)
        t_validate = _median_time(lambda f=frame: MMMDataSet.from_frame(f), repeats)
        t_mapper = _median_time(lambda r=raw, m=mapper: m.build(r), repeats)
        t_arrays = _median_time(lambda d=dataset: d.to_arrays(), repeats)
        cells = frame.height * frame.width
        print(
            f"{label:<30} {cells:>8} {t_validate * 1e3:>8.1f} ms {t_mapper * 1e3:>8.1f} ms "
            f"{t_arrays * 1e3:>7.1f} ms   ({cells / t_validate / 1e6:.2f} M cells/s validated)"
        )


if __name__ == "__main__":
    main()
