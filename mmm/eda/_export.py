"""``write_report``: an EDA report's tables as CSV and its plots as PNG, in one folder."""

from __future__ import annotations

import functools
import pathlib
from collections.abc import Callable

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure

from mmm.eda._plots import (
    plot_baselines,
    plot_correlation,
    plot_kpi_spend,
    plot_lagged_correlation,
    plot_spend_share,
    plot_vif,
)
from mmm.eda._report import EDAReport

__all__ = ["report_tables", "report_figures", "write_report"]


def report_tables(report: EDAReport) -> dict[str, pl.DataFrame]:
    """Every table of an EDA report by name (``findings``, ``profile``, ``vif``, ...)."""
    cv = report.ridge.cv
    tables = {
        "findings": report.to_frame(),
        "profile": report.profile.to_frame(),
        "correlation_pearson": report.correlations.matrix("pearson"),
        "correlation_spearman": report.correlations.matrix("spearman"),
        "channel_pairs": report.collinearity.pairs,
        "vif": report.collinearity.vif,
        "lagged_correlation": report.lagged,
        "baselines": report.baselines.to_frame(),
        "baseline_coefficients": pl.concat(
            [
                m.coefficients().with_columns(pl.lit(m.method).alias("method"))
                for m in (report.ols, report.ridge)
            ]
        ),
        "baseline_contributions": report.ridge.contributions(),
    }
    if cv is not None:
        tables["ridge_cv"] = cv.to_frame()
        tables["ridge_cv_folds"] = cv.folds_frame()
    return tables


_PLOTS: dict[str, Callable[[EDAReport], Figure]] = {
    "kpi_spend": plot_kpi_spend,
    "correlation": plot_correlation,
    "vif": plot_vif,
    "spend_share": plot_spend_share,
    "lagged_correlation": plot_lagged_correlation,
    "baselines": plot_baselines,
}


def report_figures(report: EDAReport) -> dict[str, Callable[[], Figure]]:
    """Every plot of an EDA report by name, each drawn when called (close it after use)."""
    return {name: functools.partial(plot, report) for name, plot in _PLOTS.items()}


def write_report(
    report: EDAReport, out: str | pathlib.Path, *, plots: bool = True, dpi: int = 120
) -> list[pathlib.Path]:
    """Write the report's tables (``<name>.csv``), ``report.txt`` and plots (``<name>.png``).

    Args:
        report: the EDA report.
        out: the folder (created if missing; files in it are overwritten).
        plots: also render the plots.
        dpi: resolution of the PNGs.

    Returns:
        The paths written, tables first.
    """
    folder = pathlib.Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in report_tables(report).items():
        path = folder / f"{name}.csv"
        table.write_csv(path)
        written.append(path)
    text = folder / "report.txt"
    text.write_text(str(report) + "\n", encoding="utf-8")
    written.append(text)
    if plots:
        for name, draw in report_figures(report).items():
            figure = draw()
            path = folder / f"{name}.png"
            figure.savefig(path, dpi=dpi)
            plt.close(figure)
            written.append(path)
    return written
