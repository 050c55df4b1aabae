"""The text pen followed through a page's drawing operators: where each line starts, how far its
glyphs have moved the pen, and the gap before text that a move sets further along the same line.

pypdf measures neither (it reports runs by where they start), yet two readings need the gaps: a
word space in a font with no space glyph (ingest/pdf/spacing.py) and the jump to a table's next
cell (ingest/pdf/cells.py). Widths come from the page's fonts (ingest/pdf/fonts.py); the text
state (Tc, Tw, Tz, TL, Tf) and the user space (cm) are saved and restored with q and Q.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingest.pdf.fonts import FontMetrics, is_number

SHOW = (b"Tj", b"TJ", b"'", b'"')
MOVES = (b"Td", b"TD", b"T*", b"'", b'"', b"Tm")  # the operators that start a text line
Matrix = tuple[float, ...]  # a PDF matrix [a b c d e f]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def raw_bytes(item: Any) -> bytes:
    """A string operand as the bytes the page holds (pypdf decodes what it parses by a guessed encoding)."""
    original = getattr(item, "original_bytes", None)
    return bytes(original) if original is not None else bytes(item)


def _times(m: Matrix, n: Matrix) -> Matrix:
    """The matrix product m × n of two PDF matrices [a b c d e f]."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


class TextPen:
    """Feed it every operator of a page in order (`step`); it knows the text state, the current font's
    metrics, the line the pen is on and how far along it the pen is."""

    def __init__(self, fonts: Mapping[Any, FontMetrics]) -> None:
        self.fonts = fonts
        self.tc = self.tw = 0.0
        self.size, self.scale, self.leading = 1.0, 1.0, 0.0
        self.font: FontMetrics | None = None
        self.cm: Matrix = _IDENTITY
        self._saved: list[tuple[Any, ...]] = []
        self.matrix: Matrix = _IDENTITY  # the text line matrix: Td moves from it, BT resets it
        self.start: Matrix = _IDENTITY  # the matrix the pen's line began at
        self.start_cm: Matrix = _IDENTITY  # the user space that line was drawn in
        self.advance: float | None = 0.0  # text space units along the line; None once a width is unknown

    @property
    def em(self) -> float:
        """The current font's em in text space units."""
        return self.size * self.scale

    def user_point(self, matrix: Matrix) -> tuple[float, float]:
        """Where a text line matrix's origin stands in user space (the current cm)."""
        x, y = matrix[4], matrix[5]
        a, b, c, d, e, f = self.cm
        return x * a + y * c + e, x * b + y * d + f

    def step(self, op: bytes, operands: list[Any]) -> float | None:
        """Apply one operator. For a move that goes on along the pen's line (same user space, scale and
        baseline), the gap in text space units from where the pen stood to where text resumes (negative
        when it resumes over the last glyphs); None for every other operator."""
        numbers = [float(x) for x in operands if is_number(x)]
        if op == b"q":
            self._saved.append((self.tc, self.tw, self.size, self.scale, self.leading, self.font, self.cm))
        elif op == b"Q" and self._saved:
            self.tc, self.tw, self.size, self.scale, self.leading, self.font, self.cm = self._saved.pop()
        elif op == b"cm" and len(numbers) == 6:
            self.cm = _times(tuple(numbers), self.cm)
        elif op == b"BT":
            self.matrix = _IDENTITY
        elif op == b"Tc" and numbers:
            self.tc = numbers[0]
        elif op == b"Tw" and numbers:
            self.tw = numbers[0]
        elif op == b"Tz" and numbers:
            self.scale = numbers[0] / 100
        elif op == b"TL" and numbers:
            self.leading = numbers[0]
        elif op == b'"' and len(numbers) >= 2:
            self.tw, self.tc = numbers[0], numbers[1]
        elif op == b"Tf" and len(operands) == 2 and is_number(operands[1]):
            self.size = abs(float(operands[1])) or 1.0
            self.font = self.fonts.get(operands[0])
        gap = None
        if op in MOVES:
            gap = self._move(op, numbers)
        if op in SHOW and operands:
            self._show(list(operands[-1]) if op == b"TJ" else [operands[-1]])
        return gap

    def _move(self, op: bytes, numbers: list[float]) -> float | None:
        a, b, c, d, e, f = self.matrix
        moved: Matrix
        if op == b"Tm" and len(numbers) == 6:
            moved = tuple(numbers)
        else:
            tx, ty = [*numbers, 0.0, 0.0][:2] if op in (b"Td", b"TD") else (0.0, -self.leading)
            if op == b"TD":
                self.leading = -ty
            moved = (a, b, c, d, e + tx * a + ty * c, f + tx * b + ty * d)
        sa, sb, sc, sd, se, sf = self.start
        gap = None
        if (op not in (b"T*", b"'", b'"') and self.advance is not None and self.cm == self.start_cm
                and moved[:4] == self.start[:4] and sb == sc == 0 and sa > 0
                and abs(moved[5] - sf) < 1e-3 * abs(sd or 1)):
            gap = (moved[4] - se) / sa - self.advance
        self.matrix = self.start = moved
        self.start_cm = self.cm
        self.advance = 0.0
        return gap

    def _show(self, items: list[Any]) -> None:
        if self.advance is None:
            return
        metrics = self.font
        if metrics is None:
            self.advance = None
            return
        total = 0.0
        for item in items:
            if is_number(item):
                total -= float(item) / 1000 * self.size * self.scale
                continue
            measured = metrics.advance(raw_bytes(item))
            if measured is None:
                self.advance = None
                return
            width, glyphs, spaces = measured
            total += (width / 1000 * self.size + glyphs * self.tc + spaces * self.tw) * self.scale
        self.advance += total
