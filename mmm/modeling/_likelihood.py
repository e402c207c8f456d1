"""Observation models of the scaled KPI: Normal and Student-t, each owning its priors."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import ClassVar

import equinox as eqx
import numpyro.distributions as dist
from jaxtyping import Array, Float

from mmm.features import AbstractSpec

__all__ = ["AbstractLikelihood", "NormalLikelihood", "StudentTLikelihood"]

Params = Mapping[str, Array]


class AbstractLikelihood(AbstractSpec):
    """The distribution of the scaled KPI around the model's expected KPI ``mu``.

    Parameters are sampled under the prefix ``"kpi"`` (sites ``kpi/sigma``, ...); the
    observed site itself is ``"kpi"``, one independent observation per period.
    """

    @abc.abstractmethod
    def distribution(self, params: Params, mu: Float[Array, " time"]) -> dist.Distribution:
        """The observation distribution, batch shape ``(time,)``, location ``mu``."""

    def apply(self, params: Params, x: Float[Array, " time"]) -> Float[Array, " time"]:
        """The location of the observations: the expected scaled KPI ``x`` itself."""
        return x


class NormalLikelihood(AbstractLikelihood):
    """``kpi_t ~ Normal(mu_t, sigma)`` in units of the mean KPI.

    Attributes:
        sigma: prior of the noise sd; default ``HalfNormal(0.25)`` (a quarter of the mean
            KPI at most, typically).
    """

    param_names: ClassVar[tuple[str, ...]] = ("sigma",)
    sigma: dist.Distribution = eqx.field(default_factory=lambda: dist.HalfNormal(0.25))

    def distribution(self, params: Params, mu: Float[Array, " time"]) -> dist.Distribution:
        """``Normal(mu, sigma)``."""
        return dist.Normal(mu, params["sigma"])


class StudentTLikelihood(AbstractLikelihood):
    """``kpi_t ~ StudentT(nu, mu_t, sigma)``: robust to outlying periods.

    Attributes:
        sigma: prior of the scale; default ``HalfNormal(0.25)``.
        nu: prior of the degrees of freedom; default ``Gamma(2, 0.1)`` (Juarez & Steel).
    """

    param_names: ClassVar[tuple[str, ...]] = ("sigma", "nu")
    sigma: dist.Distribution = eqx.field(default_factory=lambda: dist.HalfNormal(0.25))
    nu: dist.Distribution = eqx.field(default_factory=lambda: dist.Gamma(2.0, 0.1))

    def distribution(self, params: Params, mu: Float[Array, " time"]) -> dist.Distribution:
        """``StudentT(nu, mu, sigma)``."""
        return dist.StudentT(params["nu"], mu, params["sigma"])
