"""Character and word spacing (Tc, Tw) made explicit, so that pypdf sees the gaps a page shows.

Some writers space words with the text state instead of space glyphs: Ghostscript's output of
groff man pages justifies lines with character spacing (`3.046 Tc [(oo)304.591(rt)] TJ` draws
"o or t": a gap after every glyph, one taken back by the kern) and word spacing on the spaces.
pypdf's text extraction leaves both out of its widths, so it glued words ("twoorthree",
"character,the") and split others where the next piece was placed after a stretched line
("history e xpansion"). Before a page is read, each text-showing operation (Tj, TJ, ' and ")
drawn with a non-zero Tc or Tw in a simple (one byte a glyph) font is rewritten as one TJ (after
a T* for ' and ") whose kerns carry those gaps, with Tc and Tw set to 0 around it: its glyphs
stand where they stood, and the gaps are where pypdf looks for them. Only the advance after an
operation's last glyph loses its Tc and Tw: kept as a kern, pypdf read it as a space even where
the next piece is placed against that glyph (`Td` to "hree" after "t"). Pages that use neither
are left untouched; the file is never written.

Word gaps drawn as kerns are made plain too. XeLaTeX, LuaLaTeX and dblatex (through xdvipdfmx)
draw no space glyph: `[(Regular)-250(expressions)] TJ`. pypdf calls a kern a space when it
passes half the width of the font's space glyph; a font that maps no code to a space leaves it
the width of code 32, whatever glyph that is (pypdf issue 3978): in Debian's reference manual
a 564-unit "=", so no gap became a space ("Regularexpressionsareusedinmanytextprocessingtools").
In such a font a kern wider than half an estimated space (half the median glyph width; the glyph
width itself in a fixed-pitch face) is split into a kern no reader can miss and one that takes
the excess back: the glyphs stand where they stood, and pypdf writes the space.
"""

from __future__ import annotations

import re
from typing import Any

from ingest.pdf.fonts import FontMetrics, font_metrics, is_number

_SHOW = (b"Tj", b"TJ", b"'", b'"')
# A non-zero number before Tc or Tw, or the '"' operator (which sets both) after its string: what
# makes a page worth parsing here. A quote mark inside a string rarely looks like the operator.
_SPACED = re.compile(rb'(?<![\w.])[-+]?(?:\d*\.\d*[1-9]|0*[1-9])[\d.]*\s+T[cw]\b|(?<!\\)[)>]\s*"')


# A kern big enough for any space pypdf may assume (1000 units is a full em).
_UNMISSABLE = 10_000.0
# The least gap (in ems) before a string that a move places further along the line, for it to be a
# word space: the italic correction TeX puts after an italic word (0.14 em in APA's "43(6)") is no
# space; interword glue, even shrunk in a justified line, is 0.16 em and more in the PDFs measured.
_MOVE_GAP = 0.15


def _plain_gaps(items: list[Any], gap: float) -> list[Any]:
    """A TJ array whose kerns of at least `gap` between two strings are split into a kern pypdf
    reads as a space and one that takes the excess back."""
    from pypdf.generic import FloatObject

    out: list[Any] = []
    for i, item in enumerate(items):
        if (is_number(item) and -float(item) >= gap and 0 < i < len(items) - 1
                and not is_number(items[i - 1]) and not is_number(items[i + 1])):
            out += [FloatObject(-_UNMISSABLE), FloatObject(_UNMISSABLE + float(item))]
        else:
            out.append(item)
    return out


def _raw(operand: Any) -> Any:
    """A string operand as the bytes the page holds: pypdf decodes strings it parses into text by a
    guessed encoding, and writing that text back would change the bytes the font maps to glyphs."""
    from pypdf.generic import ArrayObject, ByteStringObject, TextStringObject

    if isinstance(operand, ArrayObject):
        return ArrayObject(_raw(x) for x in operand)
    if isinstance(operand, TextStringObject):
        return ByteStringObject(operand.original_bytes)
    return operand


def _kerned(items: list[Any], tc: float, tw: float, size: float) -> list[Any]:
    """A TJ array drawing `items` with character spacing `tc` and word spacing `tw` as kerns: after
    each glyph but the last, tc (plus tw after a space, byte 32) minus the kern that follows it."""
    from pypdf.generic import ByteStringObject, FloatObject

    out: list[Any] = []
    run = bytearray()
    shift = 0.0  # text space units moved right since the last glyph, by the array's own kerns
    previous: int | None = None
    for item in items:
        if is_number(item):
            shift -= float(item) / 1000 * size
            continue
        for byte in bytes(_raw(item)):
            if previous is not None:
                gap = tc + (tw if previous == 32 else 0.0) + shift
                if gap:
                    out += [ByteStringObject(bytes(run)), FloatObject(-gap * 1000 / size)]
                    run = bytearray()
            shift = 0.0
            run.append(byte)
            previous = byte
    if run:
        out.append(ByteStringObject(bytes(run)))
    return out


class _Pen:
    """Where the text pen is, so that a string placed further along the same baseline after a word
    gap gets its space. `matrix` is the text line matrix (Td moves from it; BT resets it); `start`
    the one the pen's line began at and `advance` how far the pen has gone along it (text space
    units; None once a glyph's width is unknown); `last` the last string drawn on that line in a font
    with no space glyph: (its operation's place in the output, the least gap after it, in text space
    units, that is a word space).
    The pen outlives ET: xdvipdfmx sets each link and font change in a BT … ET of its own; `space`
    names the user space (the cm in force) its line was drawn in."""

    def __init__(self) -> None:
        self.matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        self.start = list(self.matrix)
        self.advance: float | None = 0.0
        self.last: tuple[int, float] | None = None
        self.space = 0

    def move(self, matrix: list[float], space: int, newline: bool = False) -> int | None:
        """Start a line at `matrix`; the output place of the string after which this leaves a word
        gap, when it continues the pen's line (same scale, same baseline, further along)."""
        a, b, c, d, e, f = self.start
        gapped = None
        if (not newline and self.last is not None and space == self.space and self.advance is not None
                and matrix[:4] == [a, b, c, d] and b == c == 0 and a > 0 and abs(matrix[5] - f) < 1e-3 * abs(d or 1)
                and (matrix[4] - e) / a - self.advance >= self.last[1]):
            gapped = self.last[0]
        self.matrix, self.start, self.advance, self.last, self.space = matrix, list(matrix), 0.0, None, space
        return gapped


def _with_trailing_space(operation: tuple[list[Any], bytes]) -> tuple[list[Any], bytes] | None:
    """A Tj or TJ ending in an unmissable kern and its take-back: pypdf writes a space after it."""
    from pypdf.generic import ArrayObject, FloatObject

    operands, op = operation
    tail = [FloatObject(-_UNMISSABLE), FloatObject(_UNMISSABLE)]
    if op == b"TJ" and operands:
        return [ArrayObject(list(operands[0]) + tail)], b"TJ"
    if op == b"Tj" and operands:
        return [ArrayObject([operands[0], *tail])], b"TJ"
    return None


def _advance(items: list[Any], metrics: FontMetrics | None, state: dict[str, Any]) -> float | None:
    """How far a string (or TJ array) moves the pen, in text space units; None when a width is unknown."""
    if metrics is None:
        return None
    size, scale = state["size"], state["scale"]
    total = 0.0
    for item in items:
        if is_number(item):
            total -= float(item) / 1000 * size * scale
            continue
        measured = metrics.advance(bytes(_raw(item)))
        if measured is None:
            return None
        width, glyphs, spaces = measured
        total += (width / 1000 * size + glyphs * state["tc"] + spaces * state["tw"]) * scale
    return total


def explicit_spacing(page: Any) -> bool:
    """Rewrite the page's text-showing operations so that Tc and Tw gaps, and word gaps in fonts
    with no space glyph, are kerns pypdf reads (see above). Returns whether anything was rewritten;
    a page whose content cannot be parsed is left as it is."""
    from pypdf.generic import ArrayObject, ContentStream, FloatObject, NameObject

    contents = page.get_contents()
    if contents is None:
        return False
    try:
        listed = page["/Resources"].get_object().get("/Font")
        fonts = listed.get_object() if listed is not None else {}
        metrics = {name: font_metrics(fonts[name].get_object()) for name in list(fonts.keys())}
    except Exception:  # no resources, or a damaged entry: every font counts as not simple
        fonts, metrics = {}, {}
    if not _SPACED.search(contents.get_data()) and not any(m.gap is not None for m in metrics.values()):
        return False  # nothing to rewrite: not parsed a second time
    stream = ContentStream(contents, page.pdf)
    # The text state is part of the graphics state: q saves it, Q restores it.
    state: dict[str, Any] = {"tc": 0.0, "tw": 0.0, "size": 1.0, "scale": 1.0, "leading": 0.0, "space": 0,
                            "simple": False, "font": None}
    spaces = 0  # user spaces numbered as cm operators make them
    saved: list[dict[str, Any]] = []
    out: list[tuple[list[Any], bytes]] = []
    pen = _Pen()
    rewritten = False
    for operands, op in stream.operations:
        numbers = [float(x) for x in operands if is_number(x)]
        if op == b"q":
            saved.append(dict(state))
        elif op == b"Q" and saved:
            state = saved.pop()
        elif op == b"cm":  # a new user space: what was drawn before compares with nothing after it
            spaces += 1
            state["space"] = spaces
        elif op == b"BT":
            pen.matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        elif op == b"Tc" and numbers:
            state["tc"] = numbers[0]
        elif op == b"Tw" and numbers:
            state["tw"] = numbers[0]
        elif op == b"Tz" and numbers:
            state["scale"] = numbers[0] / 100
        elif op == b"TL" and numbers:
            state["leading"] = numbers[0]
        elif op == b'"' and len(operands) == 3 and is_number(operands[0]) and is_number(operands[1]):
            state["tw"], state["tc"] = float(operands[0]), float(operands[1])
        elif op == b"Tf" and len(operands) == 2 and is_number(operands[1]):
            state["size"] = abs(float(operands[1])) or 1.0
            font = fonts.get(operands[0]) if hasattr(fonts, "get") else None
            state["simple"] = font is not None and font.get_object().get("/Subtype") in (
                "/Type1", "/TrueType", "/MMType1", "/Type3")
            state["font"] = metrics.get(operands[0])
        if op in (b"Td", b"TD", b"T*", b"'", b'"', b"Tm"):
            a, b, c, d, e, f = pen.matrix
            tx, ty = [*numbers, 0.0, 0.0][:2] if op in (b"Td", b"TD") else (0.0, -state["leading"])
            if op == b"TD":
                state["leading"] = -ty
            moved = numbers if op == b"Tm" and len(numbers) == 6 else [a, b, c, d, e + tx * a + ty * c,
                                                                        f + tx * b + ty * d]
            at = pen.move(moved, state["space"], newline=op in (b"T*", b"'", b'"'))
            if at is not None and (spaced_out := _with_trailing_space(out[at])) is not None:
                out[at] = spaced_out
                rewritten = True
        if op not in _SHOW or not operands:
            out.append(([_raw(o) for o in operands] if op in _SHOW else operands, op))
            continue
        items = list(operands[-1]) if op == b"TJ" else [operands[-1]]
        font_of: FontMetrics | None = state["font"]
        if pen.advance is not None:
            moved_by = _advance(items, font_of, state)
            pen.advance = None if moved_by is None else pen.advance + moved_by
        spaced = state["simple"] and (state["tc"] or state["tw"])
        gap = font_of.gap if font_of is not None else None
        kerned = _kerned(items, state["tc"], state["tw"], state["size"]) if spaced else [_raw(x) for x in items]
        split = _plain_gaps(kerned, gap) if gap is not None and op == b"TJ" else kerned
        if len(split) == len(kerned) and not spaced:  # no gap to split: the operation as written
            out.append(([_raw(o) for o in operands], op))
        else:
            if op in (b"'", b'"'):  # move to the next line, then show: T* and the rewritten TJ
                out.append(([], b"T*"))
            if spaced:
                out += [([FloatObject(0)], b"Tc"), ([FloatObject(0)], b"Tw"), ([ArrayObject(split)], b"TJ"),
                        ([FloatObject(state["tc"])], b"Tc"), ([FloatObject(state["tw"])], b"Tw")]
            else:
                out.append(([ArrayObject(split)], b"TJ"))
            rewritten = True
        shown = len(out) - (3 if spaced else 1)  # the TJ, inside its Tc and Tw when spaced
        em = state["size"] * state["scale"]
        pen.last = (shown, max(gap / 1000, _MOVE_GAP) * em) if gap is not None else None
    if rewritten:
        stream.operations = out
        page[NameObject("/Contents")] = stream
    return rewritten
