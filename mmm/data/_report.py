"""``MappingReport``: what :class:`ColumnMapper` did to a raw frame, for a person to read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Mapping
from types import MappingProxyType

import polars as pl

from mmm.data._geo import GeoReduction

__all__ = [
    "Coercion",
    "Fill",
    "MappedColumn",
    "MappingReport",
    "MatchKind",
    "Normalization",
]


class MatchKind(enum.Enum):
    """How a raw column was matched to its target."""

    EXACT = "exact"
    """The mapping key is the raw column name, to the letter."""
    NORMALIZED = "normalized"
    """Matched after ignoring case, spaces and punctuation (reported so typos are visible)."""
    CONVENTION = "convention"
    """Not in the mapping, but already a valid name of the convention: kept as is."""


@dataclasses.dataclass(frozen=True)
class MappedColumn:
    """A raw column renamed to a column of the convention."""

    raw: str
    target: str
    match: MatchKind
    mapping_key: str | None = None


@dataclasses.dataclass(frozen=True)
class Coercion:
    """A change of type: text to dates or numbers."""

    column: str
    raw: str
    detail: str
    n_values: int


@dataclasses.dataclass(frozen=True)
class Normalization:
    """A change of units: ``target = raw * factor``."""

    column: str
    factor: float


@dataclasses.dataclass(frozen=True)
class Fill:
    """Missing values replaced by an explicit, opted-in value."""

    column: str
    value: float
    rows: tuple[int, ...]
    dates: tuple[dt.date, ...]


@dataclasses.dataclass(frozen=True)
class MappingReport:
    """Everything :meth:`ColumnMapper.build` did, so no change to the data goes unseen.

    Attributes:
        mapped: raw -> target pairs with how each was matched.
        unmapped: raw columns left out of the dataset, each with the reason.
        coercions: text parsed into dates or numbers.
        normalizations: unit scalings applied.
        fills: missing values filled under an explicit ``fill_missing`` policy.
        date_format: the format the dates were parsed with (``None`` if already dates).
        warnings: contract warnings about the resulting dataset.
        geo: how a geo panel was reduced to one series (one geo kept, or the geos
            aggregated); ``None`` when the data had one row per date.
        dropped_empty_rows: raw row numbers (0-based) of the rows at the end of the file
            whose every cell was empty (a spreadsheet export's trailing ``,,,,``), dropped.
    """

    mapped: tuple[MappedColumn, ...]
    unmapped: Mapping[str, str]
    coercions: tuple[Coercion, ...] = ()
    normalizations: tuple[Normalization, ...] = ()
    fills: tuple[Fill, ...] = ()
    date_format: str | None = None
    warnings: tuple[str, ...] = ()
    geo: GeoReduction | None = None
    dropped_empty_rows: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "unmapped", MappingProxyType(dict(self.unmapped)))

    @property
    def renames(self) -> dict[str, str]:
        """``{raw: target}`` for every column kept."""
        return {m.raw: m.target for m in self.mapped}

    def to_frame(self) -> pl.DataFrame:
        """One row per action, columns ``action``, ``raw``, ``column``, ``detail``."""
        rows: list[tuple[str, str | None, str | None, str]] = []
        if self.geo is not None:
            rows.append(("geo", self.geo.column, None, self.geo.detail))
        for m in self.mapped:
            how = m.match.value + (f" (mapping key {m.mapping_key!r})" if m.mapping_key else "")
            rows.append(("mapped", m.raw, m.target, how))
        rows += [("unmapped", raw, None, why) for raw, why in self.unmapped.items()]
        rows += [
            ("coerced", c.raw, c.column, f"{c.detail} ({c.n_values} values)")
            for c in self.coercions
        ]
        raw_of = {m.target: m.raw for m in self.mapped}
        rows += [
            ("normalized", raw_of.get(n.column), n.column, f"multiplied by {n.factor:g}")
            for n in self.normalizations
        ]
        rows += [
            (
                "filled",
                raw_of.get(f.column),
                f.column,
                f"{len(f.rows)} missing values set to {f.value:g}",
            )
            for f in self.fills
        ]
        if self.dropped_empty_rows:
            rows.append(("dropped", None, None, self._dropped_detail()))
        rows += [("warning", None, None, w) for w in self.warnings]
        schema = {"action": pl.String, "raw": pl.String, "column": pl.String, "detail": pl.String}
        return pl.DataFrame(rows, schema=schema, orient="row")

    def _dropped_detail(self) -> str:
        rows = self.dropped_empty_rows
        where = f"row {rows[0]}" if len(rows) == 1 else f"rows {rows[0]} to {rows[-1]}"
        return f"{len(rows)} empty row(s) at the end of the file ({where}), no data in them"

    def __str__(self) -> str:
        lines = [
            f"Mapping report: {len(self.mapped)} columns mapped, {len(self.unmapped)} left out"
        ]
        if self.geo is not None:
            lines.append(f"Geo ({self.geo.column!r}): {self.geo.detail}")
        width = max((len(m.raw) for m in self.mapped), default=0)
        for m in self.mapped:
            note = "" if m.match is MatchKind.EXACT else f"  [{m.match.value} match]"
            lines.append(f"  {m.raw:<{width}} -> {m.target}{note}")
        if self.unmapped:
            lines.append("Left out:")
            lines += [f"  {raw}: {why}" for raw, why in self.unmapped.items()]
        if self.coercions:
            lines.append("Coerced:")
            lines += [
                f"  {c.column} (from {c.raw!r}): {c.detail}, {c.n_values} values"
                for c in self.coercions
            ]
        if self.normalizations:
            lines.append("Normalized:")
            lines += [f"  {n.column}: multiplied by {n.factor:g}" for n in self.normalizations]
        if self.fills:
            lines.append("Filled (opt-in fill_missing):")
            for f in self.fills:
                first = ", ".join(d.isoformat() for d in f.dates[:5])
                lines.append(f"  {f.column}: {len(f.rows)} missing set to {f.value:g} ({first})")
        if self.dropped_empty_rows:
            lines.append(f"Dropped: {self._dropped_detail()}")
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  {w}" for w in self.warnings]
        return "\n".join(lines)
