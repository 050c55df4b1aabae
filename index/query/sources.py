"""Answers about sources: the reference entry a question names, or the sentence that cites one.

"What is the DOI of …?" and "Who wrote …?" are answered from the reference list, cited
through a sentence that cites the work; "Which source supports …?" by the best answering
sentence that cites something, with the references it cites.
"""

from __future__ import annotations

import re

import numpy as np

from index.models import Answer, Citation, Passage, Reference, SearchHit
from index.query.compose import compose
from index.query.corpus import Corpus
from index.query.rank import Candidate
from index.query.understand import Question
from index.words import content_words, fold_accents, surname_key

_MAX_SITES = 32  # citing sentences of a named work embedded at question time
_YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b")
_WORD = re.compile(r"[^\W\d_]+")


def search_references(corpus: Corpus, query: str, qvec: np.ndarray, k: int = 3) -> list[tuple[Reference, float]]:
    """References ranked by cosine to the query plus the share of its words in the entry."""
    if not len(corpus.reference_vectors):
        return []
    words = content_words(query)
    cos = corpus.reference_vectors @ qvec
    scored = []
    for ref, c in zip(corpus.references, cos, strict=True):
        overlap = len(words & content_words(ref.raw)) / len(words) if words else 0.0
        scored.append((ref, float(c) + 0.3 * overlap))
    scored.sort(key=lambda x: -x[1])
    return scored[:k]


def names_work(question: str, ref: Reference, references: list[Reference]) -> bool:
    """Does a question name a work: two of its title's content words or most of them, its first
    author ("Which book by Jervis …?") or a venue no other entry has ("Which article in Foreign
    Affairs …?"; "the Journal of Statistical Software version" names none of several)?"""
    asked = content_words(question)
    title, venue = content_words(ref.title or ""), content_words(ref.container or "")
    shared = title & asked
    by_title = bool(title) and (len(shared) >= 2 or len(shared) * 2 > len(title))
    author = surname_key(ref.authors[0]) if ref.authors else ""
    by_venue = bool(venue) and venue <= asked and sum(
        1 for r in references if content_words(r.container or "") == venue) == 1
    return by_title or by_venue or (bool(author) and author in _words(question))


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(fold_accents(text))}


def work_answer(corpus: Corpus, question: Question, candidates: list[Candidate]) -> Answer | None:
    """"What is the DOI of …?", "Who wrote …?", "Who proposed X, and in which journal?": the work
    the question names by its title, quoted from the reference list and cited through a sentence
    that cites it; a question that names no title ("the HC4 estimator") is about the work that the
    best answering sentence cites."""
    best = search_references(corpus, question.text, question.vector, k=1)
    if not (best and names_work(question.text, best[0][0], corpus.references)):
        cited = supporting_sources(corpus, question.text, candidates)
        if cited is not None:
            return cited
    if not best or best[0][1] < corpus.settings.query.reference_min_score:
        return None
    ref = best[0][0]
    sites = corpus.citing(ref)
    if not sites:
        return None
    wanted = {(p.id, i) for p, i in sites}
    ranked = [c for c in candidates if (c.hit.passage.id, c.index) in wanted]
    passage, index = (ranked[0].hit.passage, ranked[0].index) if ranked else sites[0]
    return sourced(corpus, question.text, passage, index, (ref,), best[0][1])


def named_work(corpus: Corpus, question: Question) -> Reference | None:
    """The work a question names by author and year ("What did Jervis argue in 1978?", "What does
    Andrews (1991) propose?"): the one entry whose author's family name and year both stand in it."""
    years = set(_YEAR.findall(question.text))
    if not years:
        return None
    words = _words(question.text)
    found = [r for r in corpus.references if r.year and r.year[:4] in years
             and any(surname_key(a) in words for a in r.authors[:3])]
    return found[0] if len(found) == 1 else None


def work_findings(corpus: Corpus, question: Question, ref: Reference, candidates: list[Candidate]) -> Answer | None:
    """What a named work says, as the corpus reports it: the sentences that cite it (at most
    `answer_sentences`, the best answering first: by their rank among the candidates, else their
    cosine to the question), quoted in reading order, followed by the work's entry."""
    rank = {(c.hit.passage.id, c.index): n for n, c in enumerate(candidates)}
    # Those among the candidates first; a work cited hundreds of times has only the first few embedded.
    sites = sorted(corpus.citing(ref), key=lambda site: rank.get((site[0].id, site[1]), len(rank)))[:_MAX_SITES]
    if not sites:
        return None
    vectors = corpus.encode_sentences([p.sentence_texts()[i] for p, i in sites])
    cos = vectors @ question.vector
    order = sorted(range(len(sites)), key=lambda n: (rank.get((sites[n][0].id, sites[n][1]), len(rank)), -cos[n]))
    chosen = [Candidate(SearchHit(sites[n][0], float(cos[n])), sites[n][1], sites[n][0].sentence_texts()[sites[n][1]],
                        float(cos[n]), vectors[n]) for n in order[: corpus.settings.query.answer_sentences]]
    text, citations = compose(chosen, lambda passage, indexes: (ref,))
    return Answer(question.text, f"{text} Source: {ref.raw}", False, tuple(citations),
                  glossary=tuple(corpus.terms_in(text)))


def supporting_sources(corpus: Corpus, question: str, candidates: list[Candidate]) -> Answer | None:
    """"Which source supports …?": the best answering sentence that cites something, among
    those within `sentence_margin` of the best, and the references it cites."""
    for c in candidates:
        if c.score < candidates[0].score - corpus.settings.query.sentence_margin:
            break
        refs = corpus.references_for(c.hit.passage, [c.index])
        if refs:
            return sourced(corpus, question, c.hit.passage, c.index, refs, c.score)
    return None


def sourced(corpus: Corpus, question: str, passage: Passage, index: int, refs: tuple[Reference, ...],
            score: float) -> Answer:
    """One cited sentence followed by the entries of the works it cites."""
    s = passage.sentences[index]
    quote = passage.text[s.start : s.end]
    label = "Sources" if len(refs) > 1 else "Source"
    text = f"{quote} [1] {label}: " + " ".join(r.raw for r in refs)
    citation = Citation(1, passage, quote, score, refs, quoted=index)
    return Answer(question, text, False, (citation,), glossary=tuple(corpus.terms_in(quote)))
