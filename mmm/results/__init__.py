"""The results layer: decomposition, ROI / mROAS with intervals, aggregation, curves.

Everything works on a fit's posterior arrays (``FittedMMM``) through the model's own pure
functions (:func:`mmm.modeling.components`), vmapped over draws in chunks; nothing refits
and nothing touches the sampler. All numbers are in the KPI's and the data's money units,
and every interval is a posterior interval of that very quantity (computed per draw).

Usage (``fitted`` from :func:`mmm.fit`)::

    from mmm import results

    results.contributions(fitted)      # date, component, group, mean, median, lower, upper
    results.roi_table(fitted)          # channel, spend, contribution_*, roi_*, mroas_*, ...
    results.response_curves(fitted)    # incremental KPI vs spend, operating point marked
"""

from mmm.results._channels import WindowDraws, carryover_periods, window_draws
from mmm.results._components import ComponentIndex, component_draws, component_index
from mmm.results._curves import DEFAULT_MULTIPLIERS, adstock_curves, response_curves
from mmm.results._decomposition import (
    Decomposition,
    contributions,
    contributions_by_period,
    decompose,
)
from mmm.results._export import (
    ResultTables,
    result_figures,
    result_tables,
    write_results,
    write_tables,
)
from mmm.results._plots import (
    AdstockLayout,
    Metric,
    plot_adstock,
    plot_contributions,
    plot_fit,
    plot_response_curves,
    plot_roi,
    plot_waterfall,
)
from mmm.results._roi import ChannelMetrics, RoiDefinition, channel_metrics, metrics_frame
from mmm.results._summary import summarize_draws
from mmm.results._tables import roi_by_period, roi_table
from mmm.results._windows import Period, Window, calendar_windows, custom_windows, resolve_window

__all__ = [
    # decomposition
    "contributions",
    "contributions_by_period",
    "decompose",
    "Decomposition",
    "ComponentIndex",
    "component_index",
    "component_draws",
    # ROI and friends
    "roi_table",
    "roi_by_period",
    "RoiDefinition",
    "ChannelMetrics",
    "channel_metrics",
    "metrics_frame",
    "WindowDraws",
    "window_draws",
    "carryover_periods",
    # curves
    "response_curves",
    "adstock_curves",
    "DEFAULT_MULTIPLIERS",
    # plots
    "plot_fit",
    "plot_contributions",
    "plot_waterfall",
    "plot_roi",
    "plot_response_curves",
    "plot_adstock",
    "Metric",
    "AdstockLayout",
    # export
    "ResultTables",
    "result_tables",
    "result_figures",
    "write_tables",
    "write_results",
    # windows and summaries
    "Window",
    "Period",
    "resolve_window",
    "calendar_windows",
    "custom_windows",
    "summarize_draws",
]
