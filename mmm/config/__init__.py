"""Conventions of the library: column roles and names, the dataset contract, error types."""

from mmm.config._contract import MIN_PERIODS, RECOMMENDED_PERIODS
from mmm.config._errors import (
    ContractRule,
    DataContractError,
    DataContractWarning,
    MappingError,
    Violation,
)
from mmm.config._findings import (
    SEVERITIES,
    Finding,
    Severity,
    findings_frame,
    severity_counts,
    worst_severity,
)
from mmm.config._kpi_value import check_value_per_kpi
from mmm.config._naming import (
    DATE_COLUMN,
    NAME_PATTERN,
    SEPARATOR,
    ColumnName,
    column_name,
    column_name_problem,
    is_valid_name,
    parse_column,
    to_snake_case,
)
from mmm.config._roles import Frequency, Role
from mmm.config._schema import build_schema

__all__ = [
    # the value of one KPI unit
    "check_value_per_kpi",
    # roles and frequencies
    "Role",
    "Frequency",
    # naming convention
    "DATE_COLUMN",
    "NAME_PATTERN",
    "SEPARATOR",
    "ColumnName",
    "column_name",
    "column_name_problem",
    "is_valid_name",
    "parse_column",
    "to_snake_case",
    # contract
    "MIN_PERIODS",
    "RECOMMENDED_PERIODS",
    "build_schema",
    # errors
    "ContractRule",
    "DataContractError",
    "DataContractWarning",
    "MappingError",
    "Violation",
    # findings of sanity checks
    "Severity",
    "SEVERITIES",
    "Finding",
    "worst_severity",
    "severity_counts",
    "findings_frame",
]
