"""What Sourcebook knows of a sentence on its own: what kind of answer it holds, and the sentence
a pronoun at its start points back to. Its content words are index/words.py::content_words."""

from __future__ import annotations

import re

from index.models import Passage

_PRONOUN_START = re.compile(r"^(?:he|she|it|they|this|these|those|its|his|her|their|such)\b", re.I)
_YEAR_OR_DATE = re.compile(
    r"\b(?:1[0-9]{3}|20[0-9]{2})\b|\b(?:January|February|March|April|May|June|July|August|September|"
    r"October|November|December)\b"
)
_NAME = re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][a-z]+(?: [A-Z]\.)? [A-Z][a-z]+")
_NUMBER = re.compile(r"\d")
_EXPANSION = re.compile(r"\bstands? for\b|\bshort for\b|\babbreviat|\bacronym\b", re.I)


def expected_type_bonus(question: str, sentence: str) -> float:
    """A small bonus when a sentence holds what the question asks for: a date, a name, a number,
    an expansion for "What is X short for?". (A reason for "Why …?", by "because", "since", "thus",
    lost more than it found on the Python docs: "Since ** has higher precedence …".)"""
    q = question.lower()
    if re.match(r"\s*(when|what year|which year|in what year|in which year)\b", q):
        return 1.0 if _YEAR_OR_DATE.search(sentence) else 0.0
    if re.match(r"\s*(who|whom|which (?:\w+ )?(?:scholar|person|author|historian|scientist))\b", q):
        return 1.0 if _NAME.search(sentence) else 0.0
    if re.match(r"\s*how (many|much|long|old|significant|large|big|fast)\b", q):
        return 1.0 if _NUMBER.search(sentence) else 0.0
    if re.search(r"\b(?:short|stand|stands) for\b|\babbreviat", q):
        return 1.0 if _EXPANSION.search(sentence) else 0.0
    return 0.0


_EXPANSION_CUE = re.compile(r"^.{0,60}?\b(?:stands? for|(?:is )?short for|abbreviat\w*|means)\b", re.I | re.S)


def expands(sentence: str, term: str) -> bool:
    """Does a sentence say what an abbreviation stands for: the term followed closely by "stands for",
    "short for" ("weave() (which stands for weighted empirical adaptive variance estimators)"), or
    beside words whose initials spell it ("generalized additive models (GAMs)")?"""
    found = re.search(rf"(?<![\w]){re.escape(term)}(?![\w])", sentence, re.I)
    if found is None:
        return False
    if _EXPANSION_CUE.search(sentence[found.end() :]):
        return True
    letters = term[:-1].lower() if term[:-1].isupper() and term.endswith("s") else term.lower()  # "GAMs"
    if not 2 <= len(letters) <= 8:
        return False
    name = re.escape(term)
    before = re.search(rf"((?:[^\W\d_]+[\s-]+)+)\(\s*{name}\s*\)", sentence, re.I)  # words (TERM)
    inside = re.search(rf"{name}\s*\(([^()]{{3,160}})\)", sentence, re.I)  # TERM (words)
    return (before is not None and _initials(before.group(1)).endswith(letters)) or (
        inside is not None and _initials(inside.group(1)) == letters)


_SMALL = frozenset({"and", "of", "the", "for", "in", "on", "a", "an", "to", "with", "by", "or"})


def _initials(words: str) -> str:
    return "".join(w[0].lower() for w in re.findall(r"[^\W\d_]+", words) if w.lower() not in _SMALL)


def in_context(passage_sentences: list[str], i: int, section: str) -> str:
    """A sentence as embedded for scoring: led by its section heading, and by the sentence before
    when it opens with a pronoun ("He is the ..."), so that it is scored for what it is about."""
    text = with_antecedent(passage_sentences, i)
    return f"{section}: {text}" if section else text


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


