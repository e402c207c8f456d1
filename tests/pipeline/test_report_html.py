import base64
import datetime as dt
import html.parser

import polars as pl
import pytest

from mmm.pipeline._html import badge, format_value, image, page, table
from mmm.pipeline._truth import truth_table


class _Cells(html.parser.HTMLParser):
    """Collects the text of every <td>/<th> cell, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _cells(markup: str) -> list[list[str]]:
    parser = _Cells()
    parser.feed(markup)
    return parser.rows


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "-"),
        (float("nan"), "-"),
        (True, "yes"),
        (1234567, "1,234,567"),
        (2.5e6, "2,500,000"),
        (12.3456, "12.35"),
        (0.0, "0"),
        (-0.5, "-0.5"),
        (1e-5, "1.000e-05"),
        (float("inf"), "inf"),
        (dt.date(2024, 1, 31), "2024-01-31"),
        ("tv", "tv"),
    ],
)
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text


def test_table_escapes_and_keeps_every_cell() -> None:
    frame = pl.DataFrame({"channel": ["<tv>", "a&b"], "roi": [1.5, None], "n": [1, 2]})
    rows = _cells(table(frame, caption="x < y"))
    assert rows == [["channel", "roi", "n"], ["<tv>", "1.5", "1"], ["a&b", "-", "2"]]
    assert "<tv>" not in table(frame)  # escaped, not markup


def test_table_columns_headers_max_rows_and_render() -> None:
    frame = pl.DataFrame({"a": list(range(5)), "status": ["pass", "fail"] * 2 + ["warn"]})
    markup = table(
        frame,
        columns=["status", "a"],
        headers={"a": "count"},
        max_rows=3,
        render={"status": badge},
    )
    rows = _cells(markup)
    assert rows == [["status", "count"], ["pass", "0"], ["fail", "1"], ["pass", "2"]]
    assert "2 more rows" in markup
    assert markup.count('class="badge"') == 3


def test_image_embeds_the_bytes() -> None:
    png = b"\x89PNG\r\n\x1a\nfake"
    markup = image(png, 'a "plot"')
    data = markup.split("base64,")[1].split('"')[0]
    assert base64.b64decode(data) == png
    assert "&quot;plot&quot;" in markup


def test_page_is_one_document_with_navigation() -> None:
    doc = page("t", "<h1>T</h1>", [("a", "First", "<p>1</p>"), ("b", "Second", "<p>2</p>")])
    assert doc.startswith("<!DOCTYPE html>")
    assert doc.count("<html") == 1
    assert '<a href="#a">First</a>' in doc
    assert '<section id="b">' in doc
    assert "<script" not in doc
    assert "http" not in doc


def test_truth_table_against_a_hand_computation() -> None:
    roi = pl.DataFrame(
        {
            "channel": ["tv", "search", "radio"],
            "roi_mean": [2.0, 5.0, 1.0],
            "roi_lower": [1.5, 4.8, 0.5],
            "roi_upper": [2.5, 5.2, 1.5],
        }
    )
    truth = truth_table(roi, {"tv": 2.4, "search": 4.0})
    assert truth["channel"].to_list() == ["tv", "search"]
    assert truth["error"].to_list() == pytest.approx([(2.0 - 2.4) / 2.4, (5.0 - 4.0) / 4.0])
    assert truth["covered"].to_list() == [True, False]
