"""BibTeX in and out, and the author-year keys shared with unnumbered reference lists.

Files are read and written by bibtexparser 2 (every value written enclosed in
braces); this module decides entry types, keys, field mapping and the LaTeX
escaping of values, which reading undoes.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares import SeparateCoAuthors
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, Field
from bibtexparser.writer import BibtexFormat
from pylatexenc.latex2text import LatexNodes2Text

from index.models import Reference
from index.words import surname_as_written

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"]
    )
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}(?:-\d{2})?$")
_MONTH_YEAR = re.compile(r"^([A-Za-z]+)\.?\s+\d{4}$")

# LaTeX specials in text fields. Braces become \{ \}: BibTeX counts them for balance
# like any brace, so they are only written when the value's braces balance (see _balance).
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def citation_key(authors: Sequence[str], year: str | None, title: str | None = None) -> str:
    """An author-year key, ASCII letters and digits only: ("Jervis, Robert",), "1978" -> "Jervis1978"."""
    base = surname_as_written(authors[0]) if authors else (title or "").split(" ", 1)[0]
    folded = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9]", "", folded) or "Ref"
    return f"{name}{year or 'nd'}"


def unique_keys(keys: Sequence[str]) -> list[str]:
    """Make keys unique APA-style: every key used more than once gets a, b, c... in order."""
    counts = Counter(keys)
    taken = {k for k, n in counts.items() if n == 1}
    next_suffix: Counter[str] = Counter()
    out: list[str] = []
    for key in keys:
        if counts[key] == 1:
            out.append(key)
            continue
        while True:  # skip suffixes that would collide with a key written as such ("Herz1950a")
            n = next_suffix[key]
            next_suffix[key] += 1
            candidate = key + _suffix(n)
            if candidate not in taken:
                break
        taken.add(candidate)
        out.append(candidate)
    return out


def _suffix(n: int) -> str:
    """0 -> "a", 25 -> "z", 26 -> "aa"."""
    letters = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(ord("a") + r) + letters
    return letters


def _balance(value: str) -> str:
    """Drop braces that have no partner, so the value can be enclosed in braces."""
    keep = [True] * len(value)
    stack: list[int] = []
    for i, ch in enumerate(value):
        if ch == "{":
            stack.append(i)
        elif ch == "}":
            if stack:
                stack.pop()
            else:
                keep[i] = False
    for i in stack:
        keep[i] = False
    return "".join(ch for ch, k in zip(value, keep, strict=True) if k)


def latex_escape(value: str) -> str:
    """Escape a text value (title, names, venue) for a braced BibTeX field; Unicode is kept as is."""
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in _balance(value))


def _verbatim(value: str) -> str:
    """Identifier fields (DOI, URL) are read verbatim by biblatex: only braces are made safe."""
    return value.replace("{", "%7B").replace("}", "%7D")


_ORGANISATION = re.compile(
    r"\b(?:and|Organi[sz]ation|Institute|Council|Committee|Agency|Association|Society|Ministry|Department|"
    r"Office|Group|Bank|Union|Nations|Foundation|University|Corporation|Commission|Cent(?:er|re)|Staff)\b"
)


def _name(author: str) -> str:
    # An organisation is braced so BibTeX neither splits "Simon and Schuster" into two
    # people nor files "World Health Organization" under "Organization".
    if _ORGANISATION.search(author) or ("," not in author and len(author.split()) > 3):
        return "{" + latex_escape(author) + "}"
    return latex_escape(author)


def entry_type(ref: Reference) -> str:
    """@article with a container and a volume, @book with a publisher or ISBN and no container, else @misc."""
    if ref.container and ref.volume:
        return "article"
    if (ref.publisher or ref.isbn) and not ref.container:
        return "book"
    return "misc"


def _fields(ref: Reference) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    if ref.authors:
        fields.append(("author", " and ".join(_name(a) for a in ref.authors)))
    if ref.title:
        fields.append(("title", latex_escape(ref.title)))
    if ref.container:
        # For @misc too: styles ignore fields they do not use, and the container survives a round trip.
        fields.append(("journal", latex_escape(ref.container)))
    if ref.year:
        fields.append(("year", latex_escape(ref.year)))
    if ref.date:
        if _ISO_DATE.match(ref.date):
            fields.append(("date", ref.date))  # biblatex's date field takes ISO 8601
        elif (m := _MONTH_YEAR.match(ref.date)) and m.group(1).lower() in _MONTHS:
            fields.append(("month", str(_MONTHS[m.group(1).lower()])))
    for key, value in (("volume", ref.volume), ("number", ref.issue)):
        if value:
            fields.append((key, latex_escape(value)))
    if ref.pages:
        fields.append(("pages", latex_escape(ref.pages.replace("–", "--").replace("—", "--"))))
    if ref.publisher:
        fields.append(("publisher", latex_escape(ref.publisher)))
    for key, value in (("doi", ref.doi), ("url", ref.url), ("hdl", ref.hdl)):
        if value:
            fields.append((key, _verbatim(value)))
    for key, value in (("isbn", ref.isbn), ("issn", ref.issn), ("s2cid", ref.s2cid)):
        if value:
            fields.append((key, latex_escape(value)))
    if ref.jstor:
        # biblatex's convention for JSTOR links; parse_bibtex also reads a plain `jstor` field.
        fields.append(("eprint", latex_escape(ref.jstor)))
        fields.append(("eprinttype", "jstor"))
    return fields


def to_bibtex(refs: Iterable[Reference]) -> str:
    """BibTeX for the references, one entry each, with unique Surname+Year keys."""
    refs = list(refs)
    keys = unique_keys([citation_key(r.authors, r.year, r.title) for r in refs])
    library = Library()
    for key, ref in zip(keys, refs, strict=True):
        fields = [Field(name, value) for name, value in _fields(ref)]
        library.add(Entry(entry_type(ref), key, fields))
    layout = BibtexFormat()
    layout.indent = "  "
    layout.block_separator = "\n"
    return bibtexparser.write_string(library, bibtex_format=layout)


# --- reading ---------------------------------------------------------------------------

# Text fields are LaTeX: decoded to Unicode ({\"u} -> ü, braces dropped). Identifier
# fields are verbatim (a "%" in a URL is not a LaTeX comment), so they are left alone.
_TEXT_FIELDS = {
    "title", "journal", "journaltitle", "booktitle", "publisher", "year", "volume", "number", "pages",
}
_DECODER = LatexNodes2Text(math_mode="verbatim")


def _decode(value: str) -> str:
    # Bare & and % are common in hand-written .bib files; read them as literal characters.
    value = re.sub(r"(?<!\\)([&%])", r"\\\1", value)
    text = _DECODER.latex_to_text(value).replace("\u02c6", "^").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip()


# bibtexparser logs its own "Parsing of … aborted" lines; Sourcebook reports failed entries itself.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
logging.getLogger("bibtexparser").propagate = False
MAX_FIELD_CHARS = 20_000  # a longer value is cut: decoding LaTeX grows faster than the text
MAX_PROBLEMS = 20  # problem lines reported a file; the rest are counted


def read_bibtex(document: str, text: str, problems: list[str] | None = None) -> list[Reference]:
    """Parse a BibTeX file with bibtexparser; each entry becomes a Reference labelled by its key.

    Authors are split on " and " by bibtexparser (braced groups kept whole), LaTeX
    in text fields is decoded, and "--" in pages becomes an en dash as LaTeX prints it.
    Entries bibtexparser cannot read, whose key repeats or is empty, are left out, each
    with one line in `problems`; a field over MAX_FIELD_CHARS is cut, with a line.
    """
    library = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors()])
    found: list[str] = []
    for block in library.failed_blocks:
        if isinstance(block, DuplicateBlockKeyBlock) and not block.key.strip():  # a second entry with no key
            found.append(f"entry at line {_line(block.start_line)} has no key: left out")
        elif isinstance(block, DuplicateBlockKeyBlock):
            found.append(f"entry at line {_line(block.start_line)} repeats the key {block.key!r}: left out")
        else:
            found.append(f"entry at line {_line(block.start_line)} could not be read (unbalanced braces or quotes): "
                         "left out")
    refs = []
    for entry in library.entries:
        if not entry.key.strip():
            found.append(f"entry at line {_line(entry.start_line)} has no key: left out")
            continue
        refs.append(_reference(document, entry, found))
    if problems is not None:
        problems.extend(found[:MAX_PROBLEMS])
        if len(found) > MAX_PROBLEMS:
            problems.append(f"and {len(found) - MAX_PROBLEMS} more problem(s) like these")
    return refs


def _line(start: int | None) -> str:
    """bibtexparser's 0-based start line as a person counts lines."""
    return str(start + 1) if start is not None else "?"


def _reference(document: str, entry: Entry, problems: list[str]) -> Reference:
    values: dict[str, str] = {}
    for f in entry.fields:
        key = f.key.lower()
        if isinstance(f.value, str) and f.value.strip():
            value = f.value
            if len(value) > MAX_FIELD_CHARS:
                problems.append(f"entry {entry.key}: field {key} is {len(value):,} characters; cut to "
                                f"{MAX_FIELD_CHARS:,}")
                value = value[:MAX_FIELD_CHARS]
            values[key] = _decode(value) if key in _TEXT_FIELDS else value.strip()

    def get(*keys: str) -> str | None:
        return next((values[k] for k in keys if values.get(k)), None)

    names_field = entry.fields_dict.get("author") or entry.fields_dict.get("editor")
    names = names_field.value if names_field is not None else []
    names = names if isinstance(names, list) else [names]
    authors = tuple(_decode(n) for n in names if n.strip() and n.strip().lower() != "others")
    date = get("date")
    eprint_type = (get("eprinttype") or "").lower()
    doi = get("doi")
    return Reference(
        id=f"{document}#{entry.key}",
        document=document,
        label=entry.key,
        raw=(entry.raw or "").strip(),
        authors=authors,
        year=get("year") or (date[:4] if date and date[:4].isdigit() else None),
        date=date,
        title=get("title"),
        container=get("journal", "journaltitle", "booktitle"),
        volume=get("volume"),
        issue=get("number", "issue"),
        pages=get("pages"),
        publisher=get("publisher"),
        # a DOI field holding a resolver link or a "doi:" prefix is reduced to the bare DOI
        doi=re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", doi, flags=re.I) if doi else None,
        isbn=get("isbn"),
        issn=get("issn"),
        jstor=get("jstor") or (get("eprint") if eprint_type == "jstor" else None),
        s2cid=get("s2cid"),
        hdl=get("hdl") or (get("eprint") if eprint_type in ("hdl", "handle") else None),
        url=get("url"),
    )
