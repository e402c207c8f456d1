"""The run configuration of ``mmm fit DATA.csv --config CONFIG.toml|yaml``, validated.

A TOML or YAML file with up to five tables, each optional (``docs/10_CONFIG.md`` lists
every key)::

    [data]        # separator, column mapping (ColumnMapper's options)
    [model]       # adstock/saturation per channel, priors, effect, trend, seasonality...
    [sampler]     # mmm.modeling.fit's method and settings
    [scenario]    # the budget plan optimized after the fit
    [report]      # interval level, plausible ROI range, expected control signs

:func:`load_config` reads the file and :meth:`RunConfig.from_dict` turns the plain data
into typed, frozen sections at this boundary: every key is checked for its type, range and
choices, unknown keys are errors (with the closest known key as a suggestion), and every
error is a :class:`ConfigError` naming the file and the dotted key path. The same content
in TOML and YAML gives equal configurations.

Examples:
    >>> config = RunConfig.from_dict({"sampler": {"chains": 2, "draws": 500}})
    >>> config.sampler.fit_kwargs()["draws"]
    500
    >>> RunConfig.from_dict({"model": {"adstok": {}}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mmm.pipeline._config_base.ConfigError: config: model.adstok: unknown key 'model.adstok'; ...
"""

from __future__ import annotations

import dataclasses
import pathlib
import tomllib
from collections.abc import Mapping
from typing import Any

import yaml

from mmm.data import MMMDataSet
from mmm.modeling import ModelSpec
from mmm.pipeline._config_base import ConfigError, Table
from mmm.pipeline._config_data import MAPPING_OPTIONS, DataConfig
from mmm.pipeline._config_media import (
    ADSTOCKS,
    SATURATIONS,
    AdstockConfig,
    MediaConfig,
    MediaSection,
    PriorConfig,
    SaturationConfig,
)
from mmm.pipeline._config_model import EFFECTS, LIKELIHOODS, TRENDS, ModelConfig, SeasonalityConfig
from mmm.pipeline._config_report import ReportConfig
from mmm.pipeline._config_sampler import METHODS, SamplerConfig
from mmm.pipeline._config_scenario import OBJECTIVES, BoundConfig, ScenarioConfig

__all__ = [
    "ConfigError",
    "load_config",
    "RunConfig",
    "DataConfig",
    "ModelConfig",
    "SamplerConfig",
    "ScenarioConfig",
    "ReportConfig",
    # parts of the model and scenario sections
    "MediaSection",
    "MediaConfig",
    "AdstockConfig",
    "SaturationConfig",
    "PriorConfig",
    "SeasonalityConfig",
    "BoundConfig",
    # the names the file may use
    "SECTIONS",
    "ADSTOCKS",
    "SATURATIONS",
    "EFFECTS",
    "LIKELIHOODS",
    "TRENDS",
    "METHODS",
    "OBJECTIVES",
    "MAPPING_OPTIONS",
    "CONFIG_SUFFIXES",
]

SECTIONS = ("data", "model", "sampler", "scenario", "report")
"""The top-level tables of a configuration file."""

CONFIG_SUFFIXES = (".toml", ".yaml", ".yml")
"""The file types :func:`load_config` reads."""


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Everything ``mmm fit`` needs besides the data; each section has its defaults.

    Attributes:
        data: how the CSV is read and mapped.
        model: the model (:meth:`ModelConfig.build_spec`).
        sampler: the fit's settings (:meth:`SamplerConfig.fit_kwargs`).
        scenario: the budget plan after the fit (:meth:`ScenarioConfig.optimize_kwargs`).
        report: interval level and sanity checks.
    """

    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    sampler: SamplerConfig = dataclasses.field(default_factory=SamplerConfig)
    scenario: ScenarioConfig = dataclasses.field(default_factory=ScenarioConfig)
    report: ReportConfig = dataclasses.field(default_factory=ReportConfig)

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        source: str = "config",
        root: str | pathlib.Path | None = None,
    ) -> RunConfig:
        """Validate a whole configuration (the content of a file).

        Args:
            data: ``{"data": {...}, "model": {...}, ...}``; every table is optional.
            source: where it came from (the file name), for messages.
            root: the folder relative paths in it are read from (the file's folder).

        Raises:
            ConfigError: naming ``source`` and the key path of the first unknown key or
                invalid value, and how to fix it.
        """
        table = Table(data, "", source, SECTIONS, nested=_SECTION_KEYS)

        def section(key: str) -> Mapping[str, Any]:
            sub = table.table(key)
            return {} if sub is None else sub.data

        return cls(
            data=DataConfig.from_dict(section("data"), source=source, root=root),
            model=ModelConfig.from_dict(section("model"), source=source),
            sampler=SamplerConfig.from_dict(section("sampler"), source=source),
            scenario=ScenarioConfig.from_dict(section("scenario"), source=source),
            report=ReportConfig.from_dict(section("report"), source=source),
        )

    def to_dict(self) -> dict[str, Any]:
        """The configuration as JSON-ready data; :meth:`from_dict` reads it back equal.

        Bounds without an upper limit hold ``inf`` (``json.dumps`` writes ``Infinity``).
        """
        return {
            "data": self.data.to_dict(),
            "model": self.model.to_dict(),
            "sampler": self.sampler.to_dict(),
            "scenario": self.scenario.to_dict(),
            "report": self.report.to_dict(),
        }

    def with_sampler(self, **overrides: Any) -> RunConfig:
        """A copy with sampler settings replaced (validated), e.g. ``chains=2, seed=1``.

        Raises:
            ConfigError: naming ``sampler.<key>`` for an unknown key or invalid value.
        """
        if not overrides:
            return self
        return dataclasses.replace(self, sampler=self.sampler.replace(**overrides))

    def with_scenario(self, **overrides: Any) -> RunConfig:
        """A copy with scenario settings replaced, in the file's form (validated).

        See :meth:`ScenarioConfig.replace` (``None`` resets a key to its default).

        Raises:
            ConfigError: naming ``scenario.<key>`` for an unknown key or invalid value.
        """
        if not overrides:
            return self
        return dataclasses.replace(self, scenario=self.scenario.replace(**overrides))

    def prepare(self, dataset: MMMDataSet) -> tuple[MMMDataSet, ModelSpec]:
        """Check everything that depends on the data, before anything is fitted.

        Returns:
            The dataset to fit (without the controls and events the model leaves out,
            :meth:`ModelConfig.select`) and its spec (:meth:`ModelConfig.build_spec`).

        Raises:
            ConfigError: naming the key of a channel, control or event the data do not
                have (model, scenario bounds and locks, expected signs) or any other
                setting that does not fit the data.
        """
        selected, spec = self.model.build(dataset)
        if self.scenario.enabled:
            self.scenario.check_channels(spec.channels)
            self.scenario.reference_window(selected)
        self.report.check_controls(selected.controls)
        return selected, spec


_SECTION_KEYS = {
    name: [f.name for f in dataclasses.fields(cls) if f.name != "source"]
    for name, cls in (
        ("data", DataConfig),
        ("model", ModelConfig),
        ("sampler", SamplerConfig),
        ("scenario", ScenarioConfig),
        ("report", ReportConfig),
    )
}


def _parse_error(path: pathlib.Path, kind: str, err: Exception) -> ConfigError:
    mark = getattr(err, "problem_mark", None)
    if mark is not None:  # YAML: say where, then what
        problem = getattr(err, "problem", None) or str(err)
        reason = f"not valid {kind} at line {mark.line + 1}, column {mark.column + 1}: {problem}"
    else:  # tomllib's message ends with "(at line L, column C)"
        reason = f"not valid {kind}: {err}"
    return ConfigError(reason, source=str(path))


def load_config(path: str | pathlib.Path) -> RunConfig:
    """Read and validate a run configuration from a ``.toml``, ``.yaml`` or ``.yml`` file.

    Relative paths in the file (``data.mapping_file``) are read from the file's folder.

    Raises:
        FileNotFoundError: if there is no such file.
        ConfigError: for another suffix, a file that is not valid TOML/YAML (naming the
            line), or an invalid configuration (naming the key path).
    """
    path = pathlib.Path(path)
    suffix = path.suffix.lower()
    if suffix not in CONFIG_SUFFIXES:
        raise ConfigError(
            f"a run configuration is a .toml, .yaml or .yml file, not {suffix or 'no suffix'!r}:"
            " rename it (TOML or YAML content)",
            source=str(path),
        )
    if not path.is_file():
        raise FileNotFoundError(f"no such config file: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"not UTF-8 text ({err.reason}): save it as UTF-8", source=str(path)
        ) from None
    data: object
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise _parse_error(path, "TOML", err) from None
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise _parse_error(path, "YAML", err) from None
        if data is None:  # an empty file: all defaults
            data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"the file holds {type(data).__name__}, not tables of keys: start with a section "
            "such as [model] (TOML) or model: (YAML)",
            source=str(path),
        )
    return RunConfig.from_dict(data, source=str(path), root=path.parent)
