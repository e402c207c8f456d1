r"""``summarize``: can the draws of a fit be trusted? Per-parameter and sampler checks.

Per scalar free parameter: rank-normalized split R-hat, bulk and tail ESS, MCSE of the
mean and sd (:mod:`mmm.diagnostics._stats`). From the sampler's statistics: divergences
(count, share, and at which draws, with the parameter that separates divergent draws
from the rest most), the share of NUTS draws that hit the maximum tree depth, and the
E-BFMI of each chain,

.. math:: \mathrm{E\text{-}BFMI} = \frac{\sum_{n>1} (E_n - E_{n-1})^2}{\sum_n (E_n - \bar E)^2}.

Each check is passed, warned or failed against :class:`Thresholds`, with a sentence that
says what to do. SVI, MAP and Laplace fits have no chains: those checks are ``"n/a"`` and
the optimizer's loss trace is checked instead.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
from jaxtyping import Float, Int

from mmm.diagnostics._stats import ess_bulk, ess_tail, mcse_mean, mcse_sd, rhat
from mmm.diagnostics._thresholds import STATUS_ORDER, Check, Status, Thresholds, checks_frame
from mmm.modeling import FittedMMM, site_dims

__all__ = ["DiagnosticsReport", "summarize", "parameter_labels", "scalar_draws", "ebfmi"]

_MCMC = ("nuts", "hmc")


def parameter_labels(
    site: str,
    shape: tuple[int, ...],
    dims: Mapping[str, list[str]],
    coords: Mapping[str, Any],
) -> list[str]:
    """Labels of the scalars of ``site``: ``site``, ``site[label]`` or ``site[a,b]``.

    Args:
        site: the site name.
        shape: the site's shape beyond ``(chain, draw)``.
        dims: each site's dims, as :func:`mmm.modeling.site_dims` returns them.
        coords: the coordinate labels of each dim; an axis without a matching coordinate
            is labelled by position.
    """
    if not shape:
        return [site]
    names = dims.get(site, [])
    axes = []
    for i, size in enumerate(shape):
        coord = coords.get(names[i]) if len(names) == len(shape) else None
        if coord is not None and len(coord) == size:
            axes.append([str(c) for c in coord])
        else:
            axes.append([str(j) for j in range(size)])
    return [f"{site}[{','.join(combo)}]" for combo in itertools.product(*axes)]


def scalar_draws(
    fitted: FittedMMM, samples: Mapping[str, np.ndarray] | None = None
) -> dict[str, Float[np.ndarray, "chain draw"]]:
    """Every scalar of the free parameters (or of ``samples``), labelled, ``(chain, draw)``.

    Labels as :func:`parameter_labels`, e.g. ``media/adstock/alpha[tv]``; order: the
    sites' order, then C order within a site.
    """
    samples = fitted.free_samples() if samples is None else samples
    dims, coords = site_dims(fitted.spec, fitted.design)
    out: dict[str, np.ndarray] = {}
    for site, values in samples.items():
        v = np.asarray(values)
        flat = v.reshape(v.shape[0], v.shape[1], -1)
        for j, label in enumerate(parameter_labels(site, v.shape[2:], dims, coords)):
            out[label] = flat[:, :, j]
    return out


def ebfmi(energy: Float[np.ndarray, "chain draw"]) -> Float[np.ndarray, " chain"]:
    """E-BFMI of each chain from the Hamiltonian energy of its draws."""
    e = np.asarray(energy, dtype=np.float64)
    num = np.sum(np.diff(e, axis=1) ** 2, axis=1)
    den = np.sum((e - e.mean(axis=1, keepdims=True)) ** 2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


def _worst(statuses: list[Status]) -> Status:
    return max(statuses, key=lambda s: STATUS_ORDER[s]) if statuses else "n/a"


@dataclasses.dataclass(frozen=True)
class DiagnosticsReport:
    """Convergence diagnostics of one fit (see :func:`summarize`).

    Attributes:
        method: the fit's method.
        chains, draws: the posterior's shape.
        checks: every check, in a fixed order (R-hat, ESS bulk, ESS tail, divergences,
            tree depth, E-BFMI; or the optimizer check for SVI/MAP/Laplace).
        thresholds: the bands used.
        table: one row per scalar free parameter (see :meth:`to_frame`).
        divergent_draws: ``(n, 2)`` integer ``(chain, draw)`` of every divergent draw.
        ebfmi: E-BFMI per chain (empty without sampler statistics).
        tree_depth_share: share of draws at the maximum tree depth (NaN if unknown).
    """

    method: str
    chains: int
    draws: int
    checks: tuple[Check, ...]
    thresholds: Thresholds
    table: pl.DataFrame
    divergent_draws: Int[np.ndarray, "n 2"]
    ebfmi: Float[np.ndarray, " chain"]
    tree_depth_share: float

    @property
    def status(self) -> Status:
        """The worst status over the checks."""
        return _worst([c.status for c in self.checks])

    @property
    def passed(self) -> bool:
        """No check failed (warnings allowed: read them)."""
        return self.status != "fail"

    @property
    def rhat_max(self) -> float:
        """The largest R-hat over the free parameters (NaN with one chain)."""
        values = self.table["rhat"].to_numpy()
        return float(np.nanmax(values)) if np.any(np.isfinite(values)) else float("nan")

    @property
    def ess_bulk_min(self) -> float:
        """The smallest bulk ESS over the free parameters."""
        values = self.table["ess_bulk"].to_numpy()
        return float(np.nanmin(values)) if np.any(np.isfinite(values)) else float("nan")

    @property
    def ess_tail_min(self) -> float:
        """The smallest tail ESS over the free parameters."""
        values = self.table["ess_tail"].to_numpy()
        return float(np.nanmin(values)) if np.any(np.isfinite(values)) else float("nan")

    @property
    def divergences(self) -> int:
        """Number of divergent transitions after warm-up."""
        return int(self.divergent_draws.shape[0])

    @property
    def divergence_share(self) -> float:
        """Share of draws that diverged."""
        total = self.chains * self.draws
        return self.divergences / total if total else float("nan")

    def check(self, name: str) -> Check:
        """The check called ``name``."""
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check {name!r}: the checks are {[c.name for c in self.checks]}")

    def to_frame(self) -> pl.DataFrame:
        """The per-parameter table, one row per scalar free parameter.

        Columns: ``parameter``, ``site``, ``mean``, ``sd``, ``q05``, ``q95``,
        ``mcse_mean``, ``mcse_sd``, ``ess_bulk``, ``ess_tail``, ``rhat`` and ``status``
        (the worst of its R-hat and ESS bands).
        """
        return self.table

    def checks_frame(self) -> pl.DataFrame:
        """The checks as a frame: ``check``, ``status``, ``value``, ``threshold``, ``message``."""
        return checks_frame(self.checks)

    def __str__(self) -> str:
        head = (
            f"Convergence diagnostics: {self.status.upper()} ({self.method.upper()}, "
            f"{self.chains} chain(s) x {self.draws} draws, {self.table.height} free "
            "parameters)"
        )
        lines = [head]
        for c in self.checks:
            lines.append(f"  [{c.status:>4}] {c.name:<15} {c.message}")
        bad = self.table.filter(pl.col("status").is_in(["warn", "fail"])).sort(
            "rhat", descending=True
        )
        if bad.height:
            lines.append("  parameters outside the pass band (worst R-hat first):")
            for row in bad.head(8).iter_rows(named=True):
                lines.append(
                    f"    {row['parameter']}: R-hat {row['rhat']:.3f}, ESS bulk "
                    f"{row['ess_bulk']:.0f}, tail {row['ess_tail']:.0f}"
                )
            if bad.height > 8:
                lines.append(f"    ... and {bad.height - 8} more (report.to_frame())")
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # notebooks
        return f"<pre>{self!s}</pre>"


def _parameter_table(draws: dict[str, np.ndarray], th: Thresholds, chains: bool) -> pl.DataFrame:
    """One row per scalar.

    ``chains=False`` (an approximation's draws) leaves the MCMC columns NaN and the
    status ``"n/a"``.
    """
    rows: dict[str, list[object]] = {
        k: []
        for k in (
            "parameter",
            "site",
            "mean",
            "sd",
            "q05",
            "q95",
            "mcse_mean",
            "mcse_sd",
            "ess_bulk",
            "ess_tail",
            "rhat",
            "status",
        )
    }
    nan = float("nan")
    for label, x in draws.items():
        r, eb, et = (rhat(x), ess_bulk(x), ess_tail(x)) if chains else (nan, nan, nan)
        usable = chains and x.shape[1] >= 4
        statuses: list[Status] = []
        if np.isfinite(r):
            statuses.append("pass" if r < th.rhat else "warn" if r < th.rhat_fail else "fail")
        for e in (eb, et):
            if np.isfinite(e):
                statuses.append("pass" if e > th.ess else "warn" if e >= th.ess_fail else "fail")
        q05, q95 = np.quantile(x, [0.05, 0.95])
        values = (
            label,
            label.split("[")[0],
            float(x.mean()),
            float(x.std(ddof=1)) if x.size > 1 else nan,
            float(q05),
            float(q95),
            mcse_mean(x) if usable else nan,
            mcse_sd(x) if usable else nan,
            eb,
            et,
            r,
            _worst(statuses),
        )
        for key, value in zip(rows, values, strict=True):
            rows[key].append(value)
    return pl.DataFrame(rows, schema_overrides=dict.fromkeys(list(rows)[2:11], pl.Float64))


def _rhat_check(table: pl.DataFrame, chains: int, th: Thresholds) -> Check:
    threshold = f"< {th.rhat:g}"
    if chains < 2:
        return Check(
            "rhat",
            "n/a",
            float("nan"),
            threshold,
            "R-hat needs at least 2 chains: fit with chains=4 to check convergence.",
        )
    worst = table.sort("rhat", descending=True, nulls_last=True).row(0, named=True)
    value, where = float(worst["rhat"]), worst["parameter"]
    if value < th.rhat:
        return Check("rhat", "pass", value, threshold, f"max {value:.3f}: the chains agree.")
    status: Status = "warn" if value < th.rhat_fail else "fail"
    n_bad = int((table["rhat"] >= th.rhat).sum())
    return Check(
        "rhat",
        status,
        value,
        threshold,
        f"max {value:.3f} at {where} ({n_bad} parameter(s) >= {th.rhat:g}): the chains "
        "disagree. Run longer (more tune and draws); if it persists the posterior is "
        "multimodal or weakly identified: use stronger priors (e.g. ROI priors from "
        "experiments) or merge channels that always move together.",
    )


def _ess_check(name: str, table: pl.DataFrame, th: Thresholds, draws_total: int) -> Check:
    column = name
    threshold = f"> {th.ess:g}"
    values = table[column].to_numpy()
    if not np.any(np.isfinite(values)):
        return Check(name, "n/a", float("nan"), threshold, "too few draws to estimate ESS.")
    i = int(np.nanargmin(values))
    value, where = float(values[i]), table["parameter"][i]
    kind = "bulk (mean, median)" if name == "ess_bulk" else "tail (5% and 95% quantiles)"
    if value > th.ess:
        return Check(
            name, "pass", value, threshold, f"min {value:.0f}: enough for {kind} summaries."
        )
    status: Status = "warn" if value >= th.ess_fail else "fail"
    more = int(np.ceil(draws_total * th.ess / max(value, 1.0)))
    return Check(
        name,
        status,
        value,
        threshold,
        f"min {value:.0f} at {where}: too few effective draws for reliable {kind} "
        f"summaries. Draw more (about {more} draws in total would reach {th.ess:g}); if "
        "ESS stays low per draw, the sampler moves slowly: reparametrize or use "
        "stronger priors.",
    )


def _divergence_check(
    fitted: FittedMMM, divergent: np.ndarray, draws: dict[str, np.ndarray], th: Thresholds
) -> Check:
    total = fitted.n_chains * fitted.n_draws
    count = int(divergent.sum())
    share = count / total
    threshold = f"<= {th.divergences}"
    if count <= th.divergences:
        return Check(
            "divergences", "pass", float(count), threshold, f"{count} divergent transitions."
        )
    status: Status = "fail" if share > th.divergence_share_fail else "warn"
    chains = sorted({int(c) for c in np.argwhere(divergent)[:, 0]})
    where = ""
    if 0 < count < total:  # which parameter separates the divergent draws most
        z = {
            label: (x[divergent].mean() - x[~divergent].mean()) / (x.std() or 1.0)
            for label, x in draws.items()
        }
        label = max(z, key=lambda k: abs(z[k]))
        side = "low" if z[label] < 0 else "high"
        where = f"; they concentrate where {label} is {side} ({z[label]:+.1f} sd)"
    target = fitted.info.settings.get("target_accept")
    raise_to = f" (now {target:g})" if isinstance(target, float) else ""
    return Check(
        "divergences",
        status,
        float(count),
        threshold,
        f"{count} divergent transitions ({share:.2%} of draws, chains {chains}){where}. "
        "Draws near a divergence are biased: raise target_accept towards 0.99"
        f"{raise_to}; if they persist, the posterior has a funnel or a ridge there: use "
        "stronger priors on that parameter or reparametrize.",
    )


def _tree_depth_check(fitted: FittedMMM, th: Thresholds) -> tuple[Check, float]:
    depth = fitted.sample_stats.get("tree_depth")
    max_depth = fitted.info.settings.get("max_tree_depth")
    threshold = f"<= {th.tree_depth_share:.0%} of draws"
    if fitted.info.method != "nuts" or depth is None or not isinstance(max_depth, int):
        return (
            Check("tree_depth", "n/a", float("nan"), threshold, "only NUTS has a tree depth."),
            float("nan"),
        )
    share = float(np.mean(np.asarray(depth) >= max_depth))
    if share <= th.tree_depth_share:
        return (
            Check(
                "tree_depth",
                "pass",
                share,
                threshold,
                f"{share:.1%} of draws hit the maximum tree depth {max_depth}.",
            ),
            share,
        )
    return (
        Check(
            "tree_depth",
            "warn",
            share,
            threshold,
            f"{share:.1%} of draws hit the maximum tree depth {max_depth}: trajectories are "
            "cut short, which costs efficiency (not correctness). Raise max_tree_depth, or "
            "scale the inputs / reparametrize so the posterior is closer to round.",
        ),
        share,
    )


def _ebfmi_check(values: np.ndarray, th: Thresholds) -> Check:
    threshold = f">= {th.ebfmi:g} per chain"
    low = [int(c) for c in np.flatnonzero(~(values >= th.ebfmi))]
    value = float(np.nanmin(values)) if np.any(np.isfinite(values)) else float("nan")
    if not low:
        return Check("ebfmi", "pass", value, threshold, f"min {value:.2f} over the chains.")
    return Check(
        "ebfmi",
        "warn",
        value,
        threshold,
        f"chain(s) {low} have E-BFMI {value:.2f}: the momentum resampling explores the "
        "energy poorly, typical of heavy tails or a funnel. Use stronger priors on the "
        "scale parameters or reparametrize; more draws alone do not fix it.",
    )


def _na(name: str, method: str, why: str) -> Check:
    return Check(name, "n/a", float("nan"), "-", f"does not apply to {method.upper()}: {why}")


def _optimizer_check(fitted: FittedMMM, th: Thresholds) -> Check:
    losses = fitted.info.losses
    threshold = f"relative change < {th.loss_change:g}"
    if losses is None or len(losses) < 20:
        return Check(
            "optimizer", "n/a", float("nan"), threshold, "no loss trace of 20+ steps recorded."
        )
    loss = np.asarray(losses, dtype=np.float64)
    if not np.all(np.isfinite(loss)):
        first = int(np.flatnonzero(~np.isfinite(loss))[0])
        return Check(
            "optimizer",
            "fail",
            float("nan"),
            threshold,
            f"the loss is not finite from step {first}: lower learning_rate or check the "
            "data and priors.",
        )
    tenth = len(loss) // 10
    last_part, before_part = loss[-tenth:], loss[-2 * tenth : -tenth]
    last, before = last_part.mean(), before_part.mean()
    change = float(abs(before - last) / (abs(last) + 1.0))
    # A one-particle ELBO is noisy: a drift of the mean within 3 standard errors of the
    # step-to-step noise is all the optimizer can resolve at that noise (MAP: no noise).
    noise = float(np.sqrt((last_part.var(ddof=1) + before_part.var(ddof=1)) / tenth))
    within_noise = abs(before - last) <= 3.0 * noise
    if change < th.loss_change:
        status: Status = "pass"
        message = f"the loss settled (relative change {change:.1e} over the last tenth)."
    elif within_noise:
        status = "pass"
        message = (
            f"the loss settled within its noise: the mean moved by {abs(before - last):.3g} "
            f"over the last tenth (relative {change:.1e}), within 3 standard errors "
            f"({3.0 * noise:.3g}) of the noise of a single-particle ELBO."
        )
    else:
        status = "warn" if change < 10 * th.loss_change else "fail"
        message = (
            f"the loss still changes by {change:.1e} (relative) over the last tenth of "
            f"{len(loss)} steps: run more svi_steps or raise learning_rate."
        )
    return Check("optimizer", status, change, threshold, message)


def summarize(fitted: FittedMMM, thresholds: Thresholds | None = None) -> DiagnosticsReport:
    """Convergence diagnostics of ``fitted`` against ``thresholds`` (see :class:`Thresholds`).

    Args:
        fitted: any fit; NUTS/HMC get every check, SVI/MAP/Laplace the per-parameter table
            (a table of draws from the approximation: its R-hat and ESS say nothing about
            the approximation's quality) and the optimizer check.
        thresholds: the pass / warn / fail bands.

    Returns:
        The :class:`DiagnosticsReport`.

    Examples:
        >>> report = summarize(fitted)  # doctest: +SKIP
        >>> report.passed, report.rhat_max, report.ess_bulk_min, report.divergences
        ... # doctest: +SKIP
    """
    th = Thresholds() if thresholds is None else thresholds
    method = fitted.info.method
    draws = scalar_draws(fitted)
    stats = fitted.sample_stats
    chains, n_draws = fitted.n_chains, fitted.n_draws
    has_chains = method in _MCMC or (method not in ("svi", "map", "laplace") and chains > 1)
    table = _parameter_table(draws, th, chains=has_chains)
    divergent = np.asarray(stats.get("diverging", np.zeros((chains, n_draws), bool)), bool)
    energy = stats.get("energy")
    e_bfmi = ebfmi(np.asarray(energy)) if energy is not None else np.zeros(0)
    if has_chains:
        depth_check, depth_share = _tree_depth_check(fitted, th)
        checks = [
            _rhat_check(table, chains, th),
            _ess_check("ess_bulk", table, th, chains * n_draws),
            _ess_check("ess_tail", table, th, chains * n_draws),
        ]
        if stats:
            checks += [
                _divergence_check(fitted, divergent, draws, th),
                depth_check,
                _ebfmi_check(e_bfmi, th),
            ]
        else:
            why = "no sampler statistics were recorded"
            checks += [_na(n, method, why) for n in ("divergences", "tree_depth", "ebfmi")]
    else:
        why = "the draws are independent draws from a fitted approximation, not chains"
        checks = [_na(n, method, why) for n in ("rhat", "ess_bulk", "ess_tail")]
        why = "there is no Hamiltonian trajectory"
        checks += [_na(n, method, why) for n in ("divergences", "tree_depth", "ebfmi")]
        checks.append(_optimizer_check(fitted, th))
        depth_share = float("nan")
    return DiagnosticsReport(
        method=method,
        chains=chains,
        draws=n_draws,
        checks=tuple(checks),
        thresholds=th,
        table=table,
        divergent_draws=np.argwhere(divergent).astype(np.int64).reshape(-1, 2),
        ebfmi=e_bfmi,
        tree_depth_share=depth_share,
    )
