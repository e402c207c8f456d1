"""The sampler's XLA compile options: MMM_COMPILE picks them, they reach XLA, the chains agree."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from mmm.modeling import ModelSpec, design_for, fit
from mmm.modeling._compile import (
    COMPILE_ENV,
    FAST_CPU_OPTIONS,
    InvalidCompileSettingError,
    compile_mode,
    compiler_options,
)
from mmm.modeling._mcmc import ChainSettings, run_chains
from mmm.modeling._programs import ENV

# NUTS, no warm-up, 3 draws, target 0.9, dense mass, tree depth 6, no progress bar
FIRST_DRAWS = ChainSettings("NUTS", 0, 3, 0.9, True, 6, None, False)


@pytest.mark.parametrize(
    ("value", "mode"),
    [(None, "fast"), ("", "fast"), ("fast", "fast"), (" Optimized ", "optimized")],
)
def test_mode_from_the_environment(monkeypatch: pytest.MonkeyPatch, value, mode) -> None:
    if value is None:
        monkeypatch.delenv(COMPILE_ENV, raising=False)
    else:
        monkeypatch.setenv(COMPILE_ENV, value)
    assert compile_mode() == mode


def test_an_unknown_mode_is_an_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COMPILE_ENV, "turbo")
    with pytest.raises(InvalidCompileSettingError, match=r"MMM_COMPILE='turbo'.*fast, optimized"):
        compile_mode()
    assert issubclass(InvalidCompileSettingError, ValueError)


def test_fast_options_on_cpu_only() -> None:
    assert compiler_options("fast", "cpu") == FAST_CPU_OPTIONS
    assert compiler_options("optimized", "cpu") == ()
    assert compiler_options("fast", "gpu") == ()  # XLA:CPU flags, nothing to gain elsewhere
    assert compiler_options("fast") == FAST_CPU_OPTIONS  # the tests run on the CPU


def test_fit_checks_the_mode_before_any_work(
    small_ds, monkeypatch: pytest.MonkeyPatch, compile_counter
) -> None:
    spec = ModelSpec.default(small_ds)
    monkeypatch.setenv(COMPILE_ENV, "turbo")
    with compile_counter() as counter, pytest.raises(InvalidCompileSettingError):
        fit(spec, small_ds, chains=1, draws=5, tune=5)
    assert counter["n"] == 0


def test_fast_and_optimized_programs_give_the_same_chains(small_ds) -> None:
    """Compiled differently, the programs differ in the last bits (as the chain methods do):
    the first transitions agree, the tree sizes are identical."""
    spec = ModelSpec.default(small_ds)
    design = design_for(spec, small_ds)
    key = jax.random.PRNGKey(5)
    runs = {
        options: run_chains(
            spec, design, key, 2, FIRST_DRAWS._replace(compiler_options=options), "parallel"
        )
        for options in (FAST_CPU_OPTIONS, ())
    }
    (z_fast, stats_fast), (z_opt, stats_opt) = runs.values()
    for name in z_opt:
        np.testing.assert_allclose(z_fast[name], z_opt[name], rtol=1e-3, atol=1e-4, err_msg=name)
    np.testing.assert_array_equal(stats_fast.num_steps, stats_opt.num_steps)


@pytest.mark.parametrize(
    ("method", "program_cache"),
    [("nuts", "on"), ("nuts", "0"), ("map", "on")],
    ids=["nuts-exported", "nuts-traced", "map"],
)
def test_the_mode_reaches_xla_and_is_recorded(
    small_ds, monkeypatch, compile_counter, cache_miss_counter, method, program_cache
) -> None:
    """The same program under other options is another executable; under the same, none."""
    monkeypatch.setenv(ENV, program_cache)  # both ways to the compiler: exported and traced
    spec = ModelSpec.default(small_ds)
    # other draws per case: the exported and the traced path can lower to the same module,
    # whose executables the first case would have left in JAX's disk cache
    draws = {"on": 10, "0": 12}[program_cache]
    options = {"chains": 2, "draws": draws, "tune": 10, "chain_method": "parallel", "seed": 1}
    options |= {"method": method, "svi_steps": 20, "progress_bar": False}
    monkeypatch.setenv(COMPILE_ENV, "fast")
    fast = fit(spec, small_ds, **options)
    monkeypatch.setenv(COMPILE_ENV, "optimized")
    with cache_miss_counter() as misses:
        optimized = fit(spec, small_ds, **options)
    # Ignored options would have found the fast fit's executable in JAX's disk cache.
    assert misses["n"] >= 1
    monkeypatch.setenv(COMPILE_ENV, "fast")
    with compile_counter() as counter:
        again = fit(spec, small_ds, **options)
    assert counter["n"] == 0
    assert (fast.info.settings["compile"], optimized.info.settings["compile"]) == (
        "fast",
        "optimized",
    )
    for name, draws in fast.samples.items():
        np.testing.assert_array_equal(again.samples[name], draws, err_msg=name)  # same seed
