"""Character and word spacing, and word gaps in fonts with no space glyph, made explicit before a page is
read (ingest/pdf/spacing.py)."""

from __future__ import annotations

import io

from pypdf import PageObject, PdfReader
from pypdf.generic import ContentStream, TextStringObject

from ingest.pdf.spacing import explicit_spacing
from tests.pdfs import content_pdf, without_space_glyph


def _page(content: bytes) -> PageObject:
    return PdfReader(io.BytesIO(content_pdf(content))).pages[0]


def test_spacing_restored_by_Q_and_pages_without_spacing_are_left_as_they_are() -> None:
    # Tc set inside q … Q is gone when the text is drawn: nothing to rewrite.
    assert not explicit_spacing(_page(b"BT /F1 10 Tf 72 700 Td q 3 Tc Q (plain words) Tj ET"))
    assert not explicit_spacing(_page(b"BT /F1 10 Tf 72 700 Td (plain words) Tj ET"))
    page = _page(b"BT /F1 10 Tf 72 700 Td 3 Tc (ab) Tj ET")
    assert explicit_spacing(page)
    assert page.extract_text() == "a b"  # 3 points after "a" is 0.3 em: a gap a reader sees


def test_kerns_inside_words_are_kept_and_bytes_are_not_reencoded() -> None:
    """The TJ written: a kern that takes the gap back leaves the glyphs together, the gap after "k"
    becomes a kern of -200 (2 points at 10 points), and byte 140 (groff's fi ligature) is kept as
    written rather than re-encoded from the text pypdf guessed for it."""
    page = _page(b"BT /F1 10 Tf 72 700 Td 2 Tc [(o) 200 (k) (\\214)] TJ ET")
    assert explicit_spacing(page)
    shown = [operands[0] for operands, op in ContentStream(page.get_contents(), page.pdf).operations if op == b"TJ"]
    assert len(shown) == 1
    written = [x.original_bytes if isinstance(x, TextStringObject) else bytes(x) if isinstance(x, bytes)
               else float(x) for x in shown[0]]
    assert written == [b"ok", -200.0, b"\x8c"]


def test_the_next_line_operators_are_rewritten_too() -> None:
    """groff's lines often start with ' (next line, then show) under word spacing; " sets both."""
    page = _page(b"BT /F1 10 Tf 72 700 Td 14 TL 3 Tc (ab) ' 0 Tc 2 0 (cd) \" ET")
    assert explicit_spacing(page)
    ops = [op for _, op in ContentStream(page.get_contents(), page.pdf).operations]
    assert b"'" not in ops and b'"' not in ops and ops.count(b"T*") == 2 and ops.count(b"TJ") == 2
    assert page.extract_text().split() == ["a", "b", "cd"]  # 3 points between a and b; " set Tc 0, Tw 2


def _runs(page: PageObject) -> list[tuple[str, float, float]]:
    runs: list[tuple[str, float, float]] = []
    page.extract_text(visitor_text=lambda text, cm, tm, font, size: runs.append((text.strip(), tm[4], tm[5]))
                      if text.strip() else None)
    return runs


def test_word_gaps_in_a_font_without_a_space_glyph_are_spaces_where_the_glyphs_stood() -> None:
    """pypdf took the composite font's code 32 ("F", 667 units) for its space and read
    "Regularexpressionsare" and "anyGUIenvironment" (pypdf issue 3978)."""
    page = _page(without_space_glyph())
    assert "Regularexpressionsare" in page.extract_text()  # the fixture shows what pypdf alone reads
    before = [(x, y) for _, x, y in _runs(_page(without_space_glyph()))]
    assert explicit_spacing(page)
    assert page.extract_text().splitlines() == ["Regular expressions are", "any GUI environment", "43(6),"]
    assert [(x, y) for _, x, y in _runs(page)] == before  # every run starts where it did


def test_pages_in_fonts_with_a_space_glyph_are_not_rewritten() -> None:
    """Helvetica declares its space: pypdf measures the gaps itself, and the page is left as written."""
    assert not explicit_spacing(_page(b"BT /F1 10 Tf 72 700 Td [(two) -250 (words)] TJ ET"))
