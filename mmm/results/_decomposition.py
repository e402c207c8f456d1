"""``contributions``: the decomposition of the fitted KPI into components, with intervals."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

import numpy as np
import polars as pl
from jaxtyping import Float

from mmm.modeling import FittedMMM
from mmm.results._components import (
    ComponentIndex,
    component_draws,
    component_index,
    component_window_sums,
)
from mmm.results._summary import check_level, summarize_draws
from mmm.results._windows import Period, Window, calendar_windows, custom_windows

__all__ = [
    "DEFAULT_MEMORY",
    "Decomposition",
    "decompose",
    "contributions",
    "contributions_by_period",
]


@dataclasses.dataclass(frozen=True)
class Decomposition:
    """Every component's contribution per draw and period (KPI units).

    Attributes:
        dates: the training periods.
        index: component names and groups (:func:`component_index`).
        draws: ``(draw, time, component)`` contributions, float32.
    """

    dates: tuple[dt.date, ...]
    index: ComponentIndex
    draws: Float[np.ndarray, "draw time component"]

    @property
    def fitted(self) -> Float[np.ndarray, "draw time"]:
        """The fitted mean per draw and period: the sum of the components."""
        return self.draws.sum(axis=2, dtype=np.float64)

    def to_frame(self, level: float = 0.9) -> pl.DataFrame:
        """Long frame ``date, component, group, mean, median, lower, upper``."""
        return _summary_frame(self.dates, self.index, summarize_draws(self.draws, level))

    def by_windows(self, windows: list[Window], level: float = 0.9) -> pl.DataFrame:
        """Per window and component the summed contribution (intervals of per-draw sums).

        Columns ``window, start, end, component, group, mean, median, lower, upper``.
        """
        sums = np.stack(
            [self.draws[:, w.first : w.stop].sum(axis=1, dtype=np.float64) for w in windows],
            axis=1,
        )
        return _window_frame(windows, self.index, summarize_draws(sums, level))


def decompose(fitted: FittedMMM, chunk_size: int = 500) -> Decomposition:
    """The :class:`Decomposition` of a fit's posterior draws on its training window."""
    return Decomposition(
        dates=tuple(fitted.dataset.dates),
        index=component_index(fitted.spec, fitted.design),
        draws=component_draws(fitted, chunk_size),
    )


DEFAULT_MEMORY = 512 * 2**20
"""Bytes of draws ``contributions`` holds at once without ``return_draws`` (512 MiB)."""


def _window_frame(
    windows: list[Window], index: ComponentIndex, stats: dict[str, np.ndarray]
) -> pl.DataFrame:
    k = len(index.names)
    return pl.DataFrame(
        {
            "window": [w.name for w in windows for _ in range(k)],
            "start": [w.start for w in windows for _ in range(k)],
            "end": [w.end for w in windows for _ in range(k)],
            "component": list(index.names) * len(windows),
            "group": list(index.groups) * len(windows),
            **{name: values.reshape(-1) for name, values in stats.items()},
        }
    )


def _summary_frame(
    dates: tuple[dt.date, ...], index: ComponentIndex, stats: dict[str, np.ndarray]
) -> pl.DataFrame:
    n, k = len(dates), len(index.names)
    return pl.DataFrame(
        {
            "date": np.repeat(np.array(dates, dtype="datetime64[D]"), k),
            "component": list(index.names) * n,
            "group": list(index.groups) * n,
            **{name: values.reshape(-1).astype(np.float64) for name, values in stats.items()},
        }
    )


def _blockwise_frame(fitted: FittedMMM, level: float, chunk_size: int, memory: int) -> pl.DataFrame:
    """The summary frame holding at most ``memory`` bytes of draws: blocks of periods."""
    index = component_index(fitted.spec, fitted.design)
    draws = next(iter(fitted.samples.values())).shape[:2]
    per_period = int(np.prod(draws)) * len(index.names) * 4
    n = fitted.design.kpi.shape[0]
    block = max(1, min(n, memory // per_period))
    parts = [
        summarize_draws(component_draws(fitted, chunk_size, (t, min(n, t + block))), level)
        for t in range(0, n, block)
    ]
    stats = {k: np.concatenate([p[k] for p in parts], axis=0) for k in parts[0]}
    return _summary_frame(tuple(fitted.dataset.dates), index, stats)


def contributions(
    fitted: FittedMMM,
    level: float = 0.9,
    *,
    return_draws: bool = False,
    chunk_size: int = 500,
    memory: int = DEFAULT_MEMORY,
) -> pl.DataFrame | tuple[pl.DataFrame, Decomposition]:
    """Each component's contribution per period with its posterior interval (KPI units).

    Components: each paid channel, each organic series, then the baseline (``intercept``,
    ``trend``, ``yearly``, ..., each control and each event); per draw they sum exactly to
    that draw's fitted mean.

    Args:
        fitted: the fit.
        level: central interval level (``lower``/``upper`` are its equal-tailed quantiles).
        return_draws: also return the :class:`Decomposition` with the draw-level array.
        chunk_size: draws evaluated per compiled call (memory bound).
        memory: without ``return_draws``, the most bytes of draws held at once: when the
            draw array ``draws x time x component`` (float32) is larger, the intervals are
            computed over blocks of periods, one pass over the draws per block (exact
            quantiles, memory bounded whatever the number of draws).

    Returns:
        Long polars frame ``date, component, group, mean, median, lower, upper``; with
        ``return_draws`` the pair ``(frame, decomposition)``.
    """
    check_level(level)
    if not return_draws:
        return _blockwise_frame(fitted, level, chunk_size, memory)
    decomposition = decompose(fitted, chunk_size)
    return decomposition.to_frame(level), decomposition


def contributions_by_period(
    fitted: FittedMMM,
    by: Period | Mapping[str, tuple[dt.date | str | None, dt.date | str | None]] = "month",
    level: float = 0.9,
    *,
    decomposition: Decomposition | None = None,
) -> pl.DataFrame:
    """Contributions summed per calendar period or named window, with intervals of the sums.

    ``by``: ``"week"``, ``"month"``, ``"quarter"``, ``"year"``, or a mapping of names to
    inclusive ``(start, end)`` dates. Pass a :class:`Decomposition` to reuse its draws;
    without one, the draws are summed chunk by chunk (the draw array is never built).
    """
    check_level(level)
    dates = list(fitted.dataset.dates)
    windows = calendar_windows(dates, by) if isinstance(by, str) else custom_windows(dates, by)
    if decomposition is not None:
        return decomposition.by_windows(windows, level)
    sums = component_window_sums(fitted, [(w.first, w.stop) for w in windows])
    index = component_index(fitted.spec, fitted.design)
    return _window_frame(windows, index, summarize_draws(sums, level))
