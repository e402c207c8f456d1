"""The default features for a dataset: media transforms and baseline components.

One place for the choices :meth:`mmm.modeling.ModelSpec.default` makes, so the layers
before modeling (EDA's frequentist baselines and data-adequacy count) use the same
defaults as the Bayesian model.
"""

from __future__ import annotations

from mmm.config import Frequency
from mmm.data import MMMDataSet
from mmm.features._baseline_specs import (
    AbstractBaseline,
    Controls,
    Events,
    Fourier,
    Intercept,
    LinearTrend,
)
from mmm.features._media_specs import GeometricAdstock, LogisticSaturation, MediaSpec

__all__ = ["default_l_max", "default_media_spec", "default_baseline_specs"]

_L_MAX = {Frequency.WEEKLY: 8, Frequency.DAILY: 28, Frequency.MONTHLY: 3}


def default_l_max(frequency: Frequency) -> int:
    """Default adstock lags: 8 weeks, 28 days or 3 months (about two months of carry-over).

    Examples:
        >>> default_l_max(Frequency.WEEKLY)
        8
    """
    return _L_MAX[frequency]


def default_media_spec(frequency: Frequency) -> MediaSpec:
    """Normalized geometric adstock with :func:`default_l_max` lags, then logistic saturation.

    PyMC-Marketing's default: one shape parameter, which samples cleanly where Hill's
    ``k`` and ``s`` trade off.
    """
    return MediaSpec(
        adstock=GeometricAdstock(l_max=default_l_max(frequency)),
        saturation=LogisticSaturation(),
    )


def default_baseline_specs(dataset: MMMDataSet) -> tuple[AbstractBaseline, ...]:
    """Intercept, linear trend, yearly Fourier seasonality, controls and events.

    The yearly term has order 2 with at least a year of data, else order 1; daily data
    also get a weekly Fourier term (order 3). ``Controls()`` / ``Events()`` are added
    when the dataset has such columns.
    """
    frequency = dataset.frequency
    years = dataset.n_periods / frequency.periods_per_year
    baseline: list[AbstractBaseline] = [
        Intercept(),
        LinearTrend(),
        Fourier(order=2 if years >= 1 else 1),
    ]
    if frequency is Frequency.DAILY:
        baseline.append(Fourier(name="weekly", period=7.0, order=3))
    if dataset.controls:
        baseline.append(Controls())
    if dataset.events:
        baseline.append(Events())
    return tuple(baseline)
