r"""Saturation (diminishing returns) transforms of one media series.

Every function maps a series ``x: Float[Array, " time"]`` of non-negative (adstocked,
scaled) spend elementwise to a response that is 0 at 0 and non-decreasing. They carry shape
only: a coefficient in the model carries the amplitude.

* :func:`hill`: :math:`x^s / (x^s + k^s)`, ``k > 0``, ``s > 0``; in ``[0, 1]``.
* :func:`logistic`: :math:`(1 - e^{-\lambda x}) / (1 + e^{-\lambda x})`, ``lam > 0``; in
  ``[0, 1]``.
* :func:`michaelis_menten`: :math:`x / (k + x)`, ``k > 0``; in ``[0, 1]``.
* :func:`tanh`: :math:`\tanh(x / c)`, ``c > 0``; in ``[0, 1]``.
* :func:`power`: :math:`x^p`, ``p`` in ``(0, 1]``; in ``[0, inf)``, unbounded.

The forms are chosen so that float32 and float64 never overflow (no ``exp`` of a large
value) and gradients are finite everywhere a sampler can go, including ``x = 0`` and
extreme parameters; where a one-sided derivative at ``x = 0`` is infinite (``hill`` with
``s < 1``, ``power`` with ``p < 1``) the function documents the finite value it uses.
Parameters are (traced) scalars; add channels, draws or chains with :func:`jax.vmap`. The
functions are jitted and inline into an enclosing transformation.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

__all__ = ["hill", "logistic", "michaelis_menten", "tanh", "power"]


def _as_float(x: Float[ArrayLike, " time"]) -> Float[Array, " time"]:
    x = jnp.asarray(x)
    return x.astype(jnp.result_type(x.dtype, float))


def _scalar(name: str, value: Float[ArrayLike, ""], x: Float[Array, " time"]) -> Float[Array, ""]:
    if jnp.ndim(value) != 0:
        raise ValueError(
            f"{name} has shape {jnp.shape(value)}: pass a scalar per series and map over "
            "channels with jax.vmap"
        )
    return jnp.asarray(value, dtype=x.dtype)


def _slope_at_zero(x: Float[Array, " time"], slope: Float[Array, ""]) -> Float[Array, " time"]:
    """Zero in value, with derivative ``slope`` in ``x`` where ``x == 0`` (else 0)."""
    offset = x - jax.lax.stop_gradient(x)
    return offset * jnp.where(x > 0, jnp.zeros_like(x), slope)


def _hill_parts(
    x: Float[Array, " time"], k: Float[Array, ""], s: Float[Array, ""]
) -> tuple[Float[Array, " time"], Float[Array, " time"], Float[Array, " time"]]:
    """``(h, log(x / k), x > 0)`` with ``log(x / k) = 0`` where ``x == 0``."""
    positive = x > 0
    log_ratio = jnp.where(positive, jnp.log(jnp.where(positive, x, k)) - jnp.log(k), 0.0)
    h = jnp.where(positive, jax.nn.sigmoid(s * log_ratio), 0.0)
    return h, log_ratio, positive


@jax.custom_jvp
def _hill(
    x: Float[Array, " time"], k: Float[Array, ""], s: Float[Array, ""]
) -> Float[Array, " time"]:
    return _hill_parts(x, k, s)[0]


@_hill.defjvp
def _hill_jvp(
    primals: tuple[Array, Array, Array], tangents: tuple[Array, Array, Array]
) -> tuple[Array, Array]:
    x, k, s = primals
    dx, dk, ds = tangents
    h, log_ratio, positive = _hill_parts(x, k, s)
    u = h * (1.0 - h)  # sigma'(z) for z = s log(x / k); exactly 0 where x == 0
    # d/dx at x == 0: h'(tiny) = s h (1 - h) / tiny, in log space: finite for every s > 0.
    tiny = jnp.finfo(x.dtype).tiny
    z = s * (jnp.log(tiny) - jnp.log(k))
    log_slope = jax.nn.log_sigmoid(z) + jax.nn.log_sigmoid(-z) - jnp.log(tiny)
    slope0 = s * jnp.exp(jnp.minimum(log_slope, jnp.log(jnp.finfo(x.dtype).max / 4)))
    dh_dx = jnp.where(positive, s * u / jnp.where(positive, x, 1.0), slope0)
    return h, dh_dx * dx + u * (log_ratio * ds - (s / k) * dk)


@jax.jit
def hill(
    x: Float[ArrayLike, " time"], k: Float[ArrayLike, ""], s: Float[ArrayLike, ""]
) -> Float[Array, " time"]:
    r"""Hill saturation: an S-shaped (``s > 1``) or concave (``s <= 1``) response.

    .. math:: h(x) = \frac{x^s}{x^s + k^s} = \sigma\big(s (\log x - \log k)\big),
        \qquad h(0) = 0,

    with :math:`\sigma` the logistic sigmoid, which never overflows for large ``x``. The
    derivatives are a hand-written JVP (:func:`jax.custom_jvp`, itself differentiable, so
    Hessians work), :math:`\partial_x h = s\,u / x`, :math:`\partial_k h = -s\,u / k`,
    :math:`\partial_s h = u \log(x / k)` with :math:`u = h (1 - h)`, so the forward pass
    costs one ``log`` and one ``exp`` per element and nothing else. At ``x = 0`` the value is
    exactly 0, the derivatives in ``k`` and ``s`` are exactly 0 (their limits), and the
    derivative in ``x`` is the one at the smallest positive normal float ``tiny``: the true
    one-sided derivative where it is finite (``1 / k`` for ``s = 1``, ~0 for ``s > 1``) and
    a large finite value for ``s < 1``, where it is infinite.

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
    return _hill(x, _scalar("k", k, x), _scalar("s", s, x))


@jax.jit
def logistic(x: Float[ArrayLike, " time"], lam: Float[ArrayLike, ""]) -> Float[Array, " time"]:
    r"""Logistic saturation: a concave response with rate ``lam``.

    .. math:: f(x) = \frac{1 - e^{-\lambda x}}{1 + e^{-\lambda x}}
        = \tanh\left(\frac{\lambda x}{2}\right),

    computed as the ``tanh`` (no overflow for large ``x``, smooth everywhere; derivative
    ``lam / 2`` in ``x`` at 0).

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
    lam = _scalar("lam", lam, x)
    return jnp.tanh(0.5 * lam * x)


@jax.jit
def michaelis_menten(
    x: Float[ArrayLike, " time"], k: Float[ArrayLike, ""]
) -> Float[Array, " time"]:
    r"""Michaelis-Menten saturation: a concave response reaching half at ``k``.

    .. math:: f(x) = \frac{x}{k + x}, \qquad f'(0) = \frac{1}{k}.

    Hill with ``s = 1``; Robyn's ``mic_men`` with ``Vmax = 1`` (the coefficient carries
    ``Vmax``). Computed as ``x / (k + x)`` below ``k`` and ``1 - k / (k + x)`` above, so that
    the rounded values stay non-decreasing as they approach 1 (``x / (k + x)`` alone steps
    back by an ulp there) and keep full relative precision near 0.

    Args:
        x: one series, shape ``(time,)``, values >= 0.
        k: half-saturation point (``f(k) = 1/2``), scalar > 0, in the units of ``x``.

    Returns:
        The response, shape ``(time,)``, in ``[0, 1]``.

    Raises:
        ValueError: if ``k`` is not a scalar.

    Examples:
        >>> michaelis_menten(jnp.array([0.0, 1.0, 3.0]), 1.0)
        Array([0.  , 0.5 , 0.75], dtype=float32)
    """
    x = _as_float(x)
    k = _scalar("k", k, x)
    total = k + x
    return jnp.where(x < k, x / total, 1.0 - k / total)


@jax.jit
def tanh(x: Float[ArrayLike, " time"], c: Float[ArrayLike, ""]) -> Float[Array, " time"]:
    r"""Hyperbolic-tangent saturation with scale ``c``.

    .. math:: f(x) = \tanh\left(\frac{x}{c}\right), \qquad f'(0) = \frac{1}{c}.

    ``logistic`` with ``lam = 2 / c``. The argument is capped at 20, where ``tanh`` already
    rounds to 1 in float64, so the gradient in ``c`` stays finite (0) for ``x / c`` beyond
    any float.

    Args:
        x: one series, shape ``(time,)``, values >= 0.
        c: scale, scalar > 0, in the units of ``x`` (``f(c) = tanh(1) ~ 0.76``).

    Returns:
        The response, shape ``(time,)``, in ``[0, 1]``.

    Raises:
        ValueError: if ``c`` is not a scalar.

    Examples:
        >>> tanh(jnp.array([0.0, 1.0]), 2.0)
        Array([0.        , 0.46211717], dtype=float32)
    """
    x = _as_float(x)
    c = _scalar("c", c, x)
    return jnp.tanh(jnp.minimum(x / c, 20.0))


@jax.jit
def power(x: Float[ArrayLike, " time"], p: Float[ArrayLike, ""]) -> Float[Array, " time"]:
    r"""Power saturation: :math:`f(x) = x^p`, concave for ``p < 1``, unbounded.

    .. math:: f(x) = x^p = e^{p \log x}, \qquad f(0) = 0.

    Computed as ``exp(p * log(x))`` for ``x > 0`` and exactly 0 at ``x = 0``. Derivatives
    at ``x = 0``: in ``p``, exactly 0 (the limit of :math:`x^p \log x`); in ``x``, the one at
    ``x = eps`` (machine epsilon of the dtype), :math:`p \, \epsilon^{p - 1}`: exactly 1 for
    ``p = 1`` and, for ``p < 1`` where the true one-sided derivative is infinite, a finite
    value of at most ``1 / eps`` (8.4e6 in float32, 4.5e15 in float64).

    Args:
        x: one series, shape ``(time,)``, values >= 0.
        p: exponent, scalar in ``(0, 1]``.

    Returns:
        The response, shape ``(time,)``, in ``[0, inf)``; not bounded by 1.

    Raises:
        ValueError: if ``p`` is not a scalar.

    Examples:
        >>> power(jnp.array([0.0, 1.0, 4.0]), 0.5)
        Array([0., 1., 2.], dtype=float32)
    """
    x = _as_float(x)
    p = _scalar("p", p, x)
    positive = x > 0
    safe_x = jnp.where(positive, x, jnp.ones_like(x))
    y = jnp.where(positive, jnp.exp(p * jnp.log(safe_x)), 0.0)
    eps = jnp.finfo(x.dtype).eps
    slope = p * jnp.exp((p - 1.0) * jnp.log(eps))
    return y + _slope_at_zero(x, jax.lax.stop_gradient(slope))
