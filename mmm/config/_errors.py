"""Error and warning types of the data contract."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Sequence

__all__ = [
    "ContractRule",
    "DataContractError",
    "DataContractWarning",
    "MappingError",
    "Violation",
]

_MAX_LISTED = 5


class ContractRule(enum.Enum):
    """Each invariant of the dataset contract (docs/03_DATASET_CONTRACT.md), by name."""

    EMPTY_FRAME = "empty_frame"
    INVALID_COLUMN_NAME = "invalid_column_name"
    DUPLICATE_COLUMN = "duplicate_column"
    MISSING_DATE = "missing_date"
    KPI_COUNT = "kpi_count"
    NO_SPEND = "no_spend"
    MEDIA_WITHOUT_SPEND = "media_without_spend"
    DATE_DTYPE = "date_dtype"
    NUMERIC_DTYPE = "numeric_dtype"
    MISSING_VALUES = "missing_values"
    NON_FINITE = "non_finite"
    NEGATIVE_VALUES = "negative_values"
    DUPLICATE_DATES = "duplicate_dates"
    UNSORTED_DATES = "unsorted_dates"
    IRREGULAR_DATES = "irregular_dates"
    DATE_GAP = "date_gap"
    TOO_FEW_PERIODS = "too_few_periods"
    ALL_ZERO_CHANNEL = "all_zero_channel"
    CONSTANT_COLUMN = "constant_column"
    # Raised by the column mapper before a dataset exists.
    UNKNOWN_SOURCE_COLUMN = "unknown_source_column"
    AMBIGUOUS_SOURCE_COLUMN = "ambiguous_source_column"
    DUPLICATE_TARGET = "duplicate_target"
    DATE_PARSE = "date_parse"
    AMBIGUOUS_DATE_FORMAT = "ambiguous_date_format"
    NUMERIC_PARSE = "numeric_parse"
    INVALID_MAPPING = "invalid_mapping"
    UNBALANCED_GEOS = "unbalanced_geos"


@dataclasses.dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, which column, which rows, and what to do.

    Attributes:
        rule: the invariant that is broken.
        column: the offending column, or ``None`` when the rule is about the whole frame.
        message: a full sentence naming the column (and rows) and saying how to fix it.
        rows: zero-based row positions at fault (all of them; the message lists the first).
        dates: the dates of those rows, where the date column could be read.
    """

    rule: ContractRule
    column: str | None
    message: str
    rows: tuple[int, ...] = ()
    dates: tuple[dt.date, ...] = ()


class DataContractError(ValueError):
    """Raised when data break the dataset contract; lists every violation found.

    The message has one line per violation, each naming the column, the first offending
    rows/dates and the fix. ``violations`` holds them as structured records.
    """

    _subject = "data"

    def __init__(self, violations: Sequence[Violation] | str) -> None:
        if isinstance(violations, str):
            violations = (Violation(ContractRule.INVALID_MAPPING, None, violations),)
        self.violations: tuple[Violation, ...] = tuple(violations)
        if not self.violations:
            raise ValueError("DataContractError needs at least one violation")
        if len(self.violations) == 1:
            text = self.violations[0].message
        else:
            lines = [f"{len(self.violations)} problems with the {self._subject}:"]
            lines += [f"  - {v.message}" for v in self.violations]
            text = "\n".join(lines)
        super().__init__(text)

    @property
    def rules(self) -> frozenset[ContractRule]:
        """The set of rules broken."""
        return frozenset(v.rule for v in self.violations)

    @property
    def columns(self) -> frozenset[str]:
        """The set of columns named by the violations."""
        return frozenset(v.column for v in self.violations if v.column is not None)


class MappingError(DataContractError):
    """Raised by :class:`mmm.data.ColumnMapper` when a raw frame cannot be mapped."""

    _subject = "mapping"


class DataContractWarning(UserWarning):
    """A contract check that passes but deserves attention (short history, empty event...)."""


def describe_rows(rows: Sequence[int], dates: Sequence[dt.date | None] = ()) -> str:
    """Format the first offending rows (with their dates when known) for a message."""
    shown = []
    for i, row in enumerate(rows[:_MAX_LISTED]):
        day = dates[i] if i < len(dates) else None
        shown.append(f"row {row} ({day.isoformat()})" if day is not None else f"row {row}")
    more = f" and {len(rows) - _MAX_LISTED} more" if len(rows) > _MAX_LISTED else ""
    return ", ".join(shown) + more
