"""Claims about a work of the bibliography, checked against its reference entry.

"Jervis wrote Perception and Misperception in International Politics in 1976" is rarely said
in a passage's prose: the reference list says it. When a claim names a work by its title, its
year and author are compared with the entry's. A year or an author the entry contradicts makes
the claim contradicted; the entry's own year or author makes it supported. The evidence is a
sentence of the corpus that cites the work, with the entry. A claim that only mentions a title
("Perception and Misperception in International Politics is a classic") is left to the text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from index.models import Citation, Reference
from index.words import casefold_key, surname_key

if TYPE_CHECKING:
    from index.claims import Verdict
    from index.query.corpus import Corpus

_YEAR = re.compile(r"\b(?:1[5-9]\d\d|20\d\d)\b")
MIN_TITLE_CHARS = 8  # "Fear Factor" names a work; "War" does not


def _titles(ref: Reference) -> list[str]:
    """The title as written and its main part (before a colon), normalised."""
    if not ref.title:
        return []
    forms = {casefold_key(ref.title), casefold_key(ref.title.split(":")[0])}
    return [t for t in forms if len(t) >= MIN_TITLE_CHARS and " " in t]


def named_work(references: list[Reference], claim: str) -> tuple[Reference, str] | None:
    """The reference whose title the claim quotes (longest title first), and the rest of the claim."""
    text = f" {casefold_key(claim)} "
    best: tuple[int, Reference, str] | None = None
    for ref in references:
        for title in _titles(ref):
            if f" {title} " in text and (best is None or len(title) > best[0]):
                best = (len(title), ref, text.replace(f" {title} ", " ", 1))
    return (best[1], best[2]) if best else None


def check_work_claim(corpus: Corpus, claim: str, qvec: np.ndarray) -> tuple[Verdict, list[str], Citation] | None:
    """The verdict of the work's reference entry on a claim naming it, the reasons, and a sentence
    citing the work as evidence; None when the claim names no work, says nothing the entry
    records, or no sentence of the corpus cites the work."""
    found = named_work(corpus.references, claim)
    if found is None:
        return None
    ref, rest = found
    words = set(rest.split())
    years = set(_YEAR.findall(rest))
    own = {surname_key(a) for a in ref.authors} - {""}
    others = {surname_key(a) for r in corpus.references for a in r.authors} - own - {""}
    named_own, named_other = own & words, others & words
    year = (ref.year or "")[:4]
    verdict: Verdict
    reasons: list[str] = []
    if years and year and year not in years:
        verdict, reasons = "contradicted", [f"the reference gives {year}, not {', '.join(sorted(years))}"]
    elif named_other and not named_own:
        wrong = ", ".join(sorted(named_other))
        verdict, reasons = "contradicted", [f"the reference's author is {'; '.join(ref.authors)}, not {wrong}"]
    elif (named_own or (years and year in years)) and not named_other:
        verdict = "supported"
    else:
        return None
    sites = corpus.citing(ref)
    if not sites:
        return None
    passage, index = sites[0]
    s = passage.sentences[index]
    row = next(i for i, r in enumerate(corpus.references) if r is ref)
    score = float(corpus.reference_vectors[row] @ qvec) if len(corpus.reference_vectors) else 1.0
    quote = passage.text[s.start : s.end]
    return verdict, reasons, Citation(1, passage, quote, score, (ref,), quoted=index)
