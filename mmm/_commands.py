"""What the ``mmm`` commands do (:mod:`mmm.cli` parses the arguments and calls these).

Kept apart from the parser so that ``mmm --help`` and argument errors do not import the
library (JAX programs, polars, pandera, matplotlib): :mod:`mmm.cli` imports this module only
to run a command.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import warnings

import polars as pl

from mmm.config import DataContractError, DataContractWarning, MappingError
from mmm.data import ColumnMapper, MappingReport, MMMDataSet
from mmm.datasets import EXAMPLES, example_names, load_example_with_report
from mmm.optimization import InfeasiblePlanError, TargetUnreachableError
from mmm.pipeline import (
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

__all__ = ["demo", "eda", "examples", "fit", "optimize", "validate"]


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


def validate(args: argparse.Namespace) -> int:
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


def eda(args: argparse.Namespace) -> int:
    from mmm import eda as analysis

    source = f"example {args.example!r}" if args.example else str(args.data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataContractWarning)  # listed in the summary
        try:
            source, dataset, _ = _load(args)
        except DataContractError as err:
            print(f"Contract check of {source}: FAILED\n{err}", file=sys.stderr)
            return 1
    print(f"EDA of {source}: {dataset.summary()}")
    report = analysis.report(dataset, folds=args.folds, value_per_kpi=args.value_per_kpi)
    print(report)
    if args.out is not None:
        written = analysis.write_report(report, args.out)
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


def demo(args: argparse.Namespace) -> int:
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


def fit(args: argparse.Namespace) -> int:
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


def optimize(args: argparse.Namespace) -> int:
    try:
        replanned = replan(
            args.fitted,
            budget=args.budget,
            budget_change=args.budget_change,
            reference_periods=args.reference_periods,
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


def examples(_: argparse.Namespace) -> int:
    for name in example_names():
        print(f"{name}: {EXAMPLES[name].description}\n  source: {EXAMPLES[name].source}")
    return 0
