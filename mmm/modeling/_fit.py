"""``fit``: NUTS, HMC, SVI (mean-field or low-rank), MAP and Laplace on one model spec.

NUTS and HMC run in :mod:`mmm.modeling._mcmc`, SVI, MAP and Laplace in
:mod:`mmm.modeling._svi`; their compiled programs take the spec and data as arguments:
a second fit of a spec with the same structure, on data of the same shapes and with the
same sampler settings, compiles nothing and costs only the sampling.

Every method returns the same :class:`FittedMMM`: posterior (or approximate posterior)
draws of every latent and deterministic site, shaped ``(chain, draw, ...)``, plus the
sampler's statistics. Chains run ``parallel`` on a CPU (each chain's program called from
its own thread, so they share the cores; no ``numpyro.set_host_device_count`` needed) and
on accelerators with a device per chain, ``vectorized`` otherwise; ``chain_method=``
overrides it.

``init=`` warm-starts any method at given values of latent sites (e.g. a previous fit's
posterior medians): the chains' starting point is an argument of the compiled program, so a
warm start compiles nothing that a cold start did not.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike
from numpyro.distributions.transforms import biject_to

from mmm._memory_maps import release_compiled_programs_near_map_limit
from mmm.data import MMMDataSet, ModelArrays
from mmm.features import Design, Scalings, build_design
from mmm.modeling._checks import check_before_fit
from mmm.modeling._compile import compile_mode, compiler_options
from mmm.modeling._fitted import FitInfo, FittedMMM
from mmm.modeling._mcmc import (
    ChainSettings,
    Start,
    chains_in_threads,
    constrained_draws,
    latent_supports,
    run_chains,
    warm_start,
)
from mmm.modeling._model import Site, model_sites
from mmm.modeling._spec import ModelSpec
from mmm.modeling._svi import SVISettings, run_variational
from mmm.modeling._totals import prior_samples

__all__ = ["fit", "Method", "ChainMethod", "Guide", "design_for"]

Method = Literal["nuts", "hmc", "svi", "map", "laplace"]
ChainMethod = Literal["auto", "parallel", "vectorized", "sequential"]
Guide = Literal["mean_field", "low_rank"]


def prior_fit(spec: ModelSpec, dataset: MMMDataSet, draws: int = 1000, seed: int = 0) -> FittedMMM:
    """A :class:`FittedMMM` whose "posterior" is ``draws`` draws from the prior (one chain).

    What the priors alone imply, through every downstream layer (results, optimization):
    a prior predictive check of ROI and budget plans, and a cheap stand-in for a posterior
    in benchmarks (the cost of the layers does not depend on where the draws come from).
    ``info.method`` is ``"prior"``; there are no sampler statistics.
    """
    design = design_for(spec, dataset)
    samples = prior_samples(spec, design, draws=draws, seed=seed)
    return FittedMMM(
        spec=spec,
        dataset=dataset,
        design=design,
        samples={k: v[None] for k, v in samples.items()},
        sample_stats={},
        info=FitInfo(method="prior", seed=seed, seconds=0.0, settings={"draws": draws}),
    )


def design_for(
    spec: ModelSpec,
    data: MMMDataSet | ModelArrays,
    dtype: Any = None,
    scalings: Scalings | None = None,
) -> Design:
    """The design of ``spec`` on ``data``.

    Args:
        spec: the model spec; its channels and organic series must be the data's.
        data: a dataset (converted with ``dtype``) or its arrays.
        dtype: floating dtype for a dataset's arrays (``None``: JAX's default).
        scalings: the training scalings, for held-out or future periods; ``None`` fits
            them on ``data`` (the training window).

    Raises:
        ValueError: naming both lists if the channels or organic series differ.
    """
    arrays = data.to_arrays(dtype=dtype) if isinstance(data, MMMDataSet) else data
    for what, ours, theirs in (
        ("channels", spec.channels, arrays.channels),
        ("organic series", spec.organic_names, arrays.organic_names),
    ):
        if tuple(theirs) != ours:
            raise ValueError(
                f"the spec's {what} {list(ours)} differ from the data's {list(theirs)}: "
                "build the spec from this dataset (ModelSpec.default(ds))"
            )
    media = dict(zip(spec.channels, spec.media, strict=True))
    return build_design(
        arrays, media=media, baseline=spec.baseline, scalings=scalings, scaling=spec.scaling
    )


def _with_dtype(spec: ModelSpec, dtype: Any) -> ModelSpec:
    """``spec`` with every floating array (prior parameters) cast to ``dtype``.

    Priors built before the float64 switch hold float32 arrays; sampled values follow
    their priors' dtype, so the spec must follow the design's.
    """

    def cast(leaf: Any) -> Any:
        if isinstance(leaf, jax.Array | np.ndarray) and jnp.issubdtype(leaf.dtype, jnp.floating):
            if isinstance(leaf, jax.Array) and leaf.dtype == dtype:
                return leaf
            # cast on the host and device_put: jnp.asarray compiles a program per shape
            return jax.device_put(np.asarray(leaf).astype(dtype))
        return leaf

    return jax.tree_util.tree_map(cast, spec)


def prng_key(seed: int) -> jax.Array:
    """``jax.random.PRNGKey(seed)``, built on the host for ``0 <= seed < 2**32``.

    JAX's default (threefry) key of such a seed is ``[0, seed]`` (uint32); other PRNG
    implementations and seeds go through ``jax.random.PRNGKey``. Building it on the device
    compiles two small programs, which a cold start would pay for.
    """
    threefry = getattr(jax.config, "jax_default_prng_impl", None) == "threefry2x32"
    if threefry and isinstance(seed, int | np.integer) and 0 <= int(seed) < 2**32:
        return jax.device_put(np.array([0, int(seed)], dtype=np.uint32))
    return jax.random.PRNGKey(seed)


_MCMC = ("nuts", "hmc")


def _chain_method(requested: ChainMethod, chains: int) -> str:
    """``auto``: ``parallel`` on a CPU (threads) or with a device per chain, else ``vectorized``."""
    if requested != "auto":
        return requested
    if chains > 1 and (chains_in_threads() or jax.local_device_count() >= chains):
        return "parallel"
    return "vectorized"


def _show_progress(progress_bar: bool | None) -> bool:
    if progress_bar is not None:
        return progress_bar
    return sys.stderr.isatty() and not os.environ.get("CI")


def _check_choice(name: str, value: object, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ValueError(f"{name}={value!r} is not valid: choose one of {options}")


def _check_count(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}={value!r} is not valid: pass an int >= {minimum}")


def _check_init(
    spec: ModelSpec, design: Design, init: Mapping[str, ArrayLike], dtype: Any
) -> dict[str, jax.Array]:
    """``init`` checked against the model's latent sites and cast to ``dtype``.

    Raises:
        ValueError: for an unknown site (listing the latent sites), a wrong shape (naming
            the site, the expected and the given shape), or a value outside the site's
            support or on its boundary (infinite in unconstrained space).
    """
    sites = model_sites(spec, design)
    latent = [n for n, s in sites.items() if s.kind == "sample" and not s.observed]
    unknown = [name for name in init if name not in latent]
    if unknown:
        raise ValueError(
            f"init has {unknown}, which are not latent sites of the model: pass values of "
            f"the latent sites {latent} (the names of fitted.free_samples())"
        )
    checked: dict[str, jax.Array] = {}
    for name, value in init.items():
        array = np.asarray(value, dtype=np.float64)
        expected = sites[name].shape
        if array.shape != expected:
            raise ValueError(
                f"init[{name!r}] has shape {array.shape}, the site has shape {expected}: "
                "pass one value per element of the site (no chain or draw axis)"
            )
        checked[name] = jnp.asarray(array, dtype=dtype)
    supports = latent_supports(spec, design) if checked else {}
    for name, value in checked.items():
        support = supports[name]
        inside = bool(np.all(np.asarray(support(np.asarray(value)))))
        free = np.asarray(biject_to(support).inv(value))
        if not inside or not np.all(np.isfinite(free)):
            raise ValueError(
                f"init[{name!r}]={np.asarray(value).tolist()} is outside the support "
                f"{support} of the site (or on its boundary): pass values strictly inside it"
            )
    return checked


def _start(sites: Mapping[str, Site], init: Mapping[str, jax.Array], dtype: Any) -> Start:
    """The chains' or guide's start: ``init`` (checked) where given, the prior means elsewhere."""
    shapes = {n: s.shape for n, s in sites.items() if s.kind == "sample" and not s.observed}
    return warm_start(shapes, dict(init), dtype)


def _run_mcmc(
    algo: str,
    spec: ModelSpec,
    design: Design,
    key: jax.Array,
    o: dict[str, Any],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, Any]]:
    settings = ChainSettings(
        algo=algo,
        warmup=o["tune"],
        draws=o["draws"],
        target_accept=o["target_accept"],
        dense_mass=o["dense_mass"],
        max_tree_depth=o["max_tree_depth"],
        warmup_tree_depth=o["warmup_tree_depth"],
        num_steps=o["hmc_steps"] if algo == "HMC" else None,
        progress=o["progress_bar"],
        compiler_options=compiler_options(o["compile"]),
    )
    start = _start(model_sites(spec, design), o["init"], design.kpi.dtype)
    z, chain_stats = run_chains(spec, design, key, o["chains"], settings, o["chain_method"], start)
    # (chain, draw, ...) -> (chain * draw, ...) on the host: an eager reshape of draws
    # sharded over the chains' devices compiles a program per site.
    flat = {k: np.asarray(v).reshape(-1, *v.shape[2:]) for k, v in z.items()}
    constrained = constrained_draws(spec, design, flat)
    samples = {
        k: np.asarray(v).reshape(o["chains"], o["draws"], *v.shape[1:])
        for k, v in constrained.items()
    }
    steps = np.asarray(chain_stats.num_steps)
    stats = {
        "diverging": np.asarray(chain_stats.diverging),
        "n_steps": steps,
        "tree_depth": np.ceil(np.log2(steps + 1)).astype(np.int64),
        "energy": np.asarray(chain_stats.energy),
        "acceptance_rate": np.asarray(chain_stats.accept_prob),
        "step_size": np.asarray(chain_stats.step_size),
    }
    return samples, stats, {}


def _nuts(spec: ModelSpec, design: Design, key: jax.Array, o: dict[str, Any]) -> Any:
    return _run_mcmc("NUTS", spec, design, key, o)


def _hmc(spec: ModelSpec, design: Design, key: jax.Array, o: dict[str, Any]) -> Any:
    return _run_mcmc("HMC", spec, design, key, o)  # fixed steps, step size adapted


def _variational(
    method: str,
) -> Callable[[ModelSpec, Design, jax.Array, dict[str, Any]], Any]:
    def run(spec: ModelSpec, design: Design, key: jax.Array, o: dict[str, Any]) -> Any:
        settings = SVISettings(
            method=method,
            steps=o["svi_steps"],
            learning_rate=o["learning_rate"],
            guide=o["guide"],
            rank=o["rank"],
            num_particles=o["num_particles"],
            draws=1 if method == "map" else o["draws"],
            progress=o["progress_bar"],
            compiler_options=compiler_options(o["compile"]),
        )
        sites = model_sites(spec, design)
        start = _start(sites, o["init"], design.kpi.dtype)
        recorded = tuple(n for n, s in sites.items() if not s.observed)  # latent + deterministic
        drawn, losses = run_variational(spec, design, key, start, settings, recorded)
        samples = {k: v[None] for k, v in drawn.items()}
        return samples, {}, {"losses": losses}

    return run


_RUNNERS: dict[str, Callable[[ModelSpec, Design, jax.Array, dict[str, Any]], Any]] = {
    "nuts": _nuts,
    "hmc": _hmc,
    "svi": _variational("svi"),
    "map": _variational("map"),
    "laplace": _variational("laplace"),
}


def fit(
    spec: ModelSpec,
    dataset: MMMDataSet,
    method: Method = "nuts",
    *,
    chains: int = 4,
    draws: int = 1000,
    tune: int = 1000,
    seed: int = 0,
    target_accept: float = 0.9,
    dense_mass: bool = True,
    max_tree_depth: int = 10,
    warmup_tree_depth: int = 7,
    hmc_steps: int = 32,
    chain_method: ChainMethod = "auto",
    svi_steps: int = 5000,
    learning_rate: float = 0.01,
    guide: Guide = "mean_field",
    rank: int | None = None,
    num_particles: int = 1,
    progress_bar: bool | None = None,
    x64: bool = False,
    init: Mapping[str, ArrayLike] | None = None,
) -> FittedMMM:
    """Fit ``spec`` to ``dataset``.

    Args:
        spec: the model (e.g. ``ModelSpec.default(dataset)``).
        dataset: the training data; its channels must be the spec's.
        method: ``"nuts"`` (default), ``"hmc"``, ``"svi"``, ``"map"`` or ``"laplace"``.
        chains: MCMC chains (NUTS/HMC); SVI and Laplace return one "chain" of ``draws``
            draws from the fitted approximation, MAP one chain of one draw.
        draws: draws kept per chain.
        tune: warm-up iterations per chain (NUTS/HMC; step size and mass matrix).
        seed: the PRNG seed: the same seed gives the same draws.
        target_accept: NUTS/HMC target acceptance probability. The default 0.9 (NumPyro's
            and Stan's is 0.8) gave no divergence in 30 default fits of the bundled and
            simulated datasets (``docs/benchmarks.md``) with 17-42% fewer leapfrog steps
            than the earlier default 0.98, which dated from a ridge the intercept's level
            parametrization has since removed (:class:`mmm.features.Intercept`); at 0.8
            Meridian's national data diverged. Raise it towards 0.99 if a fit diverges.
        dense_mass: adapt a dense mass matrix (NUTS/HMC); best for the tens to low
            hundreds of parameters of an MMM.
        max_tree_depth: NUTS maximum tree depth.
        warmup_tree_depth: NUTS maximum tree depth during warm-up (at most
            ``max_tree_depth``; set it to ``max_tree_depth`` for no cap). Early warm-up
            iterations, before a mass matrix is adapted, otherwise build trees of up to
            1023 leapfrog steps: about 80% of all gradient evaluations of a default fit
            on ``plr_medium_business``. At 7 (127 steps) warm-up costs about a third as
            much, and sampling (which keeps ``max_tree_depth``) as much as before: a fit
            of ``plr_small_business`` / ``plr_medium_business`` samples in about half the
            time, its minimum ESS mostly within 16% (``docs/benchmarks.md``). If the
            tree-depth or ESS diagnostics complain, raise it.
        hmc_steps: leapfrog steps per HMC iteration.
        chain_method: ``"auto"`` (``parallel`` on a CPU, or on accelerators with one
            device per chain; else ``vectorized``), or ``"parallel"``, ``"vectorized"``,
            ``"sequential"``. ``parallel`` on a CPU runs one compiled single-chain program
            per chain from its own thread, all at once (no host devices needed); on
            accelerators it splits the chains over the devices (``shard_map``).
        svi_steps: optimizer steps for SVI, MAP and Laplace.
        learning_rate: Adam learning rate (gradients clipped to norm 10).
        guide: SVI guide, ``"mean_field"`` (``AutoNormal``) or ``"low_rank"``
            (``AutoLowRankMultivariateNormal``).
        rank: rank of the low-rank guide (``None``: about the square root of the number of
            parameters).
        num_particles: ELBO particles per SVI step.
        progress_bar: show progress; ``None`` shows it on a terminal outside CI.
        x64: compute in float64 (switches JAX's 64-bit mode on for the process).
        init: a warm start: constrained values of some or all latent sites, by site name
            (the names and shapes of ``fitted.free_samples()`` without the chain and draw
            axes, e.g. ``{"media/adstock/alpha": array of shape (channel,)}``), e.g. a
            previous fit's posterior medians. NUTS/HMC chains start there (mapped to
            unconstrained space) plus ``U(-0.1, 0.1)`` per unconstrained coordinate
            (:data:`~mmm.modeling._mcmc.WARM_JITTER`, against ``U(-0.5, 0.5)`` around the
            prior means for a cold start: the chains start where they are told, yet
            apart); SVI, MAP and Laplace start their guide there (``init_to_value``).
            Sites not given start at their prior mean. ``None`` (default): a cold start.
            A warm start runs the same compiled program as a cold one.

    The sampler (and the SVI / MAP / Laplace program) is compiled with the XLA options of
    the environment variable ``MMM_COMPILE``, read at each call: ``fast`` (default on
    CPU: about 2 s less compilation, sampling up to 7 % slower) or ``optimized`` (XLA's
    defaults); see :mod:`mmm.modeling._compile`. The mode is recorded in
    ``info.settings["compile"]``.

    Returns:
        The :class:`FittedMMM`.

    Raises:
        ValueError: for an invalid argument, or data that cannot identify the model
            (see :func:`mmm.modeling.check_before_fit`), before anything is sampled; for an
            ``init`` naming a site that is not latent, of the wrong shape or outside the
            site's support; for an ``MMM_COMPILE`` other than ``fast`` or ``optimized``.
    """
    _check_choice("method", method, get_args(Method))
    _check_choice("chain_method", chain_method, get_args(ChainMethod))
    _check_choice("guide", guide, get_args(Guide))
    for name, value, minimum in (
        ("chains", chains, 1),
        ("draws", draws, 1),
        ("tune", tune, 0),
        ("seed", seed, 0),
        ("max_tree_depth", max_tree_depth, 1),
        ("warmup_tree_depth", warmup_tree_depth, 1),
        ("hmc_steps", hmc_steps, 1),
        ("svi_steps", svi_steps, 1),
        ("num_particles", num_particles, 1),
    ):
        _check_count(name, value, minimum)
    if not 0 < target_accept < 1:
        raise ValueError(f"target_accept={target_accept!r} is not valid: pass a float in (0, 1)")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate={learning_rate!r} is not valid: pass a float > 0")
    mode = compile_mode()  # MMM_COMPILE, checked before any work
    if x64:
        jax.config.update("jax_enable_x64", True)
    release_compiled_programs_near_map_limit()  # many fits in one process: no XLA crash
    dtype = jnp.float64 if x64 else jnp.float32
    design = design_for(spec, dataset, dtype=dtype)
    spec = _with_dtype(spec, dtype)
    check_before_fit(spec, design)
    init_values = _check_init(spec, design, init, dtype) if init is not None else {}
    options = {
        "chains": chains,
        "draws": draws,
        "tune": tune,
        "target_accept": target_accept,
        "dense_mass": dense_mass,
        "max_tree_depth": max_tree_depth,
        "warmup_tree_depth": warmup_tree_depth,
        "hmc_steps": hmc_steps,
        # chains only exist for MCMC: SVI / MAP / Laplace must not warn about them
        "chain_method": _chain_method(chain_method, chains) if method in _MCMC else chain_method,
        "svi_steps": svi_steps,
        "learning_rate": learning_rate,
        "guide": guide,
        "rank": rank,
        "num_particles": num_particles,
        "progress_bar": _show_progress(progress_bar),
        "init": init_values,
        "compile": mode,
    }
    start = time.perf_counter()
    samples, stats, extra = _RUNNERS[method](spec, design, prng_key(seed), options)
    seconds = time.perf_counter() - start
    settings = {k: v for k, v in options.items() if k not in ("progress_bar", "init")}
    info = FitInfo(
        method=method,
        seed=seed,
        seconds=seconds,
        settings={**settings, "x64": x64, "warm_start": bool(init_values)},
        losses=extra.get("losses"),
    )
    return FittedMMM(
        spec=spec, dataset=dataset, design=design, samples=samples, sample_stats=stats, info=info
    )
