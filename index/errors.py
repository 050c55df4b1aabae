"""The one base of Sourcebook's own errors, so callers can catch every expected failure at once."""

from __future__ import annotations


class SourcebookError(Exception):
    """An expected failure whose message is shown to the user as one line (never a traceback)."""


class BundleError(SourcebookError):
    """An index folder that cannot be used as it is; the message says how to rebuild it."""


def shown(text: str) -> str:
    """Text with its control and other unprintable characters escaped ("\\n", "\\x1b"), for one-line
    output: a file name cannot forge a line of its own."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
