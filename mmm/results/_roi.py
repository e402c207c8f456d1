r"""ROI, cost per incremental KPI, contribution share and marginal ROAS, with intervals.

All computed per posterior draw from :class:`~mmm.results._channels.WindowDraws`, so every
interval is an exact posterior interval of that quantity (not a ratio of intervals):

* ``roi`` :math:`= v \cdot C_c / S_c` with ``C`` the incremental KPI (default,
  ``roi="incremental"``: the window's spend's effect including its carry-over after the
  window) or the attributed contribution inside the window (``roi="attributed"``), ``S``
  the window's spend and ``v`` the value of one KPI unit (``value_per_kpi``, e.g. revenue
  per conversion; 1 for a revenue KPI);
* ``cost_per_kpi`` :math:`= S_c / C_c` (money per incremental KPI unit);
* ``share`` :math:`= A_c / \sum_{t \in W} \mu_t`: the attributed contribution's share of
  the fitted KPI in the window;
* ``mroas`` :math:`= v \cdot M_c / S_c`: the marginal return of the next unit of money
  spent in the window the way it was spent (``M`` by ``jax.jvp``).

A channel without spend in the window has NaN ROI, cost per KPI and mROAS.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import polars as pl
from jaxtyping import Float

from mmm.config import check_value_per_kpi
from mmm.results._channels import WindowDraws
from mmm.results._summary import summarize_draws

__all__ = ["RoiDefinition", "ChannelMetrics", "channel_metrics", "metrics_frame"]

RoiDefinition = Literal["incremental", "attributed"]


@dataclasses.dataclass(frozen=True)
class ChannelMetrics:
    """Per-draw metrics per window and channel, ``(draw, window, channel)`` each.

    Attributes:
        draws: the underlying :class:`WindowDraws`.
        roi_definition: ``"incremental"`` or ``"attributed"``.
        value_per_kpi: value of one KPI unit.
        contribution: the contribution ROI is computed from (KPI units).
        roi, cost_per_kpi, share, mroas: see the module docstring.
    """

    draws: WindowDraws
    roi_definition: RoiDefinition
    value_per_kpi: float
    contribution: Float[np.ndarray, "draw window channel"]
    roi: Float[np.ndarray, "draw window channel"]
    cost_per_kpi: Float[np.ndarray, "draw window channel"]
    share: Float[np.ndarray, "draw window channel"]
    mroas: Float[np.ndarray, "draw window channel"]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)


def channel_metrics(
    draws: WindowDraws, roi: RoiDefinition = "incremental", value_per_kpi: float = 1.0
) -> ChannelMetrics:
    """Metrics of ``draws`` (see the module docstring).

    Raises:
        ValueError: for another ``roi`` or a non-positive ``value_per_kpi``.
    """
    if roi not in ("incremental", "attributed"):
        raise ValueError(f"roi={roi!r} is not valid: use 'incremental' or 'attributed'")
    value_per_kpi = check_value_per_kpi(value_per_kpi)
    contribution = draws.incremental if roi == "incremental" else draws.attributed
    spend = draws.spend[None, :, :]
    return ChannelMetrics(
        draws=draws,
        roi_definition=roi,
        value_per_kpi=float(value_per_kpi),
        contribution=contribution,
        roi=value_per_kpi * _ratio(contribution, np.broadcast_to(spend, contribution.shape)),
        cost_per_kpi=np.where(
            draws.spend[None] > 0,
            _ratio(np.broadcast_to(spend, contribution.shape), contribution),
            np.nan,
        ),
        share=_ratio(draws.attributed, draws.fitted[:, :, None]),
        mroas=value_per_kpi * _ratio(draws.marginal, np.broadcast_to(spend, contribution.shape)),
    )


_METRICS = ("contribution", "roi", "cost_per_kpi", "share", "mroas")


def metrics_frame(metrics: ChannelMetrics, level: float) -> pl.DataFrame:
    """One row per window and channel, with every metric's posterior summary.

    Columns ``window, start, end, channel, spend``, then ``<metric>_mean``, ``_median``,
    ``_lower``, ``_upper`` for contribution, roi, cost_per_kpi, share and mroas.
    """
    d = metrics.draws
    summaries = {m: summarize_draws(getattr(metrics, m), level) for m in _METRICS}
    rows: dict[str, list[object]] = {"window": [], "start": [], "end": [], "channel": []}
    rows["spend"] = []
    for m in _METRICS:
        for stat in ("mean", "median", "lower", "upper"):
            rows[f"{m}_{stat}"] = []
    for k, window in enumerate(d.windows):
        for c, channel in enumerate(d.channels):
            rows["window"].append(window.name)
            rows["start"].append(window.start)
            rows["end"].append(window.end)
            rows["channel"].append(channel)
            rows["spend"].append(float(d.spend[k, c]))
            for m in _METRICS:
                for stat, values in summaries[m].items():
                    rows[f"{m}_{stat}"].append(float(values[k, c]))
    return pl.DataFrame(rows)
