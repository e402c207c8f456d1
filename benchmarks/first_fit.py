"""Where a first fit's time goes: tracing, lowering, XLA compilation, sampling.

Run: ``python benchmarks/first_fit.py [--examples pymc_marketing plr_small_business ...]
[--repeats 3]``. Each run is a new Python process with an empty compilation cache (a new
machine, as the cold rows of ``benchmarks/vs_pymc_marketing.py``), doing what that
benchmark times for mmm: load the bundled example, ``ModelSpec.default``, ``fit`` (4 chains
x (1000 warm-up + 1000 draws), seed 1) and ``contributions``. Then a second, identical
``fit`` in the same process (compiled programs reused: the sampling alone).

Printed per run, from JAX's own compile-time events (``jax.monitoring``): seconds spent
tracing to jaxprs, lowering to StableHLO, and in XLA's compiler, over every program of
the run; the end-to-end wall time; and the refit's wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

EVENTS = {
    "/jax/core/compile/jaxpr_trace_duration": "trace",
    "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
    "/jax/core/compile/backend_compile_duration": "compile",
}


def _one(example: str) -> dict[str, float]:
    """One cold run, in this (fresh) process."""
    import jax

    spent = dict.fromkeys(EVENTS.values(), 0.0)

    def listen(event: str, seconds: float, **_: object) -> None:
        if event in EVENTS:
            spent[EVENTS[event]] += seconds

    jax.monitoring.register_event_duration_secs_listener(listen)
    from mmm import ModelSpec, fit, load_example
    from mmm.results import contributions

    start = time.perf_counter()
    ds = load_example(example)
    spec = ModelSpec.default(ds)
    fitted = fit(spec, ds, draws=1000, tune=1000, seed=1, progress_bar=False)
    contributions(fitted)
    end_to_end = time.perf_counter() - start
    start = time.perf_counter()
    fit(spec, ds, draws=1000, tune=1000, seed=1, progress_bar=False)
    refit = time.perf_counter() - start
    return {"end_to_end_s": end_to_end, "refit_s": refit, **{f"{k}_s": v for k, v in spent.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--examples",
        nargs="+",
        default=["pymc_marketing", "plr_small_business", "plr_medium_business"],
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_one(args.worker)))
        return
    head = ("end-to-end", "trace", "lower", "compile", "refit")
    print(
        f"{'example':22s} "
        + " ".join(f"{h:>{w}s}" for h, w in zip(head, (10, 6, 6, 7, 6), strict=True))
    )
    for example in args.examples:
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as cache:
                env = {**os.environ, "MMM_COMPILATION_CACHE": cache}
                out = subprocess.run(
                    [sys.executable, __file__, "--worker", example],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
            row = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{example:22s} {row['end_to_end_s']:9.2f}s {row['trace_s']:5.2f}s "
                f"{row['lower_s']:5.2f}s {row['compile_s']:6.2f}s {row['refit_s']:5.2f}s",
                flush=True,
            )


if __name__ == "__main__":
    main()
