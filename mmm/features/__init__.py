"""The features layer: media transforms, baseline features, feature specs and the pipeline.

Kernels are pure JAX functions on one series, vmapped by the caller: ``adstock`` carries
spend over into later periods, ``saturation`` maps (adstocked) spend to a diminishing
response. Specs (frozen ``equinox.Module``s that own their priors) describe a model's
components; :func:`build_design` turns a dataset and specs into scaled arrays.

Examples:
    >>> import jax, jax.numpy as jnp
    >>> from mmm.features import adstock, saturation
    >>> spend = jnp.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]])  # (channel, time)
    >>> carried = jax.vmap(lambda x, a: adstock.geometric(x, a, l_max=3))(
    ...     spend, jnp.array([0.5, 0.0])
    ... )
    >>> carried
    Array([[1.  , 0.5 , 0.25],
           [0.  , 2.  , 0.  ]], dtype=float32)
"""

from mmm.features import adstock, saturation
from mmm.features._baseline_specs import (
    AbstractBaseline,
    Controls,
    Events,
    Fourier,
    Intercept,
    LinearTrend,
    PiecewiseTrend,
)
from mmm.features._context import DesignContext
from mmm.features._defaults import default_baseline_specs, default_l_max, default_media_spec
from mmm.features._design import (
    DegenerateColumns,
    Design,
    Scalings,
    ScalingSpec,
    build_design,
    default_baseline,
    design_context,
    media_inputs,
    resolve_media_specs,
)
from mmm.features._events import event_window
from mmm.features._fourier import (
    day_of_year_fraction,
    fourier_features,
    fourier_labels,
    years_since_epoch,
)
from mmm.features._media_specs import (
    AbstractAdstock,
    AbstractSaturation,
    DelayedAdstock,
    GeometricAdstock,
    HillSaturation,
    LogisticSaturation,
    MediaSpec,
    MichaelisMentenSaturation,
    PowerSaturation,
    TanhSaturation,
    WeibullCDFAdstock,
    WeibullPDFAdstock,
)
from mmm.features._priors import SUPPORTED_PRIORS, prior_from_dict, prior_to_dict, stack_priors
from mmm.features._scaling import (
    MaxScaling,
    MeanColumnScaling,
    MeanScaling,
    PeakScaling,
    ScalingError,
    Standardization,
)
from mmm.features._spec import SPEC_TYPES, AbstractSpec, spec_from_dict, spec_to_dict
from mmm.features._stack import group_by_structure, stack_specs, structure_key
from mmm.features._trend import (
    changepoint_grid,
    linear_trend,
    piecewise_linear_trend,
    time_index,
)

__all__ = [
    # kernels
    "adstock",
    "saturation",
    "day_of_year_fraction",
    "years_since_epoch",
    "fourier_features",
    "fourier_labels",
    "time_index",
    "linear_trend",
    "piecewise_linear_trend",
    "changepoint_grid",
    "event_window",
    # scaling
    "MaxScaling",
    "MeanScaling",
    "MeanColumnScaling",
    "PeakScaling",
    "ScalingSpec",
    "Standardization",
    "ScalingError",
    # specs
    "AbstractSpec",
    "AbstractAdstock",
    "GeometricAdstock",
    "DelayedAdstock",
    "WeibullCDFAdstock",
    "WeibullPDFAdstock",
    "AbstractSaturation",
    "HillSaturation",
    "LogisticSaturation",
    "MichaelisMentenSaturation",
    "TanhSaturation",
    "PowerSaturation",
    "MediaSpec",
    "AbstractBaseline",
    "Intercept",
    "LinearTrend",
    "PiecewiseTrend",
    "Fourier",
    "Controls",
    "Events",
    # priors, serialization, batching
    "SUPPORTED_PRIORS",
    "prior_to_dict",
    "prior_from_dict",
    "stack_priors",
    "SPEC_TYPES",
    "spec_to_dict",
    "spec_from_dict",
    "structure_key",
    "stack_specs",
    "group_by_structure",
    # pipeline
    "DesignContext",
    "Design",
    "Scalings",
    "DegenerateColumns",
    "build_design",
    "default_baseline",
    "design_context",
    "media_inputs",
    "resolve_media_specs",
    # defaults
    "default_l_max",
    "default_media_spec",
    "default_baseline_specs",
]
