"""Follow-up questions: "When did he write it?" resolved against the previous turn before retrieval.

A pronoun that stands for a person ("he", "his", "her") becomes the first person of the glossary
that the previous answer (else the previous question) names; "it"/"its" becomes the first other
glossary term of the previous question (else of its answer). A question that names a person or a
term of its own keeps its pronouns: they are taken to point there. The resolved question is what
is searched for, and the app shows it, so a wrong guess is seen and can be asked again in full.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.models import GlossaryEntry

_PERSON = re.compile(r"\b(?P<w>he|she|him|his|her)\b", re.I)
_THING = re.compile(r"\b(?P<w>it|its)\b", re.I)
_POSSESSIVE = {"his", "her", "its"}  # "her" is taken as possessive: "her book", "her view"


@dataclass(frozen=True)
class Turn:
    """What a later question can refer back to: a question as it was searched for, and its answer."""

    question: str
    answer: str


@dataclass(frozen=True)
class FollowUp:
    """A question as asked, as resolved (the same text when nothing was resolved), and what stood for what."""

    asked: str
    resolved: str
    meanings: tuple[tuple[str, str], ...] = ()  # (pronoun as written, what it stands for)

    @property
    def changed(self) -> bool:
        return self.resolved != self.asked


TermsIn = Callable[[str], Sequence[GlossaryEntry]]


def _first(entries: Sequence[GlossaryEntry], person: bool) -> GlossaryEntry | None:
    return next((e for e in entries if (e.kind == "person") == person), None)


def _name(entry: GlossaryEntry, person: bool) -> str:
    # A concept written in lower case reads as a noun phrase: "it" -> "the security dilemma".
    return entry.term if person or not entry.term[:1].islower() else f"the {entry.term}"


def resolve(question: str, previous: Turn | None, terms_in: TermsIn) -> FollowUp:
    """The question with its pronouns replaced by what the previous turn was about (if anything)."""
    text = " ".join(question.split())
    if previous is None:
        return FollowUp(question, text)
    own = terms_in(text)
    found: dict[bool, str] = {}
    for person, pattern in ((True, _PERSON), (False, _THING)):
        if _first(own, person) is not None or not pattern.search(text):
            continue
        entry = (_first(terms_in(previous.answer), person) or _first(terms_in(previous.question), person)
                 if person else
                 _first(terms_in(previous.question), person) or _first(terms_in(previous.answer), person))
        if entry is not None:
            found[person] = _name(entry, person)
    meanings: list[tuple[str, str]] = []

    for person, pattern in ((True, _PERSON), (False, _THING)):
        if person not in found:
            continue
        name = found[person]

        def swap(match: re.Match[str], name: str = name) -> str:
            word = match.group("w")
            meanings.append((word, name))
            return f"{name}'s" if word.lower() in _POSSESSIVE else name

        text = pattern.sub(swap, text)
    if meanings:
        text = text[:1].upper() + text[1:]
    return FollowUp(question, text, tuple(dict.fromkeys(meanings)))
