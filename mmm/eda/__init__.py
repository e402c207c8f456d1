"""The EDA layer: what to look at before fitting a Bayesian MMM.

:func:`report` profiles a dataset (per-column summaries, zero runs, spend shares, KPI
trend and seasonality strength, periods per model parameter), measures collinearity
(Pearson/Spearman correlations, channel pairs before and after adstock and saturation,
on/off co-activity, VIF, condition number, rank), lagged correlations of spend with the
KPI, and fits OLS and ridge baselines (penalty by rolling-origin CV that never sees a
fold's future) on the feature pipeline's design with fixed transform parameters; every
check becomes a :class:`~mmm.config.Finding` with a severity. No Bayesian inference.

Examples:
    >>> from mmm import eda
    >>> from mmm.datasets import load_example
    >>> rep = eda.report(load_example("pymc_marketing"))
    >>> rep.ridge.channels()["channel"].to_list()
    ['x1', 'x2']
"""

from mmm.config import Finding, Severity
from mmm.eda._baselines import Baselines, LinearBaseline, linear_baselines
from mmm.eda._collinearity import (
    Collinearity,
    Correlations,
    channel_pairs,
    collinearity,
    correlations,
    lagged_correlations,
)
from mmm.eda._design import (
    RegressionDesign,
    TransformParams,
    count_parameters,
    prior_centers,
    regression_design,
    resolve_transform_params,
)
from mmm.eda._export import report_figures, report_tables, write_report
from mmm.eda._features import EDAFeatures, FeatureSpec, resolve_features
from mmm.eda._linear import LeastSquares, condition_number, ols, ridge, vif
from mmm.eda._plots import (
    channel_colors,
    plot_baselines,
    plot_correlation,
    plot_kpi_spend,
    plot_lagged_correlation,
    plot_spend_share,
    plot_vif,
)
from mmm.eda._profile import (
    Adequacy,
    DataProfile,
    KPIDecomposition,
    KPIStrength,
    column_profile,
    kpi_decomposition,
    kpi_strength,
)
from mmm.eda._report import EDAReport, report
from mmm.eda._ridge_cv import DEFAULT_PENALTIES, CVFold, RidgeCV, ridge_cv, rolling_folds
from mmm.eda._stats import (
    average_ranks,
    lagged_correlation,
    longest_zero_run,
    pearson_matrix,
    spearman_matrix,
)
from mmm.eda._thresholds import EDAThresholds

__all__ = [
    # the report
    "report",
    "EDAReport",
    "EDAThresholds",
    "Finding",
    "Severity",
    # profile
    "DataProfile",
    "Adequacy",
    "KPIStrength",
    "KPIDecomposition",
    "column_profile",
    "kpi_strength",
    "kpi_decomposition",
    "count_parameters",
    # correlation and collinearity
    "Correlations",
    "Collinearity",
    "correlations",
    "channel_pairs",
    "collinearity",
    "lagged_correlations",
    "vif",
    "condition_number",
    # frequentist baselines
    "FeatureSpec",
    "EDAFeatures",
    "resolve_features",
    "TransformParams",
    "prior_centers",
    "resolve_transform_params",
    "RegressionDesign",
    "regression_design",
    "LeastSquares",
    "ols",
    "ridge",
    "DEFAULT_PENALTIES",
    "CVFold",
    "RidgeCV",
    "ridge_cv",
    "rolling_folds",
    "Baselines",
    "LinearBaseline",
    "linear_baselines",
    # plots and export
    "channel_colors",
    "plot_kpi_spend",
    "plot_correlation",
    "plot_vif",
    "plot_spend_share",
    "plot_lagged_correlation",
    "plot_baselines",
    "report_tables",
    "report_figures",
    "write_report",
    # statistics
    "pearson_matrix",
    "spearman_matrix",
    "average_ranks",
    "longest_zero_run",
    "lagged_correlation",
]
