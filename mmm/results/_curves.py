r"""Response curves (contribution as a function of spend) and adstock decay curves.

Response curve of channel ``c`` over a window ``W`` at spend multiplier ``m`` (the
window's historic spend pattern scaled by ``m``), per posterior draw:

.. math:: R_c(m) = \sum_t \big[f_c(x \odot (1 + (m - 1) 1_W)) - f_c(x \odot (1 - 1_W))\big]_t,

the incremental KPI of spending ``m`` times the window's budget (carry-over after the
window included, as :func:`mmm.results.roi_table`'s incremental ROI); ``R_c(1)`` is the
channel's incremental contribution at the current operating point and ``R_c(0) = 0``.
Absolute spend levels are multipliers ``level / historic spend``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import polars as pl
from jaxtyping import Array, Float

from mmm.features import Design
from mmm.modeling import FittedMMM, ModelSpec, components, media_groups, unit_responses
from mmm.modeling._programs import run_cached
from mmm.results._channels import carryover_periods, window_spend
from mmm.results._components import draw_chunks
from mmm.results._summary import check_level, summarize_draws
from mmm.results._windows import Window, resolve_window

__all__ = ["DEFAULT_MULTIPLIERS", "response_curves", "adstock_curves"]

DEFAULT_MULTIPLIERS: tuple[float, ...] = tuple(float(m) for m in np.linspace(0.0, 2.0, 21))
"""0, 0.1, ..., 2: from no spend to twice the historic spend."""

DateBound = dt.date | str | None


def _one_draw(
    spec: ModelSpec,
    design: Design,
    params: dict[str, Array],
    mask: Float[Array, " extended"],
    multipliers: Float[Array, "point channel"],
) -> Float[Array, "point channel"]:
    n, c = design.media.shape
    beta = components(spec, params, design).coef
    groups = media_groups(spec)
    x = jnp.concatenate([design.media, jnp.zeros((mask.shape[0] - n, c), design.media.dtype)])
    w = mask[:, None]

    def media(inputs: Array) -> Array:
        return unit_responses(groups, params, inputs) * beta[None, :]

    off = media(x * (1.0 - w)).sum(axis=0)

    def at(m: Array) -> Array:
        return media(x * (1.0 + (m[None, :] - 1.0) * w)).sum(axis=0) - off

    return jax.vmap(at)(multipliers) * design.scalings.kpi.scale


def _chunk_program(
    spec: ModelSpec,
    design: Design,
    params: dict[str, Array],
    mask: Float[Array, " extended"],
    multipliers: Float[Array, "point channel"],
) -> Float[Array, "draw point channel"]:
    return jax.vmap(lambda p: _one_draw(spec, design, p, mask, multipliers))(params)


def _chunk(*args: Any) -> Any:
    """:func:`_chunk_program` compiled, kept in the traced-program cache across processes."""
    return run_cached("curves_chunk", _chunk_program, args)


def _multipliers(
    channels: Sequence[str],
    spend: np.ndarray,
    multipliers: Sequence[float] | None,
    levels: Mapping[str, Sequence[float]] | None,
) -> np.ndarray:
    if levels is None:
        grid = np.asarray(DEFAULT_MULTIPLIERS if multipliers is None else multipliers, float)
        if grid.ndim != 1 or grid.size == 0 or np.any(grid < 0) or not np.isfinite(grid).all():
            raise ValueError(f"multipliers={multipliers!r}: pass finite floats >= 0")
        return np.repeat(grid[:, None], len(channels), axis=1)
    if multipliers is not None:
        raise ValueError("pass multipliers or spend_levels, not both")
    unknown = sorted(set(levels) - set(channels))
    lengths = {len(v) for v in levels.values()}
    if unknown or set(levels) != set(channels) or len(lengths) != 1:
        raise ValueError(
            f"spend_levels needs one equally long sequence per channel {list(channels)} "
            f"(unknown: {unknown})"
        )
    out = np.stack([np.asarray(levels[c], float) for c in channels], axis=1)
    if np.any(out < 0) or np.any(spend <= 0):
        raise ValueError("spend_levels must be >= 0, for channels with spend in the window")
    return out / spend[None, :]


def response_curves(
    fitted: FittedMMM,
    multipliers: Sequence[float] | None = None,
    *,
    spend_levels: Mapping[str, Sequence[float]] | None = None,
    window: Window | tuple[DateBound, DateBound] | None = None,
    level: float = 0.9,
    chunk_size: int = 500,
) -> pl.DataFrame:
    """Posterior response curves per channel (see the module docstring).

    Args:
        fitted: the fit.
        multipliers: multiples of the window's historic spend (default 0 to 2 by 0.1).
        spend_levels: instead, absolute spend totals over the window per channel (one
            equally long sequence per channel).
        window: the training periods whose spend is scaled (``None``: all).
        level: central interval level.
        chunk_size: draws per compiled call.

    Returns:
        ``channel, multiplier, spend, mean, median, lower, upper, current`` (``current``
        marks the historic operating point, multiplier 1, when on the grid).
    """
    check_level(level)
    spec, design = fitted.spec, fitted.design
    resolved = resolve_window(list(fitted.dataset.dates), window)
    spend = window_spend(fitted, resolved)
    grid = _multipliers(spec.channels, spend, multipliers, spend_levels)
    extended = design.media.shape[0] + carryover_periods(spec)
    mask = jnp.asarray(resolved.mask(extended), design.media.dtype)
    samples = fitted.flat_samples()
    n = next(iter(samples.values())).shape[0]
    curves = np.empty((n, *grid.shape))
    for start, params in draw_chunks(samples, chunk_size):
        block = np.asarray(
            _chunk(spec, design, params, mask, jnp.asarray(grid, design.media.dtype)), float
        )
        stop = min(start + block.shape[0], n)
        curves[start:stop] = block[: stop - start]
    stats = summarize_draws(curves, level)
    points = grid.shape[0]
    return pl.DataFrame(
        {
            "channel": [c for c in spec.channels for _ in range(points)],
            "multiplier": grid.T.reshape(-1),
            "spend": (grid * spend[None, :]).T.reshape(-1),
            **{k: v.T.reshape(-1) for k, v in stats.items()},
            "current": np.isclose(grid.T.reshape(-1), 1.0),
        }
    )


def adstock_curves(fitted: FittedMMM, level: float = 0.9) -> pl.DataFrame:
    """Per channel and lag the adstock weight with its posterior interval.

    Columns ``channel, lag, mean, median, lower, upper``; ``lag`` 0 is the period of the
    spend.
    """
    check_level(level)
    samples = fitted.flat_samples()
    frames = []
    for group in media_groups(fitted.spec):
        prefix = f"{group.prefix}/adstock/"
        params = {
            k[len(prefix) :]: jax.device_put(v) for k, v in samples.items() if k.startswith(prefix)
        }
        weights = np.asarray(
            jax.vmap(jax.vmap(group.spec.adstock.weights))(params)
            if params
            else jnp.broadcast_to(
                group.spec.adstock.weights({}), (1, len(group.channels), group.spec.adstock.l_max)
            ),
            dtype=np.float64,
        )  # (draw, channel, lag)
        stats = summarize_draws(weights, level)
        lags = weights.shape[2]
        for j, channel in enumerate(group.channels):
            frames.append(
                pl.DataFrame(
                    {
                        "channel": [channel] * lags,
                        "lag": np.arange(lags),
                        **{k: v[j] for k, v in stats.items()},
                    }
                )
            )
    order = {c: i for i, c in enumerate(fitted.spec.channels)}
    return pl.concat(frames).sort(pl.col("channel").replace_strict(order), "lag")
