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
a 564-unit glyph, so no gap became a space ("Regularexpressionsareusedinmanytextprocessingtools").
In such a font (ingest/pdf/fonts.py) a kern wider than half an estimated space is split into a
kern no reader can miss and one that takes the excess back: the glyphs stand where they stood,
and pypdf writes the space. A string that a move places a word gap further along its line (0.15
em or more past where the pen stood, ingest/pdf/pen.py) gets such a kern pair at its end.
"""

from __future__ import annotations

import re
from typing import Any

from ingest.pdf.fonts import FontMetrics, is_number, page_fonts
from ingest.pdf.pen import MOVES, SHOW, TextPen, raw_bytes

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
        for byte in raw_bytes(item):
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


def explicit_spacing(page: Any, fonts: dict[Any, FontMetrics] | None = None) -> bool:
    """Rewrite the page's text-showing operations so that Tc and Tw gaps, and word gaps in fonts
    with no space glyph, are kerns pypdf reads (see above). Returns whether anything was rewritten;
    a page whose content cannot be parsed is left as it is. `fonts`: the page's (page_fonts)."""
    from pypdf.generic import ArrayObject, ContentStream, FloatObject, NameObject

    contents = page.get_contents()
    if contents is None:
        return False
    fonts = page_fonts(page) if fonts is None else fonts
    if not _SPACED.search(contents.get_data()) and not any(m.gap is not None for m in fonts.values()):
        return False  # nothing to rewrite: not parsed a second time
    stream = ContentStream(contents, page.pdf)
    pen = TextPen(fonts)
    out: list[tuple[list[Any], bytes]] = []
    # The last string drawn on the pen's line in a font with no space glyph: its place in `out` and the
    # least gap after it (text space units) that is a word space.
    last: tuple[int, float] | None = None
    rewritten = False
    for operands, op in stream.operations:
        moved = pen.step(op, operands)  # a show's glyphs move the pen, not its text state: read it after
        if op in MOVES:
            if moved is not None and last is not None and moved >= last[1] and (
                    spaced_out := _with_trailing_space(out[last[0]])) is not None:
                out[last[0]] = spaced_out
                rewritten = True
            last = None
        if op not in SHOW or not operands:
            out.append(([_raw(o) for o in operands] if op in SHOW else operands, op))
            continue
        items = list(operands[-1]) if op == b"TJ" else [operands[-1]]
        font, em, tc, tw, size = pen.font, pen.em, pen.tc, pen.tw, pen.size
        spaced = font is not None and font.simple and (tc or tw)
        gap = font.gap if font is not None else None
        kerned = _kerned(items, tc, tw, size) if spaced else [_raw(x) for x in items]
        split = _plain_gaps(kerned, gap) if gap is not None and op == b"TJ" else kerned
        if len(split) == len(kerned) and not spaced:  # no gap to split: the operation as written
            out.append(([_raw(o) for o in operands], op))
        else:
            if op in (b"'", b'"'):  # move to the next line, then show: T* and the rewritten TJ
                out.append(([], b"T*"))
            if spaced:
                out += [([FloatObject(0)], b"Tc"), ([FloatObject(0)], b"Tw"), ([ArrayObject(split)], b"TJ"),
                        ([FloatObject(tc)], b"Tc"), ([FloatObject(tw)], b"Tw")]
            else:
                out.append(([ArrayObject(split)], b"TJ"))
            rewritten = True
        shown = len(out) - (3 if spaced else 1)  # the TJ, inside its Tc and Tw when spaced
        last = (shown, max(gap / 1000, _MOVE_GAP) * em) if gap is not None else None
    if rewritten:
        stream.operations = out
        page[NameObject("/Contents")] = stream
    return rewritten
