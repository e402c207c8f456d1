r"""The regression design of EDA's frequentist baselines, from the feature pipeline.

For a dataset window and the features of :mod:`mmm.eda._features` the design has one
column per paid channel (its unit response ``MediaSpec.apply(params, x)`` of the
max-scaled media ``x``, with **fixed** transform parameters), one per organic series
(likewise), and the baseline components' basis columns, against the scaled KPI:

.. math:: y_t / s_{kpi} \approx \sum_j X_{tj} b_j .

Every baseline component enters the model linearly in its parameters (intercept, trends,
Fourier terms, controls, events, including the piecewise trend's slope changes), so its
columns are the Jacobian of its ``apply`` with respect to those parameters: one generic
rule, no per-class code.

Fixed transform parameters default to the prior means of each ``MediaSpec`` (see
:func:`prior_centers`) and are overridden per channel with ``transform_params``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from jaxtyping import Float
from numpyro.distributions import Distribution

from mmm.data import ModelArrays
from mmm.eda._features import EDAFeatures
from mmm.features import AbstractBaseline, MediaSpec, Scalings, build_design

__all__ = [
    "TransformParams",
    "RegressionDesign",
    "prior_centers",
    "resolve_transform_params",
    "regression_design",
    "count_parameters",
]

TransformParams = Mapping[str, float] | Mapping[str, Mapping[str, float]]
"""Fixed transform parameters: one flat mapping for every series (``{"adstock/alpha":
0.5, "saturation/lam": 2.0}``), or a mapping per channel / organic series of such."""

_MEDIAN_DRAWS = 4001
"""Monte Carlo draws for the median of a prior without a finite mean."""


def _central_value(prior: Distribution, key: jax.Array) -> float:
    try:
        mean = np.asarray(prior.mean, dtype=np.float64)
    except NotImplementedError:
        mean = np.array(np.nan)
    if mean.size == 1 and np.isfinite(mean).all():
        return float(mean.reshape(()))
    draws = np.asarray(prior.sample(key, (_MEDIAN_DRAWS,)), dtype=np.float64)
    return float(np.median(draws.reshape(_MEDIAN_DRAWS, -1)[:, 0]))


def prior_centers(spec: MediaSpec) -> dict[str, float]:
    """A central value of each transform parameter's prior, keyed ``"adstock/<p>"``, ...

    The prior mean, or for a prior without a finite mean (a half-Cauchy, say) its median
    by Monte Carlo with a fixed key (the same every run).

    Examples:
        >>> from mmm.features import GeometricAdstock, LogisticSaturation
        >>> import numpyro.distributions as dist
        >>> spec = MediaSpec(GeometricAdstock(alpha=dist.Beta(1.0, 3.0)), LogisticSaturation())
        >>> prior_centers(spec)["adstock/alpha"]
        0.25
    """
    out: dict[str, float] = {}
    key = jax.random.PRNGKey(0)
    for family, part in (("adstock", spec.adstock), ("saturation", spec.saturation)):
        for name, prior in part.priors().items():
            key, sub = jax.random.split(key)
            out[f"{family}/{name}"] = _central_value(prior, sub)
    return out


def resolve_transform_params(
    features: EDAFeatures, transform_params: TransformParams | None
) -> dict[str, dict[str, float]]:
    """Fixed parameters per channel and organic series: prior centers, then the overrides.

    Raises:
        ValueError: naming unknown series or parameter names, or non-finite values.
    """
    specs = {**features.media, **features.organic}
    out = {name: prior_centers(spec) for name, spec in specs.items()}
    if transform_params is None:
        return out
    values = list(transform_params.values())
    if values and all(isinstance(v, Mapping) for v in values):
        per_series: Mapping[str, Mapping[str, float]] = transform_params  # type: ignore[assignment]
        unknown = sorted(set(per_series) - set(specs))
        if unknown:
            raise ValueError(
                f"transform_params names unknown series {unknown}; the channels and organic "
                f"series are {list(specs)}"
            )
    elif any(isinstance(v, Mapping) for v in values):
        raise ValueError(
            "transform_params mixes per-series mappings and values: pass either "
            "{'adstock/alpha': 0.5, ...} for all series or {'tv': {'adstock/alpha': 0.5}, ...}"
        )
    else:
        flat: Mapping[str, float] = transform_params  # type: ignore[assignment]
        per_series = dict.fromkeys(specs, flat)
    for name, overrides in per_series.items():
        unknown = sorted(set(overrides) - set(out[name]))
        if unknown:
            raise ValueError(
                f"transform_params[{name!r}] has unknown parameter(s) {unknown}; "
                f"{name!r} has {sorted(out[name])}"
            )
        for key, value in overrides.items():
            if not np.isfinite(float(value)):
                raise ValueError(f"transform_params[{name!r}][{key!r}] = {value!r} is not finite")
            out[name][key] = float(value)
    return out


def _baseline_sites(spec: AbstractBaseline, n_features: int) -> dict[str, jax.Array]:
    """This component's sampled parameters (zeros, with their shapes; nothing is sampled)."""

    def sites() -> dict[str, jax.Array]:
        run = numpyro.handlers.trace(numpyro.handlers.seed(spec.sample_for, 0))
        trace = run.get_trace(n_features)
        return {k: v["value"] for k, v in trace.items() if v["type"] == "sample"}

    prefix = f"{spec.name}/"
    return {
        site.removeprefix(prefix): jnp.zeros(shape.shape, shape.dtype)
        for site, shape in jax.eval_shape(sites).items()
    }


@eqx.filter_jit
def _jacobian(
    spec: AbstractBaseline, at: Mapping[str, jax.Array], features: Float[jax.Array, "time feature"]
) -> dict[str, jax.Array]:
    """``d apply / d params`` at ``at`` (one compiled program per component and shape)."""
    return jax.jacfwd(lambda p: spec.apply(p, features))(at)


def _baseline_basis(
    spec: AbstractBaseline, features: Float[jax.Array, "time feature"], labels: tuple[str, ...]
) -> tuple[Float[np.ndarray, "time basis"], list[str]]:
    sampled = _baseline_sites(spec, features.shape[1])
    at = spec.coefficients(sampled, jnp.zeros((), features.dtype))
    jacobian = _jacobian(spec, at, features)
    columns, names = [], []
    for key in sorted(jacobian):
        block = np.asarray(jacobian[key], dtype=np.float64).reshape(features.shape[0], -1)
        columns.append(block)
        if key in spec.feature_params and block.shape[1] == len(labels):
            names += list(labels)
        else:
            names += [f"{spec.name}_{key}_{i + 1}" for i in range(block.shape[1])]
    return np.concatenate(columns, axis=1), names


def count_parameters(features: EDAFeatures, arrays: ModelArrays) -> int:
    """Free parameters of the Bayesian model with these features (plus one noise scale).

    Per channel and organic series: its transform parameters and one amplitude; per
    baseline component: the sizes of its sampled sites (one coefficient per feature column,
    a piecewise trend's changes, ...).
    """
    per_series = sum(
        len(m.adstock.param_names) + len(m.saturation.param_names) + 1
        for m in (*features.media.values(), *features.organic.values())
    )
    design = build_design(arrays, media=features.media, baseline=features.baseline)
    baseline = sum(
        int(sum(v.size for v in _baseline_sites(spec, m.shape[1]).values()))
        for spec, m in zip(features.baseline, design.baseline, strict=True)
    )
    return per_series + baseline + 1


@dataclasses.dataclass(frozen=True)
class RegressionDesign:
    """A linear design ``y ~ X b`` in the model's scaled units.

    Attributes:
        x: ``(time, term)`` media unit responses, organic responses, baseline basis.
        y: ``(time,)`` KPI divided by ``kpi_scale``.
        terms: label of each column (the channel, the organic series, the baseline
            feature label).
        groups: component of each column (channel, organic series or baseline spec name).
        kinds: ``"media"``, ``"organic"`` or ``"baseline"`` per column.
        kpi_scale: the KPI scale of the training window (multiply by it for KPI units).
        spend: ``(time, channel)`` spend in money units (float64).
        dates: the period dates.
        channels: the paid channels (the first ``len(channels)`` columns, in order).
        scalings: the scalings used (fitted on the training window).
    """

    x: Float[np.ndarray, "time term"]
    y: Float[np.ndarray, " time"]
    terms: tuple[str, ...]
    groups: tuple[str, ...]
    kinds: tuple[str, ...]
    kpi_scale: float
    spend: Float[np.ndarray, "time channel"]
    dates: tuple[dt.date, ...]
    channels: tuple[str, ...]
    scalings: Scalings


@eqx.filter_jit
def _response(
    spec: MediaSpec, params: dict[str, jax.Array], x: Float[jax.Array, " time"]
) -> Float[jax.Array, " time"]:
    return spec.apply(params, x)


def _responses(
    specs: Mapping[str, MediaSpec],
    params: Mapping[str, Mapping[str, float]],
    inputs: Float[jax.Array, "time series"],
) -> list[np.ndarray]:
    out = []
    for i, (name, spec) in enumerate(specs.items()):
        p = {k: jnp.asarray(v, inputs.dtype) for k, v in params[name].items()}
        out.append(np.asarray(_response(spec, p, inputs[:, i]), dtype=np.float64))
    return out


def regression_design(
    arrays: ModelArrays,
    features: EDAFeatures,
    params: Mapping[str, Mapping[str, float]],
    scalings: Scalings | None = None,
) -> RegressionDesign:
    """The design of ``arrays`` (a window), scaled by ``scalings`` (``None``: fitted here).

    Pass the training window's scalings to build a longer window (training followed by
    validation periods) exactly as the training rows were built: adstock only looks back,
    so each row depends on data up to its own date only.
    """
    design = build_design(
        arrays,
        media=features.media,
        baseline=features.baseline,
        scalings=scalings,
        scaling=features.scaling,
    )
    columns = _responses(features.media, params, design.media)
    terms = list(features.media)
    groups = list(features.media)
    kinds = ["media"] * len(terms)
    if features.organic:
        columns += _responses(features.organic, params, design.organic)
        terms += list(features.organic)
        groups += list(features.organic)
        kinds += ["organic"] * len(features.organic)
    blocks = [np.stack(columns, axis=1)] if columns else []
    for spec, matrix, labels in zip(
        features.baseline, design.baseline, design.baseline_labels, strict=True
    ):
        basis, names = _baseline_basis(spec, matrix, labels)
        blocks.append(basis)
        terms += names
        groups += [spec.name] * len(names)
        kinds += ["baseline"] * len(names)
    return RegressionDesign(
        x=np.concatenate(blocks, axis=1),
        y=np.asarray(design.kpi, dtype=np.float64),
        terms=tuple(terms),
        groups=tuple(groups),
        kinds=tuple(kinds),
        kpi_scale=float(design.scalings.kpi.scale),
        spend=np.asarray(arrays.spend, dtype=np.float64),
        dates=arrays.dates,
        channels=tuple(features.media),
        scalings=design.scalings,
    )
