"""What every section of a run configuration shares: its error and a checked table reader.

A configuration file is a plain dict (TOML or YAML); each section reads its part through
a :class:`Table`, which knows the dotted key path of every value (``model.media.adstock``)
and the file it came from, so every error names both and says how to fix it.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

__all__ = [
    "ConfigError",
    "FrozenMap",
    "Table",
    "check_integer",
    "check_number",
    "check_string",
    "check_choice",
    "check_names",
    "describe",
    "freeze",
    "thaw",
    "join",
]


class ConfigError(ValueError):
    """An invalid run configuration: the message names the file, the key and the fix.

    Attributes:
        key: the dotted key path at fault, e.g. ``"model.media.channels.tv.adstock.type"``
            (``""`` for the file as a whole).
        source: the file (or other origin) the configuration came from.
        reason: the message without the file and key.
    """

    def __init__(self, reason: str, *, key: str = "", source: str = "config") -> None:
        self.key = key
        self.source = source
        self.reason = reason
        where = f"{source}: {key}: " if key else f"{source}: "
        super().__init__(where + reason)

    def __reduce__(self) -> tuple[Any, ...]:  # picklable despite keyword-only arguments
        return (_rebuild, (self.reason, self.key, self.source))


def _rebuild(reason: str, key: str, source: str) -> ConfigError:
    return ConfigError(reason, key=key, source=source)


def join(path: str, key: str) -> str:
    """The dotted path of ``key`` inside ``path``."""
    return f"{path}.{key}" if path else key


def describe(value: object) -> str:
    """A value as the config file spells it, with its kind (for error messages)."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int):
        return f"{value} (an integer)"
    if isinstance(value, float):
        return f"{value!r} (a number)"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    return f"{value!r} (a {type(value).__name__})"


K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    """A read-only mapping that compares like a dict, hashes and pickles (config fields)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._data: dict[K, V] = dict(data)

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return repr(self._data)

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))


def freeze(value: Any) -> Any:
    """Nested dicts and lists as read-only mappings and tuples (for frozen configs)."""
    if isinstance(value, Mapping):
        return FrozenMap({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Inverse of :func:`freeze`: plain dicts and lists (JSON-ready)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(v) for v in value]
    return value


def _not_null(value: object, key: str, source: str) -> None:
    if value is None:
        raise ConfigError(
            "null is not a value here (TOML has none): leave the key out for its default",
            key=key,
            source=source,
        )


def check_integer(value: object, key: str, source: str, minimum: int | None = None) -> int:
    """``value`` as an int (booleans and floats are not ints), at least ``minimum``."""
    _not_null(value, key, source)
    at_least = f" >= {minimum}" if minimum is not None else ""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(
            f"expected an integer{at_least}, got {describe(value)}", key=key, source=source
        )
    if minimum is not None and value < minimum:
        raise ConfigError(
            f"{value} is too small: pass an integer{at_least}", key=key, source=source
        )
    return value


def check_number(
    value: object,
    key: str,
    source: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
) -> float:
    """``value`` as a float (an int is accepted, a boolean is not), within the bounds."""
    _not_null(value, key, source)
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    if low is not None and high is not None:
        wanted = f"a number in {left}{low:g}, {high:g}{right}"
    elif low is not None:
        wanted = f"a number {'>' if low_open else '>='} {low:g}"
    elif high is not None:
        wanted = f"a number {'<' if high_open else '<='} {high:g}"
    else:
        wanted = "a finite number" if finite else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        hint = ""
        if isinstance(value, str):
            hint = " (write numbers without quotes; in YAML write 1.0e+3, not 1e3)"
        raise ConfigError(f"expected {wanted}, got {describe(value)}{hint}", key=key, source=source)
    number = float(value)
    if math.isnan(number) or (finite and math.isinf(number)):
        raise ConfigError(f"{number!r} is not valid: pass {wanted}", key=key, source=source)
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise ConfigError(f"{value!r} is out of range: pass {wanted}", key=key, source=source)
    return number


def check_string(value: object, key: str, source: str) -> str:
    """``value`` as a string."""
    _not_null(value, key, source)
    if not isinstance(value, str):
        raise ConfigError(f"expected a string, got {describe(value)}", key=key, source=source)
    return value


def check_choice(
    value: object, key: str, source: str, options: Iterable[str], what: str = "value"
) -> str:
    """``value``, one of ``options`` (the message suggests the closest)."""
    choices = sorted(options)
    text = check_string(value, key, source)
    if text not in choices:
        close = difflib.get_close_matches(text, choices, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(
            f"unknown {what} {text!r}; {hint}choose one of {choices}", key=key, source=source
        )
    return text


def check_names(
    names: Iterable[str],
    known: Iterable[str],
    key: str,
    source: str,
    what: str,
    *,
    keyed: bool = True,
    plural: str | None = None,
) -> None:
    """Every name of ``names`` must be in ``known`` (the dataset's channels, controls...).

    Args:
        names: the names the configuration uses.
        known: the names the data have.
        key: the key path of the table (or list) that uses them.
        source: the config file.
        what: ``"channel"``, ``"control"``..., for the message.
        keyed: the names are keys of the table at ``key`` (the error is at ``key.<name>``),
            else items of a list (the error is at ``key``).
        plural: the plural of ``what`` (``None``: ``what + "s"``).

    Raises:
        ConfigError: for the first unknown name, listing the known ones.
    """
    choices = list(known)
    for name in names:
        if name not in choices:
            close = difflib.get_close_matches(name, choices, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            many = plural or f"{what}s"
            listed = f"the data's {many} are {choices}" if choices else f"the data have no {many}"
            raise ConfigError(
                f"no {what} {name!r} in the data; {hint}{listed}",
                key=join(key, name) if keyed else key,
                source=source,
            )


class Table:
    """One table of the configuration, with its key path; unknown keys are errors.

    Args:
        data: the table's content (a mapping with string keys).
        path: its dotted key path (``""`` for the whole file).
        source: the file it came from, for messages.
        keys: the allowed keys; ``None`` allows any (a table keyed by channel names).
        nested: the keys of sub-tables, to suggest for an unknown key that belongs one
            level down (``model.adstock`` -> ``model.media.adstock``).

    Raises:
        ConfigError: if ``data`` is not a table, has a non-string key or an unknown key
            (with the closest allowed key as a suggestion).
    """

    def __init__(
        self,
        data: object,
        path: str,
        source: str,
        keys: Iterable[str] | None = None,
        nested: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.path = path
        self.source = source
        if data is None or not isinstance(data, Mapping):
            where = f"[{path}]" if path else "the file"
            _not_null(data, path, source)
            raise ConfigError(
                f"expected a table ({where} with key = value lines), got {describe(data)}",
                key=path,
                source=source,
            )
        for k in data:
            if not isinstance(k, str):
                raise ConfigError(
                    f"key {k!r} is not a string: quote it", key=join(path, str(k)), source=source
                )
        self.data: Mapping[str, Any] = data
        self.nested = {} if nested is None else {k: list(v) for k, v in nested.items()}
        if keys is not None:
            allowed = list(keys)
            for k in data:
                if k not in allowed:
                    raise self.unknown(k, allowed)

    def unknown(self, key: str, allowed: list[str]) -> ConfigError:
        """The error for an unknown ``key`` (suggesting the closest of ``allowed``)."""
        full = join(self.path, key)
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if not close and key == "dist" and "distribution" in allowed:
            close = ["distribution"]
        if not close:
            deeper = {join(sub, k): k for sub, keys in self.nested.items() for k in keys}
            near = difflib.get_close_matches(key, list(deeper.values()), n=1, cutoff=0.6)
            close = [next(path for path, k in deeper.items() if k == near[0])] if near else []
        hint = f"; did you mean {join(self.path, close[0])!r}?" if close else ""
        where = f"[{self.path}]" if self.path else "the top level"
        return ConfigError(
            f"unknown key {full!r}{hint} (the keys of {where} are {sorted(allowed)})",
            key=full,
            source=self.source,
        )

    def error(self, key: str, reason: str) -> ConfigError:
        """A :class:`ConfigError` at ``key`` of this table."""
        return ConfigError(reason, key=join(self.path, key), source=self.source)

    def key(self, key: str) -> str:
        """The dotted path of ``key``."""
        return join(self.path, key)

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def value(self, key: str) -> Any:
        """The raw value of ``key`` (present, not null)."""
        value = self.data[key]
        _not_null(value, self.key(key), self.source)
        return value

    def integer(self, key: str, default: Any, minimum: int | None = None) -> Any:
        """An int (``default`` if absent)."""
        if key not in self.data:
            return default
        return check_integer(self.data[key], self.key(key), self.source, minimum)

    def number(self, key: str, default: Any, **bounds: Any) -> Any:
        """A float (``default`` if absent); ``bounds`` as :func:`check_number`."""
        if key not in self.data:
            return default
        return check_number(self.data[key], self.key(key), self.source, **bounds)

    def boolean(self, key: str, default: Any) -> Any:
        """A boolean (``default`` if absent)."""
        if key not in self.data:
            return default
        value = self.value(key)
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {describe(value)}")
        return value

    def string(self, key: str, default: Any) -> Any:
        """A string (``default`` if absent)."""
        if key not in self.data:
            return default
        return check_string(self.data[key], self.key(key), self.source)

    def choice(self, key: str, options: Iterable[str], default: Any, what: str = "value") -> Any:
        """One of ``options`` (``default`` if absent)."""
        if key not in self.data:
            return default
        return check_choice(self.data[key], self.key(key), self.source, options, what)

    def table(self, key: str, keys: Iterable[str] | None = None) -> Table | None:
        """The sub-table ``key`` (``None`` if absent)."""
        if key not in self.data:
            return None
        return Table(self.data[key], self.key(key), self.source, keys)

    def names(self, key: str) -> tuple[str, ...] | None:
        """A list of distinct strings (``None`` if absent)."""
        if key not in self.data:
            return None
        value = self.value(key)
        if not isinstance(value, list | tuple):
            raise self.error(key, f"expected a list of names, got {describe(value)}")
        names = tuple(
            check_string(v, f"{self.key(key)}[{i}]", self.source) for i, v in enumerate(value)
        )
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise self.error(key, f"names {repeated} are listed more than once: list each once")
        return names
