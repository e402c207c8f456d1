"""arviz, imported when first needed and without its banner about an upcoming refactor.

arviz (with scipy.stats and its plotting stack) takes over a second to import, and only
saving, loading, ``FittedMMM.idata`` and ``compare`` use it, so it is not imported with
``mmm``.
"""

from __future__ import annotations

import functools
import warnings
from types import ModuleType

__all__ = ["arviz"]


@functools.cache
def arviz() -> ModuleType:
    """The ``arviz`` module (imported on the first call)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing", category=FutureWarning)
        import arviz as az

    return az
