"""How many bytes a PDF page's drawing instructions inflate to, measured before pypdf parses them.

A 60 KB stream can inflate to 64 MB of content that pypdf's text extraction then tokenises for
seconds and keeps in memory; forty such pages took 2.6 GB and five minutes. Each page's content
streams and the form XObjects it draws are inflated here in bounded chunks, counting bytes
without keeping them, so a page over the budget is left out before it costs anything.
"""

from __future__ import annotations

import zlib
from typing import Any

_CHUNK = 1 << 16  # inflated bytes held at a time while counting
_FLATE = {"/FlateDecode", "/Fl"}


def _filters(stream: Any) -> list[str]:
    found = stream.get("/Filter")
    if found is None:
        return []
    found = found.get_object()
    return [str(f) for f in found] if isinstance(found, list) else [str(found)]


def _inflated_size(stream: Any, limit: int) -> int:
    """The stream's decoded length, or a number above `limit` as soon as it passes it."""
    raw = getattr(stream, "_data", b"")  # the encoded bytes as stored (pypdf keeps them here)
    filters = _filters(stream)
    if not filters:
        return len(raw)
    if len(filters) == 1 and filters[0] in _FLATE:
        inflater, size, rest = zlib.decompressobj(), 0, bytes(raw)
        try:
            while rest and size <= limit:
                size += len(inflater.decompress(rest, _CHUNK))
                rest = inflater.unconsumed_tail
        except zlib.error:
            return size  # damaged: pypdf reads what it can, and no more than this
        return size
    # Other filters (LZW, ASCII85, chains) are rare in content streams; pypdf caps each at 75 MB.
    try:
        return len(stream.get_data())
    except Exception:
        return 0  # pypdf fails on it later, and the page is reported as failed


def _streams(page: Any) -> list[Any]:
    """The page's content streams and the form XObjects its resources hold (one level deep)."""
    found: list[Any] = []
    contents = page.get("/Contents")
    if contents is not None:
        contents = contents.get_object()
        found.extend(c.get_object() for c in contents) if isinstance(contents, list) else found.append(contents)
    try:
        xobjects = page["/Resources"].get_object().get("/XObject")
        for ref in (xobjects.get_object().values() if xobjects is not None else ()):
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Form":
                found.append(obj)
    except Exception:  # no or odd resources: nothing more to count
        pass
    return [s for s in found if hasattr(s, "get_data")]


def page_content_size(page: Any, limit: int) -> int:
    """Bytes the page's drawing instructions inflate to (more than `limit` once past it)."""
    total = 0
    for stream in _streams(page):
        total += _inflated_size(stream, limit - total)
        if total > limit:
            break
    return total


def release(page: Any) -> None:
    """Drop the decoded copies pypdf keeps on the page's streams: a read page's content is not needed
    again, and kept it would make memory grow with the document."""
    for stream in _streams(page):
        if getattr(stream, "decoded_self", None) is not None:
            stream.decoded_self = None
