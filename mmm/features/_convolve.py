r"""Causal lag sums of one series with a weight vector: shifted sums or FFTs.

Both strategies compute the same quantity,

.. math:: y_t = \sum_{l=0}^{L-1} w_l \, x_{t-l}, \qquad x_{t} = 0 \text{ for } t < 0,

for ``x: (time,)`` and ``w: (lag,)``, in the dtype of ``x``:

* ``"shift"``: one zero-padded copy of ``x`` and ``L`` static slices of it, scaled and
  summed. ``O(T L)`` work that XLA fuses into one pass over the output, exact to the
  rounding of ``L`` multiply-adds; the fastest for short lags, but the program (and the
  compile time of its gradient) grows with ``L``. Its derivative is its own JVP rule,
  ``dy = shift(dx, w) + M(x) dw`` with ``M(x)`` the ``(T, L)`` lag matrix of ``x``, so that
  reverse mode gets the weights' gradient as one product ``M(x)^T g`` instead of ``L``
  slices, pads and reductions (the same numbers to rounding; the sampler's leapfrog step
  12-16% faster on 2 CPU cores, docs/benchmarks.md).
* ``"fft"``: zero-padded real FFTs of a power-of-two length ``>= T + L - 1`` (so nothing wraps
  around), ``O((T + L) log(T + L))`` work and a program whose size does not depend on ``L``.
  The rounding error is relative to the largest output, not to each element: about ``1e-7``
  of ``max |y|`` in float32 and ``1e-16`` in float64. Outputs whose whole lag window of ``x``
  is zero (no spend in the last ``L`` periods) are set to exactly 0, as the shifted sum gives
  them, with the FFT's gradient kept; a concave saturation (Hill with ``s < 1``, power) would
  otherwise turn rounding noise of ``1e-7`` into a response of ``1e-4`` where nothing was spent.

``"auto"`` picks by the static number of lags and the backend, shifted sums up to
``SHIFT_MAX_LAGS = 16`` on the CPU and ``SHIFT_MAX_LAGS_ACCELERATOR = 64`` elsewhere:
see :func:`choose_method` and the crossover measured in ``docs/benchmarks.md``. A third
candidate, :func:`jax.lax.conv_general_dilated`, was measured and left out: on XLA:CPU its
vmapped form (a grouped convolution, one group per series) ran 4x to over 100x slower than
the better of these two, and its gradient with respect to vmapped weights allocated scratch
memory quadratic in the batch (2 GB for 2,000 series of 156 periods and 64 lags).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Literal

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

__all__ = ["ConvolveMethod", "choose_method", "convolve_lags"]

ConvolveMethod = Literal["auto", "shift", "fft"]
_METHODS = ("auto", "shift", "fft")

# Largest number of lags summed by shifted slices under ``"auto"``; FFTs above. Measured with
# ``benchmarks/transforms.py --crossover`` (docs/benchmarks.md), 156 periods, float32, on a
# 2-core AMD EPYC CPU: the gradient with respect to the weights (the sampler's hot path) is
# faster by FFT from 12 lags on for 10 series and from 16-24 lags on for 40 and for 40,000
# series; the forward pass is faster by shifted sums up to 64 lags (4-8x for 40,000 series);
# the shifted sum's gradient takes 0.4-0.8 s to compile at 16 lags and 1.2-5.5 s at 48-64.
# At 16 the exact shifted sum costs at most about 2x the FFT's gradient on small batches.
SHIFT_MAX_LAGS = 16
# On an H100 (same script, docs/benchmarks.md) the shifted sum was the faster of the two in
# both passes at every lag count measured, up to 64; above that nothing was measured, so the
# FFT keeps the cost sub-quadratic there.
SHIFT_MAX_LAGS_ACCELERATOR = 64


def choose_method(n_lags: int, backend: str | None = None) -> Literal["shift", "fft"]:
    """The strategy ``method="auto"`` uses for ``n_lags`` lags on ``backend``.

    Args:
        n_lags: number of lags ``L >= 1`` (static).
        backend: ``"cpu"``, ``"gpu"``, ...; ``None`` uses :func:`jax.default_backend`.

    Returns:
        ``"shift"`` for ``L <= 16`` on the CPU (``L <= 64`` on an accelerator), else
        ``"fft"``.

    Examples:
        >>> choose_method(8, "cpu"), choose_method(52, "cpu"), choose_method(52, "gpu")
        ('shift', 'fft', 'shift')
    """
    backend = jax.default_backend() if backend is None else backend
    limit = SHIFT_MAX_LAGS if backend == "cpu" else SHIFT_MAX_LAGS_ACCELERATOR
    return "shift" if n_lags <= limit else "fft"


def _lagged(x: Float[Array, " time"], n_lags: int) -> list[Float[Array, " time"]]:
    """``x`` delayed by ``0, ..., n_lags - 1`` periods (0 before the series starts)."""
    n = x.shape[0]
    padded = jnp.pad(x, (n_lags - 1, 0))
    return [padded[n_lags - 1 - lag : n_lags - 1 - lag + n] for lag in range(n_lags)]


def _shifted_sum(x: Float[Array, " time"], w: Float[Array, " lag"]) -> Float[Array, " time"]:
    shifted = _lagged(x, w.shape[0])
    y = w[0] * shifted[0]
    for lag in range(1, w.shape[0]):
        y = y + w[lag] * shifted[lag]
    return y


def _lag_matrix(x: Float[Array, " time"], n_lags: int) -> Float[Array, "time lag"]:
    """``m[t, l] = x[t - l]`` (0 before the series starts)."""
    return jnp.stack(_lagged(x, n_lags), axis=1)


@jax.custom_jvp
def _shift(x: Float[Array, " time"], w: Float[Array, " lag"]) -> Float[Array, " time"]:
    return _shifted_sum(x, w)


@_shift.defjvp
def _shift_jvp(primals: tuple[Array, Array], tangents: tuple[Array, Array]) -> tuple[Array, Array]:
    """The same derivative, written so that the weights' part is one matrix product.

    ``y`` is linear in ``x`` and in ``w``: ``dy = shift(dx, w) + M(x) dw`` with ``M(x)`` the
    ``(time, lag)`` lag matrix of ``x``. Reverse mode transposes ``M(x) dw`` into one
    product ``M(x)^T g`` where the plain shifted sum transposes into ``L`` slices, pads
    and reductions: on 2 CPU cores the sampler's leapfrog step (the gradient with respect
    to the adstock parameters, ``x`` being data) ran 12-16% faster. The forward pass
    is the shifted sum either way, so nothing of size ``time x lag`` is built outside a
    derivative.
    """
    x, w = primals
    dx, dw = tangents
    y = _shifted_sum(x, w)
    dy = _shifted_sum(dx, w) + _lag_matrix(x, w.shape[0]) @ dw
    return y, dy


def _fft(x: Float[Array, " time"], w: Float[Array, " lag"]) -> Float[Array, " time"]:
    n, n_lags = x.shape[0], w.shape[0]
    size = 1 << (n + n_lags - 2).bit_length()  # power of two >= n + L - 1: no wrap-around
    spectrum = jnp.fft.rfft(x, size) * jnp.fft.rfft(w, size)
    y = jnp.fft.irfft(spectrum, size)[:n].astype(x.dtype)
    # Number of non-zero x in the window (t - L, t], counted exactly in integers.
    seen = jnp.cumsum(x != 0, dtype=jnp.int32)
    in_window = seen - jnp.pad(seen, (n_lags, 0))[:n]
    # Exactly 0 where the window is empty, keeping the (linear) gradient of the FFT path.
    return jnp.where(in_window > 0, y, y - jax.lax.stop_gradient(y))


_KERNELS: dict[str, Callable[[Array, Array], Array]] = {"shift": _shift, "fft": _fft}


@functools.partial(jax.jit, static_argnames=("method",))
def convolve_lags(
    x: Float[ArrayLike, " time"],
    weights: Float[ArrayLike, " lag"],
    method: ConvolveMethod = "auto",
) -> Float[Array, " time"]:
    r"""Causal lag sum of one series with a weight vector (any number of lags).

    .. math:: y_t = \sum_{l=0}^{L-1} w_l \, x_{t-l}, \qquad x_{t} = 0 \text{ for } t < 0.

    Computed in the dtype of ``x`` by shifted sums for ``L <= 16`` lags and by zero-padded
    FFTs above (``method="auto"``); the two agree to rounding, the FFT's being relative to
    ``max |y|`` (see :mod:`mmm.features._convolve`). Lags beyond the series (``L > T``)
    contribute nothing.

    Args:
        x: one series, shape ``(time,)``.
        weights: lag weights, shape ``(lag,)`` with ``lag >= 1``; ``weights[0]`` applies to
            the current period.
        method: ``"auto"`` (by the static number of lags), ``"shift"`` or ``"fft"`` (static).

    Returns:
        The lag sum, shape ``(time,)``, in the floating dtype of ``x``.

    Raises:
        ValueError: if ``x`` or ``weights`` is not one-dimensional, ``weights`` is empty
            or ``method`` is not one of the three names.

    Examples:
        >>> convolve_lags(jnp.array([1.0, 2.0, 0.0]), jnp.array([1.0, 0.5]))
        Array([1. , 2.5, 1. ], dtype=float32)
        >>> y = convolve_lags(jnp.array([1.0, 2.0, 0.0]), jnp.array([1.0, 0.5]), method="fft")
        >>> jnp.round(y, 5)
        Array([1. , 2.5, 1. ], dtype=float32)
    """
    if method not in _METHODS:
        raise ValueError(f"method={method!r} is not valid: pass one of {_METHODS}")
    x = jnp.asarray(x)
    x = x.astype(jnp.result_type(x.dtype, float))
    w = jnp.asarray(weights, dtype=x.dtype)
    if x.ndim != 1 or w.ndim != 1 or w.shape[0] == 0:
        raise ValueError(
            f"x has shape {x.shape} and weights shape {w.shape}: both must be one-dimensional "
            "and weights non-empty; map over channels with jax.vmap"
        )
    chosen = choose_method(w.shape[0]) if method == "auto" else method
    return _KERNELS[chosen](x, w)
