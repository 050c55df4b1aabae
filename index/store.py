"""SQLite storage of a bundle: documents, passages, references, glossary and the FTS5 keyword index.

Passages are read lazily by row, so a bundle of millions of passages does not have
to fit in memory; each thread gets its own read-only connection.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import BundleError
from index.models import (
    Document,
    GlossaryEntry,
    Passage,
    Provenance,
    QuestionHeading,
    Reference,
    Sentence,
)
from index.settings import Settings
from index.words import STOPWORDS  # the keyword index's stop words (bm25 and tests read them here)

SCHEMA = """
CREATE TABLE documents (id TEXT PRIMARY KEY, path TEXT, title TEXT, sha256 TEXT, text TEXT,
                        page_starts TEXT, source TEXT, licence TEXT, page_labels TEXT, page_margins TEXT);
CREATE TABLE passages (row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, document TEXT, title TEXT,
                       page INTEGER, start INTEGER, "end" INTEGER, text TEXT, sentences TEXT, kind TEXT,
                       section TEXT, also TEXT, embed_key TEXT, note TEXT, page_label TEXT, section_path TEXT);
CREATE INDEX passages_by_document ON passages(document, start);
CREATE TABLE refs (id TEXT PRIMARY KEY, document TEXT, label TEXT, data TEXT, vector BLOB);
CREATE TABLE glossary (term TEXT PRIMARY KEY, data TEXT);
CREATE TABLE headings (row INTEGER PRIMARY KEY, document TEXT, path TEXT, question TEXT, vector BLOB);
CREATE VIRTUAL TABLE passages_fts USING fts5(text, section, content='passages', content_rowid='row',
                                             tokenize='porter unicode61');
"""


def passage_row(row: int, p: Passage, embed_key: str) -> tuple[Any, ...]:
    """A passage as a row of the passages table, in the column order of SCHEMA."""
    return (
        row, p.id, p.document, p.title, p.page, p.start, p.end, p.text,
        json.dumps([s.to_row() for s in p.sentences], ensure_ascii=False),
        p.kind, p.section, json.dumps([asdict(a) for a in p.also]), embed_key, p.note,
        p.page_label, json.dumps(list(p.section_path), ensure_ascii=False),
    )


def passage_from_row(r: sqlite3.Row) -> Passage:
    """A passage read back from its row, by column name."""
    return Passage(
        id=r["id"], at=Provenance(r["document"], r["title"], r["page"], r["start"], r["end"], r["page_label"]),
        text=r["text"], sentences=tuple(Sentence.from_row(s) for s in json.loads(r["sentences"])),
        kind=r["kind"], section=r["section"] or "",
        also=tuple(Provenance(**a) for a in json.loads(r["also"])),
        note=r["note"] or "", section_path=tuple(json.loads(r["section_path"] or "[]")),
    )


@dataclass
class BundleData:
    """Everything an ingestion writes into one generation."""

    settings: Settings
    model: str
    dimension: int
    documents: list[Document]
    passages: list[Passage]  # body passages first (rows 0..n-1 of the vectors), then the rest
    embeddings: np.ndarray
    embed_keys: list[str]
    # Every body passage's sentence vectors, stacked; sentence_rows[r]:sentence_rows[r+1] are row r's.
    sentence_vectors: np.ndarray | None = None
    sentence_rows: np.ndarray | None = None
    references: list[Reference] = field(default_factory=list)
    reference_vectors: np.ndarray | None = None  # row i embeds references[i].raw
    headings: list[QuestionHeading] = field(default_factory=list)
    heading_vectors: np.ndarray | None = None  # row i embeds headings[i].question
    glossary: list[GlossaryEntry] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)  # path -> sha256 of every input file
    extra: dict[str, Any] = field(default_factory=dict)


def write(path: Path, data: BundleData) -> None:
    """Write every table of a new generation in one transaction."""
    con = sqlite3.connect(path)
    try:
        con.executescript(SCHEMA)
        con.executemany(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?)",
            [(d.id, d.path, d.title, d.sha256, d.text, json.dumps(list(d.page_starts)), d.source, d.licence,
              json.dumps(list(d.page_labels), ensure_ascii=False),
              json.dumps([list(m) for m in d.page_margins], ensure_ascii=False)) for d in data.documents],
        )
        keys = list(data.embed_keys) + [""] * (len(data.passages) - len(data.embed_keys))
        con.executemany(
            "INSERT INTO passages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [passage_row(i, p, keys[i]) for i, p in enumerate(data.passages)],
        )
        con.execute(
            "INSERT INTO passages_fts(rowid, text, section) SELECT row, text, section FROM passages WHERE kind='body'"
        )
        ref_vectors = data.reference_vectors
        con.executemany(
            "INSERT INTO refs VALUES (?,?,?,?,?)",
            [(r.id, r.document, r.label, json.dumps(r.to_dict(), ensure_ascii=False),
              ref_vectors[i].astype("<f4").tobytes() if ref_vectors is not None else None)
             for i, r in enumerate(data.references)],
        )
        vectors = data.heading_vectors
        con.executemany(
            "INSERT INTO headings VALUES (?,?,?,?,?)",
            [(i, h.document, json.dumps(list(h.path), ensure_ascii=False), h.question,
              vectors[i].astype("<f4").tobytes() if vectors is not None else None)
             for i, h in enumerate(data.headings)],
        )
        con.executemany(
            "INSERT INTO glossary VALUES (?,?)",
            [(g.term, json.dumps(g.to_dict(), ensure_ascii=False)) for g in data.glossary],
        )
        con.commit()
    finally:
        con.close()


class Store:
    """Read-only access to a generation's SQLite file, one connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        # The file as it was when its checksum was verified (bundle.verified, just before): a passage is
        # read only while the file is still that one, so an edit made while the app runs is never quoted.
        self._signature = self._stat()

    def _stat(self) -> tuple[int, int, int]:
        st = os.stat(self.path)
        return st.st_ino, st.st_size, st.st_mtime_ns

    def _checked(self) -> None:
        if self._stat() != self._signature:
            index = self.path.parent.parent
            raise BundleError(f"{index}: {self.path.parent.name}/store.sqlite changed after it was verified; "
                              f"rebuild it with `sourcebook ingest --index {index}`")

    def _con(self) -> sqlite3.Connection:
        """This thread's connection, once the file is checked to be the one verified (a stat, ~2 µs)."""
        self._checked()
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            con.row_factory = sqlite3.Row  # rows are read by column name (and still by position)
            self._local.con = con
        return con

    def passages_by_rows(self, rows: Iterable[int]) -> dict[int, Passage]:
        rows = list(rows)
        if not rows:
            return {}
        marks = ",".join("?" * len(rows))
        cur = self._con().execute(f"SELECT * FROM passages WHERE row IN ({marks})", rows)
        return {r[0]: passage_from_row(r) for r in cur}

    def passage(self, passage_id: str) -> Passage | None:
        r = self._con().execute("SELECT * FROM passages WHERE id=?", (passage_id,)).fetchone()
        return passage_from_row(r) if r else None

    def passages_of(self, document: str) -> list[Passage]:
        cur = self._con().execute("SELECT * FROM passages WHERE document=? ORDER BY start", (document,))
        return [passage_from_row(r) for r in cur]

    def next_passage(self, passage: Passage) -> Passage | None:
        """The passage that follows one in its document (the code a lead-in introduces, say)."""
        r = self._con().execute(
            "SELECT * FROM passages WHERE document=? AND start>=? AND id!=? ORDER BY start LIMIT 1",
            (passage.document, passage.end, passage.id),
        ).fetchone()
        return passage_from_row(r) if r else None

    def section_passages(self, document: str, path: Sequence[str]) -> list[tuple[int, Passage]]:
        """(row, passage) of the body passages under one section of a document, in reading order."""
        cur = self._con().execute(
            "SELECT * FROM passages WHERE document=? AND kind='body' AND section=? ORDER BY start",
            (document, path[-1] if path else ""),
        )
        rows = [(r["row"], passage_from_row(r)) for r in cur]
        return [(row, p) for row, p in rows if not p.section_path or p.section_path == tuple(path)]

    def all_passages(self, kind: str | None = "body") -> Iterable[Passage]:
        sql = "SELECT * FROM passages" + (" WHERE kind=?" if kind else "") + " ORDER BY row"
        for r in self._con().execute(sql, (kind,) if kind else ()):
            yield passage_from_row(r)

    def embed_keys(self) -> list[str]:
        return [r[0] for r in self._con().execute("SELECT embed_key FROM passages WHERE kind='body' ORDER BY row")]

    def documents(self) -> list[Document]:
        return [_document(r) for r in self._con().execute("SELECT * FROM documents")]

    def document(self, document_id: str) -> Document | None:
        """One document, by its id (None when the index has no such document)."""
        r = self._con().execute("SELECT * FROM documents WHERE id=?", (document_id,)).fetchone()
        return _document(r) if r else None

    def references(self) -> list[Reference]:
        cur = self._con().execute("SELECT data FROM refs ORDER BY document, rowid")
        return [Reference.from_dict(json.loads(r[0])) for r in cur]

    def reference_vectors(self, dimension: int) -> np.ndarray:
        """Unit vectors of the references' raw text, in the order of references()."""
        rows = self._con().execute("SELECT vector FROM refs ORDER BY document, rowid").fetchall()
        if not rows or any(r[0] is None for r in rows):
            return np.zeros((0, dimension), dtype=np.float32)
        return np.stack([np.frombuffer(r[0], dtype="<f4") for r in rows]).astype(np.float32)

    def headings(self, dimension: int) -> tuple[list[QuestionHeading], np.ndarray]:
        """The corpus's question headings and their unit vectors, in row order."""
        rows = self._con().execute("SELECT document, path, question, vector FROM headings ORDER BY row").fetchall()
        if not rows or any(r[3] is None for r in rows):
            return [], np.zeros((0, dimension), dtype=np.float32)
        found = [QuestionHeading(r[0], tuple(json.loads(r[1])), r[2]) for r in rows]
        return found, np.stack([np.frombuffer(r[3], dtype="<f4") for r in rows]).astype(np.float32)

    def glossary(self) -> list[GlossaryEntry]:
        return [GlossaryEntry.from_dict(json.loads(r[0])) for r in self._con().execute("SELECT data FROM glossary")]

    def keyword_search(self, query: str, limit: int, section_weight: float = 0.5) -> list[tuple[int, float]]:
        """FTS5's own BM25 over body passages: (row, score) best first, score = -bm25(). Searches use
        the postings of index/bm25.py, ~4x faster; this is the reference they are tested against."""
        match = fts_query(query)
        if not match:
            return []
        cur = self._con().execute(
            "SELECT rowid, bm25(passages_fts, 1.0, ?) AS s FROM passages_fts WHERE passages_fts MATCH ? "
            "ORDER BY s LIMIT ?",
            (section_weight, match, limit),
        )
        return [(r[0], -float(r[1])) for r in cur]


def _document(r: sqlite3.Row) -> Document:
    return Document(id=r["id"], path=r["path"], title=r["title"], sha256=r["sha256"], text=r["text"],
                    page_starts=tuple(json.loads(r["page_starts"])), source=r["source"], licence=r["licence"],
                    page_labels=tuple(json.loads(r["page_labels"] or "[]")),
                    page_margins=tuple(tuple(m) for m in json.loads(r["page_margins"] or "[]")))


def fts_query(text: str) -> str:
    """An FTS5 query OR-ing the question's words, each quoted so no user text is FTS syntax."""
    from index.bm25 import question_words

    return " OR ".join(f'"{w}"' for w in question_words(text, STOPWORDS))
