"""The product on top of the layers: one call (or command) from a CSV to a report.

:func:`run` takes a validated dataset through EDA, the fit, diagnostics, results and a
budget plan, and writes a self-contained HTML report, the plots (PNG), the tables (CSV and
Parquet), the fitted model and the configuration used to one folder. :class:`RunConfig`
(read from TOML or YAML by :func:`load_config`, every key validated) says how: the column
mapping, the model, the sampler, the scenario and the report settings. :func:`replan`
makes a new plan from a saved run without refitting. The command line (``mmm demo``,
``mmm fit``, ``mmm optimize``) is a thin shell over these.
"""

from mmm.pipeline._caveats import caveats
from mmm.pipeline._config import (
    AdstockConfig,
    BoundConfig,
    ConfigError,
    DataConfig,
    MediaConfig,
    MediaSection,
    ModelConfig,
    PriorConfig,
    ReportConfig,
    RunConfig,
    SamplerConfig,
    SaturationConfig,
    ScenarioConfig,
    SeasonalityConfig,
    load_config,
)
from mmm.pipeline._demo import DEMO_EXAMPLE, DEMO_SETTINGS, QUICK_SAMPLER, demo_config
from mmm.pipeline._progress import Progress
from mmm.pipeline._replan import Replan, parse_bound, parse_lock, replan, saved_run
from mmm.pipeline._report import render_report, write_report
from mmm.pipeline._run import STAGES, RunResult, plan_scenario, run
from mmm.pipeline._summary import summary_text
from mmm.pipeline._truth import truth_table

__all__ = [
    # running
    "run",
    "RunResult",
    "STAGES",
    "Progress",
    "plan_scenario",
    "replan",
    "Replan",
    "saved_run",
    "parse_bound",
    "parse_lock",
    # configuration
    "RunConfig",
    "load_config",
    "ConfigError",
    "DataConfig",
    "ModelConfig",
    "SamplerConfig",
    "ScenarioConfig",
    "ReportConfig",
    "MediaSection",
    "MediaConfig",
    "AdstockConfig",
    "SaturationConfig",
    "PriorConfig",
    "SeasonalityConfig",
    "BoundConfig",
    # the demo
    "demo_config",
    "DEMO_EXAMPLE",
    "DEMO_SETTINGS",
    "QUICK_SAMPLER",
    # the report
    "render_report",
    "write_report",
    "caveats",
    "summary_text",
    "truth_table",
]
