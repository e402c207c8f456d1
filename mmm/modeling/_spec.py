"""``ModelSpec``: a typed, frozen, serializable description of the whole MMM."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

import equinox as eqx
import jax
import numpy as np
import numpyro.distributions as dist

from mmm.config import check_value_per_kpi
from mmm.data import MMMDataSet
from mmm.features import (
    AbstractBaseline,
    Fourier,
    Intercept,
    LinearTrend,
    MediaSpec,
    ScalingSpec,
    default_baseline_specs,
    default_l_max,
    default_media_spec,
    spec_from_dict,
    spec_to_dict,
    stack_priors,
)
from mmm.modeling._effects import AbstractMediaEffect, ContributionEffect, ROIEffect
from mmm.modeling._likelihood import AbstractLikelihood, NormalLikelihood

__all__ = ["ModelSpec", "SPEC_FORMAT_VERSION", "default_l_max", "spend_share_effect"]

SPEC_FORMAT_VERSION = 2
"""Version of :meth:`ModelSpec.to_dict`'s layout; bumped on incompatible changes."""

_RESERVED = frozenset({"media", "kpi"})


def spend_share_effect(
    dataset: MMMDataSet, media_share: float = 0.4, concentration: float = 1.5
) -> ContributionEffect:
    r"""Contribution-share priors in proportion to each channel's share of total spend.

    .. math:: \text{share}_c \sim \text{Gamma}\big(k,\ k / (m\, w_c)\big),
        \qquad w_c = \frac{\sum_t \text{spend}_{c,t}}{\sum_{c', t} \text{spend}_{c',t}},

    with ``m = media_share`` and ``k = concentration``: channel ``c``'s mean contribution
    as a share of the mean KPI has prior mean ``m w_c``, so a priori the media explain
    ``m`` of the KPI in total (40% by default), split like the spend, i.e. the same prior
    ROI for every channel (as LightweightMMM's default). The prior's standard deviation is
    ``1 / sqrt(k)`` of its mean (82% at ``k = 1.5``) and, for ``k > 1``, its density is zero
    at zero: every paid channel does something, how much is the data's to say (as
    Meridian's log-normal ROI priors). Against a ``HalfNormal`` of the same mean (the
    previous default) on 36 simulated businesses it recovered the true contributions as
    well and took about 7% fewer leapfrog steps; on the PLR presets its contribution
    errors are 0.8-1.8 points higher on the small business and 1.6-2.9 points lower on the
    medium one (``docs/benchmarks.md``, "the media-effect prior across businesses").

    Args:
        dataset: the training dataset.
        media_share: prior mean of the total media share, in ``(0, 1]``.
        concentration: the Gamma shape ``k > 0``: larger is more certain of ``m w_c``;
            ``k <= 1`` puts the mode at zero.

    Raises:
        ValueError: if ``media_share`` or ``concentration`` is out of range.
    """
    if not 0 < media_share <= 1:
        raise ValueError(f"media_share={media_share!r} is not valid: pass a float in (0, 1]")
    if not 0 < concentration < float("inf"):
        raise ValueError(f"concentration={concentration!r} is not valid: pass a finite float > 0")
    totals = np.asarray(dataset.to_arrays().spend, dtype=np.float64).sum(axis=0)
    dtype = jax.dtypes.canonicalize_dtype(float)
    rate = np.asarray(concentration / (media_share * totals / totals.sum()), dtype)
    shape = np.full_like(rate, concentration)
    # device_put: the arguments are arrays already, so the constructor compiles nothing
    return ContributionEffect(share=dist.Gamma(jax.device_put(shape), jax.device_put(rate)))


def _check_channels(
    channels: Sequence[str],
    media: Sequence[MediaSpec],
    names: str = "channels",
    field: str = "media",
) -> None:
    if len(channels) == 0:
        raise ValueError("a ModelSpec needs at least one media channel")
    if len(set(channels)) != len(channels):
        raise ValueError(f"{names} must be unique, got {list(channels)}")
    if len(media) != len(channels):
        raise ValueError(
            f"{field} has {len(media)} MediaSpec(s) for {len(channels)} {names}: pass one per "
            f"entry of {names}, in the same order"
        )
    for channel, spec in zip(channels, media, strict=True):
        if not isinstance(spec, MediaSpec):
            raise ValueError(
                f"{field} spec of {channel!r} is a {type(spec).__name__}, not a MediaSpec"
            )


class ModelSpec(eqx.Module):
    r"""Everything that defines the model, and nothing that depends on the data's values.

    The expected scaled KPI is

    .. math:: \mu_t = \sum_b g_b(t) + \sum_c \beta_c \, u_{c,t},

    with one term per baseline spec (intercept, trend, seasonality, controls, events) and
    per channel the unit response ``u = MediaSpec.apply(x)`` of its max-scaled media
    ``x`` and a coefficient ``beta`` from the media effect (coefficient or ROI prior); the
    KPI is observed through the likelihood. Scaling by default: KPI divided by its mean
    absolute value, media by their maximum (both chosen by ``scaling``), controls
    standardized, time in ``[0, 1]`` over the training window (see :mod:`mmm.features`).

    Attributes:
        channels: the paid channels, in the dataset's order (static).
        media: one :class:`MediaSpec` per channel (adstock, saturation, order, input).
        effect: how channel amplitudes are sampled (:class:`ContributionEffect`,
            :class:`CoefficientEffect` or :class:`ROIEffect`); its priors are scalar or
            per channel ``(channel,)``.
        baseline: the baseline components, each with a unique name.
        likelihood: the observation model.
        organic_names: unpaid series (``organic__<name>``), in the dataset's order (static).
        organic: one :class:`MediaSpec` per organic series (modeled like media).
        organic_effect: their amplitude (no spend, so no ROI: :class:`ContributionEffect`
            or :class:`CoefficientEffect`); default shares ``HalfNormal(0.1)``.
        scaling: how the KPI and the media inputs are scaled (:class:`ScalingSpec`:
            KPI by its mean or peak, media by their maximum or mean).
        value_per_kpi: the money value of one KPI unit ``v`` (revenue per conversion, say;
            ``1.0``, the default, for a KPI that is money). ROI and mROAS are then money
            per money everywhere: :class:`ROIEffect`'s prior, the ROI draws of the
            diagnostics, :mod:`mmm.results`' tables and the budget plans
            (:math:`\mathrm{ROI} = v \cdot \mathrm{KPI} / \mathrm{spend}`). Contributions,
            response curves and uplifts stay in KPI units. A constant, never sampled.
    """

    channels: tuple[str, ...] = eqx.field(static=True)
    media: tuple[MediaSpec, ...]
    effect: AbstractMediaEffect = eqx.field(default_factory=ContributionEffect)
    baseline: tuple[AbstractBaseline, ...] = (Intercept(), LinearTrend(), Fourier())
    likelihood: AbstractLikelihood = eqx.field(default_factory=NormalLikelihood)
    organic_names: tuple[str, ...] = eqx.field(static=True, default=())
    organic: tuple[MediaSpec, ...] = ()
    organic_effect: AbstractMediaEffect = eqx.field(
        default_factory=lambda: ContributionEffect(share=dist.HalfNormal(0.1))
    )
    scaling: ScalingSpec = eqx.field(default_factory=ScalingSpec)
    value_per_kpi: float = eqx.field(static=True, default=1.0)

    def __check_init__(self) -> None:
        check_value_per_kpi(self.value_per_kpi)
        _check_channels(self.channels, self.media)
        if self.organic_names:
            _check_channels(self.organic_names, self.organic, "organic_names", "organic")
        elif self.organic:
            raise ValueError("organic specs given without organic_names: pass both or neither")
        if isinstance(self.organic_effect, ROIEffect):
            raise ValueError(
                "organic series have no spend, so no ROI: use ContributionEffect or "
                "CoefficientEffect as organic_effect"
            )
        names = [b.name for b in self.baseline]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"baseline spec names must be unique; repeated: {repeated}")
        clashes = [n for n in names if n in _RESERVED or n.startswith("media_")]
        if clashes:
            raise ValueError(
                f"baseline name(s) {clashes} clash with the model's own site prefixes "
                f"({sorted(_RESERVED)}, 'media_<i>'): rename them (name=...)"
            )
        for label, effect, n in (
            ("effect", self.effect, len(self.channels)),
            ("organic_effect", self.organic_effect, len(self.organic_names)),
        ):
            for prior in effect.priors().values():
                if prior.batch_shape not in ((), (n,)):
                    raise ValueError(
                        f"{label} prior has batch shape {prior.batch_shape}: use a scalar prior"
                        f" or one with batch shape ({n},), one entry per series"
                    )

    # --- construction ------------------------------------------------------------------

    @classmethod
    def default(
        cls,
        dataset: MMMDataSet,
        *,
        media: MediaSpec | Mapping[str, MediaSpec] | None = None,
        effect: AbstractMediaEffect | None = None,
        likelihood: AbstractLikelihood | None = None,
        scaling: ScalingSpec | None = None,
        value_per_kpi: float = 1.0,
    ) -> ModelSpec:
        """Sensible defaults for ``dataset``'s frequency, length and columns.

        Media: geometric adstock with :func:`default_l_max` lags (normalized) then logistic
        saturation, per channel (PyMC-Marketing's default; one shape parameter, which
        samples cleanly where Hill's ``k`` and ``s`` trade off). Organic series: modeled like the
        paid channels, with contribution-share priors. Baseline: intercept,
        linear trend, yearly Fourier seasonality (order 2 with at least a year of data,
        else order 1), a weekly Fourier term (order 3) on daily data, controls and events
        when the dataset has them. Media effect :func:`spend_share_effect` (contribution
        shares a priori in proportion to spend), Normal likelihood.

        Args:
            dataset: the training dataset.
            media: override the media spec (one for all, or a mapping per channel).
            effect: override the media effect (e.g. ``ROIEffect()``).
            likelihood: override the likelihood (e.g. ``StudentTLikelihood()``).
            scaling: override the KPI and media scaling (e.g. ``ScalingSpec(kpi="peak")``).
            value_per_kpi: the money value of one KPI unit (revenue per conversion, say):
                ROI and mROAS, and an :class:`ROIEffect`'s prior, are then money per money.
        """
        media = default_media_spec(dataset.frequency) if media is None else media
        if isinstance(media, MediaSpec):
            per_channel = tuple(media for _ in dataset.channels)
        else:
            unknown = sorted(set(media) - set(dataset.channels))
            missing = [c for c in dataset.channels if c not in media]
            if unknown or missing:
                raise ValueError(
                    f"media specs must cover exactly the channels {dataset.channels}: missing "
                    f"{missing}, unknown {unknown}"
                )
            per_channel = tuple(media[c] for c in dataset.channels)
        baseline = default_baseline_specs(dataset)
        organic_default = default_media_spec(dataset.frequency)
        return cls(
            channels=tuple(dataset.channels),
            media=per_channel,
            effect=effect if effect is not None else spend_share_effect(dataset),
            baseline=baseline,
            likelihood=likelihood if likelihood is not None else NormalLikelihood(),
            organic_names=tuple(dataset.organic),
            organic=tuple(organic_default for _ in dataset.organic),
            scaling=scaling if scaling is not None else ScalingSpec(),
            value_per_kpi=value_per_kpi,
        )

    def with_media_priors(
        self, priors: Mapping[str, dist.Distribution], *, default: dist.Distribution | None = None
    ) -> ModelSpec:
        """Per-channel priors for the effect's parameter (``coef`` or ``roi``).

        Args:
            priors: channel -> prior (same family for all), e.g. ROI priors from experiments.
            default: prior of the channels not in ``priors``; ``None`` keeps the effect's
                current (scalar) prior.

        Returns:
            A new spec whose effect prior has batch shape ``(channel,)``.

        Raises:
            ValueError: naming unknown channels, or if the effect prior is already per
                channel and ``default`` is not given.

        Examples:
            >>> import numpyro.distributions as dist
            >>> from mmm.datasets import load_example
            >>> from mmm.modeling import ModelSpec, ROIEffect
            >>> spec = ModelSpec.default(load_example("pymc_marketing"), effect=ROIEffect())
            >>> spec = spec.with_media_priors({"x1": dist.LogNormal(0.5, 0.3)})
            >>> spec.effect.roi.batch_shape
            (2,)
        """
        unknown = sorted(set(priors) - set(self.channels))
        if unknown:
            raise ValueError(f"no channel(s) {unknown}; the channels are {list(self.channels)}")
        (name,) = self.effect.param_names
        current = getattr(self.effect, name)
        fallback = default if default is not None else current
        if fallback.batch_shape != ():
            raise ValueError(
                f"the effect's {name!r} prior is already per channel: pass default= for the "
                "channels not in priors"
            )
        stacked = stack_priors([priors.get(c, fallback) for c in self.channels])
        return eqx.tree_at(lambda s: getattr(s.effect, name), self, stacked)

    # --- serialization -----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data (``format_version``, channels, component specs)."""
        return {
            "format_version": SPEC_FORMAT_VERSION,
            "channels": list(self.channels),
            "media": [spec_to_dict(m) for m in self.media],
            "effect": spec_to_dict(self.effect),
            "baseline": [spec_to_dict(b) for b in self.baseline],
            "likelihood": spec_to_dict(self.likelihood),
            "organic_names": list(self.organic_names),
            "organic": [spec_to_dict(m) for m in self.organic],
            "organic_effect": spec_to_dict(self.organic_effect),
            "scaling": self.scaling.to_dict(),
            "value_per_kpi": self.value_per_kpi,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSpec:
        """Inverse of :meth:`to_dict`.

        Raises:
            ValueError: naming the format versions if ``data`` was written by an
                incompatible version, or the offending component.
        """
        version = data.get("format_version")
        if version != SPEC_FORMAT_VERSION:
            raise ValueError(
                f"model spec format_version {version!r} is not supported by this version of "
                f"mmm (it reads format_version {SPEC_FORMAT_VERSION})"
            )
        expected = {f.name for f in dataclasses.fields(cls)} | {"format_version"}
        if set(data) | {"value_per_kpi"} != expected:  # specs saved before value_per_kpi lack it
            raise ValueError(
                f"model spec keys {sorted(data)} do not match the expected {sorted(expected)}"
            )
        return cls(
            channels=tuple(data["channels"]),
            media=tuple(_typed(spec_from_dict(m), MediaSpec, "media") for m in data["media"]),
            effect=_typed(spec_from_dict(data["effect"]), AbstractMediaEffect, "effect"),
            baseline=tuple(
                _typed(spec_from_dict(b), AbstractBaseline, "baseline") for b in data["baseline"]
            ),
            likelihood=_typed(spec_from_dict(data["likelihood"]), AbstractLikelihood, "likelihood"),
            organic_names=tuple(data["organic_names"]),
            organic=tuple(_typed(spec_from_dict(m), MediaSpec, "organic") for m in data["organic"]),
            organic_effect=_typed(
                spec_from_dict(data["organic_effect"]), AbstractMediaEffect, "organic_effect"
            ),
            scaling=ScalingSpec(**data["scaling"]),
            value_per_kpi=float(data.get("value_per_kpi", 1.0)),
        )

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as a JSON string (``kwargs`` go to :func:`json.dumps`)."""
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text: str) -> ModelSpec:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))


def _typed(value: Any, cls: type, field: str) -> Any:
    if not isinstance(value, cls):
        raise ValueError(f"{field} holds a {type(value).__name__}, expected a {cls.__name__}")
    return value
