"""Per-draw totals of a fit (media, organic, baseline, fitted mean) and prior draws.

These are the few numbers the diagnostics layer needs from a fit's parameters without a
full decomposition: each channel's contribution over the training window (for ROI), the
baseline per period (everything that is not media or organic), and the fitted mean. The
draws are evaluated by ``jax.vmap`` over chunks of ``chunk_size`` draws, so memory is
``chunk_size x time x channel``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float
from numpyro.infer import Predictive

from mmm.features import Design
from mmm.modeling._compile import jit_in_mode
from mmm.modeling._fitted import FittedMMM
from mmm.modeling._model import components, latent_sites, mmm_model
from mmm.modeling._spec import ModelSpec

__all__ = ["DrawTotals", "draw_totals", "totals_of", "prior_samples", "roi_draws"]


class DrawTotals(NamedTuple):
    """Per-draw totals over a design, in the KPI's own units.

    Attributes:
        media: each paid channel's contribution summed over the window, ``(draw, channel)``.
        organic: each organic series' contribution summed over it, ``(draw, organic)``.
        baseline: the baseline per period (intercept, trend, seasonality, controls,
            events: every component that is neither media nor organic), ``(draw, time)``.
        mean: the fitted mean ``mu`` per period, ``(draw, time)``.
        spend: spend per channel summed over the window, ``(channel,)`` (money units).
        value_per_kpi: the money value of one KPI unit (the spec's
            :attr:`~mmm.modeling.ModelSpec.value_per_kpi`), for :func:`roi_draws`.
    """

    media: Float[np.ndarray, "draw channel"]
    organic: Float[np.ndarray, "draw organic"]
    baseline: Float[np.ndarray, "draw time"]
    mean: Float[np.ndarray, "draw time"]
    spend: Float[np.ndarray, " channel"]
    value_per_kpi: float = 1.0


@jit_in_mode
def _totals_chunk(
    spec: ModelSpec, design: Design, params: dict[str, Array]
) -> tuple[Array, Array, Array, Array]:
    scale = design.scalings.kpi.scale

    def one(p: dict[str, Array]) -> tuple[Array, Array, Array, Array]:
        parts = components(spec, p, design)
        baseline = jnp.zeros_like(design.kpi)
        for b in parts.baseline:
            baseline = baseline + b
        return (
            parts.media.sum(axis=0) * scale,
            parts.organic.sum(axis=0) * scale,
            baseline * scale,
            parts.total() * scale,
        )

    return jax.vmap(one)(params)


def totals_of(
    spec: ModelSpec,
    samples: Mapping[str, np.ndarray],
    design: Design,
    chunk_size: int = 1000,
) -> DrawTotals:
    """:class:`DrawTotals` of flat draws ``samples`` (each ``(draw, ...)``) on ``design``.

    ``design`` is the training design (its whole span is the window).
    """
    n = next(iter(samples.values())).shape[0]
    pieces = [
        [
            np.asarray(a)
            for a in _totals_chunk(
                spec, design, {k: jax.device_put(v[i : i + chunk_size]) for k, v in samples.items()}
            )
        ]
        for i in range(0, n, chunk_size)
    ]
    media, organic, baseline, mean = (np.concatenate(p, axis=0) for p in zip(*pieces, strict=True))
    spend = np.asarray(design.spend).sum(axis=0)
    return DrawTotals(
        media=media,
        organic=organic,
        baseline=baseline,
        mean=mean,
        spend=spend,
        value_per_kpi=spec.value_per_kpi,
    )


def draw_totals(fitted: FittedMMM, chunk_size: int = 1000) -> DrawTotals:
    """:class:`DrawTotals` of a fit's posterior draws (chains merged) on its training data."""
    return totals_of(fitted.spec, fitted.flat_samples(), fitted.design, chunk_size)


def roi_draws(totals: DrawTotals) -> Float[np.ndarray, "draw channel"]:
    """ROI per draw and channel: ``value_per_kpi * contribution / spend`` over the window.

    Money per money (KPI units per money when ``value_per_kpi`` is 1 and the KPI is not
    money). The contribution is the channel's modeled KPI in the window itself (carry-over past the
    window's end is not counted). A channel with no spend in the window gets NaN.
    """
    spend = totals.spend.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = totals.media / np.where(spend > 0, spend, 1.0)
    return np.where(spend > 0, totals.value_per_kpi * ratio, np.nan)


def prior_samples(
    spec: ModelSpec, design: Design, draws: int = 1000, seed: int = 0
) -> dict[str, np.ndarray]:
    """Draws from the prior of every latent and deterministic site, each ``(draw, ...)``.

    Args:
        spec: the model spec.
        design: the design the model is evaluated on (deterministic sites depend on it).
        draws: number of prior draws.
        seed: PRNG seed.
    """
    latent, deterministic = latent_sites(spec, design)
    drawn = _prior_program(
        spec, design, jax.random.PRNGKey(seed), draws, tuple(latent + deterministic)
    )
    return {k: np.asarray(v) for k, v in drawn.items()}


@jit_in_mode
def _prior_program(
    spec: ModelSpec, design: Design, key: Array, draws: int, sites: tuple[str, ...]
) -> dict[str, Array]:
    """Prior draws in one compiled program (module level: compiled once per structure)."""
    predictive = Predictive(mmm_model, num_samples=draws, return_sites=list(sites))
    return predictive(key, spec, design, None)
