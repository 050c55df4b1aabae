"""Retrieve: the passages a question is answered from, and the question heading it restates.

Hybrid search (index/search.py) finds the passages; when the question restates a
heading of one of their sections (index/query/sections.py), the first passages under
that heading replace them: the text under a question heading is its answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from index.models import SearchHit
from index.query.corpus import Corpus, SentenceVectors
from index.query.sections import SectionMatch, match_section, section_of
from index.query.subjects import names_any, subjects_in_focus
from index.query.understand import Question


@dataclass(frozen=True)
class Retrieved:
    """The passages to answer from, best first, and the question heading matched, if any."""

    hits: list[SearchHit]
    section: SectionMatch | None = None


def rerank(hits: Sequence[SearchHit], qvec: np.ndarray, vectors_of: SentenceVectors, weight: float) -> list[SearchHit]:
    """Re-order passages by their score plus `weight` times their best sentence's cosine.

    A passage whose one sentence answers the question outranks one loosely about the whole
    topic. Pydocs dev, top 10, weight 0.5: MRR@10 0.552 -> 0.564 on the stored in-context
    vectors, which cost nothing at query time (0.579 with every sentence embedded alone then)."""
    if not weight:
        return list(hits)
    scored = []
    for h in hits:
        vectors = vectors_of(h)
        best = float((vectors @ qvec).max()) if len(vectors) else 0.0
        scored.append(SearchHit(h.passage, h.score + weight * best, h.row))
    return sorted(scored, key=lambda h: -h.score)


@contextmanager
def faiss_on_one_thread() -> Iterator[None]:
    """FAISS on one OpenMP thread meanwhile. OpenMP's thread count is a setting of the calling
    thread, and Streamlit asks from a new thread every run: set once at load time, a search on
    another thread took 14 ms instead of 2.8 ms (31k-passage flat index, 2 cores). Restored
    after, because torch shares the OpenMP runtime: the thread's encoding stays as it was."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def search(corpus: Corpus, query: str, qvec: np.ndarray, k: int, mode: str = "hybrid", rerank_hits: bool = True
           ) -> list[SearchHit]:
    """Retrieval, then (hybrid mode) the hits re-ranked by their best sentence;
    "dense" and "keyword" stay the plain rankers, for comparison."""
    with faiss_on_one_thread():
        hits = corpus.retriever.search(query, qvec, k, mode)
    if mode != "hybrid" or not rerank_hits:
        return hits
    return rerank(hits, qvec, corpus.sentence_vectors_of, corpus.settings.query.sentence_weight)


def retrieve(corpus: Corpus, question: Question, k: int | None = None) -> Retrieved:
    """The hits for a question (not re-ranked: every sentence of them is scored next, whatever
    their order), or the first passages under the question heading it restates."""
    settings = corpus.settings
    hits = search(corpus, question.text, question.vector, k or settings.query.k, rerank_hits=False)
    section = match_section(question.vector, corpus.headings, corpus.heading_vectors, settings.query.heading_match,
                            settings.query.heading_margin, {section_of(h.passage) for h in hits})
    if section is None:
        return Retrieved(hits)
    under = under_heading(corpus, section, hits)
    # A heading close in meaning whose section never names what the question asks about, though the
    # corpus does elsewhere ("Which release last ran on 32-bit Windows?" and "What is the current
    # version of R?"), is another question. A name the corpus never writes ("Roma" tomatoes) is a
    # detail the heading's answer still covers.
    unknown = {name.lower() for name in question.unknown_names}
    known = tuple(s for s in subjects_in_focus(question.subjects, hits) if s not in unknown)
    if known and not names_any(" ".join([*section.path, *(h.passage.text for h in under)]), known):
        return Retrieved(hits)
    return Retrieved(under, section)


def under_heading(corpus: Corpus, section: SectionMatch, hits: list[SearchHit]) -> list[SearchHit]:
    """The first passages under a heading the question restates, scored as the best hit was:
    the text under the heading answers, wherever retrieval ranked it."""
    top = max((h.score for h in hits), default=section.score)
    under = corpus.store.section_passages(section.document, section.path)[: corpus.settings.query.heading_passages]
    return [SearchHit(p, top, row) for row, p in under] or hits
