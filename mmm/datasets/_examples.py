"""Bundled peer datasets, mapped to the naming convention."""

from __future__ import annotations

import dataclasses
import importlib.resources
from collections.abc import Callable, Mapping
from types import MappingProxyType

import polars as pl

from mmm._example_names import EXAMPLE_NAMES
from mmm.data import ColumnMapper, MappingReport, MMMDataSet

__all__ = [
    "EXAMPLES",
    "Example",
    "example_names",
    "load_example",
    "load_example_raw",
    "load_example_truth",
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
        truth_filename: CSV in ``datasets/_data`` with the true weekly contribution of each
            channel (raw channel column names, as published), or ``None``; read it with
            :func:`load_example_truth`.
    """

    name: str
    filename: str
    mapper: ColumnMapper
    description: str
    source: str
    prepare: Callable[[pl.DataFrame], pl.DataFrame] = _identity
    true_roi: Mapping[str, float] | None = None
    spend_is_money: bool = True
    truth_filename: str | None = None


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
    truth_filename="plr_small_business_contributions.csv",
)

_PLR_MEDIUM = Example(
    name="plr_medium_business",
    filename="plr_medium_business_national.csv",
    mapper=ColumnMapper(
        mapping={
            "date": "date",
            "y": "kpi__sales",
            "x1_Search-Ads": "spend__search_ads",
            "x2_Search-Ads-Brand": "spend__search_ads_brand",
            "x3_Video": "spend__video",
            "x4_Video-2": "spend__video_2",
            "x5_Social-Media": "spend__social_media",
            "x6_Social-Media-2": "spend__social_media_2",
            "x7_Display-Ads": "spend__display_ads",
            "x8_Influencer": "spend__influencer",
            "c1": "control__event_a",
            "c2": "control__event_b",
            "c3": "control__linear",
            "c4": "control__sale",
        },
        ignore={
            f"c{k}_effect": f"ground truth (the true effect of c{k}), not a model input"
            for k in range(1, 5)
        },
    ),
    description=(
        "PyMC Labs parameter-recovery preset medium_business, national aggregate: 156 weeks, "
        "8 channels with known true contributions and ROI, four controls (spend, control "
        "effects and y summed over the preset's 8 geos, control values averaged). The true "
        "national contributions are sums of per-geo responses, so no single adstock + Hill "
        "curve of national spend reproduces them."
    ),
    source="pymc-labs/mmm-param-recovery generator output (preset medium_business, seed "
    "2148), summed over geos; Apache-2.0",
    true_roi=MappingProxyType(
        {
            "search_ads": 51.846,
            "search_ads_brand": 236.446,
            "video": 60.997,
            "video_2": 14.596,
            "social_media": 34.551,
            "social_media_2": 125.641,
            "display_ads": 77.923,
            "influencer": 54.362,
        }
    ),
    truth_filename="plr_medium_business_national_contributions.csv",
)

EXAMPLES: Mapping[str, Example] = MappingProxyType(
    {e.name: e for e in (_PYMC, _MERIDIAN, _PLR_SMALL, _PLR_MEDIUM)}
)
"""The bundled examples by name."""

if tuple(EXAMPLES) != EXAMPLE_NAMES:  # pragma: no cover - caught by any test run
    raise RuntimeError(
        f"mmm._example_names.EXAMPLE_NAMES {EXAMPLE_NAMES} must list the registry's examples "
        f"{tuple(EXAMPLES)} in order"
    )


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


def _read_bundled(filename: str) -> pl.DataFrame:
    resource = importlib.resources.files("mmm.datasets") / "_data" / filename
    with importlib.resources.as_file(resource) as path:
        return pl.read_csv(path, try_parse_dates=False)


def load_example_raw(name: str) -> pl.DataFrame:
    """The raw bundled file of example ``name``, as published (before mapping)."""
    return _read_bundled(_get(name).filename)


def load_example_truth(name: str) -> pl.DataFrame:
    """The true contribution of each paid channel per period, for a simulated example.

    Args:
        name: an example with a published ground truth (``"plr_small_business"``,
            ``"plr_medium_business"``).

    Returns:
        Polars frame ``date`` (``pl.Date``) plus one float column per channel, named as the
        channel in :func:`load_example` (``search_ads``, not ``spend__search_ads``): the
        channel's true additive contribution to the KPI in each period, in KPI units. The
        sum over periods divided by the channel's spend is :attr:`Example.true_roi`.

    Raises:
        ValueError: for an unknown example, or one without a published truth.

    Examples:
        >>> truth = load_example_truth("plr_small_business")
        >>> truth.columns
        ['date', 'search_ads', 'social_media', 'local_ads', 'email']
    """
    example = _get(name)
    if example.truth_filename is None:
        with_truth = [e.name for e in EXAMPLES.values() if e.truth_filename is not None]
        raise ValueError(
            f"example {name!r} has no published ground truth; examples with one: {with_truth}"
        )
    frame = _read_bundled(example.truth_filename)
    renames = {
        raw: canonical.removeprefix("spend__")
        for raw, canonical in example.mapper.mapping.items()
        if canonical.startswith("spend__")
    }
    missing = sorted(set(renames) - set(frame.columns))
    if missing:  # a packaging error, not a user error
        raise RuntimeError(f"{example.truth_filename} lacks channel columns {missing}")
    return frame.select(
        pl.col("date").str.to_date("%Y-%m-%d"),
        *[pl.col(raw).cast(pl.Float64).alias(name) for raw, name in renames.items()],
    )


def load_example(name: str) -> MMMDataSet:
    """Load a bundled example dataset, mapped to the naming convention and validated.

    Args:
        name: one of :func:`example_names` (``"pymc_marketing"``, ``"meridian_national"``,
            ``"plr_small_business"``, ``"plr_medium_business"``).

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
