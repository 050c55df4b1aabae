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


def _document(streams: list[bytes]) -> bytes:
    """A PDF with one page per content-stream object given, drawn in Helvetica (/F1), or in /F2, the
    bold Times that LaTeX's times and newtx packages embed under URW's name."""
    n = len(streams)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (5 + 2 * i) for i in range(n)) + b"] /Count %d >>" % n,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /NimbusRomNo9L-Medi >>"]
    for i, stream in enumerate(streams):
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                    b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>" % (6 + 2 * i))
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
    """One page per content stream given as written (fonts /F1 and /F2, see _document)."""
    return _document([_stream(c) for c in contents])


def bomb_pdf(pages: int, inflated: int, text: str = "Real words on a page.") -> bytes:
    """`pages` pages whose content streams each inflate to about `inflated` bytes (spaces after a
    line of text), though the file itself is small: 40 pages of 64 MB make a 2.5 MB file."""
    packer, mb = zlib.compressobj(9), b" " * 2**20
    data = packer.compress(_content(text) + b"\n") + b"".join(packer.compress(mb) for _ in range(inflated // 2**20))
    data += packer.compress(b" " * (inflated % 2**20)) + packer.flush()
    return _document([_stream(data, b"/Filter /FlateDecode ")] * pages)
