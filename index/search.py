"""Hybrid passage retrieval: dense FAISS ranking, BM25 keyword ranking (index/bm25.py), fused on exact cosines.

Every candidate from either ranker is re-scored with its true cosine to the query
(vectors are at hand), and the keyword ranker adds a bounded bonus. Fusing on a real
similarity rather than on ranks keeps a weak keyword list from pushing good dense
hits down, which a plain reciprocal rank fusion does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from index.bm25 import Postings, Tokenizer, question_words
from index.models import SearchHit
from index.settings import Settings
from index.store import Store
from index.words import STOPWORDS


class Retriever:
    """Search over one bundle's body passages (rows 0..n-1 of the vectors and of FAISS)."""

    def __init__(self, faiss_index: Any, vectors: np.ndarray, store: Store, settings: Settings,
                 postings: Postings) -> None:
        self.faiss = faiss_index
        self.vectors = vectors
        self.store = store
        self.settings = settings
        self.postings = postings
        self.tokenizer = Tokenizer()

    def dense(self, qvec: np.ndarray, limit: int) -> list[tuple[int, float]]:
        if self.faiss.ntotal == 0:
            return []
        scores, rows = self.faiss.search(qvec.reshape(1, -1), min(limit, self.faiss.ntotal))
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def keyword(self, query: str, limit: int) -> list[tuple[int, float]]:
        """BM25 (row, score) best first: FTS5's ranking, on the bundle's postings."""
        return self.postings.search(self.tokenizer.tokens(question_words(query, STOPWORDS)), limit)

    def rank(self, query: str, qvec: np.ndarray, k: int, mode: str = "hybrid") -> list[tuple[int, float]]:
        """(row, score) best first. mode: "hybrid", "dense" or "keyword"."""
        n = self.settings.query.candidates
        if mode == "keyword":
            return self.keyword(query, k)
        dense = self.dense(qvec, max(n, k))
        if mode == "dense":
            return dense[:k]
        kw = self.keyword(query, n)
        rows = list(dict.fromkeys([r for r, _ in dense] + [r for r, _ in kw]))
        if not rows:
            return []
        cos = self.vectors[np.asarray(rows)] @ qvec
        bonus = np.zeros(len(rows), dtype=np.float32)
        if kw:
            top = max(s for _, s in kw) or 1.0
            pos = {r: i for i, r in enumerate(rows)}
            for r, s in kw:
                bonus[pos[r]] = max(0.0, s) / top
        fused = cos + self.settings.query.keyword_weight * bonus
        order = np.argsort(-fused)
        return [(rows[i], float(fused[i])) for i in order[:k]]

    def hits(self, ranked: Sequence[tuple[int, float]]) -> list[SearchHit]:
        """Passages for ranked rows, near-identical ones (other documents' copies) shown once."""
        by_row = self.store.passages_by_rows(r for r, _ in ranked)
        kept: list[tuple[int, float]] = []
        for row, score in ranked:
            if row not in by_row:
                continue
            v = self.vectors[row]
            if any(float(v @ self.vectors[r]) >= self.settings.query.duplicate_threshold for r, _ in kept):
                continue
            kept.append((row, score))
        return [SearchHit(by_row[r], s, r) for r, s in kept]

    def search(self, query: str, qvec: np.ndarray, k: int, mode: str = "hybrid") -> list[SearchHit]:
        # Over-fetch a little so that dropping near-duplicates still leaves k results.
        return self.hits(self.rank(query, qvec, k * 2, mode))[:k]
