"""Plotting helpers shared by the layers' plot modules (no domain logic, matplotlib only)."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter

__all__ = ["check_choice", "new_axes", "figure_of", "date_axis", "curve_axes"]


def check_choice(name: str, value: str, options: tuple[str, ...]) -> None:
    """Raise a ``ValueError`` naming the options unless ``value`` is one of them."""
    if value not in options:
        raise ValueError(f"{name}={value!r} is not valid: pass one of {list(options)}")


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or the axes of a new constrained-layout figure of ``figsize``."""
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def figure_of(ax: Axes) -> Figure:
    """The (root) figure ``ax`` is drawn in."""
    fig = ax.get_figure(root=True)
    if not isinstance(fig, Figure):  # pragma: no cover - an axes always has a figure
        raise ValueError("ax is not in a figure")
    return fig


def date_axis(ax: Axes) -> None:
    """Concise date ticks on the x axis."""
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def curve_axes(ax: Axes, grid_color: str = "0.92") -> None:
    """A response-curve panel: engineering tick labels, spend from 0, a light grid below."""
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    ax.yaxis.set_major_formatter(EngFormatter(sep=""))
    ax.set_xlim(left=0.0)
    ax.grid(color=grid_color)
    ax.set_axisbelow(True)
