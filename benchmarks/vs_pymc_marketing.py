"""mmm vs PyMC-Marketing on the same machine, with recovery of known contributions.

Run: ``pip install -e ".[bench]"`` then ``python benchmarks/vs_pymc_marketing.py``
(``--cases`` to choose datasets, ``--samplers pymc nutpie numpyro`` to choose
PyMC-Marketing's samplers (default: all three; none: mmm only), ``--seed`` for other
seeds, ``--media-share`` to give mmm another total media-share prior, ``--quick`` for a
short smoke run, ``--json FILE`` to keep the rows). Without PyMC-Marketing installed only
mmm's rows are printed.

Datasets (all bundled with mmm, see :mod:`mmm.datasets`):

- ``pymc_marketing``: PyMC-Marketing's own example (179 weeks, 2 channels, no ground truth).
- ``plr_small_business``: PyMC Labs parameter-recovery preset, 104 weeks x 4 channels.
- ``plr_medium_business``: the same benchmark's 156 weeks x 8 channels preset, national
  aggregate.

Each library runs its **default recommended model** on the same data, with the same 4
chains x (1000 warm-up + 1000 draws):

- mmm: ``ModelSpec.default(dataset)`` and ``mmm.fit`` with its defaults (NUTS, dense mass,
  4 chains in parallel, one thread each; 4 XLA host devices are set for PyMC-Marketing's
  NumPyro sampler, and mmm does not use them).
- PyMC-Marketing: ``pymc_marketing.mmm.multidimensional.MMM`` as in its getting-started
  example: ``GeometricAdstock(l_max=8)``, ``LogisticSaturation()``, ``yearly_seasonality=2``,
  the dataset's controls, default priors and scaling; ``fit(chains=4, draws, tune,
  nuts_sampler=...)``. For its own example, the control ``t`` (a time index) is passed
  scaled to ``[0, 1]`` as in its notebook. PyMC's own sampler gets ``cores=os.cpu_count()``
  (at most 4): its default guesses that half the CPUs are hyper-threads, and on a 2-CPU
  machine would run the 4 chains one after the other.

Reported per library and dataset:

- ``end_to_end_s``: wall time from the raw CSV to posterior-mean contributions per channel
  and week (load and map the data, build the model, compile, sample, decompose), the first
  fit in the process. Both libraries keep compiled code on disk between processes (mmm:
  JAX's persistent cache, ``MMM_COMPILATION_CACHE``; PyMC: PyTensor's ``compiledir``), so
  run the script with both pointed at empty folders for a cold start (a new machine), and
  again for a warm one (a user's second session):
  ``MMM_COMPILATION_CACHE=/tmp/c/jax PYTENSOR_FLAGS=compiledir=/tmp/c/pt python ...``.
- ``sampling_s``: the sampler's own time. PyMC reports it (``sampling_time``, without model
  compilation); for mmm it is the wall time of a second, identical ``fit`` in the same
  process (its compiled program is then reused).
- ``ess_per_s``: the minimum bulk ESS over all free parameters (every element of every
  vector parameter) divided by ``sampling_s``; ``max_rhat`` over the same elements;
  ``divergences`` over all chains after warm-up.
- Recovery, against the published true weekly contributions: ``total_error`` = mean over
  channels of ``|estimated total / true total - 1|`` (equal to the relative ROI error), and
  ``weekly_error`` = ``sum |estimated - true| / sum true`` over all channels and weeks
  (estimates are posterior means).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpyro

numpyro.set_host_device_count(4)  # PyMC's NumPyro sampler runs one chain per device

import jax  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

import mmm  # noqa: E402
from mmm.datasets import EXAMPLES, load_example, load_example_raw, load_example_truth  # noqa: E402
from mmm.modeling import ModelSpec, fit, spend_share_effect, to_variable  # noqa: E402
from mmm.modeling._arviz import arviz  # noqa: E402
from mmm.results import contributions  # noqa: E402

Row = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Case:
    """A bundled dataset and how a PyMC-Marketing user would pass its raw file."""

    example: str
    date_column: str
    channels: list[str]
    controls: list[str]
    target: str = "y"
    prepare: Callable[[Any], Any] = lambda frame: frame


def _pymc_example_time_index(frame: Any) -> Any:
    return frame.assign(t=np.arange(len(frame)) / (len(frame) - 1))


CASES = {
    "pymc_marketing": Case(
        "pymc_marketing",
        "date_week",
        ["x1", "x2"],
        ["event_1", "event_2", "t"],
        prepare=_pymc_example_time_index,
    ),
    "plr_small_business": Case(
        "plr_small_business",
        "date",
        ["x1_Search-Ads", "x2_Social-Media", "x3_Local-Ads", "x4_Email"],
        ["c1", "c2"],
    ),
    "plr_medium_business": Case(
        "plr_medium_business",
        "date",
        [
            "x1_Search-Ads",
            "x2_Search-Ads-Brand",
            "x3_Video",
            "x4_Video-2",
            "x5_Social-Media",
            "x6_Social-Media-2",
            "x7_Display-Ads",
            "x8_Influencer",
        ],
        ["c1", "c2", "c3", "c4"],
    ),
}


def _diagnostics(posterior: dict[str, np.ndarray]) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        az = arviz()
        summary = az.summary(az.from_dict(posterior=posterior), kind="diagnostics", round_to="none")
    return float(summary["ess_bulk"].min()), float(summary["r_hat"].max())


def _truth(case: Case) -> dict[str, np.ndarray] | None:
    """True weekly contributions keyed by the raw channel column name, or ``None``."""
    if EXAMPLES[case.example].truth_filename is None:
        return None
    truth = load_example_truth(case.example)
    return {raw: truth[_channel(case, raw)].to_numpy() for raw in case.channels}


def _recovery(
    estimated: dict[str, np.ndarray], truth: dict[str, np.ndarray] | None
) -> tuple[float, float]:
    if truth is None:
        return float("nan"), float("nan")
    total = np.mean([abs(estimated[c].sum() / truth[c].sum() - 1) for c in truth])
    weekly = sum(np.abs(estimated[c] - truth[c]).sum() for c in truth) / sum(
        truth[c].sum() for c in truth
    )
    return float(total), float(weekly)


def _row(
    case: Case,
    library: str,
    end_to_end: float,
    sampling: float,
    posterior: dict[str, np.ndarray],
    divergences: int,
    recovery: tuple[float, float],
) -> Row:
    ess, rhat = _diagnostics(posterior)
    return {
        "dataset": case.example,
        "library": library,
        "end_to_end_s": end_to_end,
        "sampling_s": sampling,
        "ess_per_s": ess / sampling,
        "min_ess": ess,
        "max_rhat": rhat,
        "divergences": divergences,
        "total_error": recovery[0],
        "weekly_error": recovery[1],
    }


@dataclasses.dataclass(frozen=True)
class Settings:
    """What every row shares: sampler length, seed, and mmm's prior on the media share."""

    draws: int
    tune: int
    seed: int
    media_share: float | None
    """``spend_share_effect(ds, media_share)`` for mmm; ``None``: the library default."""

    def flags(self) -> list[str]:
        share = [] if self.media_share is None else ["--media-share", str(self.media_share)]
        return [
            "--draws",
            str(self.draws),
            "--tune",
            str(self.tune),
            "--seed",
            str(self.seed),
            *share,
        ]


def _channel(case: Case, raw: str) -> str:
    """mmm's name of the channel in raw column ``raw``."""
    return EXAMPLES[case.example].mapper.mapping[raw].removeprefix("spend__")


def mmm_row(case: Case, settings: Settings) -> Row:
    start = time.perf_counter()
    ds = load_example(case.example)
    spec = (
        ModelSpec.default(ds)
        if settings.media_share is None
        else ModelSpec.default(ds, effect=spend_share_effect(ds, settings.media_share))
    )
    options = {"draws": settings.draws, "tune": settings.tune, "seed": settings.seed}
    fitted = fit(spec, ds, **options, progress_bar=False)
    frame = contributions(fitted)
    end_to_end = time.perf_counter() - start
    repeat = fit(spec, ds, **options, progress_bar=False)
    estimated = {
        raw: frame.filter(pl.col("component") == _channel(case, raw))["mean"].to_numpy()
        for raw in case.channels
    }
    free = {to_variable(k): v for k, v in fitted.free_samples().items()}
    return _row(
        case,
        "mmm (NUTS)",
        end_to_end,
        repeat.info.seconds,
        free,
        int(fitted.sample_stats["diverging"].sum()),
        _recovery(estimated, _truth(case)),
    )


def pymc_row(case: Case, sampler: str, settings: Settings) -> Row:
    import pandas as pd
    from pymc_marketing.mmm import GeometricAdstock, LogisticSaturation
    from pymc_marketing.mmm.multidimensional import MMM

    start = time.perf_counter()
    frame = case.prepare(load_example_raw(case.example).to_pandas())
    frame[case.date_column] = pd.to_datetime(frame[case.date_column])
    x = frame[[case.date_column, *case.channels, *case.controls]]
    y = frame[case.target].rename("y")
    model = MMM(
        date_column=case.date_column,
        channel_columns=case.channels,
        control_columns=case.controls,
        adstock=GeometricAdstock(l_max=8),
        saturation=LogisticSaturation(),
        yearly_seasonality=2,
    )
    cores = {"cores": min(4, os.cpu_count() or 1)} if sampler == "pymc" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = model.fit(
            x,
            y,
            chains=4,
            draws=settings.draws,
            tune=settings.tune,
            nuts_sampler=sampler,
            random_seed=settings.seed,
            progressbar=False,
            **cores,
        )
        means = model.compute_mean_contributions_over_time()
    end_to_end = time.perf_counter() - start
    estimated = {c: means[c].to_numpy(dtype=float) for c in case.channels}
    sampling = float(idata.posterior.attrs.get("sampling_time", np.nan))
    if not np.isfinite(sampling):
        sampling = float(idata.sample_stats.attrs.get("sampling_time", end_to_end))
    free = [rv.name for rv in model.model.free_RVs]
    posterior = {name: idata.posterior[name].values for name in free}
    return _row(
        case,
        f"PyMC-Marketing ({sampler})",
        end_to_end,
        sampling,
        posterior,
        int(idata.sample_stats["diverging"].values.sum()),
        _recovery(estimated, _truth(case)),
    )


def _print(rows: list[Row]) -> None:
    print(
        f"{'dataset':20s} {'library':28s} {'end-to-end':>10s} {'sampling':>9s} {'ESS/s':>7s} "
        f"{'min ESS':>7s} {'R-hat':>6s} {'div':>4s} {'total err':>9s} {'weekly err':>10s}"
    )
    for r in rows:
        print(
            f"{r['dataset']:20s} {r['library']:28s} {r['end_to_end_s']:9.1f}s "
            f"{r['sampling_s']:8.1f}s {r['ess_per_s']:7.1f} {r['min_ess']:7.0f} "
            f"{r['max_rhat']:6.3f} {r['divergences']:4d} {r['total_error']:9.1%} "
            f"{r['weekly_error']:10.1%}"
        )


def _ratios(rows: list[Row]) -> None:
    """mmm against PyMC-Marketing's fastest run that converged (max R-hat <= 1.01)."""
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        ours = [r for r in rows if r["dataset"] == dataset and r["library"].startswith("mmm")]
        theirs = [
            r
            for r in rows
            if r["dataset"] == dataset and r["library"].startswith("PyMC") and r["max_rhat"] <= 1.01
        ]
        if not ours or not theirs:
            continue
        fastest = min(theirs, key=lambda r: r["end_to_end_s"])
        print(
            f"{dataset}: end to end {fastest['end_to_end_s'] / ours[0]['end_to_end_s']:.1f}x "
            f"faster than the fastest converged PyMC-Marketing run ({fastest['library']}); "
            f"ESS/s {ours[0]['ess_per_s'] / max(r['ess_per_s'] for r in theirs):.1f}x its "
            f"best; total error {ours[0]['total_error']:.1%} vs "
            f"{min(r['total_error'] for r in theirs):.1%} (best of theirs)"
        )


def _worker(case: str, library: str, settings: Settings) -> None:
    """One row, in this (fresh) process; printed as a JSON line for the parent."""
    row = (
        mmm_row(CASES[case], settings)
        if library == "mmm"
        else pymc_row(CASES[case], library, settings)
    )
    print("ROW " + json.dumps(row))


def _in_subprocess(case: str, library: str, settings: Settings) -> Row:
    """Run one row in a new Python process.

    A fresh process per row: "first fit in the process" then means what a user sees, and
    no library inherits another's global JAX state (PyTensor's JAX backend switches on
    64-bit mode when it is imported, which made mmm's next fit compile a float64 program).
    PyMC-Marketing rows run without mmm's JAX compilation cache (``MMM_COMPILATION_CACHE=0``:
    a PyMC user has none; its NumPyro sampler would otherwise reuse mmm's).
    """
    command = [sys.executable, __file__, "--row", case, library, *settings.flags()]
    env = dict(os.environ)
    if library != "mmm":
        env["MMM_COMPILATION_CACHE"] = "0"
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("ROW ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"{case} / {library} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return json.loads(lines[-1].removeprefix("ROW "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--samplers", nargs="*", default=["pymc", "nutpie", "numpyro"])
    parser.add_argument("--quick", action="store_true", help="100 + 100 draws, smoke run")
    parser.add_argument("--draws", type=int, help="draws per chain (default 1000)")
    parser.add_argument("--tune", type=int, help="warm-up iterations per chain (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of every fit")
    parser.add_argument(
        "--media-share",
        type=float,
        help="mmm only: spend_share_effect(ds, MEDIA_SHARE) instead of the default prior",
    )
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--row", nargs=2, metavar=("CASE", "LIBRARY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    default = 100 if args.quick else 1000
    settings = Settings(
        draws=args.draws or default,
        tune=default if args.tune is None else args.tune,
        seed=args.seed,
        media_share=args.media_share,
    )
    draws, tune = settings.draws, settings.tune
    if args.row:
        _worker(*args.row, settings)
        return
    print(f"jax {jax.__version__}, numpyro {numpyro.__version__}, devices {jax.devices()}")
    print(f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus")
    print(f"4 chains x ({tune} warm-up + {draws} draws), seed {settings.seed}; one process per row")
    if settings.media_share is not None:
        print(f"mmm: spend_share_effect(ds, media_share={settings.media_share})")
    print(f"mmm's JAX compilation cache: {mmm.compilation_cache_dir()}")
    try:
        import pymc_marketing
    except ImportError:
        print("PyMC-Marketing not installed (pip install -e '.[bench]'): mmm only")
        samplers: list[str] = []
    else:
        import pymc
        import pytensor

        print(f"pymc-marketing {pymc_marketing.__version__}, pymc {pymc.__version__}")
        print(f"PyTensor compile dir: {pytensor.config.compiledir}")
        samplers = args.samplers
    rows = []
    for name in args.cases:
        for library in ["mmm", *samplers]:
            rows.append(_in_subprocess(name, library, settings))
            _print(rows[-1:])
    print()
    _print(rows)
    _ratios(rows)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()
