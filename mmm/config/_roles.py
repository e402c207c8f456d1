"""Column roles and data frequencies of the naming convention."""

from __future__ import annotations

import enum

__all__ = ["Frequency", "Role"]


class Role(enum.Enum):
    """The role a column plays in a dataset; its value is the column-name prefix.

    Input roles (``DATE`` to ``ORGANIC``) may appear in a dataset. Derived roles name the
    features and contributions that later layers compute; they are reserved so that an input
    column can never be mistaken for one.
    """

    DATE = "date"
    KPI = "kpi"
    SPEND = "spend"
    MEDIA = "media"
    CONTROL = "control"
    EVENT = "event"
    ORGANIC = "organic"
    # Derived (computed by features/modeling/results, never accepted as input columns).
    TREND = "trend"
    SEASONALITY = "seasonality"
    ADSTOCK = "adstock"
    SATURATION = "saturation"
    CONTRIBUTION = "contribution"

    @property
    def is_input(self) -> bool:
        """Whether a dataset column may carry this role."""
        return self in _INPUT_ROLES

    @property
    def is_numeric(self) -> bool:
        """Whether columns of this role hold numbers (all input roles but ``DATE``)."""
        return self is not Role.DATE

    @property
    def is_nonnegative(self) -> bool:
        """Whether values of this role must be ``>= 0`` (money spent and exposures)."""
        return self in (Role.SPEND, Role.MEDIA, Role.ORGANIC)


_INPUT_ROLES = frozenset(
    {Role.DATE, Role.KPI, Role.SPEND, Role.MEDIA, Role.CONTROL, Role.EVENT, Role.ORGANIC}
)


class Frequency(enum.Enum):
    """Regular spacing of the ``date`` column; inferred by the data layer."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"

    @property
    def periods_per_year(self) -> float:
        """Average number of periods in a year (365.25 days)."""
        return {Frequency.DAILY: 365.25, Frequency.WEEKLY: 365.25 / 7, Frequency.MONTHLY: 12.0}[
            self
        ]
