"""The bands of EDA's findings, as documented fields."""

from __future__ import annotations

import dataclasses

__all__ = ["EDAThresholds"]


@dataclasses.dataclass(frozen=True)
class EDAThresholds:
    """Where an EDA check starts to warn and becomes critical.

    Attributes:
        pair_warning: ``|r|`` between two channels (Pearson, on spend or on the design's
            media responses, whichever is larger) at or above which their separate effects
            are poorly identified (0.8).
        pair_critical: ... and critical (0.95: the data cannot tell them apart).
        coactivity: on/off correlation (phi coefficient of "spend > 0") of two channels
            that both have off periods, at or above which they are "nearly always on
            together" (0.8).
        min_off_share: share of zero-spend periods a channel needs for the co-activity
            check (0.05: otherwise it is simply always on).
        vif_warning: a media column's VIF at or above which it warns (10).
        vif_critical: ... and is critical (100).
        condition_warning: condition number of the standardized design that warns (30,
            Belsley's "moderate to strong" dependence).
        condition_critical: ... and is critical (100).
        periods_per_parameter_warning: periods per free model parameter below which the
            data are thin for the spec (5: e.g. 156 weeks for 8 channels with the default
            spec).
        periods_per_parameter_critical: ... and critical (2: the priors decide most of it).
        min_spend_share: a channel's share of total spend below which its ROI will mostly
            reflect the prior (0.01).
        min_spend_cv: coefficient of variation of spend below which it hardly varies, so
            its effect is confounded with the intercept (0.1).
        long_off_run: zero-spend run (periods) from which an off stretch is reported (it
            helps identify the channel: info) (8).
    """

    pair_warning: float = 0.8
    pair_critical: float = 0.95
    coactivity: float = 0.8
    min_off_share: float = 0.05
    vif_warning: float = 10.0
    vif_critical: float = 100.0
    condition_warning: float = 30.0
    condition_critical: float = 100.0
    periods_per_parameter_warning: float = 5.0
    periods_per_parameter_critical: float = 2.0
    min_spend_share: float = 0.01
    min_spend_cv: float = 0.1
    long_off_run: int = 8

    def __post_init__(self) -> None:
        for low, high in (
            ("pair_warning", "pair_critical"),
            ("vif_warning", "vif_critical"),
            ("condition_warning", "condition_critical"),
            ("periods_per_parameter_critical", "periods_per_parameter_warning"),
        ):
            if not 0 < getattr(self, low) <= getattr(self, high):
                raise ValueError(
                    f"EDAThresholds: need 0 < {low} <= {high}, got {getattr(self, low)} and "
                    f"{getattr(self, high)}"
                )
