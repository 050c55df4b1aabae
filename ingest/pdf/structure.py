"""Read a PDF's lines as a person reads the page: margins, page labels, navigation, headings, non-prose.

The input is every page's lines with their layout (ingest/pdf/layout.py); the output is
the document text, where each page starts, its blocks (prose paragraphs, headings with
their level, code, figure text, formulas, footnotes, contents pages) and each page's
printed label. Decisions rest on what repeats across pages and on what sets a line apart
from the body text (size, weight, a fixed-width face, a math face), never on one file's
wording.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from statistics import median

from ingest.pdf.layout import Line
from ingest.text import LAID_OUT, Block, BlockKind

# --- running headers, footers and page numbers ------------------------------------------

_ROMAN = re.compile(r"^(?=[mdclxvi]+$)m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$", re.I)
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?(?:[-–—]\s*)?(\d{1,4}|[ivxlcdm]{1,7})(?:\s*[-–—])?(?:\s*(?:of|/)\s*\d{1,4})?$", re.I
)
_EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be margins


def _margin_key(text: str) -> str:
    """A margin line with its numbers (arabic, and roman at either end) made alike."""
    words = text.lower().split()
    if words and _ROMAN.match(words[0]):
        words[0] = "#"
    if words and _ROMAN.match(words[-1]):
        words[-1] = "#"
    return re.sub(r"\d+", "#", " ".join(words))


def _numbers(text: str) -> list[tuple[str, int]]:
    """Page-number candidates in a margin line: (as printed, value); roman numerals valued negative."""
    out = [(m, int(m)) for m in re.findall(r"(?<![\d.])\d{1,4}(?![\d.])", text) if not m.startswith("0")]
    words = text.split()
    for w in (words[:1] + words[-1:]) if words else []:
        if _ROMAN.match(w) and w.lower() == w:
            out.append((w, -_roman_value(w)))
    return out


def _roman_value(numeral: str) -> int:
    values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}
    total = 0
    for a, b in zip(numeral.lower(), numeral.lower()[1:] + " ", strict=True):
        v = values[a]
        total += -v if b != " " and values.get(b, 0) > v else v
    return total


def _edges(page: Sequence[Line]) -> list[tuple[int, str]]:
    """(index, "top"|"bottom") of the lines that stand at the top or bottom edge of a page."""
    order = sorted(range(len(page)), key=lambda i: -page[i].y)
    top = [(i, "top") for i in order[:_EDGE_LINES]]
    bottom = [(i, "bottom") for i in order[-_EDGE_LINES:] if i not in order[:_EDGE_LINES]]
    return top + bottom


def find_margins(pages: Sequence[Sequence[Line]], gap: float, body_size: float = 0.0) -> list[set[int]]:
    """Per page, the indexes of running-header, footer and page-number lines.

    A line is a margin when it stands at a page's top or bottom edge and either repeats
    (numbers aside) at the same edge of another page, or is a bare page number, or is set
    apart from the body by a wide gap and starts or ends with the page's printed number.
    Code and rows of numbers ("1 2 3 4 5" ending two pages) are not running headers, nor is
    a heading ("1 Introduction" on page 1: larger or bold) or a footnote ("1 See …." on
    page 1: a sentence) that merely starts with that number.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for page in pages:
        for key in {(where, _margin_key(page[i].text)) for i, where in _edges(page)}:
            counts[key] += 1
    # In a document set in a fixed-width face throughout, the margins are set in it too.
    chars = sum(len(ln.text) for page in pages for ln in page) or 1
    typewritten = sum(ln.mono * len(ln.text) for page in pages for ln in page) / chars > 0.5

    def plain(ln: Line) -> bool:
        return typewritten or ln.mono < 0.9

    out: list[set[int]] = []
    for page in pages:
        found = set()
        for i, where in _edges(page):
            text = page[i].text.strip()
            shape = _margin_key(text)
            number_row = shape.count("#") >= 2 and not re.search(r"[^\W\d_]", shape)
            if (counts[(where, shape)] >= 2 and not number_row and plain(page[i])) or _PAGE_NUMBER.match(text):
                found.add(i)
        out.append(found)
    offset = _dominant_offset(pages, out)
    if offset is None:
        return out
    for n, page in enumerate(pages):
        for i, where in _edges(page):
            ln = page[i]
            if i in out[n] or not plain(ln) or not _apart(page, i, where, gap) or _TERMINAL.search(ln.text.strip()):
                continue
            if body_size and (ln.size >= 1.12 * body_size or ln.bold >= 0.8):
                continue
            words = ln.text.split()
            ends = [w.strip("()[]|·•,.:;-–—") for w in (words[:1] + words[-1:])]
            if any(v - (n + 1) == offset for w in ends if w.isdigit() for _, v in _numbers(w) if v > 0):
                out[n].add(i)
    return out


def _apart(page: Sequence[Line], i: int, where: str, gap: float) -> bool:
    """Whether line i is separated from its neighbour towards the body by more than a paragraph gap."""
    y = page[i].y
    inward = [ln.y for j, ln in enumerate(page) if j != i and (ln.y < y if where == "top" else ln.y > y)]
    if not inward:
        return True
    nearest = max(inward) if where == "top" else min(inward)
    return abs(y - nearest) > 1.8 * gap


def _dominant_offset(pages: Sequence[Sequence[Line]], margins: list[set[int]]) -> int | None:
    """The most common (printed number - PDF page number) among arabic margin numbers."""
    offsets: Counter[int] = Counter()
    for n, page in enumerate(pages):
        seen = {v - (n + 1) for i in margins[n] for _, v in _numbers(page[i].text) if v > 0}
        offsets.update(seen)
    if not offsets:
        return None
    offset, votes = offsets.most_common(1)[0]
    return offset if votes >= 2 or len(pages) <= 2 else None


def page_labels(pages: Sequence[Sequence[Line]], margins: list[set[int]]) -> list[str | None]:
    """The printed page label of each page, read from its margin lines.

    Arabic numbers must follow the PDF pages at the most common offset; roman numerals
    (front matter) at theirs. A page with no number of its own between two numbered pages
    of the same run takes the number the run gives it.
    """
    n_pages = len(pages)
    arabic = _dominant_offset(pages, margins)
    roman: Counter[int] = Counter()
    for n, page in enumerate(pages):
        roman.update({-v - (n + 1) for i in margins[n] for _, v in _numbers(page[i].text) if v < 0})
    roman_offset = roman.most_common(1)[0][0] if roman and roman.most_common(1)[0][1] >= 2 else None
    labels: list[str | None] = [None] * n_pages
    for n, page in enumerate(pages):
        for i in margins[n]:
            for printed, v in _numbers(page[i].text):
                arabic_fits = v > 0 and arabic is not None and v - (n + 1) == arabic
                roman_fits = v < 0 and roman_offset is not None and -v - (n + 1) == roman_offset
                if arabic_fits or roman_fits:
                    labels[n] = printed
    # Fill a gap inside a run of arabic labels (a chapter's first page often has no header).
    if arabic is not None:
        known = [n for n, lab in enumerate(labels) if lab is not None and lab.isdigit()]
        for a, b in pairwise(known):
            if int(labels[b] or 0) - int(labels[a] or 0) == b - a:
                for n in range(a + 1, b):
                    labels[n] = str(n + 1 + arabic)
    return labels


# --- navigation pages (contents, index, lists of figures) ---------------------------------

_LEADER = re.compile(r"(?:\.\s?){4,}\s*(?:\d{1,4}|[ivxlc]{1,6})?\s*$|…{2,}")
_ENDS_PAGE_REF = re.compile(r"(?:^|\s)(?:\d{1,4}|[ivxlc]{1,6})(?:\s*[,–-]\s*\d{1,4})*$")
_NAV_TITLE = re.compile(
    r"^(?:table of )?contents$|^(?:index|list of (?:figures|tables|listings)|subject index|author index)$", re.I
)


def is_contents_line(text: str) -> bool:
    """A contents or index line: dot leaders, or a short entry that ends in page numbers."""
    return bool(_LEADER.search(text))


def navigation_pages(pages: Sequence[Sequence[Line]], margins: list[set[int]]) -> set[int]:
    """Pages that are contents, index or lists of figures: most lines lead to a page number."""
    out: set[int] = set()
    for n, page in enumerate(pages):
        lines = [ln.text for i, ln in enumerate(page) if i not in margins[n]]
        if len(lines) < 4:
            continue
        leaders = sum(1 for t in lines if is_contents_line(t))
        refs = sum(1 for t in lines if _ENDS_PAGE_REF.search(t) and not t.rstrip().endswith("."))
        titled = any(_NAV_TITLE.match(t.strip()) for t in lines[:3])
        if (leaders >= 3 and (leaders + refs) * 2 >= len(lines)) or (titled and (leaders + refs) * 2 >= len(lines)):
            out.add(n)
        elif n - 1 in out and (leaders + refs) * 2 >= len(lines) and leaders + refs >= 3:
            out.add(n)  # an index running over several pages
    return out


# --- line kinds ---------------------------------------------------------------------------

_PROMPT = re.compile(r"^(?:R>|>>>|\.\.\.\s|\$\s|>\s|\+\s|In \[\d+\]:|%\s|#\s?>)")
_NUMBERED_HEADING = re.compile(r"^(?:(?:\d{1,2}|[A-Z])(?:\.\d{1,3})+\.?|\d{1,2}\.?|[IVX]{1,4}\.)\s+\S")
_CHAPTER = re.compile(r"^(?:chapter|section|part|appendix)\s+[\dIVXA-Z]", re.I)
_NUMERIC_TOKEN = re.compile(r"^[−–+-]?\(?[\d.,:%]+\)?%?$|^[−–-]$")
_WORD = re.compile(r"[A-Za-zÀ-ÿ]{3,}")
_TERMINAL = re.compile(r"[.!?:;…][\"'”’)\]]*$")
_BULLET = re.compile(r"^(?:[-*•▪◦‣∙·–]|\(?\d{1,3}[.)]|\(?[a-z][.)]|\[\d{1,3}\])\s+\S")
_CAPTION = re.compile(r"^(?:figure|fig\.|table|listing|exhibit|chart)\s*[\dIVX]+(?:[-–][\dIVX]+)?[.:]", re.I)


def _number_grid(text: str) -> bool:
    """Axis ticks and table rows: mostly numbers."""
    tokens = text.split()
    numeric = sum(1 for t in tokens if _NUMERIC_TOKEN.match(t))
    return len(tokens) >= 2 and numeric >= 2 and numeric * 10 >= len(tokens) * 7


def _words(text: str) -> int:
    return len(_WORD.findall(text))


@dataclass
class _Doc:
    """Document-wide measures of the body text."""

    size: float  # the body font size
    gap: float  # the usual distance between two body lines


def measure(pages: Sequence[Sequence[Line]]) -> _Doc:
    """The body font size (by characters) and the usual line spacing of body text."""
    sizes: Counter[float] = Counter()
    for page in pages:
        for ln in page:
            sizes[round(ln.size, 1)] += len(ln.text)
    size = sizes.most_common(1)[0][0] if sizes else 10.0
    gaps = [
        a.y - b.y for page in pages for a, b in pairwise(page)
        if abs(a.size - size) < 0.5 and abs(b.size - size) < 0.5 and 0.5 * size < a.y - b.y < 2.5 * size
    ]
    return _Doc(size, median(gaps) if gaps else 1.2 * size)


def classify(page: Sequence[Line], doc: _Doc, skip: set[int]) -> list[BlockKind | None]:
    """The kind of each line of a page (None for margin lines)."""
    body_ys = [ln.y for i, ln in enumerate(page) if i not in skip and abs(ln.size - doc.size) < 0.6]
    lowest_body = min(body_ys) if body_ys else float("-inf")
    xs = Counter(round(ln.x) for i, ln in enumerate(page) if i not in skip and abs(ln.size - doc.size) < 0.6)
    left = float(xs.most_common(1)[0][0]) if xs else 0.0
    kinds: list[BlockKind | None] = []
    for i, ln in enumerate(page):
        if i in skip:
            kinds.append(None)
            continue
        kinds.append(_line_kind(ln, doc, lowest_body, left))
    _table_rows(page, kinds)
    _continuations(page, kinds, doc)
    return kinds


def _shared_cells(a: Line, b: Line) -> int:
    """How many of one line's cell starts the other line has too (within 1.5 points)."""
    return sum(1 for x in a.cells if any(abs(x - y) <= 1.5 for y in b.cells))


def _table_rows(page: Sequence[Line], kinds: list[BlockKind | None], reach: int = 5, least: int = 3) -> None:
    """A table's rows are figure text, not prose or section titles: `least` lines or more, within `reach`
    lines of one another, whose text jumps a column gap at two or more of the same places (three
    columns or more; ingest/pdf/cells.py), the lines between them and the lines under the last row
    that start at one of its columns (cells wrapped to a second line).
    Debian Reference's package tables had read "a2ps V:4, I:12 3648 text→ps …" as a sentence, and their
    bold header row as a section title. Two columns are left as they are: a term and its description
    (a man page's options) read as prose."""
    rows = [i for i, k in enumerate(kinds) if k in ("prose", "heading") and len(page[i].cells) >= 2]
    linked: dict[int, set[int]] = {i: set() for i in rows}
    for n, i in enumerate(rows):
        for j in rows[n + 1:]:
            if j - i > reach:
                break
            # A heading with no cells between two rows ends one table and starts the next.
            titled = any(kinds[k] == "heading" and not page[k].cells for k in range(i + 1, j))
            if _shared_cells(page[i], page[j]) >= 2 and not titled:
                linked[i].add(j)
                linked[j].add(i)
    seen: set[int] = set()
    for i in rows:
        if i in seen or not linked[i]:
            continue
        table, todo = set(), [i]  # the rows linked to row i, row to row
        while todo:
            k = todo.pop()
            if k not in table:
                table.add(k)
                todo += linked[k]
        seen |= table
        if len(table) >= least:
            for k in range(min(table), max(table) + 1):
                if k in table or kinds[k] == "prose":
                    kinds[k] = "figure"
            # A cell wrapped below the last row starts at its column, not at the margin.
            columns = {x for k in table for x in page[k].cells}
            k = max(table) + 1
            while k < len(page) and kinds[k] == "prose" and any(abs(page[k].x - x) <= 1.5 for x in columns):
                kinds[k] = "figure"
                k += 1
    # A two-column table's header row, set bold: a heading with no section number whose column jump
    # the rows under it share ("type  meaning" over "mtime  the file modification time") names no
    # section; the rows stay prose.
    for i, kind in enumerate(kinds):
        if kind != "heading" or not page[i].cells or _NUMBERED_HEADING.match(page[i].text):
            continue
        under = [j for j in range(i + 1, min(i + 1 + reach, len(page))) if kinds[j] == "prose"]
        if sum(1 for j in under if _shared_cells(page[i], page[j]) >= 1) >= 2:
            kinds[i] = "figure"


def _line_kind(ln: Line, doc: _Doc, lowest_body: float, left: float) -> BlockKind:
    text = ln.text.strip()
    words = len(text.split())
    if is_contents_line(text):
        return "navigation"
    if ln.mono >= 0.9 or (ln.mono >= 0.5 and _PROMPT.match(text)):
        return "code"
    if ln.math >= 0.4 and _words(text) <= 3:
        return "math"
    display = ln.x > left + 3 * doc.size  # set apart from the left margin, as displayed formulas are
    if display and (ln.math >= 0.15 or re.search(r"[=<>≤≥∼≈±∑∫]", text)) and _words(text) <= 2:
        return "math"
    # Headings are set at least a size step above the body (LaTeX: 10.9 -> 12 pt is 1.10).
    larger = ln.size >= doc.size * 1.08
    if _CAPTION.match(text):
        return "caption"
    if (words <= 25 and (larger or ln.bold >= 0.8) and not (larger and _TERMINAL.search(text) and words > 12)
            and re.search(r"[^\W\d_]{2}", text)):
        return "heading"
    if (
        words <= 15 and _NUMBERED_HEADING.match(text) and "." in text.split()[0][:-1]
        and not _TERMINAL.search(text) and ln.size >= doc.size * 0.95
    ) or (_CHAPTER.match(text) and words <= 12 and not _TERMINAL.search(text)):
        return "heading"
    if _number_grid(text):
        return "figure"
    if ln.size <= doc.size * 0.88:
        return "footnote" if ln.y < lowest_body else "figure"
    return "prose"


def _continuations(page: Sequence[Line], kinds: list[BlockKind | None], doc: _Doc) -> None:
    """A fixed-width or numeric line that continues a prose sentence (a URL, a code name, a year
    wrapped to the next line) is prose; short labels among figure text are figure text."""
    for i in range(1, len(page)):
        prev = next((j for j in range(i - 1, -1, -1) if kinds[j] is not None), None)
        if prev is None or kinds[prev] != "prose" or kinds[i] not in ("code", "figure"):
            continue
        close = 0 < page[prev].y - page[i].y <= 1.12 * doc.gap
        nxt = next((j for j in range(i + 1, len(page)) if kinds[j] is not None), None)
        between = nxt is not None and kinds[nxt] == "prose" and 0 < page[i].y - page[nxt].y <= 1.12 * doc.gap
        # Code is set apart from prose by space; a lone fixed-width line at line spacing is a wrapped
        # name, URL or DOI of the sentence around it.
        lone = nxt is None or kinds[nxt] != "code" or page[i].y - page[nxt].y > 1.5 * doc.gap
        wraps = kinds[i] == "code" and (not _TERMINAL.search(page[prev].text.strip()) or between or lone)
        same_size = kinds[i] == "figure" and abs(page[i].size - page[prev].size) < 0.6
        if close and (wraps or same_size):
            kinds[i] = "prose"
    # Axis titles and legends ("Time", "Real interest rate") between figure lines are figure text.
    for i, k in enumerate(kinds):
        if k != "prose" or _words(page[i].text) > 5 or _TERMINAL.search(page[i].text.strip()):
            continue
        before = next((kinds[j] for j in range(i - 1, -1, -1) if kinds[j] is not None), None)
        after = next((kinds[j] for j in range(i + 1, len(kinds)) if kinds[j] is not None), None)
        if before == "figure" and after == "figure":
            kinds[i] = "figure"


# --- blocks -------------------------------------------------------------------------------


@dataclass
class _Group:
    """Consecutive lines of one kind that form a block."""

    kind: BlockKind
    page: int
    lines: list[Line] = field(default_factory=list)
    after_gap: bool = False
    level: int = 0
    # (line index, page) where a paragraph carried over a page break goes on to the next page
    breaks: list[tuple[int, int]] = field(default_factory=list)


def _left_margin(page: Sequence[Line], kinds: Sequence[BlockKind | None]) -> float:
    xs = Counter(round(ln.x) for ln, k in zip(page, kinds, strict=True) if k == "prose")
    return float(xs.most_common(1)[0][0]) if xs else 0.0


def _starts_paragraph(prev: Line, line: Line, left: float, doc: _Doc) -> bool:
    drop = prev.y - line.y
    if drop < -doc.gap or drop > 1.22 * doc.gap:  # a wider gap, or text further up (a new column)
        return True
    ended = bool(_TERMINAL.search(prev.text.strip()))
    if ended and line.x > left + 0.6 * doc.size and line.x > prev.x + 0.6 * doc.size:
        return True  # an indented first line
    if ended and prev.x > line.x + 0.6 * doc.size:
        return True  # back out of a hanging indent: a new reference-list entry
    # A list item starts a paragraph, unless the line before breaks off at a dash (a page range
    # "305–" / "325. doi:…" wrapped in a reference entry).
    return bool(_BULLET.match(line.text.strip())) and not re.search(r"[–—-]$", prev.text.strip())


def _groups(page_no: int, page: Sequence[Line], kinds: Sequence[BlockKind | None], doc: _Doc) -> list[_Group]:
    left = _left_margin(page, kinds)
    out: list[_Group] = []
    prev: Line | None = None
    for ln, kind in zip(page, kinds, strict=True):
        if kind is None:
            continue
        cur = out[-1] if out else None
        wide = prev is not None and prev.y - ln.y > 2.2 * doc.gap
        same = cur is not None and cur.kind == kind and prev is not None
        if cur is not None and prev is not None and cur.kind == "caption" and kind == "prose":
            same = 0 < prev.y - ln.y <= 1.22 * doc.gap  # a caption's second line
            kind = "caption" if same else kind
        elif same and cur is not None and prev is not None:
            if kind == "prose":
                same = not _starts_paragraph(prev, ln, left, doc)
            elif kind == "heading":
                same = (abs(prev.size - ln.size) < 0.6 and 0 < prev.y - ln.y <= 1.8 * ln.size
                        and not _NUMBERED_HEADING.match(ln.text))
            elif kind == "code":
                same = -doc.gap < prev.y - ln.y <= 3.0 * doc.gap
            elif kind == "footnote":
                same = not re.match(r"^(?:\d{1,2}|[*†‡§¶])\s?\S", ln.text)
        if not same:
            out.append(_Group(kind, page_no, after_gap=wide))
        out[-1].lines.append(ln)
        prev = ln
    return out


def _numbering_depth(text: str) -> int:
    """2 for "7.32 How …", 1 for "5. Summary" or "Chapter 3", 0 for an unnumbered heading."""
    m = re.match(r"^((?:\d{1,2}|[A-Z])(?:\.\d{1,3})*)\.?\s", text)
    if m and (m.group(1)[0].isdigit() or "." in m.group(1)):
        return m.group(1).count(".") + 1
    return 1 if _CHAPTER.match(text) else 0


def heading_levels(headings: Sequence[tuple[str, float, bool]]) -> list[int]:
    """The level of each (text, size, bold) heading: its numbering depth. An unnumbered heading set
    like numbered ones (same size and weight) takes their level; set otherwise, it sits one level
    below the deepest numbered headings set as large ("Computing p values" in italics under the bold
    "5.2. Using the output module"); with no numbered heading at all, its style's rank is its level."""
    by_style: dict[tuple[float, bool], Counter[int]] = {}
    for text, size, bold in headings:
        depth = _numbering_depth(text)
        if depth:
            by_style.setdefault((round(size, 1), bold), Counter())[depth] += 1
    ranks = sorted({(round(size, 1), bold) for _, size, bold in headings}, reverse=True)
    out = []
    for text, size, bold in headings:
        depth = _numbering_depth(text)
        style = (round(size, 1), bold)
        if not depth and style in by_style:
            depth = by_style[style].most_common(1)[0][0]
        elif not depth:
            above = [max(c) for (s, _), c in by_style.items() if s >= style[0]]
            depth = max(above) + 1 if above else ranks.index(style) + 1
        out.append(depth)
    return out


# --- hyphenation --------------------------------------------------------------------------

_HYPHEN_END = re.compile(r"([A-Za-zÀ-ÿ]+)-$")
_WORD_START = re.compile(r"^([a-zà-ÿ]+)")
_ANY_WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:-[A-Za-zÀ-ÿ]+)*")


@dataclass
class Vocabulary:
    """The words and hyphenated compounds the document writes inside its lines."""

    words: set[str] = field(default_factory=set)
    compounds: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, lines: Iterable[str]) -> Vocabulary:
        """Words as written inside lines: the part before a line-end hyphen and the part after it
        (the next line's first word) are left out, so a broken word never vouches for itself."""
        v = cls()
        broken = False
        for text in lines:
            text = text.strip()
            body = text[:-1] if text.endswith("-") else text
            if broken:
                body = _WORD_START.sub("", body, count=1)
            broken = text.endswith("-")
            if broken:
                body = _HYPHEN_END.sub("", body + "-")
            for w in _ANY_WORD.findall(body):
                w = w.lower()
                if "-" in w:
                    v.compounds.add(w)
                    v.words.update(w.split("-"))
                else:
                    v.words.add(w)
        return v

    def keeps_hyphen(self, left: str, right: str) -> bool:
        """Whether "left-" + "right" at a line break is a compound rather than a broken word."""
        left, right = left.lower(), right.lower()
        if f"{left}-{right}" in self.compounds:
            return True
        if left + right in self.words:
            return False
        return len(left) > 1 and len(right) > 1 and left in self.words and right in self.words


def join_lines(lines: Sequence[str], vocab: Vocabulary) -> str:
    """A paragraph's lines joined by newlines, words broken at a line end joined again."""
    out = ""
    for text in (t.strip() for t in lines):
        if not out:
            out = text
            continue
        m, n = _HYPHEN_END.search(out), _WORD_START.match(text)
        if m and n and not vocab.keeps_hyphen(m.group(1), n.group(1)):
            out = out[:-1] + text
        elif m and n:
            out += text  # a compound split after its hyphen: no space
        else:
            out += "\n" + text
    return out


# --- the whole document ------------------------------------------------------------------


@dataclass(frozen=True)
class PdfText:
    """A PDF read for Sourcebook: text, page starts, blocks and the printed page labels."""

    text: str
    page_starts: tuple[int, ...]
    blocks: tuple[Block, ...]
    page_labels: tuple[str | None, ...]
    margins: tuple[tuple[str, ...], ...]  # the running header/footer lines removed from each page
    title: str | None = None  # the largest text of the first page, when it stands above the body text


def layout_title(pages: Sequence[Sequence[Line]], doc: _Doc, pages_read: int = 2, above: float = 1.2) -> str | None:
    """A document's title as it is printed: the first run of consecutive lines set in the largest size
    on its first page with text (of the first `pages_read`), when that size is at least `above` times
    the body text's. None when nothing stands out: a man page or a memo set in one size. The running
    header is not left out: on the first page it is often the title itself, set large."""
    for page in pages[:pages_read]:
        lines = [ln for ln in page if any(ch.isalpha() for ch in ln.text)]
        if not lines:
            continue
        largest = max(ln.size for ln in lines)
        if largest < above * doc.size:
            return None
        run: list[Line] = []
        for ln in lines:
            if abs(ln.size - largest) <= 0.5 and (not run or run[-1].y - ln.y <= 2.0 * largest):
                run.append(ln)
            elif run:
                break
        title = " ".join(" ".join(ln.text for ln in run).split())
        return title if 3 <= len(title) <= 200 else None
    return None


def _block_text(g: _Group, vocab: Vocabulary, doc: _Doc) -> str:
    if g.kind == "code":
        left = min(ln.x for ln in g.lines)
        width = max(doc.size * 0.5, 1.0)
        return "\n".join(" " * min(round((ln.x - left) / width) + ln.indent, 16) + ln.text for ln in g.lines)
    if g.kind == "heading":
        return " ".join(ln.text.strip() for ln in g.lines)
    if g.kind in LAID_OUT:  # code was laid out above, with its indentation
        return "\n".join(ln.text.strip() for ln in g.lines)
    text = join_lines([ln.text for ln in g.lines], vocab)
    if g.kind == "footnote":  # the raised marker stands glued to the note: "1Due to …" -> "1 Due to …"
        text = re.sub(r"^(\d{1,2}|[*†‡§¶])(?=[A-Z])", r"\1 ", text)
    return text


def _continues(last: _Group, first: _Group, doc: _Doc) -> bool:
    """Whether the first prose of a page carries on the last paragraph of the page before."""
    if last.kind != "prose" or first.kind != "prose":
        return False
    tail = last.lines[-1].text.strip()
    head = first.lines[0].text.strip()
    indented = first.lines[0].x > min(ln.x for ln in first.lines) + 0.6 * doc.size if len(first.lines) > 1 else False
    return not _TERMINAL.search(tail) and bool(head) and (head[0].islower() or not indented) \
        and not _BULLET.match(head)


def build(pages: Sequence[Sequence[Line]], declared_labels: Sequence[str] | None = None) -> PdfText:
    """Turn the pages' lines into Sourcebook's text and blocks."""
    doc = measure(pages)
    margins = find_margins(pages, doc.gap, doc.size)
    labels = list(declared_labels) if declared_labels else page_labels(pages, margins)
    nav = navigation_pages(pages, margins)
    vocab = Vocabulary.of(ln.text for page in pages for ln in page)
    per_page: list[list[_Group]] = []
    for n, page in enumerate(pages):
        if n in nav:
            kept = [ln for i, ln in enumerate(page) if i not in margins[n]]
            per_page.append([_Group("navigation", n, kept)] if kept else [])
            continue
        kinds = classify(page, doc, margins[n])
        per_page.append(_groups(n, page, kinds, doc))
    # A paragraph broken by a page break is carried on as one block.
    for n in range(1, len(per_page)):
        if not per_page[n]:
            continue
        prev_prose = next((g for gs in reversed(per_page[:n]) for g in reversed(gs)
                           if g.kind not in ("footnote", "figure", "caption", "math")), None)
        if prev_prose is not None and _continues(prev_prose, per_page[n][0], doc):
            before = per_page[n - 1]
            at = next((i for i, g in enumerate(before) if g is prev_prose), None)
            if at is not None:
                # The notes and figures at the foot of the page are laid out before the paragraph
                # that runs on, so that the next page can start inside it and they keep their page.
                if at + 1 < len(before):
                    per_page[n - 1] = before[:at] + before[at + 1:] + [prev_prose]
                    prev_prose.after_gap = True  # it follows them now: a passage of its own
                prev_prose.breaks.append((len(prev_prose.lines), n))
            prev_prose.lines.extend(per_page[n].pop(0).lines)
    # Each block's text once: heading levels are read from it, then the blocks are laid out.
    texts = [[(g, _block_text(g, vocab, doc)) for g in groups] for groups in per_page]
    headings = [(g, body) for page_texts in texts for g, body in page_texts if g.kind == "heading"]
    styles = [(body, g.lines[0].size, g.lines[0].bold >= 0.5) for g, body in headings]
    levels = {id(g): level for (g, _), level in zip(headings, heading_levels(styles), strict=True)}
    text_parts: list[str] = []
    # A page starts where its first line stands, inside the paragraph carried over from the page
    # before when there is one: the carried sentences are cited on the page they are printed on.
    starts: list[int | None] = [None] * len(texts)
    blocks: list[Block] = []
    pos = 0
    for n, page_texts in enumerate(texts):
        if starts[n] is None:
            starts[n] = pos
        for g, body in page_texts:
            if not body.strip():
                continue
            for k, m in g.breaks:
                carried = join_lines([ln.text for ln in g.lines[:k]], vocab)
                starts[m] = pos + min(len(carried) + 1, len(body))
            blocks.append(Block(pos, pos + len(body), kind=g.kind, after_gap=g.after_gap, level=levels.get(id(g), 0)))
            text_parts.append(body + "\n\n")
            pos += len(body) + 2
    kept_margins = tuple(tuple(page[i].text for i in sorted(margins[n])) for n, page in enumerate(pages))
    return PdfText("".join(text_parts), tuple(s or 0 for s in starts), tuple(blocks), tuple(labels), kept_margins,
                   layout_title(pages, doc))
