"""Removing a document that was added in the web app: its file, its manifest table, its passages.

Only uploads can be removed from the browser, and only by the generated name they are stored
under (`uploads/<16 hex digits>.<suffix>`): nothing a visitor types becomes a path, and the
documents someone put in the corpus folder by hand are never touched from a web page.

The file is first renamed to a hidden name, which ingestion skips, and the corpus is ingested
again (every other passage's vectors are reused). Only when that succeeded is the file deleted
and its manifest table cut out; if the index is busy or the ingestion fails, the file is renamed
back, so the corpus folder and the index never disagree.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from index.bundle import BundleError
from index.embedder import ModelError
from index.settings import Settings
from ingest.pipeline import IngestReport, Progress, ingest
from ingest.readers import InputError
from ingest.upload import DIGEST_CHARS, TEXT_SUFFIX, UPLOAD_FOLDER, uploads_lock

# The names store_upload gives: the digest and a suffix it picks, never one from the upload.
_SUFFIXES = sorted({".pdf", ".txt", *TEXT_SUFFIX.values()})
_REMOVABLE = re.compile(rf"{UPLOAD_FOLDER}/[0-9a-f]{{{DIGEST_CHARS}}}(?:{'|'.join(map(re.escape, _SUFFIXES))})")


@dataclass
class RemoveResult:
    """What removing did, for the page to show."""

    doc_id: str
    report: IngestReport | None = None  # the ingestion without the document; None when it did not run
    failure: str | None = None  # why the document is still there


def removable(doc_id: str) -> bool:
    """Was this document added in the web app (stored under a generated name)?"""
    return _REMOVABLE.fullmatch(doc_id) is not None


def remove_upload(corpus: Path, index_dir: Path, doc_id: str, settings: Settings | None = None,
                  on_progress: Progress | None = None) -> RemoveResult:
    """Take an uploaded document out of the corpus folder and the index. Never raises for a
    busy index or a failed ingestion: the result says why the document is still there."""
    result = RemoveResult(doc_id)
    if not removable(doc_id):
        result.failure = f"{doc_id} was not added in the web app; remove it from the corpus folder instead"
        return result
    path = corpus / doc_id
    if path.is_symlink() or not path.is_file():
        result.failure = f"{doc_id} is not in the corpus folder {corpus.as_posix()}"
        return result
    hidden = path.with_name(f".removing-{path.name}")
    with uploads_lock(corpus):
        os.replace(path, hidden)
    try:
        result.report = ingest([corpus], index_dir, settings or Settings(), on_progress=on_progress)
    except (BundleError, ModelError, OSError, InputError) as exc:
        with uploads_lock(corpus):
            os.replace(hidden, path)
        result.failure = f"the index was not updated ({exc}); the document is still there"
        return result
    with uploads_lock(corpus):
        hidden.unlink(missing_ok=True)
        drop_manifest_table(corpus / "manifest.toml", doc_id)
    return result


def drop_manifest_table(manifest: Path, doc_id: str) -> bool:
    """Cut the `["doc_id"]` table that record_titles wrote out of manifest.toml, leaving every
    other line (comments included) as it was; nothing changes unless the result still parses
    and has lost exactly that table. Returns whether it was cut."""
    if not manifest.is_file():
        return False
    text = manifest.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    header = f'["{doc_id}"]'
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == header)
    except StopIteration:
        return False
    # The table ends where the next table, or a comment (which may introduce it), begins.
    end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith(("[", "#"))), len(lines))
    kept = "".join(lines[:start] + lines[end:]).rstrip("\n") + "\n"
    try:
        before, after = tomllib.loads(text), tomllib.loads(kept)
    except tomllib.TOMLDecodeError:
        return False
    if doc_id in after or {k: v for k, v in before.items() if k != doc_id} != after:
        return False
    tmp = manifest.with_name(f".{manifest.name}.tmp")
    tmp.write_text(kept, encoding="utf-8")
    os.replace(tmp, manifest)
    return True
