"""Recognise text that carries no content of its own: boilerplate, attributions, snippets.

Such text is kept (the reader shows it, marked) but never embedded or quoted.
The rules are conservative: a block is noise only on a clear signal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_BOILERPLATE = re.compile(
    r"""
    \bthis\ (?:page|site|website|article)\ (?:is|was|has\ been)\ (?:automatically\ )?(?:generated|created|last)
    | \bmay\ contain\ information\ that\ is\ not\ correct
    | \bevery\ other\ page\ on\ this\ (?:web)?site
    | \bverify\ the\ information\b
    | \ball\ rights\ reserved\b
    | \b(?:privacy|cookie)\ policy\b | \bterms\ of\ (?:use|service)\b
    | \bskip\ to\ (?:main\ )?content\b | \bjump\ to\ (?:navigation|search)\b
    | \bclick\ here\b | \bsubscribe\ to\ our\b | \bsign\ in\ to\b
    | \bthis\ page\ was\ last\ edited\b | \bretrieved\ from\ ["“]?https?://
    """,
    re.I | re.X,
)
_ATTRIBUTION = re.compile(
    r"""^(?:developed|maintained|designed|powered|created|written|built)\ by\b
    | ^(?:©|\(c\)|copyright\b)
    | ^(?:springer|elsevier|wiley|ieee|acm|crc\ press|routledge)\b[^.]{0,40}$
    """,
    re.I | re.X,
)
# A snippet cut off mid-word or mid-sentence by a listing page: "... ratcheting was thereby introdu ..."
_TRUNCATED = re.compile(r"(?:\s(?:\.\.\.|…)|\w(?:\.\.\.|…))\s*$")


def is_noise_sentence(sentence: str) -> bool:
    """True for disclaimers, navigation text and attributions."""
    s = sentence.strip()
    return bool(_BOILERPLATE.search(s) or _ATTRIBUTION.match(s))


def is_truncated(text: str) -> bool:
    return bool(_TRUNCATED.search(text.strip()))


def noise_reason(sentences: list[str]) -> str | None:
    """Why a block (its sentences) is noise, or None when it carries content."""
    if not sentences:
        return None
    if is_truncated(sentences[-1]):
        return "truncated snippet"
    # One search over the whole block first: almost every block of a real corpus has no hit.
    if not _BOILERPLATE.search(" ".join(sentences)) and not any(_ATTRIBUTION.match(s) for s in sentences):
        return None
    attributions = sum(1 for s in sentences if _ATTRIBUTION.match(s))
    flagged = sum(1 for s in sentences if is_noise_sentence(s))
    if flagged * 2 >= len(sentences):
        return "attribution" if attributions * 2 >= len(sentences) else "boilerplate"
    return None


def repeated_blocks(texts_by_document: dict[str, Iterable[str]], min_documents: int = 3) -> set[str]:
    """Short normalised blocks that recur in many documents: navigation, footers, banners."""
    seen: dict[str, set[str]] = {}
    for doc, texts in texts_by_document.items():
        for t in texts:
            key = re.sub(r"\W+", " ", t.lower()).strip()
            if key and len(key.split()) <= 15:
                seen.setdefault(key, set()).add(doc)
    return {k for k, docs in seen.items() if len(docs) >= min_documents}
