"""The tutorial notebooks run, top to bottom, with small settings.

Every ``notebooks/*.ipynb`` is executed in a fresh ``python3`` kernel of the running
interpreter, with ``MMM_NOTEBOOK_QUICK=1`` (each notebook's first code cell derives
short chains from it), ``JAX_PLATFORMS=cpu`` and ``MPLBACKEND=Agg`` in the kernel's
environment and ``notebooks/`` as its working directory. Any cell error fails the test.
The kernel is a separate process: the in-process JAX settings of ``conftest.py`` do not
apply to it (the notebooks need no JAX setup of their own: chains run in parallel threads).

The notebooks share one JAX compilation cache per test session (with a fixed
``PYTHONHASHSEED``, without which the cache keys differ between kernels), so a program
that two notebooks compile (the same spec on data of the same shapes and sampler
settings) is compiled once.

The executed notebooks are not written back: the repository stores them without outputs.
Set ``MMM_NOTEBOOK_OUTPUT_DIR`` to keep the executed copies (with their outputs) there.
"""

import json
import os
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
CELL_TIMEOUT = 600  # seconds per cell; QUICK notebooks take about a minute in all
QUICK_SWITCH = 'os.environ.get("MMM_NOTEBOOK_QUICK") == "1"'


def _code_cells(path: Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [c for c in cells if c["cell_type"] == "code"]


def _source(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def test_notebooks_found():
    assert PATHS, f"no notebooks in {NOTEBOOKS}"


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_is_stored_clean(path: Path):
    """Outputs are not committed (small diffs), and the first code cell reads the switch."""
    cells = _code_cells(path)
    assert cells, f"{path.name} has no code cells"
    dirty = [i for i, c in enumerate(cells) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, (
        f"{path.name}: code cells {dirty} hold outputs; clear them before committing "
        "(Jupyter: Edit > Clear Outputs of All Cells)"
    )
    assert QUICK_SWITCH in _source(cells[0]), (
        f"{path.name}: the first code cell must set QUICK = {QUICK_SWITCH} and derive its "
        "sizes from it, so that CI runs the notebook with small settings"
    )


@pytest.fixture(scope="session")
def jax_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notebook-jax-cache")


def _kernel_manager_class(kernel_dir: Path) -> type:
    """A kernel manager whose ``python3`` kernel is this interpreter (not whatever is on PATH)."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    spec_dir = kernel_dir / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [
            sys.executable,
            "-Xfrozen_modules=off",
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--InteractiveShell.colors=nocolor",  # plain tracebacks in the test report
        ],
        "display_name": "Python 3 (notebook tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")

    class Manager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self) -> KernelSpecManager:
            return KernelSpecManager(kernel_dirs=[str(kernel_dir)], ensure_native_kernel=False)

    return Manager


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs(path: Path, tmp_path: Path, jax_cache: Path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")

    notebook = nbformat.read(path, as_version=4)
    env = {
        **os.environ,
        "MMM_NOTEBOOK_QUICK": "1",
        "JAX_PLATFORMS": "cpu",
        "MPLBACKEND": "Agg",
        "JAX_COMPILATION_CACHE_DIR": str(jax_cache),
        # The programs' lowering depends on str hashing (argument order), so without a
        # fixed seed no cache entry written by one kernel matches in the next.
        "PYTHONHASHSEED": "0",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # no debugger warning in the kernel's log
    }
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        kernel_manager_class=_kernel_manager_class(tmp_path / "kernels"),
        timeout=CELL_TIMEOUT,
        startup_timeout=120,
        resources={"metadata": {"path": str(NOTEBOOKS)}},  # the kernel's working directory
    )
    try:
        client.execute(env=env)  # raises CellExecutionError, naming the cell, on any error
    finally:
        keep = os.environ.get("MMM_NOTEBOOK_OUTPUT_DIR")  # e.g. a CI artifact folder
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, Path(keep) / path.name)
