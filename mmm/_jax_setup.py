"""Process-wide JAX settings applied when ``mmm`` is imported.

Two things, both so that a new Python process (a restarted notebook, a second ``mmm demo``,
a CI job) does not compile the sampler again:

* **A persistent compilation cache.** JAX can keep compiled programs on disk, keyed by the
  program's text, but does not unless told where. At import, if JAX has no cache
  directory configured yet, ``mmm`` sets one: the path in the environment variable
  ``MMM_COMPILATION_CACHE``, else ``$XDG_CACHE_HOME/mmm/jax`` (``~/.cache/mmm/jax``),
  created readable by its owner only (JAX executes what it finds there, so the folder must
  not be shared). ``MMM_COMPILATION_CACHE=0`` (or ``off``, ``false``, ``no``) leaves JAX
  without one; a directory the user configured (``jax.config.update(
  "jax_compilation_cache_dir", ...)`` before ``import mmm``, or ``JAX_COMPILATION_CACHE_DIR``)
  is kept. JAX reads the setting at its first compilation, so it only takes effect when
  ``mmm`` is imported before anything is compiled in the process.
* **A deterministic leaf order for NumPyro distributions.** A NumPyro distribution is a
  pytree whose array fields and static (aux) fields are gathered in Python sets of
  their names, so their order (and with it the order of the compiled program's arguments,
  part of the cache key, and the tree structure that keys :mod:`mmm.modeling._programs`)
  changes with Python's per-process string hashing; the caches would then miss in every new
  process (``PYTHONHASHSEED=0`` hid it). ``mmm`` makes NumPyro return both sorted by name.
  The same fields are flattened and unflattened with the same order, so only the order
  changes.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any

import jax
from numpyro.distributions.distribution import Distribution

__all__ = ["CACHE_ENV", "MIN_COMPILE_SECONDS", "compilation_cache_dir", "default_cache_dir"]

CACHE_ENV = "MMM_COMPILATION_CACHE"
"""Environment variable: a cache directory, or ``0``/``off``/``false``/``no`` for none."""

MIN_COMPILE_SECONDS = 0.0
"""Programs that took at least this long to compile are kept (when ``mmm`` set the cache)."""

_OFF = {"0", "off", "false", "no", "none"}


def default_cache_dir() -> pathlib.Path | None:
    """The directory ``mmm`` gives JAX's persistent cache (``None`` when switched off)."""
    value = os.environ.get(CACHE_ENV)
    if value is not None:
        return None if value.strip().lower() in _OFF | {""} else pathlib.Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(base) / "mmm" / "jax"


def compilation_cache_dir() -> pathlib.Path | None:
    """The directory JAX keeps compiled programs in for this process, or ``None``."""
    value = _configured_dir()
    return pathlib.Path(value) if value else None


def _configured_dir() -> str | None:
    value: str | None = jax.config.jax_compilation_cache_dir  # type: ignore[attr-defined]
    return value


def _use_compilation_cache() -> None:
    if _configured_dir():
        return  # the user's choice
    path = default_cache_dir()
    if path is None:
        return
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:  # read-only home, say: run without a cache rather than fail the import
        return
    jax.config.update("jax_compilation_cache_dir", str(path))
    # keep every program: a fit also compiles some 40 small ones (eager array operations,
    # feature kernels), about 1.3 s together on 2 cores, each under JAX's default 1 s
    jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)


def _sorted_pytree_fields() -> None:
    for gatherer in ("gather_pytree_data_fields", "gather_pytree_aux_fields"):
        original = Distribution.__dict__[gatherer].__func__
        if getattr(original, "_mmm_sorted", False):
            continue

        def gather(cls: type[Distribution], original: Any = original) -> tuple[str, ...]:
            return tuple(sorted(original(cls)))

        gather._mmm_sorted = True  # type: ignore[attr-defined]
        gather.__name__ = gatherer
        setattr(Distribution, gatherer, classmethod(gather))


_sorted_pytree_fields()
_use_compilation_cache()
