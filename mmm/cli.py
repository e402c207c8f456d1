"""The ``mmm`` command line."""

from __future__ import annotations

import argparse
import pathlib
import sys
import warnings
from collections.abc import Sequence

import polars as pl

from mmm.config import DataContractError, DataContractWarning, MappingError
from mmm.data import ColumnMapper, MappingReport, MMMDataSet
from mmm.datasets import EXAMPLES, example_names, load_example_with_report

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
