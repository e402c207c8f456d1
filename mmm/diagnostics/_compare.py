"""Model comparison: PSIS-LOO and WAIC from the stored pointwise log-likelihood (arviz).

PSIS-LOO (Vehtari, Gelman and Gabry 2017) estimates the expected log predictive density
of each period as if it had been left out, by Pareto-smoothed importance sampling of the
posterior draws. Its shape estimate ``k`` per period says when that fails: above
``good_k`` (``min(1 - 1 / log10(S), 0.7)`` for ``S`` draws) the estimate for that period
is unreliable, usually an influential outlier week. Models are compared on the same KPI
and periods only; the difference in ``elpd`` with its standard error ``dse`` says how
clearly one predicts better.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import polars as pl
from jaxtyping import Float

from mmm.modeling import FittedMMM
from mmm.modeling._arviz import arviz

__all__ = ["Criterion", "ModelScore", "Comparison", "loo", "waic", "compare"]

Criterion = Literal["loo", "waic"]


@dataclasses.dataclass(frozen=True)
class ModelScore:
    """LOO or WAIC of one fit.

    Attributes:
        criterion: ``"loo"`` or ``"waic"``.
        elpd: expected log pointwise predictive density (higher is better).
        se: its standard error.
        p_eff: effective number of parameters.
        pointwise: elpd per period, ``(time,)``.
        pareto_k: PSIS shape per period, ``(time,)`` (LOO only, else ``None``).
        good_k: the threshold above which a ``k`` is bad (LOO only, else NaN).
        dates: the periods.
        elpd_data: arviz's ``ELPDData`` (for ``arviz.compare`` and plots).
    """

    criterion: Criterion
    elpd: float
    se: float
    p_eff: float
    pointwise: Float[np.ndarray, " time"]
    pareto_k: Float[np.ndarray, " time"] | None
    good_k: float
    dates: tuple[dt.date, ...]
    elpd_data: Any

    @property
    def bad_periods(self) -> list[tuple[dt.date, float]]:
        """``(date, k)`` of every period whose Pareto ``k`` exceeds ``good_k``."""
        if self.pareto_k is None:
            return []
        return [
            (d, float(k)) for d, k in zip(self.dates, self.pareto_k, strict=True) if k > self.good_k
        ]

    def __str__(self) -> str:
        text = (
            f"{self.criterion.upper()}: elpd {self.elpd:.1f} (se {self.se:.1f}), p {self.p_eff:.1f}"
        )
        bad = self.bad_periods
        if bad:
            worst = ", ".join(f"{d} (k={k:.2f})" for d, k in sorted(bad, key=lambda b: -b[1])[:5])
            text += f"; {len(bad)} period(s) with Pareto k > {self.good_k:.2f}: {worst}"
        return text


def _elpd(fitted: FittedMMM, criterion: Criterion) -> ModelScore:
    if fitted.n_chains * fitted.n_draws < 2:
        raise ValueError(
            f"{criterion.upper()} needs posterior draws but this {fitted.info.method.upper()} "
            "fit has one point: fit with method='nuts', 'svi' or 'laplace'"
        )
    with warnings.catch_warnings():  # reported per period in ModelScore instead
        warnings.simplefilter("ignore", UserWarning)
        if criterion == "loo":
            data = arviz().loo(fitted.idata, pointwise=True)
        else:
            data = arviz().waic(fitted.idata, pointwise=True)
    pointwise = np.asarray(data[f"{criterion}_i"], dtype=np.float64)
    k = np.asarray(data["pareto_k"], dtype=np.float64) if criterion == "loo" else None
    good_k = float(getattr(data, "good_k", 0.7)) if criterion == "loo" else float("nan")
    return ModelScore(
        criterion=criterion,
        elpd=float(data[f"elpd_{criterion}"]),
        se=float(data["se"]),
        p_eff=float(data[f"p_{criterion}"]),
        pointwise=pointwise,
        pareto_k=k,
        good_k=good_k,
        dates=tuple(fitted.design.dates),
        elpd_data=data,
    )


def loo(fitted: FittedMMM) -> ModelScore:
    """PSIS-LOO of ``fitted`` (pointwise, with Pareto ``k`` per period).

    Raises:
        ValueError: for a fit with a single draw (MAP).
    """
    return _elpd(fitted, "loo")


def waic(fitted: FittedMMM) -> ModelScore:
    """WAIC of ``fitted`` (pointwise).

    Raises:
        ValueError: for a fit with a single draw (MAP).
    """
    return _elpd(fitted, "waic")


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Fits ranked by LOO or WAIC (see :func:`compare`).

    Attributes:
        criterion: ``"loo"`` or ``"waic"``.
        table: one row per model, best first: ``model``, ``rank``, ``elpd``, ``se``,
            ``elpd_diff`` (to the best), ``dse`` (its standard error), ``p_eff``,
            ``weight`` (stacking), ``n_bad_k`` (periods with Pareto k above ``good_k``).
        problematic: the periods with a bad Pareto k: ``model``, ``date``, ``pareto_k``.
        scores: each model's :class:`ModelScore`, by name.
    """

    criterion: Criterion
    table: pl.DataFrame
    problematic: pl.DataFrame
    scores: Mapping[str, ModelScore]

    @property
    def best(self) -> str:
        """Name of the model with the highest elpd."""
        return str(self.table["model"][0])

    def to_frame(self) -> pl.DataFrame:
        """The ranking table."""
        return self.table

    def __str__(self) -> str:
        lines = [f"Model comparison by {self.criterion.upper()} (higher elpd is better):"]
        for row in self.table.iter_rows(named=True):
            lines.append(
                f"  {row['rank']}. {row['model']}: elpd {row['elpd']:.1f} (se {row['se']:.1f})"
                f", diff {row['elpd_diff']:.1f} (dse {row['dse']:.1f}), weight "
                f"{row['weight']:.2f}, p {row['p_eff']:.1f}"
            )
        if self.table.height > 1:
            second = self.table.row(1, named=True)
            clear = second["elpd_diff"] > 2 * second["dse"]
            lines.append(
                f"  {self.best} predicts "
                + ("clearly better" if clear else "not clearly better (diff < 2 dse)")
                + f" than {second['model']}."
            )
        if self.problematic.height:
            lines.append(
                f"  warning: {self.problematic.height} period(s) with Pareto k above the "
                "threshold: their LOO estimate is unreliable (influential weeks: check them "
                "for outliers or missing events; see .problematic)."
            )
        return "\n".join(lines)


def _named(fits: Sequence[FittedMMM] | Mapping[str, FittedMMM]) -> dict[str, FittedMMM]:
    if isinstance(fits, Mapping):
        named = {str(k): v for k, v in fits.items()}
    else:
        named = {f"model_{i}": f for i, f in enumerate(fits)}
    if len(named) < 2:
        raise ValueError(f"compare needs at least 2 fits, got {len(named)}")
    return named


def _check_same_data(named: dict[str, FittedMMM]) -> None:
    names = list(named)
    ref = named[names[0]]
    y0 = np.asarray(ref.design.scalings.kpi.inverse(ref.design.kpi))
    for name in names[1:]:
        f = named[name]
        y = np.asarray(f.design.scalings.kpi.inverse(f.design.kpi))
        if f.design.dates != ref.design.dates or not np.allclose(y, y0, rtol=1e-5):
            raise ValueError(
                f"{name!r} was fitted to other periods or another KPI than {names[0]!r}: "
                "LOO/WAIC compare models on the same observations only"
            )


def compare(
    fits: Sequence[FittedMMM] | Mapping[str, FittedMMM],
    *,
    criterion: Criterion = "loo",
) -> Comparison:
    """Rank fits of the same data by PSIS-LOO (default) or WAIC.

    Args:
        fits: the fits, as a list (named ``model_0``, ...) or a mapping name -> fit.
        criterion: ``"loo"`` or ``"waic"``.

    Returns:
        The :class:`Comparison` (best model first, stacking weights, bad Pareto ``k``s).

    Raises:
        ValueError: for fewer than 2 fits, fits of different data, or a MAP fit.
    """
    if criterion not in ("loo", "waic"):
        raise ValueError(f"criterion={criterion!r} is not valid: choose 'loo' or 'waic'")
    named = _named(fits)
    _check_same_data(named)
    scores = {name: _elpd(f, criterion) for name, f in named.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ranked = arviz().compare({k: s.elpd_data for k, s in scores.items()}, ic=criterion)
    models = [str(m) for m in ranked.index]
    table = pl.DataFrame(
        {
            "model": models,
            "rank": [int(r) + 1 for r in ranked["rank"]],
            "elpd": [float(v) for v in ranked[f"elpd_{criterion}"]],
            "se": [float(v) for v in ranked["se"]],
            "elpd_diff": [float(v) for v in ranked["elpd_diff"]],
            "dse": [float(v) for v in ranked["dse"]],
            "p_eff": [float(v) for v in ranked[f"p_{criterion}"]],
            "weight": [float(v) for v in ranked["weight"]],
            "n_bad_k": [len(scores[m].bad_periods) for m in models],
        }
    )
    bad = [(m, d, k) for m in models for d, k in scores[m].bad_periods]
    problematic = pl.DataFrame(
        {
            "model": [b[0] for b in bad],
            "date": [b[1] for b in bad],
            "pareto_k": [b[2] for b in bad],
        },
        schema={"model": pl.String, "date": pl.Date, "pareto_k": pl.Float64},
    )
    return Comparison(criterion=criterion, table=table, problematic=problematic, scores=scores)
