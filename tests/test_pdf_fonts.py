"""Fonts' widths and declared spaces (ingest/pdf/fonts.py), on font dictionaries as writers make them."""

from __future__ import annotations

import io
from typing import cast

import pytest
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    PdfObject,
)

from ingest.pdf.fonts import FontMetrics, font_metrics, page_fonts
from tests.pdfs import composite, content_pdf


def _simple(encoding: PdfObject | None = None, widths: list[float] | None = None, embedded: bool = True,
            fixed: bool = False) -> DictionaryObject:
    font = DictionaryObject({NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/FirstChar"): NumberObject(97),
                             NameObject("/Widths"): ArrayObject(FloatObject(w) for w in widths or [500, 556, 444])})
    if embedded:
        flags = NumberObject(33 if fixed else 32)  # 32: nonsymbolic; 1: fixed pitch
        font[NameObject("/FontDescriptor")] = DictionaryObject({NameObject("/Flags"): flags})
    if encoding is not None:
        font[NameObject("/Encoding")] = encoding
    return font


def _differences(*items: object) -> DictionaryObject:
    listed = ArrayObject(NumberObject(x) if isinstance(x, int) else NameObject(str(x)) for x in items)
    return DictionaryObject({NameObject("/Differences"): listed})


def test_the_composite_font_of_the_fixture_declares_no_space_and_measures_its_codes() -> None:
    resources = cast(DictionaryObject, PdfReader(io.BytesIO(content_pdf(b""))).pages[0]["/Resources"])
    fonts = cast(DictionaryObject, resources["/Font"])
    metrics = font_metrics(fonts["/F3"].get_object())
    assert metrics.gap == pytest.approx(0.475 * 250)  # half the median width (500) is the space
    assert metrics.advance(bytes.fromhex(composite("aA").decode()[1:-1])) == (1167.0, 2, 0)
    assert font_metrics(fonts["/F1"].get_object()).gap is None  # Helvetica: a standard font with its space


@pytest.mark.parametrize(("encoding", "declared"), [
    (NameObject("/WinAnsiEncoding"), True),
    (_differences(32, "/space", "/exclam"), True),
    (DictionaryObject({NameObject("/BaseEncoding"): NameObject("/WinAnsiEncoding")}), True),
    (_differences(30, "/fi", "/fl", "/suppress"), False),  # code 32 given another glyph
    (_differences(39, "/quoteright"), False),  # the font's built-in encoding, which may have no space
])
def test_a_simple_font_declares_a_space_by_its_encoding(encoding: PdfObject, declared: bool) -> None:
    assert (font_metrics(_simple(encoding)).gap is None) is declared


def test_a_to_unicode_map_declares_a_space_in_a_range_and_a_fixed_pitch_space_is_a_glyph_wide() -> None:
    font = _simple(_differences(39, "/quoteright"), widths=[600, 600, 600], fixed=True)
    assert font_metrics(font).gap == pytest.approx(0.475 * 600)
    cmap = DecodedStreamObject()
    cmap.set_data(b"1 beginbfrange\n<0010> <0030> <0010>\nendbfrange")  # 0x10..0x30 to U+0010..U+0030
    font[NameObject("/ToUnicode")] = cmap
    assert font_metrics(font).gap is None


def test_a_damaged_or_type3_font_is_left_to_pypdf() -> None:
    assert font_metrics(DictionaryObject({NameObject("/Subtype"): NameObject("/Type3")})).gap is None
    broken = DictionaryObject({NameObject("/Subtype"): NameObject("/Type0")})  # no descendant font
    assert font_metrics(broken).gap is None and font_metrics(broken).advance(b"ab") is None


def test_fonts_the_pages_share_are_measured_once() -> None:
    first, second = PdfReader(io.BytesIO(content_pdf(b"", b""))).pages
    known: dict[tuple[int, int], FontMetrics] = {}
    fonts = page_fonts(first, known)
    assert page_fonts(second, known)["/F3"] is fonts["/F3"]
    assert len(known) == len(fonts) == 5
