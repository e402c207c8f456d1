r"""MCMC convergence statistics of one scalar quantity's draws ``(chain, draw)``.

Rank-normalized split R-hat, bulk and tail effective sample size, and Monte Carlo
standard errors of the mean and of the sd, following Vehtari, Gelman, Simpson, Carpenter
and Bürkner (2021), "Rank-normalization, folding, and localization: an improved R-hat for
assessing convergence of MCMC", *Bayesian Analysis* 16(2), and computed the way arviz
computes them (the tests check agreement with ``arviz.rhat``/``ess``/``mcse`` on the same
arrays). They are written here, in numpy, so that the report can evaluate every scalar
parameter of a fit in one pass, without building xarray objects.

* split: each chain is cut into two halves, so a drifting chain looks like two chains
  that disagree;
* rank-normalized: draws are replaced by ``Phi^-1((r - 3/8) / (n + 1/4))`` of their pooled
  ranks ``r`` (Blom), so heavy tails do not hide disagreement;
* R-hat ``= sqrt(((n - 1) / n * W + B / n) / W)`` with ``W`` the mean within-chain variance
  and ``B / n`` the variance of the chain means; the reported R-hat is the larger of the
  bulk (rank-normalized) and the tail (rank-normalized ``|x - median|``) value;
* ESS ``= chains * draws / tau`` with ``tau = -1 + 2 sum_t rho_t`` summed over Geyer's
  initial monotone positive sequence of autocorrelations (FFT autocovariances).
"""

from __future__ import annotations

import numpy as np
from jaxtyping import Float
from scipy import fft, special, stats

__all__ = ["rhat", "ess_bulk", "ess_tail", "ess_mean", "mcse_mean", "mcse_sd"]

Draws = Float[np.ndarray, "chain draw"]


def _as_draws(x: np.ndarray) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"draws must be shaped (chain, draw), got shape {a.shape}")
    return a


def _split(x: np.ndarray) -> np.ndarray:
    """Each chain's first and last halves as separate chains (middle draw dropped if odd)."""
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, x.shape[1] - half :]], axis=0)


def _z_scale(x: np.ndarray) -> np.ndarray:
    """Rank-normalization: normal scores of the pooled ranks (ties averaged)."""
    ranks = stats.rankdata(x, method="average").reshape(x.shape)
    return special.ndtri((ranks - 0.375) / (x.size + 0.25))


def _rhat_basic(x: np.ndarray) -> float:
    n = x.shape[1]
    between = n * np.var(x.mean(axis=1), ddof=1)
    within = np.mean(np.var(x, axis=1, ddof=1))
    return float(np.sqrt((between / within + n - 1) / n))


def _autocovariance(x: np.ndarray) -> np.ndarray:
    """Biased autocovariance of each chain at every lag, ``(chain, draw)``, by FFT."""
    n = x.shape[1]
    m = fft.next_fast_len(2 * n)
    centred = x - x.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=m, axis=1)
    return np.fft.irfft(spectrum * np.conjugate(spectrum), n=m, axis=1)[:, :n] / n


def _ess(x: np.ndarray) -> float:
    """ESS of ``(chain, draw)`` draws (no splitting or ranking here)."""
    if not np.all(np.isfinite(x)):
        return float("nan")
    if np.max(x) - np.min(x) < np.finfo(np.float64).resolution:
        return float(x.size)  # constant: every draw is as good as independent
    chains, n = x.shape
    acov = _autocovariance(x).mean(axis=0)
    mean_var = acov[0] * n / (n - 1.0)
    var_plus = mean_var * (n - 1.0) / n
    if chains > 1:
        var_plus += np.var(x.mean(axis=1), ddof=1)
    rho = np.zeros(n)
    rho[0] = even = 1.0
    rho[1] = odd = 1.0 - (mean_var - acov[1]) / var_plus
    t = 1  # Geyer's initial positive sequence: pairs (rho[t+1], rho[t+2])
    while t < n - 3 and even + odd > 0.0:
        even = 1.0 - (mean_var - acov[t + 1]) / var_plus
        odd = 1.0 - (mean_var - acov[t + 2]) / var_plus
        if even + odd >= 0:
            rho[t + 1], rho[t + 2] = even, odd
        t += 2
    last = t - 2
    if even > 0:
        rho[last + 1] = even
    t = 1  # ... made monotone
    while t <= last - 2:
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]:
            rho[t + 1] = rho[t + 2] = (rho[t - 1] + rho[t]) / 2.0
        t += 2
    total = chains * n
    tau = -1.0 + 2.0 * rho[: last + 1].sum() + rho[last + 1 : last + 2].sum()
    tau = max(tau, 1.0 / np.log10(total))
    return float(total / tau)


def rhat(x: Draws) -> float:
    """Rank-normalized split R-hat (max of bulk and tail); NaN with fewer than 2 chains.

    Args:
        x: draws of one scalar, ``(chain, draw)``, at least 4 draws per chain.
    """
    a = _as_draws(x)
    if a.shape[0] < 2 or a.shape[1] < 4 or not np.all(np.isfinite(a)):
        return float("nan")
    split = _split(a)
    bulk = _rhat_basic(_z_scale(split))
    tail = _rhat_basic(_z_scale(np.abs(split - np.median(split))))
    return max(bulk, tail)


def ess_bulk(x: Draws) -> float:
    """Bulk effective sample size: ESS of the rank-normalized split chains."""
    a = _as_draws(x)
    if a.shape[1] < 4:
        return float("nan")
    return _ess(_z_scale(_split(a)))


def ess_tail(x: Draws, probs: tuple[float, float] = (0.05, 0.95)) -> float:
    """Tail effective sample size, on split chains.

    The smaller ESS of the indicators ``x <= q`` at the ``probs`` quantiles (5%, 95%).
    """
    a = _as_draws(x)
    if a.shape[1] < 4 or not np.all(np.isfinite(a)):
        return float("nan")
    return min(_ess(_split((a <= np.quantile(a, p)).astype(np.float64))) for p in probs)


def ess_mean(x: Draws) -> float:
    """ESS for the mean: ESS of the split chains (not rank-normalized)."""
    a = _as_draws(x)
    if a.shape[1] < 4:
        return float("nan")
    return _ess(_split(a))


def mcse_mean(x: Draws) -> float:
    """Monte Carlo standard error of the posterior mean: ``sd / sqrt(ess_mean)``."""
    a = _as_draws(x)
    return float(np.std(a, ddof=1) / np.sqrt(ess_mean(a)))


def mcse_sd(x: Draws) -> float:
    """Monte Carlo standard error of the posterior sd (delta method on the variance)."""
    a = _as_draws(x)
    squares = (a - a.mean()) ** 2
    ess = ess_mean(squares)
    variance = squares.mean()
    var_of_var = ((squares**2).mean() - variance**2) / ess
    return float(np.sqrt(var_of_var / variance / 4))
