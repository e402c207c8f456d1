"""Samplers and approximations side by side: time, ESS/s, R-hat, divergences, ROI error.

Run: ``python benchmarks/samplers.py`` (``--draws N --tune N`` to change the MCMC length,
``--quick`` for a short smoke run). Runs unchanged on CPU and GPU; on a CPU the chains of
``chain_method="parallel"`` run one thread each.

For each dataset (the bundled PyMC-Marketing example; ``simulate()`` with 10 channels and
156 weeks, whose true ROI is known) and each method it fits ``ModelSpec.default(ds)`` once
and prints: wall time of ``fit`` (build + compile + sample, first fit of that method in the
process), bulk ESS per second (minimum over free parameters, deterministic ``media/coef``
excluded; SVI/Laplace draws are independent by construction, so their ESS is the number of
draws and is not comparable), max R-hat, divergences, and for simulated data the mean
absolute relative error of the posterior-mean ROI against the truth.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import jax
import numpy as np
import numpyro

from mmm.datasets import load_example, simulate
from mmm.modeling import FittedMMM, ModelSpec, components, fit, to_variable
from mmm.modeling._arviz import arviz


def roi_per_draw(f: FittedMMM) -> np.ndarray:
    @jax.jit
    def media(params: dict[str, jax.Array]) -> jax.Array:
        return jax.vmap(lambda p: components(f.spec, p, f.design).media.sum(axis=0))(params)

    totals = np.asarray(media(f.flat_samples())) * float(f.design.scalings.kpi.scale)
    return totals / np.asarray(f.design.spend.sum(axis=0))


def convergence(f: FittedMMM) -> tuple[float, float]:
    post = {to_variable(k): v for k, v in f.free_samples().items()}
    if f.n_draws < 4:
        return float("nan"), float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        az = arviz()
        summary = az.summary(az.from_dict(posterior=post), kind="diagnostics", round_to="none")
    return float(summary["r_hat"].max()), float(summary["ess_bulk"].min())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--svi-steps", type=int, default=5000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    draws, tune, steps = (100, 100, 500) if args.quick else (args.draws, args.tune, args.svi_steps)
    print(f"jax {jax.__version__}, numpyro {numpyro.__version__}, devices {jax.devices()}")
    print(f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus")
    print(f"MCMC: 4 chains x ({tune} warm-up + {draws} draws); SVI/MAP/Laplace: {steps} steps")
    sim, truth = simulate(n_weeks=156, n_channels=10, seed=0)
    datasets = {
        "pymc_marketing": (load_example("pymc_marketing"), None),
        "simulate_10ch": (sim, truth),
    }
    runs = [
        ("nuts parallel", "nuts", {"chain_method": "parallel"}),
        ("nuts vectorized", "nuts", {"chain_method": "vectorized"}),
        ("hmc (32 steps)", "hmc", {"chain_method": "parallel"}),
        ("svi mean-field", "svi", {"svi_steps": steps}),
        ("svi low-rank", "svi", {"svi_steps": steps, "guide": "low_rank"}),
        ("map", "map", {"svi_steps": steps}),
        ("laplace", "laplace", {"svi_steps": steps}),
    ]
    for name, (ds, true) in datasets.items():
        spec = ModelSpec.default(ds)
        print(f"\n{name}: {ds.n_periods} periods, {len(ds.channels)} channels")
        print(f"  {'method':<18}{'fit s':>8}{'ESS/s':>9}{'max R-hat':>11}{'div':>6}{'ROI err':>9}")
        for label, method, extra in runs:
            start = time.perf_counter()
            f = fit(spec, ds, method=method, chains=4, draws=draws, tune=tune, seed=0, **extra)
            seconds = time.perf_counter() - start
            mcmc = method in ("nuts", "hmc")
            rhat, ess = convergence(f) if mcmc else (float("nan"), float("nan"))
            div = int(f.sample_stats["diverging"].sum()) if "diverging" in f.sample_stats else 0
            err = ""
            if true is not None:
                roi = roi_per_draw(f).mean(axis=0)
                truth_roi = np.array([true.roi[c] for c in spec.channels])
                err = f"{np.mean(np.abs(roi / truth_roi - 1)):.1%}"
            print(
                f"  {label:<18}{seconds:8.1f}{(ess / seconds if mcmc else float('nan')):9.1f}"
                f"{(rhat if mcmc else float('nan')):11.3f}{div:6d}{err:>9}",
                flush=True,
            )


if __name__ == "__main__":
    main()
