"""Pandera schemas built from the columns a dataset actually has."""

from __future__ import annotations

from collections.abc import Sequence

import pandera.polars as pa
import polars as pl

from mmm.config._naming import ColumnName
from mmm.config._roles import Role

__all__ = ["CHECK_FINITE", "CHECK_NONNEGATIVE", "build_schema"]

CHECK_FINITE = "is_finite"
CHECK_NONNEGATIVE = "greater_than_or_equal_to(0)"


def _is_finite(data: pa.PolarsData) -> pl.LazyFrame:
    return data.lazyframe.select(pl.col(data.key).is_finite())


def _column_schema(parsed: ColumnName) -> pa.Column:
    if parsed.role is Role.DATE:
        return pa.Column(pl.Date, nullable=False, unique=True)
    checks = [pa.Check(_is_finite, name=CHECK_FINITE, element_wise=False)]
    if parsed.role.is_nonnegative:
        checks.append(pa.Check.ge(0))
    return pa.Column(pl.Float64, checks=checks, nullable=False)


def build_schema(columns: Sequence[ColumnName]) -> pa.DataFrameSchema:
    """Build the value schema for a frame with exactly these (already parsed) columns.

    Every numeric column must be ``Float64`` (the data layer casts integer and boolean
    columns losslessly before validating), non-null and finite; ``spend``, ``media`` and
    ``organic`` columns must be ``>= 0``; ``date`` must be a non-null, unique ``Date``.

    Args:
        columns: the parsed column names present in the frame.

    Returns:
        A strict pandera schema (extra columns are rejected).
    """
    return pa.DataFrameSchema(
        {parsed.column: _column_schema(parsed) for parsed in columns},
        strict=True,
        name="MMMDataSet",
    )
