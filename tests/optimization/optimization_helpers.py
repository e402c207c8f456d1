"""Fits made of chosen draws (no sampler), so the optimizer's answers are known exactly.

A module with a unique name (not ``conftest``: several test folders have one, and
``from conftest import`` would pick whichever was imported first).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Mapping

import numpy as np

from mmm.config import DataContractWarning
from mmm.datasets import simulate
from mmm.features import GeometricAdstock, MediaSpec, MichaelisMentenSaturation
from mmm.modeling import CoefficientEffect, FittedMMM, ModelSpec, prior_fit

FitFactory = Callable[..., FittedMMM]


def make_fit(
    n_weeks: int = 104,
    n_channels: int = 3,
    draws: int = 100,
    *,
    media: MediaSpec | None = None,
    coefficient: bool = False,
    overrides: Mapping[str, np.ndarray] | None = None,
    seed: int = 0,
) -> FittedMMM:
    """A ``FittedMMM`` whose draws are prior draws, with ``overrides`` replacing sites.

    ``overrides`` maps a site name to a ``(channel,)`` value (the same in every draw) or a
    ``(draw, channel)`` array.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataContractWarning)
        ds, _ = simulate(n_weeks=n_weeks, n_channels=n_channels, seed=seed)
    spec = ModelSpec.default(ds, media=media, effect=CoefficientEffect() if coefficient else None)
    fit = prior_fit(spec, ds, draws=draws, seed=seed)
    samples = dict(fit.samples)  # each (1, draw, ...)
    for site, value in (overrides or {}).items():
        value = np.asarray(value, np.float32)
        samples[site] = np.broadcast_to(value, samples[site].shape).copy()
    return dataclasses.replace(fit, samples=samples)


def michaelis_menten_fit(
    n_channels: int = 4, draws: int = 50, *, seed: int = 0, vary: bool = False
) -> tuple[FittedMMM, np.ndarray, np.ndarray]:
    """A fit whose steady response per channel is ``A_c s / (K_c + s)`` (no carry-over).

    Geometric adstock with one lag (no carry-over) and Michaelis-Menten saturation with a
    sampled coefficient; every draw is the same unless ``vary``. Returns the fit and, for
    the common draw, ``A`` (KPI units) and ``K`` (money per period) per channel.
    """
    rng = np.random.default_rng(seed)
    k = rng.uniform(0.2, 1.5, n_channels)
    coef = rng.uniform(0.05, 0.4, n_channels)
    if vary:
        k = k * rng.lognormal(0.0, 0.2, (draws, n_channels))
        coef = coef * rng.lognormal(0.0, 0.3, (draws, n_channels))
    fit = make_fit(
        104,
        n_channels,
        draws,
        media=MediaSpec(adstock=GeometricAdstock(l_max=1), saturation=MichaelisMentenSaturation()),
        coefficient=True,
        overrides={"media/saturation/k": k, "media/coef": coef},
        seed=seed,
    )
    per_spend = np.asarray(fit.design.media, np.float64).sum(0) / np.asarray(
        fit.design.spend, np.float64
    ).sum(0)
    scale = float(fit.design.scalings.kpi.scale)
    big_a = np.asarray(coef, np.float64) * scale
    big_k = np.asarray(k, np.float64) / per_spend
    return fit, big_a, big_k


def analytic_mm_optimum(
    a: np.ndarray,
    k: np.ndarray,
    budget: float,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
) -> np.ndarray:
    """Maximizer of ``sum a s / (k + s)`` with ``sum s = budget`` and box bounds.

    Marginal return ``a k / (k + s)^2 = mu`` gives ``s = sqrt(a k / mu) - k``, clipped to
    the bounds; ``mu`` by bisection (in log space) so the budget is met.
    """
    lower = np.zeros_like(a) if lower is None else lower
    upper = np.full_like(a, np.inf) if upper is None else upper

    def spend(mu: float) -> np.ndarray:
        return np.clip(np.sqrt(a * k / mu) - k, lower, upper)

    lo, hi = 1e-30, 1e30
    for _ in range(400):
        mid = np.sqrt(lo * hi)
        if spend(mid).sum() > budget:
            lo = mid
        else:
            hi = mid
    return spend(np.sqrt(lo * hi))
