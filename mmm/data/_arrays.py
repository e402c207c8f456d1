"""The dataset as the arrays a model consumes, with coordinate labels."""

from __future__ import annotations

import dataclasses
import datetime as dt

import equinox as eqx
from jaxtyping import Array, Float

__all__ = ["ModelArrays"]


class ModelArrays(eqx.Module):
    """A dataset as JAX arrays (a pytree) plus static coordinate labels.

    Values are in the dataset's own units, unscaled: scaling is the features layer's job,
    which records every factor so results map back to these units.

    Attributes:
        kpi: ``(time,)`` target.
        spend: ``(time, channel)`` money spent per period.
        media: ``(time, media_channel)`` exposures of the channels in ``media_channels``.
        organic: ``(time, organic)`` unpaid activity.
        controls: ``(time, control)`` control variables.
        events: ``(time, event)`` event indicators or intensities.
        dates: period start dates, length ``time``.
        channels, media_channels, organic_names, control_names, event_names: labels of the
            second axis of each array, in column order.
    """

    kpi: Float[Array, " time"]
    spend: Float[Array, "time channel"]
    media: Float[Array, "time media_channel"]
    organic: Float[Array, "time organic"]
    controls: Float[Array, "time control"]
    events: Float[Array, "time event"]
    dates: tuple[dt.date, ...] = eqx.field(static=True)
    channels: tuple[str, ...] = eqx.field(static=True)
    media_channels: tuple[str, ...] = eqx.field(static=True)
    organic_names: tuple[str, ...] = eqx.field(static=True)
    control_names: tuple[str, ...] = eqx.field(static=True)
    event_names: tuple[str, ...] = eqx.field(static=True)
    kpi_name: str = eqx.field(static=True)

    def __repr__(self) -> str:
        shapes = ", ".join(
            f"{name}={tuple(getattr(self, name).shape)}"
            for name in ("kpi", "spend", "media", "organic", "controls", "events")
        )
        window = f"{self.dates[0]}..{self.dates[-1]}" if self.dates else "empty"
        return f"ModelArrays({shapes}, dates={window}, channels={list(self.channels)})"

    def periods(self, start: int, stop: int) -> ModelArrays:
        """The periods ``[start, stop)`` (positions on the time axis), same labels.

        Unlike :meth:`MMMDataSet.slice` there is no minimum length: a forecast horizon of
        a few periods, say.
        """
        if not 0 <= start < stop <= self.n_periods:
            raise ValueError(
                f"periods({start}, {stop}) is not valid: pass 0 <= start < stop <= {self.n_periods}"
            )
        return dataclasses.replace(
            self,
            kpi=self.kpi[start:stop],
            spend=self.spend[start:stop],
            media=self.media[start:stop],
            organic=self.organic[start:stop],
            controls=self.controls[start:stop],
            events=self.events[start:stop],
            dates=self.dates[start:stop],
        )

    @property
    def n_periods(self) -> int:
        """Number of periods (length of the time axis)."""
        return len(self.dates)
