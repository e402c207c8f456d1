"""The data layer: validated datasets in the naming convention, and mapping raw data to it."""

from mmm.data._arrays import ModelArrays
from mmm.data._dataset import MMMDataSet
from mmm.data._dates import next_period
from mmm.data._geo import AGGREGATION, GeoReduction
from mmm.data._mapper import ColumnMapper
from mmm.data._parsing import DATE_FORMATS, MISSING_MARKERS
from mmm.data._report import (
    Coercion,
    Fill,
    MappedColumn,
    MappingReport,
    MatchKind,
    Normalization,
)

__all__ = [
    "MMMDataSet",
    "next_period",
    "ModelArrays",
    "ColumnMapper",
    "MappingReport",
    "MappedColumn",
    "MatchKind",
    "Coercion",
    "Normalization",
    "Fill",
    "GeoReduction",
    "AGGREGATION",
    "DATE_FORMATS",
    "MISSING_MARKERS",
]
