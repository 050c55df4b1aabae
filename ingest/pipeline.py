"""The ingestion pipeline: files -> documents -> passages and references -> embeddings -> bundle.

Bad files are reported one line each and skipped; the bundle is only replaced once
the new one is complete, and an unchanged corpus is not re-embedded at all.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index import bundle
from index.embedder import get_embedder
from index.errors import shown
from index.models import Document, GlossaryEntry, Passage, Provenance, Reference
from index.query.sections import question_headings
from index.settings import BuildSettings, Settings
from index.store import BundleData, Store
from ingest.chunk import Para, pack, paragraphs
from ingest.citations import AuthorYear
from ingest.glossary import build_glossary
from ingest.library import enrich
from ingest.memory import bound_allocator, release_freed_memory
from ingest.noise import repeated_blocks
from ingest.readers import READS, SUPPORTED, InputError, RawText
from ingest.references import find_references
from ingest.text import Block
from ingest.text import blocks as text_blocks
from ingest.work import LocalWork, Work

CONFIG_FILES = {"manifest.toml", "glossary.toml"}
# Bumped whenever cutting, noise, reference or glossary extraction changes what an index
# holds, so that an "unchanged" corpus is rebuilt by a newer Sourcebook.
PIPELINE_REVISION = 14


@dataclass(frozen=True)
class FileFailure:
    """One file that failed, or was read only in part: a record for the report, not an exception."""

    path: str
    reason: str

    def __str__(self) -> str:
        # Control characters are shown escaped: a file named "a\nerror: b" cannot forge a line of its own.
        return f"{shown(self.path)}: {shown(self.reason)}"


@dataclass
class IngestReport:
    """What an ingestion did, for the command line and the web app."""

    index_dir: Path
    documents: int = 0
    passages: int = 0
    noise: int = 0
    references: int = 0
    glossary: int = 0
    embedded: int = 0
    reused: int = 0
    up_to_date: bool = False
    seconds: float = 0.0
    embed_seconds: float = 0.0  # time inside model.encode: the rest is Sourcebook's own overhead
    errors: list[FileFailure] = field(default_factory=list)
    warnings: list[FileFailure] = field(default_factory=list)  # ingested, but not whole

    def summary(self) -> str:
        if self.up_to_date:
            head = f"index {self.index_dir} is up to date ({self.documents} documents, {self.passages} passages)"
        else:
            head = (
                f"indexed {self.documents} documents: {self.passages} passages ({self.noise} marked as noise), "
                f"{self.references} references, {self.glossary} glossary terms; embedded {self.embedded}, "
                f"reused {self.reused}; {self.seconds:.1f}s ({self.embed_seconds:.1f}s embedding) -> {self.index_dir}"
            )
        if self.errors:
            head += f"; {len(self.errors)} file(s) failed"
        if self.warnings:
            head += f"; {len({w.path for w in self.warnings})} file(s) read in part"
        return head


def collect_files(paths: list[Path], follow_links: bool = False) -> tuple[list[tuple[Path, str]], list[FileFailure]]:
    """Expand folders (sorted, hidden files skipped, symlink loops survived) into (path, document id).
    A symbolic link inside a folder that leads out of it is refused unless `follow_links`."""
    files: list[tuple[Path, str]] = []
    errors: list[FileFailure] = []
    for root in paths:
        if not root.exists() and not root.is_symlink():
            errors.append(FileFailure(str(root), "no such file or folder"))
            continue
        if root.is_dir():
            seen: set[Path] = set()
            inside = None if follow_links else _real(root)
            for path in sorted(_walk(root, seen, errors, inside)):
                rel = path.relative_to(root).as_posix()
                if rel in CONFIG_FILES:
                    continue
                files.append((path, rel))
        else:
            files.append((root, root.name))
    return files, errors


def _real(path: Path) -> Path | None:
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None


def _leaves(path: Path, inside: Path | None) -> bool:
    """Is `path` a symbolic link whose target lies outside the folder `inside` (None: links are followed)?"""
    if inside is None or not path.is_symlink():
        return False
    target = _real(path)
    return target is not None and not target.is_relative_to(inside)


def _walk(folder: Path, seen: set[Path], errors: list[FileFailure], inside: Path | None = None) -> list[Path]:
    real = _real(folder)
    if real is None:
        errors.append(FileFailure(str(folder), "broken or looping symbolic link"))
        return []
    if real in seen:
        errors.append(FileFailure(str(folder), "symbolic link loop (folder already visited)"))
        return []
    seen.add(real)
    out: list[Path] = []
    try:
        children = sorted(folder.iterdir())
    except OSError as exc:
        errors.append(FileFailure(str(folder), f"cannot list folder ({exc.strerror or exc})"))
        return []
    for child in children:
        if child.name.startswith("."):
            continue
        if _leaves(child, inside):
            errors.append(FileFailure(str(child), f"symbolic link to {_real(child)}, outside the corpus folder: "
                                      "refused (sourcebook ingest --follow-links allows it)"))
            continue
        if child.is_dir():
            out.extend(_walk(child, seen, errors, inside))
        elif child.is_symlink() and not child.exists():
            errors.append(FileFailure(str(child), "broken or looping symbolic link"))
        else:
            out.append(child)
    return out


def _metadata(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """manifest.toml tables (title, source, licence) from the given folders, keyed by document id."""
    meta: dict[str, dict[str, Any]] = {}
    for root in paths:
        f = root / "manifest.toml"
        if root.is_dir() and f.is_file():
            try:
                meta.update(tomllib.loads(f.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise InputError(f"{f}: not valid TOML ({exc})") from exc
    return meta


# Headings that open a section of many documents and title none: a man page's first line is "NAME".
SECTION_WORDS = frozenset({"name", "synopsis", "contents", "table of contents", "abstract", "introduction",
                           "preface", "foreword", "summary", "overview", "description"})


def _title(doc_id: str, raw: RawText, meta: dict[str, Any]) -> str:
    """The document's title: the corpus metadata's, the PDF's (its metadata, else its largest text on the
    first page), the first line unless it is a section heading, else the file name."""
    if meta.get("title"):
        return str(meta["title"])
    if raw.pdf_title:  # the PDF reader leaves writers' placeholders ("untitled") out
        return raw.pdf_title
    first = raw.text.strip().split("\n", 1)[0].strip(" #=*")
    heading = first.lower().rstrip(".:") in SECTION_WORDS
    if 0 < len(first) <= 100 and not first.startswith(("..", "---", "+++")) and not heading:
        return first
    return Path(doc_id).stem.replace("_", " ").replace("-", " ")


def _file_digest(path: Path, max_bytes: int) -> str:
    """sha256 of a file read in chunks; a file over the cap is keyed by size and mtime, never read."""
    if not path.is_file():
        return "not-a-file"
    try:
        st = path.stat()
        if st.st_size > max_bytes:
            return f"over-cap:{st.st_size}:{st.st_mtime_ns}"
        return bundle.file_sha256(path)
    except OSError as exc:
        return f"unreadable:{exc.errno}"


def inputs_digest(
    files: list[tuple[Path, str]], paths: list[Path], max_bytes: int = BuildSettings.max_file_bytes
) -> dict[str, str]:
    """sha256 of every input and config file: equal digests mean nothing to do."""
    out: dict[str, str] = {}
    for path, doc_id in files:
        out[doc_id] = _file_digest(path, max_bytes)
    for root in paths:
        for name in CONFIG_FILES:
            f = root / name
            if root.is_dir() and f.is_file():
                out[f"{root.name}/{name}"] = _file_digest(f, max_bytes)
    return out


def embed_text(p: Passage, settings: Settings) -> str:
    """What is embedded for a passage: its text, led by its section heading when it has one."""
    return f"{p.section}: {p.text}" if settings.build.embed_context and p.section else p.text


def embed_key(model: str, text: str) -> str:
    return hashlib.sha1(f"{model}\x00{text}".encode()).hexdigest()


def _previous_vectors(index_dir: Path, model: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Passage and sentence vectors of the live bundle by content key, so unchanged passages
    are never re-embedded."""
    try:
        gen, _ = bundle.check_generation(index_dir, model, for_reuse=True)
        keys = Store(gen / "store.sqlite").embed_keys()
        vectors = bundle.load_embeddings(gen)
        sentences, rows = bundle.load_sentence_vectors(gen)
    except (bundle.BundleError, OSError, ValueError):
        return {}
    if len(keys) != vectors.shape[0] or not bundle.sentences_fit(rows, len(keys), sentences):
        return {}
    return {k: (vectors[i], sentences[rows[i] : rows[i + 1]]) for i, k in enumerate(keys)}


def sentence_spans_of(p: Passage, settings: Settings) -> list[tuple[int, int]]:
    """The passage's sentence spans inside what is embedded for it (see embed_text)."""
    shift = len(p.section) + 2 if settings.build.embed_context and p.section else 0
    return [(x.start + shift, x.end + shift) for x in p.sentences]


GlossaryBuilder = Callable[[list[Passage], list[Document], list[Path], np.ndarray], list[GlossaryEntry]]
# on_progress(what is happening, fraction done in [0, 1]): for the web app's progress bar.
Progress = Callable[[str, float], None]


def _no_progress(text: str, fraction: float) -> None:
    return None


def ingest(
    paths: list[Path],
    index_dir: Path,
    settings: Settings | None = None,
    progress: bool = False,
    on_error: Callable[[FileFailure], None] | None = None,
    glossary_builder: GlossaryBuilder | None = None,
    force: bool = False,
    on_progress: Progress | None = None,
    work: Work | None = None,
) -> IngestReport:
    """Ingest files and folders into the index at index_dir; returns what happened.
    `on_progress`, if given, is called at each stage with a message and the fraction done;
    `work` reads and embeds elsewhere (a Ray cluster, ingest/cluster.py) instead of on this machine."""
    step = on_progress or _no_progress
    settings = settings or Settings()
    started = time.perf_counter()
    report = IngestReport(index_dir=index_dir)

    def fail(err: FileFailure) -> None:
        report.errors.append(err)
        if on_error:
            on_error(err)

    files, walk_errors = collect_files(paths, settings.build.follow_links)
    for err in walk_errors:
        fail(err)
    digest = inputs_digest(files, paths, settings.build.max_file_bytes)
    with bundle.lock(index_dir):
        manifest = bundle.read_manifest(index_dir) if bundle.current_generation(index_dir) else None
        fingerprint = {"inputs": digest, "settings": settings.to_json(), "format_version": bundle.FORMAT_VERSION,
                       "pipeline_revision": PIPELINE_REVISION}
        if (
            not force
            and manifest
            and {k: manifest.get(k) for k in fingerprint} == fingerprint
            and manifest.get("model") == settings.build.model
        ):
            for e in manifest.get("file_errors", []):
                fail(FileFailure(e["path"], e["reason"]))
            counts = manifest.get("counts", {})
            report.documents, report.passages = counts.get("documents", 0), counts.get("passages", 0)
            report.up_to_date = True
            report.seconds = time.perf_counter() - started
            step("the index is up to date", 1.0)
            return report
        # Vectors are staged in files beside the index while they are made (see _embed); a run that
        # dies leaves the folder behind, and the next write collects it (".tmp-gen-" prefix).
        with tempfile.TemporaryDirectory(prefix=".tmp-gen-stage-", dir=index_dir, ignore_cleanup_errors=True) as s:
            data = _build(files, paths, settings, index_dir, progress, fail, glossary_builder, report, step=step,
                          stage=Path(s), work=work)
            data.inputs = digest
            data.extra = {"file_errors": [{"path": e.path, "reason": e.reason} for e in report.errors],
                          "pipeline_revision": PIPELINE_REVISION}
            if not data.documents:
                raise InputError("no document could be ingested; the existing index was left as it was")
            step("writing the index", 0.95)
            bundle.write(index_dir, data)
    report.seconds = time.perf_counter() - started
    step("done", 1.0)
    return report


def _build(
    files: list[tuple[Path, str]],
    paths: list[Path],
    settings: Settings,
    index_dir: Path,
    progress: bool,
    fail: Callable[[FileFailure], None],
    glossary_builder: GlossaryBuilder | None,
    report: IngestReport,
    step: Progress = _no_progress,
    stage: Path | None = None,
    work: Work | None = None,
) -> BundleData:
    work = work or LocalWork(settings.build.model)
    try:
        meta = _metadata(paths)
    except InputError as exc:
        fail(FileFailure("manifest.toml", str(exc)))
        meta = {}
    documents: list[Document] = []
    library: list[Reference] = []  # the entries of library exports (.bib, CSL-JSON) in the corpus
    structure: dict[str, tuple[Block, ...]] = {}  # blocks found by a layout-aware reader, by document
    readable = []
    for path, doc_id in files:
        if path.suffix.lower() in SUPPORTED:
            readable.append((path, doc_id))
        else:
            kind = path.suffix.lower() or "(none)"
            fail(FileFailure(str(path), f"unsupported file type {kind}; Sourcebook reads {READS}"))
    # Each file is read in a worker process under settings.read's limits (ingest/sandbox.py); the
    # outcomes come in the order of the files.
    outcomes = work.read_all(readable, settings.build.max_file_bytes, settings.read)
    for n, ((path, doc_id), outcome) in enumerate(zip(readable, outcomes, strict=True)):
        # Reading is about half the work of a small ingestion; embedding and the glossary the rest.
        step(f"reading {doc_id}", 0.5 * (n + 1) / max(len(readable), 1))
        if outcome.reading is None:
            fail(FileFailure(str(path), outcome.error or "could not be read"))
            continue
        raw = outcome.reading.raw
        report.warnings.extend(FileFailure(str(path), w) for w in raw.warnings + outcome.reading.problems)
        if outcome.reading.library:
            library.extend(outcome.reading.references)
            continue
        m = meta.get(doc_id, {})
        documents.append(
            Document(id=doc_id, path=str(path), title=_title(doc_id, raw, m), sha256=raw.sha256, text=raw.text,
                     page_starts=raw.page_starts, source=m.get("source"), licence=m.get("licence"),
                     page_labels=raw.page_labels, page_margins=raw.page_margins)
        )
        if raw.blocks is not None:
            structure[doc_id] = raw.blocks
    step("cutting passages", 0.5)
    parsed: list[Reference] = []  # the entries of the documents' own reference lists
    passages = _passages(documents, parsed, settings, structure)
    # Entries parsed from the documents' lists take what they lack from a matching library entry.
    references = library + enrich(parsed, library)
    body = [p for p in passages if p.kind == "body"]
    noise = [p for p in passages if p.kind != "body"]
    step(f"embedding {len(body)} passages (unchanged ones are reused)", 0.6)

    embedding_from = time.perf_counter()

    def embedded(done: int, total: int) -> None:
        # The time left, from the pace so far: a bar on "embedding" for minutes looks stuck.
        left = (time.perf_counter() - embedding_from) / max(done, 1) * (total - done)
        eta = f", about {_duration(left)} left" if done < total else ""
        step(f"embedding passages: {done} of {total} done{eta}", 0.6 + 0.2 * done / max(total, 1))

    chunks = embedded if step is not _no_progress else None
    vectors, keys, sentence_vectors, sentence_rows = _embed(body, settings, index_dir, progress, report, chunks,
                                                            stage, work)
    step("building the glossary", 0.8)
    builder = glossary_builder or build_glossary
    try:
        glossary = builder(body, documents, paths, vectors)
    except InputError as exc:  # a broken glossary.toml: report it, keep the extracted glossary out
        fail(FileFailure("glossary.toml", str(exc)))
        glossary = []
    report.documents, report.passages, report.noise = len(documents), len(body), len(noise)
    # References are embedded too, so "Who wrote …?" and "What is the DOI of …?" find them;
    # so are headings that ask a question, whose text answers a question restating them.
    embedder = get_embedder(settings.build.model)
    headings = question_headings(body)
    step(f"embedding {len(references)} references and {len(headings)} question headings", 0.9)
    encoding = time.perf_counter()  # counted in the summary's embedding time: a long list takes minutes
    ref_vectors = embedder.encode([r.raw for r in references], batch_size=settings.build.batch_size)
    heading_vectors = embedder.encode([h.question for h in headings], batch_size=settings.build.batch_size)
    report.embed_seconds += time.perf_counter() - encoding
    report.references, report.glossary = len(references), len(glossary)
    return BundleData(
        settings=settings, model=settings.build.model, dimension=vectors.shape[1], documents=documents,
        passages=body + noise, embeddings=vectors, embed_keys=keys, sentence_vectors=sentence_vectors,
        sentence_rows=sentence_rows, references=references, glossary=glossary,
        reference_vectors=ref_vectors, headings=headings, heading_vectors=heading_vectors,
    )


def _duration(seconds: float) -> str:
    """"40 s", "3 min", "1 h 5 min": as a progress message says how long is left."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def _passages(
    documents: list[Document], references: list[Reference], settings: Settings,
    structure: dict[str, tuple[Block, ...]] | None = None,
) -> list[Passage]:
    """Cut every document (into the blocks its reader found, else by its lines); the same paragraph
    in a later document becomes a second provenance."""
    per_doc: list[tuple[Document, list[Para]]] = []
    for doc in documents:
        found = (structure or {}).get(doc.id)
        blocks = list(found) if found is not None else text_blocks(doc.text, doc.page_starts)
        refs, consumed = find_references(doc.id, doc.text, blocks)
        references.extend(refs)
        # [n] markers are taken out of the text of a document with a numbered list (the encyclopedia
        # style, IEEE, Vancouver) only: elsewhere "phi[2]" is code, not a footnote.
        numbered = any(r.label[:1].isdigit() for r in refs)
        per_doc.append((doc, paragraphs(doc, blocks, consumed, markers=numbered, cites=AuthorYear(refs))))
    # Documents that carry citations come first, so their version of a shared paragraph
    # (with its markers) is the one kept.
    per_doc.sort(key=lambda dp: (not any(u.refs for p in dp[1] for u in p.units), dp[0].id))
    repeated = repeated_blocks({d.id: [p.key for p in ps] for d, ps in per_doc})
    canonical: dict[str, Para] = {}
    kept_per_doc: list[tuple[Document, list[Para]]] = []
    for doc, paras in per_doc:
        kept: list[Para] = []
        for p in paras:
            if p.key in repeated and not p.noise:
                p.noise = "repeated across documents"
            first = canonical.get(p.key) if not p.noise else None
            if first is not None:
                page = doc.page_at(p.start)
                first.duplicates.append(Provenance(doc.id, doc.title, page, p.start, p.end, doc.page_label(page)))
                continue
            if not p.noise and len(p.key) > 40:
                canonical[p.key] = p
            kept.append(p)
        kept_per_doc.append((doc, kept))
    # Packing waits until every duplicate is known, so each passage's provenances are complete.
    return [q for doc, kept in kept_per_doc for q in pack(doc, kept, settings)]


def _embed(
    body: list[Passage], settings: Settings, index_dir: Path, progress: bool, report: IngestReport,
    on_chunk: Callable[[int, int], None] | None = None, stage: Path | None = None, work: Work | None = None,
) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray]:
    """Passage vectors, their content keys, and the sentence vectors (float16, as stored) with each
    passage's first row.

    The vectors are written into .npy files in `stage` as they are made (in memory without one):
    memory holds one batch of the model's token vectors, never the corpus's vectors, so peak
    memory grows with the batch, not with the corpus (the Python docs peaked at 9.9 GB when a
    call embedded everything). New passages are embedded `embed_chunk` at a time, and `on_chunk`
    (the web app's progress bar) hears of each chunk: a bar that stands still for minutes looks
    broken."""
    embedder = get_embedder(settings.build.model)  # for its dimension: the model loads only to encode
    work = work or LocalWork(settings.build.model)
    texts = [embed_text(p, settings) for p in body]
    keys = [embed_key(settings.build.model, t) for t in texts]
    spans = [sentence_spans_of(p, settings) for p in body]
    rows = np.zeros(len(body) + 1, dtype=np.int64)
    rows[1:] = np.cumsum([len(s) for s in spans])
    vectors = _array(stage, "embeddings.npy", (len(body), embedder.dimension), np.float32)
    sentences = _array(stage, "sentences.npy", (int(rows[-1]), embedder.dimension), np.float16)
    previous = _previous_vectors(index_dir, settings.build.model)
    # A passage is reused only when its sentences were cut the same way (same count).
    todo = [i for i, k in enumerate(keys) if k not in previous or len(previous[k][1]) != len(spans[i])]
    fresh_set = set(todo)
    for i, k in enumerate(keys):
        if i not in fresh_set:
            vectors[i], sentences[rows[i]:rows[i + 1]] = previous[k][0], previous[k][1]
    if todo:
        bound_allocator()
        started = time.perf_counter()
        size = settings.build.embed_chunk
        for at in range(0, len(todo), size):
            part = todo[at:at + size]
            fresh, fresh_sentences = work.encode_passages(
                [texts[i] for i in part], [spans[i] for i in part], batch_size=settings.build.batch_size,
                progress=progress,
            )
            vectors[part] = fresh
            for i, sv in zip(part, fresh_sentences, strict=True):
                sentences[rows[i]:rows[i + 1]] = sv
            release_freed_memory()
            if on_chunk:
                on_chunk(at + len(part), len(todo))
        report.embed_seconds = time.perf_counter() - started
    for array in (vectors, sentences):
        if isinstance(array, np.memmap):
            array.flush()
    report.embedded, report.reused = len(todo), len(body) - len(todo)
    return vectors, keys, sentences, rows


def _array(stage: Path | None, name: str, shape: tuple[int, int], dtype: type[np.generic]) -> np.ndarray:
    """A zeroed array, backed by a .npy file in `stage` when there is one (the page cache holds it,
    not the heap)."""
    if stage is None:
        return np.zeros(shape, dtype=dtype)
    return np.lib.format.open_memmap(stage / name, mode="w+", dtype=dtype, shape=shape)
