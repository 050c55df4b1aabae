"""A reference manager's export beside the documents: CSL-JSON read, and parsed entries enriched.

Zotero, Mendeley and JabRef export a library as BibTeX (index/bibtex.py reads it) or as
CSL-JSON (read here). An entry parsed from a document's reference list that matches a
library entry — the same first author's family name, the same year and the same title
(or one title the start of the other: a list may shorten it) — takes the fields it lacks
from the library entry (DOI, ISBN, URL, venue, numbers, the full title), and keeps the
library entry's id in `Reference.library`, so the match is shown.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from index.models import Reference
from index.words import surname_key, title_key
from ingest.readers import InputError

_FILLED = ("title", "container", "volume", "issue", "pages", "publisher", "doi", "isbn", "issn", "url")
_MIN_PREFIX = 24  # a shortened title must keep this many characters to match the full one


def _text(value: Any) -> str | None:
    if isinstance(value, list):  # CSL allows a list for ISBN and ISSN
        value = value[0] if value else None
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def _author(person: Any) -> str | None:
    if not isinstance(person, dict):
        return None
    if literal := _text(person.get("literal")):
        return literal
    family, given = _text(person.get("family")), _text(person.get("given"))
    if family and given:
        return f"{family}, {given}"
    return family or given


def _year(item: dict[str, Any]) -> str | None:
    issued = item.get("issued")
    if isinstance(issued, dict):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            return str(parts[0][0])
        raw = _text(issued.get("raw") or issued.get("literal"))
        return raw[:4] if raw and raw[:4].isdigit() else None
    return None


def parse_csl_json(document: str, text: str) -> list[Reference]:
    """A CSL-JSON library (a list of items, each with a type): one Reference per item, labelled by its id."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list) or not any(isinstance(i, dict) and "type" in i for i in items):
        raise InputError("not a CSL-JSON library (a list of items, each with a type)")
    refs: list[Reference] = []
    seen: set[str] = set()
    for n, item in enumerate(i for i in items if isinstance(i, dict)):
        label = _text(item.get("id")) or _text(item.get("citation-key")) or f"item{n + 1}"
        if label in seen:
            continue
        seen.add(label)
        authors = tuple(a for a in (_author(p) for p in item.get("author") or []) if a)
        title = _text(item.get("title"))
        year = _year(item)
        raw = ". ".join(x for x in ("; ".join(authors), f"({year})" if year else None, title,
                                    _text(item.get("container-title"))) if x)
        refs.append(Reference(
            id=f"{document}#{label}", document=document, label=label, raw=raw or label, authors=authors, year=year,
            title=title, container=_text(item.get("container-title")), volume=_text(item.get("volume")),
            issue=_text(item.get("issue")), pages=_text(item.get("page")), publisher=_text(item.get("publisher")),
            doi=_text(item.get("DOI")), isbn=_text(item.get("ISBN")), issn=_text(item.get("ISSN")),
            url=_text(item.get("URL")),
        ))
    return refs


def _same_title(a: str | None, b: str | None) -> bool:
    ka, kb = title_key(a or ""), title_key(b or "")
    if not ka or not kb:
        return False
    short, long = sorted((ka, kb), key=len)
    return ka == kb or (len(short) >= _MIN_PREFIX and long.startswith(short))


def match(ref: Reference, library: list[Reference]) -> Reference | None:
    """The library entry that is the same work as a parsed entry, when exactly one is."""
    if not ref.authors or not ref.year:
        return None
    first = surname_key(ref.authors[0])
    found = [e for e in library if e.year == ref.year and e.authors and surname_key(e.authors[0]) == first
             and _same_title(ref.title, e.title)]
    return found[0] if len(found) == 1 else None


def enrich(refs: list[Reference], library: list[Reference]) -> list[Reference]:
    """The parsed entries, each matching one library entry given the fields it lacks (a longer
    title the list shortened) and the library entry's id."""
    if not library:
        return refs
    out = []
    for ref in refs:
        entry = match(ref, library)
        if entry is None:
            out.append(ref)
            continue
        changes: dict[str, Any] = {f: getattr(entry, f) for f in _FILLED if not getattr(ref, f) and getattr(entry, f)}
        if ref.title and entry.title and len(title_key(entry.title)) > len(title_key(ref.title)):
            changes["title"] = entry.title
        out.append(replace(ref, library=entry.id, **changes))
    return out
