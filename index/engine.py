"""A loaded index bundle: the facade the command line and the web app ask.

One Engine per index folder per process: it holds the FAISS index, the vectors
(memory-mapped), a read-only SQLite store and the embedder; it is safe to share
between threads (Streamlit sessions, a load test). Questions are answered by the
stages of index/query/.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from threading import Lock
from typing import Any

import numpy as np

from index import bm25, bundle
from index.embedder import Embedder, get_embedder
from index.glossary import Glossary
from index.locks import Lease
from index.models import Answer, GlossaryEntry, Passage, Reference, SearchHit
from index.query.abstain import ABSTAIN_TEXT
from index.query.ask import answer_question
from index.query.corpus import Corpus
from index.query.retrieve import search
from index.search import Retriever
from index.settings import Settings
from index.store import Store

__all__ = ["ABSTAIN_TEXT", "Engine", "open_engine"]


class Engine:
    """The bundle loaded, and the few calls the command line and the web app make on it.

    Answering runs the stages of index/query/ over `self.corpus`; nothing here decides an answer."""

    def __init__(self, index_dir: Path, settings: Settings | None = None, embedder: Embedder | None = None) -> None:
        import faiss

        # Single-threaded FAISS: one query is a small matrix product, where OpenMP's
        # thread start-up costs more than it saves, and threads fight Streamlit's own.
        # (This covers the loading thread only; see _faiss_on_one_thread.)
        faiss.omp_set_num_threads(1)
        self.index_dir = index_dir
        wanted = settings or Settings()
        self.generation, self.manifest = bundle.check_generation(index_dir, model=wanted.build.model)
        # Held while this Engine lives: later ingestions leave its generation on disk for it.
        self._lease = Lease(self.generation / "manifest.json")
        built = Settings.from_json(self.manifest.get("settings", {}))
        # Cutting-time settings (and the BM25 weights baked into the postings) come from the
        # bundle; query-time ones from the caller.
        self.settings = wanted.with_(max_chars=built.build.max_chars,
                                     overlap_sentences=built.build.overlap_sentences,
                                     embed_context=built.build.embed_context, section_weight=built.build.section_weight)
        self.embedder = embedder or get_embedder(self.settings.build.model)
        if self.settings.query.runtime == "onnx":
            self.embedder.enable_fast_queries()
        if self.embedder.dimension != self.manifest.get("dimension"):
            raise bundle.BundleError(
                f"{index_dir}: vectors of dimension {self.manifest.get('dimension')}, model gives "
                f"{self.embedder.dimension}; rebuild with `sourcebook ingest --index {index_dir}`"
            )
        self.store = Store(self.generation / "store.sqlite")
        try:
            self.vectors = bundle.load_embeddings(self.generation)
            self.faiss: Any = bundle.load_faiss(self.generation, self.settings)
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
        self.references: list[Reference] = self.store.references()
        self.reference_vectors = self.store.reference_vectors(self.embedder.dimension)
        self.glossary: list[GlossaryEntry] = self.store.glossary()
        self.terms = Glossary(self.glossary)
        self._sentence_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = Lock()
        headings, heading_vectors = self.store.headings(self.embedder.dimension)
        self.corpus = Corpus(
            settings=self.settings, store=self.store,
            retriever=Retriever(self.faiss, self.vectors, self.store, self.settings, postings),
            references=self.references, reference_vectors=self.reference_vectors, terms=self.terms,
            headings=headings, heading_vectors=heading_vectors, sentence_vectors=self.sentence_vectors,
            sentence_rows=self.sentence_rows, encode_query=self.embed_query, encode_sentences=self.embed_sentences,
        )

    # --- embedding ---------------------------------------------------------------

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.encode_query([text])[0]

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
            cap = self.settings.query.score_chars
            fresh = self.embedder.encode_query([t[:cap] for t in missing])
            found.update(zip(missing, fresh, strict=True))
            with self._cache_lock:
                for t, v in zip(missing, fresh, strict=True):
                    self._sentence_cache[t] = v
                while len(self._sentence_cache) > 20_000:
                    self._sentence_cache.popitem(last=False)
        return np.stack([found[t] for t in texts])

    # --- queries -------------------------------------------------------------------

    def ask(self, question: str, k: int | None = None) -> Answer:
        """An extractive, cited answer, or an abstention with the nearest passages."""
        return answer_question(self.corpus, question, k)

    def search(self, query: str, k: int | None = None, mode: str = "hybrid") -> list[SearchHit]:
        """The k best passages for a query, best first."""
        query = query.strip()
        if not query:
            return []
        return search(self.corpus, query, self.embed_query(query), k or self.settings.query.k, mode)

    def references_for(self, passage: Passage, sentence_indexes: list[int]) -> tuple[Reference, ...]:
        return self.corpus.references_for(passage, sentence_indexes)

    def reference_for(self, document: str, label: str) -> Reference | None:
        return self.corpus.reference_for(document, label)

    def citing(self, ref: Reference) -> list[tuple[Passage, int]]:
        return self.corpus.citing(ref)

    def terms_in(self, text: str) -> list[GlossaryEntry]:
        return self.corpus.terms_in(text)

    # --- corpus at a glance -------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        counts = dict(self.manifest.get("counts", {}))
        counts.update(model=self.manifest.get("model"), built_at=self.manifest.get("built_at"),
                      query_runtime=self.embedder.query_runtime, faiss=bundle.describe_faiss(self.manifest))
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
