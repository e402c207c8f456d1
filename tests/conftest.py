"""Test-wide settings: JAX runs strictly, on the CPU, with 4 host devices for chains;
matplotlib draws off screen and every test must close the figures it opens.

Compiled programs are cached on disk for the session, so that fits of the same model
structure (many tests fit the same small spec) compile once. In memory they are dropped
after each test module: every loaded XLA executable keeps memory maps, and one process
holding the whole suite's programs reached the kernel's limit (``vm.max_map_count``,
65530) and crashed inside XLA's compiler.
"""

import tempfile

import numpyro

numpyro.set_host_device_count(4)  # before JAX starts: parallel chains as in a user's fit

import jax  # noqa: E402

jax.config.update("jax_platforms", "cpu")
jax.config.update("jax_numpy_rank_promotion", "raise")
jax.config.update("jax_compilation_cache_dir", tempfile.mkdtemp(prefix="mmm-jax-cache-"))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # tests draw off screen, whatever the user's default backend

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from mmm._memory_maps import (  # noqa: E402  (after the JAX settings above)
    memory_map_count,
    memory_map_limit,
    release_compiled_programs,
)


@pytest.fixture(autouse=True)
def _no_figure_left_open():
    """Every test closes the figures it made, and the plots make no stray ones."""
    before = set(plt.get_fignums())
    yield
    left = set(plt.get_fignums()) - before
    plt.close("all")
    assert not left, f"figures left open: {sorted(left)}"


_most_maps = [0]


@pytest.fixture(autouse=True, scope="module")
def _drop_compiled_programs():
    """Each test module starts without the previous modules' compiled programs in memory."""
    yield
    _most_maps[0] = max(_most_maps[0], memory_map_count() or 0)
    release_compiled_programs()


def pytest_terminal_summary(terminalreporter) -> None:
    if _most_maps[0]:
        terminalreporter.write_line(
            f"most memory maps after a test module: {_most_maps[0]} "
            f"(the kernel allows {memory_map_limit()})"
        )
