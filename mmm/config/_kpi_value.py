"""The money value of one KPI unit (``value_per_kpi``), checked once for every layer."""

from __future__ import annotations

import math

__all__ = ["check_value_per_kpi"]


def check_value_per_kpi(value: object) -> float:
    """``value`` as a float if it is a finite number > 0 (a boolean is not a number).

    ROI and mROAS are ``value * KPI / spend``: 1 for a KPI that is money, revenue per
    conversion for a conversions KPI.

    Raises:
        ValueError: naming ``value_per_kpi`` and what to pass.

    Examples:
        >>> check_value_per_kpi(35)
        35.0
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and value > 0)
    ):
        raise ValueError(
            f"value_per_kpi={value!r} is not valid: pass the money value of one KPI unit, "
            "a finite float > 0 (1.0 when the KPI is money)"
        )
    return float(value)
