"""mmm vs PyMC-Marketing on the bundled PyMC-Marketing example, side by side in one process.

Run: ``pip install -e ".[bench]"`` then ``python benchmarks/vs_pymc_marketing.py``
(``--samplers nutpie numpyro pymc`` to choose PyMC-Marketing's samplers, ``--quick`` for a
short smoke run). Without PyMC-Marketing installed only mmm's rows are printed.

The same model on both sides: geometric adstock (``l_max=8``), logistic saturation,
yearly Fourier order 2, the example's two event columns and a linear trend (PyMC-Marketing
gets the trend as a control ``t`` scaled to ``[0, 1]``, as ``mmm`` scales it: an unscaled
``0..178`` trend alone cuts NUTS's step size tenfold). 4 chains x (1000 warm-up + 1000
draws) on each side; for each sampler the script times a first fit and a repeat fit
(a new model object each time, same process) and reports, per fit: wall time of the whole
call (build + compile + sample), the minimum bulk ESS over the free parameters per second
of that wall time, max R-hat over the free parameters, and divergences.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from typing import Any

import numpyro

numpyro.set_host_device_count(4)

import jax  # noqa: E402
import numpy as np  # noqa: E402

from mmm.datasets import load_example  # noqa: E402
from mmm.modeling import ModelSpec, fit, to_variable  # noqa: E402
from mmm.modeling._arviz import az  # noqa: E402

Row = dict[str, Any]


def _diagnostics(posterior: dict[str, np.ndarray]) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = az.summary(az.from_dict(posterior=posterior), kind="diagnostics", round_to="none")
    return float(summary["ess_bulk"].min()), float(summary["r_hat"].max())


def mmm_rows(draws: int, tune: int) -> list[Row]:
    ds = load_example("pymc_marketing")
    rows = []
    for attempt in ("first", "repeat"):
        start = time.perf_counter()
        f = fit(ModelSpec.default(ds), ds, draws=draws, tune=tune, seed=1, progress_bar=False)
        seconds = time.perf_counter() - start
        free = {to_variable(k): v for k, v in f.free_samples().items()}
        ess, rhat = _diagnostics(free)
        divergences = int(f.sample_stats["diverging"].sum())
        rows.append(_row("mmm (NUTS, parallel chains)", attempt, seconds, ess, rhat, divergences))
    return rows


def _row(name: str, attempt: str, seconds: float, ess: float, rhat: float, div: int) -> Row:
    return {
        "library": name,
        "fit": attempt,
        "seconds": seconds,
        "ess_per_s": ess / seconds,
        "min_ess": ess,
        "max_rhat": rhat,
        "divergences": div,
    }


def pymc_rows(samplers: list[str], draws: int, tune: int) -> list[Row]:
    import pandas as pd
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    ds = load_example("pymc_marketing")
    frame = ds.frame.to_pandas()
    n = len(frame)
    x = pd.DataFrame(
        {
            "date_week": pd.to_datetime(frame["date"]),
            "x1": frame["spend__x1"],
            "x2": frame["spend__x2"],
            "event_1": frame["event__event_1"].astype(float),
            "event_2": frame["event__event_2"].astype(float),
            "t": np.arange(n) / (n - 1),
        }
    )
    y = frame["kpi__sales"]
    rows = []
    for sampler in samplers:
        for attempt in ("first", "repeat"):
            start = time.perf_counter()
            model = MMM(
                date_column="date_week",
                channel_columns=["x1", "x2"],
                control_columns=["event_1", "event_2", "t"],
                adstock=GeometricAdstock(l_max=8),
                saturation=LogisticSaturation(),
                yearly_seasonality=2,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                idata = model.fit(
                    x,
                    y,
                    chains=4,
                    draws=draws,
                    tune=tune,
                    nuts_sampler=sampler,
                    random_seed=1,
                    progressbar=False,
                )
            seconds = time.perf_counter() - start
            free = [rv.name for rv in model.model.free_RVs]
            posterior = {name: idata.posterior[name].values for name in free}
            ess, rhat = _diagnostics(posterior)
            div = int(idata.sample_stats["diverging"].values.sum())
            rows.append(_row(f"PyMC-Marketing ({sampler})", attempt, seconds, ess, rhat, div))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samplers", nargs="*", default=["nutpie", "numpyro", "pymc"])
    parser.add_argument("--quick", action="store_true", help="100 + 100 draws, smoke run")
    args = parser.parse_args()
    draws, tune = (100, 100) if args.quick else (1000, 1000)
    print(f"jax {jax.__version__}, numpyro {numpyro.__version__}, devices {jax.devices()}")
    print(f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus")
    print(f"4 chains x ({tune} warm-up + {draws} draws)")
    rows = mmm_rows(draws, tune)
    try:
        import pymc_marketing
    except ImportError:
        print("PyMC-Marketing not installed (pip install -e '.[bench]'): mmm only")
    else:
        print(f"pymc-marketing {pymc_marketing.__version__}")
        rows += pymc_rows(args.samplers, draws, tune)
    print(
        f"{'library':32s} {'fit':7s} {'seconds':>8s} {'ESS/s':>8s} {'min ESS':>8s} "
        f"{'max R-hat':>9s} {'div':>4s}"
    )
    for r in rows:
        print(
            f"{r['library']:32s} {r['fit']:7s} {r['seconds']:8.1f} {r['ess_per_s']:8.1f} "
            f"{r['min_ess']:8.0f} {r['max_rhat']:9.3f} {r['divergences']:4d}"
        )
    ours = [r for r in rows if r["library"].startswith("mmm") and r["fit"] == "repeat"]
    theirs = [r for r in rows if r["library"].startswith("PyMC") and r["fit"] == "repeat"]
    if ours and theirs:
        fastest = min(theirs, key=lambda r: r["seconds"])
        best_rate = max(r["ess_per_s"] for r in theirs)
        print(
            f"repeat fit: {fastest['seconds'] / ours[0]['seconds']:.1f}x faster than the "
            f"fastest PyMC-Marketing sampler ({fastest['library']}); ESS/s "
            f"{ours[0]['ess_per_s'] / best_rate:.1f}x its best"
        )


if __name__ == "__main__":
    main()
