"""Cut a document into passages: whole sentences, a few at a time, each with its provenance.

Paragraphs are packed together while they fit `max_chars`; a longer paragraph is cut
into windows of whole sentences that overlap by `overlap_sentences`. Headings are
not passages: they name the section of the passages under them (and, with their
levels, the section path). Noise paragraphs (boilerplate, contents pages, figure
text, formulas) become passages of kind "noise", which are shown but never embedded
or quoted; a code block becomes one passage of kind "code", kept whole.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from functools import cached_property

from index.models import Document, Passage, PassageKind, Provenance, Sentence
from index.settings import Settings
from index.words import word_key
from ingest.citations import AuthorYear
from ingest.noise import is_noise_sentence, noise_reason
from ingest.text import LAID_OUT, Block, BlockKind, clean, sentence_spans

# A "sentence" longer than this (a 5 MB line, a table flattened to one line) is cut at
# whitespace so that no passage grows without bound.
MAX_SENTENCE_CHARS = 2000


@dataclass
class Unit:
    """A sentence of the document: its span, its display text and the markers it carried."""

    start: int
    end: int
    text: str
    refs: tuple[str, ...]


@dataclass
class Para:
    """A paragraph ready to be packed into passages."""

    start: int
    end: int
    units: list[Unit]
    section: str
    noise: str | None = None
    after_gap: bool = False  # follows a wide blank gap: a passage starts here
    duplicates: list[Provenance] = field(default_factory=list)
    section_path: tuple[str, ...] = ()
    code: bool = False  # a code or console block: one unit, never cut into sentences

    @cached_property
    def key(self) -> str:
        """Normalised text used to recognise the same paragraph in another document."""
        return word_key(" ".join(u.text for u in self.units))

    @cached_property
    def chars(self) -> int:
        return sum(len(u.text) + 1 for u in self.units)


def _units(text: str, start: int, end: int, markers: bool, cites: AuthorYear | None = None) -> list[Unit]:
    """The sentences of a span, each with the labels it cites: its [n] markers (taken out of the
    text when `markers`) and the author-year citations `cites` finds in it ("White (1980)")."""
    out = []

    def unit(s: int, e: int) -> Unit:
        shown, labels = clean(text[s:e], markers)
        if cites:
            labels += [label for label in cites.labels(shown) if label not in labels]
        return Unit(s, e, shown, tuple(labels))

    for s, e in sentence_spans(text, start, end):
        while e - s > MAX_SENTENCE_CHARS:
            cut = text.rfind(" ", s, s + MAX_SENTENCE_CHARS)
            cut = cut if cut > s else s + MAX_SENTENCE_CHARS
            out.append(unit(s, cut))
            s = cut + 1 if text[cut : cut + 1] == " " else cut
        last = unit(s, e)
        if last.text:
            out.append(last)
    return out


# Why blocks of these kinds are kept out of answers (shown marked in the reader).
NOISE_KINDS: dict[BlockKind, str] = {
    "navigation": "navigation (contents, index)",
    "figure": "figure or table text",
    # A caption describes a figure; quoted as an answer it stood in for the text that answers.
    "caption": "figure or table caption",
    "math": "formula",
    "markup": "markup (a reST directive, label or comment)",
}
# The label of an admonition box (DocBook's, Sphinx's), set like a heading: it opens a note, not a
# section, so the text after the box stays in the section it was in (Debian Reference's "Note"
# became the section of every paragraph up to the next heading). Plurals stay sections: Python's
# enum and subprocess documents have a "Notes" section, and a man page its "SEE ALSO".
_ADMONITION = re.compile(r"(?:note|tip|hint|warning|caution|important|attention|danger|notice)[:.]?", re.I)


def paragraphs(doc: Document, blocks: list[Block], skip: set[int], markers: bool,
               cites: AuthorYear | None = None) -> list[Para]:
    """The document's paragraphs (reference-list blocks skipped), each knowing its section path and noise;
    `markers`: the document's [n] markers are taken out of the text; `cites` links its author-year citations."""
    paras: list[Para] = []
    path: list[tuple[int, str]] = []  # (level, heading) from the outermost down
    for i, b in enumerate(blocks):
        if i in skip:
            continue
        section = path[-1][1] if path else ""
        titles = tuple(t for _, t in path)
        if b.kind in LAID_OUT:  # one unit, as laid out
            body = doc.text[b.start : b.end].rstrip()
            if body.strip():
                unit = Unit(b.start, b.start + len(body), body, ())
                paras.append(Para(b.start, b.start + len(body), [unit], section, NOISE_KINDS.get(b.kind),
                                  b.after_gap, section_path=titles, code=b.kind == "code"))
            continue
        units = _units(doc.text, b.start, b.end, markers, cites)
        if not units:
            continue
        if b.heading and not is_noise_sentence(units[0].text):
            title = " ".join(u.text for u in units)
            if _ADMONITION.fullmatch(title.strip()):
                continue
            # A heading of unknown level (plain text) replaces the innermost one, as it always did.
            level = b.level or (path[-1][0] if path else 1)
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, title))
            continue
        reason = NOISE_KINDS.get(b.kind) or noise_reason([u.text for u in units])
        if b.heading and reason is None:
            reason = "attribution"
        paras.append(Para(b.start, b.end, units, section, reason, b.after_gap or b.kind == "footnote",
                          section_path=titles))
    return paras


def _passage(
    doc: Document, units: list[Unit], kind: PassageKind, first: Para, also: list[Provenance], note: str = ""
) -> Passage:
    parts: list[str] = []
    sentences: list[Sentence] = []
    pos = 0
    page = doc.page_at(units[0].start)
    for u in units:
        if parts:
            pos += 1
        own = doc.page_at(u.start)
        later = own if own != page else None  # carried over a page break
        sentences.append(Sentence(pos, pos + len(u.text), u.refs, later, doc.page_label(later) if later else None))
        parts.append(u.text)
        pos += len(u.text)
    text = " ".join(parts)
    start, end = units[0].start, units[-1].end
    digest = hashlib.sha1(f"{doc.id}\x00{start}\x00{text}".encode()).hexdigest()[:12]
    return Passage(
        id=f"p{digest}",
        at=Provenance(doc.id, doc.title, page, start, end, doc.page_label(page)),
        text=text,
        sentences=tuple(sentences),
        kind=kind,
        section=first.section,
        also=tuple(also),
        note=note,
        section_path=first.section_path,
    )


def _merge_duplicates(paras: list[Para]) -> list[Provenance]:
    """One provenance per other document, spanning the duplicated paragraphs of this passage."""
    by_doc: dict[str, list[Provenance]] = {}
    for p in paras:
        for d in p.duplicates:
            by_doc.setdefault(d.document, []).append(d)
    merged = []
    for provs in by_doc.values():
        first = min(provs, key=lambda x: x.start)
        merged.append(replace(first, end=max(x.end for x in provs)))
    return merged


def _windows(units: list[Unit], settings: Settings) -> list[list[Unit]]:
    """Windows of whole sentences up to max_chars, consecutive ones sharing overlap sentences."""
    out: list[list[Unit]] = []
    i = 0
    while i < len(units):
        window = [units[i]]
        size = len(units[i].text)
        j = i + 1
        while j < len(units) and size + 1 + len(units[j].text) <= settings.build.max_chars:
            window.append(units[j])
            size += 1 + len(units[j].text)
            j += 1
        out.append(window)
        if j >= len(units):
            break
        i = max(i + 1, j - settings.build.overlap_sentences)
    return out


def pack(doc: Document, paras: list[Para], settings: Settings) -> list[Passage]:
    """Pack paragraphs into passages of whole sentences, never across sections, wide gaps or noise."""
    passages: list[Passage] = []
    group: list[Para] = []

    def flush() -> None:
        if not group:
            return
        units = [u for p in group for u in p.units]
        also = _merge_duplicates(group)
        if sum(len(u.text) + 1 for u in units) <= settings.build.max_chars:
            passages.append(_passage(doc, units, "body", group[0], also))
        else:
            for window in _windows(units, settings):
                passages.append(_passage(doc, window, "body", group[0], also))
        group.clear()

    for p in paras:
        if p.noise or p.code:
            flush()
            kind: PassageKind = "code" if p.code and not p.noise else "noise"
            passages.append(_passage(doc, p.units, kind, p, [], note=p.noise or ""))
            continue
        if group and (
            p.after_gap
            or p.section != group[0].section
            or doc.page_at(p.start) != doc.page_at(group[0].start)
            or sum(g.chars for g in group) + p.chars > settings.build.max_chars
            or p.chars > settings.build.max_chars
        ):
            flush()
        group.append(p)
        if p.chars > settings.build.max_chars:
            flush()
    flush()
    return passages
