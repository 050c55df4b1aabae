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

from index.settings import ReadSettings
from ingest.pdf.budget import page_content_size, release
from ingest.pdf.fonts import FontMetrics
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


# Titles that PDF writers fill in when the author gave none (reportlab writes "untitled").
PLACEHOLDER_TITLES = frozenset({"untitled", "anonymous", "untitled document", "document", "title"})


def _title(reader: Any) -> str | None:
    """The title in the PDF's metadata, unless it is empty or a writer's placeholder."""
    try:
        meta = reader.metadata
        title = str(meta.title).strip() if meta and meta.title else ""
    except Exception:
        return None
    return title if title and title.lower() not in PLACEHOLDER_TITLES else None


def _spans(pages: list[int]) -> str:
    """1-based page numbers as short ranges: "2, 5-9"."""
    out: list[str] = []
    for n in pages:
        if out and out[-1].split("-")[-1] == str(n - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


def read_pdf(path: Path, max_bytes: int, page_budget: int = ReadSettings.max_page_content_bytes,
             document_budget: int = ReadSettings.max_pdf_content_bytes) -> RawText:
    """Read a PDF's pages as lines with their layout and turn them into text and blocks.

    A page whose drawing instructions inflate past `page_budget` bytes, or that would take the
    document past `document_budget`, is left out before pypdf parses it (a compressed-stream bomb
    costs neither minutes nor gigabytes); each such page, like one pypdf fails on, is named in a warning."""
    data = size_checked(path, max_bytes)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = _open(data)
    pages: list[list[Line]] = []
    failed: list[int] = []
    too_big: list[int] = []
    over: list[int] = []  # pages past the document's budget
    spent = 0
    known_fonts: dict[tuple[int, int], FontMetrics] = {}  # pages share their fonts: each is measured once
    for number, page in enumerate(reader.pages, 1):
        pages.append([])
        try:
            size = page_content_size(page, page_budget)
        except Exception:
            size = 0  # pypdf fails on it below and the page is reported as failed
        if size > page_budget:
            too_big.append(number)
            continue
        if spent + size > document_budget:
            over.append(number)
            continue
        spent += size
        try:
            pages[-1] = lines_of(number - 1, *page_runs(page, known_fonts))
        except MemoryError:  # the reading process's limit (ingest/sandbox.py): the file fails, not a page
            raise
        except Exception:
            failed.append(number)
        finally:
            release(page)
    warnings = []
    if failed:
        warnings.append(f"page(s) {_spans(failed)} failed inside pypdf and were left out")
    if too_big:
        warnings.append(f"page(s) {_spans(too_big)} left out: their content inflates to more than "
                        f"{page_budget / 1e6:g} MB a page (settings.read.max_page_content_bytes)")
    if over:
        warnings.append(f"page(s) {_spans(over)} left out: the document's content passed "
                        f"{document_budget / 1e6:g} MB (settings.read.max_pdf_content_bytes)")
    if not any(pages):
        if failed or too_big or over:
            raise InputError(f"no page could be read ({'; '.join(warnings)})")
        raise InputError("no text layer (a scanned PDF needs OCR first)")
    read = build(pages, declared_labels(reader))
    return RawText(read.text, read.page_starts, hashlib.sha256(data).hexdigest(), _title(reader) or read.title,
                   tuple(warnings),
                   blocks=read.blocks, page_labels=read.page_labels, page_margins=read.margins)
