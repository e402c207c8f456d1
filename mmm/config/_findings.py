"""``Finding``: one result of a sanity check, shared by the EDA and diagnostics layers."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal, get_args

import polars as pl

__all__ = [
    "Severity",
    "Finding",
    "SEVERITIES",
    "worst_severity",
    "severity_counts",
    "findings_frame",
]

Severity = Literal["info", "warning", "critical"]
"""How bad a finding is: ``"critical"`` findings make a report's ``passed`` false."""

SEVERITIES: tuple[Severity, ...] = get_args(Severity)
"""The severities, mildest first."""

_RANK: dict[str, int] = {"ok": -1, "info": 0, "warning": 1, "critical": 2}


@dataclasses.dataclass(frozen=True)
class Finding:
    """One result of a sanity check.

    Attributes:
        check: which check found it (e.g. ``"roi_range"``, ``"collinearity"``).
        severity: ``"info"``, ``"warning"`` or ``"critical"``.
        subject: the channel, pair, column or parameter concerned, or ``"model"`` /
            ``"data"``.
        message: one sentence: what was found and what to do.
        value: the number behind it (an ROI, a correlation, a share, ...).
    """

    check: str
    severity: Severity
    subject: str
    message: str
    value: float


def worst_severity(findings: Sequence[Finding]) -> str:
    """``"ok"`` without findings, else the most severe finding's severity.

    Examples:
        >>> worst_severity([Finding("a", "info", "x", "m", 0.0)])
        'info'
        >>> worst_severity([])
        'ok'
    """
    return max((f.severity for f in findings), key=_RANK.__getitem__, default="ok")


def severity_counts(findings: Sequence[Finding]) -> dict[str, int]:
    """Number of findings per severity, every severity present (zero counts too)."""
    return {s: sum(f.severity == s for f in findings) for s in SEVERITIES}


def findings_frame(findings: Sequence[Finding]) -> pl.DataFrame:
    """The findings as a frame: ``check, severity, subject, value, message`` (in order)."""
    return pl.DataFrame(
        {
            "check": [f.check for f in findings],
            "severity": [f.severity for f in findings],
            "subject": [f.subject for f in findings],
            "value": [f.value for f in findings],
            "message": [f.message for f in findings],
        },
        schema={
            "check": pl.String,
            "severity": pl.String,
            "subject": pl.String,
            "value": pl.Float64,
            "message": pl.String,
        },
    )
