"""The naming convention, property-tested, and the mapper on arbitrary raw labels."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mmm.config import (
    DATE_COLUMN,
    ColumnName,
    ContractRule,
    DataContractError,
    DataContractWarning,
    Role,
    column_name,
    column_name_problem,
    is_valid_name,
    parse_column,
    to_snake_case,
)
from mmm.data import ColumnMapper, MatchKind

INPUT_ROLES = [r for r in Role if r.is_input and r is not Role.DATE]
DERIVED_ROLES = [r for r in Role if not r.is_input]
INPUT_PREFIXES = {"kpi", "spend", "media", "control", "event", "organic"}


# --- an independent statement of the convention ------------------------------------------


def reference_is_name(name: str) -> bool:
    return re.fullmatch(r"[a-z][a-z0-9_]*", name) is not None and "__" not in name


def reference_is_column(column: str) -> bool:
    if column == "date":
        return True
    prefix, sep, name = column.partition("__")
    return bool(sep) and prefix in INPUT_PREFIXES and reference_is_name(name)


names = st.from_regex(r"\A[a-z][a-z0-9_]{0,15}\Z").filter(lambda s: "__" not in s)
# labels that look like column names: letters of both cases, digits, separators, whitespace
near_names = st.text(alphabet="abkpiZTV09_ _-.\n\t", min_size=0, max_size=20)


def test_roles() -> None:
    assert {r.value for r in INPUT_ROLES} == INPUT_PREFIXES
    assert {r.value for r in DERIVED_ROLES} == {
        "trend",
        "seasonality",
        "adstock",
        "saturation",
        "contribution",
    }
    assert [r for r in Role if r.is_nonnegative] == [Role.SPEND, Role.MEDIA, Role.ORGANIC]


@given(st.sampled_from(INPUT_ROLES), names)
def test_parse_round_trips(role: Role, name: str) -> None:
    column = column_name(role, name)
    assert column == f"{role.value}__{name}"
    assert parse_column(column) == ColumnName(role, name)
    assert parse_column(column).column == column
    assert column_name_problem(column) is None


def test_date_column() -> None:
    assert column_name(Role.DATE) == DATE_COLUMN == "date"
    assert parse_column("date") == ColumnName(Role.DATE, "")
    with pytest.raises(DataContractError):
        column_name(Role.DATE, "week")


@given(st.sampled_from(DERIVED_ROLES), names)
def test_derived_roles_are_reserved(role: Role, name: str) -> None:
    column = column_name(role, name)  # the library builds them ...
    problem = column_name_problem(column)  # ... but never accepts them as input
    assert problem is not None
    assert "reserved" in problem
    with pytest.raises(DataContractError) as err:
        parse_column(column)
    assert err.value.rules == {ContractRule.INVALID_COLUMN_NAME}
    assert err.value.columns == {column}


@given(st.text(max_size=30))
def test_to_snake_case_gives_a_name_and_is_idempotent(raw: str) -> None:
    slug = to_snake_case(raw)
    assert slug == "" or reference_is_name(slug)
    assert to_snake_case(slug) == slug


@given(names)
def test_to_snake_case_keeps_names_without_edge_underscores(name: str) -> None:
    assume(not name.endswith("_"))
    assert to_snake_case(name) == name


@pytest.mark.parametrize(
    ("raw", "slug"),
    [
        ("TV Spend ($)", "tv_spend"),
        ("Search-Ads  Brand", "search_ads_brand"),
        ("paidSocial", "paid_social"),
        ("Télé", "tele"),
        ("2nd channel", "x2nd_channel"),
        ("__x__y__", "x_y"),
        ("$$$", ""),
    ],
)
def test_to_snake_case_examples(raw: str, slug: str) -> None:
    assert to_snake_case(raw) == slug


@given(
    st.one_of(
        names,
        names.map(lambda n: n + "\n"),  # ``$`` in a regex also matches before a final newline
        near_names,
        st.text(max_size=20),
    )
)
def test_is_valid_name_matches_the_reference(name: str) -> None:
    assert is_valid_name(name) is reference_is_name(name)


@pytest.mark.parametrize("name", ["tv\n", "tv ", " tv", "Tv", "1tv", "_tv", "t__v", "", "tév"])
def test_invalid_names(name: str) -> None:
    assert not is_valid_name(name)
    with pytest.raises(DataContractError):
        column_name(Role.SPEND, name)
    assert column_name_problem(f"spend__{name}") is not None


@given(st.sampled_from(INPUT_ROLES), st.one_of(near_names, st.text(max_size=12)))
def test_column_name_rejects_invalid_names(role: Role, name: str) -> None:
    if reference_is_name(name):
        assert column_name(role, name) == f"{role.value}__{name}"
    else:
        with pytest.raises(DataContractError):
            column_name(role, name)


column_like = st.one_of(
    st.builds(lambda r, n: f"{r}__{n}", st.sampled_from([r.value for r in Role]), names),
    st.builds(
        lambda r, n: f"{r}__{n}",
        st.sampled_from([*INPUT_PREFIXES, "Spend", "SPEND", "paid", "date"]),
        near_names,
    ),
    st.builds(lambda a, b: a + b, near_names, near_names),
    st.just("date"),
    st.text(max_size=20),
)


@given(column_like)
def test_column_name_problem_is_none_exactly_for_valid_columns(column: str) -> None:
    problem = column_name_problem(column)
    if reference_is_column(column):
        assert problem is None
        parsed = parse_column(column)
        assert parsed.column == column
    else:
        assert problem is not None
        assert repr(column) in problem  # the message names the column
        with pytest.raises(DataContractError) as err:
            parse_column(column)
        assert err.value.rules == {ContractRule.INVALID_COLUMN_NAME}
        assert str(err.value) == problem


@given(
    st.sampled_from(sorted(INPUT_PREFIXES)),
    names,
    st.sampled_from(["upper", "space", "no_prefix", "trailing", "newline"]),
)
def test_uppercase_space_or_missing_prefix_are_rejected(prefix: str, name: str, how: str) -> None:
    column = f"{prefix}__{name}"
    broken = {
        "upper": column[:1].upper() + column[1:],
        "space": f"{prefix}__{name} x",
        "no_prefix": name.replace("__", "_"),
        "trailing": column + " ",
        "newline": column + "\n",
    }[how]
    assume(broken != "date")
    assert column_name_problem(broken) is not None
    with pytest.raises(DataContractError):
        parse_column(broken)


def test_problem_messages_suggest_fixes() -> None:
    assert "'spend__tv_spend'" in (column_name_problem("Spend__TV Spend") or "")
    assert "no role prefix" in (column_name_problem("tv") or "")
    assert "unknown role 'paid'" in (column_name_problem("paid__tv") or "")
    assert "'control__x'" in (column_name_problem("trend__x") or "")
    assert "'spend__a_b'" in (column_name_problem("spend__a__b") or "")


# --- the mapper on arbitrary raw labels -------------------------------------------------------

N_ROWS = 30
DATES = [dt.date(2020, 1, 6) + dt.timedelta(weeks=i) for i in range(N_ROWS)]


@st.composite
def raw_layout(draw: st.DrawFn) -> tuple[dict[str, str], int]:
    """``{raw label: convention target}`` for a date, a KPI and 1-4 spend columns."""
    n_spend = draw(st.integers(1, 4))
    channels = draw(st.lists(names, min_size=n_spend, max_size=n_spend, unique=True))
    kpi = draw(names)
    targets = ["date", f"kpi__{kpi}", *(f"spend__{c}" for c in channels)]
    labels = draw(
        st.lists(
            st.text(min_size=1, max_size=12),
            min_size=len(targets),
            max_size=len(targets),
            unique_by=to_snake_case,
        )
    )
    seed = draw(st.integers(0, 2**16))
    return dict(zip(labels, targets, strict=True)), seed


def raw_frame(layout: dict[str, str], seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    columns = {}
    for label, target in layout.items():
        if target == "date":
            columns[label] = pl.Series(label, DATES, dtype=pl.Date)
        else:
            values = rng.uniform(1.0, 100.0, N_ROWS)
            columns[label] = pl.Series(label, values, dtype=pl.Float64)
    return pl.DataFrame(list(columns.values()))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_layout())
def test_mapper_renames_exactly_as_mapped(case: tuple[dict[str, str], int]) -> None:
    layout, seed = case
    raw = raw_frame(layout, seed)
    with pytest.warns(DataContractWarning) as record:  # 30 weeks: valid but short
        ds, report = ColumnMapper(layout).build(raw)
    assert all("fewer than the recommended" in str(w.message) for w in record)
    assert report.renames == layout
    assert {m.match for m in report.mapped} == {MatchKind.EXACT}
    assert dict(report.unmapped) == {}
    assert sorted(ds.columns) == sorted(layout.values())
    for label, target in layout.items():
        if target == "date":
            assert ds.dates == DATES
        else:
            assert ds.frame[target].to_list() == raw[label].to_list()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_layout(), st.data())
def test_mapper_matches_case_and_punctuation_variants(
    case: tuple[dict[str, str], int], data: st.DataObject
) -> None:
    layout, seed = case
    raw = raw_frame(layout, seed)
    # rewrite each key so it differs from the label but normalizes the same
    keys = {}
    for label, target in layout.items():
        slug = to_snake_case(label)
        variant = data.draw(st.sampled_from([slug.upper(), slug.replace("_", " "), f" {slug}-"]))
        assume(slug and variant != label and to_snake_case(variant) == slug)
        keys[variant] = target
    with pytest.warns(DataContractWarning):
        ds, report = ColumnMapper(keys).build(raw)
    assert report.renames == layout
    for m in report.mapped:
        assert m.match is MatchKind.NORMALIZED
        assert keys[m.mapping_key] == m.target
    for label, target in layout.items():
        if target != "date":
            assert ds.frame[target].to_list() == raw[label].to_list()
