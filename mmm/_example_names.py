"""The bundled examples' names, importable without the library (for ``mmm --help``).

:data:`mmm.datasets.EXAMPLES` is the registry; importing it checks that its names are these,
in this order.
"""

from __future__ import annotations

__all__ = ["DEMO_EXAMPLE", "EXAMPLE_NAMES"]

EXAMPLE_NAMES: tuple[str, ...] = (
    "pymc_marketing",
    "meridian_national",
    "plr_small_business",
    "plr_medium_business",
)
"""Names accepted by :func:`mmm.datasets.load_example`, in the registry's order."""

DEMO_EXAMPLE = "plr_small_business"
"""The example ``mmm demo`` runs by default: spend in money, and a published true ROI."""
