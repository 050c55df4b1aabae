"""Text normalisation, paragraph blocks, sentence spans and inline reference markers.

Everything here works on character offsets into the normalised document text, so a
passage cut from these spans knows exactly where it stands in its source.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

# Characters a reader never sees or quotes; removed. Ligatures from PDFs are expanded.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise(text: str) -> str:
    """NFC, one kind of newline and space, no invisible or control characters, no trailing blanks.

    Words, punctuation and quotes are left exactly as written: only what a reader
    cannot see changes. Word-level helpers (word patterns, stop words, stemmers, comparison
    keys) are index/words.py's.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.translate(_INVISIBLE)
    for lig, rep in _LIGATURES.items():
        text = text.replace(lig, rep)
    text = _CONTROL.sub("", text)
    # Whole-text passes (not a loop over lines): indentation is kept up to 8 columns
    # (it marks code and lists), other runs of blank characters become one space.
    text = _TRAILING.sub("", text)
    text = _INDENT.sub(lambda m: " " * min(len(m.group(0).expandtabs(4)), 8), text)
    text = _INNER_SPACES.sub(" ", text)
    # Two blank lines in a row are kept (more become two): a wide gap often stands where a
    # section or heading was, and passages should not run across it.
    return _BLANK_LINES.sub("\n\n\n", text).strip("\n") + "\n"


_TRAILING = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+$", re.M)
_INDENT = re.compile(r"^[ \t\u00a0]+", re.M)
_BLANK_CHARS = "\\t\\u00a0\\u2000-\\u200a\\u202f\\u205f\\u3000"
_INNER_SPACES = re.compile(rf"(?<=\S)[ {_BLANK_CHARS}]{{2,}}|[{_BLANK_CHARS}]")
_BLANK_LINES = re.compile(r"\n{4,}")


# --- inline reference markers -------------------------------------------------

_NUMBERS = r"\d{1,3}(?:\s*[–-]\s*\d{1,3})?(?:\s*,\s*\d{1,3}(?:\s*[–-]\s*\d{1,3})?)*"  # 3, 3–5, 1, 4
MARKER_RUN = re.compile(rf"(?:\[(?:{_NUMBERS}|[a-z])\])+|[\u00b9\u00b2\u00b3\u2070\u2074-\u2079]+")
_ONE_MARKER = re.compile(rf"\[({_NUMBERS}|[a-z])\]")
_SUPERSCRIPTS = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079", "0123456789")
_MAX_RANGE = 50  # "[3–5]" names 3, 4 and 5; a wider "range" is not one


def marker_labels(run: str) -> list[str]:
    """The labels of a marker run: "[3][1]" -> ["3", "1"], "[3–5]" -> ["3", "4", "5"], "[1, 4]" -> ["1", "4"],
    "¹²" -> ["12"]."""
    found = _ONE_MARKER.findall(run)
    if not found:
        return [run.translate(_SUPERSCRIPTS)]
    return [label for inside in found for label in _numbers_listed(inside)]


def _numbers_listed(listed: str) -> list[str]:
    """The labels a list of numbers and ranges names: "3" -> ["3"], "3–5, 7" -> ["3", "4", "5", "7"]."""
    labels: list[str] = []
    for part in listed.split(","):
        ends = [x.strip() for x in re.split(r"[–-]", part)]
        if len(ends) == 2 and ends[0].isdigit() and ends[1].isdigit() \
                and 0 <= int(ends[1]) - int(ends[0]) <= _MAX_RANGE:
            labels.extend(str(n) for n in range(int(ends[0]), int(ends[1]) + 1))
        else:
            labels.append(part.strip())
    return labels


_SPACED_RUN = re.compile(rf"(?P<space>[ \t]?)(?P<run>{MARKER_RUN.pattern})")
# Physics writes a reference as a word: "see Ref. 3", "Refs. 1 and 2", "Refs. 4–6".
_REF_WORDS = re.compile(r"\bRefs?\.\s+(?P<run>\d{1,3}(?:\s*(?:,|–|-|,?\s+and)\s*\d{1,3})*)\b")


def strip_markers(text: str) -> tuple[str, list[str]]:
    """The labels of the inline markers of a text, and the text without those glued to a word or
    punctuation ("fear.[3][1]"); a marker set off by a space is read as a word ("shown in [3–5]",
    "see Refs. 1 and 2") and kept. A bracket that opens a line is a list label, and one inside code
    ("``[1, 2]``", "x = [1]") is not a marker."""
    labels: list[str] = []

    def take(m: re.Match[str]) -> str:
        start = m.start("run")
        line_start = text.rfind("\n", 0, start) + 1
        before = text[line_start:start].rstrip()
        if not before or before[-1] in "`(=[" or text[m.end() : m.end() + 1] == "`":
            return m.group(0)  # "[1] item" at the start of a line is a list label, not a marker
        labels.extend(marker_labels(m.group("run")))
        # A marker set off by a space is a word of the sentence ("as shown in [12]"): it stays.
        return m.group(0) if m.group("space") else ""

    out = _SPACED_RUN.sub(take, text)
    for m in _REF_WORDS.finditer(out):
        labels.extend(_numbers_listed(re.sub(r",?\s+and\s+", ",", m.group("run"))))
    return out, labels


def clean(text: str, markers: bool) -> tuple[str, list[str]]:
    """Display text of a span: markers removed (when the document uses them), whitespace collapsed."""
    labels: list[str] = []
    if markers:
        text, labels = strip_markers(text)
    return re.sub(r"\s+", " ", text).strip(), labels


# --- blocks (paragraphs) ------------------------------------------------------

# A reST/setext underline starts in the first column; dots are left out ("..." is an ellipsis in code).
_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+_])\1{2,}\s*$")
_RST_MARKUP = re.compile(r"^\.\.(?:\s|$)")  # explicit markup: a directive, label, substitution or comment
_OPTION_LINE = re.compile(r"^[ \t]+\S")  # an indented line right under a directive: its options
_RST_PROSE = re.compile(r"^\.\. (?:note|warning|seealso|tip|important|caution|attention|danger|error|hint|"
                        r"versionadded|versionchanged|deprecated|admonition)::")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•▪◦]|\d{1,3}[.)]|\(\w\)|\[\d{1,3}\])\s+\S")
_TERMINAL = re.compile(r"[.!?:;…][\"'”’)\]]*(?:\[\w{1,3}\])*$")


# What a block holds: prose is cut into sentences and quoted; a heading names the section of
# what follows; code is kept whole; the other kinds are shown but never embedded or quoted.
BlockKind = Literal["prose", "heading", "code", "figure", "caption", "math", "footnote", "navigation", "markup"]
# Kinds kept line by line as laid out, never cut into sentences: code is quoted whole; contents
# lines, figure text and formulas are shown as they stood.
LAID_OUT: frozenset[BlockKind] = frozenset({"code", "navigation", "figure", "math", "markup"})


@dataclass(frozen=True)
class Block:
    """A paragraph-like span of the document: its kind, the heading level (1 = top, 0 = unknown)
    and `after_gap` for a block that follows a wide gap (two or more blank lines in text)."""

    start: int
    end: int
    kind: BlockKind = "prose"
    after_gap: bool = False
    level: int = 0

    @property
    def heading(self) -> bool:
        return self.kind == "heading"


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def blocks(text: str, page_starts: tuple[int, ...] = ()) -> list[Block]:
    """Split text into paragraphs and headings.

    Hard-wrapped text (most lines short) breaks paragraphs only at blank lines, list
    items and headings; text written one paragraph per line breaks at every newline.
    A new page starts a new paragraph when the last one ended its sentence, so that
    passages (and their page numbers) follow the pages.
    """
    page_breaks = set(page_starts)
    lines = _line_spans(text)
    long_lines = sum(1 for s, e in lines if e - s > 200)
    nonblank = sum(1 for s, e in lines if text[s:e].strip()) or 1
    one_per_line = long_lines / nonblank > 0.2
    out: list[Block] = []
    cur: list[tuple[int, int]] = []
    blank_run = 0
    gap = False

    def flush(heading: bool = False) -> None:
        nonlocal gap
        if cur:
            out.append(Block(cur[0][0], cur[-1][1], "heading" if heading else "prose", gap))
            cur.clear()
            gap = False

    markup_until = -1  # the last line of a reST directive being skipped
    for i, (s, e) in enumerate(lines):
        line = text[s:e]
        stripped = line.strip()
        if i <= markup_until:
            continue
        if _RST_MARKUP.match(line) and not _RST_PROSE.match(line):
            # A reST label, comment or directive (".. _faq-cache:", ".. index:: pair: …") with its
            # indented options is markup, never prose to quote; admonitions (".. note::") are prose.
            flush()
            markup_until = i
            while markup_until + 1 < len(lines) and _OPTION_LINE.match(text[slice(*lines[markup_until + 1])]):
                markup_until += 1
            out.append(Block(s, lines[markup_until][1], "markup", gap))
            gap = False
            continue
        if not stripped or _UNDERLINE.match(line):
            if _UNDERLINE.match(line) and len(cur) == 1 and not text[cur[0][0]].isspace():
                flush(heading=True)  # reST-style title over an underline
            flush()
            blank_run = blank_run + 1 if not stripped else 0
            gap = gap or blank_run >= 2
            continue
        blank_run = 0
        nxt = text[lines[i + 1][0] : lines[i + 1][1]] if i + 1 < len(lines) else ""
        new_page = s in page_breaks and cur and _TERMINAL.search(text[cur[-1][0] : cur[-1][1]].strip())
        if _LIST_ITEM.match(line) or one_per_line or new_page:
            flush()
        cur.append((s, e))
        if one_per_line:
            flush(heading=_is_heading(line, nxt))
        elif not nxt.strip() and len(cur) == 1 and _is_heading(line, nxt):
            flush(heading=True)
    flush()
    return out


def _is_heading(line: str, following: str) -> bool:
    """A short unindented line that ends no sentence; indented lines are code or quotes,
    and ".."/">>>" lines are markup or prompts, never titles."""
    words = line.split()
    return (
        0 < len(words) <= 10
        and len(line) < 80
        and not line[:1].isspace()
        and not line.startswith(("..", ">>>", "$ ", "#!"))
        and not _TERMINAL.search(line)
        and not line.endswith((",", "(", "{", "[", "="))
    )


# --- sentences ------------------------------------------------------------------

_ABBREVIATIONS = {
    "e.g", "i.e", "etc", "vs", "cf", "al", "dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr", "no", "nos",
    "vol", "vols", "pp", "p", "ed", "eds", "fig", "figs", "inc", "ltd", "co", "corp", "dept", "univ",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx",
    "ca", "op", "ch", "sec", "gen", "gov", "rev", "u.s", "u.k", "a.m", "p.m", "viz", "resp", "esp",
    "ref", "refs", "eq", "eqs",  # physics: "see Ref. [1]", "in Eq. (2)"
}
_BOUNDARY = re.compile(
    r"(?P<end>[.!?…]+[\"'”’)\]]*(?:\[(?:\d{1,3}|[a-z])\])*|[:;](?=\s*\n))\s+(?=[\"'“‘(\[]?[A-Z0-9À-Ý])"
)
_PREV_TOKEN = re.compile(r"([\w.]+)$")


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans (absolute offsets) inside text[start:end], never cutting inside a sentence.

    Periods after initials ("John H. Herz"), common abbreviations and numbered list
    items ("(1)") do not end a sentence.
    """
    chunk = text[start:end]
    spans, pos = [], 0
    for m in _BOUNDARY.finditer(chunk):
        punct = m.group("end")
        if punct.startswith("."):
            # Only the word just before the period matters: look back a bounded window, so
            # a long line of many sentences is cut in linear time.
            prev = _PREV_TOKEN.search(chunk, max(0, m.start() - 100), m.start())
            token = prev.group(1).lower().rstrip(".") if prev else ""
            if len(token) == 1 and token.isalpha() and punct == ".":
                continue  # an initial
            if token in _ABBREVIATIONS:
                continue
            if token.isdigit() and len(token) <= 2 and m.start() - (prev.start() if prev else 0) <= 2:
                # "1. Item" style numbering right at a line start is not a sentence end
                line_start = chunk.rfind("\n", 0, m.start()) + 1
                if not chunk[line_start : m.start() - len(token)].strip():
                    continue
        stop = m.end("end")
        if chunk[pos:stop].strip():
            spans.append((pos, stop))
        pos = m.end()
    if chunk[pos:].strip():
        spans.append((pos, len(chunk)))
    out = []
    for s, e in spans:
        seg = chunk[s:e]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg) - len(seg.rstrip())
        out.append((start + s + lead, start + e - trail))
    return out
