"""Staged validation of a frame against the dataset contract.

Stages run in order and each raises one :class:`DataContractError` listing every violation
it found, so a user sees all problems of one kind at once: names and roles, then dtypes,
then values and dates (pandera schema + date checks), then what the model needs (length,
variation).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from collections.abc import Sequence

import pandera.errors
import polars as pl

from mmm.config import (
    DATE_COLUMN,
    MIN_PERIODS,
    RECOMMENDED_PERIODS,
    ColumnName,
    ContractRule,
    DataContractError,
    Frequency,
    Role,
    Violation,
    build_schema,
    column_name_problem,
    parse_column,
)
from mmm.config._errors import describe_rows
from mmm.config._schema import CHECK_FINITE, CHECK_NONNEGATIVE
from mmm.data._dates import check_dates

__all__ = ["ROLE_ORDER", "ValidatedFrame", "validate_frame"]

ROLE_ORDER = (
    Role.DATE,
    Role.KPI,
    Role.SPEND,
    Role.MEDIA,
    Role.ORGANIC,
    Role.CONTROL,
    Role.EVENT,
)
"""Column order of a validated frame; within a role, the input order is kept."""

_BOOLEAN_ROLES = (Role.CONTROL, Role.EVENT)


@dataclasses.dataclass(frozen=True)
class ValidatedFrame:
    """A frame that meets the contract, in canonical column order, with what was learned."""

    frame: pl.DataFrame
    columns: tuple[ColumnName, ...]
    frequency: Frequency
    warnings: tuple[str, ...]


def _raise_if(violations: Sequence[Violation]) -> None:
    if violations:
        raise DataContractError(violations)


def _violation(
    rule: ContractRule,
    column: str | None,
    message: str,
    rows: Sequence[int] = (),
    dates: Sequence[dt.date | None] = (),
) -> Violation:
    return Violation(rule, column, message, tuple(rows), tuple(d for d in dates if d))


# --- stage 1: names and roles ---------------------------------------------------------------


def _check_names(frame: pl.DataFrame) -> tuple[ColumnName, ...]:
    if frame.width == 0 or frame.height == 0:
        what = "no columns" if frame.width == 0 else "no rows"
        _raise_if(
            [
                _violation(
                    ContractRule.EMPTY_FRAME,
                    None,
                    f"the frame has {what}: a dataset needs a 'date' column, one 'kpi__*' "
                    "column and at least one 'spend__*' column, one row per period",
                )
            ]
        )
    problems: list[Violation] = []
    parsed: list[ColumnName] = []
    for column in frame.columns:
        problem = column_name_problem(column)
        if problem is None:
            parsed.append(parse_column(column))
        else:
            problems.append(_violation(ContractRule.INVALID_COLUMN_NAME, column, problem))
    by_role = collections.defaultdict(list)
    for name in parsed:
        by_role[name.role].append(name)
    if DATE_COLUMN not in frame.columns:
        problems.append(
            _violation(
                ContractRule.MISSING_DATE,
                DATE_COLUMN,
                "there is no 'date' column: add one with the start date of each period "
                "(or map your date column to 'date' with ColumnMapper)",
            )
        )
    kpis = [n.column for n in by_role[Role.KPI]]
    if len(kpis) != 1:
        found = f"found {len(kpis)}: {kpis}" if kpis else "found none"
        problems.append(
            _violation(
                ContractRule.KPI_COUNT,
                kpis[1] if len(kpis) > 1 else None,
                f"a dataset needs exactly one 'kpi__*' column (the target), {found}; "
                "keep one and drop or rename the others (e.g. to 'control__...')",
            )
        )
    spend_names = {n.name for n in by_role[Role.SPEND]}
    if not spend_names:
        problems.append(
            _violation(
                ContractRule.NO_SPEND,
                None,
                "a dataset needs at least one 'spend__<channel>' column (money spent per "
                "period); media exposures alone cannot give an ROI",
            )
        )
    problems += [
        _violation(
            ContractRule.MEDIA_WITHOUT_SPEND,
            media.column,
            f"column {media.column!r} has no matching 'spend__{media.name}': every media "
            f"exposure needs the spend of the same channel (add 'spend__{media.name}' or drop "
            "the media column)",
        )
        for media in by_role[Role.MEDIA]
        if media.name not in spend_names
    ]
    _raise_if(problems)
    return tuple(sorted(parsed, key=lambda n: ROLE_ORDER.index(n.role)))


# --- stage 2: dtypes -------------------------------------------------------------------------


def _date_as_date(series: pl.Series) -> tuple[pl.Series | None, Violation | None]:
    if series.dtype == pl.Date:
        return series, None
    if isinstance(series.dtype, pl.Datetime):
        off_midnight = (series.dt.time() != dt.time(0)).fill_null(False).arg_true().to_list()
        if not off_midnight:
            return series.dt.date(), None
        days = [series.dt.date()[i] for i in off_midnight]
        message = (
            f"column 'date' holds times of day ({describe_rows(off_midnight, days)} are not "
            "midnight): it must hold dates; aggregate to periods and keep the period start date"
        )
        return None, _violation(ContractRule.DATE_DTYPE, DATE_COLUMN, message, off_midnight, days)
    hint = (
        "parse it first (e.g. polars `str.to_date(format)`), or let ColumnMapper parse it "
        "with an explicit date_format"
        if series.dtype == pl.String
        else "convert it to dates"
    )
    message = f"column 'date' has dtype {series.dtype}, not a date; {hint}"
    return None, _violation(ContractRule.DATE_DTYPE, DATE_COLUMN, message)


def _text_violation(column: str, series: pl.Series, dates: list[dt.date | None]) -> Violation:
    as_number = series.str.strip_chars().cast(pl.Float64, strict=False)
    bad = (as_number.is_null() & series.is_not_null()).arg_true().to_list()
    if bad:
        examples = ", ".join(repr(series[i]) for i in bad[:3])
        detail = f"non-numeric values {examples} at {describe_rows(bad, [dates[i] for i in bad])}"
    else:
        detail = "numbers stored as text"
    message = (
        f"column {column!r} holds text, not numbers ({detail}); convert it to a numeric dtype, "
        "or let ColumnMapper coerce numeric strings (thousands_separator=..., "
        "strip_currency=True)"
    )
    return _violation(ContractRule.NUMERIC_DTYPE, column, message, bad, [dates[i] for i in bad])


def _numeric_as_float(
    parsed: ColumnName, series: pl.Series, dates: list[dt.date | None]
) -> tuple[pl.Series | None, Violation | None]:
    dtype = series.dtype
    if dtype.is_numeric() or dtype == pl.Null:
        return series.cast(pl.Float64), None
    if dtype == pl.Boolean and parsed.role in _BOOLEAN_ROLES:
        return series.cast(pl.Float64), None
    if dtype == pl.String:
        return None, _text_violation(parsed.column, series, dates)
    allowed = " or boolean" if parsed.role in _BOOLEAN_ROLES else ""
    message = (
        f"column {parsed.column!r} has dtype {dtype}; {parsed.role.value} columns must be "
        f"numeric{allowed}"
    )
    return None, _violation(ContractRule.NUMERIC_DTYPE, parsed.column, message)


def _check_dtypes(frame: pl.DataFrame, columns: Sequence[ColumnName]) -> pl.DataFrame:
    problems: list[Violation] = []
    converted: dict[str, pl.Series] = {}
    date_series, date_problem = _date_as_date(frame[DATE_COLUMN])
    dates: list[dt.date | None] = (
        date_series.to_list() if date_series is not None else [None] * frame.height
    )
    for parsed in columns:
        if parsed.role is Role.DATE:
            series, problem = date_series, date_problem
        else:
            series, problem = _numeric_as_float(parsed, frame[parsed.column], dates)
        if problem is not None:
            problems.append(problem)
        elif series is not None:
            converted[parsed.column] = series.alias(parsed.column)
    _raise_if(problems)
    return pl.DataFrame([converted[p.column] for p in columns])


# --- stage 3: values and dates ---------------------------------------------------------------

_VALUE_RULES = {
    "not_nullable": ContractRule.MISSING_VALUES,
    CHECK_FINITE: ContractRule.NON_FINITE,
    CHECK_NONNEGATIVE: ContractRule.NEGATIVE_VALUES,
}


def _value_message(rule: ContractRule, column: str, where: str, count: int) -> str:
    if rule is ContractRule.MISSING_VALUES:
        fix = (
            "the KPI is never filled: fix the source data"
            if column.startswith("kpi__")
            else "every period needs its date: fix the source data"
            if column == DATE_COLUMN
            else "fill them in the source data, or opt in to "
            f"ColumnMapper(fill_missing={{{column!r}: 0.0}}) if missing means zero"
        )
        return f"column {column!r} has {count} missing value(s) (null/NaN) at {where}; {fix}"
    if rule is ContractRule.NON_FINITE:
        return (
            f"column {column!r} has {count} infinite value(s) at {where}; replace them with the "
            "real values"
        )
    return (
        f"column {column!r} has {count} negative value(s) at {where}; spend and exposures "
        "must be >= 0 (refunds or corrections belong in the period they correct)"
    )


def _schema_violations(frame: pl.DataFrame, columns: Sequence[ColumnName]) -> list[Violation]:
    try:
        build_schema(columns).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as err:
        cases = err.failure_cases
    else:
        return []
    dates = frame[DATE_COLUMN].to_list()
    rows_by_failure: dict[tuple[str, ContractRule], set[int]] = collections.defaultdict(set)
    for record in cases.iter_rows(named=True):
        rule = _VALUE_RULES.get(record["check"])
        if rule is not None and record["index"] is not None:
            rows_by_failure[(record["column"], rule)].add(int(record["index"]))
    problems = []
    for parsed in columns:
        missing = rows_by_failure.get((parsed.column, ContractRule.MISSING_VALUES), set())
        infinite = rows_by_failure.get((parsed.column, ContractRule.NON_FINITE), set())
        for rule in _VALUE_RULES.values():
            rows = rows_by_failure.get((parsed.column, rule), set())
            if rule is ContractRule.NON_FINITE:
                rows = rows - missing  # NaN counts as missing, reported once
            elif rule is ContractRule.NEGATIVE_VALUES:
                rows = rows - missing - infinite  # -inf is reported as infinite only
            if rows:
                ordered = sorted(rows)
                shown = [dates[i] for i in ordered]
                where = describe_rows(ordered, shown)
                message = _value_message(rule, parsed.column, where, len(ordered))
                problems.append(_violation(rule, parsed.column, message, ordered, shown))
    return problems


def _check_values_and_dates(frame: pl.DataFrame, columns: Sequence[ColumnName]) -> Frequency | None:
    problems = _schema_violations(frame, columns)
    date_check = None
    if frame[DATE_COLUMN].null_count() == 0:
        date_check = check_dates(frame[DATE_COLUMN].to_list())
        problems += date_check.violations
    _raise_if(problems)
    return date_check.frequency if date_check is not None else None


# --- stage 4: what the model needs -----------------------------------------------------------


def _check_usable(
    frame: pl.DataFrame, columns: Sequence[ColumnName], frequency: Frequency | None
) -> list[str]:
    n = frame.height
    if frequency is None or n < MIN_PERIODS[frequency]:
        needed = (
            f"at least {MIN_PERIODS[frequency]} {frequency.value} periods"
            if frequency is not None
            else "at least two dates to infer a frequency, and at least "
            + ", ".join(f"{v} {k.value}" for k, v in MIN_PERIODS.items())
            + " periods"
        )
        _raise_if(
            [
                _violation(
                    ContractRule.TOO_FEW_PERIODS,
                    DATE_COLUMN,
                    f"column 'date' has {n} period(s); an MMM needs {needed} to separate "
                    "media from trend and seasonality (use a longer history)",
                )
            ]
        )
    assert frequency is not None
    problems: list[Violation] = []
    warnings: list[str] = []
    for parsed in columns:
        if parsed.role is Role.DATE:
            continue
        values = frame[parsed.column]
        all_zero = bool((values == 0).all())
        constant = values.n_unique() == 1
        if parsed.role in (Role.SPEND, Role.MEDIA, Role.ORGANIC) and all_zero:
            problems.append(
                _violation(
                    ContractRule.ALL_ZERO_CHANNEL,
                    parsed.column,
                    f"column {parsed.column!r} is zero in every period: the model cannot "
                    "learn anything about it; drop the column (and its spend/media partner)",
                )
            )
        elif parsed.role in (Role.SPEND, Role.MEDIA, Role.ORGANIC) and constant:
            consequence = (
                "its ROI will come from the prior"
                if parsed.role is not Role.ORGANIC
                else "its estimate will come from the prior"
            )
            warnings.append(
                f"column {parsed.column!r} has the same value in every period: its effect "
                f"cannot be told apart from the baseline, so {consequence}"
            )
        elif parsed.role is Role.EVENT and all_zero:
            warnings.append(
                f"column {parsed.column!r} is zero in every period: the event never happens "
                "in this window and will be dropped from the model"
            )
        elif parsed.role in (Role.KPI, Role.CONTROL, Role.EVENT) and constant:
            problems.append(
                _violation(
                    ContractRule.CONSTANT_COLUMN,
                    parsed.column,
                    f"column {parsed.column!r} has the same value ({values[0]}) in every period: "
                    + (
                        "a constant KPI has nothing to explain; check the source data"
                        if parsed.role is Role.KPI
                        else "it is collinear with the intercept; drop it"
                    ),
                )
            )
    _raise_if(problems)
    if n < RECOMMENDED_PERIODS[frequency]:
        warnings.append(
            f"the data have {n} {frequency.value} periods, fewer than the recommended "
            f"{RECOMMENDED_PERIODS[frequency]}: yearly seasonality and slow media effects will "
            "be poorly identified"
        )
    return warnings


def validate_frame(frame: pl.DataFrame) -> ValidatedFrame:
    """Check a polars frame against the dataset contract (docs/03_DATASET_CONTRACT.md).

    Args:
        frame: a frame whose columns are already in the naming convention.

    Returns:
        The frame in canonical column order with ``date`` as ``Date`` and every other column
        as ``Float64`` (integer and boolean values cast exactly), its parsed columns, the
        inferred frequency and the warnings to show.

    Raises:
        DataContractError: listing every violation of the first stage that fails.
    """
    columns = _check_names(frame)
    typed = _check_dtypes(frame, columns)
    frequency = _check_values_and_dates(typed, columns)
    warnings = _check_usable(typed, columns, frequency)
    assert frequency is not None
    return ValidatedFrame(typed, columns, frequency, tuple(warnings))
