"""The ground truth behind a simulated dataset: transform parameters and contributions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

import numpy as np
import polars as pl
from jaxtyping import Float

__all__ = ["AdstockFamily", "SaturationFamily", "ChannelTruth", "SimulationTruth"]

AdstockFamily = Literal["geometric", "delayed"]
"""Adstock families the simulator draws from (see :mod:`mmm.features.adstock`)."""

SaturationFamily = Literal["hill", "logistic"]
"""Saturation families the simulator draws from (see :mod:`mmm.features.saturation`)."""


@dataclasses.dataclass(frozen=True)
class ChannelTruth:
    r"""True media transform of one channel.

    The channel's contribution in KPI units is

    .. math:: c_t = \beta \cdot \mathrm{saturation}\big(\mathrm{adstock}(
        \mathrm{spend}_t / \mathrm{spend\_scale})\big),

    with the functions of :mod:`mmm.features` called as
    ``adstock(x, **adstock_params, l_max=l_max, normalize=normalize)`` and
    ``saturation(x, **saturation_params)``.

    Attributes:
        adstock: adstock family name.
        adstock_params: its parameters (``{"alpha"}`` for geometric,
            ``{"alpha", "theta"}`` for delayed).
        l_max: number of adstock lags, including the current period.
        normalize: whether the adstock weights are divided by their sum.
        saturation: saturation family name.
        saturation_params: its parameters (``{"k", "s"}`` for hill, ``{"lam"}`` for
            logistic), in units of scaled spend.
        spend_scale: the divisor applied to spend before the transforms (the channel's
            maximum weekly spend over the window, > 0).
        beta: the KPI units of a fully saturated channel (> 0).
    """

    adstock: AdstockFamily
    adstock_params: dict[str, float]
    l_max: int
    normalize: bool
    saturation: SaturationFamily
    saturation_params: dict[str, float]
    spend_scale: float
    beta: float


@dataclasses.dataclass(frozen=True, eq=False)
class SimulationTruth:
    """Everything :func:`mmm.datasets.simulate` used to generate the KPI.

    The KPI decomposes exactly (up to float rounding) as the sum of the non-date columns
    of :attr:`contributions`: one per channel, ``intercept``, ``trend``, ``seasonality``,
    ``controls``, ``events`` and ``noise``.

    Attributes:
        channels: channel names, in the order of the ``spend__*`` columns.
        params: true transform parameters per channel.
        contributions: one row per week: ``date``, one column per channel, then
            ``intercept``, ``trend``, ``seasonality`` (yearly Fourier, order 2),
            ``controls`` (sum over controls), ``events`` (sum over events) and ``noise``,
            all in KPI units.
        roi: true return on investment per channel, total contribution / total spend over
            the window.
        control_coefficients: KPI units per unit of each control (by name, without the
            ``control__`` prefix); a control contributes
            ``coefficient * (value - control_centers[name])``.
        control_centers: the mean of each control over the window (the centring above).
        event_effects: KPI units added in each period where the event indicator is 1.
        noise_sd: standard deviation of the Normal observation noise.
        media_share: total media contribution / total noise-free KPI.
        off_channel: the channel switched off for a stretch of weeks, or ``None``.
        off_window: first and last date (inclusive) of that stretch, or ``None``.

    Instances compare by identity (they hold a polars frame); compare fields instead.
    """

    channels: tuple[str, ...]
    params: dict[str, ChannelTruth]
    contributions: pl.DataFrame
    roi: dict[str, float]
    control_coefficients: dict[str, float]
    control_centers: dict[str, float]
    event_effects: dict[str, float]
    noise_sd: float
    media_share: float
    off_channel: str | None = None
    off_window: tuple[dt.date, dt.date] | None = None

    def contribution(self, channel: str) -> Float[np.ndarray, " time"]:
        """True weekly contribution of one channel, in KPI units.

        Args:
            channel: a name from :attr:`channels`.

        Returns:
            A float64 array, shape ``(time,)``.

        Raises:
            KeyError: if ``channel`` is not simulated; the message lists the channels.
        """
        if channel not in self.channels:
            raise KeyError(f"channel={channel!r} is not simulated; choose from {self.channels}")
        return self.contributions[channel].to_numpy().astype(np.float64)

    def media(self) -> Float[np.ndarray, " time"]:
        """Total true media contribution per week (sum over channels), in KPI units.

        Returns:
            A float64 array, shape ``(time,)``.
        """
        return np.sum([self.contribution(c) for c in self.channels], axis=0)

    def baseline(self) -> Float[np.ndarray, " time"]:
        """True baseline per week: ``intercept + trend + seasonality``, in KPI units.

        Returns:
            A float64 array, shape ``(time,)``.
        """
        parts = ("intercept", "trend", "seasonality")
        return np.sum([self.contributions[p].to_numpy() for p in parts], axis=0)
