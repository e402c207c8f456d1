r"""Adstock (carry-over) transforms of one media series.

Every function maps one series ``x: Float[Array, " time"]`` to a series of the same length,

.. math:: y_t = \sum_{l=0}^{L-1} w_l \, x_{t-l}, \qquad x_{t} = 0 \text{ for } t < 0,

with lag weights ``w`` from the family's scalar parameters and ``L = l_max`` lags: each
``<family>(x, ...)`` is ``convolve_lags(x, <family>_weights(...))``. With ``normalize=True``
the weights are divided by their sum, so a unit impulse yields total response 1 (the spend
is redistributed over time, not scaled). The lag ``l = 0`` is the current period, as in
pymc-marketing's ``geometric_adstock`` with ``mode=After``.

* :func:`geometric`: :math:`w_l = \alpha^l`, ``alpha`` in ``[0, 1)``.
* :func:`delayed` (Jin et al. 2017): :math:`w_l = \alpha^{(l - \theta)^2}`, ``alpha`` in
  ``(0, 1)``, ``theta`` in ``[0, L - 1]``.
* :func:`weibull_cdf`: Robyn's Weibull-CDF decay, ``shape > 0``, ``scale`` in ``[0, 1]``.
* :func:`weibull_pdf`: Robyn's Weibull-PDF decay (a lagged peak), same parameters.

The weights alone, ``(l_max,)``, come from :func:`geometric_weights`,
:func:`delayed_weights`, :func:`weibull_cdf_weights` and :func:`weibull_pdf_weights` (to plot
decay curves or check priors).

``l_max`` and ``normalize`` decide shapes and code paths, so they are static Python values
(positional or keyword); the parameters are (traced) scalars. Add channels, draws or chains
with :func:`jax.vmap`. The functions are jitted (compiled once per shape, dtype and static
arguments, not per parameter value) and inline into an enclosing ``jit``, ``vmap`` or
``grad``. The lag sum uses exact shifted slices for ``l_max <= 16`` and FFTs above (see
:func:`convolve_lags`; ``method=`` forces either).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from mmm.features._convolve import ConvolveMethod, choose_method, convolve_lags
from mmm.features._weights import (
    check_l_max,
    delayed_weights,
    geometric_weights,
    weibull_cdf_weights,
    weibull_pdf_weights,
)

__all__ = [
    "geometric",
    "delayed",
    "weibull_cdf",
    "weibull_pdf",
    "geometric_weights",
    "delayed_weights",
    "weibull_cdf_weights",
    "weibull_pdf_weights",
    "convolve_lags",
    "choose_method",
    "ConvolveMethod",
]


def _series(x: Float[ArrayLike, " time"], l_max: int) -> Float[Array, " time"]:
    check_l_max(l_max)
    x = jnp.asarray(x)
    x = x.astype(jnp.result_type(x.dtype, float))
    if x.ndim != 1:
        raise ValueError(
            f"x has shape {x.shape}: adstock transforms take one series of shape (time,); "
            "map over channels, draws or chains with jax.vmap"
        )
    return x


def _cast(x: Float[Array, " time"], value: Float[ArrayLike, ""]) -> Float[ArrayLike, ""]:
    # Parameters follow the series' dtype; shapes are checked by the weight functions.
    return jnp.asarray(value, dtype=x.dtype) if jnp.ndim(value) == 0 else value


@functools.partial(jax.jit, static_argnames=("l_max", "normalize", "method"))
def geometric(
    x: Float[ArrayLike, " time"],
    alpha: Float[ArrayLike, ""],
    l_max: int = 8,
    normalize: bool = False,
    *,
    method: ConvolveMethod = "auto",
) -> Float[Array, " time"]:
    r"""Geometric adstock: each period keeps a share ``alpha`` of the previous one's effect.

    .. math:: y_t = \sum_{l=0}^{L-1} w_l \, x_{t-l}, \qquad w_l = \alpha^l

    (divided by :math:`\sum_l w_l` when ``normalize``); see :func:`geometric_weights`.
    ``alpha = 0`` is the identity, and gradients are exact (finite) at ``alpha = 0``.

    Args:
        x: one series, shape ``(time,)``, typically spend >= 0.
        alpha: retention rate, scalar in ``[0, 1)`` (``1`` is allowed but never decays).
        l_max: number of lags ``L >= 1``, including the current period (static).
        normalize: divide the weights by their sum (static).
        method: lag-sum strategy of :func:`convolve_lags` (static): ``"auto"`` (shifted
            sums for ``l_max <= 16``, FFTs above), ``"shift"`` or ``"fft"``.

    Returns:
        The adstocked series, shape ``(time,)``, in the floating dtype of ``x``.

    Raises:
        ValueError: if ``x`` is not one-dimensional, ``alpha`` is not a scalar or ``l_max``
            is not an int >= 1.

    Examples:
        >>> geometric(jnp.array([1.0, 0.0, 0.0, 0.0]), 0.5, l_max=3)
        Array([1.  , 0.5 , 0.25, 0.  ], dtype=float32)
        >>> geometric(jnp.array([1.0, 0.0]), 1.0, 2, True)
        Array([0.5, 0.5], dtype=float32)
    """
    x = _series(x, l_max)
    return convolve_lags(x, geometric_weights(_cast(x, alpha), l_max, normalize), method)


@functools.partial(jax.jit, static_argnames=("l_max", "normalize", "method"))
def delayed(
    x: Float[ArrayLike, " time"],
    alpha: Float[ArrayLike, ""],
    theta: Float[ArrayLike, ""],
    l_max: int = 8,
    normalize: bool = False,
    *,
    method: ConvolveMethod = "auto",
) -> Float[Array, " time"]:
    r"""Delayed adstock (Jin et al. 2017): the effect peaks ``theta`` periods after the spend.

    .. math:: y_t = \sum_{l=0}^{L-1} w_l \, x_{t-l}, \qquad w_l = \alpha^{(l - \theta)^2}

    (divided by :math:`\sum_l w_l` when ``normalize``); see :func:`delayed_weights`. At
    ``alpha = 0`` the weights take their limit (1 at a lag equal to ``theta``, else 0) and
    the gradients are zero, never NaN.

    Args:
        x: one series, shape ``(time,)``, typically spend >= 0.
        alpha: retention rate, scalar in ``(0, 1)`` (``0`` is handled as a limit).
        theta: delay of the peak in periods, scalar in ``[0, l_max - 1]``.
        l_max: number of lags ``L >= 1``, including the current period (static).
        normalize: divide the weights by their sum (static); weights that are all zero
            (only at ``alpha = 0`` with ``theta`` off the lag grid) stay zero.
        method: lag-sum strategy of :func:`convolve_lags` (static): ``"auto"`` (shifted
            sums for ``l_max <= 16``, FFTs above), ``"shift"`` or ``"fft"``.

    Returns:
        The adstocked series, shape ``(time,)``, in the floating dtype of ``x``.

    Raises:
        ValueError: if ``x`` is not one-dimensional, ``alpha`` or ``theta`` is not a
            scalar, or ``l_max`` is not an int >= 1.

    Examples:
        >>> delayed(jnp.array([1.0, 0.0, 0.0]), 0.5, 1.0, l_max=3)
        Array([0.5, 1. , 0.5], dtype=float32)
    """
    x = _series(x, l_max)
    w = delayed_weights(_cast(x, alpha), _cast(x, theta), l_max, normalize)
    return convolve_lags(x, w, method)


@functools.partial(jax.jit, static_argnames=("l_max", "normalize", "method"))
def weibull_cdf(
    x: Float[ArrayLike, " time"],
    shape: Float[ArrayLike, ""],
    scale: Float[ArrayLike, ""],
    l_max: int = 8,
    normalize: bool = False,
    *,
    method: ConvolveMethod = "auto",
) -> Float[Array, " time"]:
    r"""Weibull-CDF adstock (Robyn's ``adstock_weibull(type = "cdf")``): flexible decay.

    .. math:: y_t = \sum_{l=0}^{L-1} w_l \, x_{t-l}, \qquad
        w_l = \exp\Big(-\sum_{j=1}^{l} (j / \lambda)^{k}\Big), \qquad
        \lambda = 1 + \mathrm{scale} \, (L - 1)

    (``w_0 = 1``; divided by :math:`\sum_l w_l` when ``normalize``). ``l_max`` plays Robyn's
    ``windlen``; unlike Robyn, ``lambda`` is not rounded to an integer, so the transform is
    differentiable in ``scale`` (see :func:`weibull_cdf_weights` for the exact mapping).

    Args:
        x: one series, shape ``(time,)``, typically spend >= 0.
        shape: Weibull shape ``k``, scalar > 0 (Robyn suggests ``[0.0001, 2]``).
        scale: relative scale, scalar in ``[0, 1]`` (Robyn suggests ``[0, 0.1]``).
        l_max: number of lags ``L >= 1``, including the current period (static).
        normalize: divide the weights by their sum (static).
        method: lag-sum strategy of :func:`convolve_lags` (static): ``"auto"`` (shifted
            sums for ``l_max <= 16``, FFTs above), ``"shift"`` or ``"fft"``.

    Returns:
        The adstocked series, shape ``(time,)``, in the floating dtype of ``x``.

    Raises:
        ValueError: if ``x`` is not one-dimensional, a parameter is not a scalar, or
            ``l_max`` is not an int >= 1.

    Examples:
        >>> weibull_cdf(jnp.array([1.0, 0.0, 0.0]), 1.0, 0.5, l_max=3)
        Array([1.        , 0.60653067, 0.22313017], dtype=float32)
    """
    x = _series(x, l_max)
    w = weibull_cdf_weights(_cast(x, shape), _cast(x, scale), l_max, normalize)
    return convolve_lags(x, w, method)


@functools.partial(jax.jit, static_argnames=("l_max", "normalize", "method"))
def weibull_pdf(
    x: Float[ArrayLike, " time"],
    shape: Float[ArrayLike, ""],
    scale: Float[ArrayLike, ""],
    l_max: int = 8,
    normalize: bool = False,
    *,
    method: ConvolveMethod = "auto",
) -> Float[Array, " time"]:
    r"""Weibull-PDF adstock (Robyn's ``adstock_weibull(type = "pdf")``): a lagged peak.

    .. math:: y_t = \sum_{l=0}^{L-1} w_l \, x_{t-l}, \qquad
        w_l = \frac{f(l + 1) - \min_j f(j + 1)}{\max_j f(j + 1) - \min_j f(j + 1)}, \qquad
        \lambda = 1 + \mathrm{scale} \, (L - 1)

    with ``f`` the Weibull density of shape ``k`` and scale ``lambda`` (divided by
    :math:`\sum_l w_l` when ``normalize``). ``l_max`` plays Robyn's ``windlen``; unlike
    Robyn, ``lambda`` is not rounded to an integer, so the transform is differentiable in
    ``scale`` (see :func:`weibull_pdf_weights` for the exact mapping). As in Robyn the
    smallest weight, usually the last lag's, is 0.

    Args:
        x: one series, shape ``(time,)``, typically spend >= 0.
        shape: Weibull shape ``k``, scalar > 0 (Robyn suggests ``[0.0001, 10]``); above 1
            the peak comes after the current period.
        scale: relative scale, scalar in ``[0, 1]`` (Robyn suggests ``[0, 0.1]``).
        l_max: number of lags ``L >= 1``, including the current period (static).
        normalize: divide the weights by their sum (static).
        method: lag-sum strategy of :func:`convolve_lags` (static): ``"auto"`` (shifted
            sums for ``l_max <= 16``, FFTs above), ``"shift"`` or ``"fft"``.

    Returns:
        The adstocked series, shape ``(time,)``, in the floating dtype of ``x``.

    Raises:
        ValueError: if ``x`` is not one-dimensional, a parameter is not a scalar, or
            ``l_max`` is not an int >= 1.

    Examples:
        >>> y = weibull_pdf(jnp.array([0.0, 1.0, 0.0, 0.0, 0.0]), 2.0, 0.5, l_max=5)
        >>> [round(v, 3) for v in y.tolist()]  # the spend in period 1 peaks in period 2
        [0.0, 0.601, 1.0, 0.816, 0.376]
    """
    x = _series(x, l_max)
    w = weibull_pdf_weights(_cast(x, shape), _cast(x, scale), l_max, normalize)
    return convolve_lags(x, w, method)
