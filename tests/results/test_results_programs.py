"""The results' per-chunk programs (decomposition, ROI windows, response curves) are kept in
the traced-program cache: a new process loads them instead of tracing, with the same
numbers as tracing them."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from jax import export

from mmm.datasets import SimulationTruth
from mmm.modeling import FittedMMM
from mmm.modeling import _programs as programs
from mmm.results import (
    _channels,
    _components,
    _curves,
    component_draws,
    resolve_window,
    response_curves,
    window_draws,
)


def _fail(*args: object, **kwargs: object) -> None:
    raise ValueError("traced or exported where it must not be")


def _results(f: FittedMMM) -> dict[str, np.ndarray]:
    window = resolve_window(list(f.dataset.dates), None)
    roi = window_draws(f, [window], chunk_size=256)
    curves = response_curves(f, [0.5, 1.0, 1.5], level=0.5)
    return {
        "components": component_draws(f, chunk_size=256),
        "incremental": roi.incremental,
        "marginal": roi.marginal,
        "curves": curves["mean"].to_numpy(),
    }


def test_results_programs_load_from_disk_and_match_tracing(
    fitted_sim: tuple[FittedMMM, SimulationTruth],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: pathlib.Path,
) -> None:
    f, _ = fitted_sim
    monkeypatch.setattr(programs, "program_dir", lambda: None)  # cache off: plain tracing
    traced = _results(f)
    monkeypatch.setattr(programs, "program_dir", lambda: tmp_path)
    monkeypatch.setattr(programs, "_LOADED", {})
    monkeypatch.setattr(programs, "_UNEXPORTABLE", set())
    exported = _results(f)
    assert len(list(tmp_path.glob(f"*{programs.SUFFIX}"))) == 3  # one program per function
    # As in a new process: nothing in memory; tracing or exporting them now fails.
    programs._LOADED.clear()
    for module in (_components, _channels, _curves):
        monkeypatch.setattr(module, "_chunk_program", _fail)
    monkeypatch.setattr(export, "export", _fail)
    loaded = _results(f)
    for name, values in traced.items():
        np.testing.assert_allclose(exported[name], values, rtol=1e-5, atol=1e-6, err_msg=name)
        np.testing.assert_array_equal(loaded[name], exported[name], err_msg=name)
