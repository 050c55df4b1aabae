"""A cited PDF page rendered as printed, the quote marked where it stands (ui/pdf_page.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.bundle import file_sha256
from ui.pdf_page import HIGHLIGHT, PageUnavailable, locate, render_page

from .pdfs import text_pdf

FERRY = "The Tarnow ferry crosses the lake at dawn."


def _marked_rows(image: Any) -> list[int]:
    """The pixel rows holding the highlight's colour over white paper, once per pixel."""
    alpha = HIGHLIGHT[3] / 255
    want = np.array([255 * (1 - alpha) + c * alpha for c in HIGHLIGHT[:3]])
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    rows, _ = np.nonzero((np.abs(pixels - want) < 8).all(axis=2))
    return rows.tolist()


def test_the_quote_is_found_through_line_breaks_ligatures_and_accents() -> None:
    page = "Achim Zeileis 3\r\nthe estimators are identi-\r\ncal, as Kr¨amer ﬁnds (2004)."
    start, end = locate(page, "The estimators are identical, as Krämer finds (2004).") or (0, 0)
    assert page[start:end] == "the estimators are identi-\r\ncal, as Kr¨amer ﬁnds (2004"
    assert locate(page, "A sentence that is not there.") is None


def test_a_page_is_rendered_with_the_quote_marked_and_only_there(tmp_path: Path) -> None:
    pdf = tmp_path / "ferry.pdf"
    pdf.write_bytes(text_pdf("The Korvath glacier retreats forty metres each summer.", FERRY))
    sha = file_sha256(pdf)
    view = render_page(pdf, sha, 2, [FERRY])
    assert view.found and view.pages == 2 and view.image.size[0] > 800
    rows = _marked_rows(view.image)
    # Painted over the sentence, drawn 62 pt below the top of an 842 pt page: one line's height.
    assert len(rows) > 2000 and 0.06 < min(rows) / view.image.size[1] < max(rows) / view.image.size[1] < 0.1
    plain = render_page(pdf, sha, 1, [FERRY])
    assert not plain.found and not _marked_rows(plain.image)


def test_a_changed_or_missing_file_is_not_shown(tmp_path: Path) -> None:
    pdf = tmp_path / "ferry.pdf"
    pdf.write_bytes(text_pdf(FERRY))
    sha = file_sha256(pdf)
    with pytest.raises(PageUnavailable, match="no page 3"):
        render_page(pdf, sha, 3)
    pdf.write_bytes(text_pdf(FERRY, FERRY))
    with pytest.raises(PageUnavailable, match="changed since it was indexed"):
        render_page(pdf, sha, 1)
    pdf.unlink()
    with pytest.raises(PageUnavailable, match="cannot be read"):
        render_page(pdf, sha, 1)
