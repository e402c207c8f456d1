"""``[data]``: how the CSV is read and mapped to the naming convention (:class:`ColumnMapper`).

``[data.mapping]`` holds what a mapping file of ``mmm validate --mapping`` holds (either
``{raw = target}`` pairs, or a ``columns`` table plus the mapper's options); or
``data.mapping_file`` names such a file, which is read when the configuration is (so a
run's saved configuration holds the mapping it used). Without either, the CSV must
already follow the convention (``date, kpi__sales, spend__tv, ...``).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from mmm.config import MappingError
from mmm.data import ColumnMapper
from mmm.pipeline._config_base import (
    ConfigError,
    Table,
    check_number,
    check_string,
    describe,
    freeze,
    thaw,
)

__all__ = ["MAPPING_OPTIONS", "DataConfig"]

MAPPING_OPTIONS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(ColumnMapper) if f.name != "mapping"
)
"""The options of ``[data.mapping]`` besides ``columns`` (:class:`ColumnMapper`'s fields)."""


def _strings(value: object, key: str, source: str) -> dict[str, str]:
    table = Table(value, key, source)
    return {k: check_string(table.value(k), table.key(k), source) for k in table}


def _numbers(value: object, key: str, source: str) -> dict[str, float]:
    table = Table(value, key, source)
    return {k: check_number(table.value(k), table.key(k), source) for k in table}


def _string(value: object, key: str, source: str) -> str:
    return check_string(value, key, source)


def _boolean(value: object, key: str, source: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"expected true or false, got {describe(value)}", key=key, source=source)
    return value


_CHECKS: dict[str, Callable[[object, str, str], Any]] = {
    "columns": _strings,
    "date_format": _string,
    "thousands_separator": _string,
    "decimal_separator": _string,
    "strip_currency": _boolean,
    "unit_scale": _numbers,
    "fill_missing": _numbers,
    "keep_convention_columns": _boolean,
    "ignore": _strings,
    "geo_column": _string,
    "geo": _string,
    "aggregate_geos": _boolean,
}


def _mapping(value: object, key: str, source: str) -> dict[str, Any]:
    """The mapping in the ``{"columns": ..., options...}`` form, checked by the mapper."""
    table = Table(value, key, source)
    data = table.data
    plain = "columns" not in data and not set(data) & set(MAPPING_OPTIONS)
    if plain and all(isinstance(v, str) for v in data.values()):
        data = {"columns": dict(data)}
    table = Table(data, key, source, ["columns", *MAPPING_OPTIONS])
    out = {"columns": {}} | {
        k: _CHECKS.get(k, lambda v, *_: v)(table.value(k), table.key(k), source) for k in table
    }
    try:
        ColumnMapper.from_dict(out)
    except MappingError as err:
        raise ConfigError(str(err), key=key, source=source) from None
    return out


def _read_mapping_file(path: pathlib.Path, key: str, source: str) -> dict[str, Any]:
    """The mapping of a mapping file, in :func:`_mapping`'s form."""
    if path.suffix.lower() not in (".json", ".yaml", ".yml"):
        raise ConfigError(
            f"a mapping file ends in .json, .yaml or .yml: {path}", key=key, source=source
        )
    if not path.is_file():
        raise ConfigError(
            f"no such mapping file: {path} (a relative path is read from the config file's folder)",
            key=key,
            source=source,
        )
    text = path.read_text(encoding="utf-8")
    try:
        spec = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        reason = f"mapping file {path} is not valid: {err}"
        raise ConfigError(reason, key=key, source=source) from None
    try:
        return _mapping(spec, "", str(path))
    except ConfigError as err:
        raise ConfigError(
            f"mapping file {path}: {err.key + ': ' if err.key else ''}{err.reason}",
            key=key,
            source=source,
        ) from None


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """``[data]``: the CSV's separator and its column mapping.

    Attributes:
        separator: the CSV's field separator (one character).
        mapping: :meth:`ColumnMapper.from_dict`'s data in the ``{"columns": {...},
            options...}`` form (``None``: no mapping); read from ``mapping_file`` when the
            table names one.
        mapping_file: the mapping file it was read from, if any (not compared, and not in
            :meth:`to_dict`, which holds the mapping itself: a run's saved configuration
            does not depend on the file).
        source: the config file, for messages (not compared).

    Raises:
        ConfigError: naming the key (``data.mapping``) of an invalid value.
    """

    separator: str = ","
    mapping: Mapping[str, Any] | None = None
    mapping_file: str | None = dataclasses.field(default=None, compare=False)
    source: str = dataclasses.field(default="config", compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.mapping is not None:
            object.__setattr__(self, "mapping", freeze(self.mapping))
        _parse(Table(self.to_dict(), "data", self.source), None)  # validates

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        source: str = "config",
        root: str | pathlib.Path | None = None,
    ) -> DataConfig:
        """Read the ``[data]`` table.

        Args:
            data: the table.
            source: the config file, for messages.
            root: the folder a relative ``mapping_file`` is in (``None``: the current one).

        Raises:
            ConfigError: naming the key path of an unknown key or an invalid value.
        """
        return cls(**_parse(Table(data, "data", source), root), source=source)

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain data."""
        out: dict[str, Any] = {"separator": self.separator}
        if self.mapping is not None:
            out["mapping"] = thaw(self.mapping)
        return out

    def mapper(self) -> ColumnMapper:
        """The :class:`ColumnMapper` (``ColumnMapper()`` without a mapping)."""
        if self.mapping is not None:
            return ColumnMapper.from_dict(thaw(self.mapping))
        return ColumnMapper()


def _parse(table: Table, root: str | pathlib.Path | None) -> dict[str, Any]:
    table = Table(table.data, table.path, table.source, ["separator", "mapping", "mapping_file"])
    separator = table.string("separator", ",")
    if len(separator.encode()) != 1:
        raise table.error(
            "separator", f"{separator!r} is not one character: pass e.g. ',' or ';' or '\\t'"
        )
    mapping = (
        _mapping(table.value("mapping"), table.key("mapping"), table.source)
        if "mapping" in table
        else None
    )
    mapping_file = table.string("mapping_file", None)
    if mapping_file is not None:
        if mapping is not None:
            raise table.error("mapping_file", "give mapping or mapping_file, not both")
        path = pathlib.Path(mapping_file)
        if root is not None and not path.is_absolute():
            path = pathlib.Path(root) / path
        mapping = _read_mapping_file(path, table.key("mapping_file"), table.source)
        mapping_file = str(path)
    return {"separator": separator, "mapping": mapping, "mapping_file": mapping_file}
