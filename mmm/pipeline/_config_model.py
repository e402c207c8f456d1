"""``[model]``: the model of a run, turned into a :class:`~mmm.modeling.ModelSpec` on the data.

Every key is optional; what is left out is :meth:`ModelSpec.default`'s choice, so an
empty ``[model]`` gives exactly the default spec. See ``docs/10_CONFIG.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from mmm.config import Frequency, Role, column_name
from mmm.data import MMMDataSet
from mmm.features import (
    AbstractBaseline,
    Controls,
    Events,
    Fourier,
    Intercept,
    LinearTrend,
    PiecewiseTrend,
    ScalingSpec,
)
from mmm.modeling import (
    AbstractLikelihood,
    AbstractMediaEffect,
    CoefficientEffect,
    ModelSpec,
    NormalLikelihood,
    ROIEffect,
    StudentTLikelihood,
    spend_share_effect,
)
from mmm.pipeline._config_base import (
    ConfigError,
    FrozenMap,
    Table,
    check_names,
    describe,
)
from mmm.pipeline._config_media import MEDIA_KEYS as _MEDIA_KEYS
from mmm.pipeline._config_media import MediaSection, PriorConfig

__all__ = [
    "EFFECTS",
    "LIKELIHOODS",
    "TRENDS",
    "KPI_SCALINGS",
    "MEDIA_SCALINGS",
    "SeasonalityConfig",
    "ModelConfig",
]

EFFECTS = ("contribution", "roi", "coefficient")
"""Values of ``model.effect``: :class:`~mmm.modeling.ContributionEffect` (shares in
proportion to spend, :func:`~mmm.modeling.spend_share_effect`), :class:`ROIEffect`,
:class:`CoefficientEffect`."""

LIKELIHOODS: Mapping[str, type[AbstractLikelihood]] = MappingProxyType(
    {"normal": NormalLikelihood, "student_t": StudentTLikelihood}
)
"""Values of ``model.likelihood`` and their classes."""

TRENDS = ("linear", "piecewise", "none")
"""Values of ``model.trend``."""

KPI_SCALINGS = ("mean", "peak")
"""Values of ``model.scaling.kpi`` (:class:`~mmm.features.ScalingSpec`)."""

MEDIA_SCALINGS = ("max", "mean")
"""Values of ``model.scaling.media``."""

_KEYS = (
    "media",
    "organic",
    "effect",
    "media_share",
    "roi_priors",
    "default_roi_prior",
    "likelihood",
    "trend",
    "changepoints",
    "changepoint_range",
    "seasonality",
    "controls",
    "events",
    "scaling",
    "value_per_kpi",
)


@dataclasses.dataclass(frozen=True)
class SeasonalityConfig:
    """``model.seasonality``: Fourier terms of the year (and of the week on daily data).

    Attributes:
        enabled: ``False`` (``seasonality = false``) leaves seasonality out.
        yearly_order: harmonics of the yearly term, ``0`` for none (``None``: 2 with at
            least a year of data, else 1).
        weekly_order: harmonics of the weekly term, daily data only, ``0`` for none
            (``None``: 3 on daily data).
    """

    enabled: bool = True
    yearly_order: int | None = None
    weekly_order: int | None = None

    @classmethod
    def from_value(cls, value: object, key: str, source: str) -> SeasonalityConfig:
        """Read ``false``, ``true`` or ``{yearly_order = 2, weekly_order = 3}``."""
        if isinstance(value, bool):
            return cls(enabled=value)
        if not isinstance(value, Mapping):
            raise ConfigError(
                f"expected false or a table {{yearly_order = ..., weekly_order = ...}}, got "
                f"{describe(value)}",
                key=key,
                source=source,
            )
        table = Table(value, key, source, ["yearly_order", "weekly_order"])
        return cls(
            yearly_order=table.integer("yearly_order", None, minimum=0),
            weekly_order=table.integer("weekly_order", None, minimum=0),
        )

    def to_value(self) -> bool | dict[str, int]:
        """``False``, or the orders that are set."""
        if not self.enabled:
            return False
        out = {}
        if self.yearly_order is not None:
            out["yearly_order"] = self.yearly_order
        if self.weekly_order is not None:
            out["weekly_order"] = self.weekly_order
        return out

    def specs(self, dataset: MMMDataSet, key: str, source: str) -> list[AbstractBaseline]:
        """The Fourier specs for ``dataset`` (as :func:`mmm.features.default_baseline_specs`).

        Raises:
            ConfigError: for a weekly term on data that are not daily.
        """
        if not self.enabled:
            return []
        frequency = dataset.frequency
        specs: list[AbstractBaseline] = []
        years = dataset.n_periods / frequency.periods_per_year
        yearly = self.yearly_order if self.yearly_order is not None else (2 if years >= 1 else 1)
        if yearly > 0:
            specs.append(Fourier(order=yearly))
        if frequency is Frequency.DAILY:
            weekly = self.weekly_order if self.weekly_order is not None else 3
            if weekly > 0:
                specs.append(Fourier(name="weekly", period=7.0, order=weekly))
        elif self.weekly_order:
            raise ConfigError(
                f"a weekly seasonality needs daily data; these data are "
                f"{frequency.value}: leave weekly_order out (or set it to 0)",
                key=f"{key}.weekly_order",
                source=source,
            )
        return specs


def _roi_family(
    roi_priors: Mapping[str, PriorConfig], default: PriorConfig | None, key: str, source: str
) -> None:
    families = {name: p.distribution for name, p in roi_priors.items()}
    first = default.distribution if default is not None else next(iter(families.values()), None)
    for name, family in families.items():
        if family != first:
            raise ConfigError(
                f"the ROI priors of all channels must be of one family (they are sampled "
                f"together): {name} has {family}, others {first}; use {first} here",
                key=f"{key}.{name}",
                source=source,
            )


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """``[model]``: what the model is; ``None`` fields take :meth:`ModelSpec.default`'s choice.

    Attributes:
        media: adstock, saturation, order and input of every channel, and per channel
            (``[model.media.channels.<channel>]``).
        organic: the same for organic series (``[model.organic.series.<name>]``).
        effect: ``"contribution"``, ``"roi"`` or ``"coefficient"`` (:data:`EFFECTS`);
            ``None``: contribution shares in proportion to spend (the default).
        media_share: the prior mean of the share of the KPI that paid media explain in
            total, for ``"contribution"`` (``None``: 0.4, see
            :func:`~mmm.modeling.spend_share_effect`).
        roi_priors: per channel ROI prior (``effect = "roi"``), one family for all.
        default_roi_prior: the ROI prior of the other channels (``None``:
            :class:`~mmm.modeling.ROIEffect`'s ``LogNormal(0.2, 0.9)``).
        likelihood: ``"normal"`` or ``"student_t"`` (``None``: normal).
        trend: ``"linear"``, ``"piecewise"`` or ``"none"`` (``None``: linear).
        changepoints: changepoints of the piecewise trend (``None``: 8).
        changepoint_range: share of the window they spread over (``None``: 0.8).
        seasonality: the Fourier terms.
        controls: the controls in the model (``None``: all of the data's).
        events: the events in the model (``None``: all of the data's).
        scaling: KPI and media scaling (``None``: ``ScalingSpec()``, mean and max).
        value_per_kpi: the money value of one KPI unit (revenue per conversion, say);
            ROI, mROAS, ROI priors, ``report.roi_range`` and ROI/mROAS targets are then
            money per money (``None``: 1, a KPI that is money; see
            :attr:`~mmm.modeling.ModelSpec.value_per_kpi`).
        source: the config file, for messages (not compared).
    """

    media: MediaSection = dataclasses.field(default_factory=MediaSection)
    organic: MediaSection = dataclasses.field(default_factory=MediaSection)
    effect: str | None = None
    media_share: float | None = None
    roi_priors: Mapping[str, PriorConfig] = dataclasses.field(default_factory=dict)
    default_roi_prior: PriorConfig | None = None
    likelihood: str | None = None
    trend: str | None = None
    changepoints: int | None = None
    changepoint_range: float | None = None
    seasonality: SeasonalityConfig = dataclasses.field(default_factory=SeasonalityConfig)
    controls: tuple[str, ...] | None = None
    events: tuple[str, ...] | None = None
    scaling: ScalingSpec | None = None
    value_per_kpi: float | None = None
    source: str = dataclasses.field(default="config", compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "roi_priors", FrozenMap(self.roi_priors))
        object.__setattr__(self, "effect", self.effect_name)  # as from_dict reads it
        for name in ("controls", "events"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        _parse(_model_table(self.to_dict(), self.source))  # validates

    # --- reading and writing -------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "config") -> ModelConfig:
        """Read the ``[model]`` table (see ``docs/10_CONFIG.md``).

        Raises:
            ConfigError: naming the key path of an unknown key or an invalid value.
        """
        return cls(**_parse(_model_table(data, source)), source=source)

    def to_dict(self) -> dict[str, Any]:
        """The keys that are set, as plain data (:meth:`from_dict` reads it back)."""
        out: dict[str, Any] = {}
        media = self.media.to_dict("channels")
        if media:
            out["media"] = media
        organic = self.organic.to_dict("series")
        if organic:
            out["organic"] = organic
        for key in ("effect", "media_share", "likelihood", "trend"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.roi_priors:
            out["roi_priors"] = {c: p.to_dict() for c, p in self.roi_priors.items()}
        if self.default_roi_prior is not None:
            out["default_roi_prior"] = self.default_roi_prior.to_dict()
        for key in ("changepoints", "changepoint_range"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        seasonality = self.seasonality.to_value()
        if seasonality is False or seasonality:
            out["seasonality"] = seasonality
        for key in ("controls", "events"):
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value)
        if self.scaling is not None:
            out["scaling"] = self.scaling.to_dict()
        if self.value_per_kpi is not None:
            out["value_per_kpi"] = self.value_per_kpi
        return out

    # --- building on the data ------------------------------------------------------------

    def select(self, dataset: MMMDataSet) -> MMMDataSet:
        """``dataset`` without the controls and events the model leaves out.

        The spec cannot say which controls it uses (its ``Controls`` term takes every
        control of the data it is fitted on), so the columns left out are dropped from the
        data: fit (and plan) on the returned dataset.

        Raises:
            ConfigError: naming a control or event the data do not have.
        """
        drop = []
        for key, role, chosen, present in (
            ("controls", Role.CONTROL, self.controls, dataset.controls),
            ("events", Role.EVENT, self.events, dataset.events),
        ):
            if chosen is None:
                continue
            what = key[:-1]
            check_names(chosen, present, f"model.{key}", self.source, what, keyed=False)
            drop += [column_name(role, name) for name in present if name not in chosen]
        if not drop:
            return dataset
        return MMMDataSet.from_frame(dataset.frame.drop(drop), warn=False)

    def build(self, dataset: MMMDataSet) -> tuple[MMMDataSet, ModelSpec]:
        """The data to fit (:meth:`select`) and the spec for them (:meth:`build_spec`)."""
        selected = self.select(dataset)
        return selected, self.build_spec(selected)

    def build_spec(self, dataset: MMMDataSet) -> ModelSpec:
        """The :class:`~mmm.modeling.ModelSpec` this configuration describes on ``dataset``.

        Args:
            dataset: the data to fit; with ``controls`` or ``events`` set, exactly those
                (pass :meth:`select`'s dataset, or use :meth:`build`).

        Raises:
            ConfigError: naming the key of a channel, series, control or event the data do
                not have, an exposure input without exposures, a weekly seasonality on
                data that are not daily, or ROI priors that cannot be combined; also if
                ``dataset`` still has controls or events the configuration leaves out.
        """
        self._check_selected(dataset)
        frequency = dataset.frequency
        media = self.media.build(
            dataset.channels,
            frequency,
            key="model.media",
            source=self.source,
            what="channel",
            exposures=dataset.media_channels,
        )
        organic = self.organic.build(
            dataset.organic,
            frequency,
            key="model.organic",
            source=self.source,
            what="organic series",
        )
        spec = ModelSpec(
            channels=tuple(dataset.channels),
            media=media,
            effect=self._effect(dataset),
            baseline=self._baseline(dataset),
            likelihood=LIKELIHOODS[self.likelihood or "normal"](),
            organic_names=tuple(dataset.organic),
            organic=organic,
            scaling=self.scaling if self.scaling is not None else ScalingSpec(),
            value_per_kpi=1.0 if self.value_per_kpi is None else self.value_per_kpi,
        )
        if self.roi_priors:
            self._check_roi_priors(dataset.channels)
            priors = {c: p.build() for c, p in self.roi_priors.items()}
            spec = spec.with_media_priors(priors)
        return spec

    @property
    def effect_name(self) -> str | None:
        """The effect, implied by ``roi_priors`` or ``media_share`` when not set."""
        if self.effect is not None:
            return self.effect
        if self.roi_priors or self.default_roi_prior is not None:
            return "roi"
        return "contribution" if self.media_share is not None else None

    def _check_selected(self, dataset: MMMDataSet) -> None:
        for key, chosen, present in (
            ("controls", self.controls, dataset.controls),
            ("events", self.events, dataset.events),
        ):
            if chosen is None:
                continue
            check_names(chosen, present, f"model.{key}", self.source, key[:-1], keyed=False)
            extra = [name for name in present if name not in chosen]
            if extra:
                raise ConfigError(
                    f"the data have {key} {extra} that model.{key} leaves out: build on "
                    f"ModelConfig.select(dataset) (the data without them), or use "
                    f"ModelConfig.build(dataset), and fit on that dataset",
                    key=f"model.{key}",
                    source=self.source,
                )

    def _effect(self, dataset: MMMDataSet) -> AbstractMediaEffect:
        name = self.effect_name
        if name in (None, "contribution"):
            if self.media_share is None:
                return spend_share_effect(dataset)
            return spend_share_effect(dataset, self.media_share)
        if name == "coefficient":
            return CoefficientEffect()
        if self.default_roi_prior is not None:
            return ROIEffect(roi=self.default_roi_prior.build())
        return ROIEffect()

    def _check_roi_priors(self, channels: list[str]) -> None:
        check_names(self.roi_priors, channels, "model.roi_priors", self.source, "channel")
        uncovered = [c for c in channels if c not in self.roi_priors]
        if not uncovered:
            return
        fallback = (
            self.default_roi_prior.distribution
            if self.default_roi_prior is not None
            else type(ROIEffect().roi).__name__
        )
        family = next(iter(self.roi_priors.values())).distribution
        if family != fallback:
            raise ConfigError(
                f"the channels {uncovered} have no ROI prior, so they get the default "
                f"{fallback} prior, and the ROI priors of all channels must be of one family "
                f'(here {family}): add default_roi_prior = {{distribution = "{family}", ...}} '
                "or give every channel a prior",
                key="model.roi_priors",
                source=self.source,
            )

    def _baseline(self, dataset: MMMDataSet) -> tuple[AbstractBaseline, ...]:
        baseline: list[AbstractBaseline] = [Intercept()]
        trend = self.trend or "linear"
        if trend == "linear":
            baseline.append(LinearTrend())
        elif trend == "piecewise":
            options: dict[str, Any] = {}
            if self.changepoints is not None:
                options["n_changepoints"] = self.changepoints
            if self.changepoint_range is not None:
                options["range_fraction"] = self.changepoint_range
            baseline.append(PiecewiseTrend(**options))
        baseline += self.seasonality.specs(dataset, "model.seasonality", self.source)
        if dataset.controls:
            baseline.append(Controls())
        if dataset.events:
            baseline.append(Events())
        return tuple(baseline)


def _model_table(data: object, source: str) -> Table:
    nested = {"media": [*_MEDIA_KEYS, "channels"]}
    return Table(data, "model", source, _KEYS, nested=nested)


def _parse(table: Table) -> dict[str, Any]:
    """The fields of a :class:`ModelConfig` from its table (validated, without ``source``)."""
    source = table.source
    media = table.table("media")
    organic = table.table("organic")
    effect = table.choice("effect", EFFECTS, None, what="effect")
    roi_table = table.table("roi_priors")
    roi_priors = (
        {}
        if roi_table is None
        else {
            c: PriorConfig.from_dict(roi_table.value(c), path=roi_table.key(c), source=source)
            for c in roi_table
        }
    )
    default_roi = (
        PriorConfig.from_dict(
            table.value("default_roi_prior"), path=table.key("default_roi_prior"), source=source
        )
        if "default_roi_prior" in table
        else None
    )
    for key, given in (("roi_priors", bool(roi_priors)), ("default_roi_prior", default_roi)):
        if given and effect not in (None, "roi"):
            raise table.error(
                key, f'ROI priors need effect = "roi" (or no effect key); effect is {effect!r}'
            )
    _roi_family(roi_priors, default_roi, table.key("roi_priors"), source)
    media_share = table.number("media_share", None, low=0.0, high=1.0, low_open=True)
    if media_share is not None and effect not in (None, "contribution"):
        raise table.error(
            "media_share", f'media_share is for effect = "contribution"; effect is {effect!r}'
        )
    if effect is None and (roi_priors or default_roi is not None):
        effect = "roi"
    if effect is None and media_share is not None:
        effect = "contribution"
    trend = table.choice("trend", TRENDS, None, what="trend")
    for key in ("changepoints", "changepoint_range"):
        if key in table and trend != "piecewise":
            now = f"trend is {trend!r}" if trend else "trend is not set (linear)"
            raise table.error(key, f'{key} is for trend = "piecewise"; {now}')
    scaling_table = table.table("scaling", ["kpi", "media"])
    scaling = None
    if scaling_table is not None:
        default = ScalingSpec()
        scaling = ScalingSpec(
            kpi=scaling_table.choice("kpi", KPI_SCALINGS, default.kpi, what="KPI scaling"),
            media=scaling_table.choice(
                "media", MEDIA_SCALINGS, default.media, what="media scaling"
            ),
        )
    return {
        "media": (
            MediaSection()
            if media is None
            else MediaSection.from_table(media, "channels", with_input=True)
        ),
        "organic": (
            MediaSection()
            if organic is None
            else MediaSection.from_table(organic, "series", with_input=False)
        ),
        "effect": effect,
        "media_share": media_share,
        "roi_priors": roi_priors,
        "default_roi_prior": default_roi,
        "likelihood": table.choice("likelihood", LIKELIHOODS, None, what="likelihood"),
        "trend": trend,
        "changepoints": table.integer("changepoints", None, minimum=1),
        "changepoint_range": table.number(
            "changepoint_range", None, low=0.0, high=1.0, low_open=True
        ),
        "seasonality": (
            SeasonalityConfig.from_value(
                table.value("seasonality"), table.key("seasonality"), source
            )
            if "seasonality" in table
            else SeasonalityConfig()
        ),
        "controls": table.names("controls"),
        "events": table.names("events"),
        "scaling": scaling,
        "value_per_kpi": table.number("value_per_kpi", None, low=0.0, low_open=True),
    }
