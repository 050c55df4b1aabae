"""Question headings: when a question restates a heading of the corpus, the answer is the text under it.

FAQs, manuals and help pages are written as questions with their answers below
("7.2 How can I save my workspace?"). A reader who asks that question wants what
follows the heading, even when another passage shares more of its words. The match
is by meaning (the question's vector against the heading's, numbering left out),
and it must be clear: above `heading_match` and ahead of the next heading by
`heading_margin`, so that a question near several headings is answered as usual.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from index.models import Passage, QuestionHeading

_NUMBERING = re.compile(r"^\s*(?:(?:\d{1,3}|[A-Z])(?:\.\d{1,3})*\.?|Q\d*[.:])\s+")
_ASKS = re.compile(
    r"\?\s*$|^(?:how|what|why|when|where|which|who|whom|whose|can|could|is|are|was|were|does|do|did|should|"
    r"shall|will|would|may|must|has|have)\b",
    re.I,
)


@dataclass(frozen=True)
class SectionMatch:
    """A heading the question restates: its document, its section path and the cosine."""

    document: str
    path: tuple[str, ...]
    score: float


def heading_question(heading: str) -> str | None:
    """The question a heading asks, numbering left out ("7.2 How can I …?" -> "How can I …?"); None when
    the heading asks nothing ("Introduction")."""
    text = _NUMBERING.sub("", heading).strip()
    return text if text and _ASKS.search(text) else None


def question_headings(passages: Iterable[Passage]) -> list[QuestionHeading]:
    """Every section of the passages whose heading asks a question, once, in reading order."""
    found: dict[tuple[str, tuple[str, ...]], QuestionHeading] = {}
    for p in passages:
        key = section_of(p)
        asked = heading_question(key[1][-1]) if key[1] else None
        if asked and key not in found:
            found[key] = QuestionHeading(p.document, key[1], asked)
    return list(found.values())


def section_of(p: Passage) -> tuple[str, tuple[str, ...]]:
    """(document, section path) of a passage, the key of its question heading."""
    return p.document, p.section_path or ((p.section,) if p.section else ())


def match_section(qvec: np.ndarray, headings: Sequence[QuestionHeading], vectors: np.ndarray,
                  threshold: float, margin: float, retrieved: Collection[tuple[str, tuple[str, ...]]]
                  ) -> SectionMatch | None:
    """The question heading of the corpus that the question restates, if one clearly does: at least
    `threshold` in cosine, `margin` ahead of the best heading that asks something else, and heading
    a section that retrieval found too (`retrieved`: (document, path) of the hits). Short questions
    about one subject sit close together ("How stable is Python?", "What about Python 1.6?"):
    on the Python docs, every heading matched without its text among the hits was the wrong one."""
    if not len(headings):
        return None
    scores = vectors @ qvec
    order = np.argsort(-scores)
    best = headings[order[0]]
    # The same question heading in two documents (a copy) is not a rival.
    runner = next((float(scores[i]) for i in order[1:] if headings[i].question != best.question), 0.0)
    if float(scores[order[0]]) < threshold or float(scores[order[0]]) - runner < margin:
        return None
    if (best.document, best.path) not in retrieved:
        return None
    return SectionMatch(best.document, best.path, float(scores[order[0]]))
