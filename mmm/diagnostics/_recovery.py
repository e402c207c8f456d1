r"""``recovery_check``: can this model, on this design, recover effects that are known?

A parameter-recovery check as a user tool: take the user's own data (dates, spend
patterns, controls, events) and model spec, choose true parameters, simulate a KPI from
the model itself, fit the model to it, and compare what the fit says with the truth. A
model that cannot recover its own parameters on the user's design (collinear channels,
too little variation in spend, priors that dominate) will not recover the real ones.

The truth is a dict of constrained latent site values (as
:func:`mmm.modeling.latent_sites` names them), given or drawn from the spec's prior
(:func:`mmm.modeling.prior_samples` on ``design_for(spec, ds_like)``). The KPI is
simulated from the spec's likelihood around the true expected KPI ``mu`` (scaled units),
then mapped to KPI units with the scaling of ``ds_like``'s design:

.. math:: y_t = s_y \, \tilde y_t, \qquad \tilde y_t \sim p(\cdot \mid \mu_t(\theta), \theta).

A candidate is *plausible* when the simulated KPI is positive in every period and paid
media explain a share of the expected KPI within ``media_share_range`` (default 5% to
60%). Prior candidates are drawn deterministically from ``seed`` and tried in order; the
first plausible one is used (the noise is drawn per candidate, so an explicit truth is
retried with fresh noise only). True ROI and contributions come from the same pure
:func:`mmm.modeling.components` / :func:`mmm.modeling.totals_of` with the true
parameters: ROI is the in-window contribution over the in-window spend, as
:func:`mmm.modeling.roi_draws`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import polars as pl
from jaxtyping import Array, Float

from mmm.data import MMMDataSet
from mmm.features import Design
from mmm.modeling import (
    FittedMMM,
    Method,
    ModelSpec,
    components,
    design_for,
    draw_totals,
    fit,
    latent_sites,
    mmm_model,
    model_sites,
    prior_samples,
    roi_draws,
    totals_of,
)

__all__ = ["Recovery", "recovery_check", "DEFAULT_MEDIA_SHARE_RANGE"]

DEFAULT_MEDIA_SHARE_RANGE = (0.05, 0.6)
"""Plausible share of the expected KPI explained by paid media for a prior-drawn truth."""


@dataclasses.dataclass(frozen=True, eq=False)
class Recovery:
    """What a fit on simulated data recovered of the known truth.

    Attributes:
        truth: the true value of every latent site (constrained), ``site -> array``.
        channels: one row per channel: ``channel``, ``true_roi``, ``roi_mean``,
            ``roi_lower``, ``roi_upper`` (central ``level`` interval), ``covered``,
            ``roi_relative_error`` (``(mean - true) / true``), ``true_contribution`` and
            ``contribution_mean`` (window totals, KPI units),
            ``contribution_relative_error``, ``contribution_correlation`` (Pearson, of
            the per-period posterior mean and true series) and ``contribution_wape``
            (``sum |mean - true| / sum |true|`` over the periods).
        true_contributions: true contribution per period and channel, KPI units.
        contributions: posterior mean contribution per period and channel, KPI units.
        fitted: the fit on the simulated data.
        dataset: the simulated data (``ds_like`` with its KPI column replaced).
        level: the interval level.
        attempts: candidates tried until a plausible one was found (1: the first).
    """

    truth: Mapping[str, np.ndarray]
    channels: pl.DataFrame
    true_contributions: Float[np.ndarray, "time channel"]
    contributions: Float[np.ndarray, "time channel"]
    fitted: FittedMMM
    dataset: MMMDataSet
    level: float
    attempts: int

    @property
    def coverage(self) -> float:
        """Share of the channels whose ROI interval covers the true ROI."""
        return float(self.channels["covered"].mean())  # type: ignore[arg-type]

    def to_frame(self) -> pl.DataFrame:
        """The per-channel table (:attr:`channels`)."""
        return self.channels

    def __str__(self) -> str:
        pct = round(100 * self.level)
        n = self.channels.height
        covered = int(self.channels["covered"].sum())
        info = self.fitted.info
        lines = [
            f"Parameter recovery ({info.method.upper()}, {self.fitted.n_chains} chain(s) x "
            f"{self.fitted.n_draws} draws): the {pct}% ROI intervals cover the truth for "
            f"{covered} of {n} channel(s)",
            f"   {'channel':<14} {'true ROI':>9} {'mean':>8}  {f'{pct}% interval':<20}"
            f" {'ROI err':>8} {'contrib err':>11} {'corr':>5} {'WAPE':>6}",
        ]
        for r in self.channels.iter_rows(named=True):
            interval = f"[{r['roi_lower']:.3g}, {r['roi_upper']:.3g}]"
            mark = " " if r["covered"] else "!"
            lines.append(
                f" {mark} {r['channel']:<14} {r['true_roi']:9.3g} {r['roi_mean']:8.3g}  "
                f"{interval:<20} {r['roi_relative_error']:+8.1%} "
                f"{r['contribution_relative_error']:+11.1%} "
                f"{r['contribution_correlation']:5.2f} {r['contribution_wape']:6.1%}"
            )
        if covered < n:
            lines.append("  (! the interval misses the true ROI)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # notebooks
        return f"<pre>{self!s}</pre>"


# --- validation -------------------------------------------------------------------------------


def _check_options(
    spec: object,
    ds_like: object,
    seed: object,
    level: object,
    max_tries: object,
    media_share_range: object,
) -> tuple[float, float]:
    if not isinstance(spec, ModelSpec):
        raise ValueError(f"spec is a {type(spec).__name__}: pass a ModelSpec")
    if not isinstance(ds_like, MMMDataSet):
        raise ValueError(f"ds_like is a {type(ds_like).__name__}: pass an MMMDataSet")
    for name, value, minimum in (("seed", seed, 0), ("max_tries", max_tries, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name}={value!r} is not valid: pass an int >= {minimum}")
    if not isinstance(level, float | int) or isinstance(level, bool) or not 0 < level < 1:
        raise ValueError(f"level={level!r} is not valid: pass a float in (0, 1), e.g. 0.9")
    try:
        lo, hi = (float(v) for v in media_share_range)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ValueError(
            f"media_share_range={media_share_range!r} is not valid: pass (low, high)"
        ) from None
    if not 0 <= lo < hi <= 1:
        raise ValueError(
            f"media_share_range={media_share_range!r} is not valid: pass 0 <= low < high <= 1"
        )
    return lo, hi


def _check_truth(
    truth: Mapping[str, Any], spec: ModelSpec, design: Design, latent: list[str]
) -> dict[str, np.ndarray]:
    """The given truth as arrays, validated against the model's latent sites."""
    if not isinstance(truth, Mapping):
        raise ValueError(f"truth is a {type(truth).__name__}: pass a dict site -> value")
    unknown = sorted(set(truth) - set(latent))
    if unknown:
        raise ValueError(
            f"truth names unknown site(s) {unknown}: the model's latent sites are {latent} "
            "(deterministic sites such as media/coef are implied by them)"
        )
    shapes = {name: s.shape for name, s in model_sites(spec, design).items()}
    values: dict[str, np.ndarray] = {}
    for name, value in truth.items():
        array = np.asarray(value)
        if array.shape != shapes[name] or not np.issubdtype(array.dtype, np.number):
            raise ValueError(
                f"truth[{name!r}] has shape {array.shape} (dtype {array.dtype}): pass numbers "
                f"of shape {shapes[name]}"
            )
        if not np.all(np.isfinite(array)):
            raise ValueError(f"truth[{name!r}] = {array!r} is not finite")
        values[name] = array
    # Every given value must lie in its prior's support (the latent sites' priors are the
    # specs' own, independent of the other sites' values).
    seeded = numpyro.handlers.seed(mmm_model, jax.random.PRNGKey(0))
    trace = numpyro.handlers.trace(seeded).get_trace(spec, design, None)
    for name, array in values.items():
        prior = trace[name]["fn"]
        if not bool(jnp.all(prior.support(jnp.asarray(array, dtype=design.kpi.dtype)))):
            base = prior
            while hasattr(base, "base_dist"):  # Independent / Expanded wrappers
                base = base.base_dist
            raise ValueError(
                f"truth[{name!r}] = {array.tolist()!r} lies outside the support of its "
                f"{type(base).__name__} prior: pass a value the prior allows"
            )
    return values


# --- simulation -------------------------------------------------------------------------------


def _candidates(
    spec: ModelSpec,
    design: Design,
    latent: list[str],
    given: Mapping[str, np.ndarray],
    n: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """``n`` candidate truths ``(n, ...)``: the given sites fixed, the rest from the prior."""
    drawn: Mapping[str, np.ndarray] = {}
    if set(given) != set(latent):
        drawn = prior_samples(spec, design, n, seed)
    dtype = np.dtype(design.kpi.dtype)
    return {
        k: np.broadcast_to(given[k].astype(dtype), (n, *given[k].shape)).copy()
        if k in given
        else np.asarray(drawn[k])
        for k in latent
    }


def _simulated_kpi(
    spec: ModelSpec, candidates: Mapping[str, np.ndarray], mu: np.ndarray, seed: int
) -> np.ndarray:
    """One draw of the scaled KPI per candidate from the spec's likelihood, ``(n, time)``."""
    own = {
        k.split("/", 1)[1]: jnp.asarray(v) for k, v in candidates.items() if k.startswith("kpi/")
    }
    keys = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(seed), 1), mu.shape[0])

    def one(p: dict[str, Array], m: Array, key: Array) -> Array:
        return spec.likelihood.distribution(p, m).sample(key)

    return np.asarray(jax.vmap(one)(own, jnp.asarray(mu), keys), dtype=np.float64)


def _mean_media(
    spec: ModelSpec, samples: Mapping[str, np.ndarray], design: Design, chunk_size: int = 250
) -> Float[np.ndarray, "time channel"]:
    """Posterior mean of each channel's contribution per period, scaled units."""

    @jax.jit
    def chunk_sum(params: dict[str, Array]) -> Array:
        return jax.vmap(lambda p: components(spec, p, design).media)(params).sum(axis=0)

    n = next(iter(samples.values())).shape[0]
    total = np.zeros(design.media.shape, dtype=np.float64)
    for i in range(0, n, chunk_size):
        part = {k: jax.device_put(v[i : i + chunk_size]) for k, v in samples.items()}
        total += np.asarray(chunk_sum(part), dtype=np.float64)
    return total / n


def _choose(
    kpi: np.ndarray, share: np.ndarray, share_range: tuple[float, float], given_all: bool
) -> int:
    ok = np.all(kpi > 0, axis=1) & (share >= share_range[0]) & (share <= share_range[1])
    if ok.any():
        return int(np.argmax(ok))
    positive = int(np.all(kpi > 0, axis=1).sum())
    source = "the given truth with fresh noise" if given_all else "prior draws"
    raise ValueError(
        f"none of the {len(share)} candidates ({source}) gives a plausible KPI: {positive} were "
        f"positive in every period, media shares ranged {np.nanmin(share):.1%} to "
        f"{np.nanmax(share):.1%} (wanted {share_range[0]:.0%} to {share_range[1]:.0%}); pass "
        "truth= (site values), widen media_share_range, raise max_tries, or tighten the "
        "spec's priors"
    )


# --- the check --------------------------------------------------------------------------------


def _channel_table(
    spec: ModelSpec,
    true_roi: np.ndarray,
    roi: np.ndarray,
    truth_media: np.ndarray,
    mean_media: np.ndarray,
    level: float,
) -> pl.DataFrame:
    lo, hi = np.nanquantile(roi, [(1 - level) / 2, (1 + level) / 2], axis=0)
    mean = np.nanmean(roi, axis=0)
    true_total, mean_total = truth_media.sum(axis=0), mean_media.sum(axis=0)
    corr = []
    for j in range(truth_media.shape[1]):
        a, b = mean_media[:, j], truth_media[:, j]
        corr.append(float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pl.DataFrame(
            {
                "channel": list(spec.channels),
                "true_roi": true_roi,
                "roi_mean": mean,
                "roi_lower": lo,
                "roi_upper": hi,
                "covered": (lo <= true_roi) & (true_roi <= hi),
                "roi_relative_error": (mean - true_roi) / true_roi,
                "true_contribution": true_total,
                "contribution_mean": mean_total,
                "contribution_relative_error": (mean_total - true_total) / true_total,
                "contribution_correlation": np.asarray(corr, dtype=np.float64),
                "contribution_wape": np.abs(mean_media - truth_media).sum(axis=0)
                / np.abs(truth_media).sum(axis=0),
            }
        )


def recovery_check(
    spec: ModelSpec,
    ds_like: MMMDataSet,
    *,
    truth: Mapping[str, Any] | None = None,
    seed: int = 0,
    method: Method = "nuts",
    level: float = 0.9,
    max_tries: int = 200,
    media_share_range: tuple[float, float] = DEFAULT_MEDIA_SHARE_RANGE,
    **fit_kwargs: Any,
) -> Recovery:
    """Simulate a KPI from ``spec`` on ``ds_like``'s design, fit it, compare with the truth.

    Args:
        spec: the model to check (e.g. ``ModelSpec.default(ds)``).
        ds_like: the user's dataset: its dates, spend, controls and events are kept, its
            KPI is replaced by the simulated one.
        truth: constrained values of latent sites (``{"media/share": [...], ...}``, shapes
            as :func:`mmm.modeling.model_sites`); sites left out are drawn from the prior;
            ``None`` draws all of them.
        seed: seeds the prior draws, the noise and the fit: same seed, same result.
        method: the fit's method (see :func:`mmm.modeling.fit`).
        level: central interval level of the ROI coverage, in ``(0, 1)``.
        max_tries: candidate truths (prior draws, or noise draws for a complete ``truth``)
            tried in order until one is plausible.
        media_share_range: ``(low, high)`` plausible share of the expected KPI explained
            by paid media over the window.
        **fit_kwargs: passed to :func:`mmm.modeling.fit` (``chains``, ``draws``,
            ``tune``, ...).

    Returns:
        The :class:`Recovery`.

    Raises:
        ValueError: for an invalid argument; a ``truth`` with unknown sites (the message
            lists the latent sites), a wrong shape, or a value outside its prior's support;
            or when no candidate is plausible after ``max_tries``.
    """
    share_range = _check_options(spec, ds_like, seed, level, max_tries, media_share_range)
    design = design_for(spec, ds_like)
    latent, _ = latent_sites(spec, design)
    given = _check_truth(truth, spec, design, latent) if truth is not None else {}
    candidates = _candidates(spec, design, latent, given, max_tries, seed)
    totals = totals_of(spec, candidates, design)
    scale = float(design.scalings.kpi.scale)
    kpi = _simulated_kpi(spec, candidates, totals.mean / scale, seed) * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        share = totals.media.sum(axis=1) / totals.mean.sum(axis=1)
    chosen = _choose(kpi, share, share_range, set(given) == set(latent))
    true_params = {k: given[k] if k in given else candidates[k][chosen] for k in latent}
    frame = ds_like.frame.with_columns(pl.Series(ds_like.kpi_column, kpi[chosen]))
    dataset = MMMDataSet.from_frame(frame, warn=False)

    one = {k: jnp.asarray(candidates[k][chosen]) for k in latent}
    truth_media = np.asarray(components(spec, one, design).media, dtype=np.float64) * scale
    true_roi = totals.media[chosen] / np.where(totals.spend > 0, totals.spend, np.nan)

    fitted = fit(spec, dataset, method, seed=seed, **fit_kwargs)
    roi = roi_draws(draw_totals(fitted))
    fitted_scale = float(fitted.design.scalings.kpi.scale)
    mean_media = _mean_media(fitted.spec, fitted.flat_samples(), fitted.design) * fitted_scale
    table = _channel_table(spec, true_roi, roi, truth_media, mean_media, float(level))
    return Recovery(
        truth=true_params,
        channels=table,
        true_contributions=truth_media,
        contributions=mean_media,
        fitted=fitted,
        dataset=dataset,
        level=float(level),
        attempts=chosen + 1,
    )
