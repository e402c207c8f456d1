"""``MMMDataSet``: an immutable, validated, polars-backed dataset in the naming convention."""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import polars as pl

from mmm.config import (
    DATE_COLUMN,
    ColumnName,
    ContractRule,
    DataContractError,
    DataContractWarning,
    Frequency,
    Role,
    Violation,
    column_name,
)
from mmm.data._arrays import ModelArrays
from mmm.data._frames import FrameLike, to_polars
from mmm.data._validate import validate_frame

__all__ = ["MMMDataSet"]

DateLike = dt.date | str


def _as_date(value: DateLike, argument: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{argument}={value!r} is not a date: pass a datetime.date or an ISO string "
            "like '2024-01-31'"
        ) from None


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class MMMDataSet:
    """A dataset that meets the contract of docs/03_DATASET_CONTRACT.md.

    Build it with :meth:`from_frame` (data already in the naming convention) or with
    :class:`mmm.data.ColumnMapper` (raw client data). It never changes after construction:
    every operation returns a new, re-validated dataset.

    Examples:
        >>> import datetime as dt, polars as pl
        >>> dates = pl.date_range(dt.date(2023, 1, 2), dt.date(2024, 12, 30), "1w", eager=True)
        >>> frame = pl.DataFrame({
        ...     "date": dates,
        ...     "kpi__sales": [100.0 + (i % 7) for i in range(len(dates))],
        ...     "spend__tv": [float(i % 3) for i in range(len(dates))],
        ... })
        >>> ds = MMMDataSet.from_frame(frame)
        >>> ds.channels, ds.frequency.value, ds.n_periods
        (['tv'], 'weekly', 105)
    """

    _frame: pl.DataFrame
    _columns: tuple[ColumnName, ...]
    frequency: Frequency
    """Inferred spacing of the dates (daily, weekly or monthly)."""
    warnings: tuple[str, ...] = ()
    """Contract warnings found at validation (also emitted as ``DataContractWarning``)."""

    @classmethod
    def from_frame(cls, frame: FrameLike, *, warn: bool = True) -> MMMDataSet:
        """Validate a polars or pandas frame whose columns are in the naming convention.

        Args:
            frame: ``polars.DataFrame`` / ``LazyFrame`` or ``pandas.DataFrame`` with a
                ``date`` column (or a pandas index named ``date``), one ``kpi__*`` column,
                ``spend__*`` columns and optional ``media__*``, ``organic__*``,
                ``control__*`` and ``event__*`` columns.
            warn: emit contract warnings as ``DataContractWarning`` (they are kept in
                :attr:`warnings` either way).

        Returns:
            The validated dataset: columns in canonical order (date, kpi, spend, media,
            organic, control, event), ``date`` as ``Date``, numbers as ``Float64``.

        Raises:
            DataContractError: naming each offending column (and rows/dates) and the fix.
            TypeError: if ``frame`` is not a polars or pandas frame.
        """
        validated = validate_frame(to_polars(frame))
        if warn:
            for message in validated.warnings:
                warnings.warn(message, DataContractWarning, stacklevel=2)
        return cls(validated.frame, validated.columns, validated.frequency, validated.warnings)

    # --- columns and labels -------------------------------------------------------------

    def _names(self, role: Role) -> list[str]:
        return [c.name for c in self._columns if c.role is role]

    @property
    def frame(self) -> pl.DataFrame:
        """The validated polars frame in the convention (a copy; the dataset is immutable)."""
        return self._frame.clone()

    @property
    def columns(self) -> list[str]:
        """Column names in canonical order."""
        return list(self._frame.columns)

    @property
    def kpi(self) -> str:
        """Name of the KPI (``"revenue"`` for ``kpi__revenue``)."""
        return self._names(Role.KPI)[0]

    @property
    def kpi_column(self) -> str:
        """The KPI column, e.g. ``"kpi__revenue"``."""
        return column_name(Role.KPI, self.kpi)

    @property
    def channels(self) -> list[str]:
        """Paid channels (one per ``spend__*`` column), in column order."""
        return self._names(Role.SPEND)

    @property
    def media_channels(self) -> list[str]:
        """Channels that also have exposures (``media__*``)."""
        return self._names(Role.MEDIA)

    @property
    def organic(self) -> list[str]:
        """Organic (unpaid) activities."""
        return self._names(Role.ORGANIC)

    @property
    def controls(self) -> list[str]:
        """Control variables."""
        return self._names(Role.CONTROL)

    @property
    def events(self) -> list[str]:
        """Events (holidays, promotions...)."""
        return self._names(Role.EVENT)

    # --- dates ---------------------------------------------------------------------------

    @property
    def dates(self) -> list[dt.date]:
        """Period start dates, strictly increasing."""
        return self._frame[DATE_COLUMN].to_list()

    @property
    def start(self) -> dt.date:
        """First period."""
        return self.dates[0]

    @property
    def end(self) -> dt.date:
        """Last period."""
        return self.dates[-1]

    @property
    def n_periods(self) -> int:
        """Number of periods (rows)."""
        return self._frame.height

    def __len__(self) -> int:
        return self.n_periods

    # --- derived datasets ----------------------------------------------------------------

    def slice(self, start: DateLike | None = None, end: DateLike | None = None) -> MMMDataSet:
        """The periods from ``start`` to ``end``, both inclusive, as a new validated dataset.

        Args:
            start: first date kept (``None``: from the beginning); ISO string or date.
            end: last date kept (``None``: to the end).

        Returns:
            A dataset over the window; it must itself meet the contract (enough periods,
            every channel with some spend, ...).

        Raises:
            ValueError: if ``start`` is after ``end`` or a bound is not a date.
            DataContractError: if the window is empty or breaks the contract.
        """
        lo = _as_date(start, "start") if start is not None else self.start
        hi = _as_date(end, "end") if end is not None else self.end
        if lo > hi:
            raise ValueError(f"start={lo} is after end={hi}: pass start <= end")
        window = self._frame.filter(pl.col(DATE_COLUMN).is_between(lo, hi))
        if window.height == 0:
            raise DataContractError(
                [
                    Violation(
                        ContractRule.EMPTY_FRAME,
                        DATE_COLUMN,
                        f"the window {lo}..{hi} holds no periods; the data run from "
                        f"{self.start} to {self.end}",
                    )
                ]
            )
        return MMMDataSet.from_frame(window)

    def drop(self, *columns: str) -> MMMDataSet:
        """A new validated dataset without ``columns`` (e.g. a channel that is off)."""
        unknown = [c for c in columns if c not in self._frame.columns]
        if unknown:
            raise ValueError(f"cannot drop {unknown}: not columns of the dataset {self.columns}")
        return MMMDataSet.from_frame(self._frame.drop(columns))

    # --- model arrays ---------------------------------------------------------------------

    def _matrix(self, role: Role, names: Sequence[str], dtype: np.dtype) -> jnp.ndarray:
        # cast on the host and device_put: jnp.asarray compiles a program per shape
        if not names:
            return jax.device_put(np.zeros((self.n_periods, 0), dtype=dtype))
        block = self._frame.select([column_name(role, n) for n in names]).to_numpy()
        return jax.device_put(np.ascontiguousarray(block, dtype=dtype))

    def to_arrays(self, dtype: Any = None) -> ModelArrays:
        """The data as JAX arrays with coordinate labels, for the modeling layer.

        Args:
            dtype: floating dtype of the arrays; ``None`` uses JAX's default (float32, or
                float64 when ``jax_enable_x64`` is on). float64 requires 64-bit mode.

        Returns:
            :class:`ModelArrays` with ``kpi (time,)``, ``spend (time, channel)``, ``media
            (time, media_channel)``, ``organic``, ``controls`` and ``events`` (``(time, 0)``
            when absent), in the dataset's units.
        """
        dtype = np.dtype(dtype if dtype is not None else jax.dtypes.canonicalize_dtype(float))
        if dtype == jnp.float64 and not jax.config.read("jax_enable_x64"):
            raise ValueError(
                "dtype=float64 needs JAX's 64-bit mode: call "
                "jax.config.update('jax_enable_x64', True) first, or use float32"
            )
        return ModelArrays(
            kpi=jax.device_put(np.asarray(self._frame[self.kpi_column].to_numpy(), dtype=dtype)),
            spend=self._matrix(Role.SPEND, self.channels, dtype),
            media=self._matrix(Role.MEDIA, self.media_channels, dtype),
            organic=self._matrix(Role.ORGANIC, self.organic, dtype),
            controls=self._matrix(Role.CONTROL, self.controls, dtype),
            events=self._matrix(Role.EVENT, self.events, dtype),
            dates=tuple(self.dates),
            channels=tuple(self.channels),
            media_channels=tuple(self.media_channels),
            organic_names=tuple(self.organic),
            control_names=tuple(self.controls),
            event_names=tuple(self.events),
            kpi_name=self.kpi,
        )

    # --- comparison and display ----------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MMMDataSet):
            return NotImplemented
        return self.frequency is other.frequency and self._frame.equals(other._frame)

    __hash__ = None  # type: ignore[assignment]

    def summary(self) -> str:
        """A few lines describing the dataset: window, frequency and columns by role."""
        lines = [
            f"MMMDataSet: {self.n_periods} {self.frequency.value} periods, "
            f"{self.start} to {self.end}",
            f"  kpi:      {self.kpi}",
            f"  channels: {', '.join(self.channels)}",
        ]
        for label, names in (
            ("media", self.media_channels),
            ("organic", self.organic),
            ("controls", self.controls),
            ("events", self.events),
        ):
            if names:
                lines.append(f"  {label + ':':<9} {', '.join(names)}")
        lines += [f"  warning:  {w}" for w in self.warnings]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"MMMDataSet(periods={self.n_periods}, frequency={self.frequency.value}, "
            f"start={self.start}, end={self.end}, kpi={self.kpi!r}, channels={self.channels})"
        )
