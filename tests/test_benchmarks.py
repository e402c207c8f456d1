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


def test_share_prior_alternatives_keep_the_default_prior_mean() -> None:
    """``benchmarks/share_prior.py`` compares priors centred where the default is.

    Its conclusions (docs/benchmarks.md) rest on that: Gamma's mean and LogNormal's median
    are ``0.4 w_c`` on channel ``c`` (``w_c`` its share of spend, recomputed here from the
    raw spend), ``gamma:1.5`` is the default ``spend_share_effect(ds)``, and
    ``HalfNormal(0.5 w_c)``'s mean is ``0.5 sqrt(2 / pi) w_c`` (0.3% below).
    """
    import importlib.util

    import numpy as np

    from mmm.datasets import load_example
    from mmm.modeling import spend_share_effect

    spec = importlib.util.spec_from_file_location("share_prior", BENCHMARKS / "share_prior.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ds = load_example("plr_small_business")
    spend = np.asarray(ds.to_arrays().spend, np.float64).sum(axis=0)
    w = spend / spend.sum()
    gamma = module.effect("gamma:1.5", ds).share
    centres = {
        "gamma:1.5": gamma.mean,
        "gamma:5": module.effect("gamma:5", ds).share.mean,
        "lognormal:1.0": np.exp(module.effect("lognormal:1.0", ds).share.loc),
    }
    for name, centre in centres.items():
        np.testing.assert_allclose(np.asarray(centre), 0.4 * w, rtol=1e-5, err_msg=name)
    default = spend_share_effect(ds).share
    np.testing.assert_allclose(np.asarray(gamma.concentration), np.asarray(default.concentration))
    np.testing.assert_allclose(np.asarray(gamma.rate), np.asarray(default.rate))
    half_normal_mean = np.sqrt(2 / np.pi)
    for share in (0.5, 1.0):
        prior = module.effect(f"halfnormal:{share}", ds).share
        np.testing.assert_allclose(np.asarray(prior.scale), share * w, rtol=1e-5)
        np.testing.assert_allclose(np.asarray(prior.mean), share * half_normal_mean * w, rtol=1e-5)
