r"""Every component's contribution per posterior draw, in KPI units, in chunks of draws.

The components of one draw are :func:`mmm.modeling.components` (the model's own pure
function) on the fit's training design, multiplied by the KPI scale:

* one per paid channel and per organic series (``group`` ``"media"`` / ``"organic"``);
* one per baseline spec (``group`` = the spec's name: ``"intercept"``, ``"trend"``,
  ``"yearly"``, ...), except that specs with ``split_features`` (controls, events) give
  one component per feature column (each control, each event: ``x_j * coef_j``).

Their sum is the draw's fitted mean ``mu`` (asserted in the tests to float precision).
Draws are evaluated by ``jax.vmap`` over ``chunk_size`` draws at a time, so the working
memory is ``chunk_size x time x component`` floats whatever the number of draws.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from mmm.features import Design
from mmm.modeling import FittedMMM, ModelSpec, components
from mmm.modeling._programs import run_cached

__all__ = [
    "ComponentIndex",
    "component_index",
    "component_draws",
    "component_window_sums",
    "draw_chunks",
]


@dataclasses.dataclass(frozen=True)
class ComponentIndex:
    """Names of the decomposition's components, in order.

    Attributes:
        names: component names (channel, organic series, baseline spec or feature label).
        groups: per component its group (``"media"``, ``"organic"`` or the baseline spec's
            name).
    """

    names: tuple[str, ...]
    groups: tuple[str, ...]

    def of_group(self, group: str) -> list[int]:
        """Positions of the components of ``group``."""
        return [i for i, g in enumerate(self.groups) if g == group]


def component_index(spec: ModelSpec, design: Design) -> ComponentIndex:
    """The components of ``spec`` on ``design`` (see the module docstring)."""
    names = [*spec.channels, *spec.organic_names]
    groups = ["media"] * len(spec.channels) + ["organic"] * len(spec.organic_names)
    for b, labels in zip(spec.baseline, design.baseline_labels, strict=True):
        parts = labels if b.split_features else (b.name,)
        names += parts
        groups += [b.name] * len(parts)
    return ComponentIndex(tuple(names), tuple(groups))


def _one_draw(
    spec: ModelSpec, design: Design, params: Mapping[str, Array]
) -> Float[Array, "time component"]:
    parts = components(spec, params, design)
    columns = [parts.media, parts.organic]
    for b, p, x, out in zip(
        spec.baseline, parts.baseline_params, design.baseline, parts.baseline, strict=True
    ):
        columns.append(x * p["coef"][None, :] if b.split_features else out[:, None])
    return jnp.concatenate(columns, axis=1) * design.scalings.kpi.scale


def _chunk_program(
    spec: ModelSpec, design: Design, params: dict[str, Array]
) -> Float[Array, "draw time component"]:
    return jax.vmap(lambda p: _one_draw(spec, design, p))(params)


def _chunk(*args: Any) -> Any:
    """:func:`_chunk_program` compiled, kept in the traced-program cache across processes."""
    return run_cached("components_chunk", _chunk_program, args)


def draw_chunks(
    samples: Mapping[str, np.ndarray], chunk_size: int
) -> Iterator[tuple[int, dict[str, Array]]]:
    """``(start, params)`` per chunk of ``chunk_size`` flat draws (the last one padded).

    Every chunk has the same shape, so a compiled program runs for all of them; the padded
    draws of the last chunk repeat its first draw and are to be dropped by the caller.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size={chunk_size!r} is not valid: pass an int >= 1")
    n = next(iter(samples.values())).shape[0]
    size = min(chunk_size, n)
    for start in range(0, n, size):
        stop = min(start + size, n)
        idx = np.concatenate([np.arange(start, stop), np.full(size - (stop - start), start)])
        yield start, {k: jax.device_put(v[idx]) for k, v in samples.items()}


def component_draws(
    fitted: FittedMMM, chunk_size: int = 500, periods: tuple[int, int] | None = None
) -> Float[np.ndarray, "draw time component"]:
    """Every component per draw and period, KPI units, ``(draw, time, component)``, float32.

    The columns follow :func:`component_index`. ``periods=(first, stop)`` keeps only those
    periods (each draw is still evaluated over the whole window: adstock needs the past).
    """
    samples = fitted.flat_samples()
    n = next(iter(samples.values())).shape[0]
    index = component_index(fitted.spec, fitted.design)
    first, stop_t = (0, fitted.design.kpi.shape[0]) if periods is None else periods
    out = np.empty((n, stop_t - first, len(index.names)), dtype=np.float32)
    for start, params in draw_chunks(samples, chunk_size):
        block = np.asarray(_chunk(fitted.spec, fitted.design, params))
        stop = min(start + block.shape[0], n)
        out[start:stop] = block[: stop - start, first:stop_t]
    return out


def component_window_sums(
    fitted: FittedMMM, bounds: Sequence[tuple[int, int]], chunk_size: int = 500
) -> Float[np.ndarray, "draw window component"]:
    """Each component summed over each ``(first, stop)`` range of periods, per draw (float64).

    Memory: one chunk of draws and the ``(draw, window, component)`` sums; the draw-level
    ``(draw, time, component)`` array is never built.
    """
    samples = fitted.flat_samples()
    n = next(iter(samples.values())).shape[0]
    k = len(component_index(fitted.spec, fitted.design).names)
    out = np.empty((n, len(bounds), k))
    for start, params in draw_chunks(samples, chunk_size):
        block = np.asarray(_chunk(fitted.spec, fitted.design, params))
        stop = min(start + block.shape[0], n)
        sums = [block[: stop - start, a:b].sum(axis=1, dtype=np.float64) for a, b in bounds]
        out[start:stop] = np.stack(sums, axis=1)
    return out
