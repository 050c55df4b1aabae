"""Documents added from the web app: checked by their content, stored under a generated name, ingested.

Nothing about an upload is trusted but its bytes:

* the size is checked against `Settings.max_upload_bytes` before anything is written;
* the type comes from the content: a PDF starts with "%PDF-", anything else must be text the
  readers accept (UTF-8, or UTF-16 with a BOM; no NUL bytes). The name's extension only picks
  the kind of text (Markdown, BibTeX, plain) and is refused when it claims a PDF that is not one;
* the file is then read by the pipeline's own reader (`ingest.readers.read_any`), so a corrupt,
  encrypted or text-less PDF, or a .bib file without entries, is refused here rather than
  failing again at every later ingestion;
* it is stored as `<corpus>/uploads/<first 16 hex digits of its sha256><suffix>`: no part of the
  uploaded name ever reaches a path. The name is kept as the document's title in the corpus's
  manifest.toml (where `sourcebook ingest` reads titles), and is only ever displayed, escaped.

The same bytes uploaded twice are one file; bytes already indexed from another file of the
corpus are not stored again. Then the whole corpus folder is ingested with the same pipeline
and rules as `sourcebook ingest`. No Streamlit here: ui/pages_documents.py is the page.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from index.bundle import BundleError
from index.embedder import ModelError
from index.locks import file_lock
from index.settings import Settings
from ingest.library import parse_csl_json
from ingest.pipeline import FileFailure, IngestReport, Progress, ingest
from ingest.readers import BIB_SUFFIXES, CSL_SUFFIXES, READS, SUPPORTED, InputError, decode_text, read_any
from ingest.references import parse_bibtex

UPLOAD_FOLDER = "uploads"
DIGEST_CHARS = 16  # 64 bits of the sha256: a collision is checked for, never expected
MAX_NAME_CHARS = 200
# The suffix a stored text upload gets, from the one its name claims; anything else is ".txt".
TEXT_SUFFIX = {".md": ".md", ".markdown": ".md", ".rst": ".rst", ".bib": ".bib", ".json": ".json"}
# What the browser's file picker offers (without dots, as st.file_uploader takes them).
ACCEPTED_TYPES = sorted(s.lstrip(".") for s in SUPPORTED)

@dataclass(frozen=True)
class Upload:
    """A file as the browser sent it: its name is for display only."""

    name: str
    data: bytes


@dataclass(frozen=True)
class StoredUpload:
    """An accepted upload: where its bytes stand in the corpus."""

    name: str  # the cleaned display name (the document's title)
    doc_id: str  # path relative to the corpus folder, e.g. "uploads/3f2a….pdf"
    path: Path
    sha256: str
    new: bool  # False when the same bytes were already in the corpus folder
    indexed: bool  # True when the index already holds these bytes


@dataclass
class UploadResult:
    """What adding uploads did, for the page to show."""

    stored: list[StoredUpload] = field(default_factory=list)  # accepted, whether new or not
    added: list[StoredUpload] = field(default_factory=list)  # accepted and now in the index
    problems: list[FileFailure] = field(default_factory=list)  # by uploaded name: refused, or failed to ingest
    warnings: list[FileFailure] = field(default_factory=list)  # by uploaded name: ingested, but not whole
    report: IngestReport | None = None  # None when nothing new needed ingesting, or it failed
    failure: str | None = None  # the ingestion as a whole failed (another one running, ...)


def megabytes(n: int) -> str:
    """A byte count as people read it: "20 MB", "1.5 MB", or bytes below 0.1 MB."""
    if n < 100_000:
        return f"{n:,} bytes"
    return f"{n / 1e6:.1f}".removesuffix(".0") + " MB"


def display_name(name: str) -> str:
    """The upload's name for display: its last path component, NFC, without control or
    format characters (bidi overrides), whitespace collapsed, at most 200 characters."""
    base = re.split(r"[/\\]", name)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(" " if ch.isspace() else ch for ch in base)  # tabs, newlines: a space
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = " ".join(base.split())[:MAX_NAME_CHARS].strip()
    return base or "unnamed upload"


def is_pdf(data: bytes) -> bool:
    """The PDF header, after any leading whitespace (as the reader accepts)."""
    return data[:1024].lstrip()[:5] == b"%PDF-"


def detect_suffix(name: str, data: bytes) -> str:
    """The suffix the upload is stored with, from its content; InputError when it is not a
    type Sourcebook reads. `name` is only consulted for the kind of text and to refuse a
    name claiming a type its content is not."""
    claimed = PurePosixPath(display_name(name)).suffix.lower()
    if claimed and claimed not in SUPPORTED:
        raise InputError(f"unsupported file type {claimed}; Sourcebook reads {READS}")
    if is_pdf(data):
        return ".pdf"
    if claimed == ".pdf":
        raise InputError("named .pdf, but the content is not a PDF (no %PDF- header)")
    decode_text(data)  # the readers' own check: UTF-8 or BOM-marked UTF-16, no NUL bytes
    return TEXT_SUFFIX.get(claimed, ".txt")


def check_size(data: bytes, cap: int) -> None:
    if not data:
        raise InputError("empty file")
    if len(data) > cap:
        raise InputError(f"{megabytes(len(data))} is over the {megabytes(cap)} upload cap "
                         "(settings.upload.max_upload_bytes)")


def _sha256_of(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _check_readable(path: Path, doc_id: str, settings: Settings) -> None:
    """Read the stored bytes exactly as ingestion will; InputError when that fails."""
    try:
        raw = read_any(path, settings.build.max_file_bytes)
        if path.suffix in BIB_SUFFIXES and not parse_bibtex(doc_id, raw.text):
            raise InputError("no BibTeX entries found")
        if path.suffix in CSL_SUFFIXES:
            parse_csl_json(doc_id, raw.text)  # InputError when it is not a CSL-JSON library
    except InputError:
        raise
    except Exception as exc:  # a parser bug is a refusal, not a crash of the page
        raise InputError(f"could not be read ({type(exc).__name__}: {exc})"[:200]) from exc


def store_upload(corpus: Path, upload: Upload, settings: Settings | None = None,
                 known: Mapping[str, str] | None = None) -> StoredUpload:
    """Check one upload and store it in `corpus`/uploads/ under its generated name.

    `known` maps the sha256 of each indexed document's bytes to its id: bytes already indexed
    from another file of the corpus are not stored again. InputError says why a file is refused.
    """
    settings = settings or Settings()
    known = known or {}
    name, data = display_name(upload.name), upload.data
    check_size(data, settings.upload.max_upload_bytes)
    suffix = detect_suffix(upload.name, data)
    digest = hashlib.sha256(data).hexdigest()
    if digest in known:  # the very same bytes are indexed already (uploaded, or under their own name)
        return StoredUpload(name, known[digest], corpus / known[digest], digest, new=False, indexed=True)
    folder = corpus / UPLOAD_FOLDER
    stem = digest[:DIGEST_CHARS]
    # Stored before (perhaps under another claimed kind of text), not indexed yet: reuse that file.
    for earlier in sorted(folder.glob(f"{stem}.*")) if folder.is_dir() else []:
        if earlier.is_file() and _sha256_of(earlier) == digest:
            return StoredUpload(name, f"{UPLOAD_FOLDER}/{earlier.name}", earlier, digest, new=False, indexed=False)
    doc_id = f"{UPLOAD_FOLDER}/{stem}{suffix}"
    target = corpus / doc_id
    if target.exists() or target.is_symlink():
        raise InputError(f"another file is already stored as {doc_id}")
    if not corpus.is_dir():
        raise InputError(f"the corpus folder {corpus} does not exist")
    target.parent.mkdir(exist_ok=True)
    # Written under a hidden name (ingestion skips hidden files), checked with the pipeline's
    # reader, then renamed into place: a refused or half-written upload never enters the corpus.
    tmp = target.parent / f".incoming-{secrets.token_hex(8)}{suffix}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _check_readable(tmp, doc_id, settings)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return StoredUpload(name, doc_id, target, digest, new=True, indexed=False)


def toml_string(text: str) -> str:
    """`text` as a TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


@contextmanager
def uploads_lock(corpus: Path) -> Iterator[None]:
    """Serialise writers of manifest.toml across sessions and processes (a hidden lock file)."""
    folder = corpus / UPLOAD_FOLDER
    folder.mkdir(exist_ok=True)
    with file_lock(folder / ".lock", wait=True):  # writers queue up: appending titles takes milliseconds
        yield


MANIFEST_HEADER = ("# Document metadata read by `sourcebook ingest`: one table per file in this folder.\n"
                   "# Keys are file names relative to this folder; unlisted files get a title from their first line.\n")


def record_titles(corpus: Path, stored: Sequence[StoredUpload], when: datetime | None = None) -> int:
    """Append a manifest.toml table (title = the uploaded name) for each stored upload that has
    none yet; returns how many were added. An existing manifest is only ever appended to."""
    uploads = [s for s in stored if s.doc_id.startswith(f"{UPLOAD_FOLDER}/")]
    if not uploads:
        return 0
    day = (when or datetime.now(UTC)).strftime("%Y-%m-%d")
    manifest = corpus / "manifest.toml"
    with uploads_lock(corpus):
        existing = manifest.read_text(encoding="utf-8") if manifest.is_file() else ""
        try:
            tables = tomllib.loads(existing)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"not valid TOML, so the titles of uploads were not added ({exc})") from exc
        first: dict[str, StoredUpload] = {}
        for s in uploads:  # the same bytes twice in one batch: the first name is the title
            if s.doc_id not in tables:
                first.setdefault(s.doc_id, s)
        todo = list(first.values())
        if not todo:
            return 0
        parts = [MANIFEST_HEADER] if not existing.strip() else ["\n"] if existing.endswith("\n") else ["\n\n"]
        for s in todo:
            parts.append(f'["{s.doc_id}"]\ntitle = {toml_string(s.name)}\n'
                         f'source = {toml_string(f"uploaded in the web app on {day}")}\n\n')
        with open(manifest, "a", encoding="utf-8") as fh:
            fh.write("".join(parts).rstrip("\n") + "\n")
    return len(todo)


def foreign_documents(corpus: Path, doc_ids: Sequence[str]) -> list[str]:
    """Indexed documents with no file in `corpus`: ingesting the folder would drop them."""
    return [d for d in doc_ids if not (corpus / d).is_file()]


def _label(path: str, corpus: Path, names: Mapping[str, str]) -> str:
    """A failed file's name for the reader: the uploaded name, else its path in the corpus."""
    if path in names:
        return names[path]
    try:
        return Path(path).relative_to(corpus).as_posix()
    except ValueError:
        return path


def add_uploads(corpus: Path, index_dir: Path, uploads: Sequence[Upload], settings: Settings | None = None,
                known: Mapping[str, str] | None = None, on_progress: Progress | None = None) -> UploadResult:
    """Check and store each upload, then ingest the corpus folder into the index (skipped when
    every accepted upload is already indexed). Never raises for a bad file or a busy index:
    the result says what happened to each file."""
    settings = settings or Settings()
    step = on_progress or (lambda text, fraction: None)
    result = UploadResult()
    for i, upload in enumerate(uploads):
        step(f"checking {display_name(upload.name)}", 0.1 * i / max(len(uploads), 1))
        try:
            result.stored.append(store_upload(corpus, upload, settings, known))
        except InputError as exc:
            result.problems.append(FileFailure(display_name(upload.name), str(exc)))
        except OSError as exc:
            result.problems.append(FileFailure(display_name(upload.name),
                                                 f"could not be stored ({exc.strerror or exc})"))
    try:
        record_titles(corpus, result.stored)
    except (InputError, OSError) as exc:
        result.problems.append(FileFailure("manifest.toml", str(exc)))
    if all(s.indexed for s in result.stored):
        step("nothing new to index", 1.0)
        return result
    try:
        result.report = ingest([corpus], index_dir, settings,
                               on_progress=lambda text, fraction: step(text, 0.1 + 0.9 * fraction))
    except (InputError, BundleError, ModelError, OSError) as exc:
        result.failure = str(exc)
        return result
    names = {str(s.path): f"{s.name} ({s.doc_id})" for s in result.stored}
    for err in result.report.errors:
        result.problems.append(FileFailure(_label(err.path, corpus, names), err.reason))
    for warn in result.report.warnings:
        result.warnings.append(FileFailure(_label(warn.path, corpus, names), warn.reason))
    failed = {err.path for err in result.report.errors}
    result.added = [s for s in result.stored if not s.indexed and str(s.path) not in failed]
    return result
