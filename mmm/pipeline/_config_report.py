"""``[report]``: how results are summarized and sanity-checked (:func:`mmm.diagnostics.review`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from mmm.diagnostics import DEFAULT_ROI_RANGE
from mmm.pipeline._config_base import (
    ConfigError,
    FrozenMap,
    Table,
    check_integer,
    check_names,
    check_number,
    describe,
)

__all__ = ["ReportConfig"]


@dataclasses.dataclass(frozen=True)
class ReportConfig:
    """``[report]``: interval level, plausible ROI range and expected control signs.

    Attributes:
        level: the central interval level of every summary, in ``(0, 1)``.
        roi_range: the plausible ``(low, high)`` ROI of a channel (money per money with
            ``model.value_per_kpi``, else KPI units per money unit); ``None``
            (``roi_range = false``) skips the check. Default
            :data:`mmm.diagnostics.DEFAULT_ROI_RANGE`.
        expected_signs: per control, the sign its effect should have (``+1`` or ``-1``).
        source: the config file, for messages (not compared).

    Raises:
        ConfigError: naming the key (``report.level``) of an invalid value.
    """

    level: float = 0.9
    roi_range: tuple[float, float] | None = DEFAULT_ROI_RANGE
    expected_signs: Mapping[str, int] = dataclasses.field(default_factory=dict)
    source: str = dataclasses.field(default="config", compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "expected_signs", FrozenMap(self.expected_signs))
        if self.roi_range is not None:
            object.__setattr__(self, "roi_range", tuple(self.roi_range))
        _parse(Table(self.to_dict(), "report", self.source))  # validates

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "config") -> ReportConfig:
        """Read the ``[report]`` table; absent keys take their defaults.

        Raises:
            ConfigError: naming the key path of an unknown key or an invalid value.
        """
        return cls(**_parse(Table(data, "report", source)), source=source)

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain data (``roi_range`` ``False`` when not checked)."""
        return {
            "level": self.level,
            "roi_range": False if self.roi_range is None else list(self.roi_range),
            "expected_signs": dict(self.expected_signs),
        }

    def check_controls(self, controls: Sequence[str]) -> None:
        """Every control of ``expected_signs`` is one of the model's ``controls``.

        Raises:
            ConfigError: at ``report.expected_signs.<name>``, listing the controls.
        """
        check_names(self.expected_signs, controls, "report.expected_signs", self.source, "control")


def _parse(table: Table) -> dict[str, Any]:
    table = Table(table.data, table.path, table.source, ["level", "roi_range", "expected_signs"])
    source = table.source
    roi_range: tuple[float, float] | None = DEFAULT_ROI_RANGE
    if "roi_range" in table:
        value = table.value("roi_range")
        key = table.key("roi_range")
        if value is False:
            roi_range = None
        elif isinstance(value, list | tuple) and len(value) == 2:
            low = check_number(value[0], f"{key}[0]", source)
            high = check_number(value[1], f"{key}[1]", source)
            if not low < high:
                raise ConfigError(
                    f"[{low:g}, {high:g}]: pass [low, high] with low < high", key=key, source=source
                )
            roi_range = (low, high)
        else:
            raise ConfigError(
                f"expected [low, high] (plausible ROI) or false (no check), got {describe(value)}",
                key=key,
                source=source,
            )
    signs: dict[str, int] = {}
    signs_table = table.table("expected_signs")
    if signs_table is not None:
        for name in signs_table:
            sign = check_integer(signs_table.value(name), signs_table.key(name), source)
            if sign not in (-1, 1):
                raise signs_table.error(name, f"{sign} is not a sign: use 1 or -1")
            signs[name] = sign
    return {
        "level": table.number("level", 0.9, low=0.0, high=1.0, low_open=True, high_open=True),
        "roi_range": roi_range,
        "expected_signs": signs,
    }
