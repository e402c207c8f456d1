"""How the sampler programs are compiled: XLA options that trade a little speed for compile time.

On CPU, most of a first fit is XLA compiling the chain program (NUTS with the model's
gradient inside its loops, about 5 000 StableHLO operations): about 5 s of a 10 s first fit
of the PyMC-Marketing example on 2 cores. With XLA:CPU's older elemental emitters instead of
its fusion emitters (``xla_cpu_use_fusion_emitters=False``) and LLVM optimization level 1
instead of 3 (``xla_backend_optimization_level=1``) the same program compiles in about 3 s.
Measured with ``benchmarks/vs_pymc_marketing.py --samplers`` (2-core Intel Xeon sandbox,
jax 0.10.2, 4 chains x (1000 + 1000), docs/benchmarks.md), raw CSV to contributions in a new
process, ``fast`` vs ``optimized``: with an empty cache 7.6 vs 9.7 s (example), 8.7 vs 10.8 s
(104 weeks x 4 channels), 18.3 vs 20.9 s (156 x 8); with a warm cache 3.1 vs 3.1, 4.4 vs 4.2
and 13.3 vs 12.7 s, the sampling itself 0-7 % slower. SVI, MAP and Laplace programs are
compiled the same way (first fit of the example 6.1 / 1.7 / 3.5 s vs 6.8 / 2.2 / 5.2 s).
Every first fit of a model structure pays the compilation (a new machine, a changed spec);
only refits of the same structure pay the slowdown, so ``fast`` is the default.

The programs that run once or a few times per fit, after the sampler (the constrained draws,
prior draws, totals, predictions and noise draws, the decomposition, response curves and
the budget optimizer; :func:`jit_in_mode`), are compiled in the same mode: prior draws of
the default model on ``plr_small_business`` (Beta and Gamma rejection samplers, 1000 draws)
compiled in 1.7-1.8 s instead of 2.8-3.1 s and ran in 33-36 ms instead of 26-30 ms (2-core
sandbox, new process each, no compilation cache).

``MMM_COMPILE=optimized`` (read at every fit) compiles with XLA's defaults instead: for many
long refits of one large model, where a few percent of the sampling outweigh 2 s of
compilation. On other backends (GPU) XLA's defaults are always used. The options are part
of JAX's compilation-cache key, so switching modes compiles again (once per mode).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, Literal, get_args

import equinox as eqx
import jax

__all__ = [
    "COMPILE_ENV",
    "FAST_CPU_OPTIONS",
    "CompileMode",
    "CompilerOptions",
    "InvalidCompileSettingError",
    "compile_mode",
    "compiler_options",
    "jit_in_mode",
    "jitted",
]

COMPILE_ENV = "MMM_COMPILE"
"""Environment variable: ``fast`` (default) or ``optimized``."""

CompilerOptions = tuple[tuple[str, Any], ...]
"""XLA compiler options as sorted ``(name, value)`` pairs (hashable: part of cache keys)."""

FAST_CPU_OPTIONS: CompilerOptions = (
    ("xla_backend_optimization_level", 1),
    ("xla_cpu_use_fusion_emitters", False),
)
"""The options of ``MMM_COMPILE=fast`` on the CPU backend."""

CompileMode = Literal["fast", "optimized"]
"""``fast``: :data:`FAST_CPU_OPTIONS` on CPU; ``optimized``: XLA's defaults."""

_CHOICES: tuple[str, ...] = get_args(CompileMode)


class InvalidCompileSettingError(ValueError):
    """``MMM_COMPILE`` holds something other than ``fast`` or ``optimized``."""


def compile_mode() -> CompileMode:
    """The mode ``MMM_COMPILE`` asks for now (``fast`` when unset or empty).

    Raises:
        InvalidCompileSettingError: ``MMM_COMPILE`` is set to anything else.
    """
    raw = os.environ.get(COMPILE_ENV, "")
    value = raw.strip().lower() or "fast"
    if value == "optimized":
        return "optimized"
    if value == "fast":
        return "fast"
    raise InvalidCompileSettingError(
        f"environment variable {COMPILE_ENV}={raw!r}: expected one of {', '.join(_CHOICES)} "
        "(fast: quicker compilation, the default; optimized: XLA's defaults, about 5 % faster "
        "sampling); unset it or set one of those"
    )


def compiler_options(mode: CompileMode, backend: str | None = None) -> CompilerOptions:
    """The XLA options of the sampler programs in ``mode`` on ``backend``.

    Args:
        mode: from :func:`compile_mode`.
        backend: the JAX backend the program runs on; ``None``: ``jax.default_backend()``.

    Returns:
        :data:`FAST_CPU_OPTIONS` for ``fast`` on CPU; ``()`` (XLA's defaults) otherwise.
    """
    if mode == "optimized" or (backend or jax.default_backend()) != "cpu":
        return ()
    return FAST_CPU_OPTIONS


@functools.cache
def jitted(fn: Callable[..., Any], options: CompilerOptions) -> Callable[..., Any]:
    """``equinox.filter_jit(fn)`` compiling with ``options`` (one wrapper per pair, reused)."""
    # equinox passes further keyword arguments on to jax.jit; its overloads do not list them
    return eqx.filter_jit(fn, compiler_options=dict(options) or None)  # type: ignore[call-overload]


def jit_in_mode(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``equinox.filter_jit(fn)``, compiled with the options of the mode in force at each call.

    For the programs a fit runs once or a few times: ``MMM_COMPILE`` is read at every call
    (like ``fit``), and each mode keeps its own compiled program (:func:`jitted`).
    """

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        return jitted(fn, compiler_options(compile_mode()))(*args, **kwargs)

    return call
