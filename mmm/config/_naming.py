"""The naming convention: ``<role>__<name>`` columns, parsed and built.

See docs/02_NAMING_CONVENTION.md for the user-facing description.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

from mmm.config._errors import ContractRule, DataContractError, Violation
from mmm.config._roles import Role

__all__ = [
    "DATE_COLUMN",
    "NAME_PATTERN",
    "SEPARATOR",
    "ColumnName",
    "column_name",
    "column_name_problem",
    "is_valid_name",
    "parse_column",
    "to_snake_case",
]

SEPARATOR = "__"
DATE_COLUMN = "date"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_ROLE_BY_PREFIX = {role.value: role for role in Role if role is not Role.DATE}
_INPUT_PREFIXES = ", ".join(r.value for r in Role if r.is_input and r is not Role.DATE)


@dataclasses.dataclass(frozen=True)
class ColumnName:
    """A parsed column name.

    Attributes:
        role: the column's role.
        name: the part after ``__`` (channel, control, ... name); ``""`` for ``date``.
    """

    role: Role
    name: str

    @property
    def column(self) -> str:
        """The column name in the convention, e.g. ``"spend__tv"``."""
        return column_name(self.role, self.name)


def is_valid_name(name: str) -> bool:
    """Whether ``name`` may stand after the role prefix (``[a-z][a-z0-9_]*``, no ``__``)."""
    return bool(NAME_PATTERN.fullmatch(name)) and SEPARATOR not in name


def column_name(role: Role, name: str = "") -> str:
    """Build a column name in the convention.

    Args:
        role: the role; ``Role.DATE`` gives ``"date"`` and takes no name.
        name: the channel/control/... name, ``[a-z][a-z0-9_]*`` without ``__``.

    Returns:
        ``"<role>__<name>"``, or ``"date"``.

    Raises:
        DataContractError: if ``name`` is not valid for ``role``.

    Examples:
        >>> column_name(Role.SPEND, "tv")
        'spend__tv'
    """
    if role is Role.DATE:
        if name:
            message = f"the date column takes no name, got {name!r}; the column is just 'date'"
            raise DataContractError((Violation(ContractRule.INVALID_COLUMN_NAME, None, message),))
        return DATE_COLUMN
    if not is_valid_name(name):
        example = to_snake_case(name)
        hint = f" (e.g. {example!r})" if example else ""
        message = (
            f"{name!r} is not a valid {role.value} name: use lowercase letters, digits and "
            f"single underscores, starting with a letter{hint}"
        )
        raise DataContractError((Violation(ContractRule.INVALID_COLUMN_NAME, None, message),))
    return f"{role.value}{SEPARATOR}{name}"


def column_name_problem(column: str) -> str | None:
    """Explain why ``column`` is not an input column of the convention, or ``None`` if it is.

    Args:
        column: a column name.

    Returns:
        A sentence naming the column, the rule and a fix, or ``None`` for a valid name.
    """
    if column == DATE_COLUMN:
        return None
    suggestion = _suggest_column(column)
    if column != column.strip() or column.lower() != column or " " in column:
        hint = f"; did you mean {suggestion!r}?" if suggestion and suggestion != column else ""
        return (
            f"column {column!r} is not in the naming convention: names are lowercase snake_case "
            f"'<role>__<name>'{hint} (rename it, or use ColumnMapper to map raw names)"
        )
    if SEPARATOR not in column:
        hint = (
            f"did you mean {suggestion!r}?" if SEPARATOR in suggestion else _role_examples(column)
        )
        return (
            f"column {column!r} has no role prefix: columns are '<role>__<name>' with role one "
            f"of {_INPUT_PREFIXES} (or the single 'date' column); {hint} Rename it, or map it "
            "with ColumnMapper"
        )
    prefix, _, name = column.partition(SEPARATOR)
    role = _ROLE_BY_PREFIX.get(prefix)
    if prefix == DATE_COLUMN:
        return f"column {column!r}: the date column takes no name, it is just 'date'"
    if role is None:
        return (
            f"column {column!r} has unknown role {prefix!r}: allowed roles are "
            f"{_INPUT_PREFIXES} (and the single 'date' column)"
        )
    if not role.is_input:
        return (
            f"column {column!r} uses the reserved role {prefix!r}, which names features the "
            f"library derives itself; if it is an input, rename it 'control__{name}' "
            f"(or 'event__{name}')"
        )
    if not is_valid_name(name):
        return (
            f"column {column!r} has an invalid name {name!r} after '{prefix}__': names match "
            f"[a-z][a-z0-9_]* without a double underscore"
            + (f", e.g. '{prefix}__{to_snake_case(name)}'" if to_snake_case(name) else "")
        )
    return None


def _suggest_column(column: str) -> str:
    """The convention name a near-miss most likely means (``"Spend_TV"`` -> ``"spend__tv"``).

    Snake-cases each side of the first ``__``; without one, a leading input role followed by
    ``_`` becomes the prefix. Returns the snake-cased label when no role can be read.
    """
    head, sep, tail = column.strip().partition(SEPARATOR)
    if not sep:
        slug = to_snake_case(column)
        role, _, rest = slug.partition("_")
        if rest and role in _ROLE_BY_PREFIX and _ROLE_BY_PREFIX[role].is_input:
            return f"{role}{SEPARATOR}{rest}"
        return slug
    head_slug, tail_slug = to_snake_case(head), to_snake_case(tail)
    return f"{head_slug}{SEPARATOR}{tail_slug}" if head_slug and tail_slug else ""


def _role_examples(column: str) -> str:
    slug = to_snake_case(column) or "name"
    return f"e.g. 'spend__{slug}' for a channel's spend or 'control__{slug}' for a control."


def parse_column(column: str) -> ColumnName:
    """Parse an input column name of the convention.

    Args:
        column: e.g. ``"spend__tv"`` or ``"date"``.

    Returns:
        The role and name.

    Raises:
        DataContractError: if ``column`` is not an input column name of the convention; the
            message names it and says how to fix it.

    Examples:
        >>> parse_column("spend__tv")
        ColumnName(role=<Role.SPEND: 'spend'>, name='tv')
    """
    problem = column_name_problem(column)
    if problem is not None:
        raise DataContractError((Violation(ContractRule.INVALID_COLUMN_NAME, column, problem),))
    if column == DATE_COLUMN:
        return ColumnName(Role.DATE, "")
    prefix, _, name = column.partition(SEPARATOR)
    return ColumnName(_ROLE_BY_PREFIX[prefix], name)


def to_snake_case(raw: str) -> str:
    """Turn any label into a convention name: ASCII, lowercase, ``_`` between words.

    Accents are stripped, every run of other characters becomes one ``_``, and a leading
    digit gets an ``x`` prefix so the result starts with a letter. Returns ``""`` when
    nothing alphanumeric is left.

    Examples:
        >>> to_snake_case("TV Spend ($)")
        'tv_spend'
        >>> to_snake_case("Search-Ads  Brand")
        'search_ads_brand'
    """
    ascii_text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    ascii_text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", ascii_text)
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if slug and slug[0].isdigit():
        slug = f"x{slug}"
    return slug
