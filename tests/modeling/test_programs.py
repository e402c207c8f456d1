"""The exported-program cache: keys follow structure not values, programs load from disk
instead of tracing, bad files and unexportable programs fall back to tracing."""

from __future__ import annotations

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import export

from mmm.modeling import ModelSpec, design_for
from mmm.modeling import _mcmc as mcmc
from mmm.modeling import _programs as programs
from mmm.modeling._mcmc import ChainSettings, run_chains

# NUTS, 15 warm-up + 10 draws, target 0.9, dense mass, tree depth 5, no progress bar
SHORT = ChainSettings("NUTS", 15, 10, 0.9, True, 5, None, False)


@pytest.fixture(scope="module")
def problem(small_ds):
    spec = ModelSpec.default(small_ds)
    return spec, design_for(spec, small_ds)


def _fail(*args: object, **kwargs: object) -> None:
    raise ValueError("traced or exported where it must not be")


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> pathlib.Path:
    """An empty program folder, nothing held in memory (restored afterwards)."""
    monkeypatch.setattr(programs, "program_dir", lambda: tmp_path)
    monkeypatch.setattr(programs, "_LOADED", {})
    monkeypatch.setattr(programs, "_COMPILED", {})
    monkeypatch.setattr(programs, "_UNEXPORTABLE", set())
    return tmp_path


def _files(folder: pathlib.Path) -> list[pathlib.Path]:
    return sorted(folder.glob(f"*{programs.SUFFIX}"))


def test_key_follows_shapes_and_static_values_not_array_values() -> None:
    a, b = jnp.ones((3, 2)), jnp.zeros((3, 2))
    key = programs.program_key("f", ("x", 1.5), [a], SHORT, 1)
    assert key is not None
    assert len(key) == 64
    assert programs.program_key("f", ("x", 1.5), [b], SHORT, 1) == key
    others = [
        programs.program_key("g", ("x", 1.5), [a], SHORT, 1),
        programs.program_key("f", ("y", 1.5), [a], SHORT, 1),
        programs.program_key("f", ("x", 1.25), [a], SHORT, 1),
        programs.program_key("f", ("x", 1.5), [jnp.ones((3, 3))], SHORT, 1),
        programs.program_key("f", ("x", 1.5), [a.astype(jnp.int32)], SHORT, 1),
        programs.program_key("f", ("x", 1.5), [a], SHORT._replace(draws=11), 1),
        programs.program_key("f", ("x", 1.5), [a], SHORT, 2),
    ]
    assert len({key, *others}) == len(others) + 1


def test_no_key_for_a_static_part_that_names_an_object_address() -> None:
    assert programs.program_key("f", (object(),), [], SHORT, 1) is None


def test_a_new_process_loads_the_program_instead_of_tracing(
    problem, fresh: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, design = problem
    key = jax.random.PRNGKey(5)
    z, stats = run_chains(spec, design, key, 2, SHORT, "parallel")
    (file,) = _files(fresh)
    assert file.stat().st_size > 0
    # As in a new process: nothing in memory. Tracing the chain (or exporting) now fails.
    programs._LOADED.clear()
    programs._COMPILED.clear()
    monkeypatch.setattr(mcmc, "_one_chain", _fail)
    monkeypatch.setattr(export, "export", _fail)
    z2, stats2 = run_chains(spec, design, key, 2, SHORT, "parallel")
    for name in z:
        np.testing.assert_array_equal(z2[name], z[name], err_msg=name)
    np.testing.assert_array_equal(stats2.num_steps, stats.num_steps)
    assert _files(fresh) == [file]


def test_exported_and_traced_programs_give_the_same_chains(
    problem, fresh: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, design = problem
    key = jax.random.PRNGKey(2)
    z, stats = run_chains(spec, design, key, 2, SHORT, "vectorized")
    assert len(_files(fresh)) == 1
    monkeypatch.setattr(programs, "program_dir", lambda: None)  # cache off: plain tracing
    z_traced, stats_traced = run_chains(spec, design, key, 2, SHORT, "vectorized")
    for name in z:
        np.testing.assert_allclose(z[name], z_traced[name], rtol=1e-5, atol=1e-6, err_msg=name)
    np.testing.assert_array_equal(stats.diverging, stats_traced.diverging)


def test_constrained_draws_of_parallel_chains_load_from_disk(
    problem, fresh: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, design = problem
    monkeypatch.setattr(mcmc, "chains_in_threads", lambda: False)  # as on 2 accelerators
    z, _ = run_chains(spec, design, jax.random.PRNGKey(4), 2, SHORT, "parallel")
    flat = jax.tree_util.tree_map(lambda v: v.reshape(-1, *v.shape[2:]), z)  # on the mesh
    assert len(next(iter(flat.values())).sharding.device_set) == 2
    exported = mcmc.constrained_draws(spec, design, flat)
    assert len(_files(fresh)) == 2  # the chains' program and this one
    monkeypatch.setattr(programs, "program_dir", lambda: None)  # cache off: plain tracing
    traced = mcmc.constrained_draws(spec, design, flat)
    assert exported.keys() == traced.keys()
    assert {"kpi/sigma", "media/coef"} <= set(traced)  # latent and deterministic sites
    for name in traced:
        np.testing.assert_allclose(exported[name], traced[name], rtol=1e-6, err_msg=name)
    # As in a new process: loaded, neither traced nor exported again.
    monkeypatch.undo()
    monkeypatch.setattr(programs, "program_dir", lambda: fresh)
    programs._LOADED.clear()
    programs._COMPILED.clear()
    monkeypatch.setattr(mcmc, "_constrained_draws", _fail)
    monkeypatch.setattr(export, "export", _fail)
    loaded = mcmc.constrained_draws(spec, design, flat)
    # the same program for draws on one device (vectorized chains: same key, same shapes)
    one = mcmc.constrained_draws(spec, design, jax.device_put(flat, jax.devices()[0]))
    for name in traced:
        np.testing.assert_array_equal(loaded[name], exported[name], err_msg=name)
        np.testing.assert_array_equal(one[name], exported[name], err_msg=name)
    assert len(_files(fresh)) == 2


def test_an_unreadable_file_is_exported_again(problem, fresh: pathlib.Path) -> None:
    spec, design = problem
    key = jax.random.PRNGKey(1)
    settings = SHORT._replace(draws=6)
    z, _ = run_chains(spec, design, key, 1, settings, "sequential")
    (file,) = _files(fresh)
    file.write_bytes(b"not an exported program")
    programs._LOADED.clear()
    programs._COMPILED.clear()
    z2, _ = run_chains(spec, design, key, 1, settings, "sequential")
    for name in z:
        np.testing.assert_array_equal(z2[name], z[name], err_msg=name)
    assert programs._read(file) is not None  # replaced by a valid program


def test_an_unexportable_program_is_traced(
    problem, fresh: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, design = problem
    monkeypatch.setattr(export, "export", _fail)  # e.g. a custom call without guarantees
    z, stats = run_chains(spec, design, jax.random.PRNGKey(0), 2, SHORT, "parallel")
    assert np.all(np.isfinite(np.asarray(stats.energy)))
    assert z
    assert _files(fresh) == []
    assert len(programs._UNEXPORTABLE) == 1


def test_a_progress_bar_run_does_not_export(problem, fresh: pathlib.Path) -> None:
    spec, design = problem
    run_chains(spec, design, jax.random.PRNGKey(0), 1, SHORT._replace(progress=True), "sequential")
    assert _files(fresh) == []


def test_the_cache_is_on_unless_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # the test session has a compilation cache (tests/conftest.py)
    monkeypatch.delenv(programs.ENV, raising=False)
    assert programs.program_dir() == programs.compilation_cache_dir() / programs.PROGRAM_DIR
    for off in ("0", "off", "False", " no "):
        monkeypatch.setenv(programs.ENV, off)
        assert programs.program_dir() is None
    monkeypatch.setenv(programs.ENV, "1")
    assert programs.program_dir() is not None


def test_memory_holds_the_most_recently_used_programs(
    monkeypatch: pytest.MonkeyPatch, fresh: pathlib.Path
) -> None:
    monkeypatch.setattr(programs, "MAX_LOADED", 2)

    def scaled(x: jax.Array) -> dict[str, jax.Array]:
        return {"y": 2.0 * x}

    for n in (1, 2, 1, 3):  # shape n: key n; 1 is used again before 3 arrives
        x = jnp.arange(float(n))
        out = programs.run_exported(f"key{n}", scaled, [x])
        np.testing.assert_array_equal(out["y"], 2.0 * np.arange(n))
    assert list(programs._LOADED) == ["key1", "key3"]
    assert len(_files(fresh)) == 3  # on disk all stay


def _affine(x: jax.Array, scale: float, *, shift: float) -> dict[str, jax.Array]:
    return {"y": scale * x + shift}


def test_a_compiled_program_runs_other_values_and_loads_from_disk(
    fresh: pathlib.Path, monkeypatch: pytest.MonkeyPatch, compile_counter
) -> None:
    """Compiled once ahead of time; new values reuse it; a new process loads it."""
    x = jnp.arange(4.0)
    program = programs.compiled_program("affine", _affine, (x, 3.0), shift=1.0)
    assert len(_files(fresh)) == 1  # exported, not run
    ones = jnp.ones(4)
    with compile_counter() as compiled:
        out = program((ones, 3.0))
        again = programs.compiled_program("affine", _affine, (x, 3.0), shift=1.0)((x, 3.0))
    assert compiled["n"] == 0
    np.testing.assert_array_equal(out["y"], np.full(4, 4.0))
    np.testing.assert_array_equal(again["y"], 3.0 * np.arange(4.0) + 1.0)
    # Static values are part of the key: another scale is another program.
    other = programs.compiled_program("affine", _affine, (x, 2.0), shift=1.0)((x, 2.0))
    np.testing.assert_array_equal(other["y"], 2.0 * np.arange(4.0) + 1.0)
    assert len(_files(fresh)) == 2
    # As in a new process: loaded from disk, neither traced nor exported.
    programs.forget_loaded()
    monkeypatch.setattr(export, "export", _fail)
    loaded = programs.compiled_program("affine", _affine, (x, 3.0), shift=1.0)((x, 3.0))
    np.testing.assert_array_equal(loaded["y"], again["y"])


def test_a_compiled_program_without_a_key_is_traced(fresh: pathlib.Path) -> None:
    marker = object()  # its repr names an address: no reproducible key

    def fn(x: jax.Array, tag: object) -> dict[str, jax.Array]:
        return {"y": x + 1.0}

    program = programs.compiled_program("tagged", fn, (jnp.zeros(2), marker))
    np.testing.assert_array_equal(program((jnp.ones(2), marker))["y"], np.full(2, 2.0))
    assert _files(fresh) == []
    assert programs._COMPILED == {}
