"""Checks that stop a fit before sampling when the data cannot identify the model."""

from __future__ import annotations

import math

import numpy as np

from mmm.features import Design
from mmm.modeling._model import model_sites
from mmm.modeling._spec import ModelSpec

__all__ = ["ModelDataError", "MIN_ACTIVE_PERIODS", "check_before_fit", "count_parameters"]

MIN_ACTIVE_PERIODS = 3
"""A channel must have media in at least this many periods to be estimated."""


class ModelDataError(ValueError):
    """The data cannot identify the model as specified; the message says how to fix it."""


def count_parameters(spec: ModelSpec, design: Design) -> int:
    """Number of free (latent, unconstrained) scalars of the model on ``design``."""
    return sum(
        math.prod(site.shape)
        for site in model_sites(spec, design).values()
        if site.kind == "sample" and not site.observed
    )


def check_before_fit(spec: ModelSpec, design: Design) -> None:
    """Raise :class:`ModelDataError` for data the model cannot be fitted to.

    Checks, in order: every channel has media in at least :data:`MIN_ACTIVE_PERIODS`
    periods of the training window; the model has fewer free parameters than periods.

    Raises:
        ModelDataError: naming the channel (and its active dates) or the counts, with the fix.
    """
    series = [
        ("channel", name, column, "spend")
        for name, column in zip(design.channels, np.asarray(design.media).T, strict=True)
    ] + [
        ("organic series", name, column, "organic")
        for name, column in zip(design.organic_names, np.asarray(design.organic).T, strict=True)
    ]
    for kind, name, column, role in series:
        active = np.flatnonzero(column > 0)
        if active.size < MIN_ACTIVE_PERIODS:
            dates = [str(design.dates[t]) for t in active]
            raise ModelDataError(
                f"{kind} {name!r} has activity in {active.size} period(s) {dates} of "
                f"{len(design.dates)}: its adstock, saturation and effect cannot be estimated "
                f"from fewer than {MIN_ACTIVE_PERIODS}; drop it (ds.drop('{role}__{name}')) "
                "or merge it into a related one"
            )
    n_params = count_parameters(spec, design)
    n_periods = len(design.dates)
    if n_params >= n_periods:
        raise ModelDataError(
            f"the model has {n_params} free parameters but the data have {n_periods} periods: "
            "use more periods, fewer channels or controls, or a smaller spec (lower Fourier "
            "order, fewer changepoints)"
        )
