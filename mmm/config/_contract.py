"""Numbers of the dataset contract that are not about names."""

from __future__ import annotations

from types import MappingProxyType

from mmm.config._roles import Frequency

__all__ = ["MIN_PERIODS", "RECOMMENDED_PERIODS"]

MIN_PERIODS = MappingProxyType({Frequency.WEEKLY: 26, Frequency.DAILY: 90, Frequency.MONTHLY: 24})
"""Fewest periods a dataset may have: below this a model cannot separate media from
seasonality and trend, and validation raises ``DataContractError``."""

RECOMMENDED_PERIODS = MappingProxyType(
    {Frequency.WEEKLY: 104, Frequency.DAILY: 365, Frequency.MONTHLY: 36}
)
"""Below this many periods (two years weekly, one year daily, three years monthly) validation
passes with a ``DataContractWarning``: yearly seasonality is poorly identified."""
