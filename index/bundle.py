"""The index bundle: FAISS index, passages, references and glossary, written atomically.

Layout of an index folder:

    INDEX/CURRENT              name of the live generation (replaced atomically)
    INDEX/.lock                held while an ingestion writes
    INDEX/gen-<id>/manifest.json   format, model, dimension, settings, input hashes, counts, the FAISS
                                   index type and its measured recall, seconds per write stage
    INDEX/gen-<id>/store.sqlite    documents, passages, references, glossary, FTS5 keyword index
    INDEX/gen-<id>/embeddings.npy  float32 passage vectors (row = passage row), reused on re-ingest
    INDEX/gen-<id>/faiss.index     the FAISS index over the same rows (exact, or IVF above flat_index_limit)
    INDEX/gen-<id>/sentences.npy   float16 sentence vectors, passage by passage, in context
    INDEX/gen-<id>/sentence_rows.npy  int64: passage row r's sentences are rows [r] .. [r+1]-1
    INDEX/gen-<id>/bm25.json, bm25_*.npy  keyword postings read off the FTS5 index (index/bm25.py)

A new generation is written beside the live one, flushed to disk, and only then is
CURRENT switched with os.replace, so a crash at any moment leaves the previous index
whole and loadable. Only open formats: JSON, SQLite, .npy (loaded with pickle off)
and FAISS's own binary format.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from index import bm25, store
from index.errors import BundleError
from index.locks import file_lock, in_use
from index.settings import Environment, Settings
from index.store import BundleData

FORMAT_VERSION = 5
VECTOR_FILES = ("manifest.json", "store.sqlite", "embeddings.npy", "sentences.npy", "sentence_rows.npy")
FILES = (*VECTOR_FILES, "faiss.index", *bm25.FILES)
# Formats whose vectors an ingestion may reuse: 4 added the BM25 postings and 5 page labels and
# section paths; neither changed a vector.
REUSABLE_FORMATS = (3, 4, FORMAT_VERSION)


class LockedError(BundleError):
    """Another ingestion holds the index lock."""


def current_generation(index_dir: Path) -> Path | None:
    """The live generation folder, or None when the index has never been built."""
    pointer = index_dir / "CURRENT"
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        return None
    if not name or "/" in name or name.startswith("."):
        raise BundleError(f"{pointer}: unreadable pointer; rebuild with `sourcebook ingest --index {index_dir}`")
    return index_dir / name


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    gen = current_generation(index_dir)
    if gen is None:
        return None
    try:
        data: dict[str, Any] = json.loads((gen / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BundleError(
            f"{gen / 'manifest.json'}: missing or damaged ({exc}); "
            f"rebuild with `sourcebook ingest --index {index_dir}`"
        ) from exc
    return data


@contextlib.contextmanager
def lock(index_dir: Path, wait: bool = False) -> Iterator[None]:
    """Hold the index's write lock; fail at once (or wait) when another ingestion has it."""
    index_dir.mkdir(parents=True, exist_ok=True)
    busy = LockedError(f"{index_dir}: another ingestion is writing this index; try again when it ends")
    with file_lock(index_dir / ".lock", wait=wait, busy=busy):
        yield


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


# Above flat_index_limit: IVF-Flat, chosen on bench/million.py's vectors (1M, 2 busy cores). HNSW (M 32)
# took 82 s to add 100k vectors, so 15 min or more for 1M, and holds its graph in memory; IVF with 4·√n
# lists trains in ~100 s on 100k vectors and adds 1M in ~65 s, and searching 128 of its 4,000 lists
# takes ~4 ms at recall@10 0.98. At the same number of vectors scanned, more and smaller lists did
# better (recall 0.967 at 4·√n lists against 0.961 at 2·√n and 0.939 at √n).
IVF_LISTS_PER_ROOT = 4
# k-means on this many sample vectors a list, at least (FAISS warns below 39; 25 measured as good).
IVF_TRAIN_PER_LIST = 25
IVF_TRAIN_ITERATIONS = 10
RECALL_K = 10


def ivf_lists(n: int, sample: int) -> int:
    """The number of IVF lists for n vectors trained on `sample` of them: 4·√n, at most sample / 25."""
    return max(1, min(round(IVF_LISTS_PER_ROOT * n**0.5), sample // IVF_TRAIN_PER_LIST))


def build_faiss(embeddings: np.ndarray, settings: Settings) -> Any:
    """Exact inner-product search up to flat_index_limit vectors; IVF-Flat trained on a sample beyond."""
    import faiss

    n, dim = (int(x) for x in embeddings.shape)
    index: Any
    if n <= settings.build.flat_index_limit:
        index = faiss.IndexFlatIP(dim)
    else:
        sample = min(n, settings.build.ann_train_sample)
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, ivf_lists(n, sample), faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = IVF_TRAIN_ITERATIONS
        index.cp.min_points_per_centroid = IVF_TRAIN_PER_LIST
        rows = np.sort(np.random.default_rng(0).choice(n, sample, replace=False))
        index.train(np.ascontiguousarray(embeddings[rows], dtype=np.float32))
    set_search_knobs(index, settings)  # its recall is measured (faiss_info) as it will be searched
    if n:
        index.add(embeddings)
    return index


def set_search_knobs(index: Any, settings: Settings) -> None:
    """Apply the query settings' search-time knobs to a loaded index (nprobe on an IVF index)."""
    import faiss

    if isinstance(index, faiss.IndexIVF):
        index.nprobe = settings.query.nprobe


def recall_at_k(index: Any, vectors: np.ndarray, queries: np.ndarray, k: int = RECALL_K,
                own_rows: np.ndarray | None = None) -> float:
    """The share of the exact top k (inner product over `vectors`) that `index` returns, per query, averaged.

    A returned row scoring at least the exact k-th score counts as found, so ties among equal vectors
    do not count as misses. Queries that are stored vectors give their rows in `own_rows`: each
    query's own row is left out of both lists, since finding a vector itself is no test."""
    import faiss

    queries = np.ascontiguousarray(queries, dtype=np.float32)
    extra = 0 if own_rows is None else 1
    depth = min(k + extra, int(vectors.shape[0]))
    exact_scores, exact_rows = faiss.knn(queries, vectors, depth, metric=faiss.METRIC_INNER_PRODUCT)
    _, found_rows = index.search(queries, depth)
    shares = []
    for i, q in enumerate(queries):
        own = -1 if own_rows is None else int(own_rows[i])
        exact = [s for r, s in zip(exact_rows[i], exact_scores[i], strict=True) if r != own][:k]
        found = [int(r) for r in found_rows[i] if r >= 0 and r != own][:k]
        if not exact:
            continue
        scores = np.asarray(vectors[np.asarray(found, dtype=np.int64)], dtype=np.float32) @ q
        shares.append(float(np.sum(scores >= exact[-1] - 1e-5)) / len(exact))
    return float(np.mean(shares)) if shares else 1.0


def faiss_info(index: Any, embeddings: np.ndarray, settings: Settings) -> dict[str, Any]:
    """What the manifest says of the FAISS index: its type, and its recall@10 against exact search,
    measured on recall_queries stored vectors (their own rows left out) when it is approximate."""
    import faiss

    if not isinstance(index, faiss.IndexIVF):
        return {"type": "flat", "recall_at_10": 1.0, "sampled_queries": 0}
    n = int(embeddings.shape[0])
    rows = np.sort(np.random.default_rng(1).choice(n, min(n, settings.build.recall_queries), replace=False))
    return {
        "type": "ivf-flat", "nlist": int(index.nlist), "nprobe": int(index.nprobe),
        "train_sample": min(n, settings.build.ann_train_sample),
        "recall_at_10": round(recall_at_k(index, embeddings, embeddings[rows], own_rows=rows), 4),
        "sampled_queries": len(rows),
    }


def describe_faiss(manifest: dict[str, Any]) -> str:
    """One line on a bundle's FAISS index and its measured recall, for `sourcebook info`."""
    info = manifest.get("faiss")
    if not isinstance(info, dict):
        # Written before the type was recorded: exact up to the limit then, HNSW (untrained) above it.
        limit = Settings.from_json(manifest.get("settings", {})).build.flat_index_limit
        exact = manifest.get("counts", {}).get("passages", 0) <= limit
        return "flat (exact search)" if exact else "HNSW, recall not measured (built before recall was recorded)"
    if info.get("type") == "flat":
        return "flat (exact search), recall@10 1.0"
    return (f"{info.get('type')} ({info.get('nlist')} lists, {info.get('nprobe')} searched), recall@10 "
            f"{info.get('recall_at_10')} of exact search on {info.get('sampled_queries')} sampled passages")


@contextlib.contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Add the seconds the block takes to timings[stage] (the manifest's write_seconds)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = round(timings.get(stage, 0.0) + time.perf_counter() - start, 2)


def write(index_dir: Path, data: BundleData) -> Path:
    """Write a new generation and switch CURRENT to it atomically. Caller holds `lock`."""
    import faiss

    index_dir.mkdir(parents=True, exist_ok=True)
    gen_name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    tmp = index_dir / f".tmp-{gen_name}"
    tmp.mkdir()
    switched = False
    try:
        n_body = sum(1 for p in data.passages if p.kind == "body")
        if data.embeddings.shape[0] != n_body:
            raise ValueError("one embedding per body passage is required")
        timings: dict[str, float] = {}
        with _timed(timings, "store"):
            store.write(tmp / "store.sqlite", data)
        with _timed(timings, "bm25"), contextlib.closing(sqlite3.connect(tmp / "store.sqlite")) as con:
            bm25.write(tmp, bm25.build(con, data.settings.build.section_weight))
        # asarray, not astype: no copy of vectors already in their stored type (1.5 GB at 1M passages).
        embeddings = np.asarray(data.embeddings, dtype=np.float32)
        with _timed(timings, "vectors"), open(tmp / "embeddings.npy", "wb") as fh:
            np.save(fh, embeddings, allow_pickle=False)
        with _timed(timings, "faiss"):
            index = build_faiss(embeddings, data.settings)
            faiss.write_index(index, str(tmp / "faiss.index"))
        with _timed(timings, "recall"):
            index_info = faiss_info(index, embeddings, data.settings)
        del index
        sentence_vectors, sentence_rows = _sentences_of(data, n_body)
        # float16: sentence vectors only rank a few dozen sentences; half the memory and disk.
        with _timed(timings, "vectors"):
            with open(tmp / "sentences.npy", "wb") as fh:
                np.save(fh, np.asarray(sentence_vectors, dtype=np.float16), allow_pickle=False)
            with open(tmp / "sentence_rows.npy", "wb") as fh:
                np.save(fh, np.asarray(sentence_rows, dtype=np.int64), allow_pickle=False)
        with _timed(timings, "checksums"):
            # Each file's SHA-256: a flipped byte or an edited passage is refused on load, never served.
            checksums = {name: file_sha256(tmp / name) for name in FILES if name != "manifest.json"}
        manifest = {
            "format_version": FORMAT_VERSION,
            "checksums": checksums,
            "model": data.model,
            "dimension": data.dimension,
            "settings": data.settings.to_json(),
            "inputs": data.inputs,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "counts": {
                "documents": len(data.documents),
                "passages": n_body,
                "noise_passages": len(data.passages) - n_body,
                "references": len(data.references),
                "glossary": len(data.glossary),
            },
            "faiss": index_info,
            "write_seconds": timings,
            **data.extra,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        for name in FILES:
            _fsync_file(tmp / name)
        _fsync_dir(tmp)
        final = index_dir / gen_name
        os.rename(tmp, final)
        pointer_tmp = index_dir / f".CURRENT-{uuid.uuid4().hex[:8]}"
        pointer_tmp.write_text(gen_name + "\n")
        _fsync_file(pointer_tmp)
        old = current_generation(index_dir) if (index_dir / "CURRENT").exists() else None
        os.replace(pointer_tmp, index_dir / "CURRENT")
        switched = True
        _fsync_dir(index_dir)
    except (OSError, sqlite3.Error) as exc:
        # A full disk, a read-only folder: one line. Before CURRENT moves, the index stays as it was.
        shutil.rmtree(tmp, ignore_errors=True)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        state = "the new index is in place" if switched else "the existing index is unchanged"
        raise BundleError(f"{index_dir}: could not write the index ({reason}); {state}") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _collect(index_dir, keep={gen_name, old.name if old else ""})
    return final


def sentences_fit(rows: np.ndarray, n_passages: int, vectors: np.ndarray) -> bool:
    """Do sentence rows index exactly these sentence vectors, one run per passage row?"""
    return rows.shape[0] == n_passages + 1 and int(rows[-1]) == vectors.shape[0]


def _sentences_of(data: BundleData, n_body: int) -> tuple[np.ndarray, np.ndarray]:
    if data.sentence_vectors is None or data.sentence_rows is None:
        return np.zeros((0, data.dimension), dtype=np.float32), np.zeros(n_body + 1, dtype=np.int64)
    if not sentences_fit(data.sentence_rows, n_body, data.sentence_vectors):
        raise ValueError("sentence rows do not match the body passages and sentence vectors")
    return data.sentence_vectors, data.sentence_rows


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks (index files, input files, a PDF before it is shown)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _collect(index_dir: Path, keep: set[str]) -> None:
    """Remove generations and temporaries left by earlier runs (the previous live one is kept, and so
    is any an Engine still serves)."""
    for child in index_dir.iterdir():
        if child.name in keep or child.name in ("CURRENT", ".lock"):
            continue
        if child.name.startswith("gen-") and in_use(child / "manifest.json"):
            continue  # an Engine still serves it (index/locks.py Lease): a later ingestion collects it
        if child.name.startswith(("gen-", ".tmp-gen-")):
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith(".CURRENT-"):
            child.unlink(missing_ok=True)


def check_generation(index_dir: Path, model: str | None = None, for_reuse: bool = False
                     ) -> tuple[Path, dict[str, Any]]:
    """The live generation and its manifest, refusing anything this version cannot serve
    (for_reuse: anything whose vectors a new ingestion cannot reuse)."""
    rebuild = f"rebuild it with `sourcebook ingest --index {index_dir}`"
    gen = current_generation(index_dir)
    if gen is None:
        raise BundleError(f"{index_dir}: no index here yet; build one with `sourcebook ingest --index {index_dir}`")
    manifest = read_manifest(index_dir)
    assert manifest is not None
    version = manifest.get("format_version")
    if version not in (REUSABLE_FORMATS if for_reuse else (FORMAT_VERSION,)):
        raise BundleError(
            f"{index_dir}: index format {version}, this Sourcebook reads format {FORMAT_VERSION}; {rebuild}"
        )
    if model is not None and manifest.get("model") != model:
        raise BundleError(
            f"{index_dir}: built with model {manifest.get('model')!r}, configured model is {model!r}; {rebuild}"
        )
    checksums = manifest.get("checksums") or {}  # indexes written before checksums have none
    known = _verified(gen)
    passed: dict[str, list[int]] = {}
    for name in VECTOR_FILES if for_reuse else FILES:
        f = gen / name
        if not f.exists() or (name != "manifest.json" and f.stat().st_size == 0):
            raise BundleError(f"{index_dir}: {name} is missing or empty; {rebuild}")
        passed[name] = signature(f)
        if known.get(name) == passed[name]:
            continue  # read in full and found whole before, and not written to since
        if name in checksums and file_sha256(f) != checksums[name]:
            raise BundleError(f"{index_dir}: {name} is damaged (it differs from the file written); {rebuild}")
        if name == "store.sqlite":
            _quick_check(f, index_dir, rebuild)
    if any(known.get(name) != sig for name, sig in passed.items()):
        _note_verified(gen, {**known, **passed})
    return gen, manifest


def _quick_check(path: Path, index_dir: Path, rebuild: str) -> None:
    """SQLite's own consistency check of a store file; BundleError when it fails."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = con.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise BundleError(f"{index_dir}: store.sqlite is damaged ({exc}); {rebuild}") from exc
    if ok != "ok":
        raise BundleError(f"{index_dir}: store.sqlite is damaged ({ok}); {rebuild}")


def signature(path: Path) -> list[int]:
    """What tells a file's content apart without reading it: device, inode, size, and the times of its
    last write and last change. Any write through the filesystem moves the change time, which no
    call can set back (unlike the modification time)."""
    st = path.stat()
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _verified_note(gen: Path) -> Path:
    """Where the files of a generation found whole are noted: in the user's cache, never in the
    generation, which stays as written (and may be read-only)."""
    key = hashlib.sha256(str(gen.resolve()).encode()).hexdigest()[:24]
    return Environment.read().cache_dir / "verified" / f"{key}.json"


def _verified(gen: Path) -> dict[str, list[int]]:
    """The files of `gen` checked in full before, each with its signature then ({} when none were)."""
    try:
        note = json.loads(_verified_note(gen).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(note, dict) or note.get("generation") != str(gen.resolve()):
        return {}
    files = note.get("files")
    return files if isinstance(files, dict) else {}


def _note_verified(gen: Path, files: dict[str, list[int]]) -> None:
    """Note the files checked in full, so that the next load skips reading them (SHA-256 of every
    file took 13 s at a million passages) while they keep their signatures. Best effort: when the
    cache cannot be written, the next load checks in full again."""
    path = _verified_note(gen)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"generation": str(gen.resolve()), "files": files}))
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def load_embeddings(gen: Path, mmap: bool = True) -> np.ndarray:
    """The passage vectors; never unpickles."""
    return np.load(gen / "embeddings.npy", allow_pickle=False, mmap_mode="r" if mmap else None)


def load_sentence_vectors(gen: Path) -> tuple[np.ndarray, np.ndarray]:
    """The in-context sentence vectors (memory-mapped) and each passage row's first sentence row."""
    vectors = np.load(gen / "sentences.npy", allow_pickle=False, mmap_mode="r")
    rows = np.load(gen / "sentence_rows.npy", allow_pickle=False, mmap_mode="r")
    return vectors, rows


def load_faiss(gen: Path, settings: Settings) -> Any:
    """The FAISS index, memory-mapped (its vectors are paged in as lists are searched, and shared
    between processes), with the query settings' search knobs applied."""
    import faiss

    index = faiss.read_index(str(gen / "faiss.index"), faiss.IO_FLAG_MMAP_IFC)
    set_search_knobs(index, settings)
    return index
