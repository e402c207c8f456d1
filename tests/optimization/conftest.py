"""Fixtures of the optimization tests (the fits themselves: ``optimization_helpers``)."""

from __future__ import annotations

import pytest
from optimization_helpers import FitFactory, make_fit


@pytest.fixture(scope="package")
def fit_factory() -> FitFactory:
    """:func:`optimization_helpers.make_fit`."""
    return make_fit
