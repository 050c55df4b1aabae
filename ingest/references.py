"""Find a document's reference list, parse its entries, and read BibTeX files.

Detection is deliberately conservative: a run of blocks is a reference list only
when its entries carry the marks of citations (an author written "Surname, Given",
a date in parentheses, a quoted title, identifiers, volume/issue/pages, a
publisher) and, for numbered lists, the numbers follow one another. Numbered prose,
code and reST text lack those marks and are left alone.

Entries are parsed in ingest/reference_parse.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from itertools import islice, pairwise

from index.bibtex import citation_key, read_bibtex, unique_keys
from index.models import Reference
from ingest.reference_parse import (
    AUTHOR_START,
    CORPORATE_START,
    LABEL,
    NATBIB_START,
    backlink_label,
    looks_like_reference,
    parse_reference,
)
from ingest.text import Block

__all__ = ["find_references", "parse_bibtex", "parse_reference"]

# --- finding the list -----------------------------------------------------------------

HEADINGS = {
    "references", "reference", "bibliography", "notes", "works cited", "sources", "citations",
    "footnotes", "endnotes", "literature", "literature cited", "references cited", "cited works",
    "notes and references", "references and notes", "sources cited", "further reading",
}
# An unnumbered (APA, Chicago author-date) entry starts with its author(s) and a date.
_UNNUMBERED_START = re.compile(
    rf"(?:{AUTHOR_START.pattern[1:]}).{{0,400}}?(?:\(\s*(?:\d{{4}}|n\.d\.)|\.\s\d{{4}}[a-z]?\.)"
    rf"|{NATBIB_START.pattern}"  # "L. Breiman. Title …, 2001.": the year comes last
    rf"|{CORPORATE_START.pattern}"  # "R Development Core Team (2008)."
)
_YEAR_SUFFIX = re.compile(r"\((?:1[5-9]|20)\d\d([a-z])\)|\.\s(?:1[5-9]|20)\d\d([a-z])\.")
_MAX_ENTRY = 1000  # characters; longer "entries" are prose paragraphs


def _heading_text(block_text: str) -> str:
    """A block's text as a heading name: "## References:" -> "references"."""
    first = block_text.strip().split("\n", 1)[0].replace("[edit]", "")
    return re.sub(r"^[#=*\s\d.]+|[\s:*#=]+$", "", first).strip().lower()


def _join(lines: list[str]) -> str:
    """Join the lines of a wrapped entry: at a trailing hyphen or slash (split word, DOI, URL) no space."""
    out = ""
    for line in (ln.strip() for ln in lines):
        if not line:
            continue
        glued = out.endswith(("-", "–", "/")) or (_OPEN_LINK.search(out) and _LINK_GOES_ON.match(line))
        out += line if not out or glued else " " + line
    return re.sub(r"\s+", " ", out)


# A DOI or URL wrapped at a line end goes on in lower case or digits: "doi:10.18637/jss." + "v020.i02."
_OPEN_LINK = re.compile(r"(?:\b10\.\d{4,9}/|https?://)\S*[.()\[_]$")
_LINK_GOES_ON = re.compile(r"[a-z0-9(_]")


def _ends_entry(line: str) -> bool:
    """Whether a line can be the last of an entry: it ends a sentence or with a link or DOI."""
    line = line.rstrip()
    link = re.search(r"(?:https?://|doi:|\b10\.\d{4,9}/)\S+$", line)
    return line.endswith((".", ")", ">")) or link is not None


def _entries(block_text: str) -> tuple[str, list[tuple[str | None, str]]]:
    """Split a block into entries. Returns the list kind ("numbered" or "plain") and (label, text) pairs.

    In a numbered block every labelled line starts an entry. In an unnumbered block a
    line starts an entry when it is not indented past the first line (hanging indents
    mark continuations) and looks like "Surname, I. (Year)"; without hanging indents the line
    before must also have ended the previous entry (a period, a bracket, a link or a DOI).
    """
    lines = [ln for ln in block_text.split("\n") if ln.strip()]
    if not lines:
        return "plain", []
    first = LABEL.match(lines[0])
    numbered = first is not None
    base_indent = len(lines[0]) - len(lines[0].lstrip())
    hanging = any(len(ln) - len(ln.lstrip()) > base_indent for ln in lines)
    groups: list[tuple[str | None, list[str]]] = []
    for line in lines:
        m = LABEL.match(line)
        if numbered and m and _same_list(first, m, groups[-1][0] if groups else None):
            groups.append((m.group("bracket") or m.group("dot"), [line[m.end() :]]))
            continue
        indent = len(line) - len(line.lstrip())
        starts = (
            not numbered
            and indent <= base_indent
            and _UNNUMBERED_START.match(line.strip()) is not None
            and (not groups or hanging or _ends_entry(groups[-1][1][-1]))
        )
        if starts or not groups:
            groups.append((None, [line]))
        else:
            groups[-1][1].append(line)
    return ("numbered" if numbered else "plain"), [(label, _join(ls)) for label, ls in groups]


def _same_list(first: re.Match[str] | None, label: re.Match[str], last: str | None) -> bool:
    """Whether a labelled line starts the next entry of the list the first line opened: labelled as
    it is ("[36]" lists are not broken by a wrapped line reading "1965) p. 105."), and in a list
    labelled "12." or "12)" only by the next number, since a wrapped line may start with one too."""
    if first is None or not _same_style(first, label):
        return False
    return label.group("bracket") is not None or last is None or _number(label) == int(last) + 1


class _Run:
    """Consecutive blocks that may form one reference list."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.blocks: list[int] = []
        self.entries: list[tuple[str | None, str]] = []

    @property
    def last_number(self) -> int | None:
        label = self.entries[-1][0] if self.entries else None
        return int(label) if label is not None else None


def _numbers_follow(entries: list[tuple[str | None, str]], after: int | None) -> bool:
    nums = [int(label) for label, _ in entries if label is not None]
    if after is not None:
        nums.insert(0, after)
    return all(b == a + 1 for a, b in pairwise(nums))


_DATED = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)\b|\bn\.\s?d\.|\bdoi\b|\bISBN\b|10\.\d{4,9}/", re.I)


def _pieces(texts: list[str]) -> list[tuple[list[int], str]]:
    """Blocks, an entry broken across two of them (a page or column break, a wide line gap) read as one:
    "… of continuous covariates:" then "Parsimonious parametric modelling. Applied Statistics, 1994.";
    in a numbered list also "[40] … Zh. Eksp. Teor. Fiz." then "61, 118 (1971)." when "[41]" comes next."""
    out: list[tuple[list[int], str]] = []
    for i, block_text in enumerate(texts):
        # The blocks after this one are read only when an entry ends on an abbreviation (a lazy
        # slice: copying them for every block was quadratic in the document's blocks).
        if (out and out[-1][0][-1] == i - 1 and block_text.strip()
                and _continues(out[-1][1], block_text, islice(texts, i + 1, None))):
            indexes, joined = out[-1]
            out[-1] = ([*indexes, i], joined.rstrip() + "\n" + block_text.lstrip())
        else:
            out.append(([i], block_text))
    return out


def _continues(before: str, block_text: str, after: Iterable[str]) -> bool:
    """Does `block_text` open with the rest of the entry `before` ends on? Bounded by the longest entry
    (the last entry of `before` and the lines of `block_text` before its own first entry), so a run of
    unpunctuated blocks never grows into one text."""
    if LABEL.match(block_text) or _UNNUMBERED_START.match(block_text.strip()):
        return False
    lines = before.rstrip().split("\n")
    starts = [n for n, line in enumerate(lines) if LABEL.match(line) or _UNNUMBERED_START.match(line.strip())]
    if not starts or starts[0] != 0:  # only a block that opens with an entry goes on in the next
        return False
    tail = "\n".join(lines[starts[-1]:])
    own = block_text.split("\n")
    first = next((n for n, line in enumerate(own) if LABEL.match(line)), len(own))
    if len(tail) + len("\n".join(own[:first])) > _MAX_ENTRY:
        return False
    if not _ends_entry(tail):
        return True
    # An entry that ends on an abbreviation ("Fiz.") goes on when the next entry's number comes next.
    label = LABEL.match(lines[starts[-1]])
    upcoming = own[first] if first < len(own) else next((t for t in after if t.strip()), "")
    following = LABEL.match(upcoming)
    return (label is not None and following is not None and _same_style(label, following)
            and _number(following) == _number(label) + 1)


def _number(label: re.Match[str]) -> int:
    return int(label.group("bracket") or label.group("dot"))


def _same_style(a: re.Match[str], b: re.Match[str]) -> bool:
    """Are two list labels written alike: both "[12]", or both "12." / "12)"?"""
    return (a.group("bracket") is None) == (b.group("bracket") is None)


def _runs(texts: list[str]) -> list[_Run]:
    """Group blocks into candidate runs: numbered entries counting up, or unnumbered citation-like entries."""
    runs: list[_Run] = []
    cur: _Run | None = None
    for indexes, block_text in _pieces(texts):
        i = indexes[0]
        if cur is None and not _DATED.search(block_text):
            # A list starts with a dated entry: outside a list, a block with no year, "n.d." or
            # identifier is skipped without the costly entry split (most blocks are prose or code).
            continue
        kind, entries = _entries(block_text)
        ok = bool(entries) and all(len(t) <= _MAX_ENTRY for _, t in entries)
        if kind == "numbered":
            ok = ok and _numbers_follow(entries, None)
        else:
            # Unnumbered entries have nothing else tying them together: each must look like one.
            ok = ok and all(
                _UNNUMBERED_START.match(t) and looks_like_reference(t) for _, t in entries
            )
        if not ok:
            cur = None
            continue
        continues = (
            cur is not None
            and cur.kind == kind
            and cur.blocks[-1] == i - 1
            and (kind == "plain" or _numbers_follow(entries, cur.last_number))
        )
        if not continues:
            cur = _Run(kind)
            runs.append(cur)
        assert cur is not None
        cur.blocks.extend(indexes)
        cur.entries.extend(entries)
    return runs


def _accept(run: _Run, under_heading: bool) -> bool:
    """Whether a run is a reference list: mostly citation-like entries, and two or more unless headed."""
    n = len(run.entries)
    if n < (1 if under_heading else 2):
        return False
    good = sum(1 for _, t in run.entries if looks_like_reference(t))
    return good * 2 >= n if under_heading else good * 3 >= n * 2


_BULLET = re.compile(r"^[-*+•▪◦‣]\s+(?=\S)")


def find_references(document: str, text: str, blocks: list[Block]) -> tuple[list[Reference], set[int]]:
    """Detect the reference list(s) of a document; return the parsed references and the blocks consumed.

    A heading such as "References" or "Notes" right before a list is consumed with it.
    Numbered entries are labelled by their number; unnumbered ones "Surname" + year
    ("Jervis1978", with a/b suffixes when repeated).
    """
    # A list's bullet is no part of an entry: Markdown's "- Zeileis A (2004). …" is an author-year entry.
    texts = [_BULLET.sub("", text[b.start : b.end], count=1) for b in blocks]
    refs: list[Reference] = []
    consumed: set[int] = set()
    for run in _runs(texts):
        first = run.blocks[0]
        headed = first > 0 and _heading_text(texts[first - 1]) in HEADINGS
        if not _accept(run, headed):
            continue
        consumed.update(run.blocks)
        if headed:
            consumed.add(first - 1)
        if run.kind == "numbered":
            refs.extend(parse_reference(t, label or "", document) for label, t in run.entries)
        else:
            refs.extend(_author_year_labelled(document, [t for _, t in run.entries]))
    return _distinct(document, refs), consumed


def _distinct(document: str, refs: list[Reference]) -> list[Reference]:
    """Keep ids unique when two lists of a document reuse labels ("Notes" and "References" both
    from 1): the first list keeps its labels, which inline markers resolve to; later ones get "1b"."""
    seen: set[str] = set()
    out = []
    for ref in refs:
        label, n = ref.label, 1
        while label in seen:
            label, n = ref.label + backlink_label(n), n + 1
        seen.add(label)
        out.append(ref if label == ref.label else replace(ref, label=label, id=f"{document}#{label}"))
    return out


def _author_year_labelled(document: str, entries: list[str]) -> list[Reference]:
    """Parse unnumbered entries and label them Surname+Year, keeping a written "1978a" suffix."""
    parsed = [parse_reference(t, "", document) for t in entries]
    keys = []
    for ref in parsed:
        key = citation_key(ref.authors, ref.year, ref.title)
        m = _YEAR_SUFFIX.search(ref.raw)
        keys.append(key + (m.group(1) or m.group(2)) if m and ref.year else key)
    return [
        replace(ref, label=label, id=f"{document}#{label}")
        for ref, label in zip(parsed, unique_keys(keys), strict=True)
    ]


# --- BibTeX -------------------------------------------------------------------------


def parse_bibtex(document: str, text: str, problems: list[str] | None = None) -> list[Reference]:
    """Parse a BibTeX file (with bibtexparser); each entry becomes a Reference labelled by its key;
    entries left out and fields cut are described in `problems`, a line each."""
    return read_bibtex(document, text, problems)
