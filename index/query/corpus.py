"""One loaded bundle as the question stages read it: its data, and the model's two encoders."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from index.glossary import Glossary
from index.models import AMBIGUOUS, GlossaryEntry, Passage, QuestionHeading, Reference, SearchHit
from index.query.sentences import in_context
from index.search import Retriever
from index.settings import Settings
from index.store import Store

SentenceVectors = Callable[[SearchHit], np.ndarray]  # a hit's sentence vectors, one row per sentence


def sentences_once(passages: Iterable[Passage]) -> Iterator[tuple[Passage, int, str]]:
    """(passage, sentence index, text) of each sentence of the passages, a sentence of a document
    once: overlapping windows of a long paragraph repeat its sentences."""
    seen: set[tuple[str, str]] = set()
    for p in passages:
        for i, text in enumerate(p.sentence_texts()):
            if (p.document, text) not in seen:
                seen.add((p.document, text))
                yield p, i, text


@dataclass
class Corpus:
    """The data a question is answered from. `encode_query` embeds one text as a question,
    `encode_sentences` many sentences (memoised by the Engine)."""

    settings: Settings
    store: Store
    retriever: Retriever
    references: list[Reference]
    reference_vectors: np.ndarray  # row i embeds references[i].raw
    terms: Glossary
    headings: list[QuestionHeading]
    heading_vectors: np.ndarray  # row i embeds headings[i].question
    sentence_vectors: np.ndarray  # every body passage's sentence vectors, stacked
    sentence_rows: np.ndarray  # sentence_rows[r]:sentence_rows[r+1] are passage row r's
    encode_query: Callable[[str], np.ndarray]
    encode_sentences: Callable[[list[str]], np.ndarray]
    refs_by_label: dict[tuple[str, str], Reference] = field(init=False)

    def __post_init__(self) -> None:
        self.refs_by_label = {(r.document, r.label): r for r in self.references}

    def sentence_vectors_of(self, hit: SearchHit) -> np.ndarray:
        """A hit's sentence vectors: stored at ingestion, read in context (see Embedder.encode_passages).
        A passage from elsewhere than the index has its sentences embedded now."""
        if 0 <= hit.row < len(self.sentence_rows) - 1:
            start, end = self.sentence_rows[hit.row], self.sentence_rows[hit.row + 1]
            if end - start == len(hit.passage.sentences):
                return np.asarray(self.sentence_vectors[start:end], dtype=np.float32)
        texts = hit.passage.sentence_texts()
        return self.encode_sentences([in_context(texts, i, hit.passage.section) for i in range(len(texts))])

    def knows(self, word: str) -> bool:
        """Whether some passage of the corpus holds the word (as the keyword index tokenizes it)."""
        retriever = self.retriever
        tokens = retriever.tokenizer.tokens([word.lower()])
        return bool(tokens) and all(t in retriever.postings.terms for t in tokens)

    def share(self, word: str) -> float:
        """The share of passages that hold a word (as the keyword index tokenizes it; the rarest
        token of a word that splits into several): how much the word is the corpus's background."""
        tokens = self.retriever.tokenizer.tokens([word.lower()])
        return min((self.retriever.postings.share(t) for t in tokens), default=0.0)

    def reference_for(self, document: str, label: str) -> Reference | None:
        """The entry a marker [label] points to: markers resolve in their own document's list only."""
        return self.refs_by_label.get((document, label))

    def references_for(self, passage: Passage, sentence_indexes: list[int]) -> tuple[Reference, ...]:
        """References cited by the quoted sentences, or by the whole passage when those cite none."""
        labels: list[str] = []
        for i in sentence_indexes:
            if 0 <= i < len(passage.sentences):
                labels.extend(passage.sentences[i].refs)
        if not labels:
            labels = list(passage.refs)
        # An ambiguous citation ("Zeileis 2006" beside 2006a and 2006b) shows each entry it may mean.
        labels = [one for lab in labels for one in lab.split(AMBIGUOUS)]
        found = (self.reference_for(passage.document, lab) for lab in dict.fromkeys(labels))
        return tuple(r for r in found if r is not None)

    def citing(self, ref: Reference) -> list[tuple[Passage, int]]:
        """(passage, sentence index) of every sentence that cites a reference, each once."""
        body = (p for p in self.store.passages_of(ref.document) if p.kind == "body")
        return [(p, i) for p, i, text in sentences_once(body) if ref.label in p.sentences[i].refs]

    def terms_in(self, text: str) -> list[GlossaryEntry]:
        """Glossary entries whose term or alias occurs in a text, in order of first occurrence."""
        seen: dict[str, GlossaryEntry] = {}
        for _, _, entry in sorted(self.terms.find_in_text(text), key=lambda m: m[0]):
            seen.setdefault(entry.term, entry)
        return list(seen.values())
