"""Abstain: whether the corpus answers at all, or the answer would be a guess."""

from __future__ import annotations

from index.models import SearchHit
from index.query.rank import Ranked
from index.query.sentences import expands
from index.query.subjects import names_any
from index.query.understand import QUESTION_WORDS, Question
from index.settings import Settings
from index.words import content_words

ABSTAIN_TEXT = "The corpus does not answer this question."


def unnamed_subjects(ranked: Ranked, depth: int = 3) -> tuple[str, ...]:
    """The names the question asks about (ranked.subjects) that none of the best `depth` candidates'
    passages names, in its text or its section titles: "Which port does PostgreSQL listen on?"
    asked of the Python docs, which name PostgreSQL, but nowhere near a port."""
    if not ranked.subjects:
        return ()
    near = [c.hit.passage for c in ranked.candidates[:depth]]
    read = " ".join([p.text for p in near] + [t for p in near for t in p.section_path or (p.section,)])
    return () if names_any(read, ranked.subjects) else ranked.subjects


def abstain_reason(settings: Settings, question: Question, ranked: Ranked, hits: list[SearchHit],
                   heading_matched: bool = False) -> str:
    """Why the corpus does not answer, or "" when it does.

    A restated question heading says the corpus answers, as does a sentence that expands the
    abbreviation a question asks about ("What is weave short for?"). Unknown: the question names something
    no passage names ("Excel", "GARCH"), and no sentence is very close (`abstain_unknown_name`).
    Elsewhere: what it names stands in the corpus but not in the passages that would answer, and
    no sentence is close (`abstain_unnamed_subject`).

    Too far: the best sentence is below `abstain_below`. Off-topic: below `abstain_unless_words`,
    not one content word of the question stands in the retrieved passages ("What is ratcheting
    in secure communication?" finds "security" passages by meaning alone)."""
    if heading_matched:
        return ""
    if question.expands and ranked.candidates and expands(ranked.candidates[0].text, question.expands):
        return ""  # the sentence that says what the abbreviation stands for answers
    best_cos = ranked.best_cos
    if question.unknown_names and best_cos < settings.query.abstain_unknown_name:
        return f"the corpus never names {', '.join(question.unknown_names)}"
    if best_cos < settings.query.abstain_unnamed_subject and (missing := unnamed_subjects(ranked)):
        return f"the passages found never name {', '.join(missing)}"
    if best_cos < settings.query.abstain_below:
        return f"best sentence similarity {best_cos:.2f} < {settings.query.abstain_below}"
    if best_cos < settings.query.abstain_unless_words:
        words = content_words(question.text) - QUESTION_WORDS
        found = set().union(*(content_words(h.passage.text) for h in hits)) if hits else set()
        if words and not words & found:
            return f"similarity {best_cos:.2f} and no word of the question in the passages"
    return ""
