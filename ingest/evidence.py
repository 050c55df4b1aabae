"""The evidence gathered about candidate terms in one pass over a corpus (see ingest/terms.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from index.glossary import term_key

Kind = Literal["concept", "person", "other"]


@dataclass
class Prose:
    """A sentence as words: markup resolved, code and literals replaced by boundaries."""

    text: str
    marked: list[tuple[str, str]]  # (term, shown text) from :term:/:dfn: roles
    emphasised: list[str]
    phrases: str  # the text for noun-phrase counting: an emphasised single word is a boundary
    literals: list[str]  # single words written as code


@dataclass
class DefSite:
    """A sentence that defines a candidate: how strongly, and where."""

    strength: float
    passage: int
    sentence: int
    surface: str


@dataclass
class Harvest:
    """Everything the corpus says about possible terms."""

    # key -> [count, passages, last passage, documents, last document, count in a noun position]
    stats: dict[str, list[int]] = field(default_factory=dict)
    defs: dict[str, list[DefSite]] = field(default_factory=dict)
    marked: Counter[str] = field(default_factory=Counter)
    surfaces: dict[str, Counter[str]] = field(default_factory=dict)  # for defined and marked keys
    aliases: dict[str, Counter[str]] = field(default_factory=dict)
    compounds: set[str] = field(default_factory=set)
    people: dict[str, Person] = field(default_factory=dict)
    solo_caps: Counter[str] = field(default_factory=Counter)  # capitalised words standing alone
    first_surface: dict[str, str] = field(default_factory=dict)  # n-gram key -> its first spelling
    lower_mid: set[str] = field(default_factory=set)  # one-word keys seen in lower case mid-sentence
    emphasised: Counter[str] = field(default_factory=Counter)  # one-word keys written *so* or ``so``: names
    sentences: int = 0  # sentences read as prose

    def note_surface(self, key: str, surface: str) -> None:
        self.surfaces.setdefault(key, Counter())[surface] += 1

    def add_def(self, surface: str, site: DefSite) -> str | None:
        key = term_key(surface)
        if not key:
            return None
        self.defs.setdefault(key, []).append(site)
        self.note_surface(key, surface)
        return key


@dataclass
class Person:
    """A capitalised name and the cues that it names a person."""

    name: str  # as written, longest form
    strong: float = 0.0  # "(born ...)", "the historian X", "according to X", "Dr X"
    weak: float = 0.0  # middle initials
    neighbours: set[str] = field(default_factory=set)  # names listed with this one
    defs: list[DefSite] = field(default_factory=list)
    cue_sites: list[DefSite] = field(default_factory=list)


@dataclass
class Chosen:
    """A term being built: its key, the names it goes by, where it is defined."""

    key: str
    surface: str
    kind: Kind
    defs: list[DefSite] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    score: float = 0.0
