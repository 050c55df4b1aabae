"""Find a document's reference list, parse its entries, and read BibTeX files.

Detection is deliberately conservative: a run of blocks is a reference list only
when its entries carry the marks of citations (an author written "Surname, Given",
a date in parentheses, a quoted title, identifiers, volume/issue/pages, a
publisher) and, for numbered lists, the numbers follow one another. Numbered prose,
code and reST text lack those marks and are left alone.

Entries are parsed by pattern, in a fixed order: identifiers are taken out first
(so "doi:10.2307/2009958" cannot pass for a page range), then the authors and
date, the title, the volume/issue/pages, and what is left before those numbers is
the container or the publisher.
"""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import pairwise

from index.bibtex import citation_key, read_bibtex, unique_keys
from index.models import Reference
from ingest.text import Block

__all__ = ["find_references", "parse_bibtex", "parse_reference"]

# --- patterns -------------------------------------------------------------------------

_UC = "A-ZÀ-ÖØ-Þ"
_PARTICLE = r"(?:(?:van|von|der|den|de|du|da|di|del|della|le|la|ter|ten|bin|al|el)\s+)*"
_SURNAME = rf"{_PARTICLE}[{_UC}][\w'’]*(?:[-‐][{_UC}]?[\w'’]+)*"
_GIVEN = rf"[{_UC}][\w'’]*\.?(?:[-‐][{_UC}][\w'’]*\.?)?"  # "Robert", "J.", "J.-P."
_INITIALS = rf"(?:[{_UC}]\.\s?-?)+"
AUTHOR_START = re.compile(
    rf"^(?:{_SURNAME}(?:\s{_SURNAME})?,\s+{_GIVEN}"  # Jervis, Robert / van Evera, S.
    rf"|{_INITIALS}\s?{_SURNAME}"  # R. Jervis
    rf"|{_SURNAME}\s[{_UC}]{{1,3}}[,.])"  # Jervis R, (Vancouver)
)
_INITIALS_FIRST = re.compile(rf"^{_INITIALS}\s?{_SURNAME}")
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|Spring|Summer|Autumn|Fall|Winter)\.?"
)
_YEAR = r"(?:1[5-9]\d\d|20\d\d)"
_DATE = (
    rf"(?:n\.d\.|(?:\d{{1,2}}\s+)?(?:{_MONTH}\s+)?(?:\d{{1,2}},\s+)?{_YEAR}[a-z]?"
    rf"(?:[-–/]\d{{1,2}}(?:[-–/]\d{{1,2}})?|[–-]{_YEAR})?(?:,\s+{_MONTH}(?:\s+\d{{1,2}})?)?)"
)
_EDITOR = r"\((?:[Ee]ds?|Hrsg)\.?\)"
# "Jervis, Robert (1978). " — authors (no quotes, brackets only around "(ed.)"), then the date,
# perhaps followed by the original date of a reprint: "(2010) [1979]."
_AUTHORS_DATE = re.compile(
    rf"^(?P<authors>(?:[^\"“”()]|{_EDITOR}){{2,300}}?)\s*\((?P<date>{_DATE})\)(?:\s*\[[^\]]{{1,20}}\])?[.,:]?\s*"
)
# Chicago author-date: "Jervis, Robert. 1978. "
_AUTHORS_DOT_YEAR = re.compile(rf"^(?P<authors>[^\"“”]{{2,300}}?)\.\s+(?P<date>{_YEAR}[a-z]?|n\.d)\.\s+")
_IEEE_AUTHORS = re.compile(
    rf"^(?P<authors>{_INITIALS}\s?{_SURNAME}(?:(?:,\s*|\s+)(?:and\s+|&\s*)?{_INITIALS}\s?{_SURNAME})*"
    rf"(?:,?\s+et al\.)?),\s+"
)
_VANCOUVER_AUTHORS = re.compile(
    rf"^(?P<authors>{_SURNAME}\s[{_UC}]{{1,3}}(?:,\s*{_SURNAME}\s[{_UC}]{{1,3}})*(?:,?\s*et al)?)\.\s+"
)
_DATE_PAREN = re.compile(rf"\((?P<date>{_DATE})\)")
_DATE_TRAIL = re.compile(rf"(?:^|[,.;]\s*)(?P<date>{_DATE})(?=\s*[.;,:]|\s*$)")
_LABEL = re.compile(r"^\s*(?:\[(?P<bracket>\d{1,4})\]|(?P<dot>\d{1,4})[.)])\s+(?=\S)")
_OPENER = {")": "(", "]": "["}
_BACKLINK = re.compile(r"^\s*(?:\^|↑)\s*(?:Jump up to:\s*)?")

_IDENTIFIERS: list[tuple[str, re.Pattern[str]]] = [
    ("doi", re.compile(r"(?:\bdoi:?\s*|https?://(?:dx\.)?doi\.org/)(?P<v>10\.\d{4,9}/[^\s\"<>]+)", re.I)),
    ("hdl", re.compile(r"(?:\bhdl:\s*|https?://hdl\.handle\.net/)(?P<v>[^\s\"<>]+)", re.I)),
    ("jstor", re.compile(r"(?:\bJSTOR:?\s*|https?://(?:www\.)?jstor\.org/stable/)(?P<v>\d+)\b", re.I)),
    ("s2cid", re.compile(r"\bS2CID:?\s*(?P<v>\d+)\b")),
    ("issn", re.compile(r"\b(?:e-?|p-?)?ISSN:?\s*(?P<v>\d{4}-?\d{3}[\dXx])\b")),
    ("isbn", re.compile(r"\bISBN(?:-1[03])?:?\s*(?P<v>\d[\d-]{8,15}[\dXx])\b")),
    ("url", re.compile(r"<?(?P<v>https?://[^\s<>\"]+)>?")),
]
# Identifiers Reference has no field for, and CS1 boilerplate: removed so they do not
# pass for a title, venue or page range.
_NOISE = re.compile(
    r"\b(?:PMID|PMC|OCLC|LCCN|Bibcode|arXiv|SSRN|CiteSeerX|ProQuest|Zbl|MR|EID):?\s*\S+"
    r"|\((?:PDF|Report|Thesis|Preprint|Press release)\)"
    r"|\b(?:Archived(?: \(PDF\))? from the original|Retrieved|Accessed)\b[^.]*(?:\.(?=\s|$)|$)"
)
_PAGES = r"[A-Za-z]?\d+[A-Za-z]?(?:\s*[–—‐-]+\s*[A-Za-z]?\d+[A-Za-z]?)?"
# Volume/issue/pages shapes, most specific first; the first to give a field wins.
_NUMBERS: list[re.Pattern[str]] = [
    # 30 (2): 167–214 | 30(2), 167–214 — an issue in brackets is never a year.
    re.compile(
        rf"(?<![\w.])(?P<vol>\d{{1,5}})\s*\((?!{_YEAR}\))(?P<iss>[\w./–-]{{1,12}})\)"
        rf"(?:\s*[:,]\s*(?:pp?\.\s*)?(?P<pages>{_PAGES}))?"
    ),
    re.compile(r"\b[Vv]ol(?:ume)?\.?\s*(?P<vol>\d+)"),
    re.compile(r"\b(?:[Nn]o\.|[Nn]r\.|[Ii]ssue|[Nn]umber)\s*(?P<iss>\d+(?:[–/-]\d+)?)"),
    re.compile(rf"\)\s*:\s*(?P<pages>{_PAGES})"),  # Chicago: World Politics 2 (1950): 171–201
    re.compile(rf"(?<!\bat )(?<![\w])(?:pp?\.|pages)\s*(?P<pages>{_PAGES})"),  # "at p. 157" is a pinpoint
    re.compile(r",\s*(?P<vol>\d{1,5}),\s*(?P<pages>\d+\s*[–—-]\s*\d+)"),  # APA without issue
    re.compile(rf"(?:^|[.;]\s*)(?P<vol>\d{{1,5}}):\s*(?P<pages>{_PAGES})"),  # 30: 167–214
]
_PUBLISHER = re.compile(
    r"\b(?:Press|Presses|Publish\w*|Publications|Books|Verlag|[EÉ]ditions|Routledge|Wiley|Springer|"
    r"Elsevier|Penguin|Macmillan|Palgrave|Blackwell|Polity|SAGE|Norton|Random House|HarperCollins|"
    r"Knopf|Clarendon|Longman|Pearson|McGraw|Addison|Brookings|RAND|Sons|Inc|Ltd)\b\.?|\bCo\.(?=\s|$)"
)
_SERIAL = re.compile(r"\b(?:Journal|Review|Quarterly|Proceedings|Magazine|Bulletin|Transactions|Letters|"
                     r"Annals|Affairs|Studies|Series|Times|Post|News)\b")
_EDITION = re.compile(r"^(?:\d+(?:st|nd|rd|th)|Revised|Second|Third|New)\s+ed(?:ition|\.)?$", re.I)
_ABBREVIATIONS = {"vol", "no", "nr", "ed", "eds", "pp", "p", "vs", "st", "dr", "jr", "sr", "inc", "co", "ltd"}


# --- one entry ------------------------------------------------------------------------


def _backlink_label(n: int) -> str:
    """Encyclopedia back-links run a, b, ..., z, aa, ab, ..."""
    return chr(ord("a") + n) if n < 26 else chr(ord("a") + n // 26 - 1) + chr(ord("a") + n % 26)


def _strip_backlinks(text: str) -> str:
    """ "^ a b c d Jervis" -> "Jervis". Only the a, b, c... sequence goes, so "^ de Gaulle" keeps "de"."""
    m = _BACKLINK.match(text)
    if not m:
        return text
    rest, n = text[m.end() :], 0
    while (tok := re.match(r"([a-z]{1,2})\s+", rest)) and tok.group(1) == _backlink_label(n):
        rest, n = rest[tok.end() :], n + 1
    return rest


def _entry_text(raw: str) -> str:
    """The entry without its number and back-links, whitespace collapsed."""
    text = re.sub(r"\s+", " ", raw).strip()
    if m := _LABEL.match(text):
        text = text[m.end() :]
    return _strip_backlinks(text).strip()


def _sentence_end(text: str, start: int = 0) -> int | None:
    """Offset of the first sentence end in text[start:], ignoring initials and abbreviations."""
    for m in re.finditer(r"[.?!](?=\s|$)", text[start:]):
        pos = start + m.start()
        if text[pos] == ".":
            word = text[max(text.rfind(" ", 0, pos), text.rfind("\n", 0, pos)) + 1 : pos]
            if word.endswith((")", "]", '"', "”")):
                return pos  # "(2nd ed.). Publisher": the period after a bracket ends the sentence
            if "." in word or len(word.strip("(")) == 1 or word.lower() in _ABBREVIATIONS:
                continue
        return pos
    return None


def _tidy_name(name: str) -> str:
    name = re.sub(rf"\s*{_EDITOR}|,?\s+eds?\.$", "", name).strip(" ,;:&")
    # "Jervis, Robert." loses a sentence period; "Herz, J." keeps the period of its initial.
    if name.endswith(".") and re.search(r"[a-z]{2}\.$", name) and not re.search(r"\b[JS]r\.$", name):
        name = name[:-1]
    return name


def _split_authors(text: str) -> tuple[str, ...]:
    """Split an author list as written: CS1 ("A, B; C, D"), APA ("A, B., & C, D."), IEEE ("B. A and D. C")."""
    text = re.sub(r",?\s+et al\.?$", "", text.strip())
    if _INITIALS_FIRST.match(text):
        parts = re.split(r",\s*(?:and\s+|&\s*)?|\s+(?:and|&)\s+", text)
    elif ";" in text:
        parts = text.split(";")
    elif all(re.fullmatch(rf"{_SURNAME}\s[{_UC}]{{1,3}}", c.strip()) for c in text.split(",")):
        parts = text.split(",")  # Vancouver: "Jervis R, Snyder GH"
    else:
        parts = []
        for piece in re.split(r",?\s+(?:&|and)\s+", text):
            chunks = [c.strip() for c in piece.split(",")]
            if len(chunks) >= 4 and len(chunks) % 2 == 0 and "." not in piece:
                parts.extend(f"{a}, {b}" for a, b in zip(chunks[::2], chunks[1::2], strict=True))
            else:
                parts.extend(re.split(r"(?<=\.),\s+(?=[^\W\d_])", piece))  # APA: "Jervis, R., Snyder, G."
    return tuple(n for n in (_tidy_name(p) for p in parts) if n)


def _take_identifiers(text: str) -> tuple[dict[str, str], str]:
    """Pull the identifiers out of an entry; return them and the text left."""
    found: dict[str, str] = {}
    for name, pattern in _IDENTIFIERS:
        for m in pattern.finditer(text):
            value = m.group("v").rstrip(".,;")
            # a bracket closing around the identifier is not part of it; "10.1002/(SICI)x" keeps its own
            while value[-1:] in _OPENER and value.count(value[-1]) > value.count(_OPENER[value[-1]]):
                value = value[:-1]
            if name == "isbn" and len(value.replace("-", "")) not in (10, 13):
                continue
            found.setdefault(name, value)
        text = pattern.sub(lambda m: " " if m.group("v") else m.group(0), text)
    text = _NOISE.sub(" ", text)
    text = re.sub(r"\s+([.,;:])", r"\1", re.sub(r"\s+", " ", text))
    return found, re.sub(r"([.,;])(?:\s*[.,;])+(?=\s|$)", r"\1", text).strip()


def _authors_and_date(work: str) -> tuple[tuple[str, ...], str | None, str]:
    """Leading authors and date, and the text after them."""
    for pattern in (_AUTHORS_DATE, _AUTHORS_DOT_YEAR):
        m = pattern.match(work)
        if m and (AUTHOR_START.match(m.group("authors")) or len(m.group("authors").split()) <= 6):
            # "Snyder, Glenn H. 1984." : the period after the initial was taken as the separator
            names = re.sub(r"(?<=\b[A-Z])$", ".", m.group("authors"))
            return _split_authors(names), m.group("date"), work[m.end() :]
    quote = re.search(r"[\"“]", work)
    if quote and quote.start() > 0 and AUTHOR_START.match(work):
        return _split_authors(work[: quote.start()]), None, work[quote.start() :]  # Herz, J. "Title", ...
    for pattern in (_IEEE_AUTHORS, _VANCOUVER_AUTHORS):
        if m := pattern.match(work):
            return _split_authors(m.group("authors")), None, work[m.end() :]
    return (), None, work


def _title(rest: str) -> tuple[str | None, str]:
    """The title (quoted, or the first sentence) and the text after it."""
    rest = rest.lstrip(" .,:;")
    if rest[:1] in ('"', "“"):
        close = rest.find('"' if rest[0] == '"' else "”", 1)
        if close > 0:
            return rest[1:close].strip().rstrip(",.;:") or None, rest[close + 1 :]
    end = _sentence_end(rest)
    if end is None:
        return (rest.strip() or None), ""
    keep = end + 1 if rest[end] in "?!" else end
    title = re.sub(r"\s*\((?:\w+|Revised) ed(?:ition|\.)?\)$", "", rest[:keep].strip())  # "(2nd ed.)"
    return title or None, rest[end + 1 :]


def _numbers(rest: str) -> tuple[dict[str, str], int, int]:
    """Volume, issue and pages; with where the first of them starts and the last ends."""
    found: dict[str, str] = {}
    first, last = len(rest), 0
    for pattern in _NUMBERS:
        for m in pattern.finditer(rest):
            got = {k: v for k, v in m.groupdict().items() if v and k not in found}
            if not got:
                continue
            found.update(got)
            first, last = min(first, m.start()), max(last, m.end())
            break
    return found, first, last


def _venue(before: str, after: str, serial: bool, isbn: bool) -> tuple[str | None, str | None]:
    """Container and publisher from the text between the title and the numbers (and after them)."""
    before = before.strip(" .,;:(")
    if re.match(r"In:?\s", before):
        before = re.sub(r"^In:?\s+", "", before)
        before = re.sub(rf"^.*?{_EDITOR}[.,]?\s*", "", before)  # the editors of the book
    container = publisher = None
    segments, pos = [], 0
    while (end := _sentence_end(before, pos)) is not None:
        segments.append(before[pos:end])
        pos = end + 1
    segments.append(before[pos:])
    for seg in segments + [s for s in re.split(r"[.,]\s+", after) if _PUBLISHER.search(s)]:
        seg = seg.strip(" .,;:()")
        if not seg or re.fullmatch(_DATE, seg) or _EDITION.match(seg) or re.fullmatch(r"[\d\s–-]+", seg):
            continue
        if (_PUBLISHER.search(seg) and not _SERIAL.search(seg)) or re.match(r"^[^\d:]{2,40}:\s+\S", seg):
            publisher = publisher or re.sub(r"^[^\d:]{2,40}:\s+", "", seg)  # "Princeton, NJ: X Press"
        elif container is None and seg in segments:
            container = seg
    if container and not publisher and not serial and isbn:
        return None, container  # a book: the one name after its title is its publisher
    return container, publisher


def parse_reference(raw: str, label: str, document: str) -> Reference:
    """Parse one reference entry (CS1/encyclopedia, APA, Chicago, IEEE or Vancouver style) into fields."""
    text = _entry_text(raw)
    ids, work = _take_identifiers(text)
    authors, date, rest = _authors_and_date(work)
    title, rest = _title(rest)
    nums, first, last = _numbers(rest)
    cut = first
    if date is None and (m := _DATE_PAREN.search(rest) or _DATE_TRAIL.search(rest)):
        date, cut = m.group("date"), min(cut, m.start())
    serial = bool(nums.get("vol") or nums.get("iss"))
    container, publisher = _venue(rest[:cut], rest[last:], serial, "isbn" in ids)
    found_year = re.search(_YEAR, date) if date else None
    year = found_year.group(0) if found_year else None
    precise = date and not re.fullmatch(rf"{_YEAR}[a-z]?|n\.d\.?", date)
    return Reference(
        id=f"{document}#{label}", document=document, label=label, raw=text, authors=authors,
        year=year, date=date if precise else None, title=title, container=container,
        volume=nums.get("vol"), issue=nums.get("iss"), pages=nums.get("pages"), publisher=publisher,
        doi=ids.get("doi"), isbn=ids.get("isbn"), issn=ids.get("issn"), jstor=ids.get("jstor"),
        s2cid=ids.get("s2cid"), hdl=ids.get("hdl"), url=ids.get("url"),
    )


def looks_like_reference(entry: str) -> bool:
    """Whether an entry carries enough citation marks: three of author, date, quoted title,
    identifier, volume/issue/pages or publisher, one of them a date or an identifier."""
    text = _entry_text(entry)
    ids, work = _take_identifiers(text)
    date = _DATE_PAREN.search(work) or _DATE_TRAIL.search(work)
    signature = bool(_AUTHORS_DATE.match(work) or _AUTHORS_DOT_YEAR.match(work)) and AUTHOR_START.match(work)
    marks = [
        AUTHOR_START.match(work),
        date,
        re.search(r"[\"“][^\"”]{3,}[\"”]", work),
        ids,
        any(p.search(work) for p in _NUMBERS) or _PUBLISHER.search(work) or _SERIAL.search(work),
        signature,  # "Surname, G. (1999). " is a citation's own opening
        _BACKLINK.match(_LABEL.sub("", entry.lstrip(), count=1)),
    ]
    return sum(1 for x in marks if x) >= 3 and bool(date or ids)


# --- finding the list -----------------------------------------------------------------

HEADINGS = {
    "references", "reference", "bibliography", "notes", "works cited", "sources", "citations",
    "footnotes", "endnotes", "literature", "literature cited", "references cited", "cited works",
    "notes and references", "references and notes", "sources cited", "further reading",
}
# An unnumbered (APA, Chicago author-date) entry starts with its author(s) and a date.
_UNNUMBERED_START = re.compile(AUTHOR_START.pattern + r".{0,200}?(?:\(\s*(?:\d{4}|n\.d\.)|\.\s\d{4}[a-z]?\.)")
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
        out += line if not out or out.endswith(("-", "–", "/")) else " " + line
    return re.sub(r"\s+", " ", out)


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
    numbered = _LABEL.match(lines[0]) is not None
    base_indent = len(lines[0]) - len(lines[0].lstrip())
    hanging = any(len(ln) - len(ln.lstrip()) > base_indent for ln in lines)
    groups: list[tuple[str | None, list[str]]] = []
    for line in lines:
        m = _LABEL.match(line)
        if numbered and m:
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


def _runs(texts: list[str]) -> list[_Run]:
    """Group blocks into candidate runs: numbered entries counting up, or unnumbered citation-like entries."""
    runs: list[_Run] = []
    cur: _Run | None = None
    for i, block_text in enumerate(texts):
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
        cur.blocks.append(i)
        cur.entries.extend(entries)
    return runs


def _accept(run: _Run, under_heading: bool) -> bool:
    """Whether a run is a reference list: mostly citation-like entries, and two or more unless headed."""
    n = len(run.entries)
    if n < (1 if under_heading else 2):
        return False
    good = sum(1 for _, t in run.entries if looks_like_reference(t))
    return good * 2 >= n if under_heading else good * 3 >= n * 2


def find_references(document: str, text: str, blocks: list[Block]) -> tuple[list[Reference], set[int]]:
    """Detect the reference list(s) of a document; return the parsed references and the blocks consumed.

    A heading such as "References" or "Notes" right before a list is consumed with it.
    Numbered entries are labelled by their number; unnumbered ones "Surname" + year
    ("Jervis1978", with a/b suffixes when repeated).
    """
    texts = [text[b.start : b.end] for b in blocks]
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
            label, n = ref.label + _backlink_label(n), n + 1
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


def parse_bibtex(document: str, text: str) -> list[Reference]:
    """Parse a BibTeX file (with bibtexparser); each entry becomes a Reference labelled by its key."""
    return read_bibtex(document, text)
