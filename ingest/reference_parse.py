"""Parse one reference entry into fields.

Entries are parsed by pattern, in a fixed order: identifiers are taken out first
(so "doi:10.2307/2009958" cannot pass for a page range), then the authors and
date, the title, the volume/issue/pages, and what is left before those numbers is
the container or the publisher.
"""

from __future__ import annotations

import re
from functools import partial

from index.models import Reference

__all__ = ["AUTHOR_START", "CORPORATE_START", "LABEL", "NATBIB_START", "backlink_label", "looks_like_reference",
           "parse_reference"]

# --- patterns -------------------------------------------------------------------------

_UC = "A-ZÀ-ÖØ-Þ"
_PARTICLE = r"(?:(?:van|von|der|den|de|du|da|di|del|della|le|la|ter|ten|bin|al|el)\s+)*"
_SURNAME = rf"{_PARTICLE}[{_UC}][\w'’]*(?:[-‐][{_UC}]?[\w'’]+)*"
_GIVEN = rf"[{_UC}][\w'’]*\.?(?:[-‐][{_UC}][\w'’]*\.?)?"  # "Robert", "J.", "J.-P."
_INITIALS = rf"(?:[{_UC}]\.\s?-?)+"
AUTHOR_START = re.compile(
    rf"^(?:{_SURNAME}(?:\s{_SURNAME})?,\s+{_GIVEN}"  # Jervis, Robert / van Evera, S.
    rf"|{_INITIALS}\s?{_SURNAME}"  # R. Jervis
    rf"|{_SURNAME}\s[{_UC}]{{1,3}}(?:[,.]|\s\())"  # Jervis R, (Vancouver); Andrews DWK (1991) (JSS)
)
_INITIALS_FIRST = re.compile(rf"^{_INITIALS}\s?{_SURNAME}")
# A corporate author before its date: "R Development Core Team (2008).", "World Health Organization. 2020."
CORPORATE_START = re.compile(
    rf"^(?:[{_UC}][\w&'’-]*\s){{1,6}}(?:\((?:1[5-9]|20)\d\d[a-z]?\)|[{_UC}][\w'’-]*\.\s(?:1[5-9]|20)\d\d[a-z]?\.)"
)
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
    rf"^(?P<authors>(?:[^\"“”()]|{_EDITOR}){{2,400}}?)\s*\((?P<date>{_DATE})\)(?:\s*\[[^\]]{{1,20}}\])?[.,:]?\s*"
)
# Chicago author-date: "Jervis, Robert. 1978. "
_AUTHORS_DOT_YEAR = re.compile(rf"^(?P<authors>[^\"“”]{{2,300}}?)\.\s+(?P<date>{_YEAR}[a-z]?|n\.d)\.\s+")
# In a list of names the surname has two letters or more: "P. C. W. Davies" is not "P. C. W" + ". Davies".
_LONG_SURNAME = rf"{_PARTICLE}[{_UC}][\w'’]+(?:[-‐][{_UC}]?[\w'’]+)*"
_NAME_LIST = (rf"{_INITIALS}\s?{_LONG_SURNAME}(?:(?:,\s*|\s+)(?:and\s+|&\s*)?{_INITIALS}\s?{_LONG_SURNAME})*"
              rf"(?:,?\s+et al\.)?")
# ACM's names written in full: "Sam Anzaroot, Alexandre Passos, and Andrew McCallum"
_FULL_NAME = rf"(?:[{_UC}][\w'’-]*\.?\s){{1,3}}{_LONG_SURNAME}"
_FULL_NAMES = re.compile(rf"{_FULL_NAME}(?:,\s+(?:and\s+)?{_FULL_NAME}|\s+and\s+{_FULL_NAME})*(?:,?\s+et al\.?)?")
_IEEE_AUTHORS = re.compile(rf"^(?P<authors>{_NAME_LIST}),\s+")
# natbib's plain styles: "L. Breiman. Statistical modeling. Statistical Science, 16:199–231, 2001."
# The title's first word is a word, not an abbreviation: "L. Parns, Q. J. Mech. Appl. Math." is a name list
# followed by a journal.
NATBIB_START = re.compile(rf"^(?P<authors>{_NAME_LIST})\.\s+(?=[^\W\d_]+(?:[^\w.]|$)|[\"“])")
_VANCOUVER_AUTHORS = re.compile(
    rf"^(?P<authors>{_SURNAME}\s[{_UC}]{{1,3}}(?:,\s*{_SURNAME}\s[{_UC}]{{1,3}})*(?:,?\s*et al)?)\.\s+"
)
_DATE_PAREN = re.compile(rf"\((?P<date>{_DATE})\)")
# A trailing date, also the last item of a parenthesis: "(Academic Press, New York, 1965)"
_DATE_TRAIL = re.compile(rf"(?:^|[,.;]\s*)(?P<date>{_DATE})(?=\s*[.;,:)]|\s*$)")
LABEL = re.compile(r"^\s*(?:\[(?P<bracket>\d{1,4})\]|(?P<dot>\d{1,4})[.)])\s+(?=\S)")
_OPENER = {")": "(", "]": "["}
_BACKLINK = re.compile(r"^\s*(?:\^|↑)\s*(?:Jump up to:\s*)?")

_IDENTIFIERS: list[tuple[str, re.Pattern[str]]] = [
    # A SICI DOI holds angle brackets: 10.1002/(sici)1099-1255(199905/06)14:3<319::aid-jae533>3.0.co;2-q
    ("doi", re.compile(r"(?:\bdoi:?\s*|https?://(?:dx\.)?doi\.org/)(?P<v>10\.\d{4,9}/(?:[^\s\"<>]|<[^\s\"<>]*>)+)",
                       re.I)),
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
# Physics (APS, AIP, Elsevier numbered) cites an article by place alone: "Phys. Rev. B 53, 7227 (1996)."
_JOURNAL_PLACE = re.compile(
    rf"^(?P<container>[{_UC}][^,()\"“”]{{0,80}}?)\s+(?P<vol>[A-Z]?\d{{1,5}}[A-Za-z]?),\s+"
    rf"(?P<pages>[A-Z]?\d+[A-Za-z]?(?:\s*[–-]\s*[A-Z]?\d+)?)\s*\((?P<date>{_DATE})\)"
    rf"(?:,\s*(?P<acm>{_PAGES}))?"  # ACM: "Commun. ACM 50, 1 (Jan. 2007), 36–44" is volume, issue, pages
)
# Publisher, place and date in brackets, physics style: "(Academic Press, New York, 1965)"
_PUBLISHER_BRACKET = re.compile(rf"\((?P<publisher>[^(),]{{2,80}})(?:,\s*[^(),]{{1,60}})*?,\s*(?P<date>{_DATE})\)")
# A book so published: "Quantum Fields in Curved Space (Cambridge University Press, 1982)."
_BOOK_PUBLISHER = re.compile(rf"^(?P<title>[^()\"“”]{{3,250}}?)\s*{_PUBLISHER_BRACKET.pattern}")
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
    # 30: 167–214; natbib's "Statistical Science, 16:199–231" and "Series B, B 37:149–163"
    re.compile(rf"(?:^|[.;,]\s*)(?:[A-Z]\s)?(?P<vol>\d{{1,5}}):\s*(?P<pages>{_PAGES})"),
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


def backlink_label(n: int) -> str:
    """Encyclopedia back-links run a, b, ..., z, aa, ab, ..."""
    return chr(ord("a") + n) if n < 26 else chr(ord("a") + n // 26 - 1) + chr(ord("a") + n % 26)


def _strip_backlinks(text: str) -> str:
    """ "^ a b c d Jervis" -> "Jervis". Only the a, b, c... sequence goes, so "^ de Gaulle" keeps "de"."""
    m = _BACKLINK.match(text)
    if not m:
        return text
    rest, n = text[m.end() :], 0
    while (tok := re.match(r"([a-z]{1,2})\s+", rest)) and tok.group(1) == backlink_label(n):
        rest, n = rest[tok.end() :], n + 1
    return rest


def _entry_text(raw: str) -> str:
    """The entry without its number and back-links, whitespace collapsed."""
    text = re.sub(r"\s+", " ", raw).strip()
    if m := LABEL.match(text):
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
            if ("." in word or len(word.strip("(")) == 1 or word.lower() in _ABBREVIATIONS
                    or re.fullmatch(r"\(?\d+(?:st|nd|rd|th)", word)):  # "(2nd. ed.)"
                continue
        return pos
    return None


def _tidy_name(name: str) -> str:
    name = re.sub(rf"\s*{_EDITOR}|,?\s+eds?\.$", "", name).strip(" ,;:&")
    # "Jervis, Robert." loses a sentence period; "Herz, J." keeps the period of its initial.
    if name.endswith(".") and re.search(r"[a-z]{2}\.$", name) and not re.search(r"\b[JS]r\.$", name):
        name = name[:-1]
    return name


_SURNAME_INITIALS = re.compile(rf"(?:[\w'’-]+\s){{0,2}}{_SURNAME}\s[{_UC}]{{1,3}}\.?")  # "Te Grotenhuis M"
_CORPORATE = re.compile(rf"(?:[{_UC}][\w&'’-]*\s?){{1,6}}")  # "R Core Team"


def _initials_after(chunks: list[str]) -> bool:
    """Are these the names of a Vancouver or JSS list, family name then initials ("Bates D", "Te
    Grotenhuis M"), perhaps ending in "others" or a corporate co-author ("R Core Team")?"""
    return bool(chunks) and _SURNAME_INITIALS.fullmatch(chunks[0]) is not None and all(
        _SURNAME_INITIALS.fullmatch(c) or c.rstrip(".") in ("others", "et al") or _CORPORATE.fullmatch(c)
        for c in chunks[1:])


def _split_authors(text: str) -> tuple[str, ...]:
    """Split an author list as written: CS1 ("A, B; C, D"), APA ("A, B., & C, D."), IEEE ("B. A and D. C")."""
    text = re.sub(r",?\s+et al\.?$", "", text.strip())
    if _INITIALS_FIRST.match(text):
        parts = re.split(r",\s*(?:and\s+|&\s*)?|\s+(?:and|&)\s+", text)
    elif ";" in text:
        parts = text.split(";")
    elif _initials_after(chunks := [c.strip() for c in re.split(r",\s*(?:and\s+|&\s*)?|\s+(?:and|&)\s+", text)]):
        # Vancouver, JSS: "Jervis R, Snyder GH"; initials written without periods keep none
        parts = [c.rstrip(".") for c in chunks if c.rstrip(".") not in ("others", "et al")]
    elif _FULL_NAMES.fullmatch(text) and all(len(c.split()) >= 2 for c in chunks):
        parts = chunks  # ACM: "Sam Anzaroot, Alexandre Passos, and Andrew McCallum"
    else:
        parts = []
        for piece in re.split(r",?\s+(?:&|and)\s+", text):
            chunks = [c.strip() for c in piece.split(",")]
            if len(chunks) >= 4 and len(chunks) % 2 == 0 and "." not in piece:
                parts.extend(f"{a}, {b}" for a, b in zip(chunks[::2], chunks[1::2], strict=True))
            else:
                parts.extend(re.split(r"(?<=\.),\s+(?=[^\W\d_])", piece))  # APA: "Jervis, R., Snyder, G."
    return tuple(n for n in (_tidy_name(p) for p in parts) if n)


def _trimmed_identifier(value: str) -> str:
    """An identifier without what closes around it: a stop, a closing quote, a bracket it does not open
    ("10.18637/jss.v011.i10).”" -> "10.18637/jss.v011.i10"; "10.1002/(SICI)x" keeps its own)."""
    while True:
        before = value
        value = value.rstrip(".,;:”’\"'")
        while value[-1:] in _OPENER and value.count(value[-1]) > value.count(_OPENER[value[-1]]):
            value = value[:-1]
        if value == before:
            return value


def _take_identifiers(text: str) -> tuple[dict[str, str], str]:
    """Pull the identifiers out of an entry; return them and the text left."""
    found: dict[str, str] = {}

    def take(m: re.Match[str], name: str) -> str:
        """The identifier out of the text; what closed around it (a bracket, a quote, a stop) stays."""
        if not m.group("v"):
            return m.group(0)
        value = _trimmed_identifier(m.group("v"))
        if name == "isbn" and len(value.replace("-", "")) not in (10, 13):
            return m.group(0)
        found.setdefault(name, value)
        return " " + m.group(0)[m.start("v") - m.start() + len(value):]

    for name, pattern in _IDENTIFIERS:
        text = pattern.sub(partial(take, name=name), text)
    text = re.sub(r"\(\s*\)|\[\s*\]", " ", _NOISE.sub(" ", text))  # brackets that held an identifier alone
    text = re.sub(r"\s+([.,;:])", r"\1", re.sub(r"\s+", " ", text))
    # Punctuation left stranded by a removed identifier ("Press. doi:… ." -> "Press."); the comma after an
    # initial is the list's own ("Lassen, S. R., Steele, M. M.").
    return found, re.sub(r"(?<!\b[A-Z])([.,;])(?:\s*[.,;])+(?=\s|$)", r"\1", text).strip()


def _names(text: str) -> bool:
    """Can this text before a date be the authors?"""
    return bool(AUTHOR_START.match(text) or len(text.split()) <= 6 or _FULL_NAMES.fullmatch(text.strip()))


def _authors_and_date(work: str) -> tuple[tuple[str, ...], str | None, str]:
    """Leading authors and date, and the text after them."""
    # Names with their initials first and a comma after ("E. Witten, Phys. Rev. 94, 262 (1954)") end
    # where they end, not at the first bracketed date further on.
    listed = _IEEE_AUTHORS.match(work)
    dated = [m for m in (pattern.match(work) for pattern in (_AUTHORS_DATE, _AUTHORS_DOT_YEAR))
             if m and _names(m.group("authors"))
             and not (listed and m.group("authors")[listed.end("authors"):].strip(" ,;.:"))]
    if dated:
        # The date nearest the start: ACM's "Patricia S. Abril and Robert Plant. 2007. Title? Commun.
        # ACM 50, 1 (Jan. 2007)" is dated by its "2007.", not by the issue's date in brackets.
        first = min(dated, key=lambda m: m.end())
        # "Snyder, Glenn H. 1984." : the period after the initial was taken as the separator
        names = re.sub(r"(?<=\b[A-Z])$", ".", first.group("authors"))
        return _split_authors(names), first.group("date"), work[first.end() :]
    quote = re.search(r"[\"“]", work)
    if quote and quote.start() > 0 and AUTHOR_START.match(work):
        return _split_authors(work[: quote.start()]), None, work[quote.start() :]  # Herz, J. "Title", ...
    for pattern in (NATBIB_START, _IEEE_AUTHORS, _VANCOUVER_AUTHORS):
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
    container = None
    lead = rest.lstrip(" .,:;")
    # Physics cites an article by journal, volume and page with the date last; where the date came
    # first (ACM's "Name. 2007. Title. Commun. ACM 50, 1 (Jan. 2007)") a title comes before the journal.
    physics = date is None and _JOURNAL_PLACE.match(lead) is not None
    book = None if physics else _BOOK_PUBLISHER.match(lead)
    if book and _sentence_end(book.group("title")) is not None:
        book = None
    if (chapter := re.match(r"in\s+(?P<book>[^,(]{3,150})", lead)) is not None:
        title, container = None, chapter.group("book").strip()  # "in Williams Hematology, Vol. 2, edited by"
    elif book is not None:
        title = book.group("title").strip(" ,")
    elif physics:
        title = None
    else:
        title, rest = _title(rest)
        if date is None and title and (dated := _DATE_PAREN.search(title)):  # "M.S. thesis, NYU (1999)"
            date, title = dated.group("date"), (title[: dated.start()] + title[dated.end() :]).strip(" ,")
    if (place := _JOURNAL_PLACE.match(rest.lstrip(" .,:;"))) is not None:
        # The container is the abbreviated journal before volume and page, stops and all.
        numbers = ({"vol": place.group("vol"), "iss": place.group("pages"), "pages": place.group("acm")}
                   if place.group("acm") else {"vol": place.group("vol"), "pages": place.group("pages")})
        return _reference(document, label, text, ids, authors, date or place.group("date"), title,
                          place.group("container").strip(" ,"), numbers, None)
    nums, first, last = _numbers(rest)
    cut = first
    if date is None and (m := _DATE_PAREN.search(rest) or _DATE_TRAIL.search(rest)):
        date, cut = m.group("date"), min(cut, m.start())
    serial = bool(nums.get("vol") or nums.get("iss"))
    if book is not None:
        publisher: str | None = book.group("publisher").strip()
    elif container is not None:  # a chapter: the publisher is the bracket's first item, "(McGraw-Hill, New York, 1994)"
        bracket = _PUBLISHER_BRACKET.search(rest)
        publisher = bracket.group("publisher").strip() if bracket else None
    else:
        container, publisher = _venue(rest[:cut], rest[last:], serial, "isbn" in ids)
    return _reference(document, label, text, ids, authors, date, title, container, nums, publisher)


def _reference(document: str, label: str, text: str, ids: dict[str, str], authors: tuple[str, ...],
               date: str | None, title: str | None, container: str | None, nums: dict[str, str],
               publisher: str | None) -> Reference:
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
        AUTHOR_START.match(work) or CORPORATE_START.match(work),
        date,
        re.search(r"[\"“][^\"”]{3,}[\"”]", work),
        ids,
        any(p.search(work) for p in _NUMBERS) or _PUBLISHER.search(work) or _SERIAL.search(work),
        signature,  # "Surname, G. (1999). " is a citation's own opening
        _BACKLINK.match(LABEL.sub("", entry.lstrip(), count=1)),
    ]
    return sum(1 for x in marks if x) >= 3 and bool(date or ids)
