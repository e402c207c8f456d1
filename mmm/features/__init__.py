"""Media transforms: pure JAX kernels on one series, vmapped by the caller.

``adstock`` carries spend over into later periods; ``saturation`` maps (adstocked) spend to a
diminishing response. Each function takes one series ``x: Float[Array, " time"]`` and scalar
parameters; add channels, draws or chains with :func:`jax.vmap`.

Examples:
    >>> import jax, jax.numpy as jnp
    >>> from mmm.features import adstock, saturation
    >>> spend = jnp.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])  # (channel, time)
    >>> carried = jax.vmap(lambda x, a: adstock.geometric(x, a, l_max=3))(
    ...     spend, jnp.array([0.5, 0.0])
    ... )
    >>> carried
    Array([[1.  , 0.5 , 0.25],
           [0.  , 2.  , 0.  ]], dtype=float32)
"""

from mmm.features import adstock, saturation

__all__ = ["adstock", "saturation"]
