"""Rank sentences: every sentence of the retrieved passages scored against the question.

Sentences of the top passages are re-scored against the question (their own cosine,
their passage's score and the question words they contain); the best ones are then
embedded again on their own to pick the one that answers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from index.models import GlossaryEntry, SearchHit
from index.query.corpus import Corpus, SentenceVectors
from index.query.retrieve import Retrieved
from index.query.sentences import expands, expected_type_bonus, in_context, with_antecedent
from index.query.subjects import names_any, subjects_in_focus
from index.query.understand import Question
from index.words import content_words


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, scored against the question."""

    hit: SearchHit
    index: int  # sentence index in the passage
    text: str
    score: float
    vector: np.ndarray


def score_sentences(question: str, qvec: np.ndarray, hits: Sequence[SearchHit], vectors_of: SentenceVectors
                    ) -> list[Candidate]:
    """Every sentence of the hits, scored on its stored in-context vector: 0.6 cosine + 0.1
    question-word overlap + 0.05 when it holds the kind of thing asked for; best first.

    The passage's own score is left out here: the vector has read the passage already, and
    counting it twice buried the answering sentence of a lower-ranked passage (dev d03)."""
    qwords = content_words(question)
    out = []
    for h in hits:
        vectors = vectors_of(h)
        for i, t in enumerate(h.passage.sentence_texts()):
            if len(t) > 1:
                out.append(_candidate(question, qwords, qvec, h, i, t, vectors[i], passage_weight=0.0))
    out.sort(key=lambda c: -c.score)
    return out


def rescore(question: str, qvec: np.ndarray, candidates: Sequence[Candidate],
            encode: Callable[[list[str]], np.ndarray]) -> list[Candidate]:
    """The same candidates scored again on vectors of each sentence read alone (led by its section
    heading, and by the sentence before when it opens with a pronoun), plus 0.3 x their passage's score.

    Stored vectors are read inside the whole passage: free at question time and good at finding
    candidates, but a passage's theme blurs its sentences, so the one that answers is picked
    on its own vector (the dev set's "How did Butterfield name ...?" needs it)."""
    if not candidates:
        return []
    qwords = content_words(question)
    texts = [in_context(c.hit.passage.sentence_texts(), c.index, c.hit.passage.section) for c in candidates]
    out = [_candidate(question, qwords, qvec, c.hit, c.index, c.text, v)
           for c, v in zip(candidates, encode(texts), strict=True)]
    out.sort(key=lambda c: -c.score)
    return out


def _candidate(question: str, qwords: set[str], qvec: np.ndarray, hit: SearchHit, index: int, text: str,
               vector: np.ndarray, passage_weight: float = 0.3) -> Candidate:
    """0.6 cosine + passage_weight x passage score + 0.1 question-word overlap + 0.05 type bonus."""
    overlap = len(qwords & content_words(text)) / len(qwords) if qwords else 0.0
    score = (0.6 * float(vector @ qvec) + passage_weight * hit.score + 0.1 * overlap
             + 0.05 * expected_type_bonus(question, text))
    return Candidate(hit, index, text, score, vector)




def off_subject_last(candidates: list[Candidate], subjects: tuple[str, ...], penalty: float) -> list[Candidate]:
    """Candidates that name none of the question's subjects (read with the sentence before when they
    open with a pronoun) lose `penalty`: "Who is John H. Herz?" is not answered by the sentence
    closest in meaning, "John Joseph Mearsheimer ... is an American political scientist"."""
    out = []
    for c in candidates:
        if not names_any(with_antecedent(c.hit.passage.sentence_texts(), c.index), subjects):
            c = replace(c, score=c.score - penalty)
        out.append(c)
    out.sort(key=lambda c: -c.score)
    return out


def expansions_first(candidates: list[Candidate], term: str) -> list[Candidate]:
    """For "What is X short for?", the sentences that say what X stands for lead, whatever their
    cosine: a long sentence that expands X in a parenthesis is far in meaning from the question."""
    first = [c for c in candidates if expands(c.text, term)]
    return first + [c for c in candidates if c not in first]


@dataclass(frozen=True)
class Ranked:
    """The sentences that may answer, best first, and the best one's cosine to the question."""

    candidates: list[Candidate]
    best_cos: float
    subjects: tuple[str, ...] = ()  # the names asked about that sentences are held to (subjects_in_focus)


def is_definition(c: Candidate, entry: GlossaryEntry | None) -> bool:
    """Is this candidate the cited definition of a glossary entry?"""
    return (entry is not None and entry.citation is not None and c.hit.passage.id == entry.citation.passage_id
            and c.text.strip() == entry.definition.strip())


def rank_sentences(corpus: Corpus, question: Question, retrieved: Retrieved) -> Ranked:
    """Sentences that may answer, best first: every sentence of the hits ranked on its stored
    vector, then the best `rescore_sentences` (and the asked term's definition, when one
    of them, and the opening sentence under a matched question heading) scored again on
    their own vectors, which are the only ones an answer quotes."""
    hits = retrieved.hits
    qvec = question.vector
    ranked = score_sentences(question.text, qvec, hits, corpus.sentence_vectors_of)
    keep = ranked[: corpus.settings.query.rescore_sentences]
    keep += [c for c in ranked[len(keep):] if is_definition(c, question.asked)][:1]
    if question.expands:  # "What is weave short for?": the sentence that expands it, wherever it ranks
        keep += [c for c in ranked[len(keep):] if expands(c.text, question.expands)][:1]
    if retrieved.section is not None:
        first = hits[0]
        keep += [c for c in ranked[len(keep):] if c.hit.passage.id == first.passage.id and c.index == 0][:1]
    candidates = rescore(question.text, qvec, keep, corpus.encode_sentences)
    subjects = subjects_in_focus(question.subjects, hits)
    if subjects:
        candidates = off_subject_last(candidates, subjects, corpus.settings.query.off_subject_penalty)
    if question.expands:
        candidates = expansions_first(candidates, question.expands)
    return Ranked(candidates, max((float(c.vector @ qvec) for c in candidates), default=0.0), subjects)
