"""Keep a long-running process clear of the kernel's memory-map limit.

Every compiled XLA:CPU executable that JAX holds keeps its code in memory maps (about 1,500
per distinct model fitted, measured on a 2-core Linux sandbox: four fits of different
shapes took a process from 1,431 to 7,395 maps). Linux allows a process
``vm.max_map_count`` maps (65,530 by default); past it, ``mmap`` fails inside XLA's
compiler and the process dies with a segmentation fault or an abort, not an exception.
A notebook or benchmark script that fits a few dozen differently shaped models in one
process reaches it. :func:`release_compiled_programs_near_map_limit`, called before each
fit, drops JAX's in-memory compiled programs (``jax.clear_caches()``) when the process is
near the limit: later calls recompile (from the persistent compilation cache, where there
is one) instead of crashing.

Where ``/proc`` is missing (macOS, Windows) nothing is measured and nothing is dropped.
"""

from __future__ import annotations

import gc
import logging
import pathlib

import jax

__all__ = [
    "MAP_HEADROOM",
    "memory_map_count",
    "memory_map_limit",
    "release_compiled_programs",
    "release_compiled_programs_near_map_limit",
]

MAP_HEADROOM = 0.6
"""Fraction of ``vm.max_map_count`` in use above which compiled programs are dropped (a fit
can add several thousand maps before the next check)."""

_MAPS = pathlib.Path("/proc/self/maps")
_LIMIT = pathlib.Path("/proc/sys/vm/max_map_count")

_log = logging.getLogger(__name__)


def memory_map_count() -> int | None:
    """Memory maps this process holds now (lines of ``/proc/self/maps``), or ``None``."""
    try:
        with _MAPS.open("rb") as maps:
            return sum(1 for _ in maps)
    except OSError:
        return None


def memory_map_limit() -> int | None:
    """The kernel's per-process limit (``vm.max_map_count``), or ``None`` if unknown."""
    try:
        return int(_LIMIT.read_text().strip())
    except (OSError, ValueError):
        return None


def release_compiled_programs() -> None:
    """Drop JAX's in-memory compiled programs (and the maps their code holds) now."""
    jax.clear_caches()
    gc.collect()


def release_compiled_programs_near_map_limit(headroom: float = MAP_HEADROOM) -> bool:
    """Drop JAX's in-memory compiled programs if the process is near its map limit.

    Near: more than ``headroom * vm.max_map_count`` memory maps.

    Returns:
        Whether they were dropped.
    """
    limit = memory_map_limit()
    count = memory_map_count() if limit else None
    if count is None or limit is None or count <= headroom * limit:
        return False
    release_compiled_programs()
    _log.warning(
        "this process held %d of the kernel's %d memory maps (vm.max_map_count); dropped "
        "JAX's compiled programs (now %s maps) so that compiling more cannot crash it: "
        "later calls compile again",
        count,
        limit,
        memory_map_count(),
    )
    return True
