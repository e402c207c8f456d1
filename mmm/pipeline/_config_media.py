"""The media part of a run configuration: priors, adstock, saturation, per-channel overrides.

A media table sets the transforms of every channel; its ``channels`` table (``series``
for organic activity) overrides them per channel, key by key: an override inherits what
it does not set. Priors are inherited only within one family (switching a channel from
geometric to delayed adstock starts from the delayed family's default priors); ``l_max``
and ``normalize`` are inherited across adstock families.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import jax.numpy as jnp
import numpyro.distributions as dist
from numpyro.distributions import constraints

from mmm.config import Frequency
from mmm.features import (
    SUPPORTED_PRIORS,
    AbstractAdstock,
    AbstractSaturation,
    DelayedAdstock,
    GeometricAdstock,
    HillSaturation,
    LogisticSaturation,
    MediaSpec,
    MichaelisMentenSaturation,
    PowerSaturation,
    TanhSaturation,
    WeibullCDFAdstock,
    WeibullPDFAdstock,
    default_l_max,
    prior_from_dict,
)
from mmm.pipeline._config_base import (
    ConfigError,
    FrozenMap,
    Table,
    check_names,
    check_number,
)

__all__ = [
    "ADSTOCKS",
    "SATURATIONS",
    "ORDERS",
    "MEDIA_INPUTS",
    "PriorConfig",
    "AdstockConfig",
    "SaturationConfig",
    "MediaConfig",
    "MediaSection",
    "MEDIA_KEYS",
]

ADSTOCKS: Mapping[str, type[AbstractAdstock]] = MappingProxyType(
    {
        "geometric": GeometricAdstock,
        "delayed": DelayedAdstock,
        "weibull_cdf": WeibullCDFAdstock,
        "weibull_pdf": WeibullPDFAdstock,
    }
)
"""Adstock ``type`` names of the config file and their spec classes."""

SATURATIONS: Mapping[str, type[AbstractSaturation]] = MappingProxyType(
    {
        "logistic": LogisticSaturation,
        "hill": HillSaturation,
        "michaelis_menten": MichaelisMentenSaturation,
        "tanh": TanhSaturation,
        "power": PowerSaturation,
    }
)
"""Saturation ``type`` names of the config file and their spec classes."""

ORDERS = ("adstock_first", "saturation_first")
"""Values of ``order`` (:class:`mmm.features.MediaSpec`)."""

MEDIA_INPUTS = ("spend", "exposure")
"""Values of ``input`` (:class:`mmm.features.MediaSpec`)."""

DEFAULT_ADSTOCK = "geometric"
DEFAULT_SATURATION = "logistic"


# --- priors ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PriorConfig:
    """A prior in the library's plain-data form (:func:`mmm.features.prior_from_dict`).

    Attributes:
        distribution: a name of :data:`mmm.features.SUPPORTED_PRIORS` (``"Beta"``).
        params: its parameters by name (``{"concentration1": 1.0, "concentration0": 3.0}``).
    """

    distribution: str
    params: Mapping[str, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", FrozenMap(self.params))

    @classmethod
    def from_dict(cls, data: object, *, path: str = "prior", source: str = "config") -> PriorConfig:
        """Read ``{distribution = "Beta", concentration1 = 1, concentration0 = 3}``.

        Raises:
            ConfigError: for an unknown distribution, a missing or unknown parameter, or a
                value outside the parameter's support.
        """
        if isinstance(data, Mapping) and "distribution" not in data and "dist" in data:
            raise ConfigError(
                'write the family as distribution = "..." (the library\'s prior format), not dist',
                key=f"{path}.dist",
                source=source,
            )
        head = Table(data, path, source)
        if "distribution" not in head:
            raise ConfigError(
                f"a prior needs distribution = one of {sorted(SUPPORTED_PRIORS)}, plus its "
                'parameters, e.g. {distribution = "LogNormal", loc = 0.2, scale = 0.9}',
                key=path,
                source=source,
            )
        name = head.choice("distribution", SUPPORTED_PRIORS, None, what="distribution")
        family = SUPPORTED_PRIORS[name]
        expected = list(family.arg_constraints)
        table = Table(data, path, source, ["distribution", *expected])
        missing = [p for p in expected if p not in table]
        if missing:
            raise ConfigError(
                f"prior {name} takes parameters {expected}: add {missing}", key=path, source=source
            )
        params = {p: check_number(table.value(p), table.key(p), source) for p in expected}
        for p, value in params.items():
            support = family.arg_constraints[p]
            if constraints.is_dependent(support):
                continue
            if not bool(support.check(jnp.asarray(value))):
                raise table.error(p, f"{value:g} is outside the support of {p}: {support}")
        if name == "Uniform" and not params["low"] < params["high"]:
            raise ConfigError("a Uniform prior needs low < high", key=path, source=source)
        return cls(distribution=name, params=params)

    def to_dict(self) -> dict[str, Any]:
        """``{"distribution": ..., <param>: value, ...}``."""
        return {"distribution": self.distribution, **self.params}

    def build(self) -> dist.Distribution:
        """The NumPyro distribution."""
        return prior_from_dict(self.to_dict())


def _priors(
    table: Table, key: str, params: Sequence[str], family: str
) -> Mapping[str, PriorConfig]:
    sub = table.table(key)
    if sub is None:
        return FrozenMap()
    for name in sub:
        if name not in params:
            close = difflib.get_close_matches(name, list(params), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise sub.error(
                name,
                f"the {family} family has no parameter {name!r}; {hint}its parameters are "
                f"{list(params)}",
            )
    return FrozenMap(
        {
            name: PriorConfig.from_dict(sub.value(name), path=sub.key(name), source=table.source)
            for name in sub
        }
    )


def _prior_dicts(priors: Mapping[str, PriorConfig]) -> dict[str, Any]:
    return {name: prior.to_dict() for name, prior in priors.items()}


def _built_priors(priors: Mapping[str, PriorConfig]) -> dict[str, dist.Distribution]:
    return {name: prior.build() for name, prior in priors.items()}


# --- transforms -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AdstockConfig:
    """An adstock as configured; ``None`` fields are inherited or take the default.

    Attributes:
        type: a key of :data:`ADSTOCKS` (``None``: inherited, else ``"geometric"``).
        l_max: lags including the current period (``None``: inherited, else
            :func:`mmm.features.default_l_max` of the data's frequency).
        normalize: whether the lag weights sum to 1 (``None``: the family's default, true).
        priors: prior per parameter of the family (the others keep the family's default).
    """

    type: str | None = None
    l_max: int | None = None
    normalize: bool | None = None
    priors: Mapping[str, PriorConfig] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "priors", FrozenMap(self.priors))

    @classmethod
    def from_table(cls, table: Table, family: str | None) -> AdstockConfig:
        """Read an adstock table; ``family`` is the inherited type (for the prior names)."""
        table = Table(
            table.data, table.path, table.source, ["type", "l_max", "normalize", "priors"]
        )
        kind = table.choice("type", ADSTOCKS, None, what="adstock")
        resolved = kind or family or DEFAULT_ADSTOCK
        return cls(
            type=kind,
            l_max=table.integer("l_max", None, minimum=1),
            normalize=table.boolean("normalize", None),
            priors=_priors(table, "priors", ADSTOCKS[resolved].param_names, resolved),
        )

    def to_dict(self) -> dict[str, Any]:
        """The keys that are set."""
        out: dict[str, Any] = {}
        if self.type is not None:
            out["type"] = self.type
        if self.l_max is not None:
            out["l_max"] = self.l_max
        if self.normalize is not None:
            out["normalize"] = self.normalize
        if self.priors:
            out["priors"] = _prior_dicts(self.priors)
        return out

    def over(self, base: AdstockConfig) -> AdstockConfig:
        """This override on top of ``base`` (see the module docstring)."""
        base_type = base.type or DEFAULT_ADSTOCK
        kind = self.type or base_type
        priors = {**base.priors, **self.priors} if kind == base_type else dict(self.priors)
        return AdstockConfig(
            type=kind,
            l_max=self.l_max if self.l_max is not None else base.l_max,
            normalize=self.normalize if self.normalize is not None else base.normalize,
            priors=priors,
        )

    def build(self, frequency: Frequency) -> AbstractAdstock:
        """The adstock spec, with ``l_max`` from the frequency when not set."""
        cls = ADSTOCKS[self.type or DEFAULT_ADSTOCK]
        options: dict[str, Any] = {
            "l_max": self.l_max if self.l_max is not None else default_l_max(frequency)
        }
        if self.normalize is not None:
            options["normalize"] = self.normalize
        return cls(**options, **_built_priors(self.priors))


@dataclasses.dataclass(frozen=True)
class SaturationConfig:
    """A saturation as configured.

    Attributes:
        type: a key of :data:`SATURATIONS` (``None``: inherited, else ``"logistic"``).
        priors: prior per parameter of the family (the others keep the family's default).
    """

    type: str | None = None
    priors: Mapping[str, PriorConfig] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "priors", FrozenMap(self.priors))

    @classmethod
    def from_table(cls, table: Table, family: str | None) -> SaturationConfig:
        """Read a saturation table; ``family`` is the inherited type (for the prior names)."""
        table = Table(table.data, table.path, table.source, ["type", "priors"])
        kind = table.choice("type", SATURATIONS, None, what="saturation")
        resolved = kind or family or DEFAULT_SATURATION
        return cls(
            type=kind,
            priors=_priors(table, "priors", SATURATIONS[resolved].param_names, resolved),
        )

    def to_dict(self) -> dict[str, Any]:
        """The keys that are set."""
        out: dict[str, Any] = {}
        if self.type is not None:
            out["type"] = self.type
        if self.priors:
            out["priors"] = _prior_dicts(self.priors)
        return out

    def over(self, base: SaturationConfig) -> SaturationConfig:
        """This override on top of ``base``."""
        base_type = base.type or DEFAULT_SATURATION
        kind = self.type or base_type
        priors = {**base.priors, **self.priors} if kind == base_type else dict(self.priors)
        return SaturationConfig(type=kind, priors=priors)

    def build(self) -> AbstractSaturation:
        """The saturation spec."""
        return SATURATIONS[self.type or DEFAULT_SATURATION](**_built_priors(self.priors))


@dataclasses.dataclass(frozen=True)
class MediaConfig:
    """One channel's media transforms as configured (or the defaults of all channels).

    Attributes:
        adstock: the adstock.
        saturation: the saturation.
        order: ``"adstock_first"`` or ``"saturation_first"`` (``None``: inherited, else
            adstock first).
        input: ``"spend"`` or ``"exposure"`` (the channel's ``media__`` column) (``None``:
            inherited, else spend).
    """

    adstock: AdstockConfig = dataclasses.field(default_factory=AdstockConfig)
    saturation: SaturationConfig = dataclasses.field(default_factory=SaturationConfig)
    order: str | None = None
    input: str | None = None

    @classmethod
    def from_table(cls, table: Table, base: MediaConfig | None, keys: Sequence[str]) -> MediaConfig:
        """Read the media keys of ``table`` (``keys`` allowed; ``base``: what it overrides)."""
        table = Table(table.data, table.path, table.source, keys)
        adstock = table.table("adstock")
        saturation = table.table("saturation")
        return cls(
            adstock=(
                AdstockConfig()
                if adstock is None
                else AdstockConfig.from_table(adstock, base.adstock.type if base else None)
            ),
            saturation=(
                SaturationConfig()
                if saturation is None
                else SaturationConfig.from_table(saturation, base.saturation.type if base else None)
            ),
            order=table.choice("order", ORDERS, None, what="order"),
            input=table.choice("input", MEDIA_INPUTS, None, what="media input"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The keys that are set."""
        out: dict[str, Any] = {}
        for key, part in (("adstock", self.adstock), ("saturation", self.saturation)):
            data = part.to_dict()
            if data:
                out[key] = data
        if self.order is not None:
            out["order"] = self.order
        if self.input is not None:
            out["input"] = self.input
        return out

    def over(self, base: MediaConfig) -> MediaConfig:
        """This override on top of ``base``."""
        return MediaConfig(
            adstock=self.adstock.over(base.adstock),
            saturation=self.saturation.over(base.saturation),
            order=self.order if self.order is not None else base.order,
            input=self.input if self.input is not None else base.input,
        )

    def build(self, frequency: Frequency) -> MediaSpec:
        """The :class:`~mmm.features.MediaSpec`."""
        options: dict[str, Any] = {}
        if self.order is not None:
            options["order"] = self.order
        if self.input is not None:
            options["input"] = self.input
        return MediaSpec(
            adstock=self.adstock.build(frequency), saturation=self.saturation.build(), **options
        )


_TRANSFORM_KEYS = ("adstock", "saturation", "order")
MEDIA_KEYS = (*_TRANSFORM_KEYS, "input")
"""The keys of a paid channel's media table (organic series have no ``input``)."""


@dataclasses.dataclass(frozen=True)
class MediaSection:
    """The ``[model.media]`` (or ``[model.organic]``) table: defaults plus overrides.

    Attributes:
        defaults: the transforms of every channel (series).
        overrides: per channel (series) name, what differs from ``defaults``.
    """

    defaults: MediaConfig = dataclasses.field(default_factory=MediaConfig)
    overrides: Mapping[str, MediaConfig] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", FrozenMap(self.overrides))

    @classmethod
    def from_table(cls, table: Table, per: str, *, with_input: bool) -> MediaSection:
        """Read a media table whose per-name overrides sit under ``per``.

        Args:
            table: the table.
            per: ``"channels"`` (paid media) or ``"series"`` (organic activity).
            with_input: whether ``input`` (spend or exposure) is a key.
        """
        keys = list(MEDIA_KEYS) if with_input else list(_TRANSFORM_KEYS)
        table = Table(table.data, table.path, table.source, [*keys, per])
        shared = Table({k: v for k, v in table.data.items() if k != per}, table.path, table.source)
        defaults = MediaConfig.from_table(shared, None, keys)
        overrides: dict[str, MediaConfig] = {}
        named = table.table(per)
        if named is not None:
            for name in named:
                sub = Table(named.value(name), named.key(name), table.source)
                overrides[name] = MediaConfig.from_table(sub, defaults, keys)
        return cls(defaults=defaults, overrides=overrides)

    def to_dict(self, per: str) -> dict[str, Any]:
        """The keys that are set (overrides under ``per``)."""
        out = self.defaults.to_dict()
        if self.overrides:
            out[per] = {name: c.to_dict() for name, c in self.overrides.items()}
        return out

    def resolved(self, name: str) -> MediaConfig:
        """The full configuration of ``name`` (its override on top of the defaults)."""
        return self.overrides.get(name, MediaConfig()).over(self.defaults)

    def build(
        self,
        names: Sequence[str],
        frequency: Frequency,
        *,
        key: str,
        source: str,
        what: str,
        exposures: Sequence[str] | None = None,
    ) -> tuple[MediaSpec, ...]:
        """One :class:`~mmm.features.MediaSpec` per name of the data, in their order.

        Args:
            names: the data's channels (or organic series).
            frequency: the data's frequency (default ``l_max``).
            key: the table's key path, for messages (``"model.media"``).
            source: the config file, for messages.
            what: ``"channel"`` or ``"organic series"``, for messages.
            exposures: channels with a ``media__`` column (``input = "exposure"`` needs one).

        Raises:
            ConfigError: for an override of a name the data lack (listing theirs), an
                exposure input without exposures, or priors the family does not take.
        """
        per = f"{key}.{'channels' if what == 'channel' else 'series'}"
        plural = "organic series" if what == "organic series" else None
        check_names(self.overrides, names, per, source, what, plural=plural)
        specs = []
        for name in names:
            config = self.resolved(name)
            where = f"{per}.{name}" if name in self.overrides else key
            if config.input == "exposure" and name not in (exposures or ()):
                raise ConfigError(
                    f'input = "exposure" needs a media__{name} column with the channel\'s '
                    f"exposures; the data have exposures for {list(exposures or ())}: use "
                    'input = "spend" for this channel',
                    key=f"{where}.input",
                    source=source,
                )
            for part, family, table in (
                ("adstock", config.adstock.type, ADSTOCKS),
                ("saturation", config.saturation.type, SATURATIONS),
            ):
                priors = getattr(config, part).priors
                params = table[str(family)].param_names
                bad = [p for p in priors if p not in params]
                if bad:
                    raise ConfigError(
                        f"the {family} {part} has no parameter(s) {bad}: its parameters are "
                        f"{list(params)}",
                        key=f"{where}.{part}.priors",
                        source=source,
                    )
            try:
                specs.append(config.build(frequency))
            except ValueError as err:  # the spec classes' own checks
                raise ConfigError(str(err), key=where, source=source) from None
        return tuple(specs)
