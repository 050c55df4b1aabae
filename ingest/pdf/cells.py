"""Where text jumps a column gap along its line: the starts of a table's cells.

pypdf reports text by runs and where they start; whether the space before a run is a word space
or a column's gap it does not say. Following the pen (ingest/pdf/pen.py) during pypdf's own
parse, through its operator visitor, finds each move that resumes text further along the same
line after a gap of an em or more: word spaces, even stretched in a justified line, stay under
0.8 em in every PDF measured, while a table's column gap or a tab stop is wider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ingest.pdf.fonts import FontMetrics
from ingest.pdf.pen import SHOW, TextPen

# The least gap, in ems of the text before it, that is a jump to another column.
COLUMN_GAP = 1.0


@dataclass(frozen=True)
class Jump:
    """Text resumed at (x, y), user space, after a column's gap on its line."""

    x: float
    y: float


class CellJumps:
    """pypdf's `visitor_operand_before`: follows the pen through a page's operators and records
    its jumps. The user space is pypdf's own (it knows a form's matrix); fonts are the page's."""

    def __init__(self, fonts: Mapping[Any, FontMetrics]) -> None:
        self.pen = TextPen(fonts)
        self.jumps: list[Jump] = []
        self._em = 0.0  # the em of the last text shown
        self._lost = False

    def __call__(self, op: bytes, operands: Any, cm: list[float], tm: list[float]) -> None:
        if self._lost:
            return
        try:
            self.pen.cm = tuple(float(v) for v in cm)
            if op in SHOW:
                self._em = self.pen.em
            gap = self.pen.step(op, list(operands))
        except Exception:  # an operator the pen cannot follow: no more jumps on this page, but its text is read
            self._lost = True
            return
        if gap is not None and self._em > 0 and gap >= COLUMN_GAP * self._em:
            self.jumps.append(Jump(*self.pen.user_point(self.pen.start)))
