"""Griffe extension for the docs build: render the reST bits of mmm's docstrings as Markdown.

mmm's docstrings are Google style (parsed by mkdocstrings-python), with some reST inside:
``:class:`X``` / ``:func:`X``` / ``:meth:`` / ``:attr:`` / ``:mod:`` / ``:data:`` /
``:exc:`` / ``:obj:`` roles, ``:math:`...``` and ``.. math::`` blocks, and ``text::``
before a literal block. Left alone they build without warnings but show as raw text. This
extension rewrites each docstring once, after the package is loaded and before
mkdocstrings parses it:

* a role naming an object of ``mmm`` that the API reference renders becomes an *optional*
  cross-reference to its public path (``mmm.features.MediaSpec``, not the private module
  it is defined in), so it is a link when the page exists and plain code otherwise: an
  optional reference that does not resolve is not a warning, even in strict mode;
  other roles (``jax.vmap``, private modules) become inline code;
* ``:math:`x``` becomes ``$x$`` and ``.. math::`` a ``$$ ... $$`` block
  (``pymdownx.arithmatex``, rendered by MathJax);
* ``text::`` at the end of a paragraph becomes ``text:`` (the indented block after it is
  already a Markdown code block).

The library code is not touched. Configured in ``mkdocs.yml`` under the python handler's
``extensions``.
"""

from __future__ import annotations

import html
import pathlib
import re
from typing import Any

import griffe

# The modules rendered by the ``::: mmm.<module>`` blocks of docs/reference/*.md, read from
# those pages (a new page is picked up by itself), in data-flow order: an object exported
# by several (``Finding``: config, eda, diagnostics) links to the first.
_FLOW = (
    "mmm.config",
    "mmm.data",
    "mmm.features",
    "mmm.datasets",
    "mmm.eda",
    "mmm.modeling",
    "mmm.diagnostics",
    "mmm.results",
    "mmm.optimization",
    "mmm.pipeline",
)
_BLOCK = re.compile(r"^:::\s+(mmm(?:\.\w+)*)\s*$", re.MULTILINE)


def _rendered_modules() -> tuple[str, ...]:
    found: set[str] = set()
    for page in (pathlib.Path(__file__).parent / "reference").glob("*.md"):
        found.update(_BLOCK.findall(page.read_text(encoding="utf-8")))

    def rank(path: str) -> tuple[int, str]:
        top = ".".join(path.split(".")[:2])
        return (_FLOW.index(top) if top in _FLOW else len(_FLOW), path)

    return tuple(sorted(found, key=rank))


_ROLE = re.compile(r":(?:py:)?(class|func|meth|attr|mod|data|exc|obj):`(~?)([^`]+)`")
_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_MATH_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*(?P<rest>.*)$")
_LITERAL = re.compile(r"(?<=\S)::[ \t]*$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _math_blocks(text: str) -> str:
    """``.. math::`` directives (same-line or indented body) to ``$$`` blocks."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _MATH_DIRECTIVE.match(lines[i])
        if match is None:
            out.append(lines[i])
            i += 1
            continue
        indent = match["indent"]
        body = [match["rest"].strip()] if match["rest"].strip() else []
        i += 1
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > len(indent)):
            body.append(lines[i].strip())
            i += 1
        while body and not body[-1]:
            body.pop()
        while body and not body[0]:
            body.pop(0)
        formula = " ".join(part for part in body if part)
        out.extend([f"{indent}$$", f"{indent}{formula}", f"{indent}$$"])
        if i < len(lines) and lines[i].strip():
            out.append("")
    return "\n".join(out)


def _target_of(obj: Any) -> Any:
    """The object an alias points to (the object itself if it is not an alias), or None."""
    try:
        return obj.final_target if obj.is_alias else obj
    except (griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None


def _canonical_of(obj: Any) -> str | None:
    """The path where ``obj`` (or what it aliases) is defined, or None if unresolvable."""
    target = _target_of(obj)
    return None if target is None else target.path


class RstToMarkdown(griffe.Extension):
    """Rewrite the reST roles and math of every docstring of ``mmm`` (see module doc)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self._public: dict[str, str] = {}
        self._collection: Any = None

    # --- the map from canonical paths to the paths the reference renders --------------

    def _add(self, canonical: str, public: str) -> None:
        self._public.setdefault(canonical, public)

    def _add_members(self, obj: Any, public: str, names: Any = None) -> None:
        """Map ``obj``'s members (or only ``names``) to ``<public>.<name>``."""
        for name in obj.members if names is None else [str(n) for n in names]:
            if name not in obj.members or (name.startswith("_") and name != "__init__"):
                continue
            canonical = _canonical_of(obj.members[name])
            if canonical is not None:
                self._add(canonical, f"{public}.{name}")

    def _build_public_map(self, pkg: griffe.Module) -> None:
        for page in _rendered_modules():
            try:
                module = pkg.modules_collection[page]
            except KeyError:
                continue
            self._add(module.path, page)
            for name in module.exports or ():
                member = module.members.get(str(name))
                target = _target_of(member) if member is not None else None
                if target is None:
                    continue
                public = f"{page}.{name}"
                self._add(target.path, public)
                if target.is_class:
                    self._add_members(target, public)
                elif target.is_module:
                    self._add_members(target, public, target.exports or ())

    # --- resolving one role -------------------------------------------------------------

    def _canonical(self, path: str) -> str | None:
        try:
            obj = self._collection[path]
        except (KeyError, ValueError):
            return None
        return _canonical_of(obj)

    def _resolve(self, scope: Any, target: str) -> str | None:
        """The public path of ``target`` as named from ``scope``, if the reference has it."""
        candidates: list[str] = []
        if target.startswith("mmm"):
            candidates.append(target)
        head, _, tail = target.partition(".")
        try:
            resolved = scope.resolve(head)
        except (griffe.NameResolutionError, griffe.AliasResolutionError, AttributeError):
            resolved = None
        if resolved is not None:
            candidates.append(f"{resolved}.{tail}" if tail else resolved)
        for candidate in candidates:
            canonical = self._canonical(candidate)
            if canonical is not None and canonical in self._public:
                return self._public[canonical]
        return None

    def _role(self, scope: Any, match: re.Match[str]) -> str:
        _, short, target = match.groups()
        target = target.strip().removesuffix("()")
        label = target.rsplit(".", 1)[-1] if short else target
        if match[1] in ("func", "meth"):
            label += "()"
        public = self._resolve(scope, target)
        code = f"<code>{html.escape(label)}</code>"
        if public is None:
            return f"`{label}`"
        return f'<autoref identifier="{public}" optional>{code}</autoref>'

    # --- rewriting ----------------------------------------------------------------------

    def _rewrite(self, obj: Any) -> None:
        docstring = obj.docstring
        if docstring is None:
            return
        text = _math_blocks(docstring.value)
        text = _MATH_ROLE.sub(lambda m: f"${m[1].strip()}$", text)
        text = _ROLE.sub(lambda m: self._role(obj, m), text)
        text = "\n".join(_LITERAL.sub(":", line) for line in text.split("\n"))
        docstring.value = text

    def _walk(self, obj: Any, seen: set[str]) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        self._rewrite(obj)
        for member in obj.members.values():
            if not member.is_alias:
                self._walk(member, seen)

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Rewrite every docstring of the ``mmm`` package."""
        if pkg.name != "mmm":
            return
        self._collection = pkg.modules_collection
        self._build_public_map(pkg)
        self._walk(pkg, set())
