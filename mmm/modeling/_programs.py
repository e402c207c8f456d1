"""Traced programs kept on disk across processes (:mod:`jax.export`), keyed by structure.

JAX's persistent compilation cache (:mod:`mmm._jax_setup`) saves the XLA compile of a
program, but a new process must still *trace* the model and lower it to find the cache
entry: about 2 s on 2 cores for the default model's sampler, as long as its sampling. Here
the traced program itself is kept: the first run exports it (StableHLO, with
:func:`jax.export.export`) to ``<compilation cache>/mmm-programs/<key>.jaxexport``; a later
process with the same key deserializes it (milliseconds), and its compile comes from the
persistent cache.

The key is a SHA-256 of everything that can change the traced program: the function's
name, the static part of its arguments (the spec's structure and static hyper-parameters,
the design's labels, the settings: ``repr`` of their tree structure and non-array leaves),
the shape, dtype and weak type of every array argument, the device count and kind, the
versions of jax, jaxlib, numpyro and equinox, the relevant JAX configuration, and a digest
of ``mmm``'s own source files (an edited checkout never loads a program of older code).
Array *values* are arguments of the program, so new data or new prior parameters reuse it.
A static part whose ``repr`` names an object address (``at 0x...``: not reproducible across
processes) gets no key, and the caller traces as before.

On whenever the compilation cache is; ``MMM_PROGRAM_CACHE=0`` switches it off. (A crash
inside XLA's compiler that once looked tied to it was the test process reaching the
kernel's memory-map limit with the whole suite's executables loaded; ordinary tracing hit
it too.) At most :data:`MAX_LOADED` loaded programs are held in memory, the least recently
used dropped first.

Nothing here is needed for correctness: a program that cannot be exported (host callbacks,
a custom call without a stability guarantee), a missing ``flatbuffers`` package, an
unreadable file or a switched-off compilation cache all fall back to ordinary tracing.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import logging
import os
import pathlib
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

import equinox as eqx
import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from mmm._jax_setup import compilation_cache_dir
from mmm.modeling._compile import CompilerOptions, compile_mode, compiler_options, jitted

__all__ = [
    "ENV",
    "MAX_LOADED",
    "PROGRAM_DIR",
    "SUFFIX",
    "program_dir",
    "program_key",
    "run_exported",
    "run_cached",
    "compiled_program",
    "forget_loaded",
]

PROGRAM_DIR = "mmm-programs"
"""Sub-folder of the JAX compilation cache that holds the exported programs."""

SUFFIX = ".jaxexport"

_log = logging.getLogger(__name__)

MAX_LOADED = 32
"""Loaded programs held in memory (each compiled executable keeps memory maps)."""

_LOADED: dict[str, Callable[..., Any]] = {}
"""Programs loaded or exported in this process, by key (the compiled callable), least
recently used first."""

_COMPILED: dict[str, Any] = {}
"""Programs compiled ahead of time in this process (:func:`compiled_program`), by key,
least recently used first."""

_UNEXPORTABLE: set[str] = set()
"""Keys whose export failed in this process: traced the ordinary way from then on."""

_PACKAGES = ("jax", "jaxlib", "numpyro", "equinox", "flatbuffers")
_CONFIG = (
    "jax_enable_x64",
    "jax_default_matmul_precision",
    "jax_numpy_dtype_promotion",
    "jax_default_prng_impl",
    "jax_threefry_partitionable",
)


ENV = "MMM_PROGRAM_CACHE"
"""Environment variable: ``0`` (or ``off``, ``false``, ``no``) switches the traced-program
cache off; it is on by default wherever JAX's compilation cache is."""


def program_dir() -> pathlib.Path | None:
    """Where exported programs are kept: ``<compilation cache>/mmm-programs``.

    ``None`` (no program cache) when JAX's compilation cache is off or ``MMM_PROGRAM_CACHE``
    is ``0``, ``off``, ``false`` or ``no``.
    """
    cache = compilation_cache_dir()
    if cache is None or os.environ.get(ENV, "").strip().lower() in {"0", "off", "false", "no"}:
        return None
    return cache / PROGRAM_DIR


@functools.cache
def _source_digest() -> str:
    """SHA-256 of every ``.py`` file of the ``mmm`` package (path and bytes)."""
    root = pathlib.Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def _versions() -> tuple[str, ...]:
    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "-"

    return tuple(f"{p}={version(p)}" for p in _PACKAGES)


def _aval(array: Any) -> str:
    return str(jax.typeof(array))  # shape, dtype and weak type, e.g. "f32[104,4]"


def program_key(
    name: str, static: Any, arrays: Sequence[Any], settings: Any, devices: int
) -> str | None:
    """The cache key of ``name`` traced on ``static`` and arrays shaped like ``arrays``.

    Args:
        name: the function's name (one namespace per traced function).
        static: the non-array part of the arguments (a pytree; e.g. from
            :func:`equinox.partition`).
        arrays: the array arguments (only their shapes, dtypes and weak types count).
        settings: further static settings (hashable, with a reproducible ``repr``).
        devices: the number of devices the program runs on.

    Returns:
        A hex digest, or ``None`` when the static part's ``repr`` is not reproducible
        across processes (it names an object address).
    """
    leaves, tree = jax.tree_util.tree_flatten(static)
    kind = jax.devices()[0].device_kind
    config = tuple(f"{c}={getattr(jax.config, c, None)}" for c in _CONFIG)
    parts = (
        name,
        repr(tree),
        repr(leaves),
        repr(settings),
        tuple(_aval(a) for a in arrays),
        (jax.default_backend(), kind, devices),
        config,
        _versions(),
        _source_digest(),
    )
    text = repr(parts)
    if " at 0x" in text:
        return None
    return hashlib.sha256(text.encode()).hexdigest()


def _read(path: pathlib.Path) -> Any:
    from jax import export

    try:
        blob = path.read_bytes()
    except OSError:
        return None
    try:
        return export.deserialize(bytearray(blob))
    except Exception:  # a truncated or foreign file: export it again
        _log.debug("unreadable exported program %s", path, exc_info=True)
        return None


def _write(path: pathlib.Path, blob: bytearray) -> None:
    """Write atomically (a concurrent reader sees the old file or the whole new one)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(blob)
        os.replace(tmp, path)
    except OSError:  # a read-only cache: run without keeping the program
        _log.debug("could not write exported program %s", path, exc_info=True)


def _shardings(mesh: Mesh | None) -> dict[str, Any]:
    if mesh is None:
        return {}
    return {
        "in_shardings": NamedSharding(mesh, PartitionSpec()),
        "out_shardings": NamedSharding(mesh, PartitionSpec()),
    }


def _caller(
    exported: Any, mesh: Mesh | None, compiler_options: Sequence[tuple[str, Any]] = ()
) -> Callable[..., Any]:
    options = dict(compiler_options) or None
    if mesh is None:
        return jax.jit(exported.call, compiler_options=options)
    out = jax.tree_util.tree_unflatten(exported.out_tree, exported.out_shardings_jax(mesh))
    return jax.jit(
        exported.call,
        in_shardings=exported.in_shardings_jax(mesh),
        out_shardings=out,
        compiler_options=options,
    )


def run_exported(
    key: str | None,
    fn: Callable[..., Any],
    arrays: Sequence[Any],
    mesh: Mesh | None = None,
    compiler_options: Sequence[tuple[str, Any]] = (),
) -> Any | None:
    """``fn(*arrays)`` through the exported program of ``key``, or ``None`` if not possible.

    Args:
        key: from :func:`program_key` (``None``: no program cache, returns ``None``).
        fn: the function to trace on a miss; it takes the arrays positionally and returns
            nested dicts of arrays with string keys (what an exported program can carry).
        arrays: its arguments, flat.
        mesh: the device mesh the program runs on (its inputs replicated over it), or
            ``None`` for one device.
        compiler_options: XLA options the program is compiled with, as ``(name, value)``
            pairs (they do not change the exported program; ``key`` must cover them).

    Returns:
        The outputs, or ``None`` when there is no cache or the program cannot be exported;
        the caller then runs its ordinary jitted path.
    """
    if key is None:
        return None
    call = _LOADED.pop(key, None)
    if call is None:
        exported = _exported(key, fn, arrays, mesh)
        if exported is None:
            return None
        call = _caller(exported, mesh, compiler_options)
    _hold(_LOADED, key, call)
    return call(*arrays)


def _exported(
    key: str | None, fn: Callable[..., Any], arrays: Sequence[Any], mesh: Mesh | None
) -> Any | None:
    """The exported program of ``key``: read from disk, else traced, exported and written.

    ``None`` when there is no program cache or ``fn`` cannot be exported.
    """
    directory = program_dir()
    if key is None or directory is None or key in _UNEXPORTABLE:
        return None
    try:
        from jax import export
    except ImportError:  # pragma: no cover - jax always ships it
        return None
    path = directory / f"{key}{SUFFIX}"
    exported = _read(path)
    if exported is None:
        try:
            exported = export.export(jax.jit(fn, **_shardings(mesh)))(*arrays)
            blob = exported.serialize()
        except Exception:  # host callbacks, unstable custom calls, no flatbuffers
            _log.debug("program %s not exported", key, exc_info=True)
            _UNEXPORTABLE.add(key)
            return None
        _write(path, blob)
    return exported


def _hold(held: dict[str, Any], key: str, value: Any) -> None:
    """Keep ``value`` as the most recently used entry of ``held``, at most MAX_LOADED."""
    held[key] = value
    while len(held) > MAX_LOADED:
        del held[next(iter(held))]


def _on_one_device(array: Any) -> Any:
    """``array`` on the first device (an exported one-device program takes nothing else)."""
    if isinstance(array, jax.Array) and len(array.sharding.device_set) > 1:
        return jax.device_put(array, jax.devices()[0])
    return array


def run_cached(
    name: str,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    mesh: Mesh | None = None,
    options: CompilerOptions | None = None,
    **static: Any,
) -> Any:
    """``fn(*args, **static)`` compiled, through the traced-program cache where it can be.

    ``args`` is split with :func:`equinox.partition`: its arrays are the program's
    arguments, the rest (with ``name`` and ``static``) its key (:func:`program_key`), so
    new array values reuse the program. On a miss the program is traced, exported and kept;
    where it cannot be kept, ``fn`` is traced as usual (:func:`equinox.filter_jit`). Either
    way it is compiled with ``options`` (part of the key of the loaded program).

    Args:
        name: the program's name (one key namespace per function).
        fn: a pure module-level function; its output a pytree of arrays in dicts, lists
            and tuples (what an exported program can carry).
        args: its positional arguments (pytrees mixing arrays and static values).
        mesh: the device mesh the program runs on (its inputs replicated over it), or
            ``None`` for one device: arrays spread over several devices (draws of
            ``parallel`` chains, say) are then gathered onto the first one.
        options: XLA options, as ``(name, value)`` pairs; ``None``: those of the compile
            mode in force (:func:`mmm.modeling._compile.compiler_options`).
        **static: keyword arguments of ``fn`` that are static (hashable, with a
            reproducible ``repr``).
    """
    split = _Split.of(name, fn, args, mesh, options, static)
    out = run_exported(split.key, split.flat, split.leaves, mesh, split.options)
    if out is not None:
        return out
    return jitted(fn, split.options)(*split.inputs(split.leaves), **static)


@dataclasses.dataclass(frozen=True)
class _Split:
    """A call ``fn(*args, **static)`` split into its flat array arguments and the rest."""

    fn: Callable[..., Any]
    static: dict[str, Any]
    tree: Any
    rest: Any
    leaves: list[Any]
    options: CompilerOptions
    key: str | None

    @classmethod
    def of(
        cls,
        name: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        mesh: Mesh | None,
        options: CompilerOptions | None,
        static: dict[str, Any],
    ) -> _Split:
        dynamic, rest = eqx.partition(args, eqx.is_array)
        leaves, tree = jax.tree_util.tree_flatten(dynamic)
        if mesh is None:
            leaves = [_on_one_device(leaf) for leaf in leaves]
        if options is None:
            options = compiler_options(compile_mode())
        settings = (tuple(sorted(static.items())), options)
        key = program_key(name, rest, leaves, settings, 1 if mesh is None else mesh.size)
        return cls(fn, static, tree, rest, leaves, options, key)

    def inputs(self, arrays: Sequence[Any]) -> Any:
        """The arguments again, from flat arrays."""
        return eqx.combine(jax.tree_util.tree_unflatten(self.tree, list(arrays)), self.rest)

    def flat(self, *arrays: jax.Array) -> Any:
        """``fn`` of flat arrays (what is traced and exported)."""
        return self.fn(*self.inputs(arrays), **self.static)


def compiled_program(
    name: str,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    options: CompilerOptions | None = None,
    **static: Any,
) -> Callable[[tuple[Any, ...]], Any]:
    """``fn(*args, **static)`` compiled ahead of time for one device, not run.

    For callers that run one program on many argument values at once from several threads
    (the chains of a ``parallel`` fit on a CPU): a lazily compiled :func:`jax.jit` called
    from several threads at once could compile it once per thread. The program comes from
    the traced-program cache where it can (as in :func:`run_cached`), and the compiled
    executable is held in this process by the same key, so a second fit of the same
    structure compiles and traces nothing. A call whose key cannot be computed (a static
    part that names an object address) is traced and compiled again at every call.

    Args:
        name: the program's name (one key namespace per function).
        fn: a pure module-level function, as for :func:`run_cached`.
        args: example positional arguments: only their structure, shapes and dtypes count.
        options: XLA options; ``None``: those of the compile mode in force.
        **static: keyword arguments of ``fn`` that are static.

    Returns:
        A function of ``args`` (same structure and shapes, any values) that runs the
        compiled program on the first device and returns ``fn``'s outputs.
    """
    split = _Split.of(name, fn, args, None, options, static)
    compiled = _COMPILED.pop(split.key, None) if split.key is not None else None
    if compiled is None:
        exported = _exported(split.key, split.flat, split.leaves, None)
        program = split.flat if exported is None else exported.call
        opts = dict(split.options) or None
        compiled = jax.jit(program, compiler_options=opts).lower(*split.leaves).compile()
    if split.key is not None:
        _hold(_COMPILED, split.key, compiled)

    def call(values: tuple[Any, ...]) -> Any:
        dynamic, _ = eqx.partition(values, eqx.is_array)
        leaves = jax.tree_util.tree_leaves(dynamic)
        return compiled(*[_on_one_device(leaf) for leaf in leaves])

    return call


def forget_loaded() -> None:
    """Drop the programs held in this process (tests: force a read from disk)."""
    _LOADED.clear()
    _COMPILED.clear()
    _UNEXPORTABLE.clear()
