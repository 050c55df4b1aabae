"""The glossary at query time: look-up by term or alias, closest terms, and terms found in a text.

Terms are compared through a *key*: lower case, dashes and hyphens read as spaces,
apostrophes dropped, British spellings folded to American ones and plurals to a
common stem. "Offense–defense balance", "offence-defence balances" and
"offense defense balance" all have the key of "offense-defense balance". The key is
only ever compared, never shown. The ingestion side (ingest/glossary.py) uses the
same functions, so what it counts as a mention is what `find_in_text` finds. A term's
words and each word's key (TERM_WORD, norm_token) are index/words.py's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from index.models import GlossaryEntry
from index.words import TERM_WORD, norm_token, norm_tokens

DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
# What may stand between the words of one term in running text: spaces and dashes only,
# so "balance. Of power" is not "balance of power".
_GAP = re.compile(rf"[\s{re.escape(DASHES)}]{{1,3}}")
_INITIAL_GAP = re.compile(r"\.\s{1,2}")


def split_words(text: str) -> list[str]:
    """The words of a term, dashes and hyphens being separators."""
    return TERM_WORD.findall(text)


def term_key(text: str) -> str:
    """The key of a term or alias: its normalised words joined by single spaces."""
    return " ".join(norm_token(w) for w in split_words(text))


def compact_key(text: str) -> str:
    """The key without spaces: "file system" and "filesystem" meet here."""
    return term_key(text).replace(" ", "")


def bare_name(text: str) -> str:
    """A name's key without its initials ("John H. Herz" -> "john herz"), or "" when it has none
    or fewer than two words would be left."""
    words = term_key(text).split()
    kept = [w for w in words if len(w) > 1]
    return " ".join(kept) if len(kept) < len(words) and len(kept) >= 2 else ""


def fold(text: str) -> str:
    """Case, dash and whitespace folding only (no stemming): the first look-up tier."""
    text = text.casefold().replace("’", "'")
    for d in DASHES[1:]:
        text = text.replace(d, "-")
    return " ".join(text.split())


def is_acronym(text: str) -> bool:
    """"GIL", "MRO", "APIs": matched case-sensitively, so "GIL" never matches "gil"."""
    core = text[:-1] if text.endswith("s") and len(text) > 2 else text
    return 2 <= len(core) <= 8 and core.isupper() and core.isalpha()


class TermMatcher:
    """Finds names (token sequences) in text, longest match first, word-bounded.

    Each name maps to a value (an entry index). Acronym names match only in their own
    case; all other names match case-insensitively and across dash, spelling and plural
    variants.
    """

    def __init__(self, names: Iterable[tuple[str, int]]) -> None:
        self._first: dict[str, list[tuple[list[str], int, str | None]]] = {}
        seen: set[tuple[tuple[str, ...], int]] = set()
        for name, value in names:
            keys = tuple(norm_token(w) for w in split_words(name))
            if not keys or (keys, value) in seen:
                continue
            seen.add((keys, value))
            exact = name.strip() if is_acronym(name.strip()) else None
            self._first.setdefault(keys[0], []).append((list(keys), value, exact))
        for options in self._first.values():
            options.sort(key=lambda o: -len(o[0]))

    def iter_matches(self, text: str) -> Iterator[tuple[int, int, int]]:
        """Every non-overlapping match as (start, end, value), left to right."""
        found = list(TERM_WORD.finditer(text))
        keys = norm_tokens(m.group() for m in found)
        first = self._first
        n = len(found)
        i = 0
        while i < n:
            options = first.get(keys[i])
            if options is None:
                i += 1
                continue
            matched = 0
            for seq, value, exact in options:
                m = len(seq)
                if i + m <= n and keys[i : i + m] == seq and self._fits(text, found, i, m, exact):
                    yield found[i].start(), found[i + m - 1].end(), value
                    matched = m
                    break
            i += matched or 1

    @staticmethod
    def _fits(text: str, found: list[re.Match[str]], i: int, m: int, exact: str | None) -> bool:
        for j in range(i + 1, i + m):
            prev = found[j - 1]
            if _GAP.fullmatch(text, prev.end(), found[j].start()):
                continue
            # An initial keeps its period: "John H. Herz".
            initial = len(prev.group()) == 1 and prev.group().isupper()
            if not (initial and _INITIAL_GAP.fullmatch(text, prev.end(), found[j].start())):
                return False
        start, end = found[i].start(), found[i + m - 1].end()
        if exact is not None and found[i].group().rstrip("s") != exact.rstrip("s"):
            return False
        # Word-bounded: an identifier such as "generator_expr" or "os.path" is not a mention.
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        return before not in "_." and after != "_" and not (after == "." and text[end + 1 : end + 2].isalnum())


class Glossary:
    """Look-up over glossary entries: exact, alias, folded, then fuzzy."""

    def __init__(self, entries: Iterable[GlossaryEntry]) -> None:
        self.entries = list(entries)
        self._folded: dict[str, int] = {}
        self._keys: dict[str, int] = {}
        self._compact: dict[str, int] = {}
        self._bare: dict[str, int] = {}  # names without their initials: "John Herz" finds "John H. Herz"
        self._names: list[str] = []  # keys of every term and alias, for fuzzy matching
        self._name_entry: list[int] = []
        # Terms first, then aliases: an alias never shadows another entry's own term.
        for pass_aliases in (False, True):
            for i, e in enumerate(self.entries):
                for name in e.aliases if pass_aliases else (e.term,):
                    self._folded.setdefault(fold(name), i)
                    self._keys.setdefault(term_key(name), i)
                    self._compact.setdefault(compact_key(name), i)
                    if bare := bare_name(name):
                        self._bare.setdefault(bare, i)
                    self._names.append(term_key(name))
                    self._name_entry.append(i)
        self._matcher = TermMatcher(
            (name, i) for i, e in enumerate(self.entries) for name in (e.term, *e.aliases)
        )

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, term: str) -> GlossaryEntry | None:
        """The entry a term or alias names, tolerant of case, dashes, plurals and small misspellings."""
        if not term or not term.strip():
            return None
        found = self.exact(term)
        if found is not None:
            return found
        i = self._fuzzy(term_key(term))
        return self.entries[i] if i is not None else None

    def exact(self, term: str) -> GlossaryEntry | None:
        """The entry a term or alias names as written, up to case, dashes, plurals, spacing and
        a person's initials; no guessing at misspellings."""
        for table, key in (
            (self._folded, fold(term)),
            (self._keys, term_key(term)),
            (self._compact, compact_key(term)),
            (self._bare, term_key(term)),
        ):
            if key and key in table:
                return self.entries[table[key]]
        return None

    def _fuzzy(self, key: str) -> int | None:
        """A misspelt name: every word within a small edit distance of the matching name's word.

        Word by word, so "defensive realism" never turns into "offensive realism" (two
        edits in one word) while "secuirty dilema" still finds "security dilemma".
        """
        if len(key) < 4 or not self._names:
            return None
        words = key.split()
        for name, _score, idx in process.extract(key, self._names, scorer=fuzz.ratio, limit=10, score_cutoff=75):
            other = name.split()
            if len(other) != len(words):
                continue
            total = 0
            for a, b in zip(words, other, strict=True):
                d = OSA.distance(a, b)
                allowed = 0 if len(b) <= 3 else 1 if len(b) < 10 else 2
                if d > allowed:
                    break
                total += d
            else:
                if 0 < total <= 2 or total == 0:
                    return self._name_entry[idx]
        return None

    def closest(self, term: str, n: int = 5) -> list[str]:
        """The n terms whose names are nearest in spelling, best first (for "did you mean")."""
        if not self.entries:
            return []
        key = term_key(term) or fold(term)
        out: list[str] = []
        for _name, _score, idx in process.extract(key, self._names, scorer=fuzz.WRatio, limit=n * 4):
            t = self.entries[self._name_entry[idx]].term
            if t not in out:
                out.append(t)
            if len(out) == n:
                break
        return out

    def entries_sorted(self) -> list[GlossaryEntry]:
        """All entries A to Z, ignoring case and leading punctuation."""
        return sorted(self.entries, key=lambda e: (fold(e.term).lstrip("\"'`(<>.-_"), e.term))

    def find_in_text(self, text: str) -> list[tuple[int, int, GlossaryEntry]]:
        """Glossary terms in a text: the first occurrence of each, longest match first, by position."""
        found: dict[int, tuple[int, int]] = {}
        for start, end, i in self._matcher.iter_matches(text):
            found.setdefault(i, (start, end))
        return sorted(((s, e, self.entries[i]) for i, (s, e) in found.items()), key=lambda t: t[0])
