"""The ``mmm`` command line: the argument parser.

Parsing imports nothing heavy (``mmm --help`` answers in about the time JAX takes to
import); each command's work is in :mod:`mmm._commands`, imported when a command runs.
"""

from __future__ import annotations

import argparse
import importlib
import math
import pathlib
import sys
from collections.abc import Sequence
from typing import Any

from mmm._example_names import DEMO_EXAMPLE, EXAMPLE_NAMES

__all__ = ["main"]


def _add_source_arguments(command: argparse.ArgumentParser, what: str) -> None:
    source = command.add_mutually_exclusive_group(required=True)
    source.add_argument("data", nargs="?", type=pathlib.Path, help=what)
    source.add_argument("--example", choices=EXAMPLE_NAMES, help="a bundled example")
    command.add_argument(
        "--mapping", type=pathlib.Path, help="JSON/YAML mapping file ({raw: target} or options)"
    )
    command.add_argument("--separator", default=",", help="CSV field separator (default ',')")
    command.add_argument("--date-format", help="strftime format of the dates, e.g. %%d/%%m/%%Y")
    command.add_argument("--thousands-separator", help="e.g. ',' for 1,234.5")
    command.add_argument("--decimal-separator", choices=[".", ","])
    command.add_argument(
        "--strip-currency", action="store_true", help="remove currency symbols from numbers"
    )
    command.add_argument(
        "--geo-column", help="raw column naming each row's geo, in a file with one row per geo"
    )
    command.add_argument("--geo", help="with --geo-column: keep this geo's rows")
    command.add_argument(
        "--aggregate-geos",
        action="store_true",
        help="with --geo-column: sum the geos per date (controls averaged, events max)",
    )


def _add_fit_options(command: argparse.ArgumentParser, default_out: str) -> None:
    command.add_argument(
        "--out",
        type=pathlib.Path,
        default=pathlib.Path(default_out),
        help=f"output folder (default {default_out})",
    )
    command.add_argument(
        "--quick",
        action="store_true",
        help="short chains (2 x 300 draws) for a first look; not for decisions",
    )
    command.add_argument("--seed", type=int, help="random seed of the sampler")
    command.add_argument("--quiet", action="store_true", help="no progress lines")


def _add_run_parsers(commands: Any) -> None:
    demo = commands.add_parser(
        "demo",
        help="the whole flow on a bundled example: report, tables, plots, saved fit",
        description="Map, explore, fit, diagnose, decompose and optimize a bundled example, "
        "and write a self-contained HTML report (report.html), the plots (PNG), the tables "
        "(CSV and Parquet) and the fitted model to --out. Exit code 0: done (read the "
        "report's verdict); 1: the budget plan failed (the rest is written).",
    )
    demo.add_argument(
        "--example",
        choices=EXAMPLE_NAMES,
        default=DEMO_EXAMPLE,
        help=f"the bundled example (default {DEMO_EXAMPLE}: simulated with a known truth)",
    )
    _add_fit_options(demo, "mmm-out")
    demo.set_defaults(run="demo")
    fit = commands.add_parser(
        "fit",
        help="the whole flow on your CSV, configured by a TOML or YAML file",
        description="Like mmm demo, on your data: the config file holds the column mapping, "
        "the model (adstock/saturation per channel, priors, seasonality, controls, events), "
        "the sampler settings and the budget scenario (docs/10_CONFIG.md). Exit code 0: "
        "done; 1: the config or the data are invalid (the message names the key or column) "
        "or the plan failed; 2: a file is missing.",
    )
    fit.add_argument("data", type=pathlib.Path, help="CSV file")
    fit.add_argument("--config", type=pathlib.Path, help="run configuration (.toml, .yaml)")
    _add_fit_options(fit, "mmm-out")
    fit.set_defaults(run="fit")
    optimize = commands.add_parser(
        "optimize",
        help="re-plan the budget from a saved fit, without refitting",
        description="Optimize the budget on the posterior of a saved fit (the --out folder "
        "of mmm demo / mmm fit, or its model/ folder). Without --budget the budget is the "
        "historic average spend per period over the last year (times 1 + --budget-change); "
        "the plan is compared with the same year's channel mix.",
    )
    optimize.add_argument("fitted", type=pathlib.Path, help="folder of a saved run or fit")
    optimize.add_argument(
        "--budget",
        type=float,
        help="budget per period (steady plan), or the total over --horizon periods",
    )
    optimize.add_argument(
        "--budget-change", type=float, help="relative to the historic budget, e.g. 0.1 for +10%%"
    )
    optimize.add_argument(
        "--reference-periods",
        type=int,
        metavar="N",
        help="the last N periods are 'historic': the default budget, the mix the plan is "
        "compared with and 'x' bounds are taken over them (default: one year)",
    )
    optimize.add_argument("--horizon", type=int, help="plan week by week over this many periods")
    optimize.add_argument("--objective", help="mean (default), mean_sd, cvar or prob_beat")
    optimize.add_argument(
        "--bound",
        action="append",
        default=[],
        metavar="CHANNEL=LOW:HIGH",
        help="spend bounds of a channel (per period; over the horizon with --horizon); "
        "repeat per channel; 'x' suffix for multiples of historic spend (mean per period over "
        "--reference-periods), e.g. tv=0.5x:2x",
    )
    optimize.add_argument(
        "--lock",
        action="append",
        default=[],
        metavar="CHANNEL=SPEND",
        help="fix a channel's spend; repeat per channel",
    )
    optimize.add_argument(
        "--config", type=pathlib.Path, help="take the scenario from this config's [scenario]"
    )
    optimize.add_argument("--out", type=pathlib.Path, help="output folder (default FITTED/plan)")
    optimize.set_defaults(run="optimize")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mmm", description="Fast, checked Bayesian Marketing Mix Modeling."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser(
        "validate",
        help="map a CSV to the naming convention and check the dataset contract",
        description="Map a CSV to the naming convention and check the dataset contract. "
        "Exit code 0: valid; 1: the data break the contract (the errors say what to fix); "
        "2: a file is missing or the arguments are wrong.",
    )
    _add_source_arguments(validate, "CSV file to validate")
    validate.set_defaults(run="validate")
    explore = commands.add_parser(
        "eda",
        help="pre-model analysis: profile, collinearity, OLS/ridge baselines, findings",
        description="Profile a dataset before modeling: per-column summary, correlations, "
        "VIF, channel pairs, lagged correlations, OLS and cross-validated ridge baselines, "
        "and findings with severities. Exit code 0: analysed (read the findings); 1: the "
        "data break the contract; 2: a file is missing or the arguments are wrong.",
    )
    _add_source_arguments(explore, "CSV file to analyse")
    explore.add_argument(
        "--out", type=pathlib.Path, help="write the tables (CSV) and plots (PNG) to this folder"
    )
    explore.add_argument(
        "--folds", type=int, default=5, help="rolling-origin folds of the ridge CV (default 5)"
    )
    explore.add_argument(
        "--value-per-kpi",
        type=_positive_number,
        default=1.0,
        help="money value of one KPI unit (e.g. revenue per conversion) for the quick ROI; "
        "default 1 (a KPI that is money)",
    )
    explore.set_defaults(run="eda")
    _add_run_parsers(commands)
    examples = commands.add_parser("examples", help="list the bundled example datasets")
    examples.set_defaults(run="examples")
    return parser


def _positive_number(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r}: pass a finite number > 0")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mmm`` command line; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.command in ("validate", "eda") and args.example and args.mapping:
        _parser().error("--mapping applies to a CSV file, not to --example")
    try:
        commands = importlib.import_module("mmm._commands")
        code: int = getattr(commands, args.run)(args)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
