"""BM25 keyword ranking on postings arrays: SQLite FTS5's tokens and formula at numpy speed.

FTS5 evaluates bm25() for every row holding any word of the question and sorts them all:
~10 ms a question on 35k passages, a fifth of an answer, growing with the corpus. The same
ranking is built here once per ingestion from the FTS5 index itself (its porter-stemmed
tokens, its document lengths), as per-term postings whose BM25 term weights are computed
in advance; a question then costs one bincount over the postings of its few terms.

Scores equal FTS5's `bm25(passages_fts, 1.0, section_weight)`:
    sum over the question's words of idf(t) * f (k1 + 1) / (f + k1 (1 - b + b D / avgdl))
with f the word's weighted count in the row, D the row's length in tokens, idf =
ln((N - n + 0.5) / (n + 0.5)) floored at 1e-6; tests/test_bm25.py holds the two together.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

K1, B = 1.2, 0.75  # FTS5's constants
FILES = ("bm25.json", "bm25_ptr.npy", "bm25_rows.npy", "bm25_weights.npy")
TOKENIZER = "porter unicode61"  # the tokenizer of store.passages_fts
_WORD = re.compile(r"[^\W_]+")  # FTS5 splits on "_" too: one question word is one FTS5 token


def question_words(text: str, stopwords: frozenset[str]) -> list[str]:
    """The words of a question that are looked up, in order, each once."""
    return list(dict.fromkeys(w for w in _WORD.findall(text.lower()) if len(w) > 1 and w not in stopwords))


@dataclass(frozen=True)
class Postings:
    """Term -> rows holding it and each row's BM25 term weight, rows numbered as FAISS's."""

    terms: dict[str, int]
    ptr: np.ndarray  # int64, len(terms) + 1: term i's postings are [ptr[i], ptr[i + 1])
    rows: np.ndarray  # int32
    weights: np.ndarray  # float32
    n_rows: int  # rows are numbered 0 .. n_rows - 1
    n_indexed: int  # rows that are in the keyword index (N of the idf)

    def share(self, token: str) -> float:
        """The share of indexed rows that hold a token (its section included): 0.0 when none does."""
        i = self.terms.get(token)
        if i is None or not self.n_indexed:
            return 0.0
        return float(self.ptr[i + 1] - self.ptr[i]) / self.n_indexed

    def search(self, tokens: list[str], limit: int) -> list[tuple[int, float]]:
        """(row, score) best first, for the rows holding any token; a token counts once per occurrence."""
        ids = [self.terms[t] for t in tokens if t in self.terms]
        if not ids or limit <= 0:
            return []
        # Scores are summed term by term into one array over all rows (a row holds a term once, so
        # fancy-index addition is exact), and only the best are sorted: at 1M passages a question's
        # terms hold ~300k postings, and sorting them all (np.unique) took most of 250 ms.
        scores = np.zeros(self.n_rows, dtype=np.float64)
        held = np.zeros(self.n_rows, dtype=bool)
        for i in ids:
            a, b = int(self.ptr[i]), int(self.ptr[i + 1])
            n = b - a
            idf = max(math.log((self.n_indexed - n + 0.5) / (n + 0.5)), 1e-6)
            rows = self.rows[a:b]
            scores[rows] += self.weights[a:b].astype(np.float64) * idf
            held[rows] = True
        found = np.flatnonzero(held)
        found_scores = scores[found]
        if len(found) > limit:  # keep the rows scoring at least the limit-th best, ties included
            kth = np.partition(found_scores, len(found) - limit)[len(found) - limit]
            found, found_scores = found[found_scores >= kth], found_scores[found_scores >= kth]
        top = np.lexsort((found, -found_scores))[:limit]  # ties: lower row first, as FTS5's scan
        return [(int(found[j]), float(found_scores[j])) for j in top]


def build(con: sqlite3.Connection, section_weight: float) -> Postings:
    """Postings of the FTS5 table `passages_fts` in `con`, read through fts5vocab."""
    con.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.bm25_instances "
                "USING fts5vocab(main, passages_fts, 'instance')")
    # Counted in FTS5's own docsize table: on an external-content table, COUNT(*) and MAX(rowid)
    # read the content table, noise passages included, which FTS5's N does not count.
    n_rows, n_docs = (int(x) for x in con.execute(
        "SELECT COALESCE(MAX(id) + 1, 0), COUNT(*) FROM passages_fts_docsize").fetchone())
    terms: dict[str, int] = {}
    term_parts: list[np.ndarray] = []
    row_parts: list[np.ndarray] = []
    freq_parts: list[np.ndarray] = []
    count_parts: list[np.ndarray] = []
    cur = con.execute(
        "SELECT term, doc, SUM(CASE col WHEN 'text' THEN 1.0 ELSE ? END), COUNT(*) "
        "FROM temp.bm25_instances GROUP BY term, doc ORDER BY term, doc", (section_weight,))
    # Read in chunks into arrays: at 1M passages there are ~40M (term, row) pairs, which as Python
    # lists took ~3 GB (bench/million.py); as arrays, under 1 GB.
    while chunk := cur.fetchmany(1 << 16):
        chunk_terms, docs, chunk_freqs, counts = zip(*chunk, strict=True)
        term_parts.append(np.fromiter((terms.setdefault(t, len(terms)) for t in chunk_terms), np.int32, len(chunk)))
        row_parts.append(np.fromiter(docs, np.int32, len(chunk)))
        freq_parts.append(np.fromiter(chunk_freqs, np.float64, len(chunk)))
        count_parts.append(np.fromiter(counts, np.int32, len(chunk)))

    def joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    row_arr, f = joined(row_parts, np.int32), joined(freq_parts, np.float64)
    # A row's length in tokens, both columns counted once each (FTS5's document length).
    lengths = np.bincount(row_arr, weights=joined(count_parts, np.int32), minlength=n_rows).astype(np.float64)
    # Rows come term by term, in the order terms were numbered: term i's postings end where its count does.
    ptr = np.concatenate([[0], np.cumsum(np.bincount(joined(term_parts, np.int32), minlength=len(terms)))])
    avgdl = lengths.sum() / n_docs if n_docs else 1.0
    norm = K1 * (1 - B + B * lengths[row_arr] / avgdl) if len(row_arr) else np.zeros(0)
    weights = (f * (K1 + 1) / (f + norm)).astype(np.float32)
    return Postings(terms, np.asarray(ptr, dtype=np.int64), row_arr, weights, n_rows, n_docs)


def write(gen: Path, postings: Postings) -> None:
    terms = sorted(postings.terms, key=postings.terms.__getitem__)
    meta = {"n_rows": postings.n_rows, "n_indexed": postings.n_indexed, "terms": terms}
    (gen / "bm25.json").write_text(json.dumps(meta, ensure_ascii=False))
    for name, arr in (("bm25_ptr.npy", postings.ptr), ("bm25_rows.npy", postings.rows),
                      ("bm25_weights.npy", postings.weights)):
        with open(gen / name, "wb") as fh:
            np.save(fh, arr, allow_pickle=False)


def load(gen: Path) -> Postings:
    """A generation's postings, arrays memory-mapped."""
    meta = json.loads((gen / "bm25.json").read_text())

    def arr(name: str) -> np.ndarray:
        return np.load(gen / name, allow_pickle=False, mmap_mode="r")

    postings = Postings({t: i for i, t in enumerate(meta["terms"])}, arr("bm25_ptr.npy"), arr("bm25_rows.npy"),
                        arr("bm25_weights.npy"), int(meta["n_rows"]), int(meta["n_indexed"]))
    if len(postings.ptr) != len(postings.terms) + 1 or len(postings.rows) != len(postings.weights):
        raise ValueError("BM25 postings do not match their terms")
    return postings


class Tokenizer:
    """Question words as FTS5 tokens (porter stems, diacritics folded), by FTS5 itself.

    One in-memory FTS5 table per thread: the only way to be sure a word is stemmed exactly
    as the passages were (~0.1 ms a question)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(":memory:", check_same_thread=False)
            con.execute(f"CREATE VIRTUAL TABLE q USING fts5(x, tokenize='{TOKENIZER}')")
            con.execute("CREATE VIRTUAL TABLE qv USING fts5vocab(q, 'instance')")
            self._local.con = con
        return con

    def tokens(self, words: list[str]) -> list[str]:
        """Each word's tokens, in word order."""
        if not words:
            return []
        con = self._con()
        with con:
            con.executemany("INSERT INTO q(rowid, x) VALUES (?, ?)", list(enumerate(words)))
            found = con.execute("SELECT term FROM qv ORDER BY doc, offset").fetchall()
            con.execute("DELETE FROM q")
        return [t for (t,) in found]
