"""The text pen followed through a page's operators (ingest/pdf/pen.py), and the column jumps found
with it (ingest/pdf/cells.py), on the composite font of tests/pdfs.py (a-z 500 units wide)."""

from __future__ import annotations

import io
from typing import cast

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject

from ingest.pdf.cells import CellJumps, Jump
from ingest.pdf.fonts import page_fonts
from ingest.pdf.pen import TextPen
from tests.pdfs import composite, content_pdf


def _operations(content: bytes) -> tuple[list[tuple[list[object], bytes]], DictionaryObject]:
    page = PdfReader(io.BytesIO(content_pdf(content))).pages[0]
    return ContentStream(page.get_contents(), page.pdf).operations, cast(DictionaryObject, page)


def _gaps(content: bytes) -> list[float]:
    operations, page = _operations(content)
    pen = TextPen(page_fonts(page))
    return [g for operands, op in operations if (g := pen.step(op, list(operands))) is not None]


def test_a_move_along_the_line_measures_the_gap_from_where_the_glyphs_left_the_pen() -> None:
    # "abcd" at 10 points is 20 units wide; the kern of -250 moves the pen 2.5 more.
    word = composite("abcd")
    assert _gaps(b"BT /F3 10 Tf 72 700 Td [" + word + b" -250 " + word + b"] TJ 45 0 Td " + word + b" Tj ET") \
        == [pytest.approx(45 - 42.5)]
    # Across BT … ET in one user space the line goes on; a new line, or a new user space, measures nothing.
    assert _gaps(b"BT /F3 10 Tf 72 700 Td " + word + b" Tj ET BT /F3 10 Tf 100 700 Td " + word + b" Tj ET") \
        == [pytest.approx(8)]
    assert _gaps(b"BT /F3 10 Tf 72 700 Td " + word + b" Tj 0 -12 Td " + word + b" Tj ET") == []
    assert _gaps(b"BT /F3 10 Tf 72 700 Td " + word + b" Tj ET q 1 0 0 1 5 0 cm BT /F3 10 Tf 100 700 Td "
                 + word + b" Tj ET Q") == []


def test_text_in_a_font_without_widths_leaves_the_next_move_unmeasured() -> None:
    # Helvetica (/F1) is drawn without /Widths: how far "abcd" moved the pen is unknown, so the move
    # after it gives no gap; measuring starts again where that move put the line.
    assert _gaps(b"BT /F1 10 Tf 72 700 Td (abcd) Tj 40 0 Td /F3 10 Tf " + composite("ab") + b" Tj 20 0 Td "
                 + composite("cd") + b" Tj 0 -12 Td " + composite("ab") + b" Tj 30 0 Td (x) Tj ET") \
        == [pytest.approx(10), pytest.approx(20)]


def test_jumps_are_moves_past_an_em_and_word_gaps_are_not() -> None:
    operations, page = _operations(
        b"BT /F3 10 Tf 72 700 Td " + composite("bash") + b" Tj 50 0 Td " + composite("shell") + b" Tj "
        b"32 0 Td " + composite("of") + b" Tj ET")
    jumps = CellJumps(page_fonts(page))
    identity = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    for operands, op in operations:
        jumps(op, operands, identity, identity)
    # "bash" ends at 92: "shell" at 122 is 3 em on; "of" at 154 is 0.7 em after "shell" ends at 147.
    assert jumps.jumps == [Jump(122.0, 700.0)]


def test_an_operator_the_pen_cannot_follow_ends_the_jumps_not_the_page() -> None:
    """Whatever the pen fails on inside pypdf's visitor, pypdf goes on reading the page's text."""
    jumps = CellJumps({})
    jumps(b"cm", ["not", "a", "matrix"], ["x"], [])  # type: ignore[list-item]
    jumps(b"Td", [10, 0], [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], [])
    assert jumps.jumps == []
