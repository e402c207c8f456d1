"""Correlation and collinearity: correlation matrices, channel pairs, VIF, condition number.

* :func:`correlations`: Pearson and Spearman matrices among the KPI, spend, exposures,
  organic activity and controls (events are indicators: left out).
* :func:`channel_pairs`: per pair of paid channels their spend correlations, the
  correlation of their media responses in the regression design (after adstock and
  saturation: what the model has to tell apart), and the on/off correlation (phi
  coefficient of ``spend > 0``).
* :func:`collinearity`: VIF per design column, the standardized design's condition number
  and rank, and the pairs.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
from jaxtyping import Float

from mmm.config import Role, column_name
from mmm.data import MMMDataSet
from mmm.eda._design import RegressionDesign
from mmm.eda._linear import condition_number, constant_columns, vif
from mmm.eda._stats import lagged_correlation, pearson_matrix, spearman_matrix

__all__ = [
    "Correlations",
    "Collinearity",
    "correlations",
    "channel_pairs",
    "collinearity",
    "lagged_correlations",
]


@dataclasses.dataclass(frozen=True)
class Correlations:
    """Correlation matrices of the dataset's numeric series.

    Attributes:
        labels: the columns (``kpi__*``, ``spend__*``, ``media__*``, ``organic__*``,
            ``control__*``), in that order.
        pearson: ``(column, column)`` Pearson correlations (NaN for a constant column).
        spearman: ``(column, column)`` Spearman rank correlations.
    """

    labels: tuple[str, ...]
    pearson: Float[np.ndarray, "column column"]
    spearman: Float[np.ndarray, "column column"]

    def matrix(self, method: str = "pearson") -> pl.DataFrame:
        """The matrix as a frame: a ``column`` column, then one column per label."""
        values = self._values(method)
        return pl.DataFrame({"column": list(self.labels)}).hstack(
            pl.DataFrame({label: values[:, j] for j, label in enumerate(self.labels)})
        )

    def to_frame(self) -> pl.DataFrame:
        """Long frame of the upper triangle: ``a, b, pearson, spearman``."""
        rows = [
            (self.labels[i], self.labels[j], self.pearson[i, j], self.spearman[i, j])
            for i in range(len(self.labels))
            for j in range(i + 1, len(self.labels))
        ]
        return pl.DataFrame(rows, schema=["a", "b", "pearson", "spearman"], orient="row").cast(
            {"pearson": pl.Float64, "spearman": pl.Float64}
        )

    def _values(self, method: str) -> np.ndarray:
        if method not in ("pearson", "spearman"):
            raise ValueError(f"method={method!r} is not valid: use 'pearson' or 'spearman'")
        return self.pearson if method == "pearson" else self.spearman


def _series(dataset: MMMDataSet) -> tuple[list[str], np.ndarray]:
    names = [dataset.kpi_column]
    for role, items in (
        (Role.SPEND, dataset.channels),
        (Role.MEDIA, dataset.media_channels),
        (Role.ORGANIC, dataset.organic),
        (Role.CONTROL, dataset.controls),
    ):
        names += [column_name(role, n) for n in items]
    return names, dataset.frame.select(names).to_numpy().astype(np.float64)


def correlations(dataset: MMMDataSet) -> Correlations:
    """Pearson and Spearman correlations of the dataset's series (see :class:`Correlations`)."""
    labels, x = _series(dataset)
    return Correlations(tuple(labels), pearson_matrix(x), spearman_matrix(x))


def channel_pairs(dataset: MMMDataSet, design: RegressionDesign) -> pl.DataFrame:
    """Per pair of paid channels, how alike their spend and their media responses are.

    Columns ``a, b, spend_pearson, spend_spearman, response_pearson, on_off_phi,
    off_share_a, off_share_b``.
    ``response_pearson`` correlates the two channels' columns of ``design`` (their media
    responses); ``on_off_phi`` is the Pearson correlation of their ``spend > 0``
    indicators (NaN when a channel never or always spends).
    """
    spend = design.spend
    responses = design.x[:, : len(design.channels)]
    on = (spend > 0).astype(np.float64)
    p_spend = pearson_matrix(spend)
    s_spend = spearman_matrix(spend)
    p_resp = pearson_matrix(responses)
    phi = pearson_matrix(on)
    off = 1.0 - on.mean(axis=0)
    rows = []
    channels = design.channels
    for i in range(len(channels)):
        for j in range(i + 1, len(channels)):
            rows.append(
                (
                    channels[i],
                    channels[j],
                    p_spend[i, j],
                    s_spend[i, j],
                    p_resp[i, j],
                    phi[i, j],
                    off[i],
                    off[j],
                )
            )
    schema = {
        "a": pl.String,
        "b": pl.String,
        "spend_pearson": pl.Float64,
        "spend_spearman": pl.Float64,
        "response_pearson": pl.Float64,
        "on_off_phi": pl.Float64,
        "off_share_a": pl.Float64,
        "off_share_b": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


@dataclasses.dataclass(frozen=True)
class Collinearity:
    """How well the regression design's columns can be told apart.

    Attributes:
        vif: ``term, component, kind, vif`` per design column (NaN for constant ones).
        condition_number: of the standardized non-constant columns (``inf`` if singular).
        rank: numerical rank of the design (with its constant columns).
        n_terms: number of design columns.
        pairs: :func:`channel_pairs`.
    """

    vif: pl.DataFrame
    condition_number: float
    rank: int
    n_terms: int
    pairs: pl.DataFrame


def collinearity(dataset: MMMDataSet, design: RegressionDesign) -> Collinearity:
    """VIF, condition number, rank and channel pairs of ``design``."""
    x = design.x
    n_constant = int(np.sum(constant_columns(x)))
    return Collinearity(
        vif=pl.DataFrame(
            {
                "term": list(design.terms),
                "component": list(design.groups),
                "kind": list(design.kinds),
                "vif": vif(x),
            }
        ),
        condition_number=condition_number(x),
        rank=int(np.linalg.matrix_rank(x)) if x.shape[1] > n_constant else n_constant,
        n_terms=x.shape[1],
        pairs=channel_pairs(dataset, design),
    )


def lagged_correlations(
    dataset: MMMDataSet, max_lag: int, adjusted_kpi: Float[np.ndarray, " time"]
) -> pl.DataFrame:
    """``channel, lag, corr, corr_adjusted``: spend ``lag`` periods earlier against the KPI.

    ``corr`` uses the KPI as it is; ``corr_adjusted`` the KPI net of its linear trend and
    yearly seasonality (``adjusted_kpi``), so a channel that merely shares the KPI's
    season does not look effective.
    """
    kpi = dataset.frame[dataset.kpi_column].to_numpy().astype(np.float64)
    rows = []
    for channel in dataset.channels:
        x = dataset.frame[column_name(Role.SPEND, channel)].to_numpy().astype(np.float64)
        raw = lagged_correlation(x, kpi, max_lag)
        adjusted = lagged_correlation(x, adjusted_kpi, max_lag)
        rows += [(channel, lag, raw[lag], adjusted[lag]) for lag in range(max_lag + 1)]
    return pl.DataFrame(
        rows,
        schema={
            "channel": pl.String,
            "lag": pl.Int64,
            "corr": pl.Float64,
            "corr_adjusted": pl.Float64,
        },
        orient="row",
    )
