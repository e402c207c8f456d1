"""``[sampler]``: how the model is fitted.

A checked subset of :func:`mmm.modeling.fit`'s keyword arguments, with its defaults.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, get_args

from mmm.modeling import ChainMethod, Guide, Method
from mmm.pipeline._config_base import Table

__all__ = ["METHODS", "CHAIN_METHODS", "GUIDES", "SamplerConfig"]

METHODS: tuple[str, ...] = get_args(Method)
"""Values of ``sampler.method`` (those of :func:`mmm.modeling.fit`)."""

CHAIN_METHODS: tuple[str, ...] = get_args(ChainMethod)
"""Values of ``sampler.chain_method``."""

GUIDES: tuple[str, ...] = get_args(Guide)
"""Values of ``sampler.guide``."""

_COUNTS = {
    "chains": 1,
    "draws": 1,
    "tune": 0,
    "seed": 0,
    "max_tree_depth": 1,
    "warmup_tree_depth": 1,
    "hmc_steps": 1,
    "svi_steps": 1,
    "num_particles": 1,
}


@dataclasses.dataclass(frozen=True)
class SamplerConfig:
    """``[sampler]``: the fit's method and settings; defaults are :func:`~mmm.modeling.fit`'s.

    Attributes:
        method: ``"nuts"``, ``"hmc"``, ``"svi"``, ``"map"`` or ``"laplace"``.
        chains: MCMC chains (>= 1).
        draws: draws kept per chain (>= 1).
        tune: warm-up iterations per chain (>= 0).
        seed: the PRNG seed (>= 0).
        target_accept: NUTS/HMC target acceptance probability, in ``(0, 1)``.
        dense_mass: adapt a dense mass matrix (NUTS/HMC).
        max_tree_depth: NUTS maximum tree depth (>= 1).
        warmup_tree_depth: NUTS maximum tree depth during warm-up (>= 1; capped at
            ``max_tree_depth``).
        hmc_steps: leapfrog steps per HMC iteration (>= 1).
        chain_method: ``"auto"``, ``"parallel"``, ``"vectorized"`` or ``"sequential"``.
        svi_steps: optimizer steps of SVI, MAP and Laplace (>= 1).
        learning_rate: Adam learning rate (> 0).
        guide: SVI guide, ``"mean_field"`` or ``"low_rank"``.
        rank: rank of the low-rank guide (``None``: automatic).
        num_particles: ELBO particles per SVI step (>= 1).
        x64: compute in float64.
        source: the config file, for messages (not compared).

    Raises:
        ConfigError: naming the key (``sampler.chains``) of an invalid value.
    """

    method: str = "nuts"
    chains: int = 4
    draws: int = 1000
    tune: int = 1000
    seed: int = 0
    target_accept: float = 0.9
    dense_mass: bool = True
    max_tree_depth: int = 10
    warmup_tree_depth: int = 7
    hmc_steps: int = 32
    chain_method: str = "auto"
    svi_steps: int = 5000
    learning_rate: float = 0.01
    guide: str = "mean_field"
    rank: int | None = None
    num_particles: int = 1
    x64: bool = False
    source: str = dataclasses.field(default="config", compare=False, repr=False)

    def __post_init__(self) -> None:
        _parse(Table(self.to_dict(), "sampler", self.source))  # validates

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "config") -> SamplerConfig:
        """Read the ``[sampler]`` table; absent keys take their defaults.

        Raises:
            ConfigError: naming the key path of an unknown key or an invalid value.
        """
        return cls(**_parse(Table(data, "sampler", source)), source=source)

    def to_dict(self) -> dict[str, Any]:
        """Every setting (``rank`` only when set), as plain data."""
        out = {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "source"
        }
        if out["rank"] is None:
            del out["rank"]
        return out

    def fit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``mmm.modeling.fit(spec, dataset, **kwargs)``."""
        out = self.to_dict()
        out["rank"] = self.rank
        return out

    def replace(self, **overrides: Any) -> SamplerConfig:
        """A copy with ``overrides`` (validated; e.g. ``chains=2, draws=300``)."""
        return SamplerConfig.from_dict({**self.to_dict(), **overrides}, source=self.source)


def _parse(table: Table) -> dict[str, Any]:
    defaults = {f.name: f.default for f in dataclasses.fields(SamplerConfig) if f.name != "source"}
    table = Table(table.data, table.path, table.source, list(defaults))
    out: dict[str, Any] = {}
    for key, minimum in _COUNTS.items():
        out[key] = table.integer(key, defaults[key], minimum=minimum)
    out["method"] = table.choice("method", METHODS, defaults["method"], what="method")
    out["chain_method"] = table.choice(
        "chain_method", CHAIN_METHODS, defaults["chain_method"], what="chain method"
    )
    out["guide"] = table.choice("guide", GUIDES, defaults["guide"], what="guide")
    out["target_accept"] = table.number(
        "target_accept", defaults["target_accept"], low=0.0, high=1.0, low_open=True, high_open=True
    )
    out["learning_rate"] = table.number(
        "learning_rate", defaults["learning_rate"], low=0.0, low_open=True
    )
    out["rank"] = table.integer("rank", None, minimum=1)
    for key in ("dense_mass", "x64"):
        out[key] = table.boolean(key, defaults[key])
    return out
