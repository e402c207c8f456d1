"""GPU throughput: many NUTS chains on one dataset, and many datasets in ONE compiled program.

Run: ``JAX_PLATFORMS=cuda python benchmarks/gpu.py`` on a GPU machine, ``python
benchmarks/gpu.py`` on the CPU for the reference figures; ``--quick`` is a smoke run (104
weeks, 3 channels, 100 warm-up + 100 draws, chains 4 and 8, 8 datasets: about 2.5 min on 2
CPU cores). Options: ``--chains 4 16 64`` (chain counts of part 1), ``--datasets 10 100``
(dataset counts of part 2), ``--single K`` (datasets fitted one by one as the reference),
``--draws D --tune D``, ``--weeks T --channels C``, ``--skip chains|datasets``, ``--cpu``
(on a GPU run, time every row on the CPU as well; needs the CPU backend too:
``JAX_PLATFORMS=cuda,cpu`` or unset). The header prints the JAX backend and devices, each
table the device it ran on. Every row is a first use of its program in the process: its
"first" time includes compiling.

Part 1, vectorized chains: ``mmm.fit(spec, ds, chains=C, chain_method="vectorized")`` on
``simulate(n_weeks=T, n_channels=C, seed=0)`` for each chain count: wall time of the first
call (compile + sample) and ``FitInfo.seconds`` of a repeat call (sample only, other seed),
draws per second (chains x draws / repeat time), the minimum bulk ESS over the free
parameters (``mmm.diagnostics.summarize``) and that per second; as sanity max R-hat,
divergences and ROI recovery (below).

Part 2, many datasets in one program: N datasets ``simulate(T, C, seed=i)`` (same shapes;
other spend, true parameters and noise), each with its own ``ModelSpec.default(ds_i)``
(the structure is the same for all, checked; prior parameters such as the spend-share
scales differ), specs and designs stacked leaf by leaf along a new leading axis, and ONE
``eqx.filter_jit(jax.vmap(...))`` program running one NUTS chain per dataset: NumPyro's
functional kernel (``numpyro.infer.hmc.hmc(potential_fn_gen=...)``: ``init_kernel`` /
``sample_kernel``; NUTS with step-size and dense mass-matrix adaptation, ``mmm.fit``'s
settings) on ``numpyro.infer.util.potential_energy(mmm_model, (spec, design, kpi), {},
z)``, warm-up and draws in one ``jax.lax.fori_loop``, then every draw constrained
(``numpyro.infer.util.constrain_fn``) in the same program. The chains start where
``mmm.fit``'s do (prior means in unconstrained space plus ``U(-0.5, 0.5)``, the same key
splitting), so dataset ``i`` with key ``i`` runs the chain of ``mmm.fit(spec_i, ds_i,
chains=1, seed=i)`` (identical up to float round-off until chaos separates them).
The program is compiled ahead of time (``.lower().compile()``): "first s" is compile +
run, "warm s" the run. The reference ("mmm.fit one by one") fits the first K datasets with
exactly that call: "first s" is the wall time of the K fits (the first compiles), "warm s"
the sampler time (``FitInfo.seconds``: sample + constrain, as the vmapped program) of K
warm fits (dataset 0 refit once warm); where K < N, "extrap. to N" is K's mean times N.
"speedup" is fits/s over the reference's. Building the designs is timed in neither.

Sanity columns: "ROI err", the median over channels (and datasets) of |posterior-mean
ROI / true ROI - 1|, and "cover90", the share of channels (and datasets) whose true ROI
lies in the central 90% posterior interval (short data and the default logistic
saturation against the simulated Hill curves: expect errors of tens of percent, not
nonsense); "max|z|", over the datasets fitted both ways and their channels, the largest
difference between the posterior-mean ROI of the vmapped program and of ``mmm.fit``, in
units of their combined Monte Carlo standard error (``mmm.diagnostics.mcse_mean``): about
2-3.5 when both sample the same posterior, far larger if the program computes something
else.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import platform
import time
from functools import partial
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from numpyro.infer.hmc import hmc
from numpyro.infer.util import constrain_fn, potential_energy

import mmm
from mmm.data import MMMDataSet
from mmm.datasets import SimulationTruth, simulate
from mmm.diagnostics import mcse_mean, summarize
from mmm.features import Design
from mmm.modeling import (
    FitInfo,
    FittedMMM,
    ModelSpec,
    check_before_fit,
    design_for,
    draw_totals,
    mmm_model,
    roi_draws,
    starting_point,
)

TARGET_ACCEPT, DENSE_MASS, MAX_TREE_DEPTH = 0.9, True, 10  # mmm.fit's defaults


@dataclasses.dataclass(frozen=True)
class Settings:
    weeks: int
    channels: int
    draws: int
    tune: int
    chain_counts: tuple[int, ...]
    dataset_counts: tuple[int, ...]
    single: int


# --------------------------------------------------------------------------- helpers


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = jax.block_until_ready(fn(*args, **kwargs))
    return out, time.perf_counter() - start


def true_roi(truth: SimulationTruth, spec: ModelSpec) -> np.ndarray:
    return np.array([truth.roi[c] for c in spec.channels])


def roi_of(f: FittedMMM) -> np.ndarray:
    """ROI draws ``(chain, draw, channel)``."""
    return roi_draws(draw_totals(f)).reshape(f.n_chains, f.n_draws, -1)


def recovery(rois: list[np.ndarray], truths: list[np.ndarray]) -> tuple[float, float]:
    """Median |relative error| of the posterior-mean ROI, and the 90% interval coverage.

    Over every channel of every dataset; ``rois[i]`` is ``(chain, draw, channel)``.
    """
    errors, covered = [], []
    for roi, truth in zip(rois, truths, strict=True):
        errors.append(np.abs(roi.mean(axis=(0, 1)) / truth - 1))
        lo, hi = np.quantile(roi, [0.05, 0.95], axis=(0, 1))
        covered.append((lo <= truth) & (truth <= hi))
    return float(np.median(np.concatenate(errors))), float(np.mean(np.concatenate(covered)))


def simulated(n: int, s: Settings) -> list[tuple[MMMDataSet, SimulationTruth]]:
    return [simulate(n_weeks=s.weeks, n_channels=s.channels, seed=i) for i in range(n)]


def f32(spec: ModelSpec) -> ModelSpec:
    """The spec's floating arrays (prior parameters) in float32, as ``mmm.fit`` casts them."""

    def cast(leaf: Any) -> Any:
        if isinstance(leaf, jax.Array | np.ndarray) and jnp.issubdtype(leaf.dtype, jnp.floating):
            return jnp.asarray(leaf, jnp.float32)
        return leaf

    return jax.tree_util.tree_map(cast, spec)


# --------------------------------------------------------- part 1: vectorized chains


def vectorized_chains(s: Settings, device: jax.Device) -> None:
    ds, truth = simulate(n_weeks=s.weeks, n_channels=s.channels, seed=0)
    spec = ModelSpec.default(ds)
    roi_true = true_roi(truth, spec)
    print(
        f"\n1. vectorized chains, one dataset ({s.weeks} weeks, {s.channels} channels), "
        f"{s.tune} warm-up + {s.draws} draws per chain, on {device}"
    )
    print(
        f"  {'chains':>6}{'first s':>9}{'repeat s':>10}{'draws/s':>10}{'min ESS':>9}"
        f"{'ESS/s':>8}{'R-hat':>8}{'div':>5}{'ROI err':>9}{'cover90':>8}"
    )
    for chains in s.chain_counts:
        kw: dict[str, Any] = {"chains": chains, "draws": s.draws, "tune": s.tune}
        kw.update(chain_method="vectorized", progress_bar=False)
        _, first = timed(mmm.fit, spec, ds, seed=0, **kw)
        f = mmm.fit(spec, ds, seed=1, **kw)
        seconds = f.info.seconds
        report = summarize(f)
        div = int(np.asarray(f.sample_stats["diverging"]).sum())
        err, cover = recovery([roi_of(f)], [roi_true])
        print(
            f"  {chains:6d}{first:9.1f}{seconds:10.2f}{chains * s.draws / seconds:10.0f}"
            f"{report.ess_bulk_min:9.0f}{report.ess_bulk_min / seconds:8.1f}"
            f"{report.rhat_max:8.3f}{div:5d}{err:9.1%}{cover:8.0%}",
            flush=True,
        )


# ------------------------------------------------ part 2: many datasets, one program


def potential(spec: ModelSpec, design: Design) -> Any:
    """``z -> potential energy`` of the model of ``spec`` on ``design`` (traced arrays)."""
    return lambda z: potential_energy(mmm_model, (spec, design, design.kpi), {}, z)


def one_chain(
    spec: ModelSpec, design: Design, key: jax.Array, tune: int, draws: int
) -> tuple[dict[str, jax.Array], dict[str, jax.Array]]:
    """One NUTS chain on one design: constrained draws of every site and sampler stats."""
    init_key, key = jax.random.split(key)
    z0 = starting_point((spec, design), init_key)  # where mmm.fit's chains start

    # NumPyro's functional NUTS: the potential is generated from the (traced) data.
    init_kernel, sample_kernel = hmc(potential_fn_gen=potential, algo="NUTS")
    state = init_kernel(
        z0,
        tune,
        dense_mass=DENSE_MASS,
        target_accept_prob=TARGET_ACCEPT,
        max_tree_depth=MAX_TREE_DEPTH,
        trajectory_length=2 * math.pi,
        model_args=(spec, design),
        rng_key=key,
    )

    def stats_of(st: Any) -> dict[str, jax.Array]:
        return {
            "diverging": st.diverging,
            "n_steps": st.num_steps,
            "energy": st.energy,
            "acceptance_rate": st.accept_prob,
            "step_size": st.adapt_state.step_size,
        }

    row0 = (state.z, stats_of(state))
    empty = jax.tree_util.tree_map(lambda v: jnp.zeros((draws, *jnp.shape(v)), v.dtype), row0)

    # One loop for warm-up and draws (the large NUTS kernel is compiled once); warm-up
    # iterations write row 0, which the first draw overwrites.
    def step(i: jax.Array, carry: Any) -> Any:
        st, buffer = carry
        st = sample_kernel(st, model_args=(spec, design))
        row = jnp.maximum(i - tune, 0)
        put = partial(jax.lax.dynamic_update_index_in_dim, index=row, axis=0)
        return st, jax.tree_util.tree_map(put, buffer, (st.z, stats_of(st)))

    _, (z, stats) = jax.lax.fori_loop(0, tune + draws, step, (state, empty))
    args = (spec, design, design.kpi)
    constrained = jax.vmap(
        lambda zi: constrain_fn(mmm_model, args, {}, zi, return_deterministic=True)
    )(z)
    return constrained, stats


@eqx.filter_jit
def many_datasets(
    specs: ModelSpec, designs: Design, keys: jax.Array, tune: int, draws: int
) -> tuple[dict[str, jax.Array], dict[str, jax.Array]]:
    """One chain per dataset, every dataset in one program (``vmap`` over specs and designs).

    ``specs`` and ``designs`` are :func:`stacked`: each dataset has its own prior
    parameters (``ModelSpec.default`` of its own data) and data; only the structure, the
    static part of the pytrees, is shared.
    """
    return jax.vmap(lambda sp, d, k: one_chain(sp, d, k, tune, draws))(specs, designs, keys)


def stacked(trees: list[Any], what: str) -> Any:
    """Pytrees stacked leaf by leaf along a new leading axis (same structure and shapes)."""
    structure = jax.tree_util.tree_structure(trees[0])
    shapes = [jnp.shape(v) for v in jax.tree_util.tree_leaves(trees[0])]
    for i, tree in enumerate(trees[1:], start=1):
        other = [jnp.shape(v) for v in jax.tree_util.tree_leaves(tree)]
        same = jax.tree_util.tree_structure(tree) == structure  # type: ignore[operator]
        if not same or other != shapes:
            raise ValueError(f"{what} {i} differs in structure or shapes from {what} 0")
    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *trees)


def key_of(seed: int) -> jax.Array:
    """The key of chain 0 of ``mmm.fit(..., chains=1, seed=seed)``."""
    return jax.random.split(jax.random.PRNGKey(seed), 1)[0]


def fitted_of(
    spec: ModelSpec, ds: MMMDataSet, design: Design, out: Any, i: int, s: Settings
) -> FittedMMM:
    """Dataset ``i``'s share of the vmapped program's output as a one-chain ``FittedMMM``."""
    samples, stats = out
    stats = {k: np.asarray(v[i])[None] for k, v in stats.items()}
    stats["tree_depth"] = np.ceil(np.log2(stats["n_steps"] + 1)).astype(np.int64)
    settings: dict[str, Any] = {"chains": 1, "draws": s.draws, "tune": s.tune}
    settings.update(target_accept=TARGET_ACCEPT, max_tree_depth=MAX_TREE_DEPTH)
    return FittedMMM(
        spec=spec,
        dataset=ds,
        design=design,
        samples={k: np.asarray(v[i])[None] for k, v in samples.items()},
        sample_stats=stats,
        info=FitInfo(method="nuts", seed=i, seconds=float("nan"), settings=settings),
    )


def max_z(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |mean difference| / combined MCSE over channels; ``a``, ``b`` (chain, draw, ch)."""
    zs = []
    for c in range(a.shape[-1]):
        se = math.hypot(mcse_mean(a[..., c]), mcse_mean(b[..., c]))
        zs.append(abs(a[..., c].mean() - b[..., c].mean()) / se)
    return float(max(zs))


def datasets_in_one_program(s: Settings, device: jax.Device) -> None:
    n_max = max(s.dataset_counts)
    data = simulated(n_max, s)
    specs = [f32(ModelSpec.default(ds)) for ds, _ in data]
    designs = [
        design_for(sp, ds, dtype=jnp.float32) for sp, (ds, _) in zip(specs, data, strict=True)
    ]
    for sp, d in zip(specs, designs, strict=True):
        check_before_fit(sp, d)
    truths = [true_roi(t, sp) for sp, (_, t) in zip(specs, data, strict=True)]
    single = min(s.single, n_max)
    print(
        f"\n2. many datasets ({s.weeks} weeks, {s.channels} channels, seeds 0..{n_max - 1}), "
        f"one chain each, {s.tune} warm-up + {s.draws} draws, on {device}"
    )
    print(
        f"  {'program':<20}{'datasets':>9}{'first s':>9}{'warm s':>9}{'fits/s':>8}"
        f"{'draws/s':>9}{'ESS/s':>8}{'speedup':>8}{'div':>5}{'ROI err':>8}{'cover90':>8}"
        f"{'max|z|':>7}"
    )

    # The reference: mmm.fit one dataset at a time (the first fit compiles).
    def fit_one(i: int) -> FittedMMM:
        kw: dict[str, Any] = {"chains": 1, "draws": s.draws, "tune": s.tune, "seed": i}
        return mmm.fit(specs[i], data[i][0], progress_bar=False, **kw)

    fits, walls = [], []
    for i in range(single):
        f, wall = timed(fit_one, i)
        fits.append(f)
        walls.append(wall)
    warm = fit_one(0).info.seconds + sum(f.info.seconds for f in fits[1:])
    per_fit = warm / single
    ess = sum(summarize(f).ess_bulk_min for f in fits)
    single_roi = [roi_of(f) for f in fits]
    err, cover = recovery(single_roi, truths[:single])
    div = sum(int(np.asarray(f.sample_stats["diverging"]).sum()) for f in fits)
    print(
        f"  {'mmm.fit one by one':<20}{single:9d}{sum(walls):9.1f}{warm:9.1f}"
        f"{1 / per_fit:8.2f}{s.draws / per_fit:9.0f}{ess / warm:8.1f}{1:8.1f}"
        f"{div:5d}{err:8.1%}{cover:8.0%}",
        flush=True,
    )
    for n in sorted(set(s.dataset_counts)):
        if n > single:
            print(f"  {'  extrap. to N':<20}{n:9d}{'':>9}{per_fit * n:9.1f}", flush=True)

    for n in sorted(set(s.dataset_counts)):
        spec_batch = stacked(specs[:n], "spec")
        design_batch = stacked(designs[:n], "design")
        keys = jnp.stack([key_of(i) for i in range(n)])
        args = (spec_batch, design_batch, keys, s.tune, s.draws)
        start = time.perf_counter()
        compiled = many_datasets.lower(*args).compile()  # type: ignore[attr-defined]
        compile_s = time.perf_counter() - start
        out, warm_n = timed(compiled, *args)
        first = compile_s + warm_n
        vm = [fitted_of(specs[i], data[i][0], designs[i], out, i, s) for i in range(n)]
        vm_roi = [roi_of(f) for f in vm]
        ess = sum(summarize(f).ess_bulk_min for f in vm)
        err, cover = recovery(vm_roi, truths[:n])
        div = int(np.asarray(out[1]["diverging"]).sum())
        z = max(max_z(vm_roi[i], single_roi[i]) for i in range(min(n, single)))
        print(
            f"  {'vmap, one program':<20}{n:9d}{first:9.1f}{warm_n:9.1f}{n / warm_n:8.2f}"
            f"{n * s.draws / warm_n:9.0f}{ess / warm_n:8.1f}{n / warm_n * per_fit:8.1f}"
            f"{div:5d}{err:8.1%}{cover:8.0%}{z:7.2f}",
            flush=True,
        )


# ------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--chains", type=int, nargs="+", help="chain counts (part 1)")
    parser.add_argument("--datasets", type=int, nargs="+", help="dataset counts (part 2)")
    parser.add_argument("--single", type=int, help="datasets fitted one by one (reference)")
    parser.add_argument("--draws", type=int, help="draws per chain")
    parser.add_argument("--tune", type=int, help="warm-up iterations (default: --draws)")
    parser.add_argument("--weeks", type=int, help="weeks per dataset")
    parser.add_argument("--channels", type=int, help="paid channels per dataset")
    parser.add_argument("--cpu", action="store_true", help="on a GPU run, time the CPU too")
    parser.add_argument("--skip", choices=("chains", "datasets"), help="leave one part out")
    args = parser.parse_args()
    if args.quick:
        defaults = Settings(104, 3, 100, 100, (4, 8), (8,), 8)
    else:
        defaults = Settings(156, 5, 1000, 1000, (4, 16, 64), (10, 100), 10)
    draws = args.draws or defaults.draws
    s = Settings(
        weeks=args.weeks or defaults.weeks,
        channels=args.channels or defaults.channels,
        draws=draws,
        tune=args.tune if args.tune is not None else (draws if args.draws else defaults.tune),
        chain_counts=tuple(args.chains or defaults.chain_counts),
        dataset_counts=tuple(args.datasets or defaults.dataset_counts),
        single=args.single or defaults.single,
    )

    backend = jax.default_backend()
    devices = [jax.devices()[0]]
    if args.cpu and backend != "cpu":
        try:
            devices.append(jax.devices("cpu")[0])
        except RuntimeError:
            print("--cpu: no CPU backend (run with JAX_PLATFORMS=cuda,cpu or unset)")
    print(f"jax {jax.__version__}, numpyro {numpyro.__version__}, backend {backend}")
    print(f"devices {jax.devices()}, JAX_PLATFORMS={os.environ.get('JAX_PLATFORMS', '')!r}")
    print(f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus")
    print(f"settings: {s}")

    start = time.perf_counter()
    for device in devices:
        with jax.default_device(device):
            if args.skip != "chains":
                vectorized_chains(s, device)
            if args.skip != "datasets":
                datasets_in_one_program(s, device)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
