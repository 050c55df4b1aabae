"""Understand: what a question asks for, before anything is retrieved.

Its words and vector, whether it asks about a work (its DOI, its author, where it
appeared) or for the sources of a statement, and the glossary entry a "What is X?"
question names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index.glossary import Glossary
from index.models import GlossaryEntry
from index.words import NAME_WORD

# Questions about the bibliography rather than the subject.
SOURCE_QUESTION = re.compile(
    r"\b(?:which|what)\s+(?:sources?|references?|works?|study|studies|articles?|books?|papers?|publications?)\b"
    r"|\b(?:doi|isbn|issn|jstor)\b|\bwho\s+(?:wrote|authored|published|is the author)\b"
    r"|\bpublished\s+(?:in|by|where)\b|\bcit(?:e|es|ed|ation)\b|\bsource\b|\bwhich\s+(?:journal|publisher)\b",
    re.I,
)
# Of those, the ones that name a work and ask about it (its DOI, its author, where it appeared).
ABOUT_A_WORK = re.compile(
    r"\b(?:doi|isbn|issn|jstor)\b|\bwho\s+(?:wrote|authored|published|is the author)\b"
    r"|\bpublished\s+(?:in|by|where)\b|\bwhich\s+(?:journal|publisher)\b"
    r"|\b(?:when|what\s+year|which\s+year)\b.*\b(?:published|written|appear(?:ed)?)\b|\bauthors?\s+of\b"
    r"|\bwhich\s+(?:article|book|paper|work|study|report)\s+(?:in|from|of|by|on)\b.*\bcited\b",
    re.I,
)
# Words of a question's form, not of its subject: they say nothing about being on topic.
QUESTION_WORDS = frozenset({"mean", "meaning", "defin", "describ", "explain", "tell", "happen", "differ",
                            "difference"})
_DEFINITION_QUESTION = re.compile(
    r"^\s*(?:what|who)\s+(?:is|are|was|were)\s+(?:an?\s+|the\s+)?(?P<term>[^?]{2,80}?)\s*\??\s*$", re.I
)


@dataclass(frozen=True)
class Question:
    """A question as understood: its text, its vector and what kind of answer it wants."""

    text: str
    vector: np.ndarray
    about_work: bool  # "What is the DOI of …?", "Who wrote …?"
    asks_sources: bool  # "Which source supports …?"
    asked: GlossaryEntry | None  # the glossary entry "What is X?" names (forgiving look-up)
    # Names the question uses that no passage of the corpus contains ("Excel", "GARCH", "Driscoll-Kraay").
    unknown_names: tuple[str, ...] = ()
    # The names it asks about, each by its last word in lower case ("John H. Herz" -> "herz").
    subjects: tuple[str, ...] = ()
    # The abbreviation "What is X short for?" / "What does X stand for?" asks to expand.
    expands: str | None = None


# A word of the question, hyphens and apostrophes inside it ("Driscoll-Kraay"); unknown_names
# decides which are written as names.
_NAMED = re.compile(r"[^\W_](?:[\w'’-]*[^\W_])?")


def unknown_names(text: str, knows: Callable[[str], bool]) -> tuple[str, ...]:
    """The words of a question written as names that the corpus never writes: a question about
    something the corpus never names is one it cannot answer, however close its other words.
    Plain words ("stamps", "logarithmic") are left alone: paraphrases use words of their own."""
    out = []
    for n, m in enumerate(_NAMED.finditer(text)):
        word = m.group(0)
        for part in re.split(r"[-'’]", word):
            if part.isdigit():
                continue  # a number ("1978", "3") is not a name, even where only a reference list holds it
            inner = any(ch.isupper() for ch in part[1:]) or any(ch.isdigit() for ch in part)
            if len(part) > 1 and (inner or (n > 0 and part[:1].isupper())) and not knows(part):
                out.append(part)
    return tuple(dict.fromkeys(out))


_INITIAL = re.compile(r"^[A-Z]\.$")
_SYMBOL_NAME = re.compile(r"^[A-Z][#+]+$")  # "C#", "C++": a letter is a name by its symbols
_ENDS_SENTENCE = re.compile(r"(?:[?!]|[^\W\d]{2,}\.)[\"'”’)]*$")  # "up." and "up?", never "H." or "e.g."


def named_subjects(text: str) -> tuple[str, ...]:
    """The names a question asks about, each by its last word in lower case: runs of words written
    as names ("John H. Herz" -> "herz", "vcovHC", "Newey and West" -> "newey", "west"). A sentence's
    first word counts only when it is not a plain capitalised word ("What", "Does")."""
    out: list[str] = []
    run: list[str] = []
    words = text.split()
    for n, raw in enumerate([*words, ""]):
        word = re.sub(r"['’]s$", "", raw.strip("?!.,;:()[]\"'“”‘’"))  # "West's" -> "West"
        if _INITIAL.match(raw.strip("(),;:")) and run:
            continue  # "John H. Herz": the initial stays inside the name
        inner = any(ch.isupper() for ch in word[1:]) and any(ch.islower() for ch in word)
        opens = n == 0 or _ENDS_SENTENCE.search(words[n - 1]) is not None  # "…show up. Why does …"
        capital = word[:1].isupper() and not word.isdigit() and (not opens or inner)
        acronym = len(word) > 1 and word.isupper() and word.isalpha()
        if word and (capital or inner or acronym):
            run.append(word)
            if raw.endswith((",", ";", ":", "?", ".")):  # a name ends at its punctuation
                out.append(run[-1])
                run = []
            continue
        if run:
            out.append(run[-1])
            run = []
    # A name's key is its last word of two letters or more: "Driscoll-Kraay" -> "kraay", "as.Date" -> "date".
    keys = ([w.lower()] if _SYMBOL_NAME.match(w) else [t for t in NAME_WORD.findall(w.lower()) if len(t) > 1
                                                        and not t.isdigit()] for w in out)
    return tuple(dict.fromkeys(k[-1] for k in keys if k))


_EXPAND = re.compile(
    r"^\s*(?:what|which)\s+(?:is|does|do)\s+(?:the\s+)?(?:name\s+)?[\"'“‘]?(?P<term>[\w.+#-]+?)(?:\(\))?[\"'”’]?\s+"
    r"(?:short\s+for|stands?\s+for|an?\s+abbreviation\s+(?:of|for))\b|"
    r"^\s*what\s+is\s+the\s+(?:full\s+form|expansion|long\s+form)\s+of\s+[\"'“‘]?(?P<term2>[\w.+#-]+?)[\"'”’]?\s*\??\s*$",
    re.I)


def expansion_asked(text: str) -> str | None:
    """The abbreviation a question asks to expand: "What is weave short for?" -> "weave"."""
    m = _EXPAND.match(text)
    return (m.group("term") or m.group("term2")) if m else None


def normalised(text: str) -> str:
    """The question as asked, on one line; "" when it holds no word."""
    text = " ".join(text.split())
    return text if any(ch.isalnum() for ch in text) else ""


def understand(text: str, vector: np.ndarray, terms: Glossary, knows: Callable[[str], bool]) -> Question:
    """The question (normalised, at most 2,000 characters) with its intents; `knows` says whether
    the corpus's passages contain a word."""
    return Question(text, vector, bool(ABOUT_A_WORK.search(text)), bool(SOURCE_QUESTION.search(text)),
                    asked_entry(text, terms, strict=False), unknown_names(text, knows), named_subjects(text),
                    expansion_asked(text))


def asked_entry(question: str, terms: Glossary, strict: bool) -> GlossaryEntry | None:
    """The glossary entry a "What is X?" / "Who is X?" question asks about.

    strict: X must be (nearly all) a term or alias as written, because the answer then
    rests on the glossary alone; otherwise the forgiving look-up (case, dashes, misspellings)."""
    m = _DEFINITION_QUESTION.match(question)
    if not m:
        return None
    asked = m.group("term")
    if not strict:
        return terms.lookup(asked)
    found = [entry for s, e, entry in terms.find_in_text(asked) if e - s >= 0.8 * len(asked.strip())]
    return found[0] if found else terms.exact(asked.strip())
