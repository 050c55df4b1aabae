"""Tiny hand-written PDFs for hostile-input tests: pages pypdf really fails on, and compressed bombs.

reportlab writes only well-formed files; these are written object by object so a test can hold
a page whose content stream uses a filter no reader has, or inflates 1000-fold.
"""

from __future__ import annotations

import zlib

# A page whose text is this is written with a content filter that does not exist: pypdf raises
# NotImplementedError("Unsupported filter /BogusDecode") on it, as it fails on damaged real pages.
EXPLODE = "Detonator page marker text."


def _escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def _content(text: str) -> bytes:
    lines = [s.strip().rstrip(".") + "." for s in text.split(". ") if s.strip()]
    ops = b" ".join(b"0 -16 Td (" + _escape(line) + b") Tj" for line in lines)
    return b"BT /F1 12 Tf 72 780 Td " + ops + b" ET"


def _stream(data: bytes, filters: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), filters) + data + b"\nendstream"


# A composite font as xdvipdfmx writes one: two-byte codes (Identity-H) and a ToUnicode map with no
# code for the space, whose words are parted by kerns and moves alone. Its glyphs: a-z are codes
# 1-26, A-Z 27-52, then ".,()" and the digits; code 32, which pypdf takes for the space, is "F".
COMPOSITE_GLYPHS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,()0123456789"
COMPOSITE_WIDTHS = [500] * 26 + [667] * 26 + [250] * 4 + [500] * 10


def composite(text: str) -> bytes:
    """`text` (no spaces) as a hex string of the composite font's two-byte codes."""
    return b"<" + b"".join(b"%04X" % (COMPOSITE_GLYPHS.index(ch) + 1) for ch in text) + b">"


def _composite_font() -> list[bytes]:
    """The Type0 font (object 5), its CID font (6) and its ToUnicode map (7)."""
    pairs = b"\n".join(b"<%04X> <%04X>" % (n, ord(ch)) for n, ch in enumerate(COMPOSITE_GLYPHS, 1))
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Test-UCS def "
            b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n%d beginbfchar\n%s\nendbfchar\n"
            b"endcmap CMapName currentdict /CMap defineresource pop end end" % (len(COMPOSITE_GLYPHS), pairs))
    widths = b" ".join(b"%d" % w for w in COMPOSITE_WIDTHS)
    return [b"<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+LiberationSerif /Encoding /Identity-H "
            b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+LiberationSerif /CIDSystemInfo "
            b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 500 /W [1 [" + widths + b"]] >>",
            _stream(cmap)]


def _document(streams: list[bytes]) -> bytes:
    """A PDF with one page per content-stream object given, drawn in Helvetica (/F1), in /F2, the
    bold Times that LaTeX's times and newtx packages embed under URW's name, in /F3, a composite
    font with no space glyph (see COMPOSITE_GLYPHS), in Courier (/F4), or in /F5, the bold face
    of /F3 (its glyphs, under a bold name)."""
    fonts = [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
             b"<< /Type /Font /Subtype /Type1 /BaseFont /NimbusRomNo9L-Medi >>", *_composite_font(),
             b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>",
             b"<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+LiberationSerif-Bold /Encoding /Identity-H "
             b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>"]
    first_page = 3 + len(fonts)
    n = len(streams)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(n))
            + b"] /Count %d >>" % n, *fonts]
    for i, stream in enumerate(streams):
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font "
                    b"<< /F1 3 0 R /F2 4 0 R /F3 5 0 R /F4 8 0 R /F5 9 0 R >> >> /Contents %d 0 R >>"
                    % (first_page + 1 + 2 * i))
        objs.append(stream)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def text_pdf(*pages: str) -> bytes:
    """One page per text (sentences on lines of their own); a page reading EXPLODE fails inside pypdf."""
    return _document([_stream(_content(p), b"/Filter /BogusDecode ") if p == EXPLODE else _stream(_content(p))
                      for p in pages])


def content_pdf(*contents: bytes) -> bytes:
    """One page per content stream given as written (fonts /F1 to /F5, see _document)."""
    return _document([_stream(c) for c in contents])


def bomb_pdf(pages: int, inflated: int, text: str = "Real words on a page.") -> bytes:
    """`pages` pages whose content streams each inflate to about `inflated` bytes (spaces after a
    line of text), though the file itself is small: 40 pages of 64 MB make a 2.5 MB file."""
    packer, mb = zlib.compressobj(9), b" " * 2**20
    data = packer.compress(_content(text) + b"\n") + b"".join(packer.compress(mb) for _ in range(inflated // 2**20))
    data += packer.compress(b" " * (inflated % 2**20)) + packer.flush()
    return _document([_stream(data, b"/Filter /FlateDecode ")] * pages)


def _composite_width(text: str) -> float:
    """The advance of `text` in the composite font at 10 points."""
    return sum(COMPOSITE_WIDTHS[COMPOSITE_GLYPHS.index(ch)] for ch in text) / 100


def without_space_glyph() -> bytes:
    """A page's content: three lines in /F3, a font that maps no code to a space, as xdvipdfmx draws
    them: words parted by kerns (-250 and a justified -166; -30 is a kern inside "expressions");
    words each in a BT … ET of their own, placed a quarter em after the last; and "43" then "(6),"
    after an italic correction (0.14 em), which is no space."""
    line1 = (b"BT /F3 10 Tf 72 700 Td [" + composite("Regular") + b" -250 " + composite("expres") + b" -30 "
             + composite("sions") + b" -166 " + composite("are") + b"] TJ ET")
    gui = 72 + _composite_width("any") + 2.5
    environment = gui + _composite_width("GUI") + 2.5
    line2 = (b"BT /F3 10 Tf 72 680 Td [" + composite("any") + b"] TJ ET 0 g BT /F3 10 Tf %.3f 680 Td [" % gui
             + composite("GUI") + b"] TJ ET BT /F3 10 Tf %.3f 680 Td " % environment + composite("environment")
             + b" Tj ET")
    line3 = (b"BT /F3 10 Tf 72 660 Td [" + composite("43") + b"] TJ %.3f 0 Td [" % (_composite_width("43") + 1.4)
             + composite("(6),") + b"] TJ ET")
    return b"\n".join([line1, line2, line3])
