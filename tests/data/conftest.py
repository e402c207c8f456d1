"""Shared data for the data-layer tests: a valid weekly frame and its raw (client) twin."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

START = dt.date(2021, 1, 4)  # a Monday; the first week of the valid frame
N_WEEKS = 120  # above RECOMMENDED_PERIODS[WEEKLY] = 104: the valid frame raises no warning

RAW_NAMES = {
    "date": "Week",
    "kpi__revenue": "Revenue",
    "spend__tv": "TV Spend",
    "spend__search": "Search",
    "media__tv": "TV GRPs",
    "control__price": "Avg Price",
    "event__holiday": "Holiday",
}
"""Convention column -> the client's name for it in the raw version of the frame."""

MAPPING = {raw: column for column, raw in RAW_NAMES.items()}
"""The ``ColumnMapper`` mapping that undoes ``RAW_NAMES``."""

FrameFactory = Callable[..., pl.DataFrame]


def build_frame(
    n: int = N_WEEKS, *, start: dt.date = START, interval: str = "1w", seed: int = 0
) -> pl.DataFrame:
    """A frame that meets the contract: random (seeded) values in every role.

    ``event__holiday`` is 1 every 13th period (row 0 included), 0 otherwise.
    """
    rng = np.random.default_rng(seed)
    dates = pl.date_range(start, start + dt.timedelta(days=400 * n), interval, eager=True)[:n]
    assert len(dates) == n
    return pl.DataFrame(
        {
            "date": dates,
            "kpi__revenue": rng.uniform(1_000.0, 2_000.0, n),
            "spend__tv": rng.uniform(0.0, 100.0, n),
            "spend__search": rng.uniform(0.0, 50.0, n),
            "media__tv": rng.uniform(0.0, 10_000.0, n),
            "control__price": rng.uniform(9.0, 11.0, n),
            "event__holiday": (np.arange(n) % 13 == 0).astype(np.float64),
        }
    )


def to_raw(frame: pl.DataFrame, *, date_format: str = "%d/%m/%Y") -> pl.DataFrame:
    """The client version of a convention frame: ``RAW_NAMES`` labels, dates as text."""
    return frame.with_columns(pl.col("date").dt.strftime(date_format)).rename(
        {c: RAW_NAMES[c] for c in frame.columns if c in RAW_NAMES}
    )


@pytest.fixture
def valid_frame() -> pl.DataFrame:
    """120 weeks from 2021-01-04, all roles, valid and long enough not to warn."""
    return build_frame()


@pytest.fixture
def make_frame() -> FrameFactory:
    """``build_frame`` itself, for tests that need another length or frequency."""
    return build_frame


@pytest.fixture(name="to_raw")
def to_raw_fixture() -> Callable[..., pl.DataFrame]:
    """``to_raw`` itself: convention frame -> client frame."""
    return to_raw


@pytest.fixture
def mapping() -> dict[str, str]:
    """The mapping from the raw names of ``to_raw`` back to the convention."""
    return dict(MAPPING)


@pytest.fixture
def raw_frame(valid_frame: pl.DataFrame) -> pl.DataFrame:
    """``valid_frame`` with client names and dd/mm/yyyy text dates."""
    return to_raw(valid_frame)


@dataclasses.dataclass(frozen=True)
class Kit:
    """Everything above in one object, for parametrized cases built at collection time."""

    start: dt.date = START
    n_weeks: int = N_WEEKS
    raw_names: dict[str, str] = dataclasses.field(default_factory=lambda: dict(RAW_NAMES))
    mapping: dict[str, str] = dataclasses.field(default_factory=lambda: dict(MAPPING))

    @property
    def frame(self) -> pl.DataFrame:
        """A fresh valid weekly frame."""
        return build_frame()

    @property
    def raw(self) -> pl.DataFrame:
        """A fresh raw (client) version of the valid frame."""
        return to_raw(build_frame())

    def week(self, i: int) -> dt.date:
        """Date of row ``i`` of the valid frame."""
        return self.start + dt.timedelta(weeks=i)

    build = staticmethod(build_frame)
    to_raw = staticmethod(to_raw)


@pytest.fixture
def kit() -> Kit:
    """Builders and constants of this file as one object."""
    return Kit()
