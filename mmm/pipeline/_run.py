"""``run``: the whole data flow on one dataset, written to one folder.

EDA -> fit -> diagnostics (convergence, predictive checks, review) -> results
(decomposition, ROI / mROAS, response and adstock curves) -> budget optimization ->
tables (CSV and Parquet), plots (PNG), the fitted model and a self-contained HTML report.
The fitted model is saved right after the fit, so a scenario that fails (infeasible
constraints, say) loses nothing: ``mmm optimize`` re-plans from the saved fit.
"""

from __future__ import annotations

import dataclasses
import io
import json
import pathlib
import platform
from collections.abc import Callable, Mapping

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure

from mmm import diagnostics, eda, optimization, results
from mmm.data import MappingReport, MMMDataSet
from mmm.modeling import FittedMMM, fit
from mmm.pipeline._config import RunConfig, ScenarioConfig
from mmm.pipeline._progress import Progress
from mmm.pipeline._truth import truth_table

__all__ = [
    "RunResult",
    "run",
    "plan_scenario",
    "plan_outputs",
    "write_outputs",
    "STAGES",
    "MCMC_METHODS",
]

STAGES = ("EDA", "fit", "diagnostics", "results", "budget plan", "tables and plots", "report")
"""The stages :func:`run` reports progress for, in order."""

MCMC_METHODS = ("nuts", "hmc")
"""Methods with chains (trace and rank plots, R-hat) among ``mmm.fit``'s."""

Tables = dict[str, pl.DataFrame]
Plots = dict[str, bytes]


@dataclasses.dataclass(frozen=True)
class RunResult:
    """Everything a run produced (see :func:`run`).

    Attributes:
        source: where the data came from, in words (a file name or an example).
        dataset: the validated dataset.
        mapping: how the raw file was mapped (``None`` if the data came mapped).
        config: the run configuration used.
        eda: the pre-model report.
        fitted: the fit.
        convergence: convergence diagnostics.
        predictive: posterior predictive checks.
        review: the sanity review (ROI range, prior vs posterior, signs, ...).
        tables: every table by ``<group>/<name>`` (``results/roi``, ``plan/allocation``...).
        plots: every plot as PNG bytes by ``<group>/<name>``.
        plan: the optimized budget plan (``None`` if disabled or it failed).
        plan_error: why the plan failed (the constraints' message), else ``None``.
        true_roi: the known true ROI per channel (simulated data), else ``None``.
        spend_is_money: whether spend is money (else ROI is per unit of an index).
        timings: seconds per stage.
        out: the output folder.
        files: every file written, relative to ``out``.
    """

    source: str
    dataset: MMMDataSet
    mapping: MappingReport | None
    config: RunConfig
    eda: eda.EDAReport
    fitted: FittedMMM
    convergence: diagnostics.DiagnosticsReport
    predictive: diagnostics.PredictiveCheck
    review: diagnostics.Review
    tables: Tables
    plots: Plots
    plan: optimization.BudgetPlan | None
    plan_error: str | None
    true_roi: Mapping[str, float] | None
    spend_is_money: bool
    timings: dict[str, float]
    out: pathlib.Path
    files: tuple[str, ...]

    @property
    def report_path(self) -> pathlib.Path:
        """The HTML report."""
        return self.out / "report.html"

    @property
    def verdict(self) -> str:
        """``"fail"``, ``"warn"`` or ``"pass"`` over convergence, predictive checks and review.

        ``fail``: the chains did not converge, a predictive check failed, or the review
        found something critical: do not use the numbers before fixing it. ``warn``: read
        the warnings. ``pass``: nothing found (it does not prove the model right).
        """
        statuses: list[str] = [self.convergence.status, self.predictive.status]
        review = {"critical": "fail", "warning": "warn"}.get(self.review.worst, "pass")
        statuses.append(review)
        if "fail" in statuses:
            return "fail"
        return "warn" if "warn" in statuses else "pass"


def _png(figure: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _draw(plots: Plots, group: str, figures: Mapping[str, Callable[[], Figure]], dpi: int) -> None:
    for name, draw in figures.items():
        plots[f"{group}/{name}"] = _png(draw(), dpi)


def plan_scenario(
    fitted: FittedMMM, scenario: ScenarioConfig, level: float = 0.9
) -> optimization.BudgetPlan:
    """Optimize the budget of ``scenario`` on ``fitted`` (budget resolved on its data).

    Raises:
        ValueError: a scenario naming unknown channels, or constraints that cannot hold
            (:class:`mmm.optimization.InfeasiblePlanError`).
    """
    scenario.check_channels(fitted.spec.channels)
    budget = scenario.resolve_budget(fitted.dataset)
    kwargs = scenario.optimize_kwargs()
    kwargs.setdefault("level", level)
    kwargs["reference_periods"] = scenario.reference_window(fitted.dataset)
    return optimization.optimize_budget(fitted, budget, **kwargs)


def plan_outputs(
    fitted: FittedMMM, plan: optimization.BudgetPlan, tables: Tables, plots: Plots, dpi: int
) -> None:
    """Add a plan's tables (``plan/allocation``, ``plan/flighting``) and plots in place."""
    tables["plan/allocation"] = plan.to_frame()
    if plan.horizon is not None:
        allocation = plan.allocation
        assert isinstance(allocation, pl.DataFrame)
        tables["plan/flighting"] = allocation
    figures: dict[str, Callable[[], Figure]] = {
        "allocation": lambda: optimization.plot_allocation(plan),
        "uplift": lambda: optimization.plot_uplift(plan),
        "response_curves": lambda: optimization.plot_plan_response_curves(fitted, plan),
    }
    if plan.horizon is not None:
        figures["flighting"] = lambda: optimization.plot_flighting(plan)
    _draw(plots, "plan", figures, dpi)


def write_outputs(out: pathlib.Path, tables: Tables, plots: Plots) -> list[str]:
    """Write ``tables/<key>.csv|parquet`` and ``plots/<key>.png``; the paths, relative."""
    written = []
    for key, frame in tables.items():
        for fmt in ("csv", "parquet"):
            path = out / "tables" / f"{key}.{fmt}"
            path.parent.mkdir(parents=True, exist_ok=True)
            if fmt == "csv":
                frame.write_csv(path)
            else:
                frame.write_parquet(path)
            written.append(path.relative_to(out).as_posix())
    for key, png in plots.items():
        path = out / "plots" / f"{key}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        written.append(path.relative_to(out).as_posix())
    return written


def _run_info(source: str, fitted: FittedMMM, timings: Mapping[str, float]) -> dict[str, object]:
    from mmm import __version__

    return {
        "source": source,
        "mmm_version": __version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "method": fitted.info.method,
        "seed": fitted.info.seed,
        "sampler_seconds": fitted.info.seconds,
        "stage_seconds": {k: round(v, 3) for k, v in timings.items()},
    }


def run(
    dataset: MMMDataSet,
    config: RunConfig | None = None,
    out: str | pathlib.Path = "mmm-out",
    *,
    source: str = "data",
    mapping: MappingReport | None = None,
    true_roi: Mapping[str, float] | None = None,
    spend_is_money: bool = True,
    progress: Progress | None = None,
    dpi: int = 110,
) -> RunResult:
    """Run the whole data flow on ``dataset`` and write everything to ``out``.

    Args:
        dataset: the validated dataset (the controls and events the model leaves out are
            dropped: :meth:`RunConfig.prepare`).
        config: model, sampler, scenario and report settings (default
            :class:`RunConfig` ()).
        out: the output folder (created; files in it are replaced).
        source: where the data came from, for the report.
        mapping: how the raw file was mapped, for the report.
        true_roi: known true ROI per channel (simulated data): adds a recovery table.
        spend_is_money: ``False`` when spend is an index, not money (the report then
            skips the plausible-ROI check and says so).
        progress: where to report stages (default: a :class:`Progress` on stderr).
        dpi: resolution of the plots.

    Raises:
        ConfigError: before anything runs, for a setting that does not fit the data (a
            channel, control or event it does not have).

    Returns:
        The :class:`RunResult`; ``out`` holds ``report.html``, ``tables/`` (CSV and
        Parquet), ``plots/`` (PNG), ``model/`` (the fit, for :func:`mmm.load`),
        ``config.json`` (the configuration used), ``mapping.txt`` and ``run.json``.
    """
    from mmm.pipeline._report import write_report

    config = RunConfig() if config is None else config
    dataset, spec = config.prepare(dataset)  # every data-dependent setting, before any work
    progress = (
        Progress(len(STAGES) - (not config.scenario.enabled)) if progress is None else progress
    )
    folder = pathlib.Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    level = config.report.level
    tables: Tables = {}
    plots: Plots = {}

    with progress.stage("EDA", dataset.summary().splitlines()[0]):
        eda_report = eda.report(dataset, value_per_kpi=spec.value_per_kpi)
        tables.update({f"eda/{k}": v for k, v in eda.report_tables(eda_report).items()})
        _draw(plots, "eda", eda.report_figures(eda_report), dpi)
        progress.note(f"{eda_report.worst}: {len(eda_report.findings)} finding(s)")

    kwargs = config.sampler.fit_kwargs()
    method = kwargs.get("method", "nuts")
    detail = f"{method}, {len(spec.channels)} channels"
    if method in MCMC_METHODS:
        detail += f", {kwargs.get('chains', 4)} chains x {kwargs.get('draws', 1000)} draws"
    with progress.stage("fit", detail):
        fitted = fit(spec, dataset, **kwargs)
        fitted.save(folder / "model")
        progress.note(f"sampler {fitted.info.seconds:.1f} s; saved to {folder / 'model'}")

    roi_range = config.report.roi_range if spend_is_money else None
    with progress.stage("diagnostics"):
        convergence = diagnostics.summarize(fitted)
        predictive = diagnostics.predictive_check(fitted)
        review = diagnostics.review(
            fitted,
            roi_range=roi_range,
            expected_signs=config.report.expected_signs or None,
            level=level,
            seed=config.sampler.seed,
        )
        tables["diagnostics/convergence"] = convergence.checks_frame()
        tables["diagnostics/parameters"] = convergence.to_frame()
        tables["diagnostics/predictive"] = diagnostics.checks_frame(predictive.checks)
        tables["diagnostics/review"] = review.to_frame()
        tables["diagnostics/review_channels"] = review.channels
        tables["diagnostics/review_parameters"] = review.parameters
        figures: dict[str, Callable[[], Figure]] = {
            "convergence": lambda: diagnostics.plot_convergence(convergence),
            "ppc": lambda: diagnostics.plot_ppc(fitted),
        }
        if fitted.info.method in MCMC_METHODS:
            figures["trace"] = lambda: diagnostics.plot_trace(fitted, max_params=8)
        _draw(plots, "diagnostics", figures, dpi)
        progress.note(
            f"convergence {convergence.status}, predictive {predictive.status}, "
            f"review {review.worst}"
        )

    with progress.stage("results"):
        result_tables, decomposition = results.result_tables(fitted, level)
        tables.update({f"results/{k}": v for k, v in result_tables.items()})
        _draw(
            plots,
            "results",
            results.result_figures(fitted, result_tables, decomposition, level),
            dpi,
        )
        if true_roi is not None:
            tables["results/truth"] = truth_table(result_tables["roi_attributed"], true_roi)

    plan: optimization.BudgetPlan | None = None
    plan_error: str | None = None
    if config.scenario.enabled:
        with progress.stage("budget plan"):
            try:
                plan = plan_scenario(fitted, config.scenario, level)
            except ValueError as err:  # infeasible or unreachable: report it, keep the rest
                plan_error = str(err)
                progress.note(f"no plan: {plan_error}")
            if plan is not None:
                plan_outputs(fitted, plan, tables, plots, dpi)
                low, high = plan.uplift_interval
                progress.note(f"uplift {plan.uplift:,.4g} [{low:,.4g}, {high:,.4g}]")

    with progress.stage("tables and plots"):
        files = write_outputs(folder, tables, plots)
        (folder / "config.json").write_text(json.dumps(config.to_dict(), indent=2) + "\n")
        files.append("config.json")
        if mapping is not None:
            (folder / "mapping.txt").write_text(str(mapping) + "\n", encoding="utf-8")
            files.append("mapping.txt")
        files.append("model/")

    result = RunResult(
        source=source,
        dataset=dataset,
        mapping=mapping,
        config=config,
        eda=eda_report,
        fitted=fitted,
        convergence=convergence,
        predictive=predictive,
        review=review,
        tables=tables,
        plots=plots,
        plan=plan,
        plan_error=plan_error,
        true_roi=None if true_roi is None else dict(true_roi),
        spend_is_money=spend_is_money,
        timings=progress.timings,
        out=folder,
        files=(*files, "run.json", "report.html"),
    )
    with progress.stage("report"):
        write_report(result)
    timings = dict(progress.timings)
    (folder / "run.json").write_text(json.dumps(_run_info(source, fitted, timings), indent=2))
    return dataclasses.replace(result, timings=timings)
