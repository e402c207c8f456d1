"""``replan``: a new budget plan from a saved run or fit, without refitting."""

from __future__ import annotations

import dataclasses
import json
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from mmm.modeling import FittedMMM, load
from mmm.optimization import BudgetPlan
from mmm.pipeline._config import ConfigError, RunConfig, load_config
from mmm.pipeline._run import plan_outputs, plan_scenario, write_outputs

__all__ = ["Replan", "replan", "saved_run", "parse_bound", "parse_lock"]


@dataclasses.dataclass(frozen=True)
class Replan:
    """A plan made from a saved fit.

    Attributes:
        plan: the optimized plan.
        config: the configuration whose scenario was planned (with the overrides).
        out: the folder its tables and plots were written to.
        files: the files written, relative to ``out``.
    """

    plan: BudgetPlan
    config: RunConfig
    out: pathlib.Path
    files: tuple[str, ...]


def saved_run(folder: str | pathlib.Path) -> tuple[FittedMMM, RunConfig]:
    """The fit and configuration of a run folder (``mmm demo``/``mmm fit --out``).

    ``folder`` may also be a fit saved by :func:`mmm.modeling.save` (its configuration is
    then the default one).

    Raises:
        FileNotFoundError: if ``folder`` holds neither a run nor a saved fit.
    """
    folder = pathlib.Path(folder)
    model = folder / "model"
    if not (model / "manifest.json").is_file():
        if (folder / "manifest.json").is_file():
            return load(folder), RunConfig()
        raise FileNotFoundError(
            f"{folder} is neither a run folder (with model/) nor a saved fit (with "
            "manifest.json): pass the --out folder of mmm demo or mmm fit"
        )
    config_file = folder / "config.json"
    config = RunConfig()
    if config_file.is_file():
        config = RunConfig.from_dict(json.loads(config_file.read_text()), source=str(config_file))
    return load(model), config


def _channel_value(text: str, option: str) -> tuple[str, str]:
    channel, sep, value = text.partition("=")
    if not sep or not channel or not value:
        raise ConfigError(f"{text!r}: write CHANNEL=VALUE", key=option, source="command line")
    return channel.strip(), value.strip()


def _number(text: str, option: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{text!r} is not a number", key=option, source="command line") from None


def parse_bound(text: str) -> tuple[str, Any]:
    """``"tv=100:500"`` -> ``("tv", [100, 500])``; ``"tv=0.5x:2x"`` -> multiples.

    Either end may be empty (``"tv=:500"``: no lower bound, ``"tv=100:"``: no upper).

    Raises:
        ConfigError: naming ``--bound`` for a malformed value.
    """
    channel, value = _channel_value(text, "--bound")
    low, sep, high = value.partition(":")
    if not sep:
        raise ConfigError(f"{text!r}: write CHANNEL=LOW:HIGH", key="--bound", source="command line")
    low_x, high_x = low.endswith("x"), high.endswith("x")
    relative = low_x or high_x
    if low and high and low_x != high_x:
        raise ConfigError(
            f"{text!r}: give both ends as multiples (0.5x:2x) or both as money",
            key="--bound",
            source="command line",
        )
    lo = _number(low.rstrip("x"), "--bound") if low else 0.0
    hi = _number(high.rstrip("x"), "--bound") if high else float("inf")
    return (channel, {"multiple": [lo, hi]}) if relative else (channel, [lo, hi])


def parse_lock(text: str) -> tuple[str, float]:
    """``"search=120"`` -> ``("search", 120.0)``.

    Raises:
        ConfigError: naming ``--lock`` for a malformed value.
    """
    channel, value = _channel_value(text, "--lock")
    return channel, _number(value, "--lock")


def replan(
    folder: str | pathlib.Path,
    *,
    budget: float | None = None,
    budget_change: float | None = None,
    reference_periods: int | None = None,
    horizon: int | None = None,
    objective: str | None = None,
    bounds: Sequence[str] | Mapping[str, Any] = (),
    locks: Sequence[str] | Mapping[str, float] = (),
    config: str | pathlib.Path | None = None,
    out: str | pathlib.Path | None = None,
    dpi: int = 110,
) -> Replan:
    """Optimize a budget on the posterior of a saved run, and write the plan.

    The scenario is the run's own (its ``config.json``), or the ``[scenario]`` of
    ``config``, with the given arguments replacing its keys. Bounds and locks given here
    replace the scenario's for the channels they name and keep the others
    (``"tv=100:500"``, ``"tv=0.5x:2x"``, ``"search=120"``, or mappings in the config
    file's form).

    Args:
        folder: the run folder (``--out`` of ``mmm demo``/``mmm fit``) or a saved fit.
        budget: per period (steady) or over the horizon; ``None`` keeps the scenario's.
        budget_change: relative to the historic budget (``0.1``: +10%).
        reference_periods: the last periods that are "historic" (budget, reference mix,
            multiple bounds); ``None`` keeps the scenario's.
        horizon: plan over this many periods (flighting).
        objective: ``"mean"``, ``"mean_sd"``, ``"cvar"`` or ``"prob_beat"``.
        bounds: per channel spend bounds.
        locks: per channel fixed spend.
        config: a configuration file whose ``[scenario]`` (and ``[report]``) to use.
        out: where to write (default ``folder/plan``).
        dpi: resolution of the plots.

    Raises:
        FileNotFoundError: if ``folder`` holds no fit.
        ConfigError: for an invalid scenario (naming the key or option).
        ValueError: constraints that cannot hold (the message names them).
    """
    fitted, run_config = saved_run(folder)
    if config is not None:
        chosen = load_config(config)
        run_config = dataclasses.replace(run_config, scenario=chosen.scenario, report=chosen.report)
    overrides: dict[str, Any] = {}
    if budget is not None:
        overrides["budget"] = budget
    if budget_change is not None:
        overrides["budget_change"] = budget_change
        overrides["budget"] = None
    if reference_periods is not None:
        overrides["reference_periods"] = reference_periods
    if horizon is not None:
        overrides["horizon"] = horizon
    if objective is not None:
        overrides["objective"] = objective
    current = run_config.scenario.to_dict()
    if bounds:
        new = dict(bounds) if isinstance(bounds, Mapping) else dict(map(parse_bound, bounds))
        overrides["bounds"] = {**current.get("bounds", {}), **new}
    if locks:
        new = dict(locks) if isinstance(locks, Mapping) else dict(map(parse_lock, locks))
        overrides["locks"] = {**current.get("locks", {}), **new}
    run_config = run_config.with_scenario(**overrides)
    run_config = dataclasses.replace(
        run_config, scenario=dataclasses.replace(run_config.scenario, enabled=True)
    )
    plan = plan_scenario(fitted, run_config.scenario, run_config.report.level)
    tables: dict[str, pl.DataFrame] = {}
    plots: dict[str, bytes] = {}
    plan_outputs(fitted, plan, tables, plots, dpi)
    folder_out = pathlib.Path(folder) / "plan" if out is None else pathlib.Path(out)
    folder_out.mkdir(parents=True, exist_ok=True)
    files = write_outputs(folder_out, tables, plots)
    (folder_out / "scenario.json").write_text(
        json.dumps(run_config.scenario.to_dict(), indent=2) + "\n"
    )
    (folder_out / "plan.txt").write_text(str(plan) + "\n", encoding="utf-8")
    return Replan(plan, run_config, folder_out, (*files, "scenario.json", "plan.txt"))
