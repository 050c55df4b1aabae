"""The things that flow through Sourcebook, one dataclass each.

Provenance is data: a passage carries its document, page and character span from
the moment it is cut, so no later layer reconstructs a citation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

# body: prose, embedded and quoted; code: a code or console block, kept whole and shown as code;
# noise: shown marked (boilerplate, contents pages, figure text, formulas), never embedded or quoted.
PassageKind = Literal["body", "noise", "heading", "code"]


@dataclass(frozen=True)
class Document:
    """One source file as ingested: its normalised text and where each page starts."""

    id: str  # stable: the path relative to the corpus root
    path: str
    title: str
    sha256: str
    text: str  # normalised text; passage offsets index into it
    page_starts: tuple[int, ...] = ()  # offset of page 1, 2, ... (empty when the format has no pages)
    source: str | None = None
    licence: str | None = None
    page_labels: tuple[str | None, ...] = ()  # the label printed on page 1, 2, ... (None: unknown)
    # The running header, footer and page-number lines taken out of each page's text.
    page_margins: tuple[tuple[str, ...], ...] = ()

    def page_at(self, offset: int) -> int | None:
        """1-based page holding character `offset`, or None for page-less formats."""
        if not self.page_starts:
            return None
        page = 1
        for i, start in enumerate(self.page_starts):
            if start <= offset:
                page = i + 1
            else:
                break
        return page

    def page_label(self, page: int | None) -> str | None:
        """The label printed on a 1-based page ("28", "iv"), or None when unknown."""
        if page is None or not 0 < page <= len(self.page_labels):
            return None
        return self.page_labels[page - 1]


@dataclass(frozen=True)
class Provenance:
    """Where a passage's text stands: a document, a page and a character span in its text."""

    document: str
    title: str
    page: int | None
    start: int
    end: int
    page_label: str | None = None  # the page's printed label, when it has one


@dataclass(frozen=True)
class QuestionHeading:
    """A heading that asks a question ("7.2 How can I save my workspace?"): the section it heads
    and the question as embedded (numbering left out). Its answer is the text under it."""

    document: str
    path: tuple[str, ...]
    question: str


# A citation that fits several entries equally ("Zeileis 2006" beside a 2006a and a 2006b) cites
# their labels joined by this: "Zeileis2006a|Zeileis2006b".
AMBIGUOUS = "|"


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage: its span in the passage text and the reference labels it cites.
    `page` (and its printed label) is set when the sentence starts on a later page than its passage
    (a paragraph carried over a page break); None means the passage's own page."""

    start: int
    end: int
    refs: tuple[str, ...] = ()
    page: int | None = None
    page_label: str | None = None

    def to_row(self) -> list[Any]:
        """[start, end, refs] (and page, label when the sentence has a page of its own)."""
        row: list[Any] = [self.start, self.end, list(self.refs)]
        return [*row, self.page, self.page_label] if self.page is not None else row

    @classmethod
    def from_row(cls, row: list[Any]) -> Sentence:
        return cls(row[0], row[1], tuple(row[2]), *row[3:5])


@dataclass(frozen=True)
class Passage:
    """A retrievable cut of a document, a few sentences long, with its provenance.

    `text` is what a reader sees and what is quoted: inline reference markers are
    removed from it and kept in `sentences[i].refs`. `also` lists the other places
    the same text stands (duplicates merged at ingestion).
    """

    id: str
    at: Provenance  # where the text stands: document, title, page (and its label), character span
    text: str
    sentences: tuple[Sentence, ...] = ()
    kind: PassageKind = "body"
    section: str = ""
    also: tuple[Provenance, ...] = ()
    note: str = ""  # why a "noise" passage is noise ("boilerplate", "truncated snippet", ...)
    section_path: tuple[str, ...] = ()  # the headings above the passage, outermost first

    # Its own provenance, read through: a passage is always somewhere.
    @property
    def document(self) -> str:
        return self.at.document

    @property
    def title(self) -> str:
        return self.at.title

    @property
    def page(self) -> int | None:
        return self.at.page

    @property
    def page_label(self) -> str | None:
        """The printed label of `page` ("28" for PDF page 32), None if unknown."""
        return self.at.page_label

    @property
    def start(self) -> int:
        return self.at.start

    @property
    def end(self) -> int:
        return self.at.end

    @property
    def provenances(self) -> tuple[Provenance, ...]:
        """Every place this text stands, its own first."""
        return (self.at, *self.also)

    def sentence_texts(self) -> list[str]:
        return [self.text[s.start : s.end] for s in self.sentences]

    def page_of(self, sentence: int) -> tuple[int | None, str | None]:
        """(PDF page, printed label) where a sentence of the passage starts."""
        s = self.sentences[sentence] if 0 <= sentence < len(self.sentences) else None
        return (s.page, s.page_label) if s is not None and s.page is not None else (self.page, self.page_label)

    def location_json(self) -> dict[str, Any]:
        """The passage's id, provenance and text, as `ask --json` and `search --json` print them."""
        return {"passage_id": self.id, "document": self.document, "title": self.title, "page": self.page,
                "page_label": self.page_label, "section": list(self.section_path) or None,
                "start": self.start, "end": self.end, "text": self.text}

    @property
    def refs(self) -> tuple[str, ...]:
        """Reference labels cited anywhere in the passage, in order of first citation."""
        seen: dict[str, None] = {}
        for s in self.sentences:
            for r in s.refs:
                seen.setdefault(r, None)
        return tuple(seen)


@dataclass(frozen=True)
class Reference:
    """One entry of a document's reference list (or of a BibTeX file), parsed."""

    id: str  # unique in the bundle: "<document>#<label>"
    document: str
    label: str
    raw: str
    authors: tuple[str, ...] = ()
    year: str | None = None
    date: str | None = None
    title: str | None = None
    container: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    publisher: str | None = None
    doi: str | None = None
    isbn: str | None = None
    issn: str | None = None
    jstor: str | None = None
    s2cid: str | None = None
    hdl: str | None = None
    url: str | None = None
    # The id of the entry of a library export (.bib, CSL-JSON) that filled in its missing fields.
    library: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Every field, as the bundle stores it (from_dict reads it back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reference:
        """A stored reference; fields a newer version added, and this one lacks, are left out."""
        data = dict(data)
        data["authors"] = tuple(data.get("authors") or ())
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of a reference in `ask --json` and `refs --json`."""
        return {
            "label": self.label,
            "authors": list(self.authors) or None,
            "year": self.year,
            "title": self.title,
            "container": self.container,
            "volume": self.volume,
            "issue": self.issue,
            "pages": self.pages,
            "doi": self.doi,
            "isbn": self.isbn,
            "issn": self.issn,
            "jstor": self.jstor,
            "url": self.url,
            "raw": self.raw,
            "library": self.library,
        }


@dataclass(frozen=True)
class Citation:
    """A numbered citation of an answer: the passage and the sentence(s) quoted from it.
    `quoted` is the index of the first quoted sentence: its page is the citation's page."""

    marker: int
    passage: Passage
    quote: str
    score: float
    references: tuple[Reference, ...] = ()
    quoted: int = 0

    @property
    def page(self) -> int | None:
        return self.passage.page_of(self.quoted)[0]

    @property
    def page_label(self) -> str | None:
        return self.passage.page_of(self.quoted)[1]

    def to_json(self) -> dict[str, Any]:
        return {
            "marker": self.marker,
            **self.passage.location_json(),
            "page": self.page,
            "page_label": self.page_label,
            "quote": self.quote,
            "score": round(float(self.score), 4),
            "references": [r.to_json() for r in self.references],
        }


@dataclass(frozen=True)
class GlossaryCitation:
    passage_id: str
    document: str
    page: int | None
    page_label: str | None = None


@dataclass(frozen=True)
class GlossaryEntry:
    """A term of the corpus with a definition quoted from a cited passage."""

    term: str
    kind: Literal["concept", "person", "other"]
    definition: str
    citation: GlossaryCitation | None
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    mention_passages: tuple[str, ...] = ()
    mention_count: int = 0
    curated: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Every field, as the bundle stores it (from_dict reads it back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GlossaryEntry:
        cit = data.get("citation")
        return cls(
            term=data["term"], kind=data["kind"], definition=data["definition"],
            citation=GlossaryCitation(**cit) if cit else None,
            aliases=tuple(data.get("aliases", ())), related=tuple(data.get("related", ())),
            mention_passages=tuple(data.get("mention_passages", ())), mention_count=data.get("mention_count", 0),
            curated=bool(data.get("curated", False)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "kind": self.kind,
            "aliases": list(self.aliases),
            "definition": self.definition,
            "citation": asdict(self.citation) if self.citation else None,
            "related": list(self.related),
            "mentions": {"count": self.mention_count, "passages": list(self.mention_passages)},
        }

    def to_short_json(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "definition": self.definition,
            "citation": asdict(self.citation) if self.citation else None,
        }


@dataclass(frozen=True)
class SearchHit:
    """A passage returned by search, with its score (higher is better)."""

    passage: Passage
    score: float
    row: int = -1  # the passage's row in the bundle's vectors (-1: not from the index)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.passage.location_json(),
            "score": round(float(self.score), 4),
        }


@dataclass(frozen=True)
class Answer:
    """An extractive answer: sentences quoted from the corpus, each with its marker [n]."""

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    glossary: tuple[GlossaryEntry, ...] = ()
    nearest: tuple[SearchHit, ...] = field(default=())  # shown when abstaining
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """The documented, stable `ask --json` object."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "glossary": [g.to_short_json() for g in self.glossary],
        }
