"""Identifier checks for the citation audit, and links to look identifiers up.

ISBN and ISSN check digits are verified with python-stdnum; DOIs only have a
syntax (no check digit), so they are matched against the DOI handbook's shape
"10.<registrant>/<suffix>" without asking any resolver: the audit runs offline.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from stdnum import isbn as _isbn
from stdnum import issn as _issn
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError

from index.models import Reference

# Registrant codes are 4 to 9 digits, possibly with dotted sub-codes ("10.1000.10/x");
# the suffix is any printable text without whitespace.
DOI_PATTERN = re.compile(r"^10\.\d{4,9}(?:\.\d+)*/\S+$")
_HDL_PATTERN = re.compile(r"^[0-9A-Za-z.\-]+/\S+$")
_DIGITS = re.compile(r"^\d+$")
_YEAR = re.compile(r"^\d{4}$")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


def _reason(exc: ValidationError) -> str:
    """A short, reader-facing reason for a stdnum validation error."""
    if isinstance(exc, InvalidChecksum):
        return "bad check digit"
    if isinstance(exc, InvalidLength):
        return "wrong length"
    if isinstance(exc, InvalidComponent):
        return "invalid prefix"  # e.g. an ISBN-13 that starts neither 978 nor 979
    return "malformed"


def check_reference(ref: Reference) -> list[str]:
    """Human-readable problems of a reference: missing fields and identifiers that do not validate."""
    problems: list[str] = []
    if not ref.authors:
        problems.append("missing authors")
    if not ref.title and not ref.container:  # physics cites an article by journal, volume and page alone
        problems.append("missing title")
    if not ref.year:
        problems.append("missing year")
    elif not _YEAR.match(ref.year):
        problems.append(f"year {ref.year}: not a four-digit year")
    if ref.isbn:
        try:
            _isbn.validate(ref.isbn)
        except ValidationError as exc:
            problems.append(f"ISBN {ref.isbn}: {_reason(exc)}")
    if ref.issn:
        try:
            _issn.validate(ref.issn)
        except ValidationError as exc:
            problems.append(f"ISSN {ref.issn}: {_reason(exc)}")
    if ref.doi and not DOI_PATTERN.match(ref.doi):
        problems.append(f"DOI {ref.doi}: malformed")
    if ref.jstor and not _DIGITS.match(ref.jstor):
        problems.append(f"JSTOR {ref.jstor}: malformed")
    if ref.s2cid and not _DIGITS.match(ref.s2cid):
        problems.append(f"S2CID {ref.s2cid}: malformed")
    if ref.hdl and not _HDL_PATTERN.match(ref.hdl):
        problems.append(f"HDL {ref.hdl}: malformed")
    if ref.url and not _URL.match(ref.url):
        problems.append(f"URL {ref.url}: malformed")
    return problems


def doi_url(doi: str) -> str:
    """The resolver link of a DOI: "https://doi.org/10.2307/2009958"."""
    # Characters with a meaning in URLs ("#", "?", "%", spaces) are escaped; "/" and the
    # punctuation common in DOI suffixes ("(", ")", ";", ":") are kept readable.
    return "https://doi.org/" + quote(doi.strip(), safe="/:;()._-")


def jstor_url(jstor: str) -> str:
    """The stable JSTOR page of an item: "https://www.jstor.org/stable/2009958"."""
    return "https://www.jstor.org/stable/" + quote(jstor.strip(), safe="")


def isbn_url(isbn: str) -> str:
    """An Open Library look-up of an ISBN, by its bare digits: "https://openlibrary.org/isbn/9780691100494"."""
    return "https://openlibrary.org/isbn/" + quote(_isbn.compact(isbn), safe="")


def hdl_url(hdl: str) -> str:
    """The Handle System resolver link: "https://hdl.handle.net/2027/uc1.31158011478350"."""
    return "https://hdl.handle.net/" + quote(hdl.strip(), safe="/:;()._-")
