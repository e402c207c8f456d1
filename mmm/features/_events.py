r"""Event windows: spread an event indicator or intensity to the periods around it.

A holiday or promotion often moves the KPI before it (anticipation, stock-up) and after it
(hangover). :func:`event_window` widens each event to ``pre`` periods before and ``post``
periods after, taking the **maximum** over overlapping windows,

.. math:: y_t = \max_{-\text{pre} \,\le\, l \,\le\, \text{post}} x_{t-l}
          \qquad (\text{terms with } t-l \text{ outside the series are skipped}),

so values stay in the event's own units: a run of consecutive event days with ``post = 2``
stays a 0/1 indicator (a sum would count the overlap twice), and an intensity keeps its
largest nearby value. The kernel takes one series; map over events with :func:`jax.vmap`.

Examples:
    >>> import jax, jax.numpy as jnp
    >>> event_window(jnp.array([0.0, 0.0, 1.0, 0.0, 0.0, 0.0]), pre=1, post=2)
    Array([0., 1., 1., 1., 1., 0.], dtype=float32)
    >>> events = jnp.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])  # (time, event)
    >>> jax.vmap(lambda x: event_window(x, post=1), in_axes=1, out_axes=1)(events)
    Array([[0., 1.],
           [1., 1.],
           [1., 0.]], dtype=float32)
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

__all__ = ["event_window"]


def _check_width(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"{name}={value!r} is not valid: pass a Python int >= 0 (number of periods, static)"
        )


@functools.partial(jax.jit, static_argnames=("pre", "post"))
def event_window(
    x: Float[ArrayLike, " time"], *, pre: int = 0, post: int = 0
) -> Float[Array, " time"]:
    r"""Widen an event series to ``pre`` periods before and ``post`` after each event.

    .. math:: y_t = \max_{-\text{pre} \,\le\, l \,\le\, \text{post}} x_{t-l},

    over the lags ``l`` with ``0 <= t - l < time`` (``l = 0`` is always included, so
    ``y >= x``). ``pre = post = 0`` is the identity. Intended for indicators and
    non-negative intensities; for an event with negative values (a penalty), pass ``-x``
    and negate the result.

    Args:
        x: one event series, shape ``(time,)``: a 0/1 indicator or an intensity.
        pre: periods before each event that also get its value, ``>= 0`` (static).
        post: periods after each event that also get its value, ``>= 0`` (static).

    Returns:
        The widened series, shape ``(time,)``, float dtype of ``x``.

    Raises:
        ValueError: if ``x`` is not one-dimensional or ``pre``/``post`` is not an int >= 0.

    Examples:
        >>> event_window(jnp.array([0.0, 2.0, 0.0, 1.0]), post=1)
        Array([0., 2., 2., 1.], dtype=float32)
    """
    _check_width("pre", pre)
    _check_width("post", post)
    x = jnp.asarray(x)
    x = x.astype(jnp.result_type(x.dtype, float))
    if x.ndim != 1:
        raise ValueError(
            f"x has shape {x.shape}: event_window takes one series of shape (time,); map "
            "over events with jax.vmap(..., in_axes=1, out_axes=1)"
        )
    n = x.shape[0]
    y = x
    # Out-of-range neighbours are padded with -inf so they never win the max.
    for lag in range(1, min(post, n - 1) + 1):  # earlier events reach forward
        y = jnp.maximum(y, jnp.pad(x, (lag, 0), constant_values=-jnp.inf)[:n])
    for lead in range(1, min(pre, n - 1) + 1):  # later events reach backward
        y = jnp.maximum(y, jnp.pad(x, (0, lead), constant_values=-jnp.inf)[lead:])
    return y
