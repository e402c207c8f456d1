"""Parsing raw text columns into dates and numbers, strictly and reportably."""

from __future__ import annotations

import dataclasses
import re

import polars as pl

from mmm.config import ContractRule, MappingError, Violation
from mmm.config._errors import describe_rows

__all__ = ["DATE_FORMATS", "NumberFormat", "parse_dates", "parse_numbers"]

DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d.%m.%Y",
    "%d/%m/%y",
    "%m/%d/%y",
)
"""Formats tried, in this order, when no ``date_format`` is given."""

MISSING_MARKERS = ("", "na", "n/a", "nan", "null", "none", "-")
"""Text read as a missing value (case-insensitive) when parsing numbers."""

_CURRENCY = re.compile(r"[$€£¥₹]|\b(?:USD|EUR|GBP|JPY|INR)\b")


def _where(label: str, rows: list[int], values: pl.Series) -> str:
    examples = ", ".join(repr(values[i]) for i in rows[:3])
    return f"{label} ({examples}) at {describe_rows(rows)}"


_TOKEN_PATTERNS = {
    "%Y": r"\d{4}",
    "%y": r"\d{2}",
    "%m": r"\d{1,2}",
    "%d": r"\d{1,2}",
    "%H": r"\d{1,2}",
    "%M": r"\d{2}",
    "%S": r"\d{2}",
}


def _shape(fmt: str) -> str:
    """A regex for text written in ``fmt`` (``%Y`` is four digits, ``%y`` two...)."""
    parts = re.split(r"(%[YymdHMS])", fmt)
    return "^" + "".join(_TOKEN_PATTERNS.get(p, re.escape(p)) for p in parts) + "$"


def _try_format(text: pl.Series, fmt: str, *, check_shape: bool = False) -> pl.Series:
    """Parse with ``fmt``; times of day are kept (as ``Datetime``) so none is dropped.

    With ``check_shape`` (and a format made only of ``%Y %y %m %d %H %M %S``), text must
    also have the format's exact shape, so ``%Y`` never reads a two-digit year.
    """
    if "%H" in fmt:
        parsed = text.str.strptime(pl.Datetime, fmt, strict=False)
    else:
        parsed = text.str.strptime(pl.Date, fmt, strict=False)
    if check_shape and all(t in _TOKEN_PATTERNS for t in re.findall(r"%.", fmt)):
        fits = text.str.contains(_shape(fmt))
        parsed = pl.select(pl.when(fits).then(parsed).otherwise(None)).to_series()
    return parsed


def _failed(parsed: pl.Series, text: pl.Series) -> list[int]:
    return (parsed.is_null() & text.is_not_null()).arg_true().to_list()


def parse_dates(
    series: pl.Series, *, raw: str, date_format: str | None
) -> tuple[pl.Series, str | None]:
    """Parse a raw date column; already-typed dates pass through unchanged.

    Without ``date_format`` every format of :data:`DATE_FORMATS` is tried, on text of its
    exact shape (``%Y`` is four digits, ``%y`` two). Exactly one must parse every value, or
    all that do must agree; when two formats read the same text as
    different dates (``01/02/2024``: 1 February or 2 January?) the data are ambiguous and a
    ``MappingError`` asks for ``date_format``. Nothing is guessed.

    Returns:
        The parsed series (``Date``; ``Datetime`` for formats with a time of day, which the
        contract then requires to be midnight) and the format used (``None`` when no
        parsing was needed).

    Raises:
        MappingError: the column could not be parsed (rows named) or is ambiguous.
    """
    if series.dtype == pl.Date or isinstance(series.dtype, pl.Datetime):
        return series, None
    if series.dtype.is_integer():
        series = series.cast(pl.String)
    if series.dtype != pl.String:
        raise MappingError(
            [
                Violation(
                    ContractRule.DATE_PARSE,
                    "date",
                    f"raw column {raw!r} (mapped to 'date') has dtype {series.dtype}; "
                    "it must hold dates or date strings",
                )
            ]
        )
    text = series.str.strip_chars()
    if date_format is not None:
        parsed = _try_format(text, date_format, check_shape=True)
        bad = _failed(parsed, text)
        if bad:
            raise MappingError(
                [
                    Violation(
                        ContractRule.DATE_PARSE,
                        "date",
                        f"raw column {raw!r} (mapped to 'date') does not match date_format "
                        f"{date_format!r}: {_where('values', bad, series)}; fix those values "
                        "or the format",
                        tuple(bad),
                    )
                ]
            )
        return parsed, date_format
    attempts = {fmt: _try_format(text, fmt, check_shape=True) for fmt in DATE_FORMATS}
    complete = {fmt: p for fmt, p in attempts.items() if not _failed(p, text)}
    if not complete:
        best = min(attempts, key=lambda fmt: len(_failed(attempts[fmt], text)))
        bad = _failed(attempts[best], text)
        raise MappingError(
            [
                Violation(
                    ContractRule.DATE_PARSE,
                    "date",
                    f"raw column {raw!r} (mapped to 'date') has dates in no known format: "
                    f"{_where('values', bad, series)} do not parse as {best!r} (the closest "
                    "format); pass ColumnMapper(date_format=...) or fix those values",
                    tuple(bad),
                )
            ]
        )
    formats = list(complete)
    first = complete[formats[0]]
    disagreeing = [fmt for fmt in formats[1:] if not complete[fmt].equals(first)]
    if disagreeing:
        other = complete[disagreeing[0]]
        row = (first != other).arg_true()[0]
        raise MappingError(
            [
                Violation(
                    ContractRule.AMBIGUOUS_DATE_FORMAT,
                    "date",
                    f"raw column {raw!r} (mapped to 'date') has ambiguous dates: "
                    f"{series[row]!r} (row {row}) reads as {first[row]} with "
                    f"{formats[0]!r} and as {other[row]} with {disagreeing[0]!r}; pass "
                    "ColumnMapper(date_format=...) to say which",
                    (int(row),),
                )
            ]
        )
    return first, formats[0]


@dataclasses.dataclass(frozen=True)
class NumberFormat:
    """How numbers are written in the raw text.

    Attributes:
        thousands_separator: removed before parsing (``","`` for ``1,234.5``); ``None``: any
            separator is an error.
        decimal_separator: ``"."`` or ``","`` (``1.234,5`` with ``thousands_separator="."``).
        strip_currency: remove currency symbols and codes (``$``, ``€``, ``USD``...).
    """

    thousands_separator: str | None = None
    decimal_separator: str = "."
    strip_currency: bool = False


_DECIMAL_COMMA = re.compile(r"^-?\d+,\d{1,2}$")


def _grouping_pattern(fmt: NumberFormat) -> str:
    """Regex of a number whose thousands separator splits digits in groups of three."""
    sep, dec = re.escape(fmt.thousands_separator or ""), re.escape(fmt.decimal_separator)
    return rf"^[-+]?\d{{1,3}}({sep}\d{{3}})+({dec}\d*)?$"


def _hint(values: list[str], fmt: NumberFormat) -> str:
    joined = " ".join(values)
    if fmt.decimal_separator == "." and any(_DECIMAL_COMMA.match(v.strip()) for v in values):
        return "; if ',' is the decimal mark, pass decimal_separator=','"
    grouping = "," if fmt.decimal_separator == "." else "."
    if fmt.thousands_separator is None and grouping in joined:
        return f"; if {grouping!r} separates thousands, pass thousands_separator={grouping!r}"
    if not fmt.strip_currency and _CURRENCY.search(joined):
        return "; to drop currency symbols, pass strip_currency=True"
    return ""


def parse_numbers(
    series: pl.Series, *, raw: str, column: str, fmt: NumberFormat
) -> tuple[pl.Series, str | None]:
    """Parse numbers written as text; numeric columns pass through unchanged.

    Missing markers (:data:`MISSING_MARKERS`) become nulls (the contract then rejects them
    unless a fill policy is given). Anything else that does not parse is an error.

    Returns:
        The ``Float64`` series and a description of what was done (``None``: nothing).

    Raises:
        MappingError: naming the column, the rows and values that are not numbers.
    """
    if series.dtype != pl.String:
        return series, None
    text = series.str.strip_chars()
    steps = ["text -> Float64"]
    # each step is reported only where it changed a value of this column
    if fmt.strip_currency and text.str.contains(_CURRENCY.pattern).any():
        text = text.str.replace_all(_CURRENCY.pattern, "").str.strip_chars()
        steps.append("currency symbols removed")
    if fmt.thousands_separator:
        grouping = _grouping_pattern(fmt)
        misgrouped = (
            text.str.contains(fmt.thousands_separator, literal=True) & ~text.str.contains(grouping)
        ).fill_null(False)
        bad = misgrouped.arg_true().to_list()
        if bad:
            raise MappingError(
                [
                    Violation(
                        ContractRule.NUMERIC_PARSE,
                        column,
                        f"column {column!r} (raw {raw!r}) has values whose "
                        f"{fmt.thousands_separator!r} does not separate groups of three digits: "
                        f"{_where('values', bad, series)}; check thousands_separator and "
                        "decimal_separator",
                        tuple(bad),
                    )
                ]
            )
        if text.str.contains(fmt.thousands_separator, literal=True).any():
            text = text.str.replace_all(fmt.thousands_separator, "", literal=True)
            steps.append(f"thousands separator {fmt.thousands_separator!r} removed")
    if (
        fmt.decimal_separator != "."
        and text.str.contains(fmt.decimal_separator, literal=True).any()
    ):
        text = text.str.replace_all(fmt.decimal_separator, ".", literal=True)
        steps.append(f"decimal separator {fmt.decimal_separator!r}")
    is_missing = text.str.to_lowercase().is_in(list(MISSING_MARKERS))
    text = pl.select(pl.when(is_missing).then(None).otherwise(text)).to_series()
    numbers = text.cast(pl.Float64, strict=False)
    bad = _failed(numbers, text)
    if bad:
        raise MappingError(
            [
                Violation(
                    ContractRule.NUMERIC_PARSE,
                    column,
                    f"column {column!r} (raw {raw!r}) has text that is not a number: "
                    f"{_where('values', bad, series)}"
                    f"{_hint([str(series[i]) for i in bad[:5]], fmt)}",
                    tuple(bad),
                )
            ]
        )
    return numbers, ", ".join(steps)
