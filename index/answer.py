"""Extractive answers: the retrieved sentences that best answer the question, quoted with markers.

Sentences of the top passages are re-scored against the question (their own cosine,
their passage's score and the question words they contain); the best one leads, and
others join when they score close to it and add something new. No sentence is
written by Sourcebook: every word of an answer is a quote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from index.models import Citation, Passage, Reference, SearchHit
from index.settings import Settings
from index.store import STOPWORDS

_WORD = re.compile(r"[a-z0-9]+")


def content_words(text: str) -> set[str]:
    """Lower-cased words minus stop words, crudely stemmed so "states" meets "state"."""
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1}


def _stem(w: str) -> str:
    for suffix in ("ing", "ies", "es", "ed", "s", "'s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, scored against the question."""

    hit: SearchHit
    index: int  # sentence index in the passage
    text: str
    score: float
    vector: np.ndarray


_PRONOUN_START = re.compile(r"^(?:he|she|it|they|this|these|those|its|his|her|their|such)\b", re.I)
_YEAR_OR_DATE = re.compile(
    r"\b(?:1[0-9]{3}|20[0-9]{2})\b|\b(?:January|February|March|April|May|June|July|August|September|"
    r"October|November|December)\b"
)
_NAME = re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][a-z]+(?: [A-Z]\.)? [A-Z][a-z]+")
_NUMBER = re.compile(r"\d")


def expected_type_bonus(question: str, sentence: str) -> float:
    """A small bonus when a sentence holds what the question asks for: a date, a name, a number."""
    q = question.lower()
    if re.match(r"\s*(when|what year|which year|in what year|in which year)\b", q):
        return 1.0 if _YEAR_OR_DATE.search(sentence) else 0.0
    if re.match(r"\s*(who|whom|which (?:\w+ )?(?:scholar|person|author|historian|scientist))\b", q):
        return 1.0 if _NAME.search(sentence) else 0.0
    if re.match(r"\s*how (many|much|long|old)\b", q):
        return 1.0 if _NUMBER.search(sentence) else 0.0
    return 0.0


def in_context(passage_sentences: list[str], i: int, section: str) -> str:
    """A sentence as embedded for scoring: led by its section heading, and by the sentence before
    when it opens with a pronoun ("He is the ..."), so that it is scored for what it is about."""
    text = with_antecedent(passage_sentences, i)
    return f"{section}: {text}" if section else text


SentenceVectors = Callable[[SearchHit], np.ndarray]  # a hit's sentence vectors, one row per sentence


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


def select(candidates: list[Candidate], settings: Settings, question: str = "",
           form_words: frozenset[str] = frozenset()) -> list[Candidate]:
    """The best sentence, then close runners-up that are not near-repeats of one already chosen
    and that share a content word with the question (read with the sentence before when they
    open with a pronoun): a runner-up close by meaning alone is often about something else
    ("Who is Robert Jervis?" drew "He is the ... Professor at the University of Chicago", said
    of Mearsheimer). `form_words` are the question's words that say nothing of its subject."""
    if not candidates:
        return []
    chosen = [candidates[0]]
    best = candidates[0].score
    wanted = content_words(question) - form_words
    for c in candidates[1:]:
        if len(chosen) >= settings.answer_sentences or c.score < best - settings.sentence_margin:
            break
        # A pronoun sentence was scored with the one before it, so it looks like a repeat of
        # that one ("He is the ... Professor" after "Mearsheimer is a political scientist").
        if any(float(c.vector @ x.vector) >= settings.redundancy and not _follows(c, x) for x in chosen):
            continue
        if any(c.text == x.text for x in chosen):
            continue
        if wanted and not wanted & content_words(with_antecedent(c.hit.passage.sentence_texts(), c.index)):
            continue
        chosen.append(c)
    return chosen


def _follows(c: Candidate, x: Candidate) -> bool:
    """Is c the pronoun sentence right after x, in the same passage?"""
    return (c.hit.passage.id == x.hit.passage.id and c.index == x.index + 1
            and opens_with_pronoun(c.hit.passage.sentence_texts(), c.index))


def opens_with_pronoun(passage_sentences: list[str], i: int) -> bool:
    """Does sentence i open with a pronoun that points back to the sentence before ("He is ...")?"""
    return i > 0 and _PRONOUN_START.match(passage_sentences[i]) is not None


def with_antecedent(passage_sentences: list[str], i: int) -> str:
    """A sentence, led by the one before it when it opens with a pronoun ("He is ...")."""
    text = passage_sentences[i]
    return f"{passage_sentences[i - 1]} {text}" if opens_with_pronoun(passage_sentences, i) else text


def quote_from_antecedent(p: Passage, first: int, last: int) -> str | None:
    """Sentences first..last quoted verbatim from the sentence before `first`, when `first` opens
    with a pronoun ("He is the ... Professor" says nothing of who he is); None when it does not."""
    if not opens_with_pronoun(p.sentence_texts(), first):
        return None
    return p.text[p.sentences[first - 1].start : p.sentences[last].end]


def compose(
    chosen: list[Candidate], refs_for: Callable[[Passage, list[int]], tuple[Reference, ...]]
) -> tuple[str, list[Citation]]:
    """Answer text with [n] markers (numbered by first use) and one citation per passage."""
    markers: dict[str, int] = {}
    quoted: dict[str, list[Candidate]] = {}
    parts: list[str] = []
    # Quote sentences of one passage in their reading order, passages by first choice.
    order = {c.hit.passage.id: n for n, c in enumerate(chosen)}
    picked = {(c.hit.passage.id, c.index) for c in chosen}
    indexes: dict[str, list[int]] = {}  # per passage, the sentences quoted
    for c in sorted(chosen, key=lambda c: (order[c.hit.passage.id], c.index)):
        pid = c.hit.passage.id
        if pid not in markers:
            markers[pid] = len(markers) + 1
        # The sentence a pronoun points back to is quoted with it, unless it is quoted already.
        if (pid, c.index - 1) not in picked and (lead := quote_from_antecedent(c.hit.passage, c.index, c.index)):
            c = Candidate(c.hit, c.index, lead, c.score, c.vector)
            indexes.setdefault(pid, []).append(c.index - 1)
        indexes.setdefault(pid, []).append(c.index)
        quoted.setdefault(pid, []).append(c)
        parts.append(f"{c.text} [{markers[pid]}]")
    citations = []
    for pid, n in markers.items():
        cands = quoted[pid]
        p = cands[0].hit.passage
        citations.append(
            Citation(
                marker=n,
                passage=p,
                quote=" ".join(c.text for c in cands),
                score=max(c.score for c in cands),
                references=refs_for(p, indexes[pid]),
                quoted=min(indexes[pid]),
            )
        )
    return " ".join(parts), citations


_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")


def with_code(text: str, citations: list[Citation], following: Callable[[Passage], Passage | None]
              ) -> tuple[str, list[Citation]]:
    """A quoted lead-in to code ("you can do", "as follows:"), the last sentence of its passage,
    is followed in the answer by the code block it introduces, quoted whole with its own marker:
    the sentence says nothing without it."""
    out = list(citations)
    for c in citations:
        sentences = c.passage.sentence_texts()
        last = sentences[-1].rstrip() if sentences else ""
        if not last or not c.quote.rstrip().endswith(last) or (_ENDS_SENTENCE.search(last) and not last.endswith(":")):
            continue
        code = following(c.passage)
        if code is None or code.kind != "code" or code.section_path != c.passage.section_path:
            continue
        marker = len(out) + 1
        out.append(Citation(marker, code, code.text, c.score))
        at = text.rfind(f"[{c.marker}]") + len(f"[{c.marker}]")
        text = f"{text[:at]}\n{code.text}\n[{marker}]{text[at:]}"
    return text, out
