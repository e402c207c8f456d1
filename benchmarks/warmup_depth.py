"""NUTS warm-up tree depth: sampling time and efficiency of the default fit per cap.

Run: ``python benchmarks/warmup_depth.py`` (``--cases`` datasets, ``--depths`` caps, ``10``
for none; ``--seed``; ``--chains``, ``--draws``, ``--tune``).

For each bundled dataset and each ``warmup_tree_depth``, fits ``ModelSpec.default`` twice
in one process with ``mmm.fit``'s defaults otherwise (4 chains in parallel, 1000 + 1000)
and reports the second fit (its program compiled already): sampling seconds, the minimum
ESS over every free scalar (NumPyro's ``effective_sample_size``, not the rank-normalized
bulk ESS of :func:`mmm.diagnostics.summarize`), ESS per second, the maximum split R-hat,
divergences and the mean leapfrog steps per draw. Draws always use ``max_tree_depth``
(10); only warm-up is capped, so a cap that costs efficiency shows as a lower minimum ESS,
not as shorter sampling trees.
"""

from __future__ import annotations

import argparse

import numpy as np
from numpyro.diagnostics import effective_sample_size, split_gelman_rubin

from mmm.datasets import load_example
from mmm.modeling import ModelSpec, fit

CASES = ("pymc_marketing", "plr_small_business", "plr_medium_business")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES))
    parser.add_argument("--depths", nargs="+", type=int, default=[10, 6, 7, 8])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    args = parser.parse_args()
    print(
        f"{'dataset':22s} {'warm-up depth':>13s} {'sampling':>9s} {'min ESS':>8s} "
        f"{'ESS/s':>7s} {'R-hat':>6s} {'div':>4s} {'steps/draw':>10s}"
    )
    for case in args.cases:
        ds = load_example(case)
        spec = ModelSpec.default(ds)
        for depth in args.depths:
            options = {
                "chains": args.chains,
                "draws": args.draws,
                "tune": args.tune,
                "seed": args.seed,
                "warmup_tree_depth": depth,
                "progress_bar": False,
            }
            fit(spec, ds, **options)  # compiles
            fitted = fit(spec, ds, **options)
            free = [np.asarray(v) for v in fitted.free_samples().values()]
            ess = min(float(np.min(effective_sample_size(v))) for v in free)
            rhat = max(float(np.max(split_gelman_rubin(v))) for v in free)
            seconds = fitted.info.seconds
            stats = fitted.sample_stats
            print(
                f"{case:22s} {depth:13d} {seconds:8.2f}s {ess:8.0f} {ess / seconds:7.1f} "
                f"{rhat:6.3f} {int(stats['diverging'].sum()):4d} "
                f"{float(stats['n_steps'].mean()):10.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
