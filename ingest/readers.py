"""Read .txt, .md and .pdf files into normalised text, refusing bad input with one clear reason."""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path

from index.errors import SourcebookError
from index.settings import ReadSettings
from ingest.markdown import read_markdown
from ingest.text import Block, normalise

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text", ".rst"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}  # given their structure by a Markdown parser
PDF_SUFFIXES = {".pdf"}
BIB_SUFFIXES = {".bib"}
CSL_SUFFIXES = {".json"}  # a CSL-JSON library export
SUPPORTED = TEXT_SUFFIXES | PDF_SUFFIXES | BIB_SUFFIXES | CSL_SUFFIXES
READS = ".txt, .md, .pdf, .bib and CSL-JSON .json"  # what an "unsupported file type" error lists


class InputError(SourcebookError):
    """A file that cannot be ingested; str() is the reason, in a few words."""


@dataclass(frozen=True)
class RawText:
    """A file's normalised text, the start offset of each page (PDF), its hash and any PDF title."""

    text: str
    page_starts: tuple[int, ...]
    sha256: str
    pdf_title: str | None = None
    # What was left out and why, one short line each ("page(s) 2 failed inside pypdf and were left out").
    warnings: tuple[str, ...] = ()
    # Structure found by a layout-aware reader (PDF); None: cut the text into blocks by its lines.
    blocks: tuple[Block, ...] | None = None
    page_labels: tuple[str | None, ...] = ()  # the printed label of each page (None: unknown)
    page_margins: tuple[tuple[str, ...], ...] = ()  # running headers, footers, page numbers removed per page


def _mb(n: int) -> str:
    """A byte count for a message: "52.4 MB", or exact bytes below 0.1 MB."""
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def size_checked(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; never reads more than max_bytes + 1 into memory, even if it grows meanwhile."""
    if not path.exists():
        raise InputError("broken symbolic link" if path.is_symlink() else "no such file or folder")
    if path.is_dir():
        raise InputError("a folder, not a file")
    if not path.is_file():
        raise InputError("not a regular file (device, pipe or socket)")
    too_big = f"over the {_mb(max_bytes)} cap (settings.build.max_file_bytes)"
    size = path.stat().st_size
    if size == 0:
        raise InputError("empty file")
    if size > max_bytes:
        raise InputError(f"{_mb(size)} is {too_big}")
    try:
        with open(path, "rb") as fh:
            # read(n) sets aside n bytes at once: ask for the size found (one more to see growth), not the cap.
            data = fh.read(size + 1)
    except OSError as exc:
        raise InputError(f"cannot read it ({exc.strerror or exc})") from exc
    if len(data) > size:
        raise InputError("grew while being read; add it again once it is complete")
    if not data:
        raise InputError("empty file")
    return data


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16; anything else is refused, not guessed."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError("damaged UTF-16 text") from exc
    if b"\x00" in data[:8192]:
        raise InputError("binary data, not text (NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise InputError(f"not UTF-8 text (byte 0x{bad} at offset {exc.start}); convert it to UTF-8") from exc
    if "\x00" in text:
        raise InputError("binary data, not text (NUL bytes)")
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text[:8192]) // 100):
        raise InputError("binary data, not text (control characters)")
    return text


def read_text_file(path: Path, max_bytes: int) -> RawText:
    """A text file's normalised text; Markdown files also carry the blocks their parser found."""
    data = size_checked(path, max_bytes)
    text = normalise(decode_text(data))
    if not text.strip():
        raise InputError("no text (only whitespace)")
    structure = None
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        text, structure = markdown_structure(text)
    return RawText(text, (), hashlib.sha256(data).hexdigest(), blocks=structure)


def markdown_structure(text: str) -> tuple[str, tuple[Block, ...] | None]:
    """A Markdown text as it reads and its blocks, or the text as written and None (cut it by its
    lines) when the parser fails or a single block is too large to parse safely: structure is a
    gain, never a reason to refuse a file."""
    try:
        return read_markdown(text)
    except Exception:  # a parser bug, or ValueError for an oversized block (ingest/markdown.py)
        return text, None


def read_any(path: Path, max_bytes: int, page_budget: int = ReadSettings.max_page_content_bytes,
             pdf_budget: int = ReadSettings.max_pdf_content_bytes) -> RawText:
    """Read a supported file; InputError with a short reason otherwise. A PDF's pages are read within
    the budgets of inflated content (settings.read), per page and per document."""
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        from ingest.pdf.reader import read_pdf  # the PDF reader builds on this module's checks

        return read_pdf(path, max_bytes, page_budget, pdf_budget)
    if suffix in TEXT_SUFFIXES | BIB_SUFFIXES | CSL_SUFFIXES:
        return read_text_file(path, max_bytes)
    raise InputError(f"unsupported file type {suffix or '(none)'}; Sourcebook reads {READS}")
