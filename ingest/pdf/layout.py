"""Lines of a PDF page with their layout: position, font size, boldness, monospace and math share.

pypdf's text visitor reports each run of text with its matrices and font; runs are
grouped into lines by baseline, so a running header, a page number or a superscript
is a line (or part of one) of its own rather than text glued to its neighbours.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ingest.pdf.cells import CellJumps, Jump
from ingest.pdf.fonts import FontMetrics, page_fonts
from ingest.pdf.spacing import explicit_spacing
from ingest.text import normalise

# Font-name fragments: bold faces, fixed-width (code) faces and math faces.
# URW's Times is bold as "NimbusRomNo9L-Medi" (LaTeX's times and newtx: Elsevier's and IEEE's classes).
_BOLD = re.compile(r"bold|black|heavy|semibold|demi|medi\b|medium|,b\b|-b\b|\bbd\b|cmbx|cmb\d", re.I)
_MONO = re.compile(r"mono|courier|typewriter|consol|menlo|cmtt|lmtt|inconsolata|code|fixed", re.I)
_MATH = re.compile(r"math|cmmi|cmsy|cmex|msam|msbm|symbol|stix|rsfs|eufm|lmmi|lmsy|lmex", re.I)


@dataclass(frozen=True)
class Run:
    """One piece of text as drawn: its baseline position, size and font."""

    x: float
    y: float
    size: float
    font: str
    text: str


@dataclass(frozen=True)
class Line:
    """A line of a page, top to bottom; sizes and shares are weighted by characters."""

    page: int  # 0-based PDF page
    x: float
    y: float  # baseline, PDF units (larger is higher on the page)
    size: float  # dominant font size
    bold: float  # share of characters in a bold face
    mono: float  # share of characters in a fixed-width face
    math: float  # share of characters in a math face
    text: str
    # Where the line's text resumes after a column's gap (ingest/pdf/cells.py): a table's cell starts.
    cells: tuple[float, ...] = ()
    # Spaces drawn as characters before the line's first glyph: ReportLab sets code's indentation
    # as "(    ) Tj" at the line's start, so only the text, not the position, shows it.
    indent: int = 0


def _font_name(font: Any) -> str:
    try:
        return str(font.get("/BaseFont", "")) if font else ""
    except Exception:
        return ""


def page_runs(page: Any, known_fonts: dict[tuple[int, int], FontMetrics] | None = None
              ) -> tuple[list[Run], list[Jump]]:
    """The page's text runs, in content-stream order, via pypdf's visitor (character and word
    spacing made explicit first, ingest/pdf/spacing.py), and where its text jumps a column's gap.
    `known_fonts`: the font metrics the document's pages read before (page_fonts)."""
    runs: list[Run] = []
    fonts = page_fonts(page, known_fonts)
    with contextlib.suppress(Exception):  # a content stream pypdf cannot parse fails below, where it is reported
        explicit_spacing(page, fonts)
    jumps = CellJumps(fonts)

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text:
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0
        runs.append(Run(x, y, abs(size * scale), _font_name(font), text))

    page.extract_text(visitor_text=visit, visitor_operand_before=jumps)
    return runs, jumps.jumps


def _with_cells(lines: list[Line], jumps: Sequence[Jump]) -> list[Line]:
    """Each jump given to the line it falls in: on that line's baseline, after its start, and of two
    lines on one baseline (two columns of a page) the one that starts nearer before it."""
    cells: dict[int, list[float]] = {}
    for jump in jumps:
        on = [i for i, ln in enumerate(lines) if abs(ln.y - jump.y) <= 0.35 * ln.size and ln.x < jump.x - 1]
        if on:
            cells.setdefault(max(on, key=lambda i: lines[i].x), []).append(round(jump.x * 2) / 2)
    return [replace(ln, cells=tuple(sorted(set(cells[i])))) if i in cells else ln for i, ln in enumerate(lines)]


def _char_weight(runs: list[tuple[Run, str]], pattern: re.Pattern[str]) -> float:
    total = sum(len(t.strip()) for _, t in runs) or 1
    return sum(len(t.strip()) for r, t in runs if pattern.search(r.font)) / total


# TeX sets an accent as a glyph of its own before its letter: pypdf reads "Kr¨amer", "Mart´ın".
_SPACING_ACCENT = {"¨": "\u0308", "´": "\u0301", "`": "\u0300", "ˆ": "\u0302", "˜": "\u0303", "ˇ": "\u030c",
                   "¸": "\u0327", "˚": "\u030a"}
_ACCENTED = re.compile(rf"(?<=[^\W\d_])([{''.join(_SPACING_ACCENT)}])([^\W\d_])|"
                       rf"(?<![^\W\d_])([{''.join(_SPACING_ACCENT)}])([aeiouyAEIOUYnNcCsSzZ])(?=[^\W\d_])")


def _with_accents(text: str) -> str:
    """A spacing accent glyph set before a letter inside a word, put on its letter: "Kr¨amer" -> "Krämer"."""
    def join(m: re.Match[str]) -> str:
        accent, letter = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        letter = "i" if letter == "ı" else letter  # TeX accents a dotless i: "Mart´ın" -> "Martín"
        return unicodedata.normalize("NFC", letter + _SPACING_ACCENT[accent])
    return _ACCENTED.sub(join, text)


def lines_of(page_number: int, runs: list[Run], jumps: Sequence[Jump] = ()) -> list[Line]:
    """Group runs into lines: a run starts a new line after a newline in the stream or when its
    baseline moves by more than half a line (superscripts and subscripts stay on their line).
    `jumps` (page_runs) become the lines' cells."""
    groups: list[list[tuple[Run, str]]] = []
    current: list[tuple[Run, str]] = []
    base_y: float | None = None
    base_size = 0.0
    last_x = 0.0
    last_end = 0.0  # where the last piece ends, at most: 0.6 em a character (a fixed-width face's advance)
    pending = False  # pypdf wrote a newline: a new line unless the geometry says otherwise
    for run in runs:
        pieces = run.text.split("\n")
        for i, piece in enumerate(pieces):
            if i > 0:
                pending = True
                if i > 1 or piece.strip():  # a newline inside one run: no geometry to ask
                    if current:
                        groups.append(current)
                    current, base_y, pending = [], None, False
            if not piece.strip():
                if piece and current:
                    current.append((run, piece))
                continue
            if base_y is not None:
                dy = abs(run.y - base_y)
                tol = max(base_size, run.size, 1.0)
                # Super- and subscripts, big operators: short pieces may stray further from the baseline.
                reach = 1.0 if len(piece.strip()) <= 3 and run.size <= base_size + 0.1 else 0.6
                if dy > reach * tol or (pending and run.x < last_x - 1 and dy > 0.3 * tol):
                    groups.append(current)
                    current, base_y = [], None
                elif pending and i == 0 and run.x > last_end + 0.2 * tol and not current[-1][1][-1:].isspace() \
                        and not piece[:1].isspace():
                    # Text placed further along the same baseline (a header's page number, a dot leader,
                    # a tab stop) after pypdf wrote a newline: a word boundary, not a glued word.
                    current.append((run, " "))
            pending = False
            if base_y is None or run.size > base_size:
                base_y, base_size = run.y, run.size
            current.append((run, piece))
            last_x = run.x
            last_end = run.x + 0.6 * run.size * len(piece.rstrip()) if i == 0 else float("inf")
    if current:
        groups.append(current)
    out = []
    for g in groups:
        text = normalise(_with_accents("".join(t for _, t in g)))
        indent = len(text) - len(text.lstrip(" "))
        text = text.strip()
        if not text:
            continue
        weights: dict[float, int] = {}
        for r, t in g:
            weights[round(r.size, 1)] = weights.get(round(r.size, 1), 0) + len(t.strip())
        size = max(weights, key=lambda s: weights[s])
        main = max(g, key=lambda rt: (round(rt[0].size, 1) == size, len(rt[1].strip())))[0]
        out.append(
            Line(page_number, min(r.x for r, _ in g), main.y, size, _char_weight(g, _BOLD), _char_weight(g, _MONO),
                 _char_weight(g, _MATH), text, indent=indent)
        )
    return _with_cells(out, jumps)
