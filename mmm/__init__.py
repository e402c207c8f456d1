"""mmm-framework: fast, checked Bayesian Marketing Mix Modeling on JAX and NumPyro.

The package follows the data flow: ``config`` (conventions) -> ``data`` (validated
datasets) -> ``features`` (transforms) -> ``datasets`` (examples, simulation) -> modeling,
eda (pre-model checks) -> modeling, diagnostics, results and optimization (``modeling`` is
the NumPyro model, fitting, prediction and save/load; ``diagnostics`` says whether a fit
can be trusted; ``results`` decomposes it into contributions, ROI and mROAS;
``optimization`` plans budgets on its posterior draws). The most used names are
re-exported here.
"""

from importlib.metadata import PackageNotFoundError, version

from mmm import eda, optimization, results
from mmm._jax_setup import compilation_cache_dir  # sets JAX up; nothing compiles at import
from mmm.config import DataContractError, DataContractWarning, MappingError
from mmm.data import ColumnMapper, MappingReport, MMMDataSet
from mmm.datasets import load_example, simulate
from mmm.diagnostics import compare, predictive_check, summarize
from mmm.modeling import FittedMMM, ModelSpec, fit, load, predict
from mmm.optimization import evaluate_plan, optimize_budget
from mmm.results import contributions, roi_table

try:
    __version__ = version("mmm-framework")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "__version__",
    "compilation_cache_dir",
    "eda",
    "results",
    "optimization",
    "MMMDataSet",
    "ColumnMapper",
    "MappingReport",
    "DataContractError",
    "DataContractWarning",
    "MappingError",
    "load_example",
    "simulate",
    "ModelSpec",
    "fit",
    "FittedMMM",
    "predict",
    "load",
    "summarize",
    "predictive_check",
    "compare",
    "contributions",
    "roi_table",
    "optimize_budget",
    "evaluate_plan",
]
