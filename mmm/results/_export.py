"""``write_results``: a fit's result tables as CSV or Parquet, and its plots as PNG."""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Mapping
from typing import Literal

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure

from mmm.modeling import FittedMMM
from mmm.results._curves import adstock_curves, response_curves
from mmm.results._decomposition import Decomposition, contributions_by_period, decompose
from mmm.results._plots import (
    plot_adstock,
    plot_contributions,
    plot_fit,
    plot_response_curves,
    plot_roi,
    plot_waterfall,
)
from mmm.results._tables import roi_by_period, roi_table

__all__ = ["ResultTables", "result_tables", "result_figures", "write_tables", "write_results"]

ResultTables = dict[str, pl.DataFrame]
Format = Literal["csv", "parquet"]


def result_tables(
    fitted: FittedMMM, level: float = 0.9, *, decomposition: Decomposition | None = None
) -> tuple[ResultTables, Decomposition]:
    """Every result table of a fit (one decomposition pass), and the decomposition.

    Tables: ``contributions`` (per period), ``contributions_by_quarter``, ``roi`` (whole
    window, incremental), ``roi_attributed``, ``roi_by_quarter``, ``response_curves``,
    ``adstock_curves``.
    """
    decomposition = decompose(fitted) if decomposition is None else decomposition
    frame = decomposition.to_frame(level)
    tables = {
        "contributions": frame,
        "contributions_by_quarter": contributions_by_period(
            fitted, "quarter", level, decomposition=decomposition
        ),
        "roi": roi_table(fitted, level=level),
        "roi_attributed": roi_table(fitted, level=level, roi="attributed"),
        "roi_by_quarter": roi_by_period(fitted, "quarter", level),
        "response_curves": response_curves(fitted, level=level),
        "adstock_curves": adstock_curves(fitted, level),
    }
    return tables, decomposition


def write_tables(
    tables: Mapping[str, pl.DataFrame], out: str | pathlib.Path, fmt: Format = "csv"
) -> list[pathlib.Path]:
    """Write each table as ``<name>.csv`` or ``<name>.parquet`` in ``out`` (created).

    Raises:
        ValueError: for another ``fmt``.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt={fmt!r} is not valid: use 'csv' or 'parquet'")
    folder = pathlib.Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        path = folder / f"{name}.{fmt}"
        if fmt == "csv":
            table.write_csv(path)
        else:
            table.write_parquet(path)
        written.append(path)
    return written


def result_figures(
    fitted: FittedMMM,
    tables: Mapping[str, pl.DataFrame],
    decomposition: Decomposition,
    level: float = 0.9,
) -> dict[str, Callable[[], Figure]]:
    """Every result plot by name, each drawn when called (close it after use).

    ``tables`` and ``decomposition`` come from :func:`result_tables` (same ``level``), so
    the plots show exactly the numbers of the tables.
    """
    return {
        "fit": lambda: plot_fit(fitted, level, decomposition),
        "contributions": lambda: plot_contributions(fitted, decomposition),
        "waterfall": lambda: plot_waterfall(fitted, decomposition),
        "roi": lambda: plot_roi(fitted, "roi", tables["roi"], level),
        "mroas": lambda: plot_roi(fitted, "mroas", tables["roi"], level),
        "response_curves": lambda: plot_response_curves(fitted, tables["response_curves"], level),
        "adstock": lambda: plot_adstock(fitted, tables["adstock_curves"], level),
    }


def write_results(
    fitted: FittedMMM,
    out: str | pathlib.Path,
    *,
    level: float = 0.9,
    formats: tuple[Format, ...] = ("csv", "parquet"),
    plots: bool = True,
    dpi: int = 120,
) -> list[pathlib.Path]:
    """Write a fit's result tables (each format in ``formats``) and plots to ``out``.

    Returns:
        The paths written.
    """
    tables, decomposition = result_tables(fitted, level)
    written = [p for fmt in formats for p in write_tables(tables, out, fmt)]
    if plots:
        figures = result_figures(fitted, tables, decomposition, level)
        for name, draw in figures.items():
            figure = draw()
            path = pathlib.Path(out) / f"{name}.png"
            figure.savefig(path, dpi=dpi)
            plt.close(figure)
            written.append(path)
    return written
