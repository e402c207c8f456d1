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


def _validate(args: argparse.Namespace) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataContractWarning)  # shown in the report instead
        try:
            if args.example:
                source = f"example {args.example!r}"
                dataset, report = load_example_with_report(args.example)
            else:
                source = str(args.data)
                raw = _read_csv(args.data, args.separator)
                dataset, report = _mapper_from_args(args).build(raw)
        except DataContractError as err:
            print(f"Contract check of {source}: FAILED\n{err}", file=sys.stderr)
            return 1
    _print_success(source, dataset, report)
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
    source = validate.add_mutually_exclusive_group(required=True)
    source.add_argument("data", nargs="?", type=pathlib.Path, help="CSV file to validate")
    source.add_argument("--example", choices=example_names(), help="a bundled example")
    validate.add_argument(
        "--mapping", type=pathlib.Path, help="JSON/YAML mapping file ({raw: target} or options)"
    )
    validate.add_argument("--separator", default=",", help="CSV field separator (default ',')")
    validate.add_argument("--date-format", help="strftime format of the dates, e.g. %%d/%%m/%%Y")
    validate.add_argument("--thousands-separator", help="e.g. ',' for 1,234.5")
    validate.add_argument("--decimal-separator", choices=[".", ","])
    validate.add_argument(
        "--strip-currency", action="store_true", help="remove currency symbols from numbers"
    )
    validate.set_defaults(run=_validate)
    examples = commands.add_parser("examples", help="list the bundled example datasets")
    examples.set_defaults(run=_examples)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mmm`` command line; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "validate" and args.example and args.mapping:
        _parser().error("--mapping applies to a CSV file, not to --example")
    try:
        code: int = args.run(args)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
