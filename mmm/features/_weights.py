r"""Lag weights of the adstock families: ``(l_max,)`` decay curves from scalar parameters.

Each function returns the weights ``w_0, ..., w_{L-1}`` (``L = l_max``, ``w_0`` for the
current period) that :func:`mmm.features.adstock.convolve_lags` applies, so that every adstock
is ``convolve_lags(x, <family>_weights(...))``. With ``normalize=True`` the weights are
divided by their sum (a unit impulse then has total response 1). They are public so that
decay curves can be plotted and priors checked without a series.

``l_max`` and ``normalize`` decide shapes and code paths and are static; the parameters are
(traced) scalars, so the functions vmap over parameter draws. The weights take the floating
dtype of the parameters (float32 unless x64 is enabled and a parameter is float64).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

__all__ = ["geometric_weights", "delayed_weights", "weibull_cdf_weights", "weibull_pdf_weights"]

# Exponents of ``exp`` are clipped here: e**60 ~ 1e26 is finite in float32 and, as a decay
# term ``exp(-e**60)``, already exactly 0, so clipping changes no value and keeps gradients
# finite (no ``0 * inf``).
_MAX_EXPONENT = 60.0


def check_l_max(l_max: int) -> None:
    """Raise a ValueError unless ``l_max`` is a Python int >= 1."""
    if isinstance(l_max, bool) or not isinstance(l_max, int) or l_max < 1:
        raise ValueError(f"l_max={l_max!r} is not valid: pass a Python int >= 1 (static)")


def check_scalar(name: str, value: Float[ArrayLike, ""]) -> None:
    """Raise a ValueError unless ``value`` is a scalar (0-d)."""
    if jnp.ndim(value) != 0:
        raise ValueError(
            f"{name} has shape {jnp.shape(value)}: pass a scalar per series and map over "
            "channels with jax.vmap"
        )


def _params(**params: Float[ArrayLike, ""]) -> list[Float[Array, ""]]:
    for name, value in params.items():
        check_scalar(name, value)
    arrays = [jnp.asarray(v) for v in params.values()]
    dtype = jnp.result_type(*arrays, float)
    return [a.astype(dtype) for a in arrays]


def _normalized(w: Float[Array, " lag"]) -> Float[Array, " lag"]:
    total = jnp.sum(w)
    # All-zero weights only arise at a degenerate parameter (e.g. delayed alpha = 0 with a
    # non-integer theta); keep them zero instead of producing 0 / 0.
    safe = jnp.where(total > 0, total, jnp.ones_like(total))
    return w / safe


def _finish(w: Float[Array, " lag"], normalize: bool) -> Float[Array, " lag"]:
    return _normalized(w) if normalize else w


@functools.partial(jax.jit, static_argnames=("l_max", "normalize"))
def geometric_weights(
    alpha: Float[ArrayLike, ""], l_max: int, normalize: bool = False
) -> Float[Array, " lag"]:
    r"""Geometric decay weights :math:`w_l = \alpha^l`, ``l = 0, ..., l_max - 1``.

    The powers are built by repeated squaring and products, never ``exp(l * log(alpha))``,
    so the value and gradient are exact at ``alpha = 0`` (weights ``(1, 0, ..., 0)``,
    derivative ``1`` for ``w_1`` and ``0`` for the others).

    Args:
        alpha: retention rate, scalar in ``[0, 1)`` (``1`` is allowed but never decays).
        l_max: number of lags ``L >= 1``, including the current period (static).
        normalize: divide the weights by their sum (static).

    Returns:
        The weights, shape ``(l_max,)``.

    Raises:
        ValueError: if ``alpha`` is not a scalar or ``l_max`` is not an int >= 1.

    Examples:
        >>> geometric_weights(0.5, 4)
        Array([1.   , 0.5  , 0.25 , 0.125], dtype=float32)
        >>> geometric_weights(0.5, 2, normalize=True)
        Array([0.6666667 , 0.33333334], dtype=float32)
    """
    check_l_max(l_max)
    (a,) = _params(alpha=alpha)
    # Doubling: powers[0:m] -> powers[0:2m] = (powers, powers * a**m); log2(L) products.
    w = jnp.ones((1,), dtype=a.dtype)
    a_pow = a
    while w.shape[0] < l_max:
        w = jnp.concatenate([w, w * a_pow])
        a_pow = a_pow * a_pow
    return _finish(w[:l_max], normalize)


@functools.partial(jax.jit, static_argnames=("l_max", "normalize"))
def delayed_weights(
    alpha: Float[ArrayLike, ""],
    theta: Float[ArrayLike, ""],
    l_max: int,
    normalize: bool = False,
) -> Float[Array, " lag"]:
    r"""Delayed (Jin et al. 2017) weights :math:`w_l = \alpha^{(l - \theta)^2}`.

    The weights peak at the lag nearest ``theta``. ``alpha ** p`` is computed as
    ``exp(p * log(alpha))`` for ``alpha > 0``; at ``alpha = 0`` the weights take their limit
    (1 at a lag equal to ``theta``, else 0) with zero gradients, never NaN.

    Args:
        alpha: retention rate, scalar in ``(0, 1)`` (``0`` is handled as a limit).
        theta: delay of the peak in periods, scalar in ``[0, l_max - 1]``.
        l_max: number of lags ``L >= 1``, including the current period (static).
        normalize: divide the weights by their sum (static); weights that are all zero
            (only at ``alpha = 0`` with ``theta`` off the lag grid) stay zero.

    Returns:
        The weights, shape ``(l_max,)``.

    Raises:
        ValueError: if ``alpha`` or ``theta`` is not a scalar or ``l_max`` is not an
            int >= 1.

    Examples:
        >>> delayed_weights(0.5, 1.0, 4)
        Array([0.5   , 1.    , 0.5   , 0.0625], dtype=float32)
    """
    check_l_max(l_max)
    a, th = _params(alpha=alpha, theta=theta)
    p = (jnp.arange(l_max, dtype=a.dtype) - th) ** 2
    positive = a > 0
    log_a = jnp.log(jnp.where(positive, a, jnp.ones_like(a)))
    limit = jnp.where(p == 0, jnp.ones_like(p), jnp.zeros_like(p))
    w = jnp.where(positive, jnp.exp(p * log_a), limit)
    return _finish(w, normalize)


def weibull_lambda(scale: Float[Array, ""], l_max: int) -> Float[Array, ""]:
    """Robyn's lag scale without rounding: ``1 + scale * (l_max - 1)``."""
    return 1.0 + scale * (l_max - 1)


def _weibull_power(
    t: Float[Array, " lag"], shape: Float[Array, ""], lam: Float[Array, ""]
) -> Float[Array, " lag"]:
    """``(t / lam) ** shape`` for ``t >= 1``, ``lam > 0``, clipped at ``e**60``."""
    exponent = shape * (jnp.log(t) - jnp.log(lam))
    return jnp.exp(jnp.minimum(exponent, _MAX_EXPONENT))


@functools.partial(jax.jit, static_argnames=("l_max", "normalize"))
def weibull_cdf_weights(
    shape: Float[ArrayLike, ""],
    scale: Float[ArrayLike, ""],
    l_max: int,
    normalize: bool = False,
) -> Float[Array, " lag"]:
    r"""Weibull-CDF weights as in Robyn: a cumulative product of Weibull survival rates.

    .. math:: w_0 = 1, \qquad
        w_l = \prod_{j=1}^{l} \big(1 - F(j)\big)
            = \exp\Big(-\sum_{j=1}^{l} (j / \lambda)^{k}\Big), \qquad
        \lambda = 1 + \mathrm{scale} \, (L - 1),

    with ``F`` the Weibull CDF of shape ``k`` and scale ``lambda`` (in lags). This is Robyn's
    ``adstock_weibull(type = "cdf")`` (``thetaVecCum``) with ``windlen = l_max``, except that
    Robyn rounds ``lambda = quantile(1:windlen, scale)`` to an integer and this function does
    not, so the weights are differentiable in ``scale``; they coincide with Robyn's wherever
    ``1 + scale * (l_max - 1)`` is an integer. Robyn's model calls it with
    ``windlen = length(x)``, i.e. ``l_max = T`` here; with a shorter ``l_max`` the same
    ``scale`` means a shorter ``lambda``. Robyn returns all-zero weights for ``shape = 0``
    (and, in later versions, the unadstocked series for ``scale = 0``); here ``shape`` must
    be positive and ``scale = 0`` means ``lambda = 1``.

    Args:
        shape: Weibull shape ``k``, scalar > 0 (Robyn suggests ``[0.0001, 2]``); larger is
            more S-shaped, smaller more L-shaped.
        scale: relative scale, scalar in ``[0, 1]`` (Robyn suggests ``[0, 0.1]``); the
            Weibull scale is ``lambda = 1 + scale * (l_max - 1)`` lags.
        l_max: number of lags ``L >= 1``, including the current period (static); Robyn's
            ``windlen``.
        normalize: divide the weights by their sum (static).

    Returns:
        The weights, shape ``(l_max,)``, non-increasing from ``w_0 = 1`` (before
        ``normalize``).

    Raises:
        ValueError: if a parameter is not a scalar or ``l_max`` is not an int >= 1.

    Examples:
        >>> weibull_cdf_weights(1.0, 0.5, 3)  # lambda = 2: w = (1, e^-0.5, e^-1.5)
        Array([1.        , 0.60653067, 0.22313017], dtype=float32)
    """
    check_l_max(l_max)
    k, s = _params(shape=shape, scale=scale)
    lam = weibull_lambda(s, l_max)
    j = jnp.arange(1, l_max, dtype=k.dtype)
    hazard = jnp.cumsum(_weibull_power(j, k, lam))
    w = jnp.concatenate([jnp.ones((1,), dtype=k.dtype), jnp.exp(-hazard)])
    return _finish(w, normalize)


@functools.partial(jax.jit, static_argnames=("l_max", "normalize"))
def weibull_pdf_weights(
    shape: Float[ArrayLike, ""],
    scale: Float[ArrayLike, ""],
    l_max: int,
    normalize: bool = False,
) -> Float[Array, " lag"]:
    r"""Weibull-PDF weights as in Robyn: the density at lags ``1..L``, min-max scaled.

    .. math:: d_l = f(l + 1), \qquad
        w_l = \frac{d_l - \min_j d_j}{\max_j d_j - \min_j d_j}, \qquad
        \lambda = 1 + \mathrm{scale} \, (L - 1),

    with ``f`` the Weibull density of shape ``k`` and scale ``lambda`` (in lags), evaluated
    at ``1, ..., L`` for lags ``0, ..., L - 1``; if all ``d_l`` are equal (e.g. ``L = 1``) the
    weights are ``(1, 0, ..., 0)``. So the largest weight is 1 and the smallest is 0. This is
    Robyn's ``adstock_weibull(type = "pdf")`` (``thetaVecCum``, its ``.normalize`` being the
    min-max scaling) with ``windlen = l_max``, except that Robyn rounds
    ``lambda = quantile(1:windlen, scale)`` to an integer and this function does not, so the
    weights are differentiable in ``scale``; they coincide wherever
    ``1 + scale * (l_max - 1)`` is an integer (Robyn's model uses ``windlen = length(x)``,
    i.e. ``l_max = T``; shape and scale 0 are special-cased there, excluded here). The
    density is evaluated in log space relative to its maximum (constants cancel in the
    min-max scaling), so it never underflows to all-zero. ``shape > 1`` puts the peak after
    the current period (a lagged effect).

    Args:
        shape: Weibull shape ``k``, scalar > 0 (Robyn suggests ``[0.0001, 10]``; above 2 for
            a strong lag).
        scale: relative scale, scalar in ``[0, 1]`` (Robyn suggests ``[0, 0.1]``); the
            Weibull scale is ``lambda = 1 + scale * (l_max - 1)`` lags.
        l_max: number of lags ``L >= 1``, including the current period (static); Robyn's
            ``windlen``.
        normalize: divide the weights by their sum (static), after the min-max scaling.

    Returns:
        The weights, shape ``(l_max,)``, in ``[0, 1]`` (before ``normalize``).

    Raises:
        ValueError: if a parameter is not a scalar or ``l_max`` is not an int >= 1.

    Examples:
        >>> w = weibull_pdf_weights(2.0, 0.5, 5)  # lambda = 3: peak at lag 1 (density at 2)
        >>> [round(v, 3) for v in w.tolist()]
        [0.601, 1.0, 0.816, 0.376, 0.0]
    """
    check_l_max(l_max)
    k, s = _params(shape=shape, scale=scale)
    lam = weibull_lambda(s, l_max)
    t = jnp.arange(1, l_max + 1, dtype=k.dtype)
    # log f(t) = log(k / lam) + (k - 1) log(t / lam) - (t / lam)^k; the terms that do not
    # depend on t cancel in the min-max scaling.
    log_d = (k - 1.0) * jnp.log(t) - _weibull_power(t, k, lam)
    r = jnp.exp(log_d - jnp.max(log_d))  # d / max(d), in (0, 1]
    low = jnp.min(r)
    spread = 1.0 - low
    flat = spread <= 0
    w = (r - low) / jnp.where(flat, jnp.ones_like(spread), spread)
    w = jnp.where(flat, jnp.zeros_like(w).at[0].set(1.0), w)
    return _finish(w, normalize)
