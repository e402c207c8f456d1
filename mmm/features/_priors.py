"""Priors as NumPyro distributions: plain-data round trip and stacking over channels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist

__all__ = ["SUPPORTED_PRIORS", "prior_from_dict", "prior_to_dict", "stack_priors"]

SUPPORTED_PRIORS: Mapping[str, type[dist.Distribution]] = {
    cls.__name__: cls
    for cls in (
        dist.Normal,
        dist.HalfNormal,
        dist.LogNormal,
        dist.Gamma,
        dist.InverseGamma,
        dist.Beta,
        dist.Exponential,
        dist.StudentT,
        dist.Laplace,
        dist.HalfCauchy,
        dist.Uniform,
    )
}
"""Distributions a spec may use as a prior (their parameters serialize as plain numbers)."""


def _check_supported(prior: object) -> type[dist.Distribution]:
    cls = type(prior)
    if SUPPORTED_PRIORS.get(cls.__name__) is not cls:
        raise ValueError(
            f"prior {cls.__name__} is not supported; use one of {sorted(SUPPORTED_PRIORS)} "
            "from numpyro.distributions"
        )
    return cls


def _params(prior: dist.Distribution) -> dict[str, Any]:
    return {name: getattr(prior, name) for name in prior.arg_constraints}


def prior_to_dict(prior: dist.Distribution) -> dict[str, Any]:
    """A prior as JSON-ready data: ``{"distribution": "Beta", "concentration1": 1.0, ...}``.

    Raises:
        ValueError: for a distribution outside :data:`SUPPORTED_PRIORS`.
    """
    cls = _check_supported(prior)
    out: dict[str, Any] = {"distribution": cls.__name__}
    for name, value in _params(prior).items():
        array = np.asarray(value, dtype=float)
        out[name] = array.item() if array.ndim == 0 else array.tolist()
    return out


def prior_from_dict(data: Mapping[str, Any]) -> dist.Distribution:
    """Inverse of :func:`prior_to_dict`.

    Raises:
        ValueError: naming an unknown distribution or a missing/extra parameter.
    """
    name = data.get("distribution")
    cls = SUPPORTED_PRIORS.get(str(name))
    if cls is None:
        raise ValueError(f"unknown prior {name!r}; use one of {sorted(SUPPORTED_PRIORS)}")
    params = {k: v for k, v in data.items() if k != "distribution"}
    expected = set(cls.arg_constraints)
    if set(params) != expected:
        raise ValueError(f"prior {name} takes parameters {sorted(expected)}, got {sorted(params)}")
    return cls(
        **{
            k: jnp.asarray(v, dtype=float) if isinstance(v, list) else float(v)
            for k, v in params.items()
        }
    )


def stack_priors(priors: Sequence[dist.Distribution]) -> dist.Distribution:
    """Stack same-family priors into one with batch shape ``(len(priors),)``.

    Used to sample one parameter for all channels that share a spec structure in one
    ``numpyro.plate``, each channel keeping its own prior.

    Raises:
        ValueError: if the priors are not all of one supported family, or are not scalar.
    """
    if not priors:
        raise ValueError("stack_priors needs at least one prior")
    classes = {_check_supported(p) for p in priors}
    if len(classes) > 1:
        names = sorted(c.__name__ for c in classes)
        raise ValueError(f"cannot stack priors of different families {names}")
    cls = classes.pop()
    if any(p.batch_shape != () or p.event_shape != () for p in priors):
        raise ValueError("only scalar priors (batch_shape () and event_shape ()) can be stacked")
    params = [_params(p) for p in priors]
    stacked = {k: jnp.stack([jnp.asarray(p[k]) for p in params]) for k in params[0]}
    return cls(**stacked)
