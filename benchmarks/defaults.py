"""Does the default spec sample cleanly? NUTS, 4 chains x (1000 + 1000), default settings.

Run: ``python benchmarks/defaults.py`` (``--draws N --tune N`` to change the chain length).
Chains run in parallel (on a CPU, one thread per chain). For the bundled PyMC-Marketing
example (seeds 0-2) and ``simulate()`` data (5 and 10 channels, 156 weeks, both of the
simulator's saturation families), fits ``ModelSpec.default(ds)`` with ``fit``'s defaults and
prints the wall time of the fit (build + compile + sample), divergences, max R-hat and
minimum bulk ESS over the free parameters (the deterministic ``media/coef`` excluded), and
mean leapfrog steps per draw. The targets (issue 4): zero divergences, R-hat < 1.01,
bulk ESS > 400.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import jax
import numpyro

from mmm.data import MMMDataSet
from mmm.datasets import load_example, simulate
from mmm.modeling import ModelSpec, fit, to_variable
from mmm.modeling._arviz import arviz

CASES: tuple[tuple[str, int, int, str], ...] = (
    ("pymc_marketing", 0, 0, ""),
    ("pymc_marketing", 0, 1, ""),
    ("pymc_marketing", 0, 2, ""),
    ("simulate", 5, 0, "logistic"),
    ("simulate", 5, 21, "logistic"),
    ("simulate", 10, 1, "logistic"),
    ("simulate", 10, 1, "hill"),
    ("simulate", 5, 3, "hill"),
    ("simulate", 5, 21, "hill"),
    ("simulate", 10, 5, "logistic"),
)


def dataset(name: str, channels: int, seed: int, saturation: str) -> MMMDataSet:
    if name == "pymc_marketing":
        return load_example(name)
    family = "hill" if saturation == "hill" else "logistic"
    ds, _ = simulate(n_weeks=156, n_channels=channels, seed=seed, saturation=family)
    return ds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    args = parser.parse_args()
    print(f"jax {jax.__version__}, numpyro {numpyro.__version__}, devices {jax.devices()}")
    print(f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus")
    print(f"NUTS, 4 chains x ({args.tune} + {args.draws}), fit() defaults")
    for name, channels, seed, saturation in CASES:
        ds = dataset(name, channels, seed, saturation)
        start = time.perf_counter()
        f = fit(ModelSpec.default(ds), ds, draws=args.draws, tune=args.tune, seed=seed)
        seconds = time.perf_counter() - start
        post = {to_variable(k): v for k, v in f.free_samples().items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            az = arviz()
            summary = az.summary(az.from_dict(posterior=post), kind="diagnostics", round_to="none")
        label = name if not saturation else f"simulate {channels} ch, {saturation} truth"
        print(
            f"  {label:<34} seed {seed:>2}: {seconds:6.1f} s, "
            f"divergences {int(f.sample_stats['diverging'].sum()):>3}, "
            f"max R-hat {summary['r_hat'].max():.3f}, "
            f"min bulk ESS {summary['ess_bulk'].min():6.0f}, "
            f"steps/draw {f.sample_stats['n_steps'].mean():5.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
