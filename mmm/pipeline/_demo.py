"""The configuration ``mmm demo`` runs on each bundled example.

The same content a user would write in a config file (``docs/10_CONFIG.md``), so the
demo shows the file's semantics: default model, 4 NUTS chains, a steady budget plan at the
last year's average budget with each channel kept between half and twice its historic
spend (the plan stays near the spend levels the data have seen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from mmm._example_names import DEMO_EXAMPLE
from mmm.datasets import EXAMPLES
from mmm.pipeline._config import RunConfig

__all__ = ["DEMO_EXAMPLE", "QUICK_SAMPLER", "DEMO_SETTINGS", "demo_config"]


QUICK_SAMPLER: Mapping[str, Any] = MappingProxyType({"chains": 2, "draws": 300, "tune": 300})
"""The sampler settings of ``--quick`` (a first look in seconds; not for decisions)."""

_RELATIVE_BOUNDS = {"multiple": [0.5, 2.0]}

DEMO_SETTINGS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        # The simulated small business's true ROIs reach 32 (email), above the library's
        # default plausible range (0.1 to 10) meant for typical paid media: the demo states
        # what is plausible for this business, as a user would for theirs.
        "plr_small_business": {"report": {"roi_range": [0.5, 50.0]}},
        # The medium business sells about 1.1M a week on a few hundred a week per channel:
        # its true ROIs run from 15 to 236.
        "plr_medium_business": {"report": {"roi_range": [1.0, 500.0]}},
        # Spend is a scaled index (0..1), not money: the run skips the ROI-range check.
        "pymc_marketing": {},
        "meridian_national": {},
    }
)
"""Per example, what its demo configuration adds to the common one."""


def demo_config(example: str, channels: Sequence[str]) -> RunConfig:
    """The run configuration of ``mmm demo --example example``.

    Args:
        example: the bundled example's name.
        channels: its paid channels (each gets the relative bounds).

    Raises:
        ValueError: for an unknown example, listing the bundled ones.
    """
    if example not in EXAMPLES:
        raise ValueError(f"unknown example {example!r}; available examples: {list(EXAMPLES)}")
    data: dict[str, Any] = {
        "sampler": {"method": "nuts", "chains": 4, "draws": 1000, "tune": 1000, "seed": 0},
        "scenario": {"bounds": {c: dict(_RELATIVE_BOUNDS) for c in channels}},
        **DEMO_SETTINGS.get(example, {}),
    }
    return RunConfig.from_dict(data, source=f"demo config of {example!r}")
