"""Citation audit: does every marker have an entry, every entry a citing sentence, every identifier a valid shape?

For each reference of the bundle the audit lists the sentences that cite it and
the problems of the entry itself (missing fields, identifiers failing their check
digit or syntax: `index.identifiers.check_reference`). Across the bundle it lists
markers with no entry in their document's list, entries never cited, and entries
that are the same work twice (same DOI, or same normalised title and year).

Runs offline: identifiers are checked by shape and check digit, never resolved.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from index.identifiers import check_reference
from index.models import AMBIGUOUS, Passage, Reference
from index.query.corpus import Corpus, sentences_once
from index.words import title_key


@dataclass(frozen=True)
class CitingSentence:
    """A sentence citing a reference (or carrying an unresolved marker)."""

    passage_id: str
    document: str
    sentence: str

    def to_json(self) -> dict[str, Any]:
        return {"passage_id": self.passage_id, "document": self.document, "sentence": self.sentence}


@dataclass(frozen=True)
class UnresolvedMarker:
    """A marker ("[9]") whose label has no entry in its document's reference list."""

    document: str
    label: str
    passage_id: str
    sentence: str

    def to_json(self) -> dict[str, Any]:
        return {"document": self.document, "label": self.label, "passage_id": self.passage_id,
                "sentence": self.sentence}


@dataclass(frozen=True)
class AmbiguousCitation:
    """A citation that fits two or more entries equally ("Zeileis 2006" beside a 2006a and a 2006b)."""

    document: str
    labels: tuple[str, ...]
    passage_id: str
    sentence: str

    def to_json(self) -> dict[str, Any]:
        return {"document": self.document, "labels": list(self.labels), "passage_id": self.passage_id,
                "sentence": self.sentence}


@dataclass(frozen=True)
class ReferenceAudit:
    """One reference with the sentences citing it and its own problems."""

    reference: Reference
    cited_by: tuple[CitingSentence, ...]
    problems: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        out = self.reference.to_json()
        out.update(id=self.reference.id, document=self.reference.document,
                   cited_by=[c.to_json() for c in self.cited_by], problems=list(self.problems))
        return out


@dataclass(frozen=True)
class Audit:
    """The citation audit of a bundle."""

    references: tuple[ReferenceAudit, ...] = ()
    unresolved_markers: tuple[UnresolvedMarker, ...] = ()
    uncited: tuple[str, ...] = ()  # reference ids
    duplicates: tuple[tuple[str, ...], ...] = field(default=())  # groups of reference ids, each sorted
    ambiguous: tuple[AmbiguousCitation, ...] = ()

    def by_id(self, ref_id: str) -> ReferenceAudit:
        return next(r for r in self.references if r.reference.id == ref_id)

    @property
    def clean(self) -> bool:
        return not (self.unresolved_markers or self.uncited or self.duplicates or self.ambiguous
                    or any(r.problems for r in self.references))

    def to_json(self) -> dict[str, Any]:
        return {
            "references": [r.to_json() for r in self.references],
            "unresolved_markers": [m.to_json() for m in self.unresolved_markers],
            "uncited": list(self.uncited),
            "duplicates": [list(g) for g in self.duplicates],
            "ambiguous": [a.to_json() for a in self.ambiguous],
        }

    def text(self) -> str:
        """A plain-text report for a terminal."""
        lines = [f"{len(self.references)} references audited"]
        for r in self.references:
            ref = r.reference
            head = f"[{ref.label}] {ref.title or ref.raw[:60]}" + (f" ({ref.year})" if ref.year else "")
            lines.append(f"{ref.document} {head}: cited by {len(r.cited_by)} sentence(s)"
                         + (f"; completed from {ref.library}" if ref.library else ""))
            lines.extend(f"    ! {p}" for p in r.problems)
        if self.unresolved_markers:
            lines.append("Markers with no reference entry:")
            lines.extend(f"    {m.document} [{m.label}] in {m.passage_id}: {_short(m.sentence)}"
                         for m in self.unresolved_markers)
        if self.ambiguous:
            lines.append("Citations that fit several entries:")
            lines.extend(f"    {a.document} {' or '.join(a.labels)} in {a.passage_id}: {_short(a.sentence)}"
                         for a in self.ambiguous)
        if self.uncited:
            lines.append("Entries never cited: " + ", ".join(self.uncited))
        if self.duplicates:
            lines.append("Duplicate entries:")
            lines.extend("    " + " = ".join(g) for g in self.duplicates)
        if self.clean:
            lines.append("No problems found.")
        return "\n".join(lines)


def _short(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# Identifiers as written in an entry's raw text. The parser only keeps values of a valid
# shape ("doi:10.12/x" has too short a registrant, "ISBN 978-0-691" too few digits), so an
# entry can mention a malformed identifier that never reaches the Reference's fields.
_RAW_IDENTIFIERS = {
    "doi": re.compile(r"(?:\bdoi:?\s*|https?://(?:dx\.)?doi\.org/)(?P<v>[^\s\"<>]+)", re.I),
    "isbn": re.compile(r"\bISBN(?:-1[03])?:?\s*(?P<v>[\dXx][\dXx-]*[\dXx]|\d)", re.I),
    "issn": re.compile(r"\b(?:e-?|p-?)?ISSN:?\s*(?P<v>[\dXx][\dXx-]*)", re.I),
}


def reference_problems(ref: Reference) -> list[str]:
    """`check_reference`, plus identifiers written in the raw entry that the parser could not keep."""
    problems = check_reference(ref)
    for name, pattern in _RAW_IDENTIFIERS.items():
        for m in pattern.finditer(ref.raw):
            value = m.group("v").strip().rstrip(".,;")
            if not value or value == getattr(ref, name):
                continue
            # Check the written value as if it had been parsed; keep only that identifier's problem.
            label = name.upper() + " "
            written = replace(ref, doi=value) if name == "doi" else (
                replace(ref, isbn=value) if name == "isbn" else replace(ref, issn=value))
            for p in check_reference(written):
                if p.startswith(label) and p not in problems:
                    problems.append(p)
    return problems


def _doi_key(doi: str) -> str:
    # DOIs are case-insensitive (DOI handbook 2.4); resolver prefixes are not part of them.
    return re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", doi.strip(), flags=re.I).lower()


def duplicate_groups(refs: list[Reference]) -> list[tuple[str, ...]]:
    """Groups of references that are the same work: same DOI, or same title and year (transitively)."""
    parent = {r.id: r.id for r in refs}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    keys: dict[tuple[str, str], str] = {}
    for r in refs:
        candidates = []
        if r.doi:
            candidates.append(("doi", _doi_key(r.doi)))
        if r.title and r.year and title_key(r.title):
            candidates.append(("title", f"{title_key(r.title)}|{r.year}"))
        for key in candidates:
            if key in keys:
                parent[find(r.id)] = find(keys[key])
            else:
                keys[key] = r.id
    groups: dict[str, list[str]] = defaultdict(list)
    for r in refs:
        groups[find(r.id)].append(r.id)
    return sorted(tuple(sorted(g)) for g in groups.values() if len(g) > 1)


def audit(corpus: Corpus) -> Audit:
    """Audit the references of a bundle against the sentences that cite them."""
    refs = corpus.references
    cited_by: dict[str, list[CitingSentence]] = defaultdict(list)
    unresolved: list[UnresolvedMarker] = []
    ambiguous: list[AmbiguousCitation] = []
    # Every passage kind: a marker in a heading or a passage marked as noise still needs an entry.
    passages: list[Passage] = list(corpus.store.all_passages(kind=None))
    prose_documents = {p.document for p in passages if p.kind == "body"}
    for p, i, text in sentences_once(passages):
        for label in dict.fromkeys(p.sentences[i].refs):
            if AMBIGUOUS in label:
                ambiguous.append(AmbiguousCitation(p.document, tuple(label.split(AMBIGUOUS)), p.id, text))
                continue
            ref = corpus.reference_for(p.document, label)
            if ref is None:
                unresolved.append(UnresolvedMarker(p.document, label, p.id, text))
            else:
                cited_by[ref.id].append(CitingSentence(p.id, p.document, text))
    audited = tuple(ReferenceAudit(r, tuple(cited_by.get(r.id, ())), tuple(reference_problems(r))) for r in refs)
    # A bibliography file (BibTeX) has no prose of its own: its entries cannot be cited
    # by a marker, so they are not reported as uncited.
    # An entry an ambiguous citation may mean is not "never cited": the ambiguity is the flag.
    maybe = {(a.document, label) for a in ambiguous for label in a.labels}
    uncited = tuple(r.id for r in refs if not cited_by.get(r.id) and r.document in prose_documents
                    and (r.document, r.label) not in maybe)
    return Audit(audited, tuple(unresolved), uncited, tuple(duplicate_groups(refs)), tuple(ambiguous))
