"""Batching specs over channels: group by structure, stack the priors."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, TypeVar

import numpyro.distributions as dist

from mmm.features._priors import stack_priors
from mmm.features._spec import AbstractSpec

__all__ = ["group_by_structure", "stack_specs", "structure_key"]

SpecT = TypeVar("SpecT", bound=AbstractSpec)


def structure_key(spec: AbstractSpec) -> Hashable:
    """What must match for specs to share one vectorized transform.

    The spec class and every static field (recursively), with each prior reduced to its
    family: two channels with ``GeometricAdstock(l_max=8)`` and different ``alpha`` priors
    share a key; ``l_max=8`` and ``l_max=12`` do not.
    """
    parts: list[Any] = [type(spec).__name__]
    for field in dataclasses.fields(spec):
        value = getattr(spec, field.name)
        if isinstance(value, dist.Distribution):
            parts.append((field.name, type(value).__name__))
        elif isinstance(value, AbstractSpec):
            parts.append((field.name, structure_key(value)))
        else:
            parts.append((field.name, value))
    return tuple(parts)


def stack_specs(specs: Sequence[SpecT]) -> SpecT:
    """One spec whose priors have batch shape ``(len(specs),)``, for a ``numpyro.plate``.

    Args:
        specs: specs with equal :func:`structure_key` (e.g. the channels of one group).

    Returns:
        A spec of the same class and static fields, each prior stacked over ``specs``.

    Raises:
        ValueError: if the specs do not share one structure.
    """
    if not specs:
        raise ValueError("stack_specs needs at least one spec")
    keys = {structure_key(s) for s in specs}
    if len(keys) > 1:
        raise ValueError(
            "cannot stack specs of different structure (class, static fields or prior "
            f"families differ): {[type(s).__name__ for s in specs]}"
        )
    first = specs[0]
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(first):
        value = getattr(first, field.name)
        if isinstance(value, dist.Distribution):
            changes[field.name] = stack_priors([getattr(s, field.name) for s in specs])
        elif isinstance(value, AbstractSpec):
            changes[field.name] = stack_specs([getattr(s, field.name) for s in specs])
    return dataclasses.replace(first, **changes)


def group_by_structure(
    specs: Mapping[str, SpecT],
) -> list[tuple[tuple[str, ...], SpecT]]:
    """Group named specs (e.g. per channel) by structure, keeping first-seen order.

    Returns:
        ``[(names, stacked_spec), ...]``: each group's member names, in input order, and
        :func:`stack_specs` of their specs.
    """
    groups: dict[Hashable, list[str]] = {}
    for name, spec in specs.items():
        groups.setdefault(structure_key(spec), []).append(name)
    return [(tuple(names), stack_specs([specs[n] for n in names])) for names in groups.values()]
