"""The feature pipeline: a dataset plus specs in, scaled design arrays out.

Scaling factors are fitted on the training window and kept in :class:`Scalings`, so every
number the model produces maps back to the dataset's units, and future periods are scaled
exactly as the training data were. No column name leaves this module except as a label.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Literal, TypeVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from mmm.data import MMMDataSet, ModelArrays
from mmm.features._baseline_specs import (
    AbstractBaseline,
    Controls,
    Events,
    Fourier,
    Intercept,
    LinearTrend,
)
from mmm.features._context import DesignContext
from mmm.features._media_specs import MediaSpec
from mmm.features._scaling import (
    MaxScaling,
    MeanColumnScaling,
    MeanScaling,
    PeakScaling,
    ScalingError,
    Standardization,
)
from mmm.features._trend import time_index

__all__ = [
    "DegenerateColumns",
    "Design",
    "ScalingSpec",
    "Scalings",
    "build_design",
    "default_baseline",
    "design_context",
    "media_inputs",
    "resolve_media_specs",
]


def resolve_media_specs(
    channels: Sequence[str], media: MediaSpec | Mapping[str, MediaSpec] | None
) -> dict[str, MediaSpec]:
    """One :class:`MediaSpec` per channel, in channel order.

    Args:
        channels: the dataset's channels.
        media: ``None`` (the default spec for every channel), one spec for all channels, or
            a mapping with exactly one spec per channel.

    Raises:
        ValueError: naming channels without a spec, or specs for unknown channels.
    """
    if media is None:
        media = MediaSpec()
    if isinstance(media, MediaSpec):
        return dict.fromkeys(channels, media)
    missing = [c for c in channels if c not in media]
    unknown = [c for c in media if c not in channels]
    if missing or unknown:
        raise ValueError(
            f"media specs must cover exactly the channels {list(channels)}: missing "
            f"{missing}, unknown {unknown}; pass one MediaSpec for all channels or a mapping "
            "with one per channel"
        )
    for channel, spec in media.items():
        if not isinstance(spec, MediaSpec):
            raise ValueError(f"media[{channel!r}] is a {type(spec).__name__}, not a MediaSpec")
    return {c: media[c] for c in channels}


def default_baseline(arrays: ModelArrays) -> tuple[AbstractBaseline, ...]:
    """Intercept, linear trend, yearly seasonality (order 2), and controls/events if any."""
    specs: list[AbstractBaseline] = [Intercept(), LinearTrend(), Fourier()]
    if arrays.control_names:
        specs.append(Controls())
    if arrays.event_names:
        specs.append(Events())
    return tuple(specs)


_KPI_SCALERS: dict[str, type[MeanScaling]] = {"mean": MeanScaling, "peak": PeakScaling}
_MEDIA_SCALERS: dict[str, type[MaxScaling]] = {"max": MaxScaling, "mean": MeanColumnScaling}


class ScalingSpec(eqx.Module):
    """How a design scales the KPI and the media inputs (a model choice, part of the spec).

    Attributes:
        kpi: ``"mean"`` (default: divide by the mean absolute KPI, so priors on the
            intercept level, shares and coefficients read in units of the mean KPI) or
            ``"peak"`` (divide by its largest absolute value, PyMC-Marketing's convention).
        media: ``"max"`` (default: each channel's input divided by its training maximum,
            so it lies in ``[0, 1]``; the saturation priors are stated on this scale) or
            ``"mean"`` (divided by its mean, so an average period is 1; the default
            saturation priors then mean something else: restate them).

    Controls are always standardized and time always runs over ``[0, 1]`` on the training
    window: those keep NUTS's step size independent of the data's units.

    Examples:
        >>> ScalingSpec(media="mean").media
        'mean'
    """

    kpi: str = eqx.field(static=True, default="mean")
    media: str = eqx.field(static=True, default="max")

    def __check_init__(self) -> None:
        for name, value, options in (
            ("kpi", self.kpi, _KPI_SCALERS),
            ("media", self.media, _MEDIA_SCALERS),
        ):
            if value not in options:
                raise ValueError(
                    f"ScalingSpec({name}={value!r}) is not valid: choose one of {tuple(options)}"
                )

    def to_dict(self) -> dict[str, str]:
        """``{"kpi": ..., "media": ...}`` (JSON)."""
        return {"kpi": self.kpi, "media": self.media}


class Scalings(eqx.Module):
    """Every scaling factor of a design, fitted on the training window.

    Attributes:
        kpi: ``kpi_scaled = kpi / kpi.scale`` (mean absolute KPI).
        media: per-channel maximum of the media inputs (spend or exposure).
        controls: per-control standardization (``None`` without controls).
        organic: per-series maximum of the organic activity (``None`` without organic).
        start: first training date (``t = 0``).
        end: last training date (``t = 1``).
    """

    kpi: MeanScaling
    media: MaxScaling
    controls: Standardization | None
    organic: MaxScaling | None
    start: dt.date = eqx.field(static=True)
    end: dt.date = eqx.field(static=True)

    @classmethod
    def fit(
        cls,
        arrays: ModelArrays,
        media_inputs: Float[Array, "time channel"],
        spec: ScalingSpec | None = None,
        *,
        degenerate: DegenerateColumns = "raise",
    ) -> Scalings:
        """Fit all factors on a training dataset's arrays and chosen media inputs.

        Args:
            arrays: the training window's arrays.
            media_inputs: each channel's transform input over the window ``(time,
                channel)`` (:func:`media_inputs`).
            spec: the KPI and media scalers (``None``: :class:`ScalingSpec()`).
            degenerate: a channel or organic series that is zero throughout the window,
                or a control that is constant in it, cannot be scaled. ``"raise"``: a
                :class:`~mmm.features.ScalingError` naming it and the window.
                ``"neutral"``: scale 1 (a control is centred on its constant value), so
                its scaled column is zero throughout the window and a linear fit on the
                window gives it no weight; for windows cut out of the data, such as the
                training part of a rolling-origin fold before a channel was launched.

        Raises:
            ScalingError: a degenerate column with ``degenerate="raise"``, or a KPI that
                cannot be scaled, naming the series and the window.
        """
        if degenerate not in ("raise", "neutral"):
            raise ValueError(f"degenerate={degenerate!r} is not valid: use 'raise' or 'neutral'")
        spec = ScalingSpec() if spec is None else spec
        window = f"{arrays.dates[0]} to {arrays.dates[-1]}"

        def fit_columns(
            scaler: type[_Scaler], x: ArrayLike, names: Sequence[str], role: str
        ) -> _Scaler:
            return _fit_columns(
                scaler, x, names, f"{role} %r (training window {window})", degenerate
            )

        controls = (
            fit_columns(Standardization, arrays.controls, arrays.control_names, "control")
            if arrays.control_names
            else None
        )
        organic = (
            fit_columns(MaxScaling, arrays.organic, arrays.organic_names, "organic series")
            if arrays.organic_names
            else None
        )
        return cls(
            kpi=_KPI_SCALERS[spec.kpi].fit(arrays.kpi),
            media=fit_columns(_MEDIA_SCALERS[spec.media], media_inputs, arrays.channels, "channel"),
            controls=controls,
            organic=organic,
            start=arrays.dates[0],
            end=arrays.dates[-1],
        )


DegenerateColumns = Literal["raise", "neutral"]
"""What :meth:`Scalings.fit` does with a column it cannot scale: ``"raise"`` or ``"neutral"``."""

_Scaler = TypeVar("_Scaler", MaxScaling, Standardization)


def _fit_columns(
    scaler: type[_Scaler],
    x: ArrayLike,
    names: Sequence[str],
    label: str,
    degenerate: DegenerateColumns,
) -> _Scaler:
    """``scaler.fit(x)``, its errors naming the column (``label % name``).

    With ``degenerate="neutral"``, columns that are constant over the window (the ones a
    column scaler cannot scale: all zero, or a constant control) are fitted apart: scale
    1, centre (``Standardization.mean``) their value. Column scalers fit each column on its
    own, so the other columns' factors are those of ``scaler.fit`` on them alone.
    """
    given = np.asarray(x)  # the fit stores the float dtype of its input: keep it
    values = given.astype(np.float64)
    flat = np.zeros(values.shape[1], dtype=bool)
    while True:
        keep = ~flat
        try:
            if keep.all():
                fitted: _Scaler | None = scaler.fit(x)
            else:
                fitted = scaler.fit(given[:, keep]) if keep.any() else None
            break
        except ScalingError as err:
            if err.column is None:
                raise
            column = int(np.flatnonzero(keep)[err.column])
            series = values[:, column]
            if degenerate == "raise" or not (np.isfinite(series).all() and np.ptp(series) == 0):
                raise ScalingError(f"{label % names[column]}: {err}", column) from err
            flat[column] = True
    if not flat.any():
        assert fitted is not None
        return fitted
    dtype = jnp.result_type(given.dtype, float)
    scale = np.ones(values.shape[1])
    centre = values.mean(axis=0)
    if fitted is not None:
        scale[keep] = np.asarray(fitted.scale, dtype=np.float64)
        if isinstance(fitted, Standardization):
            centre[keep] = np.asarray(fitted.mean, dtype=np.float64)
    if issubclass(scaler, Standardization):
        return scaler(jnp.asarray(centre, dtype), jnp.asarray(scale, dtype))
    return scaler(jnp.asarray(scale, dtype))


class Design(eqx.Module):
    """Scaled arrays a model consumes, with labels and the scalings to undo them.

    Attributes:
        kpi: scaled KPI, ``(time,)``.
        media: scaled media inputs (spend, or exposure where a spec asks), ``(time, channel)``.
        spend: spend in the dataset's money units, ``(time, channel)`` (for ROI).
        organic: max-scaled organic activity, ``(time, organic)`` (``(time, 0)`` without).
        baseline: one feature matrix ``(time, feature)`` per baseline spec, in spec order.
        scalings: the factors fitted on the training window.
        dates, channels, organic_names: labels of the time, channel and organic axes.
        baseline_labels: the feature labels of each baseline matrix.
    """

    kpi: Float[Array, " time"]
    media: Float[Array, "time channel"]
    spend: Float[Array, "time channel"]
    organic: Float[Array, "time organic"]
    baseline: tuple[Float[Array, "time feature"], ...]
    scalings: Scalings
    dates: tuple[dt.date, ...] = eqx.field(static=True)
    channels: tuple[str, ...] = eqx.field(static=True)
    organic_names: tuple[str, ...] = eqx.field(static=True)
    baseline_labels: tuple[tuple[str, ...], ...] = eqx.field(static=True)


def media_inputs(
    arrays: ModelArrays, specs: Mapping[str, MediaSpec]
) -> Float[Array, "time channel"]:
    """Each channel's transform input, ``(time, channel)``: its spend or its exposures.

    Raises:
        ValueError: for ``input='exposure'`` on a channel without ``media__<channel>``.
    """
    if all(spec.input == "spend" for spec in specs.values()):
        return arrays.spend  # the common case, without an eager op (one compile each)
    columns = []
    for i, (channel, spec) in enumerate(specs.items()):
        if spec.input == "spend":
            columns.append(arrays.spend[:, i])
        elif channel in arrays.media_channels:
            columns.append(arrays.media[:, arrays.media_channels.index(channel)])
        else:
            raise ValueError(
                f"channel {channel!r} has MediaSpec(input='exposure') but the dataset has no "
                f"'media__{channel}' column: add the exposures or use input='spend'"
            )
    return jnp.stack(columns, axis=1)


def design_context(arrays: ModelArrays, scalings: Scalings) -> DesignContext:
    """The scaled inputs of the baseline specs for ``arrays`` (training or future periods)."""
    controls = (
        scalings.controls.transform(arrays.controls)
        if scalings.controls is not None
        else arrays.controls
    )
    return _context(arrays, scalings, controls)


def _context(
    arrays: ModelArrays, scalings: Scalings, controls: Float[Array, "time control"]
) -> DesignContext:
    """:func:`design_context` with the controls already scaled."""
    t = time_index(arrays.dates, start=scalings.start, end=scalings.end)
    return DesignContext(
        dates=arrays.dates,
        t=jax.device_put(np.asarray(t, dtype=np.dtype(arrays.kpi.dtype))),  # no compile
        controls=controls,
        events=arrays.events,
        control_names=arrays.control_names,
        event_names=arrays.event_names,
    )


def build_design(
    dataset: MMMDataSet | ModelArrays,
    *,
    media: MediaSpec | Mapping[str, MediaSpec] | None = None,
    baseline: Sequence[AbstractBaseline] | None = None,
    scalings: Scalings | None = None,
    scaling: ScalingSpec | None = None,
) -> Design:
    """Turn a dataset and feature specs into the scaled arrays of a model.

    Args:
        dataset: the validated dataset (or its :meth:`MMMDataSet.to_arrays`).
        media: media specs (see :func:`resolve_media_specs`); only their ``input`` matters
            here.
        baseline: baseline specs; ``None`` gives :func:`default_baseline`. Names must be
            unique.
        scalings: factors from a training design, to scale held-out or future periods the
            same way; ``None`` fits them on ``dataset`` (the training window).
        scaling: which scalers to fit when ``scalings`` is ``None`` (``None``: the
            defaults, :class:`ScalingSpec()`).

    Returns:
        The :class:`Design`.

    Raises:
        ValueError: for specs that do not fit the dataset (missing exposures, duplicate
            baseline names, a scaling fitted on different channels or controls).

    Examples:
        >>> from mmm.datasets import load_example
        >>> design = build_design(load_example("pymc_marketing"))
        >>> design.media.shape, [m.shape for m in design.baseline]
        ((179, 2), [(179, 1), (179, 1), (179, 4), (179, 2)])
    """
    arrays = dataset.to_arrays() if isinstance(dataset, MMMDataSet) else dataset
    specs = resolve_media_specs(arrays.channels, media)
    baseline = tuple(baseline) if baseline is not None else default_baseline(arrays)
    names = [b.name for b in baseline]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"baseline spec names must be unique; repeated: {duplicated}")
    inputs = media_inputs(arrays, specs)
    if scalings is None:
        scalings = Scalings.fit(arrays, inputs, scaling)
    elif scalings.media.scale.shape != (len(arrays.channels),):
        raise ValueError(
            f"scalings were fitted on {scalings.media.scale.shape[0]} channels, the data have "
            f"{len(arrays.channels)}: use the training design's scalings on the same channels"
        )
    kpi, scaled_inputs, controls, organic = _scaled(
        (scalings.kpi, scalings.media, scalings.controls, scalings.organic),
        (arrays.kpi, inputs, arrays.controls, arrays.organic),
    )
    context = _context(arrays, scalings, controls)
    return Design(
        kpi=kpi,
        media=scaled_inputs,
        spend=arrays.spend,
        organic=organic,
        baseline=tuple(spec.features(context) for spec in baseline),
        scalings=scalings,
        dates=arrays.dates,
        channels=arrays.channels,
        organic_names=arrays.organic_names,
        baseline_labels=tuple(spec.labels(context) for spec in baseline),
    )


@eqx.filter_jit
def _scaled(scalers: tuple[object, ...], values: tuple[Array, ...]) -> tuple[Array, ...]:
    """Each of ``values`` through its scaler's ``transform`` (``None``: as it is).

    One program for the KPI, media inputs, controls and organic series: eagerly each
    transform compiles small programs of its own on a cold start. The scalers' arrays and
    the values are its arguments (no dates), so data of the same shapes reuse it.
    """
    return tuple(
        x if scaler is None else scaler.transform(x)  # type: ignore[attr-defined]
        for scaler, x in zip(scalers, values, strict=True)
    )
