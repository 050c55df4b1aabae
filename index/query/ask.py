"""A question answered: the stages run one way, each handing the next its dataclass."""

from __future__ import annotations

import numpy as np

from index.models import Answer
from index.query.abstain import ABSTAIN_TEXT, abstain_reason
from index.query.compose import (
    compose,
    definition_first,
    glossary_answer,
    lead_with_first,
    select,
    with_introduced,
    with_what_follows,
)
from index.query.corpus import Corpus
from index.query.rank import rank_sentences
from index.query.retrieve import retrieve
from index.query.sources import named_work, supporting_sources, work_answer, work_findings
from index.query.understand import QUESTION_WORDS, normalised, understand


def answer_question(corpus: Corpus, text: str, k: int | None = None) -> Answer:
    """An extractive, cited answer, or an abstention with the nearest passages."""
    asked = normalised(text)
    if not asked:
        return Answer(" ".join(text.split()), "Please ask a question in words.", True, message="empty question")
    asked = asked[:2000]  # the model reads at most a few hundred tokens anyway
    vector: np.ndarray = corpus.encode_query(asked)
    question = understand(asked, vector, corpus.terms, corpus.knows)
    retrieved = retrieve(corpus, question, k)
    ranked = rank_sentences(corpus, question, retrieved)
    candidates = ranked.candidates
    if question.about_work and (about := work_answer(corpus, question, candidates)) is not None:
        return about
    if (work := named_work(corpus, question)) is not None and (
            found := work_findings(corpus, question, work, candidates)) is not None:
        return found
    # A restated question heading says the corpus answers, whatever the sentences' cosines.
    reason = abstain_reason(corpus.settings, question, ranked, retrieved.hits,
                            heading_matched=retrieved.section is not None and bool(candidates))
    if reason:
        defined = glossary_answer(corpus, question.text)
        if defined is not None:
            return defined
        return Answer(question.text, ABSTAIN_TEXT, True, nearest=tuple(retrieved.hits[:3]), message=reason)
    chosen = definition_first(question.asked, candidates,
                              select(candidates, corpus.settings, question.text, QUESTION_WORDS,
                                     ranked.subjects), corpus.settings)
    if retrieved.section is not None and retrieved.hits:
        chosen = lead_with_first(chosen, candidates, retrieved.hits[0].passage.id,
                                 corpus.settings.query.answer_sentences)
    if question.asks_sources:
        sourced = supporting_sources(corpus, question.text, chosen[:1] + [c for c in candidates if c is not chosen[0]])
        if sourced is not None:
            return sourced
    chosen = with_introduced(chosen)
    text_out, citations = with_what_follows(*compose(chosen, corpus.references_for), corpus.store.next_passage)
    return Answer(question.text, text_out, False, tuple(citations), glossary=tuple(corpus.terms_in(text_out)))
