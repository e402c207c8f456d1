"""The documented thresholds of the convergence checks, and the status of one check."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

import polars as pl

__all__ = ["Thresholds", "Status", "Check", "STATUS_ORDER", "checks_frame"]

Status = Literal["pass", "warn", "fail", "n/a"]
"""Outcome of one check: ``"n/a"`` where the check does not apply to the fit's method."""

STATUS_ORDER: dict[str, int] = {"n/a": 0, "pass": 1, "warn": 2, "fail": 3}


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """Pass / warn / fail bands of the convergence checks (defaults as in Stan and arviz).

    Attributes:
        rhat: R-hat below this passes (1.01, Vehtari et al. 2021).
        rhat_fail: R-hat at or above this fails; in between warns (1.05).
        ess: bulk and tail ESS above this pass (400: 100 per chain for 4 chains).
        ess_fail: ESS below this fails; in between warns (100).
        divergences: at most this many divergent transitions pass (0).
        divergence_share_fail: a share of divergent draws above this fails; a share at or
            below it (but more than ``divergences``) warns (0.001, one in a thousand).
        ebfmi: E-BFMI of every chain at or above this passes, else warns (0.3).
        tree_depth_share: a share of NUTS draws at the maximum tree depth above this warns
            (0.01); it costs time, not correctness, so it never fails.
        loss_change: SVI/MAP/Laplace: a relative change of the mean loss between the last
            two tenths of the steps below this passes (0.001), and so does a change within
            3 standard errors of the loss's step-to-step noise (a single-particle ELBO);
            otherwise below ten times it warns, above it fails.
    """

    rhat: float = 1.01
    rhat_fail: float = 1.05
    ess: float = 400.0
    ess_fail: float = 100.0
    divergences: int = 0
    divergence_share_fail: float = 0.001
    ebfmi: float = 0.3
    tree_depth_share: float = 0.01
    loss_change: float = 1e-3

    def __post_init__(self) -> None:
        if not 1.0 < self.rhat <= self.rhat_fail:
            raise ValueError(
                f"Thresholds(rhat={self.rhat}, rhat_fail={self.rhat_fail}) is not valid: "
                "pass 1 < rhat <= rhat_fail"
            )
        if not 0 < self.ess_fail <= self.ess:
            raise ValueError(
                f"Thresholds(ess={self.ess}, ess_fail={self.ess_fail}) is not valid: "
                "pass 0 < ess_fail <= ess"
            )
        if self.divergences < 0 or not 0 <= self.divergence_share_fail < 1:
            raise ValueError(
                f"Thresholds(divergences={self.divergences}, divergence_share_fail="
                f"{self.divergence_share_fail}) is not valid: pass a count >= 0 and a share "
                "in [0, 1)"
            )
        for name in ("ebfmi", "tree_depth_share", "loss_change"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Thresholds({name}={getattr(self, name)}) must be > 0")


@dataclasses.dataclass(frozen=True)
class Check:
    """One check of a report.

    Attributes:
        name: short id (``"rhat"``, ``"ess_bulk"``, ``"divergences"``, ...).
        status: ``"pass"``, ``"warn"``, ``"fail"`` or ``"n/a"``.
        value: the measured value (NaN where it does not apply).
        threshold: the value it is compared with, in words (``"< 1.01"``).
        message: one sentence: what was measured and, unless it passed, what to do.
    """

    name: str
    status: Status
    value: float
    threshold: str
    message: str


def checks_frame(checks: Sequence[Check]) -> pl.DataFrame:
    """Checks as a frame: ``check``, ``status``, ``value``, ``threshold``, ``message``."""
    return pl.DataFrame(
        {
            "check": [c.name for c in checks],
            "status": [c.status for c in checks],
            "value": [float(c.value) for c in checks],
            "threshold": [c.threshold for c in checks],
            "message": [c.message for c in checks],
        },
        schema={
            "check": pl.String,
            "status": pl.String,
            "value": pl.Float64,
            "threshold": pl.String,
            "message": pl.String,
        },
    )
