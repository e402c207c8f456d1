"""``contributions``: the decomposition of the fitted KPI into components, with intervals."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

import numpy as np
import polars as pl
from jaxtyping import Float

from mmm.modeling import FittedMMM
from mmm.results._components import ComponentIndex, component_draws, component_index
from mmm.results._summary import check_level, summarize_draws
from mmm.results._windows import Period, Window, calendar_windows, custom_windows

__all__ = ["Decomposition", "decompose", "contributions", "contributions_by_period"]


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
        stats = summarize_draws(self.draws, level)
        n, k = len(self.dates), len(self.index.names)
        return pl.DataFrame(
            {
                "date": np.repeat(np.array(self.dates, dtype="datetime64[D]"), k),
                "component": list(self.index.names) * n,
                "group": list(self.index.groups) * n,
                **{name: values.reshape(-1).astype(np.float64) for name, values in stats.items()},
            }
        )

    def by_windows(self, windows: list[Window], level: float = 0.9) -> pl.DataFrame:
        """Per window and component the summed contribution (intervals of per-draw sums).

        Columns ``window, start, end, component, group, mean, median, lower, upper``.
        """
        sums = np.stack(
            [self.draws[:, w.first : w.stop].sum(axis=1, dtype=np.float64) for w in windows],
            axis=1,
        )
        stats = summarize_draws(sums, level)
        k = len(self.index.names)
        return pl.DataFrame(
            {
                "window": [w.name for w in windows for _ in range(k)],
                "start": [w.start for w in windows for _ in range(k)],
                "end": [w.end for w in windows for _ in range(k)],
                "component": list(self.index.names) * len(windows),
                "group": list(self.index.groups) * len(windows),
                **{name: values.reshape(-1) for name, values in stats.items()},
            }
        )


def decompose(fitted: FittedMMM, chunk_size: int = 500) -> Decomposition:
    """The :class:`Decomposition` of a fit's posterior draws on its training window."""
    return Decomposition(
        dates=tuple(fitted.dataset.dates),
        index=component_index(fitted.spec, fitted.design),
        draws=component_draws(fitted, chunk_size),
    )


def contributions(
    fitted: FittedMMM, level: float = 0.9, *, return_draws: bool = False, chunk_size: int = 500
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

    Returns:
        Long polars frame ``date, component, group, mean, median, lower, upper``; with
        ``return_draws`` the pair ``(frame, decomposition)``.
    """
    check_level(level)
    decomposition = decompose(fitted, chunk_size)
    frame = decomposition.to_frame(level)
    return (frame, decomposition) if return_draws else frame


def contributions_by_period(
    fitted: FittedMMM,
    by: Period | Mapping[str, tuple[dt.date | str | None, dt.date | str | None]] = "month",
    level: float = 0.9,
    *,
    decomposition: Decomposition | None = None,
) -> pl.DataFrame:
    """Contributions summed per calendar period or named window, with intervals of the sums.

    ``by``: ``"week"``, ``"month"``, ``"quarter"``, ``"year"``, or a mapping of names to
    inclusive ``(start, end)`` dates. Pass a :class:`Decomposition` to reuse its draws.
    """
    check_level(level)
    d = decompose(fitted) if decomposition is None else decomposition
    windows = calendar_windows(d.dates, by) if isinstance(by, str) else custom_windows(d.dates, by)
    return d.by_windows(windows, level)
