"""Curated glossary data: `<corpus folder>/glossary.toml`, read at every ingestion.

Curated data wins over extraction and survives re-ingestion, because it is applied
to the extracted entries each time (the file's hash is part of the index fingerprint,
so editing it triggers a rebuild). Format::

    # Terms never to show (matched by term or alias, ignoring case, dashes and plurals).
    hide = ["international relations theory"]

    # Change an extracted term: the table name is matched like a look-up.
    [terms."security dilemma"]
    definition = "..."             # replaces the extracted definition
    aliases = ["spiral model"]     # replaces the extracted aliases
    add_aliases = ["SD"]           # adds aliases, keeping the extracted ones
    kind = "concept"               # concept | person | other
    related = ["realism"]          # replaces the related terms
    passage = "p0123456789ab"      # cite this passage for the definition
    hidden = false                 # true: same as listing the term in `hide`

    # A term that extraction missed: a new entry (a definition is required).
    [terms."structural realism"]
    definition = "..."

A curated definition is cited when it stands verbatim (up to whitespace) in a body
passage, or when `passage` names one; otherwise it is shown without a citation.
The table name becomes the displayed spelling of the term. Entries touched by
curated data carry `curated=True`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from index.glossary import term_key
from index.models import GlossaryCitation, GlossaryEntry, Passage
from ingest.readers import InputError

FILENAME = "glossary.toml"
_KINDS = ("concept", "person", "other")
_KEYS = {"definition", "aliases", "add_aliases", "kind", "related", "passage", "hidden"}


class CuratedError(InputError):
    """glossary.toml cannot be used; str() says which file and why."""


@dataclass(frozen=True)
class CuratedTerm:
    term: str
    definition: str | None = None
    aliases: tuple[str, ...] | None = None
    add_aliases: tuple[str, ...] = ()
    kind: str | None = None
    related: tuple[str, ...] | None = None
    passage: str | None = None
    hidden: bool = False


@dataclass(frozen=True)
class Curated:
    terms: tuple[CuratedTerm, ...] = ()
    hide: tuple[str, ...] = ()

    def hidden_keys(self) -> set[str]:
        return {term_key(t) for t in self.hide} | {term_key(t.term) for t in self.terms if t.hidden}


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CuratedError(f"{where}: expected a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def parse(text: str, source: str = FILENAME) -> Curated:
    """Parse and validate glossary.toml text; CuratedError names the first problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CuratedError(f"{source}: not valid TOML ({exc})") from exc
    unknown = set(data) - {"hide", "terms"}
    if unknown:
        raise CuratedError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}; expected hide and [terms.\"...\"]")
    hide = _strings(data.get("hide", []), f"{source}: hide")
    tables = data.get("terms", {})
    if not isinstance(tables, dict):
        raise CuratedError(f"{source}: terms must be tables, as [terms.\"a term\"]")
    terms = []
    for name, t in tables.items():
        where = f"{source}: [terms.\"{name}\"]"
        if not isinstance(t, dict):
            raise CuratedError(f"{where}: expected a table")
        bad = set(t) - _KEYS
        if bad:
            raise CuratedError(f"{where}: unknown key(s) {', '.join(sorted(bad))}")
        if not term_key(name):
            raise CuratedError(f"{where}: the term has no words")
        kind = t.get("kind")
        if kind is not None and kind not in _KINDS:
            raise CuratedError(f"{where}: kind must be one of {', '.join(_KINDS)}")
        for k in ("definition", "passage"):
            if k in t and not isinstance(t[k], str):
                raise CuratedError(f"{where}: {k} must be a string")
        if "hidden" in t and not isinstance(t["hidden"], bool):
            raise CuratedError(f"{where}: hidden must be true or false")
        terms.append(
            CuratedTerm(
                term=name.strip(),
                definition=" ".join(t["definition"].split()) if "definition" in t else None,
                aliases=_strings(t["aliases"], f"{where} aliases") if "aliases" in t else None,
                add_aliases=_strings(t.get("add_aliases", []), f"{where} add_aliases"),
                kind=kind,
                related=_strings(t["related"], f"{where} related") if "related" in t else None,
                passage=t.get("passage"),
                hidden=bool(t.get("hidden", False)),
            )
        )
    return Curated(tuple(terms), hide)


def load(corpus_dirs: list[Path]) -> Curated:
    """The curated data of every corpus folder given to ingestion (later folders add to earlier ones)."""
    terms: list[CuratedTerm] = []
    hide: list[str] = []
    for d in corpus_dirs:
        f = d / FILENAME
        if d.is_dir() and f.is_file():
            try:
                c = parse(f.read_text(encoding="utf-8"), str(f))
            except UnicodeDecodeError as exc:
                raise CuratedError(f"{f}: not UTF-8 text") from exc
            terms.extend(c.terms)
            hide.extend(c.hide)
    return Curated(tuple(terms), tuple(hide))


def _cite(definition: str, passage_id: str | None, passages: list[Passage]) -> GlossaryCitation | None:
    if passage_id:
        for p in passages:
            if p.id == passage_id:
                return GlossaryCitation(p.id, p.document, p.page, p.page_label)
        raise CuratedError(f"{FILENAME}: passage {passage_id} does not exist in this corpus")
    want = " ".join(definition.split())
    for p in passages:
        if want in p.text:
            return GlossaryCitation(p.id, p.document, p.page, p.page_label)
    return None


def apply(entries: list[GlossaryEntry], curated: Curated, passages: list[Passage]) -> list[GlossaryEntry]:
    """Entries with curated changes applied, new curated entries added and hidden ones removed."""
    if not curated.terms and not curated.hide:
        return entries
    out = list(entries)
    by_key: dict[str, int] = {}
    for pass_aliases in (False, True):  # a term's own name wins over another entry's alias
        for i, e in enumerate(out):
            for name in e.aliases if pass_aliases else (e.term,):
                by_key.setdefault(term_key(name), i)
    for c in curated.terms:
        if c.hidden:
            continue
        found = by_key.get(term_key(c.term))
        if found is None:
            if not c.definition:
                raise CuratedError(
                    f"{FILENAME}: [terms.\"{c.term}\"] is not an extracted term, so it needs a definition"
                )
            out.append(GlossaryEntry(term=c.term, kind="concept", definition="", citation=None))
            found = by_key[term_key(c.term)] = len(out) - 1
        i = found
        e = out[i]
        aliases = list(c.aliases) if c.aliases is not None else list(e.aliases)
        aliases += [a for a in c.add_aliases if a not in aliases]
        definition, citation = e.definition, e.citation
        if c.definition:
            definition, citation = c.definition, _cite(c.definition, c.passage, passages)
        elif c.passage:
            citation = _cite(definition, c.passage, passages)
        kind = c.kind or e.kind
        out[i] = replace(
            e,
            term=c.term if term_key(c.term) == term_key(e.term) else e.term,
            kind=kind,  # type: ignore[arg-type]  # validated against _KINDS
            definition=definition,
            citation=citation,
            aliases=tuple(a for a in aliases if term_key(a) != term_key(e.term)),
            related=c.related if c.related is not None else e.related,
            curated=True,
        )
    hidden = curated.hidden_keys()
    return [e for e in out if not ({term_key(e.term), *map(term_key, e.aliases)} & hidden)]


def related_overrides(curated: Curated) -> dict[str, tuple[str, ...]]:
    """Curated `related` lists by term key: computed relations never replace them."""
    return {term_key(c.term): c.related for c in curated.terms if c.related is not None}


def strip_hidden(names: tuple[str, ...], hidden: set[str]) -> tuple[str, ...]:
    return tuple(n for n in names if term_key(n) not in hidden and not re.fullmatch(r"\s*", n))
