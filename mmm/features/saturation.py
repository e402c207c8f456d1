"""Saturation (diminishing returns) transforms of one media series.

Every function maps a series ``x: Float[Array, " time"]`` of non-negative (adstocked,
scaled) spend elementwise to a response in ``[0, 1]``: zero at zero, non-decreasing,
bounded by one. Parameters are (traced) scalars; add channels, draws or chains with
:func:`jax.vmap`. The functions are jitted and inline into an enclosing transformation.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

__all__ = ["hill", "logistic"]


def _as_float(x: Float[ArrayLike, " time"]) -> Float[Array, " time"]:
    x = jnp.asarray(x)
    return x.astype(jnp.result_type(x.dtype, float))


def _check_scalar(name: str, value: Float[ArrayLike, ""]) -> None:
    if jnp.ndim(value) != 0:
        raise ValueError(
            f"{name} has shape {jnp.shape(value)}: pass a scalar per series and map over "
            "channels with jax.vmap"
        )


@jax.jit
def hill(
    x: Float[ArrayLike, " time"], k: Float[ArrayLike, ""], s: Float[ArrayLike, ""]
) -> Float[Array, " time"]:
    r"""Hill saturation: an S-shaped (``s > 1``) or concave (``s <= 1``) response.

    .. math:: h(x) = \frac{x^s}{x^s + k^s} = \sigma\big(s (\log x - \log k)\big),
        \qquad h(0) = 0,

    with :math:`\sigma` the logistic sigmoid. The sigmoid form never overflows for large
    ``x`` and never evaluates ``0 ** s``. At ``x = 0`` the value is exactly 0 and the
    derivatives are those at the smallest positive float: finite for every ``s > 0``
    (``1 / k`` in ``x`` for ``s = 1``, ~0 for ``s > 1``, large for ``s < 1`` where the
    true one-sided derivative is infinite), and ~0 in ``k`` and ``s``.

    Args:
        x: one series, shape ``(time,)``, values >= 0.
        k: half-saturation point (``h(k) = 1/2``), scalar > 0, in the units of ``x``.
        s: shape (slope), scalar > 0.

    Returns:
        The response, shape ``(time,)``, in ``[0, 1]``.

    Raises:
        ValueError: if ``k`` or ``s`` is not a scalar.

    Examples:
        >>> hill(jnp.array([0.0, 1.0, 3.0]), 1.0, 2.0)
        Array([0. , 0.5, 0.9], dtype=float32)
    """
    x = _as_float(x)
    _check_scalar("k", k)
    _check_scalar("s", s)
    k = jnp.asarray(k, dtype=x.dtype)
    s = jnp.asarray(s, dtype=x.dtype)
    # x + tiny equals x for every x that is not itself ~1e-38, and keeps log() finite at 0.
    shifted = jax.nn.sigmoid(s * (jnp.log(x + jnp.finfo(x.dtype).tiny) - jnp.log(k)))
    # Subtract the shifted value at x = 0 without touching the gradient: exact 0 at 0.
    at_zero = jnp.where(x > 0, jnp.zeros_like(shifted), shifted)
    return shifted - jax.lax.stop_gradient(at_zero)


@jax.jit
def logistic(x: Float[ArrayLike, " time"], lam: Float[ArrayLike, ""]) -> Float[Array, " time"]:
    r"""Logistic saturation: a concave response with rate ``lam``.

    .. math:: f(x) = \frac{1 - e^{-\lambda x}}{1 + e^{-\lambda x}}
        = \tanh\left(\frac{\lambda x}{2}\right),

    computed as the ``tanh`` (no overflow for large ``x``, smooth everywhere).

    Args:
        x: one series, shape ``(time,)``, values >= 0.
        lam: rate, scalar > 0, in inverse units of ``x``.

    Returns:
        The response, shape ``(time,)``, in ``[0, 1]``.

    Raises:
        ValueError: if ``lam`` is not a scalar.

    Examples:
        >>> logistic(jnp.array([0.0, 1.0]), 2.0)
        Array([0.       , 0.7615942], dtype=float32)
    """
    x = _as_float(x)
    _check_scalar("lam", lam)
    lam = jnp.asarray(lam, dtype=x.dtype)
    return jnp.tanh(0.5 * lam * x)
