"""Geo panels: one geo's rows, or the total over geos, as the single series v1 models.

A client file often holds one row per geo (region, market, DMA) and date. mmm v1 models one
series, so :class:`~mmm.data.ColumnMapper` reduces such a panel in one of two explicit ways:

* **select** (``geo_column`` + ``geo``): keep the rows of one geo; done on the raw text,
  before parsing.
* **aggregate** (``geo_column`` + ``aggregate_geos=True``): one row per date over all geos,
  after parsing, with a rule per role (:data:`AGGREGATION`): KPI, spend, exposures and
  organic series are summed, controls averaged (an unweighted mean over geos) and events
  take their maximum (on in any geo). This is the national series of Meridian's and PyMC
  Labs' benchmark data (their ``*_national`` files are built the same way). Summing assumes
  an additive KPI (sales, revenue, conversions); a rate or a price is not additive.

Nothing is dropped silently: a geo label that is missing, a geo without some date, a geo
with a date twice, or a missing value in any geo's row (the total would be too small) is an
error or a missing value that the contract then reports.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from collections.abc import Mapping
from types import MappingProxyType

import polars as pl

from mmm.config import (
    DATE_COLUMN,
    ContractRule,
    MappingError,
    Role,
    Violation,
    parse_column,
)
from mmm.config._errors import describe_rows

__all__ = ["AGGREGATION", "GeoReduction", "aggregate_geos", "panel_hint", "select_geo"]

AGGREGATION: Mapping[Role, str] = MappingProxyType(
    {
        Role.KPI: "sum",
        Role.SPEND: "sum",
        Role.MEDIA: "sum",
        Role.ORGANIC: "sum",
        Role.CONTROL: "mean",
        Role.EVENT: "max",
    }
)
"""How :func:`aggregate_geos` combines the geos' values of a column, by its role."""

_MAX_LISTED = 5
_VERBS = {"sum": "summed", "mean": "averaged", "max": "at their maximum"}


@dataclasses.dataclass(frozen=True)
class GeoReduction:
    """How a geo panel was reduced to one series (part of the :class:`MappingReport`).

    Attributes:
        column: the raw column that names each row's geo.
        geos: every geo in the raw data, in order of first appearance.
        kept: the geo whose rows were kept, or ``None`` when the geos were aggregated.
        rows_in: rows of the raw frame.
        rows_out: rows of the result (one per date).
    """

    column: str
    geos: tuple[str, ...]
    kept: str | None
    rows_in: int
    rows_out: int

    @property
    def detail(self) -> str:
        """One sentence saying what was done."""
        if self.kept is not None:
            return (
                f"kept geo {self.kept!r} of {len(self.geos)} ({self.rows_out} of "
                f"{self.rows_in} rows)"
            )
        by_rule: dict[str, list[str]] = {}
        for role, how in AGGREGATION.items():
            by_rule.setdefault(_VERBS[how], []).append(role.value)
        rules = "; ".join(f"{', '.join(roles)} {verb}" for verb, roles in by_rule.items())
        return (
            f"aggregated {len(self.geos)} geos ({_listed(self.geos)}) into {self.rows_out} "
            f"periods from {self.rows_in} rows: {rules}"
        )


def _listed(values: tuple[str, ...] | list[str]) -> str:
    more = f" and {len(values) - _MAX_LISTED} more" if len(values) > _MAX_LISTED else ""
    return ", ".join(repr(v) for v in values[:_MAX_LISTED]) + more


def _labels(raw: pl.DataFrame, column: str) -> pl.Series:
    """The geo of every row as text; an error naming the rows where it is missing."""
    labels = raw[column].cast(pl.String).str.strip_chars()
    missing = (labels.is_null() | (labels == "")).arg_true().to_list()
    if missing:
        raise MappingError(
            [
                Violation(
                    ContractRule.MISSING_VALUES,
                    None,
                    f"geo column {column!r} is empty at {describe_rows(missing)}: every row "
                    "needs its geo; fill it or drop those rows",
                    tuple(missing),
                )
            ]
        )
    return labels


def select_geo(raw: pl.DataFrame, column: str, geo: str) -> tuple[pl.DataFrame, GeoReduction]:
    """The rows of ``raw`` whose ``column`` is ``geo`` (labels compared as stripped text).

    Raises:
        MappingError: a row without a geo, or ``geo`` not among the labels (the message
            lists them and suggests the closest).
    """
    labels = _labels(raw, column)
    geos = labels.unique(maintain_order=True).to_list()
    if geo not in geos:
        close = difflib.get_close_matches(geo, geos, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise MappingError(
            [
                Violation(
                    ContractRule.INVALID_MAPPING,
                    None,
                    f"geo {geo!r} is not a value of geo column {column!r}{hint} (its "
                    f"{len(geos)} geos: {_listed(geos)})",
                )
            ]
        )
    kept = raw.filter(labels == geo)
    return kept, GeoReduction(column, tuple(geos), geo, raw.height, kept.height)


def _rule(column: str) -> str:
    if column == DATE_COLUMN:
        raise ValueError("the date column is the group key, not aggregated")
    return AGGREGATION[parse_column(column).role]


def _agg(column: str) -> pl.Expr:
    """The geos' values of ``column`` for one date; null if any geo's value is missing."""
    value = pl.col(column)
    combined = getattr(value, _rule(column))()
    return pl.when(value.is_null().any()).then(None).otherwise(combined).alias(column)


def _panel_problems(labels: pl.Series, dates: pl.Series, column: str) -> list[Violation]:
    """Rows without a date, a geo with a date twice, or a geo without some date."""
    keyed = pl.DataFrame({"geo": labels, "date": dates})
    no_date = keyed["date"].is_null().arg_true().to_list()
    if no_date:
        return [
            Violation(
                ContractRule.MISSING_VALUES,
                DATE_COLUMN,
                f"column 'date' is empty at {describe_rows(no_date)}: every row of a geo "
                "panel needs its date",
                tuple(no_date),
            )
        ]
    problems = []
    twice = keyed.is_duplicated().arg_true().to_list()
    if twice:
        pairs = [(keyed["geo"][i], keyed["date"][i]) for i in twice[:_MAX_LISTED]]
        listed = ", ".join(f"row {i} ({g!r}, {d})" for i, (g, d) in zip(twice, pairs, strict=False))
        more = f" and {len(twice) - _MAX_LISTED} more" if len(twice) > _MAX_LISTED else ""
        problems.append(
            Violation(
                ContractRule.DUPLICATE_DATES,
                DATE_COLUMN,
                f"geo column {column!r}: a geo has the same date twice at {listed}{more}: "
                "each geo needs one row per date (sum the rows upstream)",
                tuple(twice),
            )
        )
    all_dates = keyed["date"].unique().sort()
    for geo, group in keyed.group_by("geo", maintain_order=True):
        absent = sorted(set(all_dates.to_list()) - set(group["date"].to_list()))
        if absent:
            first = ", ".join(str(d) for d in absent[:_MAX_LISTED])
            more = f" and {len(absent) - _MAX_LISTED} more" if len(absent) > _MAX_LISTED else ""
            problems.append(
                Violation(
                    ContractRule.UNBALANCED_GEOS,
                    None,
                    f"geo {geo[0]!r} (column {column!r}) has no row for {len(absent)} of the "
                    f"{all_dates.len()} dates ({first}{more}): a total over geos needs every "
                    "geo at every date; add the rows (with 0 spend where nothing ran) or "
                    "model one geo (geo = ...)",
                    dates=tuple(d for d in absent if isinstance(d, dt.date)),
                )
            )
    return problems


def aggregate_geos(
    frame: pl.DataFrame, labels_from: pl.DataFrame, column: str
) -> tuple[pl.DataFrame, GeoReduction]:
    """One row per date of the mapped ``frame``, combining geos by :data:`AGGREGATION`.

    Args:
        frame: the parsed frame in the naming convention (one row per geo and date).
        labels_from: the raw frame, rows aligned with ``frame``, holding ``column``.
        column: the raw geo column.

    Returns:
        The frame sorted by date, and the :class:`GeoReduction` for the report.

    Raises:
        MappingError: a row without a geo or date, a geo with a date twice, or a geo
            missing some date (the total would silently cover fewer geos).
    """
    labels = _labels(labels_from, column)
    geos = tuple(labels.unique(maintain_order=True).to_list())
    if DATE_COLUMN not in frame.columns:
        raise MappingError(
            [
                Violation(
                    ContractRule.MISSING_DATE,
                    DATE_COLUMN,
                    "aggregating geos needs the 'date' column: map the raw date column to 'date'",
                )
            ]
        )
    problems = _panel_problems(labels, frame[DATE_COLUMN], column)
    if problems:
        raise MappingError(problems)
    values = [c for c in frame.columns if c != DATE_COLUMN]
    out = frame.group_by(DATE_COLUMN).agg([_agg(c) for c in values]).sort(DATE_COLUMN)
    return out.select(frame.columns), GeoReduction(column, geos, None, frame.height, out.height)


def panel_hint(raw: pl.DataFrame, date_column: str, candidates: list[str]) -> str | None:
    """A sentence for a duplicate-date error when a raw column makes the rows a panel.

    ``candidates`` are the raw columns left out of the mapping; the first whose values, with
    the dates, identify every row (and that has 2 or more values, each on several rows) is
    named, with the options to select one geo or aggregate them.
    """
    dates = raw[date_column].cast(pl.String)
    for name in candidates:
        labels = raw[name].cast(pl.String)
        count = labels.n_unique()
        if not 2 <= count <= raw.height // 2:
            continue
        if pl.DataFrame({"d": dates, "g": labels}).is_duplicated().any():
            continue
        geos = labels.unique(maintain_order=True).drop_nulls().to_list()
        return (
            f"; the rows look like a geo panel by raw column {name!r} ({count} values: "
            f"{_listed(geos)}): mmm models one series, so set the mapping options "
            f"geo_column={name!r} and geo={geos[0]!r} (one geo) or aggregate_geos=true "
            "(the total over geos)"
        )
    return None
