"""``report``: everything EDA knows about a dataset, in one object with findings.

What a careful analyst looks at before fitting a Bayesian MMM: the data profile, the
correlations and collinearity of what the model will see, lagged correlations, and OLS /
cross-validated ridge baselines as a reference point. No Bayesian inference here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import polars as pl

from mmm.config import Finding, findings_frame, severity_counts, worst_severity
from mmm.data import MMMDataSet
from mmm.eda._baselines import Baselines, LinearBaseline, linear_baselines
from mmm.eda._collinearity import (
    Collinearity,
    Correlations,
    collinearity,
    correlations,
    lagged_correlations,
)
from mmm.eda._design import TransformParams, count_parameters
from mmm.eda._features import EDAFeatures, FeatureSpec, resolve_features
from mmm.eda._findings import findings_of
from mmm.eda._profile import Adequacy, DataProfile, column_profile, kpi_decomposition, kpi_strength
from mmm.eda._ridge_cv import DEFAULT_PENALTIES
from mmm.eda._thresholds import EDAThresholds

__all__ = ["EDAReport", "report"]


@dataclasses.dataclass(frozen=True)
class EDAReport:
    """The pre-model analysis of one dataset.

    Attributes:
        dataset: the dataset analysed.
        features: the media and baseline specs used (the spec's, or the defaults).
        profile: per-column summary, KPI trend/seasonality strength, data adequacy.
        correlations: Pearson and Spearman matrices of the series.
        collinearity: VIF, condition number, rank and channel pairs of the design.
        lagged: ``channel, lag, corr, corr_adjusted`` (spend ``lag`` periods before the KPI).
        baselines: OLS and cross-validated ridge (``.ols``, ``.ridge``).
        findings: every finding, worst first.
        thresholds: the bands used.
    """

    dataset: MMMDataSet
    features: EDAFeatures
    profile: DataProfile
    correlations: Correlations
    collinearity: Collinearity
    lagged: pl.DataFrame
    baselines: Baselines
    findings: tuple[Finding, ...]
    thresholds: EDAThresholds

    @property
    def ols(self) -> LinearBaseline:
        """The OLS baseline."""
        return self.baselines.ols

    @property
    def ridge(self) -> LinearBaseline:
        """The cross-validated ridge baseline."""
        return self.baselines.ridge

    @property
    def worst(self) -> str:
        """``"ok"``, ``"info"``, ``"warning"`` or ``"critical"``."""
        return worst_severity(self.findings)

    @property
    def passed(self) -> bool:
        """No critical finding (read the warnings anyway)."""
        return self.worst != "critical"

    @property
    def collinear_pairs(self) -> list[tuple[str, str]]:
        """The channel pairs flagged as correlated (warning or critical), in channel order."""
        pairs = [f.subject for f in self.findings if f.check == "correlated_channels"]
        order = self.dataset.channels
        out = [tuple(p.split(" & ")) for p in pairs]
        return sorted(
            ((a, b) for a, b in out), key=lambda ab: (order.index(ab[0]), order.index(ab[1]))
        )

    def to_frame(self) -> pl.DataFrame:
        """The findings: ``check, severity, subject, value, message``."""
        return findings_frame(self.findings)

    def __str__(self) -> str:
        ds, p = self.dataset, self.profile
        counts = severity_counts(self.findings)
        verdict = "passed" if self.passed else "NOT passed"
        a = p.adequacy
        lines = [
            f"EDA report: {verdict} (worst: {self.worst}; {counts['critical']} critical, "
            f"{counts['warning']} warning(s), {counts['info']} info)",
            f"  data: {ds.n_periods} {ds.frequency.value} periods {ds.start}..{ds.end}, "
            f"{len(ds.channels)} channel(s), {len(ds.controls)} control(s), "
            f"{len(ds.events)} event(s); {a.n_parameters} model parameters "
            f"({math.floor(a.periods_per_parameter * 100) / 100:.2f} periods each)",
        ]
        lines += [
            f"  [{f.severity:>8}] {f.check} / {f.subject}: {f.message}" for f in self.findings
        ]
        value = self.ridge.value_per_kpi
        valued = f", one {ds.kpi} valued at {value:g}" if value != 1.0 else ""
        lines.append(f"  channels (spend share, zero share, VIF; ridge ROI, OLS ROI{valued}):")
        columns = {row["column"]: row for row in p.columns.iter_rows(named=True)}
        vif = dict(zip(self.collinearity.vif["term"], self.collinearity.vif["vif"], strict=True))
        ridge = dict(zip(*self.ridge.channels().select("channel", "roi"), strict=True))
        ols = dict(zip(*self.ols.channels().select("channel", "roi"), strict=True))
        for channel in ds.channels:
            row = columns[f"spend__{channel}"]
            lines.append(
                f"    {channel:<14} {100 * row['spend_share']:5.1f}%  "
                f"{100 * row['zero_share']:5.1f}%  {vif[channel]:7.3g}  "
                f"{ridge[channel]:9.3g}  {ols[channel]:9.3g}"
            )
        cv = self.ridge.cv
        penalty = f"penalty {cv.penalty:.3g} by {len(cv.folds)}-fold rolling CV" if cv else ""
        lines.append(
            f"  design: condition number {self.collinearity.condition_number:.3g}, rank "
            f"{self.collinearity.rank}/{self.collinearity.n_terms}; OLS R² "
            f"{self.ols.r2:.3f}, ridge R² {self.ridge.r2:.3f} ({penalty})"
        )
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # notebooks
        return f"<pre>{self!s}</pre>"


def report(
    ds: MMMDataSet,
    spec: FeatureSpec | None = None,
    *,
    transform_params: TransformParams | None = None,
    thresholds: EDAThresholds | None = None,
    max_lag: int | None = None,
    penalties: Sequence[float] = DEFAULT_PENALTIES,
    folds: int = 5,
    horizon: int | None = None,
    min_train: int | None = None,
    value_per_kpi: float = 1.0,
) -> EDAReport:
    """Analyse a dataset before modeling: profile, collinearity, baselines, findings.

    Args:
        ds: the validated dataset.
        spec: a model spec (e.g. ``ModelSpec.default(ds)`` or your own) whose media
            transforms and baseline components the design uses; ``None`` uses the ones
            ``ModelSpec.default`` would choose.
        transform_params: fixed adstock/saturation parameters of the frequentist
            baselines, one mapping for all channels (``{"adstock/alpha": 0.5}``) or one
            per channel; the rest are the priors' means.
        thresholds: the bands of the findings (:class:`EDAThresholds`).
        max_lag: largest lag of the lagged correlations (``None``: twice the largest
            adstock ``l_max``, capped at a third of the periods).
        penalties: ridge penalties to try (per observation, on standardized columns).
        folds: rolling-origin folds of the ridge CV.
        horizon: validation periods per fold (``None``: the second half split evenly).
        min_train: training periods of the first fold (``None``: half the data).
        value_per_kpi: the money value of one KPI unit, for the baselines' quick ROI (see
            :attr:`mmm.modeling.ModelSpec.value_per_kpi`); 1 for a KPI that is money.

    Returns:
        The :class:`EDAReport`.

    Raises:
        ValueError: for a spec of other channels, unknown transform parameters, or CV
            folds that do not fit the data.

    Examples:
        >>> from mmm.datasets import simulate
        >>> from mmm import eda
        >>> ds, _ = simulate(n_weeks=104, n_channels=3, seed=0)
        >>> rep = eda.report(ds)
        >>> rep.passed, rep.collinear_pairs
        (True, [])
    """
    thresholds = EDAThresholds() if thresholds is None else thresholds
    features = resolve_features(ds, spec)
    l_max = {c: int(m.adstock.l_max) for c, m in features.media.items()}
    if max_lag is None:
        max_lag = min(2 * max(l_max.values()), ds.n_periods // 3)
    arrays = ds.to_arrays()
    profile = DataProfile(
        columns=column_profile(ds),
        kpi=kpi_strength(ds),
        adequacy=Adequacy(ds.n_periods, count_parameters(features, arrays)),
    )
    baselines = linear_baselines(
        ds,
        transform_params=transform_params,
        penalties=penalties,
        folds=folds,
        horizon=horizon,
        min_train=min_train,
        features=features,
        value_per_kpi=value_per_kpi,
    )
    design = baselines.ols.design
    collinear = collinearity(ds, design)
    lagged = lagged_correlations(ds, max_lag, kpi_decomposition(ds).remainder)
    return EDAReport(
        dataset=ds,
        features=features,
        profile=profile,
        correlations=correlations(ds),
        collinearity=collinear,
        lagged=lagged,
        baselines=baselines,
        findings=findings_of(profile, collinear, baselines, thresholds),
        thresholds=thresholds,
    )
