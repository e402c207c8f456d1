"""Accept polars or pandas frames at the edge; everything inside is polars."""

from __future__ import annotations

import collections
from typing import Any

import polars as pl

from mmm.config import ContractRule, DataContractError, Violation

__all__ = ["FrameLike", "to_polars"]

FrameLike = Any
"""A ``polars.DataFrame``, ``polars.LazyFrame`` or ``pandas.DataFrame``."""

_CONVERSION_ERRORS = (ValueError, TypeError, ArithmeticError)
"""What pyarrow raises for a pandas object column it cannot convert to one type."""


def _is_pandas_frame(frame: object) -> bool:
    return type(frame).__module__.startswith("pandas") and type(frame).__name__ == "DataFrame"


def _pandas_to_polars(frame: Any) -> pl.DataFrame:
    columns = [str(c) for c in frame.columns]
    counts = collections.Counter(columns)
    duplicated = sorted(name for name, n in counts.items() if n > 1)
    if duplicated:
        raise DataContractError(
            [
                Violation(
                    ContractRule.DUPLICATE_COLUMN,
                    name,
                    f"column {name!r} appears {counts[name]} times; every column name must be "
                    "unique: drop or rename the copies",
                )
                for name in duplicated
            ]
        )
    index_names = [str(n) for n in frame.index.names if n is not None]
    clashing = [n for n in index_names if n in columns]
    if clashing:
        raise DataContractError(
            [
                Violation(
                    ContractRule.DUPLICATE_COLUMN,
                    name,
                    f"the index and a column are both named {name!r}: rename one or drop "
                    "the index (frame.reset_index(drop=True))",
                )
                for name in clashing
            ]
        )
    kept = index_names
    if kept:  # a named index is data (often the dates): keep it as a column, never drop it
        frame = frame.reset_index(level=kept)
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    try:
        return pl.from_pandas(frame, include_index=False)
    except _CONVERSION_ERRORS:
        pass  # an object column mixing numbers and text: convert column by column
    return pl.DataFrame([_pandas_column(frame, name) for name in frame.columns])


def _pandas_column(frame: Any, name: str) -> pl.Series:
    """One pandas column as polars; an object column of mixed types becomes text.

    Text keeps every value visible, so validation (or ColumnMapper's parsing) can name the
    rows that are not numbers instead of failing inside the conversion.
    """
    try:
        return pl.from_pandas(frame[[name]], include_index=False).to_series()
    except _CONVERSION_ERRORS:
        if frame[name].dtype != object:
            raise
    missing = frame[name].isna().tolist()
    values = [
        None if gone else str(v) for v, gone in zip(frame[name].tolist(), missing, strict=True)
    ]
    return pl.Series(name, values, dtype=pl.String)


def to_polars(frame: FrameLike) -> pl.DataFrame:
    """Convert an input frame to an eager polars DataFrame without changing its values.

    pandas frames keep their column order; a named index (e.g. ``date`` or ``Week``) becomes
    a leading column so no data are lost.
    pandas is imported only when a pandas frame is passed.

    Raises:
        TypeError: for anything that is not a polars or pandas frame.
        DataContractError: for a pandas frame with duplicate column names.
    """
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if _is_pandas_frame(frame):
        return _pandas_to_polars(frame)
    raise TypeError(
        f"expected a polars or pandas DataFrame, got {type(frame).__name__}; "
        "read CSV files with polars.read_csv / pandas.read_csv (or `mmm validate FILE.csv`)"
    )
