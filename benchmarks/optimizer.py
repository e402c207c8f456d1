"""How fast is ``optimize_budget`` on 4000 draws, and does it beat random search?

Run: ``python benchmarks/optimizer.py`` (``--draws N``, ``--random N``, ``--quick`` for a
smoke run with 500 draws and 1000 random plans). Draws from the default spec's prior on
``simulate()`` data stand in for a posterior (the cost does not depend on where the draws
come from). Cases:

* **static**: 156 weeks x 20 channels, a steady plan with the budget = the historic mean
  spend per period summed over channels. Times, after one warm-up call (compilation; its
  time is reported too), the median of 3 calls of ``optimize_budget(fitted, B)``; then the
  same for two constrained runs (every channel within ``Multiple(0.5, 2.0)`` of its
  historic spend; then the first one locked at its historic mean instead) and for the
  risk-aware objectives ``CVaR(alpha=0.1)`` and ``MeanMinusSd(1.0)`` (a case that raises
  is reported as FAILED and the others go on);
* **flighting**: 156 weeks x 10 channels, a 52-period plan with the budget = 52 x the
  historic mean total per period (median of 3 calls, 2 if one takes over 10 s).

For the unconstrained expected-KPI runs, ``--random`` feasible plans (default 10,000)
are evaluated through the same kernels (``steady_totals`` / ``flight_totals``, batched
and jitted; the time includes their compilation): channel shares uniform on the simplex
times the budget (static); for flighting half Dirichlet over the ``52 x 10`` cells times
the budget and half random channel mixes times a flat time pattern. The gap is
``(optimizer - best random) / |best random|``, both evaluated by the same kernel; a
negative gap beyond float rounding means random search beat the optimizer.

Targets (issue): static 20 channels x 4000 draws under 1 s, flighting 52 periods x 10
channels under 10 s on CPU, never worse than the best of 10,000 random feasible plans.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from mmm.config import DataContractWarning
from mmm.datasets import simulate
from mmm.modeling import FittedMMM, ModelSpec, prior_fit
from mmm.optimization import (
    BudgetPlan,
    CVaR,
    MeanMinusSd,
    Multiple,
    no_plan_media,
    optimize_budget,
)
from mmm.optimization._response import PlanResponse, flight_totals, steady_totals
from mmm.optimization._scenario import historic_spend, response_of

_ROUNDING = 1e-5  # relative float32 rounding of a mean over thousands of draws


def _prior_fit(n_weeks: int, n_channels: int, draws: int) -> FittedMMM:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataContractWarning)
        ds, _ = simulate(n_weeks=n_weeks, n_channels=n_channels, seed=0)
    return prior_fit(ModelSpec.default(ds), ds, draws=draws, seed=0)


@dataclasses.dataclass
class Row:
    case: str
    plan: BudgetPlan
    seconds: float
    first: float
    best_random: float | None = None
    random_seconds: float | None = None
    kernel_value: float | None = None

    @property
    def gap(self) -> float | None:
        if self.best_random is None or self.kernel_value is None:
            return None
        return (self.kernel_value - self.best_random) / abs(self.best_random)


def _timed(call: Callable[[], BudgetPlan], slow: float = 10.0) -> tuple[BudgetPlan, float, float]:
    """The plan, the median of 3 calls after a warm-up (2 if one is slow), the warm-up's time."""
    start = time.perf_counter()
    call()  # compile
    first = time.perf_counter() - start
    times = []
    for _ in range(3):
        start = time.perf_counter()
        plan = call()
        times.append(time.perf_counter() - start)
        if times[0] > slow and len(times) == 2:
            break
    return plan, statistics.median(times), first


def _describe(row: Row) -> None:
    p = row.plan
    print(
        f"  {row.case}: {row.seconds:.3f}s (first call {row.first:.2f}s), "
        f"{p.iterations} iterations, {p.starts} starts, KKT {p.kkt_residual:.2e} "
        f"({'converged' if p.converged else 'NOT converged'}), objective "
        f"{p.objective_value:,.6g} vs reference {p.reference_objective_value:,.6g} "
        f"({p.objective_value / p.reference_objective_value - 1:+.2%})",
        flush=True,
    )
    for w in p.warnings:
        print(f"    warning: {w}", flush=True)


def _batched_means(
    evaluate: Callable[[jax.Array], jax.Array], plans: np.ndarray, batch: int, label: str
) -> np.ndarray:
    """Mean over draws of each plan (a fixed batch shape: one compilation)."""
    n = plans.shape[0]
    out = np.empty(n)
    report = max(1, (n // batch) // 5)
    start = time.perf_counter()
    for k, i in enumerate(range(0, n, batch)):
        chunk = plans[i : i + batch]
        size = chunk.shape[0]
        if size < batch:  # pad to the compiled shape
            chunk = np.concatenate([chunk, np.repeat(chunk[:1], batch - size, axis=0)])
        out[i : i + size] = np.asarray(evaluate(jnp.asarray(chunk, jnp.float32)))[:size]
        if (k + 1) % report == 0:
            print(
                f"    {label}: {min(i + batch, n):,}/{n:,} plans, "
                f"{time.perf_counter() - start:.1f}s",
                flush=True,
            )
    return out


@eqx.filter_jit
def _steady_means(response: PlanResponse, spend: jax.Array) -> jax.Array:
    return steady_totals(response, spend).mean(axis=1)


@eqx.filter_jit
def _flight_means(response: PlanResponse, spend: jax.Array, baseline: jax.Array) -> jax.Array:
    return jax.vmap(lambda s: flight_totals(response, s, baseline).mean())(spend)


def _static(draws: int, n_random: int, failures: list[str]) -> list[Row]:
    print("static: simulate 156 weeks x 20 channels", flush=True)
    fitted = _prior_fit(156, 20, draws)
    channels = fitted.spec.channels
    historic = historic_spend(fitted).mean(axis=0)
    budget = float(historic.sum())
    print(f"  budget per period {budget:,.6g}", flush=True)
    rows = []

    plan, seconds, first = _timed(lambda: optimize_budget(fitted, budget))
    row = Row("static 20 ch", plan, seconds, first)
    response = response_of(fitted)
    row.kernel_value = float(
        _steady_means(response, jnp.asarray(plan.spend, jnp.float32))[0].block_until_ready()
    )
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    mixes = rng.dirichlet(np.ones(len(channels)), size=n_random) * budget
    means = _batched_means(
        lambda s: _steady_means(response, s), mixes, 250, "random static allocations"
    )
    row.random_seconds = time.perf_counter() - start
    row.best_random = float(means.max())
    _describe(row)
    print(
        f"    random search: best {row.best_random:,.6g} of {n_random:,} in "
        f"{row.random_seconds:.2f}s; optimizer (same kernel) {row.kernel_value:,.6g}, "
        f"gap {row.gap:+.3e}",
        flush=True,
    )
    rows.append(row)

    locked = channels[0]
    bounds = {c: Multiple(0.5, 2.0) for c in channels[1:]}
    locks = {locked: float(historic[0])}
    for name, kwargs in (
        ("static bounds", {"bounds": {c: Multiple(0.5, 2.0) for c in channels}}),
        ("static bounds+lock", {"bounds": bounds, "locks": locks}),
    ):
        try:
            plan, seconds, first = _timed(
                lambda kwargs=kwargs: optimize_budget(fitted, budget, **kwargs)
            )
        except Exception as error:  # a benchmark reports a failing case and goes on
            print(f"  {name}: FAILED: {type(error).__name__}: {error}", flush=True)
            failures.append(f"{name}: {type(error).__name__}: {error}")
            continue
        rows.append(Row(name, plan, seconds, first))
        _describe(rows[-1])
        print(f"    binding: {sorted(set(plan.binding.values()))}", flush=True)

    for name, objective in (
        ("static CVaR(0.1)", CVaR(alpha=0.1)),
        ("static mean-sd", MeanMinusSd(1.0)),
    ):
        plan, seconds, first = _timed(
            lambda objective=objective: optimize_budget(fitted, budget, objective=objective)
        )
        rows.append(Row(name, plan, seconds, first))
        _describe(rows[-1])
    return rows


def _flighting(draws: int, n_random: int, horizon: int = 52) -> list[Row]:
    print(f"flighting: simulate 156 weeks x 10 channels, horizon {horizon}", flush=True)
    fitted = _prior_fit(156, 10, draws)
    c = len(fitted.spec.channels)
    budget = float(horizon * historic_spend(fitted).mean(axis=0).sum())
    print(f"  budget over the horizon {budget:,.6g}", flush=True)
    plan, seconds, first = _timed(lambda: optimize_budget(fitted, budget, horizon))
    row = Row(f"flighting {horizon}x{c}", plan, seconds, first)
    response = response_of(fitted)
    baseline = no_plan_media(response, horizon).sum(axis=(1, 2))
    row.kernel_value = float(
        _flight_means(response, jnp.asarray(plan.spend, jnp.float32)[None], baseline)[0]
    )
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    n_cells = n_random // 2
    cells = rng.dirichlet(np.ones(horizon * c), size=n_cells).reshape(n_cells, horizon, c)
    mixes = rng.dirichlet(np.ones(c), size=n_random - n_cells)[:, None, :] / horizon
    plans = np.concatenate([cells, np.broadcast_to(mixes, (mixes.shape[0], horizon, c))]) * budget
    means = _batched_means(
        lambda s: _flight_means(response, s, baseline), plans, 50, "random flighting plans"
    )
    row.random_seconds = time.perf_counter() - start
    row.best_random = float(means.max())
    best_cells = float(means[:n_cells].max()) if n_cells else float("nan")
    best_flat = float(means[n_cells:].max()) if n_random > n_cells else float("nan")
    _describe(row)
    print(
        f"    random search: best {row.best_random:,.6g} of {n_random:,} in "
        f"{row.random_seconds:.1f}s (Dirichlet cells {best_cells:,.6g}, flat mixes "
        f"{best_flat:,.6g}); optimizer (same kernel) {row.kernel_value:,.6g}, "
        f"gap {row.gap:+.3e}",
        flush=True,
    )
    return [row]


def main() -> None:
    """Print the timings and the comparison with random search."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=None, help="posterior draws (4000)")
    parser.add_argument("--random", type=int, default=None, help="random plans (10000)")
    parser.add_argument("--quick", action="store_true", help="500 draws, 1000 random plans")
    args = parser.parse_args()
    draws = args.draws or (500 if args.quick else 4000)
    n_random = args.random or (1000 if args.quick else 10_000)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"jax {jax.__version__} on {jax.default_backend()} ({jax.devices()[0].device_kind}); "
        f"{draws} draws, {n_random:,} random plans",
        flush=True,
    )
    failures: list[str] = []
    rows = _static(draws, n_random, failures) + _flighting(draws, n_random)

    print()
    print(
        f"{'case':<20} {'time':>8} {'first':>7} {'iter':>5} {'starts':>6} {'KKT':>9} "
        f"{'conv':>5} {'objective':>12} {'reference':>12} {'best random':>12} "
        f"{'random t':>9} {'gap':>10}"
    )
    for r in rows:
        p = r.plan
        rand = "" if r.best_random is None else f"{r.best_random:12.6g}"
        rand_t = "" if r.random_seconds is None else f"{r.random_seconds:8.1f}s"
        gap = "" if r.gap is None else f"{r.gap:+10.2e}"
        print(
            f"{r.case:<20} {r.seconds:7.3f}s {r.first:6.1f}s {p.iterations:5d} {p.starts:6d} "
            f"{p.kkt_residual:9.2e} {'yes' if p.converged else 'NO':>5} "
            f"{p.objective_value:12.6g} {p.reference_objective_value:12.6g} {rand:>12} "
            f"{rand_t:>9} {gap:>10}"
        )
    beaten = [r.case for r in rows if r.gap is not None and r.gap < -_ROUNDING]
    if beaten:
        print(f"random search beat the optimizer in: {', '.join(beaten)}")
    for failure in failures:
        print(f"FAILED {failure}")
    assert all(np.isfinite(r.plan.objective_value) for r in rows)


if __name__ == "__main__":
    main()
