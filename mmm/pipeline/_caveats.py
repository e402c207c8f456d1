"""Plain-language caveats of a run: what the numbers mean and where they are weak.

A few caveats always apply (an observational model, the ROI definition, the steady-state
plan); the others are raised by the run's own numbers: convergence, fit quality, wide
ROI intervals, a plan that spends beyond the observed range, an uplift that may be zero,
a model of one geo or of the total over geos of a geo panel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mmm.pipeline._run import RunResult

__all__ = ["caveats", "historic_window", "WIDE_ROI_RATIO", "LOW_R2", "EXTRAPOLATION_MULTIPLE"]

WIDE_ROI_RATIO = 3.0
"""An ROI interval whose upper end is this many times its lower end is called wide."""

LOW_R2 = 0.5
"""Below this in-sample R-squared the report says the model explains little of the KPI."""

EXTRAPOLATION_MULTIPLE = 1.0
"""A plan spending more per period than this times the largest historic week extrapolates."""


def _pct(level: float) -> str:
    return f"{round(100 * level)}%"


def _always(result: RunResult) -> list[str]:
    level = _pct(result.config.report.level)
    notes = [
        "This is an observational model: contributions and ROI are what the model attributes "
        "to each channel given the data, its structure (adstock, saturation, baseline) and "
        "its priors, not measured lift. Where you have experiments (geo tests, holdouts), "
        "use them as ROI priors (see the config's roi_priors) and compare.",
        "ROI here is incremental: the KPI a channel's spend over the window caused, its "
        "carry-over after the window included, divided by that spend. mROAS is the return "
        "of the next unit of money spent the way it was spent. Intervals are central "
        f"{level} posterior intervals: the data and priors leave that much uncertainty.",
    ]
    value = result.fitted.spec.value_per_kpi
    if value != 1.0:
        kpi = result.fitted.dataset.kpi
        notes.append(
            f"The KPI ({kpi}) is valued at {value:,.6g} money units per unit "
            "(model.value_per_kpi): ROI, mROAS, the ROI priors and the plausible-ROI range are "
            f"money per money, while contributions, response curves and uplifts are in {kpi}."
        )
    if not result.spend_is_money:
        notes.append(
            "The spend columns of these data are not money (an index or a scaled series), so "
            "ROI and mROAS are KPI per unit of that series, and the plausible-ROI check was "
            "skipped. Do not read them as returns on money."
        )
    return notes


def _geo(result: RunResult) -> list[str]:
    """What modelling one series of a geo panel means."""
    geo = result.mapping.geo if result.mapping is not None else None
    if geo is None:
        return []
    if geo.kept is not None:
        return [
            f"The data hold {len(geo.geos)} geos (column {geo.column!r}); this model is of "
            f"geo {geo.kept!r} alone. Its ROI and plan are that geo's, not the business's."
        ]
    return [
        f"The model is of the total over {len(geo.geos)} geos (column {geo.column!r}: KPI "
        "and spend summed per period, controls averaged). Where geos respond differently "
        "(other saturation points, another media mix), the total is not an adstock and "
        "saturation curve of total spend, so its ROI averages over geos and its response "
        "curves and plan assume the spend is split across geos as it was. A geo-level "
        "(hierarchical) model is not part of mmm v1; fit one geo (geo = ...) to check a "
        "large one."
    ]


def _diagnostics(result: RunResult) -> list[str]:
    notes = []
    if result.convergence.status == "fail":
        notes.append(
            "The sampler did not converge (see Diagnostics): the numbers in this report are "
            "not reliable until it does. Run longer chains, or simplify the model."
        )
    elif result.convergence.status == "warn":
        notes.append(
            "Convergence diagnostics raised warnings (see Diagnostics): tail quantities "
            "(interval ends) are less precise than they look."
        )
    if result.fitted.info.method not in ("nuts", "hmc"):
        notes.append(
            f"The fit used {result.fitted.info.method.upper()}, an approximation: its "
            "intervals are usually too narrow. Confirm decisions with a NUTS fit."
        )
    r2 = result.predictive.r2
    if np.isfinite(r2) and r2 < LOW_R2:
        notes.append(
            f"The model explains {r2:.0%} of the KPI's variation over time (in-sample R2): "
            "most of the movement is noise or drivers the data do not hold. Channel effects "
            "are estimated against that noise, so their intervals are wide."
        )
    for finding in result.review.findings:
        if finding.severity in ("critical", "warning"):
            notes.append(f"Review ({finding.severity}): {finding.message}")
    for finding in result.eda.findings:
        if finding.severity in ("critical", "warning"):
            notes.append(f"Data ({finding.severity}): {finding.message}")
    return notes


def _roi(result: RunResult) -> list[str]:
    roi = result.tables.get("results/roi")
    if roi is None:
        return []
    notes = []
    for row in roi.iter_rows(named=True):
        low, high = row["roi_lower"], row["roi_upper"]
        if (low > 0 and high / low > WIDE_ROI_RATIO) or low <= 0 < high:
            notes.append(
                f"The ROI of {row['channel']} is poorly identified ({low:.3g} to {high:.3g}): "
                "rank it against other channels with care; a test would pin it down."
            )
    return notes


def historic_window(result: RunResult) -> str | None:
    """``"the last 52 periods (2021-01-03 to 2021-12-26)"``: the plan's historic spend."""
    plan = result.plan
    if plan is None or plan.reference_periods is None:
        return None
    dates = result.dataset.dates
    k = plan.reference_periods
    span = "all" if k == len(dates) else "the last"
    return f"{span} {k} periods ({dates[-k]} to {dates[-1]})"


def _plan(result: RunResult) -> list[str]:
    plan = result.plan
    if plan is None:
        if result.plan_error is not None:
            return [f"No budget plan was made: {result.plan_error}"]
        return []
    notes = []
    if plan.horizon is None:
        notes.append(
            f"The plan is a steady-state plan: {plan.total_budget:,.4g} per period, held "
            "period after period, compared with the historic mix at the same budget. It is "
            "optimized on the fitted response curves, so it is only as good as they are; "
            "move gradually and measure."
        )
    else:
        notes.append(
            f"The plan is a flighting plan over {plan.horizon} periods "
            f"({plan.total_budget:,.4g} in total); the carry-over of its spend after the "
            "horizon is counted."
        )
    window = historic_window(result)
    if window is not None:
        notes.append(
            f"Historic here means {window}: the historic mix the plan is compared with is "
            "each channel's share of spend over them, and bounds given as multiples "
            "(multiple = [0.5, 2.0]) are multiples of each channel's mean spend per period "
            "over them (times the horizon for a flighting plan); without a budget, the "
            "budget is their mean total spend per period. Set scenario.reference_periods "
            "to choose another window."
        )
    spend = np.asarray(result.dataset.to_arrays().spend, dtype=np.float64)
    peak = spend.max(axis=0)
    planned = plan.spend.max(axis=0)
    for channel, p, top in zip(plan.channels, planned, peak, strict=True):
        if p > EXTRAPOLATION_MULTIPLE * top:
            notes.append(
                f"The plan spends {p:,.4g} per period on {channel}, beyond the most it ever "
                f"spent in one period ({top:,.4g}): the response there is extrapolated from "
                "the curve's shape, not observed. Bound the channel (bounds) if in doubt."
            )
    low, high = plan.uplift_interval
    if low <= 0:
        notes.append(
            f"The plan's uplift interval ({low:,.4g} to {high:,.4g}) includes zero: the "
            f"data do not rule out that the reallocation gains nothing (P(beats the "
            f"reference) = {plan.prob_beats_reference:.2f})."
        )
    notes.extend(f"Optimizer: {w}" for w in plan.warnings)
    return notes


def caveats(result: RunResult) -> list[str]:
    """The run's caveats, most general first, each one sentence or two."""
    return [
        *_always(result),
        *_geo(result),
        *_diagnostics(result),
        *_roi(result),
        *_plan(result),
    ]
