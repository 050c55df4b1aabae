"""The one base of Sourcebook's own errors, so callers can catch every expected failure at once."""

from __future__ import annotations


class SourcebookError(Exception):
    """An expected failure whose message is shown to the user as one line (never a traceback)."""
