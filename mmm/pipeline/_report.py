"""The run's single self-contained HTML report (plots embedded, CSS inline, no scripts)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import polars as pl

from mmm.features import spec_to_dict
from mmm.pipeline._caveats import caveats, historic_window
from mmm.pipeline._html import badge, escape, format_value, image, page, pre, table

if TYPE_CHECKING:
    from mmm.pipeline._run import RunResult

__all__ = ["render_report", "write_report"]

_VERDICT_TEXT = {
    "pass": "No check failed and nothing critical was found. That does not prove the model "
    "right: read the caveats.",
    "warn": "Usable with care: read the warnings below and in the caveats before acting.",
    "fail": "Do not act on these numbers yet: a check failed or the review found something "
    "critical (see Diagnostics).",
}


def _plot(result: RunResult, key: str, alt: str) -> str:
    png = result.plots.get(key)
    return "" if png is None else image(png, alt)


def _pct(level: float) -> str:
    return f"{round(100 * level)}%"


def _status_of(value: object) -> str:
    return badge(str(value))


def _header(result: RunResult) -> str:
    from mmm import __version__

    ds = result.dataset
    total = sum(result.timings.values())
    return (
        "<h1>Marketing mix model report</h1>"
        f'<p class="muted">{escape(result.source)}: {ds.n_periods} {escape(ds.frequency.value)} '
        f"periods {ds.start} to {ds.end}, KPI {escape(ds.kpi)}, channels "
        f"{escape(', '.join(ds.channels))}. mmm {escape(__version__)}, written "
        f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, run time {total:.0f} s.</p>"
    )


def _headline(result: RunResult) -> str:
    verdict = result.verdict
    level = _pct(result.config.report.level)
    parts = [
        f'<div class="verdict"><p><b>Verdict:</b> {badge(verdict)} '
        f"{escape(_VERDICT_TEXT[verdict])}</p><ul>"
        f"<li>Convergence: {badge(result.convergence.status)} "
        f"({escape(result.fitted.info.method.upper())}; max R-hat "
        f"{format_value(result.convergence.rhat_max)}, min bulk ESS "
        f"{format_value(result.convergence.ess_bulk_min)}, "
        f"{result.convergence.divergences} divergences)</li>"
        f"<li>Predictive checks: {badge(result.predictive.status)} (R2 "
        f"{result.predictive.r2:.3f}, MAPE {result.predictive.mape:.1%}, "
        f"{level} interval coverage "
        f"{result.predictive.coverage.get(result.config.report.level, float('nan')):.0%})</li>"
        f"<li>Model review: {badge(result.review.worst)} "
        f"({len(result.review.findings)} finding(s))</li>"
        f"<li>Data (EDA): {badge(result.eda.worst)} ({len(result.eda.findings)} finding(s))</li>"
        "</ul>"
    ]
    plan = result.plan
    if plan is not None:
        low, high = plan.uplift_interval
        unit = "per period" if plan.horizon is None else f"over {plan.horizon} periods"
        parts.append(
            f"<p><b>Budget plan:</b> at {format_value(plan.total_budget)} {unit}, the "
            f"optimized mix is expected to add {format_value(plan.uplift)} KPI "
            f"({level} interval {format_value(low)} to {format_value(high)}; "
            f"P(beats the historic mix) {plan.prob_beats_reference:.2f}) over the historic "
            "mix at the same budget.</p>"
        )
    elif result.plan_error is not None:
        parts.append(f"<p><b>Budget plan:</b> none ({escape(result.plan_error)})</p>")
    parts.append("</div>")
    roi = result.tables["results/roi"]
    caption = f"ROI and mROAS per channel (whole window){_roi_units(result)}"
    parts.append(_roi_table(roi, level, caption))
    return "".join(parts)


def _roi_units(result: RunResult) -> str:
    """What ROI is measured in, when the KPI is valued (``model.value_per_kpi``)."""
    value = result.fitted.spec.value_per_kpi
    if value == 1.0:
        return ""
    return f"; money per money, one {result.dataset.kpi} valued at {value:,.6g}"


def _roi_table(roi: pl.DataFrame, level: str, caption: str) -> str:
    columns = [
        "channel",
        "spend",
        "contribution_mean",
        "share_mean",
        "roi_mean",
        "roi_lower",
        "roi_upper",
        "mroas_mean",
        "mroas_lower",
        "mroas_upper",
    ]
    headers = {
        "contribution_mean": "contribution",
        "share_mean": "share of KPI",
        "roi_mean": "ROI",
        "roi_lower": f"ROI {level} low",
        "roi_upper": f"ROI {level} high",
        "mroas_mean": "mROAS",
        "mroas_lower": f"mROAS {level} low",
        "mroas_upper": f"mROAS {level} high",
    }
    present = [c for c in columns if c in roi.columns]
    return table(
        roi, columns=present, headers=headers, caption=caption, render={"share_mean": _percent}
    )


def _percent(value: object) -> str:
    """A share as a percentage (``-`` when missing)."""
    if not isinstance(value, float) or value != value:
        return "-"
    return escape(f"{value:.1%}")


def _change(value: object) -> str:
    if not isinstance(value, float) or value != value:
        return "-"
    return escape(f"{value:+.1%}")


_ALLOCATION_HEADERS = {
    "reference_spend": "historic mix",
    "spend": "optimized",
    "change": "change",
    "reference_kpi_mean": "KPI, historic mix",
    "kpi_mean": "KPI, optimized",
    "kpi_lower": "low",
    "kpi_upper": "high",
    "roi_mean": "ROI",
    "mroas_mean": "mROAS",
    "mroas_lower": "mROAS low",
    "mroas_upper": "mROAS high",
    "binding": "constraint",
}


def _data(result: RunResult) -> str:
    parts = [pre(result.dataset.summary())]
    if result.mapping is not None:
        parts.append("<h3>Column mapping</h3>" + pre(str(result.mapping)))
    findings = result.tables["eda/findings"]
    parts.append("<h3>Pre-model findings</h3>")
    if findings.height:
        parts.append(table(findings, render={"severity": _status_of}))
    else:
        parts.append("<p>No findings.</p>")
    for key, alt in (
        ("eda/kpi_spend", "KPI and spend over time"),
        ("eda/spend_share", "spend share per channel"),
        ("eda/correlation", "correlations"),
        ("eda/vif", "variance inflation factors"),
        ("eda/lagged_correlation", "lagged correlation of spend and KPI"),
        ("eda/baselines", "OLS and ridge baselines"),
    ):
        parts.append(_plot(result, key, alt))
    return "".join(parts)


def _describe(component: dict[str, object]) -> str:
    """``GeometricAdstock(l_max=8, normalize=True)``: the type and its static settings."""
    settings = [
        f"{k}={v}"
        for k, v in component.items()
        if k not in ("type", "name") and not isinstance(v, dict)
    ]
    return f"{component['type']}({', '.join(settings)})"


def _model(result: RunResult) -> str:
    spec = result.fitted.spec
    media = [spec_to_dict(m) for m in spec.media]
    rows = pl.DataFrame(
        {
            "channel": list(spec.channels),
            "adstock": [_describe(m["adstock"]) for m in media],
            "saturation": [_describe(m["saturation"]) for m in media],
            "order": [str(m["order"]) for m in media],
        }
    )
    baseline = ", ".join(_describe(spec_to_dict(b)) for b in spec.baseline)
    info = result.fitted.info
    settings = ", ".join(f"{k}={v}" for k, v in info.settings.items())
    return (
        table(rows, caption="Media transforms per channel")
        + f"<p><b>Baseline:</b> {escape(baseline)}</p>"
        + f"<p><b>Media effect:</b> {escape(_describe(spec_to_dict(spec.effect)))}; "
        f"<b>likelihood:</b> {escape(_describe(spec_to_dict(spec.likelihood)))}</p>"
        + f"<p><b>Inference:</b> {escape(info.method.upper())} ({escape(settings)}), seed "
        f"{info.seed}, {info.seconds:.1f} s. The full specification, priors included, is in "
        "<code>model/spec.json</code>.</p>"
    )


def _diagnostics(result: RunResult) -> str:
    render = {"status": _status_of}
    parts = [
        table(result.tables["diagnostics/convergence"], caption="Convergence", render=render),
        table(result.tables["diagnostics/predictive"], caption="Predictive checks", render=render),
    ]
    review = result.tables["diagnostics/review"]
    if review.height:
        parts.append(table(review, caption="Model review", render={"severity": _status_of}))
    for key, alt in (
        ("diagnostics/ppc", "posterior predictive check"),
        ("diagnostics/convergence", "R-hat and ESS per parameter"),
        ("diagnostics/trace", "traces"),
    ):
        parts.append(_plot(result, key, alt))
    return "".join(parts)


def _contributions(result: RunResult) -> str:
    return "".join(
        _plot(result, key, alt)
        for key, alt in (
            ("results/fit", "fit and decomposition"),
            ("results/contributions", "contributions over time"),
            ("results/waterfall", "contribution waterfall"),
        )
    )


def _roi(result: RunResult) -> str:
    level = _pct(result.config.report.level)
    parts = [
        _roi_table(
            result.tables["results/roi"], level, f"Incremental ROI and mROAS{_roi_units(result)}"
        ),
        _plot(result, "results/roi", "ROI per channel"),
        _plot(result, "results/mroas", "mROAS per channel"),
    ]
    truth = result.tables.get("results/truth")
    if truth is not None:
        covered = int(truth["covered"].sum())
        parts.append(
            "<h3>Against the known truth</h3><p>These data were simulated with a published "
            "ground truth. The true ROI is the true contribution over the window divided by "
            "the spend, so it is compared with the model's <i>attributed</i> ROI "
            f"(<code>tables/results/roi_attributed.csv</code>): {covered} of {truth.height} "
            f"true ROIs lie inside the {level} intervals.</p>"
            + table(truth, render={"covered": lambda v: badge("pass" if v else "fail")})
        )
    return "".join(parts)


def _curves(result: RunResult) -> str:
    return _plot(result, "results/response_curves", "response curves") + _plot(
        result, "results/adstock", "adstock decay"
    )


def _window(result: RunResult) -> str:
    """`` (historic: the last 52 periods, ...)`` or nothing."""
    window = historic_window(result)
    return "" if window is None else f" (historic: {escape(window)})"


def _plan(result: RunResult) -> str:
    plan = result.plan
    if plan is None:
        if result.plan_error is not None:
            return f"<p>No plan: {escape(result.plan_error)}</p>"
        return "<p>Budget optimization was disabled in the configuration.</p>"
    level = _pct(result.config.report.level)
    low, high = plan.uplift_interval
    unit = "per period (steady state)" if plan.horizon is None else f"over {plan.horizon} periods"
    cert = plan.certificate
    status = "converged" if plan.converged else "NOT converged"
    parts = [
        f"<p>Budget {format_value(plan.total_budget)} {unit}, objective "
        f"<code>{escape(type(plan.objective).__name__)}</code>. Expected KPI from media "
        f"{format_value(plan.expected_response)} against {format_value(plan.baseline_response)}"
        f" for the historic mix at the same budget{_window(result)}: uplift "
        f"{format_value(plan.uplift)} "
        f"({level} interval {format_value(low)} to {format_value(high)}), P(beats the "
        f"historic mix) {plan.prob_beats_reference:.2f}.</p>",
        f"<p>Optimality certificate: KKT residual {format_value(cert.residual)} "
        f"({escape(status)}, tolerance {format_value(plan.tol)}), marginal return of the "
        f"budget {format_value(plan.value_per_kpi * plan.marginal_return)}. Binding constraints: "
        f"{escape(_binding(plan.binding))}.</p>",
        table(
            result.tables["plan/allocation"],
            caption=f"Allocation per channel (spend {unit}; KPI low/high: {level} interval)",
            headers=_ALLOCATION_HEADERS,
            render={"change": _change},
        ),
    ]
    if plan.warnings:
        parts.append("<ul>" + "".join(f"<li>{escape(w)}</li>" for w in plan.warnings) + "</ul>")
    for key, alt in (
        ("plan/allocation", "reference and optimized allocation"),
        ("plan/uplift", "uplift distribution"),
        ("plan/response_curves", "response curves at the plan"),
        ("plan/flighting", "spend per period"),
    ):
        parts.append(_plot(result, key, alt))
    return "".join(parts)


def _binding(binding: dict[str, str]) -> str:
    bound = [f"{c} ({b})" for c, b in binding.items() if b != "free"]
    return ", ".join(bound) or "none"


def _caveats(result: RunResult) -> str:
    return "<ul>" + "".join(f"<li>{escape(c)}</li>" for c in caveats(result)) + "</ul>"


def _files(result: RunResult) -> str:
    links = "".join(f'<li><a href="{escape(f)}">{escape(f)}</a></li>' for f in result.files)
    config = json.dumps(result.config.to_dict(), indent=2)
    return (
        "<p>Everything in this report is also in these files (tables as CSV and Parquet). "
        "Re-plan without refitting: <code>mmm optimize "
        f"{escape(result.out.as_posix())} --budget ...</code>; reload the fit in Python: "
        f"<code>mmm.load(&quot;{escape((result.out / 'model').as_posix())}&quot;)</code>.</p>"
        f"<details><summary>{len(result.files)} files</summary><ul>{links}</ul></details>"
        f"<h3>Configuration used</h3>{pre(config)}"
    )


def render_report(result: RunResult) -> str:
    """The report of ``result`` as one HTML document."""
    sections = [
        ("summary", "Summary", _headline(result)),
        ("data", "Data", _data(result)),
        ("model", "Model", _model(result)),
        ("diagnostics", "Diagnostics", _diagnostics(result)),
        ("contributions", "Contributions", _contributions(result)),
        ("roi", "ROI and mROAS", _roi(result)),
        ("curves", "Response curves", _curves(result)),
        ("plan", "Budget plan", _plan(result)),
        ("caveats", "Caveats", _caveats(result)),
        ("files", "Files", _files(result)),
    ]
    return page("MMM report: " + result.source, _header(result), sections)


def write_report(result: RunResult) -> None:
    """Write :func:`render_report` to ``result.report_path``."""
    result.report_path.write_text(render_report(result), encoding="utf-8")
