"""``roi_table`` and ``roi_by_period``: the channel table a budget decision is made on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from mmm.modeling import FittedMMM
from mmm.results._channels import window_draws
from mmm.results._roi import RoiDefinition, channel_metrics, metrics_frame
from mmm.results._summary import check_level
from mmm.results._windows import Period, Window, calendar_windows, custom_windows, resolve_window

__all__ = ["roi_table", "roi_by_period"]

DateBound = dt.date | str | None


def roi_table(
    fitted: FittedMMM,
    window: Window | tuple[DateBound, DateBound] | None = None,
    level: float = 0.9,
    *,
    roi: RoiDefinition = "incremental",
    value_per_kpi: float | None = None,
    chunk_size: int = 500,
) -> pl.DataFrame:
    """Per channel: spend, contribution, ROI, cost per KPI, share and mROAS with intervals.

    Args:
        fitted: the fit.
        window: the training periods to evaluate (``None``: all; ``(start, end)`` dates,
            inclusive, either may be ``None``).
        level: central interval level.
        roi: ``"incremental"`` (default: the KPI the window's spend caused, its carry-over
            after the window included) or ``"attributed"`` (the contribution inside the
            window, carry-in from earlier spend included): see :mod:`mmm.results._roi`.
        value_per_kpi: money value of one KPI unit (e.g. revenue per conversion) for ROI
            and mROAS; ``None`` (default): the fit's ``spec.value_per_kpi`` (1 unless set).
        chunk_size: draws per compiled call.

    Returns:
        One row per channel: ``channel, spend``, then ``<m>_mean, <m>_median, <m>_lower,
        <m>_upper`` for ``m`` in ``contribution, roi, cost_per_kpi, share, mroas``
        (``window, start, end`` first).
    """
    check_level(level)
    resolved = resolve_window(list(fitted.dataset.dates), window)
    draws = window_draws(fitted, [resolved], chunk_size)
    value = fitted.spec.value_per_kpi if value_per_kpi is None else value_per_kpi
    return metrics_frame(channel_metrics(draws, roi, value), level)


def roi_by_period(
    fitted: FittedMMM,
    by: Period | Mapping[str, tuple[DateBound, DateBound]] = "quarter",
    level: float = 0.9,
    *,
    roi: RoiDefinition = "incremental",
    value_per_kpi: float | None = None,
    chunk_size: int = 500,
) -> pl.DataFrame:
    """:func:`roi_table` per calendar period or per named ``(start, end)`` window.

    All windows are evaluated in one pass over the draws. With ``roi="incremental"`` each
    window's spend is credited with the KPI it causes in later windows too.
    ``value_per_kpi`` as in :func:`roi_table`.
    """
    check_level(level)
    dates = list(fitted.dataset.dates)
    windows = calendar_windows(dates, by) if isinstance(by, str) else custom_windows(dates, by)
    draws = window_draws(fitted, windows, chunk_size)
    value = fitted.spec.value_per_kpi if value_per_kpi is None else value_per_kpi
    return metrics_frame(channel_metrics(draws, roi, value), level)
