"""EDA's checks: each turns one part of the report into findings (:class:`~mmm.config.Finding`).

Checks (the ``check`` field): ``adequacy``, ``correlated_channels``, ``coactive_channels``,
``vif``, ``condition_number``, ``rank``, ``spend_share``, ``spend_variation``,
``off_stretch``, ``kpi_structure``, ``baseline_sign``, ``ridge_penalty``. Bands are the fields
of :class:`~mmm.eda.EDAThresholds`.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from mmm.config import Finding, Severity
from mmm.eda._baselines import Baselines
from mmm.eda._collinearity import Collinearity
from mmm.eda._profile import DataProfile
from mmm.eda._thresholds import EDAThresholds

__all__ = ["CHECKS", "findings_of"]

CHECKS = (
    "rank",
    "adequacy",
    "correlated_channels",
    "coactive_channels",
    "vif",
    "condition_number",
    "spend_share",
    "spend_variation",
    "baseline_sign",
    "ridge_penalty",
    "off_stretch",
    "kpi_structure",
)
_RANK = {"critical": 0, "warning": 1, "info": 2}


def _banded(value: float, warning: float, critical: float) -> Severity | None:
    if value >= critical:
        return "critical"
    if value >= warning:
        return "warning"
    return None


def adequacy(profile: DataProfile, th: EDAThresholds) -> list[Finding]:
    a = profile.adequacy
    ratio = a.periods_per_parameter
    severity: Severity
    if ratio < th.periods_per_parameter_critical:
        severity, limit = "critical", th.periods_per_parameter_critical
    elif ratio < th.periods_per_parameter_warning:
        severity, limit = "warning", th.periods_per_parameter_warning
    else:
        return []
    shown = math.floor(ratio * 100) / 100  # rounded down: 4.95 never reads as "5.0, below 5"
    return [
        Finding(
            "adequacy",
            severity,
            "data",
            f"{a.n_periods} periods for {a.n_parameters} model parameters ({shown:.2f} per "
            f"parameter, below {limit:g}): the posterior will lean "
            "on the priors; use informative (e.g. experiment-based ROI) priors, fewer "
            "channels or seasonal terms, or more history",
            ratio,
        )
    ]


def pairs(collinearity: Collinearity, th: EDAThresholds) -> list[Finding]:
    out = []
    for row in collinearity.pairs.iter_rows(named=True):
        a, b = row["a"], row["b"]
        spend_r, resp_r = row["spend_pearson"], row["response_pearson"]
        strongest = (
            np.nanmax(np.abs([spend_r, resp_r])) if np.isfinite([spend_r, resp_r]).any() else np.nan
        )
        severity = (
            _banded(float(strongest), th.pair_warning, th.pair_critical)
            if np.isfinite(strongest)
            else None
        )
        if severity is not None:
            out.append(
                Finding(
                    "correlated_channels",
                    severity,
                    f"{a} & {b}",
                    f"{a} and {b} correlate at {spend_r:.2f} in spend and {resp_r:.2f} after "
                    "adstock and saturation: their separate ROIs will be poorly identified; "
                    "give one an experiment-based ROI prior, or model them as one channel",
                    float(strongest),
                )
            )
        phi = row["on_off_phi"]
        flighted = min(row["off_share_a"], row["off_share_b"]) >= th.min_off_share
        if flighted and np.isfinite(phi) and phi >= th.coactivity:
            out.append(
                Finding(
                    "coactive_channels",
                    "warning",
                    f"{a} & {b}",
                    f"{a} and {b} are nearly always on and off together (on/off correlation "
                    f"{phi:.2f}): the data have few periods that separate them; stagger their "
                    "flights in future, or add prior information for one",
                    float(phi),
                )
            )
    return out


def vif_and_condition(collinearity: Collinearity, th: EDAThresholds) -> list[Finding]:
    out = []
    frame = collinearity.vif
    for row in frame.filter(pl.col("kind") != "baseline").iter_rows(named=True):
        value = row["vif"]
        severity = _banded(value, th.vif_warning, th.vif_critical) if value == value else None
        if severity is not None:
            out.append(
                Finding(
                    "vif",
                    severity,
                    row["term"],
                    f"{row['term']}'s media response has VIF {value:.3g}: it is largely a linear "
                    "combination of the other features, so its effect is uncertain; see the "
                    "correlation matrix for the partners",
                    float(value),
                )
            )
    high = frame.filter(
        (pl.col("kind") == "baseline")
        & pl.col("vif").is_not_nan()
        & (pl.col("vif") >= th.vif_warning)
    )
    if high.height:
        terms = ", ".join(f"{t} ({v:.3g})" for t, v in zip(high["term"], high["vif"], strict=True))
        out.append(
            Finding(
                "vif",
                "info",
                "baseline",
                f"baseline features with VIF >= {th.vif_warning:g}: {terms}; their individual "
                "coefficients are uncertain (their sum may be fine)",
                float(high["vif"].max()),  # type: ignore[arg-type]
            )
        )
    kappa = collinearity.condition_number
    severity = _banded(kappa, th.condition_warning, th.condition_critical)
    if severity is not None:
        out.append(
            Finding(
                "condition_number",
                severity,
                "design",
                f"the standardized design has condition number {kappa:.3g}: some combination "
                "of features is nearly collinear, so coefficients trade off; read the VIFs "
                "and channel pairs",
                kappa,
            )
        )
    if collinearity.rank < collinearity.n_terms:
        out.append(
            Finding(
                "rank",
                "critical",
                "design",
                f"the design has rank {collinearity.rank} for {collinearity.n_terms} "
                "features: some features are exact linear combinations of others (a "
                "duplicated channel or control, an event that is always on); drop or merge them",
                float(collinearity.rank),
            )
        )
    return out


def spend(profile: DataProfile, th: EDAThresholds) -> list[Finding]:
    out = []
    rows = profile.columns.filter(pl.col("role") == "spend").iter_rows(named=True)
    for row in rows:
        channel = row["column"].split("__", 1)[1]
        share = row["spend_share"]
        if share is not None and share < th.min_spend_share:
            out.append(
                Finding(
                    "spend_share",
                    "warning",
                    channel,
                    f"{channel} has {100 * share:.2g}% of total spend: its ROI will be mostly "
                    "its prior; report it with that caveat or group it with a similar channel",
                    share,
                )
            )
        cv = row["cv"]
        if cv == cv and cv < th.min_spend_cv:
            out.append(
                Finding(
                    "spend_variation",
                    "warning",
                    channel,
                    f"{channel}'s spend hardly varies (coefficient of variation {cv:.2g}): "
                    "its effect cannot be told apart from the intercept; an experiment or "
                    "an ROI prior is needed",
                    cv,
                )
            )
        run = row["longest_zero_run"]
        if run >= th.long_off_run:
            out.append(
                Finding(
                    "off_stretch",
                    "info",
                    channel,
                    f"{channel} is off for {run} consecutive periods from "
                    f"{row['zero_run_start']}: a natural experiment that helps identify it",
                    float(run),
                )
            )
    return out


def kpi_structure(profile: DataProfile) -> list[Finding]:
    k = profile.kpi
    parts = [f"trend strength {k.trend:.2f} (slope {k.slope_per_year:.4g} per year)"]
    if k.seasonality is not None:
        parts.append(f"yearly seasonality strength {k.seasonality:.2f}")
    else:
        parts.append("seasonality not assessed (under a year of data)")
    return [
        Finding(
            "kpi_structure",
            "info",
            "kpi",
            "the KPI has " + ", ".join(parts) + "; the baseline must capture these",
            k.trend,
        )
    ]


def baseline_signs(baselines: Baselines) -> list[Finding]:
    out = []
    table = baselines.ridge.channels()
    for row in table.iter_rows(named=True):
        if row["contribution"] < 0:
            out.append(
                Finding(
                    "baseline_sign",
                    "info",
                    row["channel"],
                    f"cross-validated ridge (fixed transforms) gives {row['channel']} a "
                    f"negative effect (ROI {row['roi']:.3g}): the data alone do not show it "
                    "working; the Bayesian model's positive prior will carry it",
                    float(row["roi"]),
                )
            )
    cv = baselines.ridge.cv
    if cv is not None and cv.at_edge:
        low = cv.penalty == cv.penalties[0]
        meaning = (
            "the data need almost no shrinkage (ridge is close to OLS)"
            if low
            else "the validation error prefers heavy shrinkage (the features predict little "
            "out of sample)"
        )
        out.append(
            Finding(
                "ridge_penalty",
                "info",
                "ridge",
                f"the cross-validated ridge penalty {cv.penalty:.3g} is the "
                f"{'smallest' if low else 'largest'} tried: {meaning}; pass a wider "
                "penalties grid to locate it",
                cv.penalty,
            )
        )
    return out


def findings_of(
    profile: DataProfile,
    collinearity: Collinearity,
    baselines: Baselines,
    thresholds: EDAThresholds,
) -> tuple[Finding, ...]:
    """Every finding, worst first, then in :data:`CHECKS` order, then by subject."""
    found = [
        *adequacy(profile, thresholds),
        *pairs(collinearity, thresholds),
        *vif_and_condition(collinearity, thresholds),
        *spend(profile, thresholds),
        *kpi_structure(profile),
        *baseline_signs(baselines),
    ]
    return tuple(sorted(found, key=lambda f: (_RANK[f.severity], CHECKS.index(f.check), f.subject)))
