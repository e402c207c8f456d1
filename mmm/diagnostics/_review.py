r"""``review``: the sanity checks an experienced modeler runs by eye on a fitted MMM.

Convergence (:func:`mmm.diagnostics.summarize`) says whether the draws describe the
posterior; this module asks whether that posterior makes sense. Each check gives
:class:`Finding`\ s with a severity and one sentence saying what was found and what to do:

* ``roi_range``: a channel's ROI outside a plausible range (``roi_range``): the whole
  central interval outside is critical, only the posterior mean outside a warning;
* ``negative_baseline``: per period ``P(baseline_t < 0)``, the baseline being everything
  that is neither paid media nor organic (intercept, trend, seasonality, controls,
  events): a KPI that media "explain" beyond 100% in some period;
* ``prior_contraction``: per scalar parameter the contraction
  :math:`1 - \mathrm{Var}_{post} / \mathrm{Var}_{prior}` (prior draws from
  :func:`mmm.modeling.prior_samples` on the fit's design), and each channel's ROI under
  the prior against the posterior: a channel whose ROI posterior is just its prior
  (little contraction and a mean that did not move) has been learned from the priors, not
  the data;
* ``control_sign``: ``P(coef has the expected sign)`` for the controls the user declares;
* ``media_share``: the share of the KPI explained by paid media over the window;
* ``prior_boundary``: an adstock or saturation parameter whose posterior median lies
  beyond its prior's 1% / 99% quantile, or whose posterior mass piles up at a finite
  bound of its support (generic over every transform parameter of the spec).

Thresholds are documented fields of :class:`ReviewThresholds`.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Literal

import numpy as np
import polars as pl
from jaxtyping import Float

from mmm.config import Finding, Severity, findings_frame, severity_counts
from mmm.diagnostics._convergence import parameter_labels
from mmm.features import Controls
from mmm.modeling import (
    FittedMMM,
    draw_totals,
    latent_sites,
    media_groups,
    organic_groups,
    prior_samples,
    roi_draws,
    site_dims,
    totals_of,
)

__all__ = ["Severity", "Finding", "ReviewThresholds", "Review", "review", "DEFAULT_ROI_RANGE"]

_RANK: dict[str, int] = {"ok": -1, "info": 0, "warning": 1, "critical": 2}
_CHECKS = (
    "roi_range",
    "negative_baseline",
    "prior_contraction",
    "control_sign",
    "media_share",
    "prior_boundary",
)

DEFAULT_ROI_RANGE = (0.1, 10.0)
"""Default plausible ROI range, in KPI units per money unit over the training window.

For a revenue KPI (ROI = ROAS) a channel returning under 0.10 or over 10 per money unit
spent is rare enough in published MMMs and experiments to deserve a second look. For a
KPI in other units (orders, sign-ups) restate the range in those units, or pass
``roi_range=None`` to skip the check.
"""


@dataclasses.dataclass(frozen=True)
class ReviewThresholds:
    """The bands of :func:`review`'s checks.

    Attributes:
        negative_baseline_warning: worst per-period ``P(baseline < 0)`` at or above which
            the check warns (0.1).
        negative_baseline_critical: ... and is critical (0.5: in some period a negative
            baseline is more likely than not).
        roi_contraction: a channel's ROI contraction below this (0.2: the posterior sd is
            still about 90% of the prior's) ...
        roi_shift: ... together with a posterior mean within this many prior sds of the
            prior mean (0.5) flags the ROI as prior-dominated (a warning).
        parameter_contraction: scalar parameters contracting less than this (0.1) are
            listed in one info finding (weakly informed by the data).
        sign_warning: ``P(expected sign)`` below this warns (0.5: the other sign is more
            likely).
        sign_critical: ... below this is critical (0.05: the data contradict it).
        media_share_high: a posterior mean share of the KPI explained by paid media above
            this warns (0.8: almost no base demand, rarely plausible).
        media_share_low: ... below this warns (0.01: media explain nearly nothing).
        boundary_quantile: a transform parameter's posterior median below the prior's
            ``boundary_quantile`` quantile or above its ``1 - boundary_quantile`` one warns
            (0.01).
        boundary_tolerance: "at a bound" means within this fraction of the prior's central
            98% range of a finite support bound (0.02) ...
        boundary_mass: ... for at least this share of the posterior draws (0.5).
    """

    negative_baseline_warning: float = 0.1
    negative_baseline_critical: float = 0.5
    roi_contraction: float = 0.2
    roi_shift: float = 0.5
    parameter_contraction: float = 0.1
    sign_warning: float = 0.5
    sign_critical: float = 0.05
    media_share_high: float = 0.8
    media_share_low: float = 0.01
    boundary_quantile: float = 0.01
    boundary_tolerance: float = 0.02
    boundary_mass: float = 0.5

    def __post_init__(self) -> None:
        for name in (
            "negative_baseline_warning",
            "negative_baseline_critical",
            "sign_warning",
            "sign_critical",
            "media_share_high",
            "media_share_low",
            "boundary_tolerance",
            "boundary_mass",
        ):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"ReviewThresholds({name}={getattr(self, name)!r}): pass (0, 1]")
        if not 0 < self.boundary_quantile < 0.5:
            raise ValueError(
                f"ReviewThresholds(boundary_quantile={self.boundary_quantile!r}): pass (0, 0.5)"
            )
        if self.roi_shift <= 0 or self.roi_contraction > 1 or self.parameter_contraction > 1:
            raise ValueError(
                "ReviewThresholds: roi_shift must be > 0, roi_contraction and "
                "parameter_contraction <= 1"
            )
        for low, high in (
            ("negative_baseline_warning", "negative_baseline_critical"),
            ("sign_critical", "sign_warning"),
            ("media_share_low", "media_share_high"),
        ):
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"ReviewThresholds: {low} must be <= {high}")


@dataclasses.dataclass(frozen=True, eq=False)
class Review:
    """The findings of :func:`review` on one fit.

    Attributes:
        findings: every finding, worst first (then in check order, then by subject).
        channels: the per-channel table the checks used (see :func:`review`).
        parameters: per scalar free parameter: ``parameter``, ``site``, ``prior_mean``,
            ``prior_sd``, ``posterior_mean``, ``posterior_sd``, ``contraction``.
        roi_range: the plausible ROI range used (``None``: not checked).
        level: the central interval level used.
    """

    findings: tuple[Finding, ...]
    channels: pl.DataFrame
    parameters: pl.DataFrame
    roi_range: tuple[float, float] | None
    level: float

    @property
    def worst(self) -> Literal["ok", "info", "warning", "critical"]:
        """The worst severity over the findings, ``"ok"`` without any."""
        if not self.findings:
            return "ok"
        return self.findings[0].severity

    @property
    def passed(self) -> bool:
        """No critical finding (warnings allowed: read them)."""
        return self.worst != "critical"

    def by_check(self, check: str) -> tuple[Finding, ...]:
        """The findings of one check (``"roi_range"``, ...).

        Raises:
            ValueError: for an unknown check name (the message lists them).
        """
        if check not in _CHECKS:
            raise ValueError(f"check={check!r} is not a check: choose one of {_CHECKS}")
        return tuple(f for f in self.findings if f.check == check)

    def to_frame(self) -> pl.DataFrame:
        """The findings as a frame: ``check``, ``severity``, ``subject``, ``value``, ``message``."""
        return findings_frame(self.findings)

    def __str__(self) -> str:
        counts = severity_counts(self.findings)
        verdict = "passed" if self.passed else "NOT passed"
        lines = [
            f"Model review: {verdict} (worst: {self.worst}; {counts['critical']} critical, "
            f"{counts['warning']} warning(s), {counts['info']} info)"
        ]
        lines += [
            f"  [{f.severity:>8}] {f.check} / {f.subject}: {f.message}" for f in self.findings
        ]
        pct = round(100 * self.level)
        lines.append(f"  channels (ROI mean [{pct}% interval], prior mean, contraction):")
        for row in self.channels.iter_rows(named=True):
            lines.append(
                f"    {row['channel']:<14} {row['roi_mean']:8.3g} [{row['roi_lower']:.3g}, "
                f"{row['roi_upper']:.3g}]  prior {row['prior_roi_mean']:.3g}  "
                f"contraction {row['roi_contraction']:.2f}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # notebooks
        return f"<pre>{self!s}</pre>"


# --- argument checks ---------------------------------------------------------------------


def _check_arguments(
    fitted: object,
    roi_range: object,
    level: object,
    prior_draws: object,
    seed: object,
    thresholds: object,
) -> tuple[float, float] | None:
    if not isinstance(fitted, FittedMMM):
        raise ValueError(f"fitted is a {type(fitted).__name__}: pass a FittedMMM (from fit)")
    if not isinstance(thresholds, ReviewThresholds):
        raise ValueError(f"thresholds is a {type(thresholds).__name__}: pass ReviewThresholds()")
    if not isinstance(level, float | int) or isinstance(level, bool) or not 0 < level < 1:
        raise ValueError(f"level={level!r} is not valid: pass a float in (0, 1), e.g. 0.9")
    for name, value, minimum in (("prior_draws", prior_draws, 10), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name}={value!r} is not valid: pass an int >= {minimum}")
    if roi_range is None:
        return None
    try:
        lo, hi = (float(v) for v in roi_range)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ValueError(
            f"roi_range={roi_range!r} is not valid: pass (low, high) floats or None"
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"roi_range={roi_range!r} is not valid: pass finite low < high")
    return lo, hi


def _check_signs(fitted: FittedMMM, expected: Mapping[str, int]) -> dict[str, tuple[str, int]]:
    """``control -> (site, column)`` of every declared control; validates the signs."""
    where: dict[str, tuple[str, int]] = {}
    for spec, labels in zip(fitted.spec.baseline, fitted.design.baseline_labels, strict=True):
        if isinstance(spec, Controls):
            where.update({c: (f"{spec.name}/coef", j) for j, c in enumerate(labels)})
    unknown = sorted(set(expected) - set(where))
    if unknown:
        raise ValueError(
            f"expected_signs names unknown control(s) {unknown}; the model's controls are "
            f"{sorted(where) or 'none (add a Controls baseline)'}"
        )
    bad = {c: s for c, s in expected.items() if isinstance(s, bool) or s not in (-1, 1)}
    if bad:
        raise ValueError(f"expected_signs values {bad} are not valid: use -1 or +1 per control")
    return {c: where[c] for c in expected}


# --- helpers ---------------------------------------------------------------------------------


@contextmanager
def _undefined_is_nan() -> Iterator[None]:
    """Statistics of too few (or no finite) draws are NaN, without numpy's warnings.

    A MAP fit has one draw (no variance), a channel without spend has no ROI.
    """
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _contraction(prior: np.ndarray, posterior: np.ndarray) -> np.ndarray:
    """``1 - var_post / var_prior`` along axis 0 (NaN where the prior does not vary)."""
    with _undefined_is_nan():
        prior_var = np.nanvar(prior, axis=0, ddof=1)
        post_var = np.nanvar(posterior, axis=0, ddof=1)
        return np.where(prior_var > 0, 1.0 - post_var / prior_var, np.nan)


def _parameter_table(
    fitted: FittedMMM, post: Mapping[str, np.ndarray], prior: Mapping[str, np.ndarray]
) -> pl.DataFrame:
    rows: dict[str, list[object]] = {
        k: []
        for k in (
            "parameter",
            "site",
            "prior_mean",
            "prior_sd",
            "posterior_mean",
            "posterior_sd",
            "contraction",
        )
    }
    dims, coords = site_dims(fitted.spec, fitted.design)
    for site, values in post.items():
        p = np.asarray(values, dtype=np.float64).reshape(values.shape[0], -1)
        q = np.asarray(prior[site], dtype=np.float64).reshape(prior[site].shape[0], -1)
        contraction = _contraction(q, p)
        for j, label in enumerate(parameter_labels(site, tuple(values.shape[1:]), dims, coords)):
            for key, v in zip(
                rows,
                (
                    label,
                    site,
                    q[:, j].mean(),
                    q[:, j].std(ddof=1),
                    p[:, j].mean(),
                    p[:, j].std(ddof=1) if p.shape[0] > 1 else np.nan,  # MAP: one draw
                    contraction[j],
                ),
                strict=True,
            ):
                rows[key].append(v if isinstance(v, str) else float(v))
    return pl.DataFrame(rows, schema_overrides=dict.fromkeys(list(rows)[2:], pl.Float64))


def _interval(x: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    with _undefined_is_nan():
        lo, hi = np.nanquantile(x, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return lo, hi


# --- the checks --------------------------------------------------------------------------


def _roi_findings(
    table: pl.DataFrame, roi_range: tuple[float, float], pct: int, kpi: str, value: float
) -> list[Finding]:
    lo, hi = roi_range
    # the range is in the ROI's units: say which, a conversions KPI needs its own range
    units = (
        f" (money per unit of spend, one {kpi} valued at {value:g})"
        if value != 1.0
        else f" ({kpi} per unit of spend; for a KPI that is not money, set the spec's "
        "value_per_kpi or pass the roi_range that fits it)"
    )
    out: list[Finding] = []
    for row in table.iter_rows(named=True):
        c, mean, low, high = row["channel"], row["roi_mean"], row["roi_lower"], row["roi_upper"]
        if not np.isfinite(mean):
            continue
        side = "above" if mean > hi else "below"
        where = f"ROI {mean:.3g} ({pct}% interval {low:.3g} to {high:.3g})"
        if low > hi or high < lo:
            out.append(
                Finding(
                    "roi_range",
                    "critical",
                    c,
                    f"{c}: {where} lies entirely {side} the plausible range {lo:g} to {hi:g}"
                    f"{units}: check the channel's spend and KPI units, its priors, and "
                    "whether another driver (a missing control, an event) moves with its "
                    "spend.",
                    float(mean),
                )
            )
        elif not lo <= mean <= hi:
            out.append(
                Finding(
                    "roi_range",
                    "warning",
                    c,
                    f"{c}: {where} has its mean {side} the plausible range {lo:g} to {hi:g}"
                    f"{units}: treat it with caution and compare it with experiments or a tighter "
                    "ROI prior.",
                    float(mean),
                )
            )
    return out


def _baseline_finding(
    baseline: Float[np.ndarray, "draw time"], dates: tuple[object, ...], th: ReviewThresholds
) -> Finding:
    p = np.mean(baseline < 0, axis=0)
    t = int(np.argmax(p))
    worst = float(p[t])
    n_half = int(np.sum(p > 0.5))
    n_warn = int(np.sum(p >= th.negative_baseline_warning))
    what = (
        f"P(baseline < 0) is {worst:.2f} at worst ({dates[t]}); {n_half} of {len(p)} periods "
        f"above 0.5, {n_warn} at or above {th.negative_baseline_warning:g}"
    )
    if worst >= th.negative_baseline_critical:
        severity: Severity = "critical"
        todo = (
            ": media explain more than the whole KPI there; constrain them (tighter share "
            "or ROI priors), add the missing driver of those periods, or check the KPI data."
        )
    elif worst >= th.negative_baseline_warning:
        severity, todo = "warning", ": look at those periods and the size of the media effects."
    else:
        severity, todo = "info", ": the baseline stays positive."
    return Finding("negative_baseline", severity, "model", what + todo, worst)


def _prior_dominated(table: pl.DataFrame, th: ReviewThresholds) -> list[Finding]:
    out = []
    for row in table.iter_rows(named=True):
        c, kappa, shift = row["channel"], row["roi_contraction"], row["roi_shift"]
        if np.isfinite(kappa) and kappa < th.roi_contraction and shift < th.roi_shift:
            out.append(
                Finding(
                    "prior_contraction",
                    "warning",
                    c,
                    f"{c}: the ROI posterior is essentially its prior (contraction "
                    f"{kappa:.2f}, mean moved {shift:.2f} prior sd): the data say little about "
                    "this channel, so do not base budget decisions on its ROI; add an "
                    "experiment-based ROI prior or data with more variation in its spend.",
                    float(kappa),
                )
            )
    return out


def _weak_parameters(parameters: pl.DataFrame, th: ReviewThresholds) -> list[Finding]:
    weak = parameters.filter(pl.col("contraction") < th.parameter_contraction)
    if weak.height == 0:
        return []
    names = weak["parameter"].to_list()
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    return [
        Finding(
            "prior_contraction",
            "info",
            "model",
            f"{len(names)} of {parameters.height} parameters contracted less than "
            f"{th.parameter_contraction:g} from their prior ({shown}): their values come from "
            "the priors; state those priors deliberately (review.parameters).",
            float(len(names)),
        )
    ]


def _sign_findings(
    post: Mapping[str, np.ndarray],
    where: Mapping[str, tuple[str, int]],
    expected: Mapping[str, int],
    th: ReviewThresholds,
) -> list[Finding]:
    out = []
    for control, (site, j) in where.items():
        sign = expected[control]
        coef = np.asarray(post[site]).reshape(post[site].shape[0], -1)[:, j]
        p = float(np.mean(np.sign(coef) == sign))
        word = "positive" if sign > 0 else "negative"
        what = f"{control}: P(coefficient {word}, as expected) = {p:.2f}"
        if p < th.sign_critical:
            severity: Severity = "critical"
            todo = (
                ": the data contradict the expected sign; check the control's data and "
                "units, and for a confounder or a collinear channel or control."
            )
        elif p < th.sign_warning:
            severity = "warning"
            todo = ": the opposite sign is more likely; check the control against the channels."
        else:
            severity, todo = "info", ": consistent with the expectation."
        out.append(Finding("control_sign", severity, control, what + todo, p))
    return out


def _share_finding(
    media: Float[np.ndarray, "draw channel"],
    mean: Float[np.ndarray, "draw time"],
    level: float,
    th: ReviewThresholds,
) -> Finding:
    total = mean.sum(axis=1)
    share = media.sum(axis=1)[total > 0] / total[total > 0]
    if share.size == 0:
        return Finding(
            "media_share",
            "warning",
            "model",
            "the expected KPI summed over the window is not positive in any draw, so the media "
            "share is undefined: fix the baseline first (see negative_baseline).",
            float("nan"),
        )
    m = float(np.mean(share))
    lo, hi = _interval(share, level)
    what = (
        f"paid media explain {m:.1%} of the KPI over the window ({round(100 * level)}% "
        f"interval {float(lo):.1%} to {float(hi):.1%})"
    )
    if m > th.media_share_high:
        return Finding(
            "media_share",
            "warning",
            "model",
            what + f", above {th.media_share_high:.0%}: almost no base demand is rarely "
            "plausible; check the baseline components and tighten the media priors.",
            m,
        )
    if m < th.media_share_low:
        return Finding(
            "media_share",
            "warning",
            "model",
            what + f", below {th.media_share_low:.0%}: check that the spend varies enough and "
            "that the media priors are not too tight.",
            m,
        )
    return Finding("media_share", "info", "model", what + ".", m)


def _boundary_findings(
    fitted: FittedMMM,
    post: Mapping[str, np.ndarray],
    prior: Mapping[str, np.ndarray],
    th: ReviewThresholds,
) -> list[Finding]:
    """Every transform parameter of every media group, whatever the transform families."""
    out = []
    q = th.boundary_quantile
    for group in [*media_groups(fitted.spec), *organic_groups(fitted.spec)]:
        for part, sub in (("adstock", group.spec.adstock), ("saturation", group.spec.saturation)):
            for name, distribution in sub.priors().items():
                site = f"{group.prefix}/{part}/{name}"
                if site not in post:
                    continue
                n = len(group.channels)
                x = np.asarray(post[site], dtype=np.float64).reshape(-1, n)
                z = np.asarray(prior[site], dtype=np.float64).reshape(-1, n)
                q_lo, q_hi = np.quantile(z, [q, 1 - q], axis=0)
                tol = th.boundary_tolerance * (q_hi - q_lo)
                support = distribution.support
                bounds = [
                    np.broadcast_to(np.asarray(b, dtype=np.float64), (n,))
                    for b in (
                        getattr(support, "lower_bound", None),
                        getattr(support, "upper_bound", None),
                    )
                    if b is not None
                ]
                for j, channel in enumerate(group.channels):
                    finding = _boundary_one(
                        site,
                        channel,
                        x[:, j],
                        (q_lo[j], q_hi[j]),
                        tol[j],
                        [b[j] for b in bounds],
                        q,
                        th,
                    )
                    if finding is not None:
                        out.append(finding)
    return out


def _boundary_one(
    site: str,
    channel: str,
    x: np.ndarray,
    quantiles: tuple[float, float],
    tol: float,
    bounds: list[float],
    q: float,
    th: ReviewThresholds,
) -> Finding | None:
    subject = f"{site}[{channel}]"
    for bound in bounds:
        if not np.isfinite(bound):
            continue
        mass = float(np.mean(np.abs(x - bound) <= tol))
        if mass >= th.boundary_mass:
            return Finding(
                "prior_boundary",
                "warning",
                subject,
                f"{subject}: {mass:.0%} of the posterior piles within {tol:.3g} of its "
                f"support bound {bound:g}: the data push it to the edge; if that is real, "
                "simplify the transform, else check the channel's spend for variation and "
                "collinearity and restate the prior.",
                mass,
            )
    median = float(np.median(x))
    lo, hi = quantiles
    if median < lo or median > hi:
        side, edge = ("below", f"{q:.0%}") if median < lo else ("above", f"{1 - q:.0%}")
        return Finding(
            "prior_boundary",
            "warning",
            subject,
            f"{subject}: the posterior median {median:.3g} lies {side} the prior's {edge} "
            f"quantile ({lo:.3g} to {hi:.3g}): the prior fights the data; widen or recentre "
            "it, or check the channel's data.",
            median,
        )
    return None


# --- the review ------------------------------------------------------------------------------


def _channel_table(
    fitted: FittedMMM,
    roi: np.ndarray,
    prior_roi: np.ndarray,
    media: np.ndarray,
    spend: np.ndarray,
    level: float,
) -> pl.DataFrame:
    lo, hi = _interval(roi, level)
    with _undefined_is_nan():
        prior_mean = np.nanmean(prior_roi, axis=0)
        prior_sd = np.nanstd(prior_roi, axis=0, ddof=1)
        mean = np.nanmean(roi, axis=0)
        sd = np.nanstd(roi, axis=0, ddof=1)
        shift = np.abs(mean - prior_mean) / prior_sd
    return pl.DataFrame(
        {
            "channel": list(fitted.spec.channels),
            "spend": spend.astype(np.float64),
            "contribution": media.mean(axis=0).astype(np.float64),
            "roi_mean": mean,
            "roi_lower": lo,
            "roi_upper": hi,
            "roi_sd": sd,
            "prior_roi_mean": prior_mean,
            "prior_roi_sd": prior_sd,
            "roi_contraction": _contraction(prior_roi, roi),
            "roi_shift": shift,
        }
    )


def review(
    fitted: FittedMMM,
    *,
    roi_range: tuple[float, float] | None = DEFAULT_ROI_RANGE,
    expected_signs: Mapping[str, int] | None = None,
    level: float = 0.9,
    prior_draws: int = 1000,
    seed: int = 0,
    prior: Mapping[str, np.ndarray] | None = None,
    thresholds: ReviewThresholds | None = None,
) -> Review:
    """Run the sanity checks of this module on a fit (see the module docstring).

    Args:
        fitted: the fit.
        roi_range: plausible ``(low, high)`` ROI, KPI units per money unit over the
            training window (default :data:`DEFAULT_ROI_RANGE`); ``None`` skips the check.
        expected_signs: expected sign per control name, ``+1`` or ``-1`` (e.g.
            ``{"price": -1}``); ``None`` skips the check.
        level: central interval level of the ROIs and the media share, in ``(0, 1)``.
        prior_draws: number of prior draws (>= 10) for the contraction and boundary checks.
        seed: PRNG seed of the prior draws.
        prior: prior draws already made with
            ``prior_samples(fitted.spec, fitted.design, ...)`` (each ``(draw, ...)``), to
            reuse across reviews of fits of one spec on one design; ``None`` draws them.
        thresholds: the bands of the checks (``None``: :class:`ReviewThresholds()`).

    Returns:
        The :class:`Review`. Its ``channels`` table has per channel: ``channel``, ``spend``
        (window total), ``contribution`` (posterior mean, KPI units), ``roi_mean``,
        ``roi_lower``, ``roi_upper`` (central ``level`` interval), ``roi_sd``,
        ``prior_roi_mean``, ``prior_roi_sd``, ``roi_contraction`` and ``roi_shift``
        (``|posterior mean - prior mean| / prior sd``).

    Raises:
        ValueError: for an invalid argument, a control in ``expected_signs`` the model does
            not have (the message lists its controls), a sign other than -1/+1, or
            ``prior`` draws that lack a site of the model.
    """
    th = ReviewThresholds() if thresholds is None else thresholds
    checked_range = _check_arguments(fitted, roi_range, level, prior_draws, seed, th)
    where = _check_signs(fitted, expected_signs) if expected_signs else {}
    latent, _ = latent_sites(fitted.spec, fitted.design)
    if prior is None:
        prior = prior_samples(fitted.spec, fitted.design, prior_draws, seed)
    missing = [s for s in latent if s not in prior]
    if missing:
        raise ValueError(
            f"prior draws lack the site(s) {missing}: pass prior_samples(fitted.spec, "
            "fitted.design, ...) of this fit, or prior=None"
        )
    post = fitted.free_samples()
    post = {k: v.reshape(-1, *v.shape[2:]) for k, v in post.items()}
    totals = draw_totals(fitted)
    prior_totals = totals_of(fitted.spec, {k: np.asarray(prior[k]) for k in latent}, fitted.design)
    channels = _channel_table(
        fitted, roi_draws(totals), roi_draws(prior_totals), totals.media, totals.spend, level
    )
    parameters = _parameter_table(fitted, post, prior)
    findings: list[Finding] = []
    if checked_range is not None:
        kpi = fitted.dataset.kpi
        findings += _roi_findings(
            channels, checked_range, round(100 * level), kpi, fitted.spec.value_per_kpi
        )
    findings.append(_baseline_finding(totals.baseline, fitted.design.dates, th))
    findings += _prior_dominated(channels, th)
    findings += _weak_parameters(parameters, th)
    if expected_signs:
        findings += _sign_findings(post, where, expected_signs, th)
    findings.append(_share_finding(totals.media, totals.mean, level, th))
    findings += _boundary_findings(fitted, post, prior, th)
    order = sorted(findings, key=lambda f: (-_RANK[f.severity], _CHECKS.index(f.check), f.subject))
    return Review(
        findings=tuple(order),
        channels=channels,
        parameters=parameters,
        roi_range=checked_range,
        level=float(level),
    )
