"""The compiled chain driver: chain methods agree, starting points, compile reuse, progress."""

from __future__ import annotations

import threading

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpyro.infer import init_to_mean
from numpyro.infer.util import initialize_model

from mmm.datasets import simulate
from mmm.modeling import ModelSpec, design_for, fit
from mmm.modeling import _mcmc as mcmc
from mmm.modeling import _programs as programs
from mmm.modeling._fit import prng_key
from mmm.modeling._mcmc import (
    INIT_JITTER,
    ChainSettings,
    prior_centre,
    run_chains,
    starting_point,
)
from mmm.modeling._model import mmm_model, model_sites

METHODS = ("parallel", "vectorized", "sequential")
SHORT = ChainSettings(
    algo="NUTS",
    warmup=40,
    draws=15,
    target_accept=0.9,
    dense_mass=True,
    max_tree_depth=6,
    num_steps=None,
    progress=False,
)


@pytest.fixture(scope="module")
def problem(small_ds):
    spec = ModelSpec.default(small_ds)
    return spec, design_for(spec, small_ds)


def test_prior_centre_is_numpyros_init_to_mean(problem) -> None:
    spec, design = problem
    ours = prior_centre(spec, design)
    info = initialize_model(
        jax.random.PRNGKey(0),
        mmm_model,
        init_strategy=init_to_mean(),
        model_args=(spec, design, design.kpi),
    )
    reference = info.param_info.z
    assert set(ours) == set(reference)
    for name in reference:
        np.testing.assert_allclose(ours[name], reference[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_chain_methods_give_the_same_chains(problem) -> None:
    """Chain c uses the same key whatever the method.

    Compiled differently, the methods differ in the last bits, which chaotic NUTS
    trajectories amplify over many iterations: compare the first transitions.
    """
    spec, design = problem
    key = jax.random.PRNGKey(3)
    short = SHORT._replace(warmup=0, draws=3)
    runs = {m: run_chains(spec, design, key, 2, short, m) for m in METHODS}
    z_ref, stats_ref = runs["sequential"]
    for method, (z, stats) in runs.items():
        for name in z_ref:
            assert z[name].shape[:2] == (2, short.draws)
            np.testing.assert_allclose(
                z[name], z_ref[name], rtol=1e-3, atol=1e-4, err_msg=f"{method} {name}"
            )
        np.testing.assert_array_equal(stats.num_steps, stats_ref.num_steps)
    first = next(iter(z_ref))
    assert not np.allclose(z_ref[first][0], z_ref[first][1])  # chains differ


def test_parallel_chains_on_a_cpu_run_the_sequential_program_at_once(
    problem, compile_counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a CPU, ``parallel`` calls one compiled single-chain program from a thread per chain.

    So its draws are exactly those of ``sequential`` (the same program on the same keys), it
    compiles one program however many chains there are, and the chains run in threads.
    """
    spec, design = problem
    key = jax.random.PRNGKey(11)
    short = SHORT._replace(warmup=10, draws=5)
    jax.clear_caches()
    programs.forget_loaded()
    threads: set[str] = set()
    compiled_run = programs.compiled_program

    def watched(*args, **kwargs):
        program = compiled_run(*args, **kwargs)

        def call(values):
            threads.add(threading.current_thread().name)
            return program(values)

        return call

    monkeypatch.setattr(mcmc, "compiled_program", watched)
    with compile_counter() as compiled:
        z, stats = run_chains(spec, design, key, 3, short, "parallel")
    assert compiled["n"] == 1
    assert len(threads) == 3
    assert all(t.startswith("mmm-chain") for t in threads)
    z_seq, stats_seq = run_chains(spec, design, key, 3, short, "sequential")
    for name in z_seq:
        np.testing.assert_array_equal(np.asarray(z[name]), np.asarray(z_seq[name]), err_msg=name)
    np.testing.assert_array_equal(stats.num_steps, stats_seq.num_steps)
    # A second run of the same structure compiles and traces nothing.
    monkeypatch.setattr(mcmc, "_one_chain", _fail_if_traced)
    other = jax.random.PRNGKey(12)
    with compile_counter() as compiled:
        run_chains(spec, design, other, 3, short, "parallel")
    assert compiled["n"] == 0


def _fail_if_traced(*args: object, **kwargs: object) -> None:
    raise AssertionError("the chain was traced again")


def test_parallel_chains_on_a_device_mesh_give_the_same_chains(
    problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The accelerator path (``shard_map`` over devices), run on the 4 host CPU devices."""
    spec, design = problem
    monkeypatch.setattr(mcmc, "chains_in_threads", lambda: False)
    key = jax.random.PRNGKey(3)
    short = SHORT._replace(warmup=0, draws=3)
    z, stats = run_chains(spec, design, key, 2, short, "parallel")
    z_seq, stats_seq = run_chains(spec, design, key, 2, short, "sequential")
    for name in z_seq:
        np.testing.assert_allclose(z[name], z_seq[name], rtol=1e-3, atol=1e-4, err_msg=name)
    np.testing.assert_array_equal(stats.num_steps, stats_seq.num_steps)


def test_auto_runs_chains_in_parallel_on_one_cpu_device(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``numpyro.set_host_device_count`` needed: threads share the cores."""
    from mmm.modeling._fit import _chain_method

    monkeypatch.setattr(jax, "local_device_count", lambda *a, **k: 1)
    assert jax.default_backend() == "cpu"
    assert _chain_method("auto", 4) == "parallel"
    assert _chain_method("auto", 1) == "vectorized"
    assert _chain_method("sequential", 4) == "sequential"


def test_chain_c_uses_the_c_th_split_of_the_key(problem) -> None:
    """The documented key of chain ``c``: ``jax.random.split(key, chains)[c]``."""
    spec, design = problem
    key = jax.random.PRNGKey(7)
    short = SHORT._replace(warmup=0, draws=3)
    z, stats = run_chains(spec, design, key, 3, short, "vectorized")
    sites = model_sites(spec, design)
    shapes = {n: s.shape for n, s in sites.items() if s.kind == "sample" and not s.observed}
    start = mcmc.cold_start(shapes, design.kpi.dtype)
    one = eqx.filter_jit(mcmc._one_chain)
    problem_ = (spec, mcmc.unlabelled(design))
    for c in (0, 2):
        z_c, stats_c = one(problem_, short, start, jax.random.split(key, 3)[c], jnp.asarray(c))
        np.testing.assert_array_equal(stats.num_steps[c], stats_c.num_steps)
        for name in z:
            np.testing.assert_allclose(z[name][c], z_c[name], rtol=1e-3, atol=1e-4, err_msg=name)


def test_run_chains_compiles_the_chain_program_alone(problem, compile_counter) -> None:
    """No eager op around the chain program: on a cold start each would compile its own."""
    spec, design = problem
    key = jax.random.PRNGKey(8)
    short = SHORT._replace(warmup=0, draws=2)
    for method in ("vectorized", "parallel"):
        jax.clear_caches()
        programs.forget_loaded()
        with compile_counter() as compiled:
            run_chains(spec, design, key, 2, short, method)
        assert compiled["n"] == 1, method


def test_chains_start_within_the_jitter_of_the_prior_means(problem) -> None:
    spec, design = problem
    centre = prior_centre(spec, design)
    starts = [starting_point(problem, jax.random.PRNGKey(k)) for k in (0, 1)]
    for name, value in centre.items():
        for start in starts:
            offset = np.asarray(start[name]) - np.asarray(value)
            assert np.all(np.abs(offset) <= INIT_JITTER + 1e-6), name
        # Each coordinate moved, and two keys give two different starts.
        assert np.all(np.asarray(starts[0][name]) != np.asarray(value)), name
        assert not np.allclose(starts[0][name], starts[1][name]), name


def test_a_second_fit_reuses_the_compiled_programs(small_ds, compile_counter) -> None:
    """Same spec, same shapes, other data values and seed: nothing is compiled again."""
    spec = ModelSpec.default(small_ds)
    options = {"chains": 2, "draws": 20, "tune": 20, "chain_method": "parallel"}
    fit(spec, small_ds, seed=0, **options)
    other, _ = simulate(n_weeks=104, n_channels=3, seed=4, n_controls=1, n_events=1)
    with compile_counter() as counter:
        refit = fit(ModelSpec.default(other), other, seed=1, **options)
    assert counter["n"] == 0
    assert refit.samples["media/share"].shape == (2, 20, 3)
    # The data did change the result (they are arguments, not baked-in constants).
    again = fit(spec, small_ds, seed=1, **options)
    assert not np.allclose(refit.samples["media/share"], again.samples["media/share"])


def test_progress_bar_reports_to_stderr(problem, capsys) -> None:
    spec, design = problem
    run_chains(spec, design, jax.random.PRNGKey(0), 1, SHORT._replace(progress=True), "sequential")
    err = capsys.readouterr().err
    assert "NUTS chain 0" in err
    assert f"{SHORT.warmup + SHORT.draws}/{SHORT.warmup + SHORT.draws}" in err


def test_hmc_runs_a_fixed_number_of_steps(problem) -> None:
    spec, design = problem
    hmc = SHORT._replace(algo="HMC", num_steps=7)
    _, stats = run_chains(spec, design, jax.random.PRNGKey(0), 2, hmc, "parallel")
    np.testing.assert_array_equal(np.asarray(stats.num_steps), 7)
    assert jnp.all(jnp.isfinite(stats.energy))


def test_warmup_tree_depth_is_capped_at_the_sampling_depth() -> None:
    assert SHORT.tree_depths() == 6  # no warm-up depth: one depth throughout
    assert SHORT._replace(warmup_tree_depth=4).tree_depths() == (4, 6)
    assert SHORT._replace(warmup_tree_depth=6).tree_depths() == 6
    assert SHORT._replace(warmup_tree_depth=9).tree_depths() == 6


def test_warmup_tree_depth_reaches_the_kernel_and_sampling_keeps_its_depth(
    problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[object] = []

    def spy(**kwargs: object):
        init_kernel, sample_kernel = real_hmc(**kwargs)

        def init(*args: object, **init_kwargs: object):
            seen.append(init_kwargs["max_tree_depth"])
            return init_kernel(*args, **init_kwargs)

        return init, sample_kernel

    real_hmc = mcmc.hmc
    monkeypatch.setattr(mcmc, "hmc", spy)
    monkeypatch.setattr(programs, "program_dir", lambda: None)  # traced here, not loaded
    spec, design = problem
    settings = SHORT._replace(warmup=23, draws=30, warmup_tree_depth=1)
    _, stats = run_chains(spec, design, jax.random.PRNGKey(3), 1, settings, "vectorized")
    assert seen == [(1, 6)]
    # Draws are not held to the warm-up's one leapfrog step per iteration.
    assert int(np.max(np.asarray(stats.num_steps))) > 1


def test_fit_rejects_a_warmup_tree_depth_below_one(small_ds) -> None:
    with pytest.raises(ValueError, match="warmup_tree_depth"):
        fit(ModelSpec.default(small_ds), small_ds, warmup_tree_depth=0, progress_bar=False)


def test_a_cold_fit_compiles_one_program_per_stage(small_ds, compile_counter) -> None:
    """One program per stage, no eager op compiling in between.

    On a cold start every eager op (``jnp.asarray`` of a host array, a cast, a PRNG key)
    compiles a small program of its own (36 in a cold fit of the example and its
    decomposition before). Now: the scaling, the trend column, the Fourier terms and the
    event windows of the design, the chains, the constrained draws, the contributions.
    """
    from mmm.results import contributions

    spec = ModelSpec.default(small_ds)
    jax.clear_caches()
    programs.forget_loaded()
    with compile_counter() as counter:
        fitted = fit(spec, small_ds, chains=2, draws=10, tune=10, seed=0)
        frame = contributions(fitted)
    assert counter["n"] == 7
    assert frame.height > 0


def test_the_fits_key_is_jax_prng_key() -> None:
    for seed in (0, 1, 12345, 2**31, 2**32 - 1, 2**32, 2**40 + 7):
        ours, theirs = np.asarray(prng_key(seed)), np.asarray(jax.random.PRNGKey(seed))
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


def test_the_chains_start_is_starting_point_with_its_potential(problem) -> None:
    """The chain's start: the model's potential there; a wild jitter falls back to the centre."""
    spec, design = problem
    sites = model_sites(spec, design)
    shapes = {n: s.shape for n, s in sites.items() if s.kind == "sample" and not s.observed}
    cold = mcmc.cold_start(shapes, design.kpi.dtype)
    # jitted, as in the chain program (NumPyro's argument checks would raise eagerly)
    potential = jax.jit(lambda z: mcmc._potential(problem, z))
    info_of = jax.jit(lambda k, s: mcmc._starting_info(problem, k, s))
    point_of = jax.jit(lambda k, s: starting_point(problem, k, s))
    wild = cold._replace(jitter=np.asarray(1e30, design.kpi.dtype))  # never a finite potential
    for start, centre in ((cold, False), (wild, True)):
        key = jax.random.PRNGKey(5)
        (z, pe), point = info_of(key, start), point_of(key, start)
        assert np.isfinite(float(pe))
        np.testing.assert_allclose(pe, potential(point), rtol=1e-5)
        for name in point:
            np.testing.assert_array_equal(z[name], point[name])
        if centre:  # the candidate was thrown away for the prior means
            for name, value in prior_centre(spec, design, start).items():
                np.testing.assert_allclose(z[name], value, rtol=1e-6)


@pytest.mark.parametrize("algo", ["NUTS", "HMC"])
def test_the_chains_draw_a_known_gaussian_site_by_site(problem, monkeypatch, algo) -> None:
    """NUTS / HMC on the raveled sites, from a zero-gradient start, draw the right target.

    The model's potential is swapped for an independent Gaussian with a different mean and
    sd per element of every latent site: the draws, unraveled back into sites, must match
    those means and sds (to Monte Carlo error), element by element.
    """
    spec, design = problem
    sites = model_sites(spec, design)
    shapes = {n: s.shape for n, s in sites.items() if s.kind == "sample" and not s.observed}
    rng = np.random.default_rng(3)
    mean = {n: rng.uniform(-3.0, 3.0, shape).astype(np.float32) for n, shape in shapes.items()}
    sd = {n: rng.uniform(0.2, 2.0, shape).astype(np.float32) for n, shape in shapes.items()}

    def gaussian(problem, z):
        return sum(jnp.sum(0.5 * ((z[n] - mean[n]) / sd[n]) ** 2) for n in shapes)

    monkeypatch.setattr(mcmc, "_potential", gaussian)
    monkeypatch.setenv(programs.ENV, "0")  # nothing of this program kept on disk
    jax.clear_caches()
    programs.forget_loaded()
    settings = SHORT._replace(
        warmup=300,
        draws=500 if algo == "NUTS" else 1500,  # HMC's fixed path: a lower ESS per draw
        algo=algo,
        num_steps=8 if algo == "HMC" else None,
    )
    try:
        z, stats = run_chains(spec, design, jax.random.PRNGKey(11), 4, settings, "parallel")
    finally:  # nor in this process
        jax.clear_caches()
        programs.forget_loaded()
    assert not np.any(stats.diverging)
    # keys 1-5 and 11 (one-off check): at most 70% of either tolerance, NUTS and HMC alike
    for n in shapes:
        draws = np.asarray(z[n]).reshape(-1, *shapes[n])
        np.testing.assert_allclose(draws.mean(0), mean[n], atol=float(np.max(sd[n])) * 0.15)
        np.testing.assert_allclose(draws.std(0) / sd[n], 1.0, atol=0.12, err_msg=n)
