r"""OLS and ridge baselines on the feature pipeline's design: a reference for the Bayesian fit.

Both regress the scaled KPI on the :mod:`mmm.eda._design` design (media unit responses
with fixed transform parameters, organic responses, baseline basis). Contributions are
``coef_j X_tj`` summed per component, in KPI units; a channel's quick ROI is the value
of its summed contribution over the window (``value_per_kpi`` x KPI, money per money when
the KPI is valued as in :attr:`mmm.modeling.ModelSpec.value_per_kpi`) divided by its
summed spend (carry-over past the window's end is not counted). These numbers ignore the
uncertainty in the transform parameters: use them as a sanity reference, not as the
answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

import numpy as np
import polars as pl
from jaxtyping import Float

from mmm.config import check_value_per_kpi
from mmm.data import MMMDataSet
from mmm.eda._design import (
    RegressionDesign,
    TransformParams,
    regression_design,
    resolve_transform_params,
)
from mmm.eda._features import EDAFeatures, FeatureSpec, resolve_features
from mmm.eda._linear import LeastSquares, ols, ridge
from mmm.eda._ridge_cv import DEFAULT_PENALTIES, RidgeCV, ridge_cv

__all__ = ["LinearBaseline", "Baselines", "linear_baselines"]


@dataclasses.dataclass(frozen=True)
class LinearBaseline:
    """One fitted frequentist baseline.

    Attributes:
        method: ``"ols"`` or ``"ridge"``.
        fit: the least-squares solution (``coef``, ``se``, ``rank``, ``penalty``).
        design: the regression design it was fitted on.
        transform_params: the fixed transform parameters, per channel / organic series.
        cv: the ridge penalty search (``None`` for OLS).
        value_per_kpi: the money value of one KPI unit, for the quick ROI (1: KPI units
            per unit of spend).
    """

    method: Literal["ols", "ridge"]
    fit: LeastSquares
    design: RegressionDesign
    transform_params: dict[str, dict[str, float]]
    cv: RidgeCV | None
    value_per_kpi: float = 1.0

    @property
    def fitted(self) -> Float[np.ndarray, " time"]:
        """In-sample fit in KPI units, ``(time,)``."""
        return self.fit.fitted * self.design.kpi_scale

    @property
    def actual(self) -> Float[np.ndarray, " time"]:
        """The KPI in its units, ``(time,)``."""
        return self.design.y * self.design.kpi_scale

    @property
    def r2(self) -> float:
        """In-sample R^2."""
        resid = self.actual - self.fitted
        return float(1.0 - np.sum(resid**2) / np.sum((self.actual - self.actual.mean()) ** 2))

    @property
    def rmse(self) -> float:
        """In-sample RMSE, KPI units."""
        return float(np.sqrt(np.mean((self.actual - self.fitted) ** 2)))

    def component_contributions(self) -> dict[str, Float[np.ndarray, " time"]]:
        """Per component (channel, organic series, baseline spec) its contribution, KPI units."""
        d = self.design
        terms = d.x * self.fit.coef[None, :] * d.kpi_scale
        out: dict[str, np.ndarray] = {}
        for j, group in enumerate(d.groups):
            out[group] = out.get(group, 0.0) + terms[:, j]
        return out

    def coefficients(self) -> pl.DataFrame:
        """``term, component, kind, coef, se`` (scaled units: KPI / its scale per unit column)."""
        d = self.design
        return pl.DataFrame(
            {
                "term": list(d.terms),
                "component": list(d.groups),
                "kind": list(d.kinds),
                "coef": self.fit.coef,
                "se": self.fit.se,
            }
        )

    def contributions(self) -> pl.DataFrame:
        """Long frame ``date, component, contribution`` (KPI units)."""
        parts = self.component_contributions()
        n = len(self.design.dates)
        return pl.DataFrame(
            {
                "date": list(self.design.dates) * len(parts),
                "component": [name for name in parts for _ in range(n)],
                "contribution": np.concatenate(list(parts.values())),
            }
        )

    def channels(self) -> pl.DataFrame:
        """Per paid channel: ``spend``, ``contribution``, ``share`` of the KPI, ``roi``.

        ``roi`` is ``value_per_kpi * contribution / spend`` (NaN without spend).
        """
        parts = self.component_contributions()
        spend = self.design.spend.sum(axis=0)
        contribution = np.array([parts[c].sum() for c in self.design.channels])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = contribution / np.where(spend > 0, spend, 1.0)
        roi = np.where(spend > 0, self.value_per_kpi * ratio, np.nan)
        return pl.DataFrame(
            {
                "channel": list(self.design.channels),
                "spend": spend,
                "contribution": contribution,
                "share": contribution / self.actual.sum(),
                "roi": roi,
            }
        )


@dataclasses.dataclass(frozen=True)
class Baselines:
    """OLS and cross-validated ridge on the same design."""

    ols: LinearBaseline
    ridge: LinearBaseline

    def to_frame(self) -> pl.DataFrame:
        """Per channel and method: ``method, channel, coef, spend, contribution, share, roi``."""
        frames = []
        for model in (self.ols, self.ridge):
            coefs = model.fit.coef[: len(model.design.channels)]
            frames.append(
                model.channels().with_columns(
                    pl.lit(model.method).alias("method"), pl.Series("coef", coefs)
                )
            )
        return pl.concat(frames).select(
            "method", "channel", "coef", "spend", "contribution", "share", "roi"
        )


def linear_baselines(
    dataset: MMMDataSet,
    spec: FeatureSpec | None = None,
    *,
    transform_params: TransformParams | None = None,
    penalties: Sequence[float] = DEFAULT_PENALTIES,
    folds: int = 5,
    horizon: int | None = None,
    min_train: int | None = None,
    features: EDAFeatures | None = None,
    value_per_kpi: float = 1.0,
) -> Baselines:
    """Fit OLS and ridge (penalty by rolling-origin CV) on the dataset's design.

    Args:
        dataset: the dataset.
        spec: a model spec whose features to use (``None``: the default model's).
        transform_params: fixed adstock/saturation parameters (see
            :data:`mmm.eda.TransformParams`); the rest are the priors' means.
        penalties: ridge penalties to try (per observation, standardized columns).
        folds: number of rolling-origin folds (see :func:`rolling_folds`).
        horizon: validation periods per fold (``None``: the second half split evenly).
        min_train: training periods of the first fold (``None``: half the data).
        features: already resolved features (overrides ``spec``).
        value_per_kpi: the money value of one KPI unit (revenue per conversion, say), for
            the quick ROI; 1 for a KPI that is money.

    Returns:
        :class:`Baselines` with ``.ols`` and ``.ridge``.

    Examples:
        >>> from mmm.datasets import simulate
        >>> ds, truth = simulate(n_weeks=104, n_channels=2, seed=1)
        >>> fits = linear_baselines(ds, transform_params={"adstock/alpha": 0.4})
        >>> fits.ridge.r2 > 0.5, fits.ridge.transform_params["tv"]["adstock/alpha"]
        (True, 0.4)
    """
    value_per_kpi = check_value_per_kpi(value_per_kpi)
    features = resolve_features(dataset, spec) if features is None else features
    params = resolve_transform_params(features, transform_params)
    arrays = dataset.to_arrays()
    design = regression_design(arrays, features, params)
    cv = ridge_cv(
        arrays,
        features,
        params,
        penalties=penalties,
        folds=folds,
        horizon=horizon,
        min_train=min_train,
    )
    return Baselines(
        ols=LinearBaseline("ols", ols(design.x, design.y), design, params, None, value_per_kpi),
        ridge=LinearBaseline(
            "ridge", ridge(design.x, design.y, cv.penalty), design, params, cv, value_per_kpi
        ),
    )
