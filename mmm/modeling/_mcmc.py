"""Compiled NUTS / HMC chains whose programs are cached across fits.

NumPyro's ``MCMC`` driver builds new Python closures on every run, so JAX compiles the
sampler again for every fit (about 15 s on 2 cores for the example model, longer than the
sampling itself). Here the model, its data and the chain's starting point are *arguments*
of module-level functions compiled with :func:`equinox.filter_jit`: arrays are traced and
everything else (the spec's structure, its static hyper-parameters, the settings) is the
cache key. A second fit of the same spec on data of the same shapes, with the same
settings, reuses the compiled program and costs only the sampling; new data values, other
dates (a window of the same length elsewhere in time: the design's date labels are
replaced by placeholders before the call, the model never reads them) or new prior
parameters do not recompile either.

The transition kernel is NumPyro's own (:func:`numpyro.infer.hmc.hmc`: NUTS or HMC with
dual-averaging step size and windowed mass-matrix adaptation); only the loop around it is
ours: warm-up with :func:`jax.lax.fori_loop`, draws collected with :func:`jax.lax.scan`.

Chains run ``vectorized`` (``vmap`` on one device), ``sequential`` (one compiled
single-chain program called per chain) or ``parallel``: on a CPU, that single-chain
program called for every chain at once, each from its own thread (XLA:CPU runs calls from
several threads side by side, so the chains share the cores); on accelerators,
``shard_map`` over a mesh of devices, each running its share of the chains vectorized.

Where the chains start is an argument too (:class:`Start`: a value for every latent site,
a flag saying which were given, the jitter), so a warm start (``fit(..., init=...)``) and
a cold one run the same compiled program.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, NamedTuple, cast

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import export
from jax.flatten_util import ravel_pytree
from jax.sharding import Mesh, PartitionSpec
from numpyro import handlers
from numpyro.distributions.transforms import biject_to
from numpyro.infer.hmc import hmc
from numpyro.infer.util import ParamInfo, constrain_fn

from mmm.features import Design
from mmm.modeling._compile import CompilerOptions, jitted
from mmm.modeling._model import mmm_model, model_sites
from mmm.modeling._potential import sampler_potential
from mmm.modeling._programs import compiled_program, run_cached
from mmm.modeling._spec import ModelSpec

__all__ = [
    "ChainSettings",
    "ChainStats",
    "Start",
    "INIT_JITTER",
    "WARM_JITTER",
    "cold_start",
    "warm_start",
    "latent_supports",
    "prior_centre",
    "starting_point",
    "constrained_draws",
    "run_chains",
    "chains_in_threads",
]

INIT_JITTER = 0.5
"""Chains start at the prior means plus ``U(-0.5, 0.5)`` in unconstrained space (dispersed)."""

WARM_JITTER = 0.1
"""A warm start adds ``U(-0.1, 0.1)`` in unconstrained space to the given values.

Small against a posterior sd (on the log or logit scale, 0.1 is a 10% change), so the
chains start where they were told; not zero, so that the chains still start apart and
R-hat can see whether they converge to the same place.
"""

Problem = tuple[ModelSpec, Design]
"""The model and its data: ``(spec, design)``; its arrays are traced, the rest is static."""


class ChainSettings(NamedTuple):
    """Static sampler settings (hashable: part of the compilation cache key)."""

    algo: str
    """``"NUTS"`` or ``"HMC"``."""
    warmup: int
    draws: int
    target_accept: float
    dense_mass: bool
    max_tree_depth: int
    num_steps: int | None
    """Leapfrog steps per HMC iteration (``None`` for NUTS)."""
    progress: bool
    compiler_options: CompilerOptions = ()
    """XLA options of the chain program (:func:`mmm.modeling._compile.compiler_options`)."""
    warmup_tree_depth: int | None = None
    """NUTS maximum tree depth during warm-up (``None``: ``max_tree_depth``; never above it)."""

    def tree_depths(self) -> int | tuple[int, int]:
        """NumPyro's ``max_tree_depth``: one depth, or ``(warm-up, sampling)``."""
        if self.warmup_tree_depth is None or self.warmup_tree_depth >= self.max_tree_depth:
            return self.max_tree_depth
        return (self.warmup_tree_depth, self.max_tree_depth)


class Start(NamedTuple):
    """Where the chains start: traced arrays, so every start runs the same program.

    Attributes:
        values: a constrained value per latent site (its constrained shape); only those
            flagged in ``given`` are used.
        given: per latent site, a boolean scalar: start at ``values[site]`` (mapped to
            unconstrained space) instead of the prior mean.
        jitter: half-width of the uniform jitter added per unconstrained coordinate.
    """

    values: Mapping[str, jax.Array | np.ndarray]
    given: Mapping[str, jax.Array | np.ndarray]
    jitter: jax.Array | np.ndarray


def cold_start(shapes: dict[str, tuple[int, ...]], dtype: Any) -> Start:
    """The prior means plus ``U(-INIT_JITTER, INIT_JITTER)``, for latent sites of ``shapes``."""
    return warm_start(shapes, {}, dtype)


def warm_start(shapes: dict[str, tuple[int, ...]], init: dict[str, jax.Array], dtype: Any) -> Start:
    """Start at the (checked, constrained) ``init`` values, the prior means elsewhere.

    Args:
        shapes: constrained shape of every latent site.
        init: constrained values of some of them; empty for a cold start.
        dtype: floating dtype of the model.

    Returns:
        The :class:`Start`: jitter :data:`WARM_JITTER` if ``init`` is not empty, else
        :data:`INIT_JITTER`.
    """
    # Host (numpy) arrays: each eager jnp op here would compile a program of its own on a
    # cold start; the chain program takes these as its inputs either way.
    dtype = np.dtype(dtype)
    values = {
        name: np.asarray(init[name], dtype) if name in init else np.ones(shape, dtype)
        for name, shape in shapes.items()
    }
    given = {name: np.asarray(name in init) for name in shapes}
    jitter = np.asarray(WARM_JITTER if init else INIT_JITTER, dtype)
    return Start(values=values, given=given, jitter=jitter)


class ChainStats(NamedTuple):
    """Per-draw sampler statistics.

    Each ``(draw,)`` for one chain, ``(chain, draw)`` from :func:`run_chains`.
    """

    diverging: jax.Array
    num_steps: jax.Array
    energy: jax.Array
    accept_prob: jax.Array
    step_size: jax.Array


# an exported sampler returns them (mmm.modeling._programs); a reloaded module finds its
# name taken
with contextlib.suppress(ValueError):
    export.register_namedtuple_serialization(ChainStats, serialized_name="mmm.ChainStats")


_NO_DATE = dt.date(1970, 1, 1)


def unlabelled(design: Design) -> Design:
    """``design`` with its date labels (static, so part of the cache key) as placeholders.

    The model reads the design's arrays only (its time features are computed when the
    design is built), so a window of the same length at other dates runs the same program.
    """
    scalings = dataclasses.replace(design.scalings, start=_NO_DATE, end=_NO_DATE)
    return dataclasses.replace(design, dates=(_NO_DATE,) * len(design.dates), scalings=scalings)


def _potential(problem: Problem, z: dict[str, jax.Array]) -> jax.Array:
    return sampler_potential(*problem, z)


_PROGRESS: dict[str, Any] = {}


def _tick(chain: np.ndarray, done: np.ndarray) -> None:
    """Host callback: advance the progress bar (driven by chain 0 only)."""
    bar = _PROGRESS.get("bar")
    if bar is not None and int(chain) == 0:
        if _PROGRESS.pop("compiling", False):  # first report: the timer starts now
            bar.reset(total=bar.total)
            bar.set_description(_PROGRESS["label"])
        bar.n = int(done)
        bar.refresh()


def _report(settings: ChainSettings, chain: jax.Array, done: jax.Array) -> None:
    every = max(1, (settings.warmup + settings.draws) // 50)

    def call() -> None:
        jax.debug.callback(_tick, chain, done)

    jax.lax.cond(done % every == 0, call, lambda: None)


def starting_point(
    problem: Problem, key: jax.Array, start: Start | None = None
) -> dict[str, jax.Array]:
    """Where a chain starts: the centre plus ``U(-jitter, jitter)`` per unconstrained coordinate.

    ``problem`` is ``(spec, design)``; the result is keyed like the model's latent sites,
    in unconstrained space (pure and jit-able: vmap it over keys, or designs).

    The centre is the given start values where ``start.given`` says so, the prior means
    elsewhere; ``start=None`` is the cold start (prior means, :data:`INIT_JITTER`). A
    jittered point whose potential is not finite falls back to the centre. This is the
    point the chain program starts from (:func:`_starting_info`, which also returns its
    potential).
    """
    return _starting_info(problem, key, start)[0]


def _candidate(
    problem: Problem, key: jax.Array, start: Start | None
) -> tuple[dict[str, jax.Array], dict[str, jax.Array]]:
    """The jittered candidate start and the centre it falls back to (unconstrained)."""
    centre = prior_centre(*problem, start)
    jitter = INIT_JITTER if start is None else start.jitter
    leaves, tree = jax.tree_util.tree_flatten(centre)
    keys = jax.random.split(key, len(leaves))
    moved = [
        v + jax.random.uniform(k, jnp.shape(v), v.dtype, -jitter, jitter)
        for v, k in zip(leaves, keys, strict=True)
    ]
    return jax.tree_util.tree_unflatten(tree, moved), centre


def _starting_info(
    problem: Problem, key: jax.Array, start: Start | None
) -> tuple[dict[str, jax.Array], jax.Array]:
    """:func:`starting_point` and its potential energy, for NUTS's init (not its gradient).

    The point: the jittered candidate, or the centre if the candidate's potential is not
    finite. Its potential comes from a loop of at most two passes (the candidate, then the
    centre), so the program holds one forward pass of the model here. Its gradient is not
    computed: that would be a second copy of the model's gradient in the chain program (the
    other is in the leapfrog step), about 0.45 s of a first fit's compilation on 2 CPU
    cores. NUTS starts with a zero gradient instead (:func:`_one_chain`).
    """
    candidate, centre = _candidate(problem, key, start)
    potential = partial(_potential, problem)

    def pass_(carry: tuple[jax.Array, Any, jax.Array]) -> Any:
        i = carry[0]
        z = jax.tree_util.tree_map(lambda a, b: jnp.where(i == 0, a, b), candidate, centre)
        return i + 1, z, potential(z)

    def again(carry: tuple[jax.Array, Any, jax.Array]) -> jax.Array:
        i, _, pe = carry
        return (i == 0) | ((i == 1) & ~jnp.isfinite(pe))

    dtype = jax.tree_util.tree_leaves(centre)[0].dtype
    first = (jnp.zeros((), jnp.int32), candidate, jnp.zeros((), dtype))
    _, z, pe = jax.lax.while_loop(again, pass_, first)
    return z, pe


def _one_chain(
    problem: Problem,
    settings: ChainSettings,
    start: Start,
    key: jax.Array,
    chain: jax.Array,
) -> tuple[dict[str, jax.Array], ChainStats]:
    """Warm-up then ``settings.draws`` draws of one chain, in unconstrained space.

    The chain starts at :func:`starting_point`; the start is computed inside the
    compiled program, so a fit compiles one program for its chains. NUTS runs on the
    latent sites raveled into one vector (``jax.flatten_util.ravel_pytree``; unraveled
    again for the draws): on a dict of sites, every step of NumPyro's trajectory and
    adaptation code is repeated per site, and on 2 CPU cores the flat program of the
    default model on ``plr_small_business`` (8 sites) compiles in about 0.2 s less.

    The state NUTS starts from carries a zero gradient (:func:`_starting_info`). It only
    enters the first half step of the leapfrogs that leave the start: every point a
    leapfrog reaches gets its true gradient, so once the chain has left its start (the
    first warm-up transition nearly always does, and warm-up draws are discarded) every
    transition is NumPyro's exact one.
    """
    init_key, key = jax.random.split(key)
    z0, pe0 = _starting_info(problem, init_key, start)
    flat, unravel = ravel_pytree(z0)

    def potential(x: jax.Array) -> jax.Array:
        return _potential(problem, unravel(x))

    init_kernel, sample_kernel = hmc(potential_fn=potential, algo=settings.algo)
    state = init_kernel(
        ParamInfo(flat, pe0, jnp.zeros_like(flat)),
        settings.warmup,
        dense_mass=settings.dense_mass,
        target_accept_prob=settings.target_accept,
        num_steps=settings.num_steps,
        trajectory_length=None if settings.algo == "HMC" else 2 * math.pi,
        max_tree_depth=settings.tree_depths(),
        rng_key=key,
    )

    def stats_of(s: Any) -> ChainStats:
        return ChainStats(
            s.diverging, s.num_steps, s.energy, s.accept_prob, s.adapt_state.step_size
        )

    def record(buffer: Any, row: Any, i: jax.Array) -> Any:
        return jax.tree_util.tree_map(
            lambda b, r: jax.lax.dynamic_update_index_in_dim(b, r, i, 0), buffer, row
        )

    # One loop over warm-up and draws, so the (large) transition kernel is compiled once;
    # warm-up iterations write to row 0, which the first draw overwrites.
    empty = jax.tree_util.tree_map(
        lambda v: jnp.zeros((settings.draws, *jnp.shape(v)), jnp.result_type(v)),
        (state.z, stats_of(state)),
    )

    def step(i: jax.Array, carry: Any) -> Any:
        s, buffer = carry
        s = sample_kernel(s)
        if settings.progress:
            _report(settings, chain, i + 1)
        row = jnp.maximum(i - settings.warmup, 0)
        return s, record(buffer, (s.z, stats_of(s)), row)

    _, (z, stats) = jax.lax.fori_loop(0, settings.warmup + settings.draws, step, (state, empty))
    return jax.vmap(unravel)(z), stats


def _chain_keys(key: jax.Array, chains: jax.Array, total: int) -> jax.Array:
    """Chain ``c``'s key, ``jax.random.split(key, total)[c]``, for each ``c`` in ``chains``.

    Split inside the chain program: an eager split compiles a program of its own.
    """
    return jax.random.split(key, total)[chains]


def _vectorized(
    problem: Problem,
    settings: ChainSettings,
    start: Start,
    key: jax.Array,
    chains: jax.Array,
    total: int,
) -> Any:
    keys = _chain_keys(key, chains, total)
    one = partial(_one_chain, problem, settings, start)
    if chains.shape[0] == 1:  # no vmap: batching NUTS's conds into selects doubles the program
        return jax.tree_util.tree_map(lambda v: v[None], one(keys[0], chains[0]))
    return jax.vmap(one)(keys, chains)


def _run_vectorized(
    problem: Problem,
    start: Start,
    key: jax.Array,
    chains: jax.Array,
    *,
    settings: ChainSettings,
    total: int,
) -> Any:
    return _vectorized(problem, settings, start, key, chains, total)


def _run_parallel(
    problem: Problem,
    start: Start,
    key: jax.Array,
    chains: jax.Array,
    *,
    settings: ChainSettings,
    devices: int,
    total: int,
) -> Any:
    dynamic, static = eqx.partition(problem, eqx.is_array)
    mesh = Mesh(np.asarray(jax.devices()[:devices]), ("chain",))

    def local(dynamic: Any, start: Start, key: jax.Array, chains: jax.Array) -> Any:
        return _vectorized(eqx.combine(dynamic, static), settings, start, key, chains, total)

    by_chain = PartitionSpec("chain")
    sharded = jax.shard_map(
        local,
        mesh=mesh,
        in_specs=(PartitionSpec(), PartitionSpec(), PartitionSpec(), by_chain),
        out_specs=by_chain,
        check_vma=False,  # NumPyro's tree building mixes per-chain and shared values in cond
    )
    return sharded(dynamic, start, key, chains)


def _parallel_devices(chains: int) -> int:
    """The most devices (at most one per chain) that split ``chains`` evenly."""
    available = min(chains, jax.local_device_count())
    return max(d for d in range(1, available + 1) if chains % d == 0)


def _program(
    run: Any,
    name: str,
    args: tuple[Any, ...],
    settings: ChainSettings,
    mesh: Mesh | None = None,
    **static: Any,
) -> tuple[dict[str, jax.Array], ChainStats]:
    """Compiled ``run(*args, settings=settings, **static)``; args: problem, start, key, chains.

    Without a progress bar (its host callbacks cannot be exported) the traced program is
    kept on disk (:mod:`mmm.modeling._programs`), so a new process skips tracing the model;
    otherwise, or when the program cannot be exported, ``run`` is traced as usual
    (:func:`equinox.filter_jit`: the arrays traced, the rest the cache key). Either way it is
    compiled with ``settings.compiler_options``.
    """
    options = settings.compiler_options
    if settings.progress:
        return jitted(run, options)(*args, settings=settings, **static)
    out = run_cached(name, run, args, mesh, options, settings=settings, **static)
    return cast(tuple[dict[str, jax.Array], ChainStats], out)


def chains_in_threads() -> bool:
    """Whether ``parallel`` chains run in threads (on a CPU) rather than over a device mesh."""
    return jax.default_backend() == "cpu"


def _chain_by_chain(
    problem: Problem,
    start: Start,
    key: jax.Array,
    index: np.ndarray,
    settings: ChainSettings,
    chain_method: str,
) -> tuple[dict[str, jax.Array], ChainStats]:
    """One compiled single-chain program called per chain, in turn or all at once.

    ``sequential`` calls it for one chain after another; ``parallel`` (on a CPU) for every
    chain at once, each call from its own thread. XLA:CPU runs a program whose entry
    computation its cost analysis finds cheap (a while loop's body counts once: the
    sampler's whole chain is one loop) in the thread that calls it, and any other program
    on its own thread pool; either way calls from several threads run side by side on the
    machine's cores (JAX releases the GIL while a program runs). Measured on 2 cores: 4
    chains of the example 1.24 s in threads against 2.46 s one after another; 12 channels
    x 520 weeks, 4 x (100 + 100), 16.2 s against 30.7-44.5 s.

    One device is enough: no ``numpyro.set_host_device_count``, and no SPMD partitioning
    in the compile (a single-chain program compiles in about 0.3 s less than the same
    chains ``shard_map``-ed over 4 host devices, and samples as fast; docs/benchmarks.md).
    Both methods call the same compiled program, so chain ``c``'s draws are the same.
    """
    chains = len(index)

    def args(c: int) -> tuple[Any, ...]:
        return (problem, start, key, index[c : c + 1])

    program = compiled_program(
        "run_vectorized",
        _run_vectorized,
        args(0),
        settings.compiler_options,
        settings=settings,
        total=chains,
    )

    def run(c: int) -> Any:
        return jax.block_until_ready(program(args(c)))

    if chain_method == "sequential":
        runs = [run(c) for c in range(chains)]
    else:
        with ThreadPoolExecutor(max_workers=chains, thread_name_prefix="mmm-chain") as pool:
            runs = list(pool.map(run, range(chains)))
    # on the host: an eager jnp.concatenate would compile a program per output shape
    return cast(
        tuple[dict[str, jax.Array], ChainStats],
        jax.tree_util.tree_map(lambda *parts: np.concatenate(parts), *runs),
    )


def run_chains(
    spec: ModelSpec,
    design: Design,
    key: jax.Array,
    chains: int,
    settings: ChainSettings,
    chain_method: str,
    start: Start | None = None,
) -> tuple[dict[str, jax.Array], ChainStats]:
    """Run ``chains`` chains of ``spec`` on ``design``.

    Args:
        spec: the model.
        design: its data.
        key: PRNG key; chain ``c`` uses ``jax.random.split(key, chains)[c]``, whatever the
            chain method, so ``parallel``, ``vectorized`` and ``sequential`` give the same
            draws (up to floating-point reassociation).
        chains: number of chains.
        settings: the sampler's static settings.
        chain_method: ``"parallel"`` (threads on a CPU, a device mesh elsewhere),
            ``"vectorized"`` or ``"sequential"``.
        start: where the chains start (:func:`warm_start`); ``None``: :func:`cold_start`.

    Returns:
        Unconstrained draws ``(chain, draw, ...)`` per latent site and their statistics.
    """
    problem = (spec, unlabelled(design))
    if start is None:
        sites = model_sites(spec, design)
        shapes = {n: s.shape for n, s in sites.items() if s.kind == "sample" and not s.observed}
        start = cold_start(shapes, design.kpi.dtype)
    index = np.arange(chains, dtype=np.int32)
    bar = None
    if settings.progress:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]

        total = settings.warmup + settings.draws
        label = f"{settings.algo} chain 0"
        bar = tqdm(total=total, desc=f"{label} (compiling)", file=sys.stderr)
        _PROGRESS.update(label=label, compiling=True)
    _PROGRESS["bar"] = bar
    try:
        if chain_method == "sequential" or (chain_method == "parallel" and chains_in_threads()):
            out = _chain_by_chain(problem, start, key, index, settings, chain_method)
        elif chain_method == "parallel":
            devices = _parallel_devices(chains)
            mesh = Mesh(np.asarray(jax.devices()[:devices]), ("chain",))
            out = _program(
                _run_parallel,
                "run_parallel",
                (problem, start, key, index),
                settings,
                mesh,
                devices=devices,
                total=chains,
            )
        else:
            out = _program(
                _run_vectorized,
                "run_vectorized",
                (problem, start, key, index),
                settings,
                total=chains,
            )
        out = jax.block_until_ready(out)
    finally:
        for entry in ("bar", "label", "compiling"):
            _PROGRESS.pop(entry, None)
        if bar is not None:
            bar.close()
    return out


def _prior_mean(site: dict[str, Any]) -> jax.Array | None:
    """A latent site's prior mean.

    Where it is not finite (a half-Cauchy, say): the point that is 0 in unconstrained space.
    """
    if site["type"] != "sample" or site["is_observed"]:
        return None
    fn = site["fn"]
    shape = (*site["kwargs"].get("sample_shape", ()), *fn.shape())
    transform = biject_to(fn.support)
    fallback = transform(jnp.zeros(transform.inverse_shape(shape)))
    try:
        mean = jnp.broadcast_to(fn.mean, shape)
    except NotImplementedError:
        return fallback
    return jnp.where(jnp.isfinite(transform.inv(mean)), mean, fallback)


def _latent_trace(spec: ModelSpec, design: Design) -> dict[str, dict[str, Any]]:
    """The latent sample sites of the model, each valued at its prior mean."""
    model = handlers.substitute(mmm_model, substitute_fn=_prior_mean)
    tr = handlers.trace(model).get_trace(spec, design, design.kpi)
    return {
        name: site
        for name, site in tr.items()
        if site["type"] == "sample" and not site["is_observed"]
    }


def prior_centre(
    spec: ModelSpec, design: Design, start: Start | None = None
) -> dict[str, jax.Array]:
    """Each latent site's prior mean (or given start value), mapped to unconstrained space.

    NumPyro's ``init_to_mean`` without its gradient evaluations, retry loop and prior
    draws (drawing from a Beta or Gamma prior compiles a large rejection sampler). Where
    ``start.given`` flags a site, its centre is ``biject_to(support).inv`` of the start's
    value instead.
    """
    centre = {}
    for name, site in _latent_trace(spec, design).items():
        transform = biject_to(site["fn"].support)
        prior = transform.inv(site["value"])
        if start is not None:
            given = transform.inv(jnp.asarray(start.values[name], prior.dtype))
            prior = jnp.where(start.given[name], given, prior)
        centre[name] = prior
    return centre


def latent_supports(spec: ModelSpec, design: Design) -> dict[str, Any]:
    """The support (a NumPyro constraint) of every latent site, in model order.

    Runs the model once, eagerly, at the prior means (a few ms once compiled).
    """
    trace = _latent_trace(spec, unlabelled(design))
    return {name: site["fn"].support for name, site in trace.items()}


def constrained_draws(
    spec: ModelSpec, design: Design, z: Mapping[str, jax.Array | np.ndarray]
) -> dict[str, jax.Array]:
    """Latent and deterministic sites of unconstrained draws ``z`` (each ``(draw, ...)``).

    Kept in the traced-program cache like the samplers (:func:`run_cached`), so a new
    process does not trace the model for it again.
    """
    return run_cached("constrained_draws", _constrained_draws, (spec, unlabelled(design), z))


def _constrained_draws(
    spec: ModelSpec, design: Design, z: Mapping[str, jax.Array | np.ndarray]
) -> dict[str, jax.Array]:
    args = (spec, design, design.kpi)
    return jax.vmap(lambda zi: constrain_fn(mmm_model, args, {}, zi, return_deterministic=True))(z)
