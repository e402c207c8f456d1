"""arviz, imported without its banner about an upcoming refactor (nothing a user can act on)."""

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing", category=FutureWarning)
    import arviz as az

__all__ = ["az"]
