"""mmm-framework: fast, checked Bayesian Marketing Mix Modeling on JAX and NumPyro.

The package follows the data flow: ``config`` (conventions) -> ``data`` (validated
datasets) -> ``features`` (transforms) -> ``datasets`` (examples, simulation) -> modeling,
eda (pre-model checks) -> modeling, diagnostics, results and optimization (``modeling`` is
the NumPyro model, fitting, prediction and save/load; ``diagnostics`` says whether a fit
can be trusted; ``results`` decomposes it into contributions, ROI and mROAS;
``optimization`` plans budgets on its posterior draws). The most used names are
re-exported here.

Importing ``mmm`` sets JAX up (:mod:`mmm._jax_setup`) and nothing else: the re-exported
names and subpackages are imported when first used (``mmm.fit``, ``from mmm import eda``),
so ``import mmm`` and ``mmm --help`` do not pay for arviz, pandera or matplotlib.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from mmm._jax_setup import compilation_cache_dir  # sets JAX up; nothing compiles at import

if TYPE_CHECKING:  # the names below are imported lazily, by __getattr__
    from mmm import eda, optimization, results
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

_SUBPACKAGES = (
    "config",
    "data",
    "features",
    "datasets",
    "eda",
    "modeling",
    "diagnostics",
    "results",
    "optimization",
    "pipeline",
)
"""Subpackages reachable as ``mmm.<name>`` after a plain ``import mmm`` (as before)."""

_LAZY: dict[str, str] = {
    "DataContractError": "mmm.config",
    "DataContractWarning": "mmm.config",
    "MappingError": "mmm.config",
    "MMMDataSet": "mmm.data",
    "ColumnMapper": "mmm.data",
    "MappingReport": "mmm.data",
    "load_example": "mmm.datasets",
    "simulate": "mmm.datasets",
    "summarize": "mmm.diagnostics",
    "predictive_check": "mmm.diagnostics",
    "compare": "mmm.diagnostics",
    "ModelSpec": "mmm.modeling",
    "fit": "mmm.modeling",
    "FittedMMM": "mmm.modeling",
    "predict": "mmm.modeling",
    "load": "mmm.modeling",
    "optimize_budget": "mmm.optimization",
    "evaluate_plan": "mmm.optimization",
    "contributions": "mmm.results",
    "roi_table": "mmm.results",
}
"""Re-exported name -> the module it comes from."""

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


def __getattr__(name: str) -> Any:
    """Import a re-exported name or subpackage on first use (PEP 562)."""
    if name in _SUBPACKAGES:
        value: Any = importlib.import_module(f"mmm.{name}")
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'mmm' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
