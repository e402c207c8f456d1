"""Synthetic weekly MMM data with known ground truth."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import get_args

import jax
import jax.numpy as jnp
import numpy as np
import polars as pl
from jaxtyping import Array, Float

from mmm.data import MMMDataSet
from mmm.datasets._baseline import draw_baseline
from mmm.datasets._spend import channel_names, draw_spend
from mmm.datasets._truth import AdstockFamily, ChannelTruth, SaturationFamily, SimulationTruth
from mmm.features import adstock as adstock_fns
from mmm.features import saturation as saturation_fns

__all__ = ["simulate", "simulate_frame"]

L_MAX = 8
"""Adstock lags of the simulated channels."""
NORMALIZE = True
"""Simulated adstock weights sum to one, so adstocked scaled spend stays in ``[0, 1]``."""
_KPI_COLUMN = "kpi__revenue"
_ROI_RANGE = (1.5, 3.0)  # overall media ROI, drawn uniformly
_RELATIVE_ROI_RANGE = (0.5, 4.0)  # per-channel ROI multiplier, drawn log-uniformly


def _check_int(name: str, value: object, lo: int, hi: int | None = None) -> None:
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if ok and value >= lo and (hi is None or value <= hi):  # type: ignore[operator]
        return
    allowed = f"an int in [{lo}, {hi}]" if hi is not None else f"an int >= {lo}"
    raise ValueError(f"{name}={value!r} is not valid: pass {allowed}")


def _check_args(
    n_weeks: object,
    n_channels: object,
    seed: object,
    adstock: object,
    saturation: object,
    noise: object,
    n_controls: object,
    n_events: object,
    media_share: object,
    start_date: object,
) -> None:
    _check_int("n_weeks", n_weeks, 52)
    _check_int("n_channels", n_channels, 1, 50)
    _check_int("seed", seed, 0)
    _check_int("n_controls", n_controls, 0, 20)
    _check_int("n_events", n_events, 0, 20)
    for name, value, family in (
        ("adstock", adstock, AdstockFamily),
        ("saturation", saturation, SaturationFamily),
    ):
        if value not in get_args(family):
            raise ValueError(f"{name}={value!r} is not valid: choose one of {get_args(family)}")
    if not isinstance(noise, int | float) or isinstance(noise, bool) or not 0 <= noise < np.inf:
        raise ValueError(f"noise={noise!r} is not valid: pass a finite float >= 0")
    if (
        not isinstance(media_share, int | float)
        or isinstance(media_share, bool)
        or not 0 < media_share < 1
    ):
        raise ValueError(f"media_share={media_share!r} is not valid: pass a float in (0, 1)")
    if not isinstance(start_date, dt.date) or isinstance(start_date, dt.datetime):
        raise ValueError(f"start_date={start_date!r} is not valid: pass a datetime.date")
    if start_date.weekday() != 0:
        monday = start_date - dt.timedelta(days=start_date.weekday())
        raise ValueError(
            f"start_date={start_date} is a {start_date:%A}: weeks start on Mondays, "
            f"pass e.g. {monday}"
        )


def _unit_response(
    x: Float[Array, "channel time"],
    adstock: AdstockFamily,
    adstock_params: dict[str, Float[Array, " channel"]],
    saturation: SaturationFamily,
    saturation_params: dict[str, Float[Array, " channel"]],
) -> Float[Array, "channel time"]:
    """``saturation(adstock(x))`` per channel, with the library kernels vmapped over channels."""
    adstock_fn: Callable[..., Float[Array, " time"]] = getattr(adstock_fns, adstock)
    saturation_fn: Callable[..., Float[Array, " time"]] = getattr(saturation_fns, saturation)

    def one(series: Float[Array, " time"], a: dict[str, Array], s: dict[str, Array]) -> Array:
        carried = adstock_fn(series, **a, l_max=L_MAX, normalize=NORMALIZE)
        return saturation_fn(carried, **s)

    return jax.vmap(one)(x, adstock_params, saturation_params)


def simulate_frame(
    n_weeks: int = 156,
    n_channels: int = 5,
    seed: int = 0,
    *,
    adstock: AdstockFamily = "geometric",
    saturation: SaturationFamily = "hill",
    noise: float = 0.05,
    correlated_channels: bool = False,
    off_channel: bool = True,
    n_controls: int = 2,
    n_events: int = 1,
    media_share: float = 0.3,
    start_date: dt.date = dt.date(2021, 1, 4),
) -> tuple[pl.DataFrame, SimulationTruth]:
    """Like :func:`simulate`, but return the raw polars frame instead of a dataset.

    The frame has the columns ``date, kpi__revenue, spend__<channel>..., control__<name>...,
    event__<name>...`` and is not validated; see :func:`simulate` for the arguments.

    Returns:
        The frame and the ground truth.

    Raises:
        ValueError: naming the argument, if an argument is out of range, or if the drawn
            KPI is not positive in every week (lower ``noise`` or ``media_share``).
    """
    _check_args(
        n_weeks,
        n_channels,
        seed,
        adstock,
        saturation,
        noise,
        n_controls,
        n_events,
        media_share,
        start_date,
    )
    rng_spend, rng_params, rng_base, rng_noise = np.random.default_rng(seed).spawn(4)
    dates = [start_date + dt.timedelta(weeks=t) for t in range(n_weeks)]
    day_of_year = np.array([d.timetuple().tm_yday for d in dates])
    channels = channel_names(n_channels)

    drawn = draw_spend(
        rng_spend,
        day_of_year,
        n_channels,
        correlated=correlated_channels,
        off_channel=off_channel,
    )
    spend = drawn.spend
    scale = spend.max(axis=0)

    # Draw every family's parameters so that switching one family keeps the others.
    alpha = rng_params.uniform(0.1, 0.7, n_channels)
    theta = rng_params.uniform(0.0, 3.0, n_channels)
    k = rng_params.uniform(0.3, 0.9, n_channels)
    s = rng_params.uniform(0.8, 2.5, n_channels)
    lam = rng_params.uniform(1.0, 4.0, n_channels)
    roi_level = rng_params.uniform(*_ROI_RANGE)
    lo, hi = np.log(_RELATIVE_ROI_RANGE[0]), np.log(_RELATIVE_ROI_RANGE[1])
    relative_roi = np.exp(rng_params.uniform(lo, hi, n_channels))

    adstock_params = (
        {"alpha": alpha} if adstock == "geometric" else {"alpha": alpha, "theta": theta}
    )
    saturation_params = {"k": k, "s": s} if saturation == "hill" else {"lam": lam}
    unit = np.asarray(
        _unit_response(
            jnp.asarray(spend.T / scale[:, None]),
            adstock,
            {n: jnp.asarray(v) for n, v in adstock_params.items()},
            saturation,
            {n: jnp.asarray(v) for n, v in saturation_params.items()},
        ),
        dtype=np.float64,
    ).T

    # Scale: total media = roi_level * total spend, and media / (media + rest) = media_share.
    base = draw_baseline(rng_base, dates, day_of_year, n_controls=n_controls, n_events=n_events)
    media_total = roi_level * spend.sum()
    level = media_total * (1.0 - media_share) / (media_share * base.shape.sum())
    weights = spend.sum(axis=0) * relative_roi
    beta = media_total * weights / weights.sum() / unit.sum(axis=0)
    media = unit * beta

    components = base.components(level)
    kpi_clean = media.sum(axis=1) + np.sum(list(components.values()), axis=0)
    noise_sd = float(noise * kpi_clean.mean())
    components["noise"] = noise_sd * rng_noise.standard_normal(n_weeks)
    kpi = media.sum(axis=1) + np.sum(list(components.values()), axis=0)
    if not np.all(kpi > 0):
        raise ValueError(
            f"noise={noise} with media_share={media_share} and seed={seed} drives the KPI to "
            f"{kpi.min():.4g} <= 0 in some week: lower noise or media_share"
        )

    frame = pl.DataFrame(
        {
            "date": dates,
            _KPI_COLUMN: kpi,
            **{f"spend__{c}": spend[:, i] for i, c in enumerate(channels)},
            **{f"control__{n}": v for n, v in base.controls.items()},
            **{f"event__{n}": v for n, v in base.events.items()},
        },
        schema_overrides={"date": pl.Date},
    )
    contributions = pl.DataFrame(
        {
            "date": dates,
            **{c: media[:, i] for i, c in enumerate(channels)},
            **components,
        },
        schema_overrides={"date": pl.Date},
    )
    truth = SimulationTruth(
        channels=channels,
        params={
            c: ChannelTruth(
                adstock=adstock,
                adstock_params={n: float(v[i]) for n, v in adstock_params.items()},
                l_max=L_MAX,
                normalize=NORMALIZE,
                saturation=saturation,
                saturation_params={n: float(v[i]) for n, v in saturation_params.items()},
                spend_scale=float(scale[i]),
                beta=float(beta[i]),
            )
            for i, c in enumerate(channels)
        },
        contributions=contributions,
        roi={c: float(media[:, i].sum() / spend[:, i].sum()) for i, c in enumerate(channels)},
        control_coefficients={n: float(level * g) for n, g in base.gamma.items()},
        control_centers={n: float(v.mean()) for n, v in base.controls.items()},
        event_effects={n: float(level * e) for n, e in base.event_effects.items()},
        noise_sd=noise_sd,
        media_share=float(media.sum() / kpi_clean.sum()),
        off_channel=channels[drawn.off_channel] if drawn.off_channel is not None else None,
        off_window=(
            (dates[drawn.off_weeks[0]], dates[drawn.off_weeks[1] - 1])
            if drawn.off_weeks is not None
            else None
        ),
    )
    return frame, truth


def simulate(
    n_weeks: int = 156,
    n_channels: int = 5,
    seed: int = 0,
    *,
    adstock: AdstockFamily = "geometric",
    saturation: SaturationFamily = "hill",
    noise: float = 0.05,
    correlated_channels: bool = False,
    off_channel: bool = True,
    n_controls: int = 2,
    n_events: int = 1,
    media_share: float = 0.3,
    start_date: dt.date = dt.date(2021, 1, 4),
) -> tuple[MMMDataSet, SimulationTruth]:
    r"""Simulate weekly MMM data whose true media effects are known.

    Spend: per channel a log-uniform base level between 5e3 and 5e5 per week, yearly
    modulation, log-normal AR(1) variation, on/off flighting for some channels and zero
    weeks; optionally a shared latent factor (``correlated_channels``) and one channel off
    for 12-26 contiguous weeks (``off_channel``). Every channel spends in some week.

    Media: per channel, with :mod:`mmm.features` vmapped over channels,

    .. math:: c_t = \beta \, \mathrm{saturation}\big(\mathrm{adstock}(
        \mathrm{spend}_t / \mathrm{spend\_scale})\big),

    ``spend_scale`` the channel's maximum weekly spend, ``l_max = 8``, normalized adstock
    weights; geometric ``alpha ~ U(0.1, 0.7)`` (delayed: also ``theta ~ U(0, 3)``), hill
    ``k ~ U(0.3, 0.9)``, ``s ~ U(0.8, 2.5)``, logistic ``lam ~ U(1, 4)``. The betas give an
    overall ROI ``~ U(1.5, 3)`` with per-channel ROIs differing up to 8x.

    KPI (``kpi__revenue``): intercept + linear trend + yearly Fourier seasonality (order 2)
    + controls + events + media + Normal noise with sd ``noise * mean(noise-free KPI)``;
    the intercept is set so that media are ``media_share`` of the noise-free KPI total.

    Parameter draws use ``numpy.random.default_rng(seed)`` (spawned into independent
    streams for spend, parameters, baseline and noise): the same arguments give the same
    data; another seed gives other data.

    Args:
        n_weeks: number of weeks, >= 52.
        n_channels: number of paid channels, 1 to 50 (``tv, search, social, display, radio,
            video, print, ooh, podcast, affiliate``, then ``channel_10``, ...).
        seed: non-negative int seed.
        adstock: adstock family, ``"geometric"`` or ``"delayed"``.
        saturation: saturation family, ``"hill"`` or ``"logistic"``.
        noise: noise sd relative to the mean noise-free KPI, >= 0.
        correlated_channels: let channel spends co-move through a shared factor.
        off_channel: switch one channel off for a contiguous stretch of weeks.
        n_controls: number of ``control__*`` columns, 0 to 20.
        n_events: number of ``event__*`` 0/1 columns, 0 to 20.
        media_share: share of media in the noise-free KPI total, in (0, 1).
        start_date: first week, a Monday.

    Returns:
        The validated dataset (``date``, ``kpi__revenue``, ``spend__<channel>``,
        ``control__<name>``, ``event__<name>``) and its :class:`SimulationTruth`.

    Raises:
        ValueError: naming the argument and the allowed values, if an argument is out of
            range, or if the drawn KPI is not positive in every week.

    Examples:
        >>> ds, truth = simulate(n_weeks=104, n_channels=3, seed=1)
        >>> ds.channels
        ['tv', 'search', 'social']
        >>> sorted(truth.roi) == sorted(truth.channels)
        True
    """
    frame, truth = simulate_frame(
        n_weeks,
        n_channels,
        seed,
        adstock=adstock,
        saturation=saturation,
        noise=noise,
        correlated_channels=correlated_channels,
        off_channel=off_channel,
        n_controls=n_controls,
        n_events=n_events,
        media_share=media_share,
        start_date=start_date,
    )
    return MMMDataSet.from_frame(frame), truth
