"""What baseline specs build their features from: dates, scaled time and scaled inputs."""

from __future__ import annotations

import datetime as dt

import equinox as eqx
from jaxtyping import Array, Float

__all__ = ["DesignContext"]


class DesignContext(eqx.Module):
    """Inputs of :meth:`AbstractBaseline.features`, already scaled (no column names).

    Attributes:
        dates: period start dates, length ``time``.
        t: time scaled to ``[0, 1]`` over the training window, shape ``(time,)``; future
            periods have ``t > 1``.
        controls: standardized controls, shape ``(time, control)``.
        events: event indicators/intensities in their own units, shape ``(time, event)``.
        control_names: labels of ``controls``' second axis.
        event_names: labels of ``events``' second axis.
    """

    dates: tuple[dt.date, ...] = eqx.field(static=True)
    t: Float[Array, " time"]
    controls: Float[Array, "time control"]
    events: Float[Array, "time event"]
    control_names: tuple[str, ...] = eqx.field(static=True)
    event_names: tuple[str, ...] = eqx.field(static=True)
