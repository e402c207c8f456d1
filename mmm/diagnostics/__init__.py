"""The diagnostics layer: can a fitted model be trusted, and why not when it cannot.

Everything here works on a fit's posterior arrays (:class:`mmm.modeling.FittedMMM`:
draws, sampler statistics, pointwise log-likelihood) and on the pure functions of
:mod:`mmm.modeling`, never on the sampler or the NumPyro model.

* :func:`summarize`: convergence (R-hat, ESS, MCSE, divergences, tree depth, E-BFMI, or
  the optimizer's loss for SVI/MAP/Laplace), pass / warn / fail with what to do;
* :func:`predictive_check`: in-sample R2, MAPE, NRMSE, interval coverage, residual
  autocorrelation;
* :func:`cross_validate`: rolling-origin out-of-sample validation (refits per fold,
  warm-started), MAPE/CRPS per fold and the stability of each channel's ROI;
* :func:`loo`, :func:`waic`, :func:`compare`: model comparison by PSIS-LOO / WAIC;
* :func:`review`: the sanity checks an experienced modeler runs by eye (ROI range,
  negative baseline, prior-dominated channels, control signs, media share, parameters at
  a prior boundary), as findings with severities;
* :func:`recovery_check`: simulate data with the user's own design and spec, fit, and
  report how well ROI and contributions are recovered;
* ``plot_*``: traces, rank histograms, R-hat/ESS overview and posterior predictive plots,
  returning matplotlib Figures/Axes.

See ``docs/06_DIAGNOSTICS.md``.
"""

from mmm.diagnostics._compare import Comparison, Criterion, ModelScore, compare, loo, waic
from mmm.diagnostics._convergence import (
    DiagnosticsReport,
    ebfmi,
    parameter_labels,
    scalar_draws,
    summarize,
)
from mmm.diagnostics._cv import CrossValidation, Window, cross_validate, crps
from mmm.diagnostics._plots import (
    ParameterOrder,
    SupportsToFrame,
    plot_convergence,
    plot_fit,
    plot_ppc,
    plot_ppc_density,
    plot_rank,
    plot_residuals,
    plot_trace,
)
from mmm.diagnostics._ppc import PredictiveCheck, acf, durbin_watson, ljung_box, predictive_check
from mmm.diagnostics._recovery import DEFAULT_MEDIA_SHARE_RANGE, Recovery, recovery_check
from mmm.diagnostics._review import (
    DEFAULT_ROI_RANGE,
    Finding,
    Review,
    ReviewThresholds,
    Severity,
    review,
)
from mmm.diagnostics._stats import ess_bulk, ess_mean, ess_tail, mcse_mean, mcse_sd, rhat
from mmm.diagnostics._thresholds import Check, Status, Thresholds, checks_frame

__all__ = [
    # convergence
    "summarize",
    "DiagnosticsReport",
    "Thresholds",
    "Check",
    "checks_frame",
    "Status",
    "scalar_draws",
    "parameter_labels",
    "rhat",
    "ess_bulk",
    "ess_tail",
    "ess_mean",
    "mcse_mean",
    "mcse_sd",
    "ebfmi",
    # posterior predictive checks
    "predictive_check",
    "PredictiveCheck",
    "acf",
    "durbin_watson",
    "ljung_box",
    # model comparison
    "loo",
    "waic",
    "compare",
    "Comparison",
    "ModelScore",
    "Criterion",
    # out-of-sample validation
    "cross_validate",
    "CrossValidation",
    "Window",
    "crps",
    # sanity review
    "review",
    "Review",
    "Finding",
    "Severity",
    "ReviewThresholds",
    "DEFAULT_ROI_RANGE",
    # parameter recovery
    "recovery_check",
    "Recovery",
    "DEFAULT_MEDIA_SHARE_RANGE",
    # plots
    "plot_trace",
    "plot_rank",
    "plot_convergence",
    "plot_fit",
    "plot_residuals",
    "plot_ppc_density",
    "plot_ppc",
    "ParameterOrder",
    "SupportsToFrame",
]
