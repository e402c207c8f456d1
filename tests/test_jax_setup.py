"""What ``import mmm`` sets up in JAX: a persistent compilation cache that hits in a new
process, and a leaf order of NumPyro distributions that does not depend on string hashing."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import jax
import numpy as np
import numpyro.distributions as dist
import pytest

import mmm
from mmm._jax_setup import CACHE_ENV, default_cache_dir
from mmm.modeling._programs import PROGRAM_DIR

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_default_cache_dir_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "mmm" / "jax"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == pathlib.Path.home() / ".cache" / "mmm" / "jax"
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "here"))
    assert default_cache_dir() == tmp_path / "here"
    for off in ("0", "off", "False", "no", ""):
        monkeypatch.setenv(CACHE_ENV, off)
        assert default_cache_dir() is None


def test_a_configured_cache_dir_is_kept() -> None:
    # tests/conftest.py configures a per-session folder before mmm is imported
    configured = mmm.compilation_cache_dir()
    assert configured is not None
    assert configured.name.startswith("mmm-jax-cache-")
    assert str(configured) == jax.config.jax_compilation_cache_dir


@pytest.mark.parametrize(
    "d",
    [
        dist.Beta(2.0, 3.0),
        dist.Dirichlet(np.ones(4, np.float32)),
        dist.TruncatedNormal(1.0, 2.0, low=0.0),
        dist.Gamma(2.0, 0.5),
        dist.HalfNormal(np.full(3, 2.0, np.float32)),
        dist.Normal(0.0, 1.0).expand([2]).mask(np.array([True, False])),
    ],
    ids=lambda d: type(d).__name__,
)
def test_distribution_leaves_sorted_and_round_trip(d: dist.Distribution) -> None:
    fields = type(d).gather_pytree_data_fields()
    assert list(fields) == sorted(fields)
    aux = type(d).gather_pytree_aux_fields()
    assert list(aux) == sorted(aux)
    leaves, tree = jax.tree_util.tree_flatten(d)
    back = jax.tree_util.tree_unflatten(tree, leaves)
    x = d.mean  # a point of the support (no sampling: it compiles large rejection samplers)
    np.testing.assert_array_equal(back.log_prob(x), d.log_prob(x))
    np.testing.assert_array_equal(back.mean, d.mean)
    np.testing.assert_array_equal(back.variance, d.variance)


_LEAVES = """
import jax, equinox as eqx
from mmm.datasets import load_example
from mmm.modeling import ModelSpec
spec = ModelSpec.default(load_example("plr_small_business"))
for leaf in jax.tree_util.tree_leaves(eqx.filter(spec, eqx.is_array)):
    print(leaf.shape, [round(float(v), 6) for v in leaf.ravel()])
print(jax.tree_util.tree_structure(spec))  # static (aux) fields in a fixed order too
"""


def _run(code: str, hash_seed: int, **env: str) -> str:
    environment = {**os.environ, "PYTHONHASHSEED": str(hash_seed), **env}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return done.stdout


def test_spec_leaf_order_does_not_depend_on_string_hashing() -> None:
    orders = {_run(_LEAVES, seed) for seed in (1, 2, 3)}
    assert len(orders) == 1
    assert "(4,)" in orders.pop()


_FIT = """
import time, numpyro
numpyro.set_host_device_count(4)
import mmm
from mmm.modeling import ModelSpec, fit
ds = mmm.load_example("plr_small_business")
f = fit(ModelSpec.default(ds), ds, chains=2, draws=30, tune=30, seed=3, progress_bar=False)
print(mmm.compilation_cache_dir(), float(f.samples["kpi/sigma"].sum()))
"""


@pytest.mark.slow
def test_a_new_process_reuses_the_compiled_sampler(tmp_path: pathlib.Path) -> None:
    cache = tmp_path / "cache"
    env = {CACHE_ENV: str(cache), "MMM_PROGRAM_CACHE": "1"}
    first = _run(_FIT, 1, **env)
    entries = sorted(p.name for p in cache.iterdir())
    programs = sorted(p.name for p in (cache / PROGRAM_DIR).iterdir())
    # the traced programs of the sampler and of mapping its draws back to the model's
    # constrained sites (mmm.modeling._programs)
    assert len(programs) == 2
    second = _run(_FIT, 2, **env)
    # same programs (no new entry although the hash seed changed), same draws
    assert sorted(p.name for p in cache.iterdir()) == entries
    assert sorted(p.name for p in (cache / PROGRAM_DIR).iterdir()) == programs
    assert first == second
    assert first.split()[0] == str(cache)
    assert oct(cache.stat().st_mode & 0o777) == "0o700"
