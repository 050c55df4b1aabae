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


def read_alone(c: Candidate) -> str:
    """The text a candidate is embedded from on its own: led by its section heading, and by the
    sentence before when it opens with a pronoun."""
    return in_context(c.hit.passage.sentence_texts(), c.index, c.hit.passage.section)


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
    out = [_candidate(question, qwords, qvec, c.hit, c.index, c.text, v)
           for c, v in zip(candidates, encode([read_alone(c) for c in candidates]), strict=True)]
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


def rank_sentences(corpus: Corpus, question: Question, retrieved: Retrieved) -> tuple[Ranked, Ranked]:
    """Sentences that may answer, best first, ranked on `question.ranking`; and, to judge whether the
    corpus answers, the same ranked on the question's own vector, whose cosines abstention's
    thresholds were calibrated on (the same Ranked when no adapter maps the question).

    Every sentence of the hits is ranked on its stored vector, then the best `rescore_sentences` (and
    the asked term's definition, when one of them, and the opening sentence under a matched question
    heading) scored again on their own vectors, which are the only ones an answer quotes. The
    sentences both rankings re-score are embedded in one call."""
    hits = retrieved.hits
    vectors = [question.ranking] if question.ranking_vector is None else [question.ranking, question.vector]
    keeps = [to_rescore(score_sentences(question.text, v, hits, corpus.sentence_vectors_of), question, retrieved,
                        corpus.settings.query.rescore_sentences) for v in vectors]
    texts = list(dict.fromkeys(read_alone(c) for keep in keeps for c in keep))
    read = dict(zip(texts, corpus.encode_sentences(texts), strict=True)) if texts else {}
    subjects = subjects_in_focus(question.subjects, hits)
    ranks = []
    for qvec, keep in zip(vectors, keeps, strict=True):
        candidates = rescore(question.text, qvec, keep, lambda ts: np.stack([read[t] for t in ts]))
        if subjects:
            candidates = off_subject_last(candidates, subjects, corpus.settings.query.off_subject_penalty)
        if question.expands:
            candidates = expansions_first(candidates, question.expands)
        # The best cosine is to the question's own vector: abstention's thresholds were set on those.
        ranks.append(Ranked(candidates, max((float(c.vector @ question.vector) for c in candidates), default=0.0),
                            subjects))
    return ranks[0], ranks[-1]


def to_rescore(ranked: list[Candidate], question: Question, retrieved: Retrieved, depth: int) -> list[Candidate]:
    """The first-pass candidates worth embedding alone: the best `depth`, the asked term's definition,
    the sentence that expands an abbreviation asked about, the opening sentence under a matched heading."""
    keep = ranked[:depth]
    keep += [c for c in ranked[len(keep):] if is_definition(c, question.asked)][:1]
    if question.expands:  # "What is weave short for?": the sentence that expands it, wherever it ranks
        keep += [c for c in ranked[len(keep):] if expands(c.text, question.expands)][:1]
    if retrieved.section is not None:
        first = retrieved.hits[0]
        keep += [c for c in ranked[len(keep):] if c.hit.passage.id == first.passage.id and c.index == 0][:1]
    return keep
