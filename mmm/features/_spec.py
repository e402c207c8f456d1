"""The base of every feature spec: owned priors, sampling, and a JSON round trip."""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import equinox as eqx
import numpyro
import numpyro.distributions as dist
from jaxtyping import Array

from mmm.features._priors import prior_from_dict, prior_to_dict

__all__ = ["AbstractSpec", "SPEC_TYPES", "spec_from_dict", "spec_to_dict"]

SPEC_TYPES: dict[str, type[AbstractSpec]] = {}
"""Every final (concrete) spec class by name, filled as classes are defined."""


class AbstractSpec(eqx.Module):
    """A frozen description of one model component that owns the priors of its parameters.

    Subclasses declare ``param_names`` (a ``ClassVar``) and one field per parameter holding
    its prior (a NumPyro distribution); every other field is a static hyper-parameter
    (``eqx.field(static=True)``: ints, floats, strings, booleans, tuples of them). Concrete
    classes are registered by name in :data:`SPEC_TYPES` so a spec can be rebuilt from JSON.
    """

    param_names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("Abstract"):
            SPEC_TYPES[cls.__name__] = cls

    def priors(self) -> dict[str, dist.Distribution]:
        """The prior of each parameter, by parameter name."""
        return {name: getattr(self, name) for name in self.param_names}

    def sample(self, prefix: str) -> dict[str, Array]:
        """Sample every parameter under ``numpyro.handlers.scope(prefix=prefix)``.

        Sites are named ``"<prefix>/<parameter>"``; inside a ``numpyro.plate`` the priors
        broadcast over it (see :func:`mmm.features.stack_specs` for per-channel priors).
        """
        with numpyro.handlers.scope(prefix=prefix, divider="/"):
            return {name: numpyro.sample(name, prior) for name, prior in self.priors().items()}

    @abc.abstractmethod
    def apply(self, params: Mapping[str, Array], x: Array) -> Array:
        """The component's pure transform of its input given sampled ``params``."""


def _encode(value: Any) -> Any:
    if isinstance(value, dist.Distribution):
        return prior_to_dict(value)
    if isinstance(value, AbstractSpec):
        return spec_to_dict(value)
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, Mapping) and "distribution" in value:
        return prior_from_dict(value)
    if isinstance(value, Mapping) and "type" in value:
        return spec_from_dict(value)
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    return value


def spec_to_dict(spec: AbstractSpec) -> dict[str, Any]:
    """A spec as JSON-ready data: ``{"type": "GeometricAdstock", "l_max": 8, ...}``."""
    out: dict[str, Any] = {"type": type(spec).__name__}
    for field in dataclasses.fields(spec):
        out[field.name] = _encode(getattr(spec, field.name))
    return out


def spec_from_dict(data: Mapping[str, Any]) -> AbstractSpec:
    """Rebuild a spec from :func:`spec_to_dict` data.

    Raises:
        ValueError: naming an unknown spec type (with the known ones) or a bad field.
    """
    name = data.get("type")
    cls = SPEC_TYPES.get(str(name))
    if cls is None:
        raise ValueError(f"unknown spec type {name!r}; known types: {sorted(SPEC_TYPES)}")
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - fields - {"type"})
    if unknown:
        raise ValueError(f"{name} has no field(s) {unknown}; its fields are {sorted(fields)}")
    return cls(**{k: _decode(v) for k, v in data.items() if k != "type"})
