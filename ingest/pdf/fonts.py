"""What a page's fonts tell about spacing: each glyph's width, and whether a space glyph is declared.

pypdf finds word gaps by comparing them with half the width of the font's space glyph. A font
that maps no code to a space (XeLaTeX's, LuaLaTeX's and xdvipdfmx's composite fonts, TeX fonts in
their built-in encoding) leaves pypdf the width of code 32, whatever glyph that is (pypdf issue
3978). For such a font the space is estimated here from its glyph widths, as pypdf estimates one
it cannot find: half the median width, or the whole width in a fixed-pitch face.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

# Where pypdf calls a kern a word gap: 0.95 of half a space (its own rule for a font it can measure).
_GAP_SHARE = 0.95 / 2
_CMAP_SECTION = re.compile(rb"beginbf(char|range)(.*?)endbf\1", re.S)
_HEX = re.compile(rb"<([0-9A-Fa-f]*)>|\[[^\]]*\]")
_FIXED_PITCH = 1  # /Flags bit 1
_SIMPLE = ("/Type1", "/TrueType", "/MMType1", "/Type3")  # one byte a glyph


def is_number(item: Any) -> bool:
    return isinstance(item, (int, float)) and not isinstance(item, bool)


@dataclass(frozen=True)
class FontMetrics:
    """A font's glyph widths (thousandths of its size) and, when it declares no space glyph, the kern
    from which a gap between glyphs is a word space."""

    gap: float | None = None
    widths: dict[int, float] = field(default_factory=dict)
    ranges: tuple[tuple[int, int, float], ...] = ()  # CID ranges of one width: (first, last, width)
    default: float = 0.0
    two_byte: bool = False  # Identity-H: a code is two bytes
    measurable: bool = False  # the widths are known, so the pen can be followed across a string
    simple: bool = False  # a one-byte font (Type1, TrueType, Type3): Tc and Tw apply glyph by glyph

    def advance(self, data: bytes) -> tuple[float, int, int] | None:
        """The widths of the glyphs `data` draws, summed; how many glyphs; how many are byte 32
        in a one-byte font (where word spacing applies). None when the widths are not known."""
        if not self.measurable:
            return None
        if self.two_byte:
            codes = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data) - 1, 2)]
        else:
            codes = list(data)
        total = 0.0
        for code in codes:
            width = self.widths.get(code)
            if width is None:
                width = next((w for first, last, w in self.ranges if first <= code <= last), self.default)
            total += width
        return total, len(codes), 0 if self.two_byte else codes.count(32)


def _maps_space(to_unicode: bytes) -> bool:
    """Does a ToUnicode CMap map some code to U+0020 (in a bfchar pair or inside a bfrange)?"""
    for kind, body in _CMAP_SECTION.findall(to_unicode):
        tokens = [m.group(1) for m in _HEX.finditer(body)]  # a bfrange's array of targets reads as None
        step = 2 if kind == b"char" else 3
        for i in range(0, len(tokens) - step + 1, step):
            dst = tokens[i + step - 1]
            if not dst:
                continue
            if kind == b"char" and int(dst, 16) == 0x20:
                return True
            if kind == b"range" and tokens[i] and tokens[i + 1]:
                first = int(dst, 16)
                if first <= 0x20 <= first + int(tokens[i + 1], 16) - int(tokens[i], 16):
                    return True
    return False


def _differences(listed: Any) -> dict[int, str]:
    """Codes and glyph names of an encoding's /Differences: `[32 /space /exclam 40 /parenleft]`."""
    out: dict[int, str] = {}
    code = 0
    for item in list(listed or []):
        if is_number(item):
            code = int(item)
        else:
            out[code] = str(item)
            code += 1
    return out


def _cid_widths(w: Any) -> tuple[dict[int, float], tuple[tuple[int, int, float], ...]]:
    """The widths a CID font's /W array gives: `c [w1 w2 …]` entries and `c_first c_last w` ranges."""
    items = list(w or [])
    widths: dict[int, float] = {}
    ranges: list[tuple[int, int, float]] = []
    i = 0
    while i + 1 < len(items) and is_number(items[i]):
        first, second = int(items[i]), items[i + 1]
        if isinstance(second, list):
            widths.update((first + n, float(x)) for n, x in enumerate(second) if is_number(x))
            i += 2
        elif i + 2 < len(items) and is_number(second) and is_number(items[i + 2]):
            ranges.append((first, int(second), float(items[i + 2])))
            i += 3
        else:
            break
    return widths, tuple(ranges)


def _declares_space(font: Any) -> bool:
    """Does the font map a code to a space glyph, by its ToUnicode map or its encoding?"""
    to_unicode = font.get("/ToUnicode")
    if to_unicode is not None and _maps_space(to_unicode.get_object().get_data()):
        return True
    if font.get("/Subtype") == "/Type0":
        return False
    encoding = font.get("/Encoding")
    if encoding is None:
        return font.get("/FontDescriptor") is None  # a standard 14 font in its standard encoding
    encoding = encoding.get_object()
    if isinstance(encoding, str):  # a named encoding: code 32 is the space
        return True
    names = _differences(encoding.get("/Differences", []))
    return "/space" in names.values() or ("/BaseEncoding" in encoding and 32 not in names)


def font_metrics(font: Any) -> FontMetrics:
    """The metrics of a font dictionary; Type3 fonts (whose units are their own) and damaged
    dictionaries are not measured, and their gaps are left to pypdf."""
    try:
        return _metrics(font)
    except Exception:
        try:
            return FontMetrics(simple=font.get("/Subtype") in _SIMPLE)
        except Exception:
            return FontMetrics()


def _metrics(font: Any) -> FontMetrics:
    subtype = font.get("/Subtype")
    if subtype == "/Type3":
        return FontMetrics(simple=True)  # its glyphs are one byte each
    if subtype == "/Type0":
        descendant = font["/DescendantFonts"][0].get_object()
        widths, ranges = _cid_widths(descendant.get("/W"))
        default = float(descendant.get("/DW", 1000))
        descriptor = descendant.get("/FontDescriptor")
        sample = list(widths.values()) + [w for _, _, w in ranges] or [default]
        metrics = FontMetrics(None, widths, ranges, default, two_byte=True,
                              measurable=font.get("/Encoding") == "/Identity-H")
    else:
        listed = [float(x) if is_number(x) else 0.0 for x in font.get("/Widths", [])]
        first = int(font.get("/FirstChar", 0))
        descriptor = font.get("/FontDescriptor")
        missing = float(descriptor.get_object().get("/MissingWidth", 0)) if descriptor is not None else 0.0
        sample = listed
        metrics = FontMetrics(None, {first + n: w for n, w in enumerate(listed)}, (), missing,
                              measurable=bool(listed), simple=subtype in _SIMPLE)
    if _declares_space(font):
        return metrics
    sample = sorted(x for x in sample if x > 0) or [500.0]
    median = sample[len(sample) // 2]
    flags = int(descriptor.get_object().get("/Flags", 0)) if descriptor is not None else 0
    space = median if flags & _FIXED_PITCH else median / 2  # fixed pitch: a space is a glyph wide
    return replace(metrics, gap=_GAP_SHARE * space)


def page_fonts(page: Any, known: dict[tuple[int, int], FontMetrics] | None = None) -> dict[Any, FontMetrics]:
    """The metrics of the fonts a page's resources name; none for a page without readable resources.
    `known`: the metrics already read in this document, by font object: pages share their fonts,
    and a font's ToUnicode map and widths are read once."""
    from pypdf.generic import IndirectObject

    known = {} if known is None else known
    try:
        listed = page["/Resources"].get_object().get("/Font")
        if listed is None:
            return {}
        fonts = listed.get_object()
        out: dict[Any, FontMetrics] = {}
        for name in list(fonts.keys()):
            ref = fonts.raw_get(name)
            key = (ref.idnum, ref.generation) if isinstance(ref, IndirectObject) else None
            if key is None or key not in known:
                metrics = font_metrics(fonts[name].get_object())
                if key is None:
                    out[name] = metrics
                    continue
                known[key] = metrics
            out[name] = known[key]
        return out
    except Exception:  # no resources, or a damaged entry
        return {}
