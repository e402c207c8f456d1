"""Bundled peer datasets, mapped to the naming convention."""

from __future__ import annotations

import dataclasses
import importlib.resources
from collections.abc import Callable, Mapping
from types import MappingProxyType

import polars as pl

from mmm.data import ColumnMapper, MappingReport, MMMDataSet

__all__ = [
    "EXAMPLES",
    "Example",
    "example_names",
    "load_example",
    "load_example_raw",
    "load_example_with_report",
]


def _identity(frame: pl.DataFrame) -> pl.DataFrame:
    return frame


def _meridian_revenue(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        (pl.col("conversions") * pl.col("revenue_per_conversion")).alias("revenue")
    )


@dataclasses.dataclass(frozen=True)
class Example:
    """A bundled dataset: its file, how it maps to the convention, and where it comes from.

    Attributes:
        name: the name passed to :func:`load_example`.
        filename: CSV file in the package's ``datasets/_data`` folder.
        mapper: the :class:`ColumnMapper` that maps the raw file.
        description: what the data are, in a sentence or two.
        source: where the file comes from and under which license.
        prepare: a pure step applied to the raw frame before mapping (documented in
            ``description`` when it derives a column).
        true_roi: the known true ROI per channel (the true contribution over the whole
            window divided by the spend, i.e. the *attributed* ROI of
            :func:`mmm.results.roi_table`) when the data were simulated with a published
            ground truth, else ``None``.
        spend_is_money: whether the ``spend__`` columns are money in the KPI's currency
            (``False`` for an index or a scaled series: ROI is then KPI per unit of that
            series, not a return on money).
    """

    name: str
    filename: str
    mapper: ColumnMapper
    description: str
    source: str
    prepare: Callable[[pl.DataFrame], pl.DataFrame] = _identity
    true_roi: Mapping[str, float] | None = None
    spend_is_money: bool = True


_PYMC = Example(
    name="pymc_marketing",
    filename="pymc_marketing_mmm_example.csv",
    mapper=ColumnMapper(
        mapping={
            "date_week": "date",
            "y": "kpi__sales",
            "x1": "spend__x1",
            "x2": "spend__x2",
            "event_1": "event__event_1",
            "event_2": "event__event_2",
        },
        ignore={
            "dayofyear": "derived from the date (the features layer builds seasonality)",
            "t": "a 0..178 time index (the features layer builds the trend from the dates)",
        },
    ),
    description=(
        "PyMC-Marketing's example: 179 weeks of sales with two channels (x1, x2) and two "
        "one-off events."
    ),
    source="pymc-labs/pymc-marketing data/mmm_example.csv, Apache-2.0",
    spend_is_money=False,
)

_MERIDIAN_CHANNELS = {
    **{f"Channel{i}_spend": f"spend__channel{i}" for i in range(5)},
    **{f"Channel{i}_impression": f"media__channel{i}" for i in range(5)},
}

_MERIDIAN = Example(
    name="meridian_national",
    filename="meridian_national_all_channels.csv",
    mapper=ColumnMapper(
        mapping={
            "time": "date",
            "revenue": "kpi__revenue",
            **_MERIDIAN_CHANNELS,
            "Organic_channel0_impression": "organic__channel0",
            "competitor_sales_control": "control__competitor_sales",
            "sentiment_score_control": "control__sentiment_score",
            "Promo": "event__promo",
        },
        ignore={
            "conversions": "the KPI is revenue = conversions x revenue_per_conversion",
            "revenue_per_conversion": "used to compute the revenue KPI",
        },
    ),
    description=(
        "Google Meridian's simulated national data: 156 weeks, 5 paid channels with spend "
        "and impressions, one organic channel, two controls and a promotion intensity. The "
        "KPI is revenue, computed before mapping as conversions x revenue_per_conversion, so "
        "ROI is in revenue per unit of spend (as Meridian reports it)."
    ),
    source="google/meridian meridian/data/simulated_data/csv/national_all_channels.csv, Apache-2.0",
    prepare=_meridian_revenue,
)

_PLR_SMALL = Example(
    name="plr_small_business",
    filename="plr_small_business.csv",
    mapper=ColumnMapper(
        mapping={
            "date": "date",
            "y": "kpi__sales",
            "x1_Search-Ads": "spend__search_ads",
            "x2_Social-Media": "spend__social_media",
            "x3_Local-Ads": "spend__local_ads",
            "x4_Email": "spend__email",
            "c1": "control__event",
            "c2": "control__sale",
        },
        ignore={
            "geo": "a single geo ('Local'); v1 models one geo",
            "c1_effect": "ground truth (the true effect of c1), not a model input",
            "c2_effect": "ground truth (the true effect of c2), not a model input",
        },
    ),
    description=(
        "PyMC Labs parameter-recovery preset small_business: 104 weeks, 4 channels with known "
        "true contributions and ROI (Search-Ads 8.190, Social-Media 21.949, Local-Ads 3.320, "
        "Email 32.127), two on/off controls."
    ),
    source="pymc-labs/mmm-param-recovery generator output (preset small_business, seed "
    "2148), Apache-2.0",
    true_roi=MappingProxyType(
        {"search_ads": 8.190, "social_media": 21.949, "local_ads": 3.320, "email": 32.127}
    ),
)

EXAMPLES: Mapping[str, Example] = MappingProxyType(
    {e.name: e for e in (_PYMC, _MERIDIAN, _PLR_SMALL)}
)
"""The bundled examples by name."""


def example_names() -> list[str]:
    """Names accepted by :func:`load_example`."""
    return list(EXAMPLES)


def _get(name: str) -> Example:
    try:
        return EXAMPLES[name]
    except KeyError:
        raise ValueError(
            f"unknown example {name!r}; available examples: {example_names()}"
        ) from None


def load_example_raw(name: str) -> pl.DataFrame:
    """The raw bundled file of example ``name``, as published (before mapping)."""
    example = _get(name)
    resource = importlib.resources.files("mmm.datasets") / "_data" / example.filename
    with importlib.resources.as_file(resource) as path:
        return pl.read_csv(path, try_parse_dates=False)


def load_example(name: str) -> MMMDataSet:
    """Load a bundled example dataset, mapped to the naming convention and validated.

    Args:
        name: one of :func:`example_names` (``"pymc_marketing"``, ``"meridian_national"``,
            ``"plr_small_business"``).

    Returns:
        The validated :class:`MMMDataSet` (:func:`load_example_with_report` also returns
        the mapping report).

    Raises:
        ValueError: for an unknown name, listing the available ones.

    Examples:
        >>> ds = load_example("pymc_marketing")
        >>> ds.channels, ds.n_periods
        (['x1', 'x2'], 179)
    """
    return load_example_with_report(name)[0]


def load_example_with_report(name: str) -> tuple[MMMDataSet, MappingReport]:
    """Load example ``name`` and the report of how its raw file was mapped."""
    example = _get(name)
    return example.mapper.build(example.prepare(load_example_raw(name)))
