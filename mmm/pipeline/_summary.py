"""The few lines a run prints when it is done: verdict, ROI, plan, where the report is."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmm.pipeline._run import RunResult

__all__ = ["summary_text"]


def summary_text(result: RunResult) -> str:
    """A plain-text summary of ``result`` for the terminal."""
    pct = round(100 * result.config.report.level)
    lines = [
        f"Verdict: {result.verdict.upper()} (convergence {result.convergence.status}, "
        f"predictive checks {result.predictive.status}, review {result.review.worst}, "
        f"data {result.eda.worst})",
        f"ROI per channel (mean [{pct}% interval]):",
    ]
    roi = result.tables["results/roi"]
    for row in roi.iter_rows(named=True):
        lines.append(
            f"  {row['channel']:<16} {row['roi_mean']:9.3g} [{row['roi_lower']:.3g}, "
            f"{row['roi_upper']:.3g}]   mROAS {row['mroas_mean']:.3g}"
        )
    truth = result.tables.get("results/truth")
    if truth is not None:
        lines.append(
            f"Known truth: {int(truth['covered'].sum())} of {truth.height} true ROIs inside "
            f"the {pct}% intervals (attributed ROI)"
        )
    if result.plan is not None:
        plan = result.plan
        low, high = plan.uplift_interval
        lines.append(
            f"Budget plan: uplift {plan.uplift:,.4g} [{low:,.4g}, {high:,.4g}] over the "
            f"historic mix, P(beats it) {plan.prob_beats_reference:.2f}"
        )
    elif result.plan_error is not None:
        lines.append(f"Budget plan: FAILED: {result.plan_error}")
    lines.append(f"Report: {result.report_path}")
    return "\n".join(lines)
