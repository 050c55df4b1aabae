"""Markdown structure from a real CommonMark parser (markdown-it-py, with tables), as ingestion Blocks.

Headings, paragraphs, list items, code and tables are read from the parser's tokens, whose
line ranges are turned into exact character offsets of the document text, so a passage cut
from these blocks still knows where it stands. Plain-text files keep `ingest.text.blocks`.

`read_markdown` then gives the text as it reads (`plain_inline`): link targets, emphasis marks,
code backticks and inline HTML are markup, not words to embed or quote ("Pandoc is a
[Haskell](https://haskell.org) library" reads "Pandoc is a Haskell library"), and an HTML
block of tags alone ("<div id=...>") is no passage.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ingest.text import Block, BlockKind

# Text is parsed a window at a time: the parser holds every token of what it parses, and a
# table costs about 300 bytes of tokens per character, so a 50 MB file parsed whole would
# need gigabytes. A window ends at a top-level block, so the windows parse as the whole would.
WINDOW_CHARS = 200_000
# A single top-level block (one table, one list) larger than this is not parsed at all:
# the caller cuts the document by its lines instead.
MAX_WINDOW_CHARS = 1_000_000

# YAML ("---") or TOML ("+++") front matter on the first lines: metadata, not text.
_FRONT_MATTER_CLOSE = {"---": ("---", "..."), "+++": ("+++",)}
_FRONT_MATTER_MAX_LINES = 200


# A block longer than this keeps its inline markup: reading it as text is a gain, never a cost
# that grows without bound (the inline rules are near linear, but a block may be a whole file).
MAX_INLINE_CHARS = 100_000
# Link targets worth keeping beside their text: a DOI or arXiv identifier is what a reference is found by.
_IDENTIFIER_LINK = re.compile(r"https?://(?:dx\.)?doi\.org/\S+|https?://arxiv\.org/abs/\S+", re.I)


@cache
def _parser() -> MarkdownIt:
    """CommonMark with GFM tables; inline parsing is off, as only block structure is read here
    (it also halves the work); `plain_inline` parses each block's inline markup on its own."""
    return MarkdownIt("commonmark").enable("table").disable("inline")


@cache
def _inline_parser() -> MarkdownIt:
    return MarkdownIt("commonmark")


def markdown_blocks(
    text: str, *, window_chars: int = WINDOW_CHARS, max_window_chars: int = MAX_WINDOW_CHARS
) -> tuple[Block, ...]:
    """The blocks of a Markdown document, in order; ValueError if one block is too large to parse.

    `text` is the normalised document text; `text[b.start:b.end]` is each block's text.
    """
    return _structure(text, window_chars, max_window_chars, {})


def _structure(text: str, window_chars: int, max_window_chars: int, env: dict[str, Any]) -> tuple[Block, ...]:
    """markdown_blocks, with `env` collecting the link reference definitions the parser meets."""
    lines = _Lines(text)
    out: list[Block] = []
    first = _front_matter_lines(lines)
    while first < lines.count:
        tokens, restart = _window(lines, first, window_chars, max_window_chars, env)
        for block in _blocks(tokens, lines, first):
            if block.start >= (out[-1].end if out else 0):  # never overlap (leaf blocks own distinct lines)
                out.append(block)
        first = restart
    return tuple(out)


def read_markdown(text: str) -> tuple[str, tuple[Block, ...]]:
    """A Markdown document as it reads, and its blocks in that text (see the module's docstring);
    ValueError if one block is too large to parse."""
    env: dict[str, Any] = {}
    return plain_inline(text, _structure(text, WINDOW_CHARS, MAX_WINDOW_CHARS, env), env)


def plain_inline(text: str, blocks: Sequence[Block], env: dict[str, Any] | None = None
                 ) -> tuple[str, tuple[Block, ...]]:
    """The text with the inline markup of its prose and heading blocks read as text, and the blocks
    moved to match; text between blocks (markers, fences, link definitions) stays as written. An
    HTML block that holds no words once its tags are read is dropped."""
    pieces: list[str] = []
    out: list[Block] = []
    at = 0  # where the original text has been copied up to
    length = 0  # the length of the new text so far
    for block in blocks:
        gap = text[at:block.start]
        pieces.append(gap)
        length += len(gap)
        source = text[block.start:block.end]
        read = source
        if block.kind in ("prose", "heading") and len(source) <= MAX_INLINE_CHARS:
            read = _as_text(source, env or {}).strip()
        at = block.end
        if not read:
            continue
        pieces.append(read)
        out.append(replace(block, start=length, end=length + len(read)))
        length += len(read)
    pieces.append(text[at:])
    return "".join(pieces), tuple(out)


def _as_text(source: str, env: dict[str, Any]) -> str:
    """Markdown inline markup as the words it shows: a link's text (with its target when that is a
    DOI or arXiv identifier the text does not show), an image's alt text, code without backticks;
    emphasis marks and inline HTML go. Line breaks stay line breaks. A paragraph of images alone
    (a row of badges) reads as nothing."""
    tokens = _inline_parser().parseInline(source, dict(env))
    children = tokens[0].children or [] if tokens else []
    if not any(t.type in ("text", "code_inline") and t.content.strip() for t in children):
        return ""
    out: list[str] = []
    links: list[tuple[str, int]] = []
    for tok in children:
        if tok.type in ("text", "code_inline", "image"):  # an image's content is its alt text
            out.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif tok.type == "link_open":
            links.append((str(tok.attrs.get("href", "")), len(out)))
        elif tok.type == "link_close" and links:
            href, opened = links.pop()
            shown = "".join(out[opened:])
            if _IDENTIFIER_LINK.fullmatch(href) and href.split("/", 3)[-1] not in shown:
                out.append(f" ({href})")
    return "".join(out)


class _Lines:
    """Line offsets of a text, in the parser's numbering (line i is text[start(i):end(i)])."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self.count = len(self.starts)

    def start(self, i: int) -> int:
        return self.starts[i]

    def end(self, i: int) -> int:
        """Where line i ends, before its newline."""
        return self.starts[i + 1] - 1 if i + 1 < self.count else len(self.text)

    def blank(self, i: int) -> bool:
        return not self.text[self.start(i) : self.end(i)].strip()

    def line_at(self, offset: int) -> int:
        """The first line that starts at or after offset (count if none)."""
        return bisect.bisect_left(self.starts, offset)


def _front_matter_lines(lines: _Lines) -> int:
    """How many first lines are front matter (0 if none): skipped like hidden metadata."""
    text = lines.text
    closers = _FRONT_MATTER_CLOSE.get(text[: lines.end(0)])
    if closers is None:
        return 0
    for i in range(1, min(lines.count, _FRONT_MATTER_MAX_LINES)):
        if text[lines.start(i) : lines.end(i)] in closers:
            return i + 1
    return 0


def _window(lines: _Lines, first: int, size: int, max_size: int, env: dict[str, Any]) -> tuple[list[Token], int]:
    """The tokens of the blocks that start in a window of lines from `first` (line maps relative
    to it), and the line the next window starts at: the last top-level block of a window may be
    cut short by the window's end, so it is parsed again at the start of the next one."""
    while True:
        last = min(max(lines.line_at(lines.start(first) + size), first + 1), lines.count)
        chars = (lines.start(last) if last < lines.count else len(lines.text)) - lines.start(first)
        if chars > max_size:
            raise ValueError(f"a Markdown block of over {max_size:,} characters; too large to parse")
        tokens = _parser().parse(lines.text[lines.start(first) : lines.start(first) + chars], env)
        if last >= lines.count:
            return tokens, lines.count
        tops = [(i, t.map[0]) for i, t in enumerate(tokens) if t.level == 0 and t.nesting >= 0 and t.map]
        if len(tops) >= 2:
            cut, line = tops[-1]
            return tokens[:cut], first + line
        size *= 2  # one block fills the window: parse a larger one


def _blocks(tokens: list[Token], lines: _Lines, first: int) -> Iterator[Block]:
    """Blocks of a window's tokens; `first` is the window's first line in the document."""
    for i, tok in enumerate(tokens):
        if tok.map is None:
            continue
        top, bottom = first + tok.map[0], first + tok.map[1] - 1  # the block's lines, both included
        span: tuple[int, int] | None = None
        kind: BlockKind = "prose"
        level = 0
        if tok.type in ("paragraph_open", "heading_open"):
            inline = tokens[i + 1]
            # The inline token's lines leave out a setext heading's underline.
            rows = (first + inline.map[0], first + inline.map[1] - 1) if inline.map else (top, bottom)
            marker = _list_marker(tokens, i) if tok.type == "paragraph_open" else ""
            span = _text_span(lines, *rows, inline.content, marker)
            # A heading names a section only at the top level: quoted or listed, it is text.
            if tok.type == "heading_open" and tok.level == 0:
                kind, level = "heading", int(tok.tag[1:])
        elif tok.type == "html_block":
            span = _text_span(lines, top, bottom, tok.content, "")
        elif tok.type == "fence":
            # Without the fence lines; the content has one newline per line.
            kind, span = "code", _code_span(lines, top + 1, top + tok.content.count("\n"))
        elif tok.type == "code_block":
            kind, span = "code", _code_span(lines, top, bottom)
        elif tok.type == "table_open":
            kind, span = "figure", _trimmed(lines.text, lines.start(top), lines.end(bottom))
        if span is not None:
            gap = top >= 2 and lines.blank(top - 1) and lines.blank(top - 2)
            yield Block(span[0], span[1], kind, gap, level)


def _list_marker(tokens: Sequence[Token], i: int) -> str:
    """The marker ("-", "3.") of the list item that paragraph i opens on the marker's line, else ""."""
    item, para = tokens[i - 1] if i > 0 else None, tokens[i]
    if item is None or item.type != "list_item_open" or not item.map or not para.map or item.map[0] != para.map[0]:
        return ""
    return item.info + item.markup  # info is the number of an ordered item, markup "-" or "."


def _text_span(lines: _Lines, top: int, bottom: int, content: str, marker: str) -> tuple[int, int] | None:
    """The span of a paragraph's or heading's text on lines top..bottom: from where its content
    starts on the first line (after "#"s and quote marks; a list item's marker is kept) to where
    it ends on the last (before closing "#"s). None for an empty heading."""
    text = lines.text
    head, _, rest = content.strip().partition("\n")
    if not head:
        return None
    line_start = lines.start(top)
    found = text.rfind(head, line_start, lines.end(top))
    if found < 0:  # not expected (the content is cut from its lines): take the whole lines
        return _trimmed(text, line_start, lines.end(bottom))
    before = text[line_start:found].rstrip()
    start = line_start + len(before) - len(marker) if marker and before.endswith(marker) else found
    end = lines.end(bottom) if rest else found + len(head)
    return _trimmed(text, start, end)


def _code_span(lines: _Lines, top: int, bottom: int) -> tuple[int, int] | None:
    """The span of code lines top..bottom, blank lines around them left out; whole lines, so the
    indentation is kept. None if no line holds code."""
    while top <= bottom and lines.blank(top):
        top += 1
    while bottom >= top and lines.blank(bottom):
        bottom -= 1
    if top > bottom:
        return None
    return lines.start(top), lines.end(bottom)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """start..end without blank characters at either side; None if nothing is left."""
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    trail = len(chunk) - len(chunk.rstrip())
    return (start + lead, end - trail) if lead < len(chunk) else None
