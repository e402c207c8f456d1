"""Small HTML building blocks for a self-contained report (no templates, no JavaScript)."""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

__all__ = ["escape", "format_value", "table", "image", "badge", "section", "page", "pre"]

_STATUS_COLORS = {
    "pass": "#1a7f37",
    "ok": "#1a7f37",
    "passed": "#1a7f37",
    "info": "#0969da",
    "warn": "#9a6700",
    "warning": "#9a6700",
    "fail": "#cf222e",
    "critical": "#cf222e",
    "n/a": "#6e7781",
}

_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#1f2328;
background:#f6f8fa;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px 32px;background:#fff}
h1{margin:0 0 4px 0;font-size:1.7em}h2{border-bottom:1px solid #d0d7de;padding-bottom:4px;
margin-top:2em}h3{margin-top:1.4em}
nav{font-size:.9em;margin:12px 0 0 0}nav a{margin-right:12px}
table{border-collapse:collapse;margin:8px 0 16px 0;font-size:.86em}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f6f8fa}td.text,th.text{text-align:left}
caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0}
img{max-width:100%;border:1px solid #eaeef2;margin:6px 0}
pre{background:#f6f8fa;padding:10px;overflow-x:auto;font-size:.82em}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:.85em;
font-weight:600}
.verdict{border:1px solid #d0d7de;border-radius:6px;padding:8px 16px;margin:12px 0}
.muted{color:#57606a;font-size:.9em}
li{margin:3px 0}
"""


def escape(text: object) -> str:
    """``str(text)`` with ``& < > " '`` escaped."""
    return html.escape(str(text), quote=True)


def format_value(value: object) -> str:
    """A table cell: numbers to about 4 significant digits, ``-`` for missing values.

    Examples:
        >>> format_value(1234567.8), format_value(0.012345), format_value(None)
        ('1,234,568', '0.01235', '-')
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.3e}"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def table(
    frame: pl.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
    caption: str | None = None,
    max_rows: int | None = None,
    render: Mapping[str, Callable[[Any], str]] | None = None,
) -> str:
    """``frame`` as an HTML table (text columns left-aligned, numbers right-aligned).

    Args:
        frame: the table.
        columns: the columns to show, in order (default all).
        headers: column -> header text.
        caption: a caption above the table.
        max_rows: show at most this many rows and say how many were left out.
        render: column -> function of the cell value returning HTML (e.g. :func:`badge`);
            other cells are formatted with :func:`format_value` and escaped.
    """
    columns = list(frame.columns) if columns is None else list(columns)
    headers = headers or {}
    render = render or {}
    shown = frame.select(columns)
    left_out = 0
    if max_rows is not None and shown.height > max_rows:
        left_out = shown.height - max_rows
        shown = shown.head(max_rows)
    text_columns = {c for c in columns if shown.schema[c] in (pl.String, pl.Categorical)}

    def cell(tag: str, column: str, content: str) -> str:
        cls = ' class="text"' if column in text_columns else ""
        return f"<{tag}{cls}>{content}</{tag}>"

    rows = ["<tr>" + "".join(cell("th", c, escape(headers.get(c, c))) for c in columns) + "</tr>"]

    def content(column: str, value: object) -> str:
        if column in render:
            return render[column](value)
        return escape(format_value(value))

    for row in shown.iter_rows(named=True):
        rows.append("<tr>" + "".join(cell("td", c, content(c, row[c])) for c in columns) + "</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    note = f'<p class="muted">{left_out} more rows in the CSV.</p>' if left_out else ""
    return f"<table>{cap}{''.join(rows)}</table>{note}"


def image(png: bytes, alt: str) -> str:
    """An ``<img>`` with the PNG embedded as a data URI."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def badge(status: str) -> str:
    """A coloured status label (``pass``/``warn``/``fail``, ``info``/``warning``/``critical``)."""
    color = _STATUS_COLORS.get(status.lower(), "#6e7781")
    return f'<span class="badge" style="background:{color}">{escape(status)}</span>'


def pre(text: str) -> str:
    """Preformatted text (escaped)."""
    return f"<pre>{escape(text)}</pre>"


def section(anchor: str, title: str, body: str) -> str:
    """A report section with an ``id`` for the navigation bar."""
    return f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>{body}</section>'


def page(title: str, header: str, sections: Sequence[tuple[str, str, str]]) -> str:
    """The whole document: ``sections`` are ``(anchor, title, body)``; CSS inline."""
    nav = "".join(f'<a href="#{escape(a)}">{escape(t)}</a>' for a, t, _ in sections)
    body = "".join(section(a, t, b) for a, t, b in sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body><main>"
        f"{header}<nav>{nav}</nav>{body}</main></body></html>\n"
    )
