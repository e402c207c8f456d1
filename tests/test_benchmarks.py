"""Every benchmark script still imports and parses its arguments.

The scripts in ``benchmarks/`` are not run in CI (they take minutes and print figures for
``docs/benchmarks.md``), so an internal rename in ``mmm`` could break one unseen: this
happened once, when ``mmm.modeling._arviz.az`` became ``arviz()``. Each script is run with
``--help`` in one fresh interpreter (``runpy``, as ``__main__``): its module-level imports
and its argument parser run, nothing is fitted. Optional peers (PyMC-Marketing) are
imported inside the scripts' functions, so the ``bench`` extra is not needed here.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPTS = sorted(BENCHMARKS.glob("*.py"))

_RUNNER = textwrap.dedent(
    """
    import contextlib, io, runpy, sys
    failed = []
    for path in sys.argv[1:]:
        sys.argv = [path, "--help"]
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                runpy.run_path(path, run_name="__main__")
        except SystemExit as stop:
            if stop.code not in (0, None) or "usage:" not in out.getvalue():
                failed.append(f"{path}: exit {stop.code}, output {out.getvalue()[:300]!r}")
        except BaseException as error:
            failed.append(f"{path}: {type(error).__name__}: {error}")
        else:
            failed.append(f"{path}: --help did not exit (no argparse parser?)")
    print("\\n".join(failed))
    sys.exit(1 if failed else 0)
    """
)


def test_there_are_benchmark_scripts() -> None:
    assert len(SCRIPTS) >= 5, f"found {SCRIPTS}"


def test_every_benchmark_script_imports_and_prints_its_help() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, *map(str, SCRIPTS)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCHMARKS.parent,
        env={**os.environ, "JAX_PLATFORMS": "cpu", "MPLBACKEND": "Agg"},
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
