"""Estimated against known true ROI, for data simulated with a published ground truth."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

__all__ = ["truth_table"]


def truth_table(roi: pl.DataFrame, true_roi: Mapping[str, float]) -> pl.DataFrame:
    """Estimated against known true ROI per channel.

    Args:
        roi: a :func:`mmm.results.roi_table` frame (``channel, roi_mean, roi_lower,
            roi_upper``), with the ROI definition of the truth (attributed, whole window).
        true_roi: channel -> true ROI.

    Returns:
        ``channel, true_roi, roi_mean, roi_lower, roi_upper, error`` (relative error of
        the mean) and ``covered`` (the interval contains the truth).
    """
    rows = roi.filter(pl.col("channel").is_in(list(true_roi)))
    truth = pl.Series("true_roi", [true_roi[c] for c in rows["channel"]], pl.Float64)
    return (
        rows.select("channel", "roi_mean", "roi_lower", "roi_upper")
        .with_columns(
            truth,
            ((pl.col("roi_mean") - truth) / truth).alias("error"),
            ((pl.col("roi_lower") <= truth) & (truth <= pl.col("roi_upper"))).alias("covered"),
        )
        .select("channel", "true_roi", "roi_mean", "roi_lower", "roi_upper", "error", "covered")
    )
