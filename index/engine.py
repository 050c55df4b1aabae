"""A loaded index bundle and everything that answers queries against it.

One Engine per index folder per process: it holds the FAISS index, the vectors
(memory-mapped), a read-only SQLite store and the embedder; it is safe to share
between threads (Streamlit sessions, a load test).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from threading import Lock
from typing import Any

import numpy as np

from index import bm25, bundle
from index.answer import (
    Candidate,
    compose,
    content_words,
    in_context,
    rerank,
    rescore,
    score_sentences,
    select,
    with_code,
)
from index.embedder import Embedder, get_embedder
from index.glossary import Glossary
from index.models import Answer, Citation, GlossaryEntry, Passage, Reference, SearchHit
from index.sections import SectionMatch, lead_with_first, match_section, section_of
from index.settings import Settings
from index.store import Store

ABSTAIN_TEXT = "The corpus does not answer this question."
# Questions about the bibliography rather than the subject.
_SOURCE_QUESTION = re.compile(
    r"\b(?:which|what)\s+(?:sources?|references?|works?|study|studies|articles?|books?|papers?|publications?)\b"
    r"|\b(?:doi|isbn|issn|jstor)\b|\bwho\s+(?:wrote|authored|published|is the author)\b"
    r"|\bpublished\s+(?:in|by|where)\b|\bcit(?:e|es|ed|ation)\b|\bsource\b|\bwhich\s+(?:journal|publisher)\b",
    re.I,
)
# Of those, the ones that name a work and ask about it (its DOI, its author, where it appeared).
_ABOUT_A_WORK = re.compile(
    r"\b(?:doi|isbn|issn|jstor)\b|\bwho\s+(?:wrote|authored|published|is the author)\b"
    r"|\bpublished\s+(?:in|by|where)\b|\bwhich\s+(?:journal|publisher)\b"
    r"|\b(?:when|what\s+year|which\s+year)\b.*\b(?:published|written|appear(?:ed)?)\b|\bauthors?\s+of\b",
    re.I,
)
# Words of a question's form, not of its subject: they say nothing about being on topic.
_QUESTION_WORDS = frozenset({"mean", "meaning", "defin", "describ", "explain", "tell", "happen", "differ",
                             "difference"})
_DEFINITION_QUESTION = re.compile(
    r"^\s*(?:what|who)\s+(?:is|are|was|were)\s+(?:an?\s+|the\s+)?(?P<term>[^?]{2,80}?)\s*\??\s*$", re.I
)


def _is_definition(c: Candidate, entry: GlossaryEntry | None) -> bool:
    """Is this candidate the cited definition of a glossary entry?"""
    return (entry is not None and entry.citation is not None and c.hit.passage.id == entry.citation.passage_id
            and c.text.strip() == entry.definition.strip())


class Engine:
    """Search, answers, references and glossary over one bundle."""

    def __init__(self, index_dir: Path, settings: Settings | None = None, embedder: Embedder | None = None) -> None:
        import faiss

        # Single-threaded FAISS: one query is a small matrix product, where OpenMP's
        # thread start-up costs more than it saves, and threads fight Streamlit's own.
        # (This covers the loading thread only; see _faiss_on_one_thread.)
        faiss.omp_set_num_threads(1)
        self.index_dir = index_dir
        wanted = settings or Settings()
        self.generation, self.manifest = bundle.check_generation(index_dir, model=wanted.model)
        built = Settings.from_json(self.manifest.get("settings", {}))
        # Cutting-time settings (and the BM25 weights baked into the postings) come from the
        # bundle; query-time ones from the caller.
        self.settings = wanted.with_(max_chars=built.max_chars, overlap_sentences=built.overlap_sentences,
                                     embed_context=built.embed_context, section_weight=built.section_weight)
        self.embedder = embedder or get_embedder(self.settings.model)
        if self.settings.query_runtime == "onnx":
            self.embedder.enable_fast_queries()
        if self.embedder.dimension != self.manifest.get("dimension"):
            raise bundle.BundleError(
                f"{index_dir}: vectors of dimension {self.manifest.get('dimension')}, model gives "
                f"{self.embedder.dimension}; rebuild with `sourcebook ingest --index {index_dir}`"
            )
        self.store = Store(self.generation / "store.sqlite")
        try:
            self.vectors = bundle.load_embeddings(self.generation)
            self.faiss: Any = faiss.read_index(str(self.generation / "faiss.index"))
            self.sentence_vectors, self.sentence_rows = bundle.load_sentence_vectors(self.generation)
            postings = bm25.load(self.generation)
        except Exception as exc:
            raise bundle.BundleError(
                f"{index_dir}: damaged index files ({exc}); rebuild with `sourcebook ingest --index {index_dir}`"
            ) from exc
        if self.faiss.ntotal != self.vectors.shape[0]:
            raise bundle.BundleError(f"{index_dir}: FAISS and vectors disagree; rebuild with `sourcebook ingest`")
        if not bundle.sentences_fit(self.sentence_rows, self.vectors.shape[0], self.sentence_vectors):
            raise bundle.BundleError(f"{index_dir}: sentence vectors do not match the passages; rebuild with "
                                     f"`sourcebook ingest --index {index_dir}`")
        from index.search import Retriever

        self.retriever = Retriever(self.faiss, self.vectors, self.store, self.settings, postings)
        self.references: list[Reference] = self.store.references()
        self._refs_by_label = {(r.document, r.label): r for r in self.references}
        self.reference_vectors = self.store.reference_vectors(self.embedder.dimension)
        self.headings, self.heading_vectors = self.store.headings(self.embedder.dimension)
        self.glossary: list[GlossaryEntry] = self.store.glossary()
        self.terms = Glossary(self.glossary)
        self._sentence_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = Lock()

    # --- embedding ---------------------------------------------------------------

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.encode_query([text])[0]

    def sentence_vectors_of(self, hit: SearchHit) -> np.ndarray:
        """A hit's sentence vectors: stored at ingestion, read in context (see Embedder.encode_passages).
        A passage from elsewhere than the index has its sentences embedded now."""
        if 0 <= hit.row < len(self.sentence_rows) - 1:
            start, end = self.sentence_rows[hit.row], self.sentence_rows[hit.row + 1]
            if end - start == len(hit.passage.sentences):
                return np.asarray(self.sentence_vectors[start:end], dtype=np.float32)
        texts = hit.passage.sentence_texts()
        return self.embed_sentences([in_context(texts, i, hit.passage.section) for i in range(len(texts))])

    def embed_sentences(self, texts: list[str]) -> np.ndarray:
        """Sentence vectors, memoised: popular passages are scored again and again."""
        # Read hits into a local dict once: a full cache evicts its oldest entries on insert,
        # which may be ones found here (this call's or another thread's insert), so the cache
        # is not read again afterwards (it raised KeyError once full).
        with self._cache_lock:
            found = {t: v for t in texts if (v := self._sentence_cache.get(t)) is not None}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            # Scoring reads a sentence's opening only (a 2,000-character code line costs as much
            # as ten sentences), and small batches: the model pads each batch to its longest text.
            cap = self.settings.score_chars
            fresh = self.embedder.encode_query([t[:cap] for t in missing])
            found.update(zip(missing, fresh, strict=True))
            with self._cache_lock:
                for t, v in zip(missing, fresh, strict=True):
                    self._sentence_cache[t] = v
                while len(self._sentence_cache) > 20_000:
                    self._sentence_cache.popitem(last=False)
        return np.stack([found[t] for t in texts])

    # --- queries -------------------------------------------------------------------

    def search(self, query: str, k: int | None = None, mode: str = "hybrid") -> list[SearchHit]:
        """The k best passages for a query, best first."""
        query = query.strip()
        if not query:
            return []
        return self._search(query, self.embed_query(query), k or self.settings.k, mode)

    @contextmanager
    def _faiss_on_one_thread(self) -> Iterator[None]:
        """FAISS on one OpenMP thread meanwhile. OpenMP's thread count is a setting of the calling
        thread, and Streamlit asks from a new thread every run: set in __init__ alone, a search on
        another thread took 14 ms instead of 2.8 ms (31k-passage flat index, 2 cores). Restored
        after, because torch shares the OpenMP runtime: the thread's encoding stays as it was."""
        import faiss

        before = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            yield
        finally:
            faiss.omp_set_num_threads(before)

    def _search(self, query: str, qvec: np.ndarray, k: int, mode: str = "hybrid", rerank_hits: bool = True
                ) -> list[SearchHit]:
        """Retrieval, then (hybrid mode) the hits re-ranked by their best sentence;
        "dense" and "keyword" stay the plain rankers, for comparison."""
        with self._faiss_on_one_thread():
            hits = self.retriever.search(query, qvec, k, mode)
        if mode != "hybrid" or not rerank_hits:
            return hits
        return rerank(hits, qvec, self.sentence_vectors_of, self.settings.sentence_weight)

    def references_for(self, passage: Passage, sentence_indexes: list[int]) -> tuple[Reference, ...]:
        """References cited by the quoted sentences, or by the whole passage when those cite none."""
        labels: list[str] = []
        for i in sentence_indexes:
            if 0 <= i < len(passage.sentences):
                labels.extend(passage.sentences[i].refs)
        if not labels:
            labels = list(passage.refs)
        found = (self.reference_for(passage.document, lab) for lab in dict.fromkeys(labels))
        return tuple(r for r in found if r is not None)

    def reference_for(self, document: str, label: str) -> Reference | None:
        """The entry a marker [label] points to: markers resolve in their own document's list only."""
        return self._refs_by_label.get((document, label))

    def ask(self, question: str, k: int | None = None) -> Answer:
        """An extractive, cited answer, or an abstention with the nearest passages."""
        question = " ".join(question.split())
        if not question or not any(ch.isalnum() for ch in question):
            return Answer(question, "Please ask a question in words.", True, message="empty question")
        question = question[:2000]  # the model reads at most a few hundred tokens anyway
        qvec = self.embed_query(question)
        # No re-ranking here: every sentence of the hits is scored next, whatever their order.
        hits = self._search(question, qvec, k or self.settings.k, rerank_hits=False)
        section = match_section(qvec, self.headings, self.heading_vectors, self.settings.heading_match,
                                self.settings.heading_margin, {section_of(h.passage) for h in hits})
        if section is not None:
            hits = self._under_heading(section, hits)
        asked = self._asked_entry(question, strict=False)
        candidates = self._candidates(question, qvec, hits, asked, first=hits[0] if section is not None else None)
        if _ABOUT_A_WORK.search(question):
            about = self._work_answer(question, qvec, candidates)
            if about is not None:
                return about
        best_cos = max((float(c.vector @ qvec) for c in candidates), default=0.0)
        reason = "" if section is not None and candidates else self._abstain_reason(question, best_cos, hits)
        if reason:
            defined = self._glossary_answer(question)
            if defined is not None:
                return defined
            return Answer(question, ABSTAIN_TEXT, True, nearest=tuple(hits[:3]), message=reason)
        chosen = self._definition_first(asked, candidates,
                                        select(candidates, self.settings, question, _QUESTION_WORDS))
        if section is not None and hits:
            chosen = lead_with_first(chosen, candidates, hits[0].passage.id, self.settings.answer_sentences)
        if _SOURCE_QUESTION.search(question):
            sourced = self._supporting_sources(question, chosen[:1] + [c for c in candidates if c is not chosen[0]])
            if sourced is not None:
                return sourced
        text, citations = with_code(*compose(chosen, self.references_for), self.store.next_passage)
        return Answer(question, text, False, tuple(citations), glossary=tuple(self.terms_in(text)))

    def _under_heading(self, section: SectionMatch, hits: list[SearchHit]) -> list[SearchHit]:
        """The first passages under a heading the question restates, scored as the best hit was:
        the text under the heading answers, wherever retrieval ranked it."""
        top = max((h.score for h in hits), default=section.score)
        under = self.store.section_passages(section.document, section.path)[: self.settings.heading_passages]
        return [SearchHit(p, top, row) for row, p in under] or hits

    def _candidates(self, question: str, qvec: np.ndarray, hits: list[SearchHit], asked: GlossaryEntry | None,
                    first: SearchHit | None = None) -> list[Candidate]:
        """Sentences that may answer, best first: every sentence of the hits ranked on its stored
        vector, then the best `rescore_sentences` (and the asked term's definition, when one
        of them, and the opening sentence of `first`, a matched heading's text) scored again on
        their own vectors, which are the only ones an answer quotes."""
        ranked = score_sentences(question, qvec, hits, self.sentence_vectors_of)
        keep = ranked[: self.settings.rescore_sentences]
        keep += [c for c in ranked[len(keep):] if _is_definition(c, asked)][:1]
        if first is not None:
            keep += [c for c in ranked[len(keep):] if c.hit.passage.id == first.passage.id and c.index == 0][:1]
        return rescore(question, qvec, keep, self.embed_sentences)

    def _abstain_reason(self, question: str, best_cos: float, hits: list[SearchHit]) -> str:
        """Why the corpus does not answer, or "" when it does.

        Too far: the best sentence is below `abstain_below`. Off-topic: below `abstain_unless_words`,
        not one content word of the question stands in the retrieved passages ("What is ratcheting
        in secure communication?" finds "security" passages by meaning alone)."""
        if best_cos < self.settings.abstain_below:
            return f"best sentence similarity {best_cos:.2f} < {self.settings.abstain_below}"
        if best_cos < self.settings.abstain_unless_words:
            words = content_words(question) - _QUESTION_WORDS
            found = set().union(*(content_words(h.passage.text) for h in hits)) if hits else set()
            if words and not words & found:
                return f"similarity {best_cos:.2f} and no word of the question in the passages"
        return ""

    def _glossary_answer(self, question: str) -> Answer | None:
        """"What is X?" where X is a glossary term or alias: its cited definition, even when the
        wording of the question is far from the sentence ("What is the spiral model?")."""
        entry = self._asked_entry(question, strict=True)
        if entry is None or entry.citation is None:
            return None
        passage = self.store.passage(entry.citation.passage_id)
        if passage is None:
            return None
        texts = passage.sentence_texts()
        index = next((i for i, t in enumerate(texts) if t.strip() == entry.definition.strip()), None)
        if index is None:
            return None
        quote = texts[index]
        citation = Citation(1, passage, quote, 1.0, self.references_for(passage, [index]), quoted=index)
        return Answer(question, f"{quote} [1]", False, (citation,), glossary=tuple(self.terms_in(quote)))

    # --- questions about sources ----------------------------------------------------

    def search_references(self, query: str, qvec: np.ndarray, k: int = 3) -> list[tuple[Reference, float]]:
        """References ranked by cosine to the query plus the share of its words in the entry."""
        if not len(self.reference_vectors):
            return []
        words = content_words(query)
        cos = self.reference_vectors @ qvec
        scored = []
        for ref, c in zip(self.references, cos, strict=True):
            overlap = len(words & content_words(ref.raw)) / len(words) if words else 0.0
            scored.append((ref, float(c) + 0.3 * overlap))
        scored.sort(key=lambda x: -x[1])
        return scored[:k]

    def citing(self, ref: Reference) -> list[tuple[Passage, int]]:
        """(passage, sentence index) of every sentence that cites a reference."""
        return [(p, i) for p in self.store.passages_of(ref.document) if p.kind == "body"
                for i, s in enumerate(p.sentences) if ref.label in s.refs]

    def _work_answer(self, question: str, qvec: np.ndarray, candidates: list[Candidate]) -> Answer | None:
        """"What is the DOI of …?", "Who wrote …?": the reference entry that the question names,
        quoted from the reference list, cited through a sentence that cites it."""
        best = self.search_references(question, qvec, k=1)
        if not best or best[0][1] < self.settings.reference_min_score:
            return None
        ref = best[0][0]
        sites = self.citing(ref)
        if not sites:
            return None
        wanted = {(p.id, i) for p, i in sites}
        ranked = [c for c in candidates if (c.hit.passage.id, c.index) in wanted]
        passage, index = (ranked[0].hit.passage, ranked[0].index) if ranked else sites[0]
        return self._sourced(question, passage, index, (ref,), best[0][1])

    def _supporting_sources(self, question: str, candidates: list[Candidate]) -> Answer | None:
        """"Which source supports …?": the best answering sentence that cites something, among
        those within `sentence_margin` of the best, and the references it cites."""
        for c in candidates:
            if c.score < candidates[0].score - self.settings.sentence_margin:
                break
            refs = self.references_for(c.hit.passage, [c.index])
            if refs:
                return self._sourced(question, c.hit.passage, c.index, refs, c.score)
        return None

    def _sourced(self, question: str, passage: Passage, index: int, refs: tuple[Reference, ...],
                 score: float) -> Answer:
        s = passage.sentences[index]
        quote = passage.text[s.start : s.end]
        label = "Sources" if len(refs) > 1 else "Source"
        text = f"{quote} [1] {label}: " + " ".join(r.raw for r in refs)
        citation = Citation(1, passage, quote, score, refs, quoted=index)
        return Answer(question, text, False, (citation,), glossary=tuple(self.terms_in(quote)))

    # --- glossary -------------------------------------------------------------------

    def terms_in(self, text: str) -> list[GlossaryEntry]:
        """Glossary entries whose term or alias occurs in a text, in order of first occurrence."""
        seen: dict[str, GlossaryEntry] = {}
        for _, _, entry in sorted(self.terms.find_in_text(text), key=lambda m: m[0]):
            seen.setdefault(entry.term, entry)
        return list(seen.values())

    def _asked_entry(self, question: str, strict: bool) -> GlossaryEntry | None:
        """The glossary entry a "What is X?" / "Who is X?" question asks about.

        strict: X must be (nearly all) a term or alias as written, because the answer then
        rests on the glossary alone; otherwise the forgiving look-up (case, dashes, misspellings)."""
        m = _DEFINITION_QUESTION.match(question)
        if not m:
            return None
        asked = m.group("term")
        if not strict:
            return self.terms.lookup(asked)
        found = [entry for s, e, entry in self.terms.find_in_text(asked) if e - s >= 0.8 * len(asked.strip())]
        return found[0] if found else self.terms.exact(asked.strip())

    def _definition_first(self, asked: GlossaryEntry | None, candidates: list[Candidate], chosen: list[Candidate]
                          ) -> list[Candidate]:
        """For "What is X?" / "Who is X?" (X's entry is `asked`), lead with X's glossary definition
        when it is among the retrieved sentences and scores close to the best one."""
        definition = next((c for c in candidates if _is_definition(c, asked)), None)
        if definition is None or definition.score < chosen[0].score - self.settings.sentence_margin:
            return chosen
        rest = [c for c in chosen if c is not definition]
        return [definition, *rest][: self.settings.answer_sentences]

    # --- corpus at a glance -------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        counts = dict(self.manifest.get("counts", {}))
        counts.update(model=self.manifest.get("model"), built_at=self.manifest.get("built_at"),
                      query_runtime=self.embedder.query_runtime)
        return counts


_ENGINES: dict[tuple[str, Settings], Engine] = {}
_ENGINES_LOCK = Lock()


def open_engine(index_dir: Path, settings: Settings | None = None) -> Engine:
    """A shared Engine for an index folder, reloaded when the index has been rebuilt."""
    settings = settings or Settings()
    key = (str(index_dir.resolve()), settings)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None or bundle.current_generation(index_dir) != engine.generation:
            engine = Engine(index_dir, settings)
            _ENGINES[key] = engine
        return engine
