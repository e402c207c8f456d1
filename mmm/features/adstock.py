r"""Adstock (carry-over) transforms of one media series.

Every function maps one series ``x: Float[Array, " time"]`` to a series of the same length,

.. math:: y_t = \sum_{l=0}^{L-1} w_l \, x_{t-l}, \qquad x_{t} = 0 \text{ for } t < 0,

with lag weights ``w`` from the family's scalar parameters and ``L = l_max`` lags. With
``normalize=True`` the weights are divided by their sum, so a unit impulse yields total
response 1 (the spend is redistributed over time, not scaled). The lag ``l = 0`` is the
current period, as in pymc-marketing's ``geometric_adstock`` with ``mode=After``.

``l_max`` and ``normalize`` decide shapes and code paths, so they are static Python values;
the parameters are (traced) scalars. Add channels, draws or chains with :func:`jax.vmap`.
The functions are jitted (compiled once per shape and static arguments) and inline into an
enclosing ``jit``, ``vmap`` or ``grad``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

__all__ = ["geometric", "delayed", "convolve_lags"]


def _check_static(x: Float[Array, " time"], l_max: int) -> None:
    if isinstance(l_max, bool) or not isinstance(l_max, int) or l_max < 1:
        raise ValueError(f"l_max={l_max!r} is not valid: pass a Python int >= 1 (static)")
    if x.ndim != 1:
        raise ValueError(
            f"x has shape {x.shape}: adstock transforms take one series of shape (time,); "
            "map over channels, draws or chains with jax.vmap"
        )


def _check_scalar(name: str, value: Float[ArrayLike, ""]) -> None:
    if jnp.ndim(value) != 0:
        raise ValueError(
            f"{name} has shape {jnp.shape(value)}: pass a scalar per series and map over "
            "channels with jax.vmap"
        )


def _as_float(x: Float[ArrayLike, " time"]) -> Float[Array, " time"]:
    x = jnp.asarray(x)
    return x.astype(jnp.result_type(x.dtype, float))


@jax.jit
def convolve_lags(
    x: Float[ArrayLike, " time"], weights: Float[ArrayLike, " lag"]
) -> Float[Array, " time"]:
    r"""Causal lag sum of one series with a short weight vector.

    .. math:: y_t = \sum_{l=0}^{L-1} w_l \, x_{t-l}, \qquad x_{t} = 0 \text{ for } t < 0.

    Computed as an exact sum of shifted copies (a static loop over the ``L`` lags), in the
    dtype of ``x``; no FFT and no reduced-precision convolution.

    Args:
        x: one series, shape ``(time,)``.
        weights: lag weights, shape ``(lag,)``; ``weights[0]`` applies to the current period.

    Returns:
        The lag sum, shape ``(time,)``.

    Raises:
        ValueError: if ``x`` or ``weights`` is not one-dimensional.

    Examples:
        >>> convolve_lags(jnp.array([1.0, 2.0, 0.0]), jnp.array([1.0, 0.5]))
        Array([1. , 2.5, 1. ], dtype=float32)
    """
    x = _as_float(x)
    w = jnp.asarray(weights, dtype=x.dtype)
    if x.ndim != 1 or w.ndim != 1:
        raise ValueError(
            f"x has shape {x.shape} and weights shape {w.shape}: both must be one-dimensional; "
            "map over channels with jax.vmap"
        )
    n = x.shape[0]
    y = w[0] * x
    for lag in range(1, w.shape[0]):
        y = y + w[lag] * jnp.pad(x, (lag, 0))[:n]
    return y


def _normalized(w: Float[Array, " lag"]) -> Float[Array, " lag"]:
    total = jnp.sum(w)
    # All-zero weights can only arise at a degenerate parameter (e.g. delayed alpha = 0 with
    # a non-integer theta); keep them zero instead of producing 0 / 0.
    safe = jnp.where(total > 0, total, jnp.ones_like(total))
    return w / safe


@functools.partial(jax.jit, static_argnames=("l_max", "normalize"))
def geometric(
    x: Float[ArrayLike, " time"],
    alpha: Float[ArrayLike, ""],
    *,
    l_max: int = 8,
    normalize: bool = False,
) -> Float[Array, " time"]:
    r"""Geometric adstock: each period keeps a share ``alpha`` of the previous one's effect.

    .. math:: y_t = \sum_{l=0}^{L-1} w_l \, x_{t-l}, \qquad w_l = \alpha^l

    (divided by :math:`\sum_l w_l` when ``normalize``). ``alpha = 0`` is the identity.
    The weights are built by repeated multiplication, so gradients are finite at
    ``alpha = 0`` (where ``alpha ** l`` would give NaN).

    Args:
        x: one series, shape ``(time,)``, typically spend >= 0.
        alpha: retention rate, scalar in ``[0, 1)`` (``1`` is allowed but never decays).
        l_max: number of lags ``L >= 1``, including the current period (static).
        normalize: divide the weights by their sum (static).

    Returns:
        The adstocked series, shape ``(time,)``.

    Raises:
        ValueError: if ``x`` is not one-dimensional, ``alpha`` is not a scalar or ``l_max``
            is not an int >= 1.

    Examples:
        >>> geometric(jnp.array([1.0, 0.0, 0.0, 0.0]), 0.5, l_max=3)
        Array([1.  , 0.5 , 0.25, 0.  ], dtype=float32)
        >>> geometric(jnp.array([1.0, 0.0]), 1.0, l_max=2, normalize=True)
        Array([0.5, 0.5], dtype=float32)
    """
    x = _as_float(x)
    _check_static(x, l_max)
    _check_scalar("alpha", alpha)
    a = jnp.asarray(alpha, dtype=x.dtype)
    powers = [jnp.ones_like(a)]
    for _ in range(1, l_max):
        powers.append(powers[-1] * a)
    w = jnp.stack(powers)
    if normalize:
        w = _normalized(w)
    return convolve_lags(x, w)


@functools.partial(jax.jit, static_argnames=("l_max", "normalize"))
def delayed(
    x: Float[ArrayLike, " time"],
    alpha: Float[ArrayLike, ""],
    theta: Float[ArrayLike, ""],
    *,
    l_max: int = 8,
    normalize: bool = False,
) -> Float[Array, " time"]:
    r"""Delayed adstock: the effect peaks ``theta`` periods after the spend.

    .. math:: y_t = \sum_{l=0}^{L-1} w_l \, x_{t-l}, \qquad w_l = \alpha^{(l - \theta)^2}

    (divided by :math:`\sum_l w_l` when ``normalize``). ``alpha ** p`` is computed as
    ``exp(p * log(alpha))`` for ``alpha > 0``; at ``alpha = 0`` the weights take their limit
    (1 at a lag equal to ``theta``, else 0) and the gradients are zero, never NaN.

    Args:
        x: one series, shape ``(time,)``, typically spend >= 0.
        alpha: retention rate, scalar in ``(0, 1)`` (``0`` is handled as a limit).
        theta: delay of the peak in periods, scalar in ``[0, l_max - 1]``.
        l_max: number of lags ``L >= 1``, including the current period (static).
        normalize: divide the weights by their sum (static); weights that are all zero
            (only at ``alpha = 0`` with ``theta`` off the lag grid) stay zero.

    Returns:
        The adstocked series, shape ``(time,)``.

    Raises:
        ValueError: if ``x`` is not one-dimensional, ``alpha`` or ``theta`` is not a
            scalar, or ``l_max`` is not an int >= 1.

    Examples:
        >>> delayed(jnp.array([1.0, 0.0, 0.0]), 0.5, 1.0, l_max=3)
        Array([0.5, 1. , 0.5], dtype=float32)
    """
    x = _as_float(x)
    _check_static(x, l_max)
    _check_scalar("alpha", alpha)
    _check_scalar("theta", theta)
    a = jnp.asarray(alpha, dtype=x.dtype)
    th = jnp.asarray(theta, dtype=x.dtype)
    p = (jnp.arange(l_max, dtype=x.dtype) - th) ** 2
    positive = a > 0
    log_a = jnp.log(jnp.where(positive, a, jnp.ones_like(a)))
    limit = jnp.where(p == 0, jnp.ones_like(p), jnp.zeros_like(p))
    w = jnp.where(positive, jnp.exp(p * log_a), limit)
    if normalize:
        w = _normalized(w)
    return convolve_lags(x, w)
