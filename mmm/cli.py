"""The ``mmm`` command line."""

from __future__ import annotations

import argparse
import pathlib
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import polars as pl

from mmm.config import DataContractError, DataContractWarning, MappingError
from mmm.data import ColumnMapper, MappingReport, MMMDataSet
from mmm.datasets import EXAMPLES, example_names, load_example_with_report
from mmm.optimization import InfeasiblePlanError, TargetUnreachableError
from mmm.pipeline import (
    DEMO_EXAMPLE,
    QUICK_SAMPLER,
    STAGES,
    ConfigError,
    Progress,
    RunConfig,
    RunResult,
    demo_config,
    load_config,
    replan,
    run,
    summary_text,
)

__all__ = ["main"]


def _read_csv(path: pathlib.Path, separator: str) -> pl.DataFrame:
    """Read every column of a CSV as text.

    The ColumnMapper then parses dates and numbers strictly and reports it; type guessing
    here would read ``1.200`` as 1.2 before the mapper could apply a thousands separator.
    """
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        frame = pl.read_csv(path, infer_schema=False, separator=separator)
    except pl.exceptions.PolarsError as err:
        reason = str(err).splitlines()[0]
        raise MappingError(
            f"could not read {path} as CSV with separator {separator!r} ({reason}); "
            "if the file uses another separator, pass it, e.g. --separator ';'"
        ) from None
    if frame.width == 1 and separator == "," and ";" in frame.columns[0]:
        raise MappingError(
            f"{path} has a single column {frame.columns[0]!r}: it looks ';'-separated; "
            "pass --separator ';'"
        )
    return frame


def _mapper_from_args(args: argparse.Namespace) -> ColumnMapper:
    base = ColumnMapper.from_file(args.mapping) if args.mapping else ColumnMapper()
    overrides: dict[str, object] = {}
    if args.date_format:
        overrides["date_format"] = args.date_format
    if args.thousands_separator:
        overrides["thousands_separator"] = args.thousands_separator
    if args.decimal_separator:
        overrides["decimal_separator"] = args.decimal_separator
    if args.strip_currency:
        overrides["strip_currency"] = True
    if args.geo_column:
        overrides["geo_column"] = args.geo_column
    if args.geo:
        overrides["geo"] = args.geo
    if args.aggregate_geos:
        overrides["aggregate_geos"] = True
    if not overrides:
        return base
    fields = {f: getattr(base, f) for f in base.__dataclass_fields__}
    return ColumnMapper(**{**fields, **overrides})


def _load(args: argparse.Namespace) -> tuple[str, MMMDataSet, MappingReport]:
    """The dataset of ``args`` (an example or a CSV with mapping options)."""
    if args.example:
        dataset, report = load_example_with_report(args.example)
        return f"example {args.example!r}", dataset, report
    raw = _read_csv(args.data, args.separator)
    dataset, report = _mapper_from_args(args).build(raw)
    return str(args.data), dataset, report


def _validate(args: argparse.Namespace) -> int:
    source = f"example {args.example!r}" if args.example else str(args.data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataContractWarning)  # shown in the report instead
        try:
            source, dataset, report = _load(args)
        except DataContractError as err:
            print(f"Contract check of {source}: FAILED\n{err}", file=sys.stderr)
            return 1
    _print_success(source, dataset, report)
    return 0


def _eda(args: argparse.Namespace) -> int:
    from mmm import eda

    source = f"example {args.example!r}" if args.example else str(args.data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataContractWarning)  # listed in the summary
        try:
            source, dataset, _ = _load(args)
        except DataContractError as err:
            print(f"Contract check of {source}: FAILED\n{err}", file=sys.stderr)
            return 1
    print(f"EDA of {source}: {dataset.summary()}")
    report = eda.report(dataset, folds=args.folds)
    print(report)
    if args.out is not None:
        written = eda.write_report(report, args.out)
        print(f"\nwrote {len(written)} files to {args.out}")
    return 0


def _fit_settings(args: argparse.Namespace) -> dict[str, object]:
    """Sampler overrides from the command line (``--quick``, ``--seed``)."""
    overrides: dict[str, object] = {}
    if args.quick:
        overrides.update(QUICK_SAMPLER)
    if args.seed is not None:
        overrides["seed"] = args.seed
    return overrides


def _finish(result: RunResult) -> int:
    print(summary_text(result))
    return 0 if result.plan_error is None else 1


def _demo(args: argparse.Namespace) -> int:
    import numpyro

    numpyro.set_host_device_count(4)  # parallel chains on CPU; before any JAX computation
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataContractWarning)  # listed in the report
        progress = Progress(len(STAGES) + 1, enabled=not args.quiet)
        with progress.stage("loading", f"example {args.example!r}"):
            dataset, report = load_example_with_report(args.example)
        config = demo_config(args.example, dataset.channels).with_sampler(**_fit_settings(args))
        example = EXAMPLES[args.example]
        result = run(
            dataset,
            config,
            args.out,
            source=f"example {args.example!r} ({example.source})",
            mapping=report,
            true_roi=example.true_roi,
            spend_is_money=example.spend_is_money,
            progress=progress,
        )
    return _finish(result)


def _fit(args: argparse.Namespace) -> int:
    import numpyro

    numpyro.set_host_device_count(4)
    try:
        config = load_config(args.config) if args.config else RunConfig()
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    config = config.with_sampler(**_fit_settings(args))
    progress = Progress(len(STAGES) + config.scenario.enabled, enabled=not args.quiet)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataContractWarning)  # listed in the report
        try:
            with progress.stage("loading", str(args.data)):
                raw = _read_csv(args.data, config.data.separator)
                dataset, report = config.data.mapper().build(raw)
        except DataContractError as err:
            print(f"Contract check of {args.data}: FAILED\n{err}", file=sys.stderr)
            return 1
        try:
            result = run(
                dataset, config, args.out, source=str(args.data), mapping=report, progress=progress
            )
        except ConfigError as err:  # a setting that does not fit the data; nothing ran
            print(f"error: {err}", file=sys.stderr)
            return 1
    return _finish(result)


def _optimize(args: argparse.Namespace) -> int:
    import numpyro

    numpyro.set_host_device_count(4)
    try:
        replanned = replan(
            args.fitted,
            budget=args.budget,
            budget_change=args.budget_change,
            horizon=args.horizon,
            objective=args.objective,
            bounds=args.bound,
            locks=args.lock,
            config=args.config,
            out=args.out,
        )
    except (ConfigError, InfeasiblePlanError, TargetUnreachableError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(replanned.plan)
    print(f"\nwrote {len(replanned.files)} files to {replanned.out}")
    return 0


def _print_success(source: str, dataset: MMMDataSet, report: MappingReport) -> None:
    print(report)
    print()
    verdict = "PASSED with warnings" if dataset.warnings else "PASSED"
    print(f"Contract check of {source}: {verdict}")
    print(dataset.summary())


def _examples(_: argparse.Namespace) -> int:
    for name in example_names():
        print(f"{name}: {EXAMPLES[name].description}\n  source: {EXAMPLES[name].source}")
    return 0


def _add_source_arguments(command: argparse.ArgumentParser, what: str) -> None:
    source = command.add_mutually_exclusive_group(required=True)
    source.add_argument("data", nargs="?", type=pathlib.Path, help=what)
    source.add_argument("--example", choices=example_names(), help="a bundled example")
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
        choices=example_names(),
        default=DEMO_EXAMPLE,
        help=f"the bundled example (default {DEMO_EXAMPLE}: simulated with a known truth)",
    )
    _add_fit_options(demo, "mmm-out")
    demo.set_defaults(run=_demo)
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
    fit.set_defaults(run=_fit)
    optimize = commands.add_parser(
        "optimize",
        help="re-plan the budget from a saved fit, without refitting",
        description="Optimize the budget on the posterior of a saved fit (the --out folder "
        "of mmm demo / mmm fit, or its model/ folder). Without --budget the budget is the "
        "historic average spend per period over the last year (times 1 + --budget-change).",
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
    optimize.add_argument("--horizon", type=int, help="plan week by week over this many periods")
    optimize.add_argument("--objective", help="mean (default), mean_sd, cvar or prob_beat")
    optimize.add_argument(
        "--bound",
        action="append",
        default=[],
        metavar="CHANNEL=LOW:HIGH",
        help="spend bounds of a channel (per period; over the horizon with --horizon); "
        "repeat per channel; 'x' suffix for multiples of historic spend, e.g. tv=0.5x:2x",
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
    optimize.set_defaults(run=_optimize)


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
    validate.set_defaults(run=_validate)
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
    explore.set_defaults(run=_eda)
    _add_run_parsers(commands)
    examples = commands.add_parser("examples", help="list the bundled example datasets")
    examples.set_defaults(run=_examples)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mmm`` command line; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.command in ("validate", "eda") and args.example and args.mapping:
        _parser().error("--mapping applies to a CSV file, not to --example")
    try:
        code: int = args.run(args)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
