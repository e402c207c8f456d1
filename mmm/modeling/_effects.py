r"""How the amplitude of each channel's response is parametrized: coefficients or ROI.

A channel's contribution in scaled KPI units is :math:`\beta_c \, u_{c,t}`, with
:math:`u_{c,t} \in [0, 1]` its unit response (saturated, adstocked, max-scaled media). An
effect spec decides what is sampled:

* :class:`ContributionEffect` (the default): the channel's mean contribution as a share of
  the mean KPI, :math:`m_c` (``media/share``), and
  :math:`\beta_c = m_c \, T / \sum_t u_{c,t}` over the :math:`T` training periods. The
  amplitude the data pin down best (the average effect) is sampled directly and the
  saturation shape only redistributes it, which removes the ridge between ``beta`` and
  the Hill half-saturation point that makes NUTS diverge with coefficient priors.
* :class:`CoefficientEffect`: :math:`\beta_c` itself (``media/coef``).
* :class:`ROIEffect` (as Google Meridian's ROI priors): the in-window ROI
  :math:`r_c` (``media/roi``), and

  .. math:: \beta_c = \frac{r_c \sum_t \mathrm{spend}_{c,t}}{v \, s_y \sum_t u_{c,t}},

  with :math:`s_y` the KPI scale, :math:`v` the money value of one KPI unit
  (:attr:`mmm.modeling.ModelSpec.value_per_kpi`, 1 for a KPI that is money) and sums over
  the training window, so that the implied ROI
  :math:`v \sum_t s_y \beta_c u_{c,t} / \sum_t \mathrm{spend}_{c,t}` *is* the sampled
  :math:`r_c` and has exactly the stated prior. ROI here is money per money unit over
  the training window (KPI units per money unit when :math:`v = 1` and the KPI is not
  money), without the carry-over tail after it (ROAS when the KPI is revenue).

Priors may be scalar (shared) or have batch shape ``(channel,)`` (one per channel, see
:meth:`mmm.modeling.ModelSpec.with_media_priors`).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import ClassVar, NamedTuple

import equinox as eqx
import jax.numpy as jnp
import numpyro.distributions as dist
from jaxtyping import Array, Float

from mmm.features import AbstractSpec

__all__ = [
    "WindowTotals",
    "AbstractMediaEffect",
    "ContributionEffect",
    "CoefficientEffect",
    "ROIEffect",
]

Params = Mapping[str, Array]


class WindowTotals(NamedTuple):
    """What an effect needs from the training window to turn its parameters into ``beta``.

    Attributes:
        unit_sums: ``sum_t u_{c,t}``, ``(channel,)``.
        spend_totals: total spend per channel in money units, ``(channel,)``.
        kpi_scale: the KPI scale ``s_y`` (KPI units), scalar.
        n_periods: number of training periods ``T``.
        value_per_kpi: the money value ``v`` of one KPI unit (1 for a KPI that is money).
    """

    unit_sums: Float[Array, " channel"]
    spend_totals: Float[Array, " channel"]
    kpi_scale: Float[Array, ""]
    n_periods: int
    value_per_kpi: float = 1.0


class AbstractMediaEffect(AbstractSpec):
    """The sampled amplitude of the media channels, mapped to coefficients ``beta``."""

    @abc.abstractmethod
    def coefficients(
        self,
        params: Params,
        window: WindowTotals,
    ) -> Float[Array, " channel"]:
        """``beta`` per channel in scaled KPI units.

        Args:
            params: the sampled parameters of this spec, each ``(channel,)``.
            window: sums over the training window (:class:`WindowTotals`).
        """

    def apply(self, params: Params, x: Float[Array, "time channel"]) -> Float[Array, " time"]:
        """Not used: the model calls :meth:`coefficients`; kept for the spec interface."""
        raise NotImplementedError("media effects map to coefficients; see coefficients()")


def _positive(values: Float[Array, " channel"]) -> Float[Array, " channel"]:
    return jnp.maximum(values, jnp.finfo(values.dtype).tiny)


class ContributionEffect(AbstractMediaEffect):
    """Sample each channel's mean contribution as a share of the mean KPI (see module doc).

    Attributes:
        share: prior of the share (``0.1``: on average the channel adds 10% of the mean
            KPI over the training window); default ``HalfNormal(0.25)``.
    """

    param_names: ClassVar[tuple[str, ...]] = ("share",)
    share: dist.Distribution = eqx.field(default_factory=lambda: dist.HalfNormal(0.25))

    def coefficients(
        self,
        params: Params,
        window: WindowTotals,
    ) -> Float[Array, " channel"]:
        """``share * n_periods / unit_sum``."""
        return params["share"] * window.n_periods / _positive(window.unit_sums)


class CoefficientEffect(AbstractMediaEffect):
    """Sample the coefficient ``beta_c`` (scaled KPI units per unit response).

    Attributes:
        coef: prior of ``beta``; default ``HalfNormal(1)``: a channel at full saturation
            adds up to about the mean KPI.
    """

    param_names: ClassVar[tuple[str, ...]] = ("coef",)
    coef: dist.Distribution = eqx.field(default_factory=lambda: dist.HalfNormal(1.0))

    def coefficients(
        self,
        params: Params,
        window: WindowTotals,
    ) -> Float[Array, " channel"]:
        """The sampled ``coef``."""
        return params["coef"]


class ROIEffect(AbstractMediaEffect):
    """Sample each channel's in-window ROI and derive ``beta`` from it (see module doc).

    Attributes:
        roi: prior of the ROI (money per money unit; KPI units per money unit when the
            spec's ``value_per_kpi`` is 1 and the KPI is not money); default ``LogNormal(0.2, 0.9)``
            (Meridian's default: median 1.22, 90% between 0.28 and 5.3).
    """

    param_names: ClassVar[tuple[str, ...]] = ("roi",)
    roi: dist.Distribution = eqx.field(default_factory=lambda: dist.LogNormal(0.2, 0.9))

    def coefficients(
        self,
        params: Params,
        window: WindowTotals,
    ) -> Float[Array, " channel"]:
        """``roi * spend_total / (value_per_kpi * kpi_scale * unit_sum)``."""
        return (
            params["roi"]
            * window.spend_totals
            / (window.value_per_kpi * window.kpi_scale * _positive(window.unit_sums))
        )
