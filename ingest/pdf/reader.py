"""Read a PDF file into Sourcebook's text: pages, blocks and page labels from its layout.

Encrypted, damaged and textless PDFs are refused with one clear reason; a page that
fails inside pypdf is left out and reported, the rest is read.
"""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path
from typing import Any

from ingest.pdf.layout import Line, lines_of, page_runs
from ingest.pdf.structure import build
from ingest.readers import InputError, RawText, size_checked


def _open(data: bytes) -> Any:
    from pypdf import PdfReader

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise InputError("not a PDF (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:
                raise InputError(f"encrypted PDF that cannot be opened ({exc})") from exc
            if not ok:
                raise InputError("encrypted PDF; a password is needed to read it")
        len(reader.pages)
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        raise InputError(f"corrupt PDF ({type(exc).__name__}: {exc})".replace("\n", " ")[:200]) from exc
    return reader


def declared_labels(reader: Any) -> list[str] | None:
    """The page labels the PDF declares (/PageLabels), or None when it declares none: pypdf
    would otherwise number the pages 1, 2, 3 … whatever they print."""
    try:
        if "/PageLabels" not in reader.trailer["/Root"]:
            return None
        return [str(label) for label in reader.page_labels]
    except Exception:
        return None


def _title(reader: Any) -> str | None:
    try:
        meta = reader.metadata
        return str(meta.title).strip() or None if meta and meta.title else None
    except Exception:
        return None


def read_pdf(path: Path, max_bytes: int) -> RawText:
    """Read a PDF's pages as lines with their layout and turn them into text and blocks."""
    data = size_checked(path, max_bytes)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = _open(data)
    pages: list[list[Line]] = []
    failed: list[int] = []
    for number, page in enumerate(reader.pages, 1):
        try:
            pages.append(lines_of(number - 1, page_runs(page)))
        except Exception:
            pages.append([])
            failed.append(number)
    if not any(pages):
        if failed:
            raise InputError(f"no page could be read ({len(failed)} of {len(pages)} failed inside pypdf)")
        raise InputError("no text layer (a scanned PDF needs OCR first)")
    read = build(pages, declared_labels(reader))
    return RawText(read.text, read.page_starts, hashlib.sha256(data).hexdigest(), _title(reader), tuple(failed),
                   blocks=read.blocks, page_labels=read.page_labels, page_margins=read.margins)
