"""In-text author-year citations linked to the document's reference entries.

"White (1980)", "(MacKinnon and White 1985; Andrews 1991)", "Bates et al. (2015)",
"Newey and West (1987, 1994)", "(see Greene 1993, p. 3)", "(Zeileis 2006b)": each year in
parentheses is read with the names that go with it — the piece of the parenthesis since the
last ";" when it holds a name, else the words just before the parenthesis — and linked to the
entry of that year whose first author is named there (co-authors and a written "2006a"/"2006b"
decide between entries). A year with no such entry links nothing: prose years ("in 1979")
name no author of the list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from index.models import AMBIGUOUS, Reference
from index.words import casefold_key, fold_accents, surname_as_written

_YEAR = re.compile(r"(?<![\w.])((?:1[5-9]|20)\d\d)([a-z])?(?![\w])")
_NOT_NAMES = frozenset({"and", "et", "al", "see", "eg", "ie", "cf", "also", "among", "others", "in", "the",
                        "of", "for", "with", "by", "jr", "sr", "ii", "iii", "van", "von", "der", "den", "de",
                        "du", "da", "di", "del", "della", "le", "la", "ter", "ten", "te", "package"})
_NARRATIVE_CHARS = 80  # how far before "(1980)" the names of a narrative citation are looked for


def _name_words(author: str) -> frozenset[str]:
    """The words an in-text citation may name an author by: "Cribari-Neto F" -> {cribari, neto},
    "van der Loo M" -> {loo}, "R Core Team" -> {core, team}."""
    words = casefold_key(fold_accents(surname_as_written(author))).split()
    return frozenset(w for w in words if len(w) > 1 and w not in _NOT_NAMES)


@dataclass(frozen=True)
class _Entry:
    label: str
    suffix: str  # "a" of a written "2006a", else ""
    first: frozenset[str]
    coauthors: tuple[frozenset[str], ...]


class AuthorYear:
    """The author-year entries of one document, looked up by the years a sentence cites."""

    def __init__(self, refs: Iterable[Reference]) -> None:
        self._by_year: dict[str, list[_Entry]] = {}
        for r in refs:
            if not r.year or not r.authors or r.label[:1].isdigit():
                continue
            first = _name_words(r.authors[0])
            if not first:
                continue
            suffix = m.group(1) if (m := re.search(rf"{r.year}([a-z])\b", r.label)) else ""
            coauthors = tuple(w for w in (_name_words(a) for a in r.authors[1:3]) if w)
            self._by_year.setdefault(r.year, []).append(_Entry(r.label, suffix, first, coauthors))

    def __bool__(self) -> bool:
        return bool(self._by_year)

    def labels(self, sentence: str) -> list[str]:
        """The labels of the entries a sentence cites, in order of citation, each once."""
        out: list[str] = []
        for m in _YEAR.finditer(sentence):
            entries = self._by_year.get(m.group(1))
            if not entries:
                continue
            names = _names_before(sentence, m.start())
            if names is None:
                continue
            words = set(casefold_key(fold_accents(names)).split())
            label = _best(entries, words, m.group(2) or "", "et al" in names)
            if label is not None and label not in out:
                out.append(label)
        return out


def _names_before(sentence: str, at: int) -> str | None:
    """The text naming the authors of the year at `at`, or None when the year stands outside parentheses."""
    left = sentence[:at]
    opened = left.rfind("(")
    if opened < 0 or left.rfind(")") > opened:
        return None
    inside = left[opened + 1 :]
    piece = inside[inside.rfind(";") + 1 :]
    if re.search(r"[^\W\d_]{2}", piece):
        return piece  # parenthetical: "(see MacKinnon and White 1985"
    before = left[max(0, opened - _NARRATIVE_CHARS) : opened]  # narrative: "MacKinnon and White (1985"
    return before[max(before.rfind(";"), before.rfind(")"), before.rfind("(")) + 1 :]


def _best(entries: list[_Entry], words: set[str], suffix: str, et_al: bool) -> str | None:
    """The entry whose first author is named, preferring the one whose co-authors are named too
    (and, without "et al.", none left unnamed); a written suffix must agree. Entries that fit
    equally well ("Zeileis 2006" with a 2006a and a 2006b) give an ambiguous label, "A|B"
    (AMBIGUOUS), which the audit reports and an answer shows as either."""
    scored: list[tuple[int, str]] = []
    for e in entries:
        if (suffix and e.suffix and e.suffix != suffix) or not e.first & words:
            continue
        named = sum(1 for c in e.coauthors if c & words)
        missing = 0 if et_al else len(e.coauthors) - named
        scored.append((named - missing, e.label))
    if not scored:
        return None
    top = max(score for score, _ in scored)
    return AMBIGUOUS.join(label for score, label in scored if score == top)
