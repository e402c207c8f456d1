r"""The data profile: per-column summaries, KPI trend and seasonality strength, adequacy.

Trend and seasonality strength (Hyndman & Athanasopoulos, *Forecasting: Principles and
Practice*, 3rd ed., §4.2) on the decomposition of the KPI by least squares into a linear
trend ``T``, yearly Fourier seasonality ``S`` (order 2) and remainder ``R``:

.. math:: F_T = \max\Big(0, 1 - \frac{\mathrm{Var}(R)}{\mathrm{Var}(T + R)}\Big), \qquad
          F_S = \max\Big(0, 1 - \frac{\mathrm{Var}(R)}{\mathrm{Var}(S + R)}\Big).

``F`` near 1 means that part dominates the KPI's variation; seasonality needs at least a
year of data (``None`` otherwise).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
from jaxtyping import Float

from mmm.config import Role, column_name
from mmm.data import MMMDataSet
from mmm.eda._stats import longest_zero_run
from mmm.features import day_of_year_fraction, fourier_features, time_index

__all__ = [
    "KPIStrength",
    "KPIDecomposition",
    "Adequacy",
    "DataProfile",
    "column_profile",
    "kpi_decomposition",
    "kpi_strength",
]

_ROLES: tuple[Role, ...] = (
    Role.KPI,
    Role.SPEND,
    Role.MEDIA,
    Role.ORGANIC,
    Role.CONTROL,
    Role.EVENT,
)


def _columns_of(dataset: MMMDataSet, role: Role) -> list[str]:
    names = {
        Role.KPI: [dataset.kpi],
        Role.SPEND: dataset.channels,
        Role.MEDIA: dataset.media_channels,
        Role.ORGANIC: dataset.organic,
        Role.CONTROL: dataset.controls,
        Role.EVENT: dataset.events,
    }[role]
    return [column_name(role, n) for n in names]


def column_profile(dataset: MMMDataSet) -> pl.DataFrame:
    """One row per numeric column of the dataset.

    Columns: ``column, role, mean, sd, min, max, cv`` (sd / |mean|, NaN for a zero mean),
    ``zero_share``, ``longest_zero_run`` (periods), ``zero_run_start`` (its first date,
    null without zeros), ``spend_share`` (share of total spend, spend columns only).

    Examples:
        >>> from mmm.datasets import load_example
        >>> column_profile(load_example("pymc_marketing"))["column"].to_list()[:3]
        ['kpi__sales', 'spend__x1', 'spend__x2']
    """
    frame = dataset.frame
    spend_total = sum(float(frame[c].sum()) for c in _columns_of(dataset, Role.SPEND))
    rows = []
    for role in _ROLES:
        for column in _columns_of(dataset, role):
            x = frame[column].to_numpy().astype(np.float64)
            mean, sd = float(x.mean()), float(x.std(ddof=1)) if x.size > 1 else 0.0
            run, start = longest_zero_run(x)
            rows.append(
                {
                    "column": column,
                    "role": role.value,
                    "mean": mean,
                    "sd": sd,
                    "min": float(x.min()),
                    "max": float(x.max()),
                    "cv": sd / abs(mean) if mean != 0 else float("nan"),
                    "zero_share": float(np.mean(x == 0)),
                    "longest_zero_run": run,
                    "zero_run_start": dataset.dates[start] if run else None,
                    "spend_share": float(x.sum()) / spend_total
                    if role is Role.SPEND and spend_total > 0
                    else None,
                }
            )
    return pl.DataFrame(rows, schema_overrides={"spend_share": pl.Float64})


@dataclasses.dataclass(frozen=True)
class KPIStrength:
    """Trend and seasonality strength of the KPI (see the module docstring).

    Attributes:
        trend: ``F_T`` in ``[0, 1]``.
        seasonality: ``F_S`` in ``[0, 1]``, ``None`` with less than a year of data.
        slope_per_year: the linear trend's slope, KPI units per year.
    """

    trend: float
    seasonality: float | None
    slope_per_year: float


@dataclasses.dataclass(frozen=True)
class KPIDecomposition:
    """The KPI as linear trend + yearly seasonality + remainder (least squares), ``(time,)`` each.

    ``level + trend + seasonality + remainder`` is the KPI; ``slope_per_year`` is the
    trend's slope in KPI units per year.
    """

    level: float
    trend: Float[np.ndarray, " time"]
    seasonality: Float[np.ndarray, " time"] | None
    remainder: Float[np.ndarray, " time"]
    slope_per_year: float


def kpi_decomposition(dataset: MMMDataSet) -> KPIDecomposition:
    """Least-squares decomposition of the KPI (seasonality ``None`` with under a year of data)."""
    y = dataset.frame[dataset.kpi_column].to_numpy().astype(np.float64)
    dates = dataset.dates
    t = time_index(dates)
    years = (dates[-1] - dates[0]).days / 365.25
    has_season = dataset.n_periods / dataset.frequency.periods_per_year >= 1
    seasonal = (
        np.asarray(fourier_features(day_of_year_fraction(dates), order=2), dtype=np.float64)
        if has_season
        else np.zeros((len(dates), 0))
    )
    x = np.concatenate([np.ones((len(dates), 1)), t[:, None], seasonal], axis=1)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return KPIDecomposition(
        level=float(coef[0]),
        trend=t * coef[1],
        seasonality=seasonal @ coef[2:] if has_season else None,
        remainder=y - x @ coef,
        slope_per_year=float(coef[1] / years) if years > 0 else 0.0,
    )


def kpi_strength(dataset: MMMDataSet) -> KPIStrength:
    """Trend and seasonality strength of the KPI (see the module docstring).

    Examples:
        >>> from mmm.datasets import simulate
        >>> ds, _ = simulate(n_weeks=104, n_channels=2, seed=0)
        >>> 0 <= kpi_strength(ds).trend <= 1
        True
    """
    parts = kpi_decomposition(dataset)

    def strength(part: np.ndarray) -> float:
        total = np.var(part + parts.remainder)
        return float(max(0.0, 1.0 - np.var(parts.remainder) / total)) if total > 0 else 0.0

    return KPIStrength(
        trend=strength(parts.trend),
        seasonality=strength(parts.seasonality) if parts.seasonality is not None else None,
        slope_per_year=parts.slope_per_year,
    )


@dataclasses.dataclass(frozen=True)
class Adequacy:
    """How many periods the data give per free parameter of the model spec.

    Attributes:
        n_periods: number of periods.
        n_parameters: free parameters of the (default or given) Bayesian model.
        periods_per_parameter: their ratio.
    """

    n_periods: int
    n_parameters: int

    @property
    def periods_per_parameter(self) -> float:
        """``n_periods / n_parameters``."""
        return self.n_periods / self.n_parameters


@dataclasses.dataclass(frozen=True)
class DataProfile:
    """Per-column summaries, the KPI's structure and the data adequacy."""

    columns: pl.DataFrame
    kpi: KPIStrength
    adequacy: Adequacy

    def to_frame(self) -> pl.DataFrame:
        """The per-column summary (see :func:`column_profile`)."""
        return self.columns
