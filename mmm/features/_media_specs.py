"""Specs of media transforms: adstock and saturation families, combined by ``MediaSpec``."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import ClassVar, Literal

import equinox as eqx
import numpyro.distributions as dist
from jaxtyping import Array, Float

from mmm.features import adstock, saturation
from mmm.features._spec import AbstractSpec

__all__ = [
    "AbstractAdstock",
    "GeometricAdstock",
    "DelayedAdstock",
    "AbstractWeibullAdstock",
    "WeibullCDFAdstock",
    "WeibullPDFAdstock",
    "AbstractSaturation",
    "HillSaturation",
    "LogisticSaturation",
    "MichaelisMentenSaturation",
    "TanhSaturation",
    "PowerSaturation",
    "MediaSpec",
]

Params = Mapping[str, Array]


def _check_lags(l_max: int) -> None:
    if isinstance(l_max, bool) or not isinstance(l_max, int) or l_max < 1:
        raise ValueError(f"l_max={l_max!r} is not valid: pass an int >= 1 (number of lags)")


# --- adstock ---------------------------------------------------------------------------------


class AbstractAdstock(AbstractSpec):
    """Carry-over of media: a causal lag sum with weights from the family's parameters.

    ``apply(params, x) = convolve_lags(x, weights(params))`` for one series ``x: (time,)``.
    """

    l_max: eqx.AbstractVar[int]
    normalize: eqx.AbstractVar[bool]

    @abc.abstractmethod
    def weights(self, params: Params) -> Float[Array, " lag"]:
        """Lag weights, shape ``(l_max,)``; ``weights[0]`` is the current period."""

    def apply(self, params: Params, x: Float[Array, " time"]) -> Float[Array, " time"]:
        """The adstocked series, shape ``(time,)``."""
        return adstock.convolve_lags(x, self.weights(params))

    def __check_init__(self) -> None:
        _check_lags(self.l_max)


class GeometricAdstock(AbstractAdstock):
    """Geometric decay ``w_l = alpha ** l`` (see :func:`mmm.features.adstock.geometric`).

    Attributes:
        l_max: lags including the current period (static).
        normalize: weights sum to 1 (static); the default, so saturation sees the scale
            of the scaled spend.
        alpha: prior of the retention rate in ``[0, 1)``; default ``Beta(1, 3)`` (mean 0.25).
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha",)
    l_max: int = eqx.field(static=True, default=8)
    normalize: bool = eqx.field(static=True, default=True)
    alpha: dist.Distribution = eqx.field(default_factory=lambda: dist.Beta(1.0, 3.0))

    def weights(self, params: Params) -> Float[Array, " lag"]:
        """``alpha ** l`` for ``l < l_max`` (normalized if ``normalize``)."""
        return adstock.geometric_weights(params["alpha"], self.l_max, self.normalize)


class DelayedAdstock(AbstractAdstock):
    """Delayed peak ``w_l = alpha ** ((l - theta) ** 2)`` (Jin et al. 2017).

    Attributes:
        l_max: lags including the current period (static).
        normalize: weights sum to 1 (static).
        alpha: prior of the retention rate in ``(0, 1)``; default ``Beta(1, 3)``.
        theta: prior of the peak delay in periods; default ``HalfNormal(2)``.
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "theta")
    l_max: int = eqx.field(static=True, default=12)
    normalize: bool = eqx.field(static=True, default=True)
    alpha: dist.Distribution = eqx.field(default_factory=lambda: dist.Beta(1.0, 3.0))
    theta: dist.Distribution = eqx.field(default_factory=lambda: dist.HalfNormal(2.0))

    def weights(self, params: Params) -> Float[Array, " lag"]:
        """``alpha ** ((l - theta) ** 2)`` for ``l < l_max``."""
        return adstock.delayed_weights(params["alpha"], params["theta"], self.l_max, self.normalize)


class AbstractWeibullAdstock(AbstractAdstock):
    """Robyn's Weibull adstocks: a shape and a scale (a fraction of ``l_max``).

    The two families differ only in their weight function (:meth:`weights`).

    Attributes:
        l_max: lags including the current period (static).
        normalize: weights sum to 1 (static).
        shape: prior of the Weibull shape (> 0); default ``Gamma(2, 1)``.
        scale: prior of the Weibull scale as a fraction of ``l_max``; default ``Beta(2, 5)``.
    """

    param_names: ClassVar[tuple[str, ...]] = ("shape", "scale")
    l_max: int = eqx.field(static=True, default=12)
    normalize: bool = eqx.field(static=True, default=True)
    shape: dist.Distribution = eqx.field(default_factory=lambda: dist.Gamma(2.0, 1.0))
    scale: dist.Distribution = eqx.field(default_factory=lambda: dist.Beta(2.0, 5.0))


class WeibullCDFAdstock(AbstractWeibullAdstock):
    """Robyn's Weibull-CDF adstock (see :func:`mmm.features.adstock.weibull_cdf`)."""

    def weights(self, params: Params) -> Float[Array, " lag"]:
        """Weibull survival weights over ``l_max`` lags."""
        return adstock.weibull_cdf_weights(
            params["shape"], params["scale"], self.l_max, self.normalize
        )


class WeibullPDFAdstock(AbstractWeibullAdstock):
    """Robyn's Weibull-PDF adstock (see :func:`mmm.features.adstock.weibull_pdf`)."""

    def weights(self, params: Params) -> Float[Array, " lag"]:
        """Weibull density weights over ``l_max`` lags."""
        return adstock.weibull_pdf_weights(
            params["shape"], params["scale"], self.l_max, self.normalize
        )


# --- saturation ------------------------------------------------------------------------------


class AbstractSaturation(AbstractSpec):
    """Diminishing returns, elementwise on scaled (adstocked) media ``x >= 0``.

    Every family is shape-only (0 at 0, increasing); the media coefficient carries the
    amplitude. Default priors are on the scale of max-scaled media (about ``[0, 1]``).
    """


class HillSaturation(AbstractSaturation):
    """``x^s / (x^s + k^s)`` (see :func:`mmm.features.saturation.hill`).

    Attributes:
        k: prior of the half-saturation point; default ``Gamma(3, 6)`` (mean 0.5).
        s: prior of the slope; default ``Gamma(3, 2)`` (mean 1.5).
    """

    param_names: ClassVar[tuple[str, ...]] = ("k", "s")
    k: dist.Distribution = eqx.field(default_factory=lambda: dist.Gamma(3.0, 6.0))
    s: dist.Distribution = eqx.field(default_factory=lambda: dist.Gamma(3.0, 2.0))

    def apply(self, params: Params, x: Float[Array, " time"]) -> Float[Array, " time"]:
        """Hill response, shape ``(time,)``, in ``[0, 1]``."""
        return saturation.hill(x, params["k"], params["s"])


class LogisticSaturation(AbstractSaturation):
    """``(1 - e^{-lam x}) / (1 + e^{-lam x})`` (see :func:`mmm.features.saturation.logistic`).

    Attributes:
        lam: prior of the steepness; default ``Gamma(3, 1)`` (as PyMC-Marketing).
    """

    param_names: ClassVar[tuple[str, ...]] = ("lam",)
    lam: dist.Distribution = eqx.field(default_factory=lambda: dist.Gamma(3.0, 1.0))

    def apply(self, params: Params, x: Float[Array, " time"]) -> Float[Array, " time"]:
        """Logistic response, shape ``(time,)``, in ``[0, 1)``."""
        return saturation.logistic(x, params["lam"])


class MichaelisMentenSaturation(AbstractSaturation):
    """``x / (k + x)`` (see :func:`mmm.features.saturation.michaelis_menten`).

    Attributes:
        k: prior of the half-saturation point; default ``Gamma(3, 6)`` (mean 0.5).
    """

    param_names: ClassVar[tuple[str, ...]] = ("k",)
    k: dist.Distribution = eqx.field(default_factory=lambda: dist.Gamma(3.0, 6.0))

    def apply(self, params: Params, x: Float[Array, " time"]) -> Float[Array, " time"]:
        """Michaelis-Menten response, shape ``(time,)``, in ``[0, 1)``."""
        return saturation.michaelis_menten(x, params["k"])


class TanhSaturation(AbstractSaturation):
    """``tanh(x / c)`` (see :func:`mmm.features.saturation.tanh`).

    Attributes:
        c: prior of the scale; default ``Gamma(3, 6)`` (mean 0.5).
    """

    param_names: ClassVar[tuple[str, ...]] = ("c",)
    c: dist.Distribution = eqx.field(default_factory=lambda: dist.Gamma(3.0, 6.0))

    def apply(self, params: Params, x: Float[Array, " time"]) -> Float[Array, " time"]:
        """Tanh response, shape ``(time,)``, in ``[0, 1)``."""
        return saturation.tanh(x, params["c"])


class PowerSaturation(AbstractSaturation):
    """``x ** p`` with ``0 < p <= 1`` (see :func:`mmm.features.saturation.power`); unbounded.

    Attributes:
        p: prior of the exponent; default ``Beta(3, 2)`` (mean 0.6).
    """

    param_names: ClassVar[tuple[str, ...]] = ("p",)
    p: dist.Distribution = eqx.field(default_factory=lambda: dist.Beta(3.0, 2.0))

    def apply(self, params: Params, x: Float[Array, " time"]) -> Float[Array, " time"]:
        """Power response, shape ``(time,)``."""
        return saturation.power(x, params["p"])


# --- one channel -----------------------------------------------------------------------------

Order = Literal["adstock_first", "saturation_first"]
MediaInput = Literal["spend", "exposure"]


class MediaSpec(AbstractSpec):
    """How one channel's media become a response: an adstock and a saturation.

    ``apply`` is ``saturation(adstock(x))`` (``order="adstock_first"``, the default) or
    ``adstock(saturation(x))``. Channels may each have their own ``MediaSpec``.

    Attributes:
        adstock: the carry-over spec.
        saturation: the diminishing-returns spec.
        order: which transform comes first (static).
        input: transform the channel's ``spend`` (default) or its ``exposure``
            (``media__<channel>``, which the dataset must then have) (static).
    """

    adstock: AbstractAdstock = eqx.field(default_factory=GeometricAdstock)
    saturation: AbstractSaturation = eqx.field(default_factory=HillSaturation)
    order: Order = eqx.field(static=True, default="adstock_first")
    input: MediaInput = eqx.field(static=True, default="spend")

    def __check_init__(self) -> None:
        if self.order not in ("adstock_first", "saturation_first"):
            raise ValueError(
                f"order={self.order!r} is not valid: use 'adstock_first' or 'saturation_first'"
            )
        if self.input not in ("spend", "exposure"):
            raise ValueError(f"input={self.input!r} is not valid: use 'spend' or 'exposure'")

    def sample(self, prefix: str) -> dict[str, Array]:
        """Sample both transforms' parameters as ``<prefix>/adstock/<p>``, ``.../saturation/<p>``.

        Returns a flat dict keyed ``"adstock/<p>"`` and ``"saturation/<p>"``.
        """
        a = self.adstock.sample(f"{prefix}/adstock")
        s = self.saturation.sample(f"{prefix}/saturation")
        return {
            **{f"adstock/{k}": v for k, v in a.items()},
            **{f"saturation/{k}": v for k, v in s.items()},
        }

    def split(self, params: Params) -> tuple[dict[str, Array], dict[str, Array]]:
        """Split flat ``params`` into the adstock's and the saturation's."""
        a = {k.split("/", 1)[1]: v for k, v in params.items() if k.startswith("adstock/")}
        s = {k.split("/", 1)[1]: v for k, v in params.items() if k.startswith("saturation/")}
        return a, s

    def apply(self, params: Params, x: Float[Array, " time"]) -> Float[Array, " time"]:
        """The channel's unit response, shape ``(time,)`` (multiply by its coefficient)."""
        a, s = self.split(params)
        if self.order == "adstock_first":
            return self.saturation.apply(s, self.adstock.apply(a, x))
        return self.adstock.apply(a, self.saturation.apply(s, x))

    def steady_state(self, params: Params, x: Float[Array, " level"]) -> Float[Array, " level"]:
        r"""Unit response to each constant input level ``x`` held for ``l_max`` periods or more.

        ``apply`` of a constant series is constant from period ``l_max - 1`` on; with lag
        weights ``w`` (``W = sum_l w_l``) it is ``saturation(W x)`` (adstock first) or
        ``W saturation(x)`` (saturation first): one saturation per level, no convolution,
        so a steady budget plan costs ``O(level)`` per draw.

        Args:
            params: this spec's parameters (as for :meth:`apply`).
            x: scaled input levels ``>= 0``, shape ``(level,)``.

        Returns:
            The steady unit responses, shape ``(level,)``.
        """
        a, s = self.split(params)
        total = self.adstock.weights(a).sum()
        if self.order == "adstock_first":
            return self.saturation.apply(s, x * total)
        return self.saturation.apply(s, x) * total
