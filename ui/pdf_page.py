"""A PDF page as printed, rendered with pypdfium2, with the quoted text highlighted where it stands.

The quote is Sourcebook's text (hyphens at line ends joined, ligatures and TeX accents folded,
running headers removed); it is found on the page by comparing letters and digits only, folded
the same way on both sides, and each of its characters' boxes on the page is painted over.
The file is rendered only while it is the one indexed (same SHA-256): a page of a file changed
since would highlight the wrong place.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.bundle import file_sha256
from index.errors import SourcebookError

HIGHLIGHT = (255, 214, 0, 110)  # the colour of <mark>, translucent
_ENDS = 40  # a quote not found whole is placed by its first and last this many letters


@dataclass(frozen=True)
class PageView:
    """A rendered page: its image, how many pages the document has, and whether the quote was placed."""

    image: Any  # PIL.Image
    pages: int
    found: bool


class PageUnavailable(SourcebookError):
    """The original file cannot be shown (gone, changed since it was indexed, not a PDF page)."""


def _folded(text: str) -> tuple[str, list[int]]:
    """The text's letters and digits, lower-cased and without accents, with each one's index in `text`."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for part in unicodedata.normalize("NFKD", ch):
            if part.isalnum():
                out.append(part.lower())
                where.append(i)
    return "".join(out), where


def locate(page_text: str, quote: str) -> tuple[int, int] | None:
    """(first, last + 1) indexes in `page_text` of the quote, or None when it is not on the page."""
    hay, where = _folded(page_text)
    needle, _ = _folded(quote)
    if not needle or not hay:
        return None
    at = hay.find(needle)
    if at >= 0:
        return where[at], where[at + len(needle) - 1] + 1
    head, tail = needle[:_ENDS], needle[-_ENDS:]
    start = hay.find(head)
    if start < 0:
        return None
    end = hay.find(tail, start)
    if end < 0 or end - start > 3 * len(needle):  # the quote runs onto the next page: mark the start
        return where[start], where[min(start + len(needle), len(hay)) - 1] + 1
    return where[start], where[end + len(tail) - 1] + 1


def render_page(path: Path, sha256: str, page: int, quotes: Sequence[str] = (), scale: float = 1.6) -> PageView:
    """Page `page` (1-based) of the PDF at `path`, which must still hash to `sha256`, with the quotes marked."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    try:
        same = file_sha256(path) == sha256
    except OSError as exc:
        raise PageUnavailable(f"the original file cannot be read ({exc.strerror or exc})") from exc
    if not same:
        raise PageUnavailable("the original file has changed since it was indexed; ingest it again to see its pages")
    pdf = pdfium.PdfDocument(str(path))
    try:
        if not 1 <= page <= len(pdf):
            raise PageUnavailable(f"the document has no page {page} (it has {len(pdf)})")
        sheet = pdf[page - 1]
        height = sheet.get_height()
        image = sheet.render(scale=scale).to_pil().convert("RGBA")
        text_page = sheet.get_textpage()
        text = text_page.get_text_range()
        overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        found = False
        for quote in quotes:
            span = locate(text, quote)
            if span is None:
                continue
            found = True
            for i in range(text_page.count_rects(span[0], span[1] - span[0])):
                left, bottom, right, top = text_page.get_rect(i)
                draw.rectangle([left * scale, (height - top) * scale, right * scale, (height - bottom) * scale],
                               fill=HIGHLIGHT)
        return PageView(Image.alpha_composite(image, overlay).convert("RGB"), len(pdf), found)
    finally:
        pdf.close()
