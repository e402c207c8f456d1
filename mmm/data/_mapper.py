"""``ColumnMapper``: client data in, a validated :class:`MMMDataSet` and a report out."""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import pathlib
import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import polars as pl
import yaml

from mmm.config import (
    DATE_COLUMN,
    ContractRule,
    DataContractError,
    DataContractWarning,
    MappingError,
    Role,
    Violation,
    column_name_problem,
    parse_column,
    to_snake_case,
)
from mmm.data._dataset import MMMDataSet
from mmm.data._frames import FrameLike, to_polars
from mmm.data._geo import GeoReduction, aggregate_geos, panel_hint, select_geo
from mmm.data._parsing import NumberFormat, parse_dates, parse_numbers
from mmm.data._report import (
    Coercion,
    Fill,
    MappedColumn,
    MappingReport,
    MatchKind,
    Normalization,
)

__all__ = ["ColumnMapper"]

_FILE_KEYS = (
    "columns",
    "date_format",
    "thousands_separator",
    "decimal_separator",
    "strip_currency",
    "unit_scale",
    "fill_missing",
    "keep_convention_columns",
    "ignore",
    "geo_column",
    "geo",
    "aggregate_geos",
)


def _error(rule: ContractRule, column: str | None, message: str) -> MappingError:
    return MappingError([Violation(rule, column, message)])


def _normalized(name: str) -> str:
    return to_snake_case(str(name))


@dataclasses.dataclass(frozen=True, eq=False)
class ColumnMapper:
    """Maps a client's raw frame to the naming convention and validates the result.

    Args:
        mapping: ``{raw column: convention column}``, e.g. ``{"Week": "date",
            "Revenue": "kpi__revenue", "TV": "spend__tv"}``. Raw names match exactly, or
            else ignoring case, spaces and punctuation (reported as a normalized match).
        date_format: strftime format of the raw dates (e.g. ``"%d/%m/%Y"``). Without it the
            format is inferred only when exactly one reading of the data is possible;
            ambiguous dates are an error.
        thousands_separator: separator removed from numbers written as text (``","``).
        decimal_separator: ``"."`` (default) or ``","``.
        strip_currency: remove currency symbols/codes from numbers written as text.
        unit_scale: ``{convention column: factor}`` multiplies a column, e.g.
            ``{"spend__tv": 1000.0}`` when TV spend is reported in thousands.
        fill_missing: ``{convention column: value}``: an explicit opt-in to replace missing
            values (null/NaN/empty text) of that column, e.g. ``{"spend__tv": 0.0}`` when a
            blank means nothing was spent. Never allowed for the KPI or the date.
        keep_convention_columns: keep raw columns that are already valid convention names
            (``spend__tv``) without listing them in ``mapping``.
        ignore: ``{raw column: reason}`` for columns left out on purpose; the reason is
            shown in :attr:`MappingReport.unmapped` (e.g. ``{"t": "trend is built from the
            dates"}``). Other unmapped columns are listed as "not in the mapping".
        geo_column: the raw column naming each row's geo (region, market) in a file with
            one row per geo and date. mmm models one series: pass ``geo`` or
            ``aggregate_geos`` with it (:mod:`mmm.data._geo`).
        geo: keep only the rows of this geo (a value of ``geo_column``).
        aggregate_geos: one row per date over all geos: KPI, spend, exposures and organic
            series summed, controls averaged, events their maximum. Every geo must have
            every date.

    Raises:
        MappingError: for an invalid mapping (target not in the convention, two raw columns
            to one target, options naming columns that are not targets, bad factors).

    Examples:
        >>> mapper = ColumnMapper({"Week": "date", "Sales": "kpi__sales", "TV": "spend__tv"})
        >>> sorted(mapper.mapping.values())
        ['date', 'kpi__sales', 'spend__tv']
    """

    mapping: Mapping[str, str] = dataclasses.field(default_factory=dict)
    date_format: str | None = None
    thousands_separator: str | None = None
    decimal_separator: str = "."
    strip_currency: bool = False
    unit_scale: Mapping[str, float] = dataclasses.field(default_factory=dict)
    fill_missing: Mapping[str, float] = dataclasses.field(default_factory=dict)
    keep_convention_columns: bool = True
    ignore: Mapping[str, str] = dataclasses.field(default_factory=dict)
    geo_column: str | None = None
    geo: str | None = None
    aggregate_geos: bool = False

    def __post_init__(self) -> None:
        for field in ("mapping", "unit_scale", "fill_missing", "ignore"):
            value = getattr(self, field)
            if not isinstance(value, Mapping):
                raise MappingError(f"{field} must be a mapping (dict), got {type(value).__name__}")
            object.__setattr__(self, field, MappingProxyType(dict(value)))
        problems: list[Violation] = []
        for raw, target in self.mapping.items():
            problem = column_name_problem(target) if isinstance(target, str) else "not a string"
            if problem is not None:
                problems.append(
                    Violation(
                        ContractRule.INVALID_MAPPING,
                        target,
                        f"mapping {raw!r} -> {target!r}: the target is not a column of the "
                        f"convention ({problem})",
                    )
                )
        by_target: dict[str, list[str]] = {}
        for raw, target in self.mapping.items():
            by_target.setdefault(target, []).append(raw)
        problems += [
            Violation(
                ContractRule.DUPLICATE_TARGET,
                target,
                f"raw columns {raws} all map to {target!r}: each target takes one raw column "
                "(sum them upstream if they are parts of one channel)",
            )
            for target, raws in by_target.items()
            if len(raws) > 1
        ]
        if self.decimal_separator not in (".", ","):
            problems.append(
                Violation(
                    ContractRule.INVALID_MAPPING,
                    None,
                    f"decimal_separator={self.decimal_separator!r}: use '.' or ','",
                )
            )
        if self.thousands_separator is not None and (
            self.thousands_separator == self.decimal_separator or not self.thousands_separator
        ):
            problems.append(
                Violation(
                    ContractRule.INVALID_MAPPING,
                    None,
                    f"thousands_separator={self.thousands_separator!r} must be non-empty and "
                    f"differ from decimal_separator={self.decimal_separator!r}",
                )
            )
        problems += [
            Violation(
                ContractRule.INVALID_MAPPING,
                None,
                f"raw column {raw!r} is both mapped (to {self.mapping[raw]!r}) and ignored",
            )
            for raw in self.ignore
            if raw in self.mapping
        ]
        problems += self._option_problems()
        problems += self._geo_problems()
        if problems:
            raise MappingError(problems)

    def _option_problems(self) -> list[Violation]:
        problems = []
        for option in ("unit_scale", "fill_missing"):
            for column, value in getattr(self, option).items():
                problem = column_name_problem(column)
                is_number = isinstance(value, int | float) and not isinstance(value, bool)
                if problem is not None:
                    text = f"{option} names {column!r}, not a convention column ({problem})"
                elif column == DATE_COLUMN or parse_column(column).role is Role.KPI:
                    text = (
                        f"{option} cannot apply to {column!r}: the date and the KPI are "
                        "never rescaled or filled"
                    )
                elif not is_number or not math.isfinite(value):
                    text = f"{option}[{column!r}] = {value!r} must be a finite number"
                elif option == "unit_scale" and value <= 0:
                    text = f"unit_scale[{column!r}] = {value!r} must be > 0"
                else:
                    continue
                problems.append(Violation(ContractRule.INVALID_MAPPING, column, text))
        return problems

    def _geo_problems(self) -> list[Violation]:
        def problem(text: str) -> Violation:
            return Violation(ContractRule.INVALID_MAPPING, None, text)

        if self.geo_column is None:
            given = [o for o in ("geo", "aggregate_geos") if getattr(self, o) not in (None, False)]
            if given:
                return [problem(f"{given[0]} needs geo_column: the raw column naming the geos")]
            return []
        if not isinstance(self.geo_column, str) or not self.geo_column:
            return [problem(f"geo_column={self.geo_column!r} must be a raw column name")]
        if self.geo is not None and not (isinstance(self.geo, str) and self.geo.strip()):
            return [problem(f"geo={self.geo!r} must be a geo's name (text)")]
        if not isinstance(self.aggregate_geos, bool):
            return [problem(f"aggregate_geos={self.aggregate_geos!r} must be true or false")]
        if (self.geo is None) == (not self.aggregate_geos):
            return [
                problem(
                    f"geo_column={self.geo_column!r} needs exactly one of geo (model one geo's "
                    "rows) and aggregate_geos=true (model the total over geos)"
                )
            ]
        if self.geo_column in self.mapping or self.geo_column in self.ignore:
            where = "mapped" if self.geo_column in self.mapping else "ignored"
            return [problem(f"geo column {self.geo_column!r} is also {where}: leave it out")]
        return []

    # --- construction from a file ----------------------------------------------------------

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> ColumnMapper:
        """Build from a plain ``{raw: target}`` dict, or ``{"columns": {...}, options...}``.

        Raises:
            MappingError: naming an unknown key and listing the allowed ones.
        """
        if "columns" not in spec:
            if all(isinstance(v, str) for v in spec.values()):
                return cls(mapping=dict(spec))
            raise MappingError(
                "a mapping file is either {raw: target} pairs or has a 'columns' section with "
                f"them plus options {list(_FILE_KEYS[1:])}"
            )
        unknown = sorted(set(spec) - set(_FILE_KEYS))
        if unknown:
            raise MappingError(
                f"unknown key(s) {unknown} in the mapping file; allowed keys: {list(_FILE_KEYS)}"
            )
        options = {k: v for k, v in spec.items() if k != "columns"}
        return cls(mapping=dict(spec["columns"] or {}), **options)

    @classmethod
    def from_file(cls, path: str | pathlib.Path) -> ColumnMapper:
        """Read a mapping from a ``.json``, ``.yaml`` or ``.yml`` file (see :meth:`from_dict`)."""
        path = pathlib.Path(path)
        text = path.read_text()
        try:
            if path.suffix.lower() == ".json":
                spec = json.loads(text)
            elif path.suffix.lower() in (".yaml", ".yml"):
                spec = yaml.safe_load(text)
            else:
                raise MappingError(f"mapping file {path} must end in .json, .yaml or .yml")
        except (json.JSONDecodeError, yaml.YAMLError) as err:
            raise MappingError(f"mapping file {path} is not valid: {err}") from None
        if not isinstance(spec, Mapping):
            raise MappingError(f"mapping file {path} must hold a mapping at the top level")
        return cls.from_dict(spec)

    # --- matching ----------------------------------------------------------------------------

    def _match(self, raw_columns: list[str]) -> tuple[list[MappedColumn], dict[str, str]]:
        by_normal: dict[str, list[str]] = {}
        for raw in raw_columns:
            by_normal.setdefault(_normalized(raw), []).append(raw)
        problems: list[Violation] = []
        mapped: list[MappedColumn] = []
        for key, target in self.mapping.items():
            if key in raw_columns:
                mapped.append(MappedColumn(key, target, MatchKind.EXACT))
                continue
            candidates = by_normal.get(_normalized(key), [])
            if len(candidates) == 1:
                mapped.append(MappedColumn(candidates[0], target, MatchKind.NORMALIZED, key))
            elif candidates:
                problems.append(
                    Violation(
                        ContractRule.AMBIGUOUS_SOURCE_COLUMN,
                        target,
                        f"mapping key {key!r} (for {target!r}) matches several raw columns "
                        f"{candidates} once case and punctuation are ignored; use the exact name",
                    )
                )
            else:
                close = difflib.get_close_matches(key, raw_columns, n=3, cutoff=0.5)
                hint = f"; did you mean {close}?" if close else ""
                problems.append(
                    Violation(
                        ContractRule.UNKNOWN_SOURCE_COLUMN,
                        target,
                        f"mapping key {key!r} (for {target!r}) is not a column of the raw data"
                        f"{hint} (raw columns: {raw_columns})",
                    )
                )
        claimed: dict[str, list[str]] = {}
        for m in mapped:
            claimed.setdefault(m.raw, []).append(m.target)
        problems += [
            Violation(
                ContractRule.DUPLICATE_TARGET,
                targets[0],
                f"raw column {raw!r} is matched by several mapping keys ({targets})",
            )
            for raw, targets in claimed.items()
            if len(targets) > 1
        ]
        unmapped: dict[str, str] = {}
        targets = {m.target: m.raw for m in mapped}
        if self.geo_column is not None and self.geo_column not in raw_columns:
            close = difflib.get_close_matches(self.geo_column, raw_columns, n=3, cutoff=0.5)
            hint = f"; did you mean {close}?" if close else ""
            problems.append(
                Violation(
                    ContractRule.UNKNOWN_SOURCE_COLUMN,
                    None,
                    f"geo_column {self.geo_column!r} is not a column of the raw data{hint} "
                    f"(raw columns: {raw_columns})",
                )
            )
        for raw in raw_columns:
            if raw in claimed:
                continue
            if raw == self.geo_column:
                unmapped[raw] = "geo column (see the geo line)"
                continue
            if raw in self.ignore:
                unmapped[raw] = self.ignore[raw]
                continue
            problem = column_name_problem(raw)
            if self.keep_convention_columns and problem is None:
                if raw in targets:
                    problems.append(
                        Violation(
                            ContractRule.DUPLICATE_TARGET,
                            raw,
                            f"raw column {raw!r} is already named {raw!r} and raw column "
                            f"{targets[raw]!r} is mapped to it too: drop one, or map {raw!r} "
                            "elsewhere",
                        )
                    )
                else:
                    mapped.append(MappedColumn(raw, raw, MatchKind.CONVENTION))
                continue
            if problem is not None and "__" in raw:
                unmapped[raw] = f"not in the mapping, and {problem}"
            else:
                unmapped[raw] = "not in the mapping"
        if problems:
            raise MappingError(problems)
        return mapped, unmapped

    # --- building ----------------------------------------------------------------------------

    def _convert(
        self, raw_frame: pl.DataFrame, mapped: list[MappedColumn]
    ) -> tuple[pl.DataFrame, list[Coercion], str | None]:
        number_format = NumberFormat(
            self.thousands_separator, self.decimal_separator, self.strip_currency
        )
        columns: list[pl.Series] = []
        coercions: list[Coercion] = []
        date_format = None
        problems: list[Violation] = []
        for m in mapped:
            series = raw_frame[m.raw]
            try:
                if m.target == DATE_COLUMN:
                    converted, date_format = parse_dates(
                        series, raw=m.raw, date_format=self.date_format
                    )
                    kind = "Datetime" if "%H" in (date_format or "") else "Date"
                    detail = f"text -> {kind} with {date_format!r}" if date_format else None
                else:
                    converted, detail = parse_numbers(
                        series, raw=m.raw, column=m.target, fmt=number_format
                    )
            except MappingError as err:
                problems += err.violations
                continue
            if detail is not None:
                coercions.append(Coercion(m.target, m.raw, detail, series.count()))
            columns.append(converted.alias(m.target))
        if problems:
            raise MappingError(problems)
        return pl.DataFrame(columns), coercions, date_format

    def _fill_and_scale(
        self, frame: pl.DataFrame
    ) -> tuple[pl.DataFrame, list[Fill], list[Normalization]]:
        missing = [c for c in (*self.fill_missing, *self.unit_scale) if c not in frame.columns]
        if missing:
            raise MappingError(
                [
                    Violation(
                        ContractRule.INVALID_MAPPING,
                        c,
                        f"fill_missing/unit_scale name {c!r}, which is not a column of the "
                        f"mapped data {frame.columns}",
                    )
                    for c in missing
                ]
            )
        fills: list[Fill] = []
        dates = frame[DATE_COLUMN].to_list() if DATE_COLUMN in frame.columns else []
        updates = []
        for column, value in self.fill_missing.items():
            series = frame[column]
            if series.dtype.is_float():
                series = series.fill_nan(None)
            rows = series.is_null().arg_true().to_list()
            if rows:
                fills.append(
                    Fill(
                        column,
                        float(value),
                        tuple(rows),
                        tuple(dates[i] for i in rows if i < len(dates) and dates[i]),
                    )
                )
                updates.append(series.fill_null(value).alias(column))
        scales = [Normalization(c, float(f)) for c, f in self.unit_scale.items()]
        frame = frame.with_columns(updates) if updates else frame
        if scales:
            frame = frame.with_columns(
                [(pl.col(n.column).cast(pl.Float64) * n.factor).alias(n.column) for n in scales]
            )
        return frame, fills, scales

    def build(self, raw: FrameLike) -> tuple[MMMDataSet, MappingReport]:
        """Rename, coerce, normalize and validate a raw frame.

        Args:
            raw: a polars or pandas frame with the client's column names.

        Returns:
            The validated dataset and the report of everything done to the data.

        Raises:
            MappingError: the mapping does not fit the frame (unknown or ambiguous columns,
                unparseable dates or numbers), naming the raw column and rows.
            DataContractError: the mapped data break the contract; messages name the
                convention column and, in brackets, the raw column it came from.
        """
        frame = to_polars(raw)
        if frame.width == 0 or frame.height == 0:
            raise _error(
                ContractRule.EMPTY_FRAME,
                None,
                f"the raw frame has {frame.width} columns and {frame.height} rows: "
                "there is nothing to map",
            )
        frame, trailing = _drop_trailing_empty_rows(frame)
        if frame.height == 0:
            raise _error(
                ContractRule.EMPTY_FRAME,
                None,
                f"every one of the raw frame's {trailing} rows is empty: there is nothing to map",
            )
        mapped, unmapped = self._match([str(c) for c in frame.columns])
        if not mapped:
            raise _error(
                ContractRule.INVALID_MAPPING,
                None,
                f"none of the raw columns {list(unmapped)} is mapped: give a mapping "
                "{raw column: convention column} (e.g. a --mapping file), or name the "
                "columns in the convention ('date', 'kpi__...', 'spend__...')",
            )
        geo: GeoReduction | None = None
        if self.geo is not None and self.geo_column is not None:
            frame, geo = select_geo(frame, self.geo_column, self.geo)
        converted, coercions, date_format = self._convert(frame, mapped)
        filled, fills, scales = self._fill_and_scale(converted)
        if self.aggregate_geos and self.geo_column is not None:
            filled, geo = aggregate_geos(filled, frame, self.geo_column)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataContractWarning)
            try:
                dataset = MMMDataSet.from_frame(filled, warn=False)
            except DataContractError as err:
                if geo is None:
                    err = _with_panel_hint(err, frame, mapped, list(unmapped))
                raise _with_raw_names(err, {m.target: m.raw for m in mapped}) from None
        for message in dataset.warnings:
            warnings.warn(message, DataContractWarning, stacklevel=2)
        report = MappingReport(
            mapped=tuple(mapped),
            unmapped=unmapped,
            coercions=tuple(coercions),
            normalizations=tuple(scales),
            fills=tuple(fills),
            date_format=date_format,
            warnings=dataset.warnings,
            geo=geo,
            dropped_empty_rows=tuple(range(frame.height, frame.height + trailing)),
        )
        return dataset, report


def _drop_trailing_empty_rows(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """``frame`` without the rows at its end whose every cell is empty, and their count.

    A cell is empty when it is null, NaN or text of spaces only. Spreadsheet exports often
    end in such rows (``,,,,``); they hold no data, so dropping them loses nothing, and the
    :class:`MappingReport` lists them. Empty rows before the last row with data are kept:
    they sit between periods and the contract reports them (a missing date).
    """
    empty = pl.all_horizontal(
        [
            pl.col(name).cast(pl.String).str.strip_chars().fill_null("").eq("")
            | (pl.col(name).is_nan() if dtype.is_float() else pl.lit(False))
            for name, dtype in frame.schema.items()
        ]
    )
    filled = np.flatnonzero(~frame.select(empty.alias("empty"))["empty"].to_numpy())
    last = int(filled[-1]) + 1 if filled.size else 0
    return frame.head(last), frame.height - last


def _with_panel_hint(
    err: DataContractError, raw: pl.DataFrame, mapped: list[MappedColumn], unmapped: list[str]
) -> DataContractError:
    """``err`` with a hint on its duplicate-date message if a raw column makes it a panel."""
    date_raw = next((m.raw for m in mapped if m.target == DATE_COLUMN), None)
    if date_raw is None or ContractRule.DUPLICATE_DATES not in err.rules:
        return err
    hint = panel_hint(raw, date_raw, unmapped)
    if hint is None:
        return err
    violations = [
        dataclasses.replace(v, message=v.message + hint)
        if v.rule is ContractRule.DUPLICATE_DATES
        else v
        for v in err.violations
    ]
    return type(err)(violations)


def _with_raw_names(err: DataContractError, raw_of: Mapping[str, str]) -> DataContractError:
    violations = []
    for v in err.violations:
        raw = raw_of.get(v.column) if v.column is not None else None
        suffix = f" [raw column {raw!r}]" if raw is not None and raw != v.column else ""
        violations.append(dataclasses.replace(v, message=v.message + suffix))
    return type(err)(violations)
