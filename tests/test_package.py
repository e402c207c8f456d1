"""The package's top level: lazy re-exports, and what ``import mmm`` and ``mmm --help`` load."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import mmm
from mmm._example_names import DEMO_EXAMPLE, EXAMPLE_NAMES
from mmm.datasets import EXAMPLES

HEAVY = ("arviz", "pandera", "matplotlib", "scipy.stats", "mmm.modeling", "mmm.eda")


def _loaded_after(code: str) -> dict[str, bool]:
    """Which of :data:`HEAVY` a fresh interpreter has imported after running ``code``."""
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    loaded: dict[str, bool] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_import_mmm_loads_only_the_jax_setup() -> None:
    assert not any(_loaded_after("import mmm").values())


def test_help_imports_nothing_heavy() -> None:
    code = (
        "from mmm.cli import main\n"
        "try:\n    main(['fit', '--help'])\nexcept SystemExit as exit:\n    assert exit.code == 0"
    )
    loaded = _loaded_after(code)
    assert not any(loaded.values()), loaded


def test_a_fit_does_not_need_arviz() -> None:
    loaded = _loaded_after("import mmm.modeling, mmm.results, mmm.optimization")
    assert not loaded["arviz"]
    assert loaded["mmm.modeling"]


@pytest.mark.parametrize("name", mmm.__all__)
def test_every_re_exported_name_resolves(name: str) -> None:
    assert getattr(mmm, name) is not None
    assert name in dir(mmm)


def test_re_exports_are_the_modules_objects() -> None:
    from mmm import modeling, optimization

    assert mmm.fit is modeling.fit
    assert mmm.optimize_budget is optimization.optimize_budget
    assert mmm.pipeline.run is not None  # every subpackage is an attribute, as before


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'fitt'"):
        _ = mmm.fitt  # type: ignore[attr-defined]


def test_example_names_are_the_registry() -> None:
    assert tuple(EXAMPLES) == EXAMPLE_NAMES
    assert DEMO_EXAMPLE in EXAMPLE_NAMES
