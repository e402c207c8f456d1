"""The modeling layer: the NumPyro MMM assembled from feature specs, fitting, prediction, I/O.

A :class:`ModelSpec` describes the model (per-channel media specs, media effect
parametrization, baseline components, likelihood); :func:`fit` runs NUTS, HMC, SVI, MAP
or Laplace and returns a thin :class:`FittedMMM`; :func:`predict` gives the posterior
predictive in and out of sample; :func:`load` and ``FittedMMM.save`` store a fit without
pickle. See ``docs/05_MODELING.md``.

Examples:
    >>> from mmm.datasets import load_example
    >>> from mmm.modeling import ModelSpec
    >>> spec = ModelSpec.default(load_example("pymc_marketing"))
    >>> spec.channels, [b.name for b in spec.baseline]
    (('x1', 'x2'), ['intercept', 'trend', 'yearly', 'events'])
"""

from mmm.modeling._checks import (
    MIN_ACTIVE_PERIODS,
    ModelDataError,
    check_before_fit,
    count_parameters,
)
from mmm.modeling._effects import (
    AbstractMediaEffect,
    CoefficientEffect,
    ContributionEffect,
    ROIEffect,
    WindowTotals,
)
from mmm.modeling._fit import ChainMethod, Guide, Method, design_for, fit, prior_fit
from mmm.modeling._fitted import FitInfo, FittedMMM, site_dims, to_site, to_variable
from mmm.modeling._io import FORMAT_VERSION, IncompatibleFileError, load, save
from mmm.modeling._likelihood import AbstractLikelihood, NormalLikelihood, StudentTLikelihood
from mmm.modeling._mcmc import INIT_JITTER, prior_centre, starting_point
from mmm.modeling._model import (
    Components,
    MediaGroup,
    Site,
    components,
    latent_sites,
    media_groups,
    mmm_model,
    model_sites,
    organic_groups,
    unit_responses,
)
from mmm.modeling._predict import Prediction, expected_kpi, history_and_future, predict
from mmm.modeling._spec import SPEC_FORMAT_VERSION, ModelSpec, default_l_max, spend_share_effect
from mmm.modeling._totals import DrawTotals, draw_totals, prior_samples, roi_draws, totals_of

__all__ = [
    # spec
    "ModelSpec",
    "SPEC_FORMAT_VERSION",
    "default_l_max",
    "spend_share_effect",
    "AbstractMediaEffect",
    "ContributionEffect",
    "CoefficientEffect",
    "ROIEffect",
    "WindowTotals",
    "AbstractLikelihood",
    "NormalLikelihood",
    "StudentTLikelihood",
    # model
    "mmm_model",
    "components",
    "Components",
    "media_groups",
    "organic_groups",
    "unit_responses",
    "MediaGroup",
    "model_sites",
    "Site",
    # fitting
    "fit",
    "Method",
    "ChainMethod",
    "Guide",
    "design_for",
    "prior_centre",
    "starting_point",
    "INIT_JITTER",
    "prior_fit",
    "latent_sites",
    "check_before_fit",
    "count_parameters",
    "ModelDataError",
    "MIN_ACTIVE_PERIODS",
    # results of a fit
    "FittedMMM",
    "FitInfo",
    "site_dims",
    "to_variable",
    "to_site",
    # prediction
    "predict",
    "Prediction",
    "expected_kpi",
    "history_and_future",
    # per-draw totals and prior draws
    "DrawTotals",
    "draw_totals",
    "totals_of",
    "roi_draws",
    "prior_samples",
    # persistence
    "save",
    "load",
    "FORMAT_VERSION",
    "IncompatibleFileError",
]
