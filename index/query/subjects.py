"""The names a question asks about, and whether a text names them: one place for the rule that an
answer, a runner-up, a question heading's section stays on the question's subject."""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.models import SearchHit
from index.words import NAME_WORD


def names_any(text: str, keys: tuple[str, ...]) -> bool:
    """Does a text name one of the question's subjects (keys in lower case, see understand.named_subjects)?"""
    lowered = text.lower()
    if set(keys) & set(NAME_WORD.findall(lowered)):
        return True
    return any(re.search(rf"(?<!\w){re.escape(k)}(?![\w#+])", lowered) for k in keys if not k.isalnum())


def subjects_in_focus(subjects: tuple[str, ...], hits: Sequence[SearchHit]) -> tuple[str, ...]:
    """The names a question asks about that set some retrieved passages apart: not in the titles of
    their documents nor in every one of them. What a corpus is about ("Python" in the Python docs,
    "lme4" in the lme4 paper) goes without saying in its sentences."""
    if not hits:
        return ()
    titled = set().union(*(NAME_WORD.findall((h.passage.title or "").lower()) for h in hits))
    everywhere = set.intersection(*(set(NAME_WORD.findall(h.passage.text.lower())) for h in hits))
    return tuple(s for s in subjects if s not in titled and s not in everywhere)
