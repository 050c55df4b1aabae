"""The names a question asks about (index/query/subjects.py): named in a text, in focus among the hits."""

from __future__ import annotations

from index.models import Passage, Provenance, SearchHit
from index.query.subjects import names_any, subjects_in_focus


def test_names_any_matches_whole_names_and_symbol_names() -> None:
    assert names_any("Herz coined it.", ("herz",)) and not names_any("Herzog coined it.", ("herz",))
    assert names_any("In C# a field may be volatile.", ("c#",)) and not names_any("In C a field", ("c#",))


def test_subjects_in_focus_leave_out_what_every_retrieved_passage_names() -> None:
    def hit(text: str, title: str) -> SearchHit:
        return SearchHit(Passage(id=text[:8], at=Provenance("d.txt", title, None, 0, len(text)), text=text), 0.5)

    hits = [hit("Herz coined it. Python too.", "Security"), hit("Mearsheimer is a Python fan.", "Realism")]
    assert subjects_in_focus(("herz", "python", "realism"), hits) == ("herz",)
