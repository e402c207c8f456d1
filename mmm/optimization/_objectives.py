r"""What a plan maximizes, computed from its posterior draws of the KPI it causes.

Every objective maps the plan's draws :math:`R_d` (``(draw,)``, KPI units) and the
reference plan's draws :math:`R^{ref}_d` (same draws, same budget: paired) to one number
to maximize. They are frozen ``equinox`` modules (adding an objective is adding a class):

* :class:`ExpectedResponse` (``"mean"``): :math:`\bar R`, the posterior mean.
* :class:`MeanMinusSd` (``"mean_sd"``): :math:`\bar R - \lambda\, \mathrm{sd}(R)`; a
  risk-averse planner's certainty equivalent.
* :class:`CVaR` (``"cvar"``): the mean of the worst ``alpha`` share of the draws (the
  expected KPI in the bad ``alpha`` tail of the posterior), concave where the responses
  are; the optimizer sees it with soft tail weights (exact value reported).
* :class:`ProbabilityOfBeating` (``"prob_beat"``): :math:`P(R > R^{ref})`, the posterior
  probability that the plan does better than the reference. The indicator has no
  gradient, so the optimizer sees :math:`\overline{\sigma((R - R^{ref}) / \tau)}` with
  :math:`\tau` = ``temperature`` times the reference draws' standard deviation; the
  reported value is the exact share of draws.
"""

from __future__ import annotations

import abc
import math
from typing import ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

__all__ = [
    "AbstractObjective",
    "ExpectedResponse",
    "MeanMinusSd",
    "CVaR",
    "ProbabilityOfBeating",
    "ObjectiveName",
    "resolve_objective",
]

ObjectiveName = Literal["mean", "mean_sd", "cvar", "prob_beat"]


class AbstractObjective(eqx.Module):
    """An objective of the plan's KPI draws (see the module docstring)."""

    name: ClassVar[str]

    @abc.abstractmethod
    def smooth(
        self, draws: Float[Array, " draw"], reference: Float[Array, " draw"]
    ) -> Float[Array, ""]:
        """The differentiable value the optimizer maximizes."""

    def value(
        self, draws: Float[Array, " draw"], reference: Float[Array, " draw"]
    ) -> Float[Array, ""]:
        """The value reported for a plan (equal to :meth:`smooth` unless smoothed)."""
        return self.smooth(draws, reference)

    @property
    def in_kpi_units(self) -> bool:
        """Whether the value is in KPI units (so it can be normalized by a KPI scale)."""
        return True


class ExpectedResponse(AbstractObjective):
    """The posterior mean of the plan's KPI."""

    name: ClassVar[str] = "mean"

    def smooth(self, draws: Array, reference: Array) -> Array:
        """``mean(draws)``."""
        return draws.mean()


class MeanMinusSd(AbstractObjective):
    """``mean - risk_aversion * sd`` of the plan's KPI draws.

    Attributes:
        risk_aversion: lambda >= 0 (0 is the mean).
    """

    name: ClassVar[str] = "mean_sd"
    risk_aversion: float = 1.0

    def __check_init__(self) -> None:
        if not (self.risk_aversion >= 0 and math.isfinite(self.risk_aversion)):
            raise ValueError(f"risk_aversion={self.risk_aversion!r}: pass a finite float >= 0")

    def smooth(self, draws: Array, reference: Array) -> Array:
        """``mean(draws) - risk_aversion * std(draws)``."""
        centered = draws - draws.mean()
        sd = jnp.sqrt((centered**2).mean() + jnp.finfo(draws.dtype).tiny)
        return draws.mean() - self.risk_aversion * sd


class CVaR(AbstractObjective):
    r"""Mean of the worst ``alpha`` share of the plan's KPI draws (lower tail).

    The exact tail mean has a kink wherever two draws swap ranks, so the optimizer sees
    the Rockafellar-Uryasev form with a softplus,
    :math:`\max_t \big[t - \frac{1}{\alpha} \overline{\tau\,\mathrm{softplus}((t - R_d)/\tau)}\big]`
    (``tau`` = ``temperature`` times the reference plan's sd; the inner maximum by
    bisection, its gradient by the envelope theorem): smooth, concave where the responses
    are, and equal to the tail mean as ``tau -> 0``. The reported value is the exact tail
    mean.

    Attributes:
        alpha: the tail share in ``(0, 1]`` (1 is the mean).
        temperature: smoothing width as a share of the reference draws' sd (optimizer
            only).
    """

    name: ClassVar[str] = "cvar"
    alpha: float = 0.1
    temperature: float = 0.02

    def __check_init__(self) -> None:
        if not 0 < self.alpha <= 1:
            raise ValueError(f"alpha={self.alpha!r}: pass a tail share in (0, 1]")
        if not self.temperature > 0:
            raise ValueError(f"temperature={self.temperature!r}: pass a float > 0")

    def smooth(self, draws: Array, reference: Array) -> Array:
        """The smoothed tail mean (see the class docstring)."""
        if self.alpha >= 1:
            return draws.mean()
        tau = self.temperature * reference.std() + jnp.finfo(draws.dtype).tiny
        fixed = jax.lax.stop_gradient(draws)

        def share_below(t: Array) -> Array:
            return jax.nn.sigmoid((t - fixed) / tau).mean()

        def body(_: int, bracket: tuple[Array, Array]) -> tuple[Array, Array]:
            lo, hi = bracket
            mid = 0.5 * (lo + hi)
            low = share_below(mid) < self.alpha
            return jnp.where(low, mid, lo), jnp.where(low, hi, mid)

        lo, hi = jax.lax.fori_loop(
            0, 60, body, (fixed.min() - 40.0 * tau, fixed.max() + 40.0 * tau)
        )
        t = jax.lax.stop_gradient(0.5 * (lo + hi))  # the inner maximizer: envelope theorem
        return t - (tau * jax.nn.softplus((t - draws) / tau)).mean() / self.alpha

    def value(self, draws: Array, reference: Array) -> Array:
        """Mean of the ``ceil(alpha * draws)`` smallest draws."""
        k = max(1, math.ceil(self.alpha * draws.shape[0]))
        return -jax.lax.top_k(-draws, k)[0].mean()


class ProbabilityOfBeating(AbstractObjective):
    """Posterior probability that the plan's KPI beats the reference plan's (paired draws).

    Attributes:
        temperature: smoothing width as a share of the reference draws' sd (optimizer
            only; the reported value is exact).
    """

    name: ClassVar[str] = "prob_beat"
    temperature: float = 0.05

    def __check_init__(self) -> None:
        if not self.temperature > 0:
            raise ValueError(f"temperature={self.temperature!r}: pass a float > 0")

    def smooth(self, draws: Array, reference: Array) -> Array:
        """Mean of ``sigmoid((draws - reference) / tau)``."""
        tau = (
            self.temperature * jax.lax.stop_gradient(reference.std()) + jnp.finfo(draws.dtype).tiny
        )
        return jax.nn.sigmoid((draws - reference) / tau).mean()

    def value(self, draws: Array, reference: Array) -> Array:
        """Share of draws where the plan beats the reference."""
        return (draws > reference).mean()

    @property
    def in_kpi_units(self) -> bool:
        """A probability, not KPI units."""
        return False


_NAMED: dict[str, type[AbstractObjective]] = {
    "mean": ExpectedResponse,
    "mean_sd": MeanMinusSd,
    "cvar": CVaR,
    "prob_beat": ProbabilityOfBeating,
}


def resolve_objective(objective: AbstractObjective | ObjectiveName) -> AbstractObjective:
    """An objective instance; a name gives its class with default settings."""
    if isinstance(objective, AbstractObjective):
        return objective
    if isinstance(objective, str) and objective in _NAMED:
        return _NAMED[objective]()
    raise ValueError(
        f"objective={objective!r} is not valid: pass one of {sorted(_NAMED)} or an "
        "objective instance (ExpectedResponse(), MeanMinusSd(risk_aversion=1.0), "
        "CVaR(alpha=0.1), ProbabilityOfBeating())"
    )
