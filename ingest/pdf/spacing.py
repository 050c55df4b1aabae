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
"""

from __future__ import annotations

import re
from typing import Any

_SHOW = (b"Tj", b"TJ", b"'", b'"')
# A non-zero number before Tc or Tw, or the '"' operator (which sets both) after its string: what
# makes a page worth parsing here. A quote mark inside a string rarely looks like the operator.
_SPACED = re.compile(rb'(?<![\w.])[-+]?(?:\d*\.\d*[1-9]|0*[1-9])[\d.]*\s+T[cw]\b|(?<!\\)[)>]\s*"')


def _is_number(item: Any) -> bool:
    return isinstance(item, (int, float)) and not isinstance(item, bool)


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
        if _is_number(item):
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


def explicit_spacing(page: Any) -> bool:
    """Rewrite the page's text-showing operations so that Tc and Tw gaps are TJ kerns (see above).
    Returns whether anything was rewritten; a page whose content cannot be parsed is left as it is."""
    from pypdf.generic import ArrayObject, ContentStream, FloatObject, NameObject

    contents = page.get_contents()
    if contents is None or not _SPACED.search(contents.get_data()):
        return False  # no non-zero Tc or Tw and no '"': not parsed a second time (LaTeX's pages)
    stream = ContentStream(contents, page.pdf)
    try:
        listed = page["/Resources"].get_object().get("/Font")
        fonts = listed.get_object() if listed is not None else {}
    except Exception:  # no resources, or a damaged entry: every font counts as not simple
        fonts = {}
    # The text state is part of the graphics state: q saves it, Q restores it.
    state = {"tc": 0.0, "tw": 0.0, "size": 1.0, "simple": False}
    saved: list[dict[str, Any]] = []
    out: list[tuple[list[Any], bytes]] = []
    rewritten = False
    for operands, op in stream.operations:
        if op == b"q":
            saved.append(dict(state))
        elif op == b"Q" and saved:
            state = saved.pop()
        elif op == b"Tc" and operands and _is_number(operands[0]):
            state["tc"] = float(operands[0])
        elif op == b"Tw" and operands and _is_number(operands[0]):
            state["tw"] = float(operands[0])
        elif op == b'"' and len(operands) == 3 and _is_number(operands[0]) and _is_number(operands[1]):
            state["tw"], state["tc"] = float(operands[0]), float(operands[1])
        elif op == b"Tf" and len(operands) == 2 and _is_number(operands[1]):
            state["size"] = abs(float(operands[1])) or 1.0
            font = fonts.get(operands[0]) if hasattr(fonts, "get") else None
            state["simple"] = font is not None and font.get_object().get("/Subtype") in (
                "/Type1", "/TrueType", "/MMType1", "/Type3")
        if op in _SHOW and state["simple"] and (state["tc"] or state["tw"]) and operands:
            items = list(operands[-1]) if op == b"TJ" else [operands[-1]]
            kerned = _kerned(items, state["tc"], state["tw"], state["size"])
            if op in (b"'", b'"'):  # move to the next line, then show: T* and the rewritten TJ
                out.append(([], b"T*"))
            out += [([FloatObject(0)], b"Tc"), ([FloatObject(0)], b"Tw"), ([ArrayObject(kerned)], b"TJ"),
                    ([FloatObject(state["tc"])], b"Tc"), ([FloatObject(state["tw"])], b"Tw")]
            rewritten = True
            continue
        out.append(([_raw(o) for o in operands] if op in _SHOW else operands, op))
    if rewritten:
        stream.operations = out
        page[NameObject("/Contents")] = stream
    return rewritten
