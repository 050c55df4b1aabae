"""Follow-up questions read against the previous turn (index/query/followup.py)."""

from __future__ import annotations

import pytest

from index.engine import Engine
from index.query.followup import Turn, resolve

FIRST = "Who coined the term security dilemma?"


@pytest.fixture(scope="module")
def previous(engine: Engine) -> Turn:
    answer = engine.ask(FIRST)
    assert "John H. Herz" in answer.text
    return Turn(FIRST, answer.text)


@pytest.mark.parametrize("question, resolved", [
    ("When did he write it?", "When did John H. Herz write the security dilemma?"),
    ("What is his nationality?", "What is John H. Herz's nationality?"),
    ("Why does it matter?", "Why does the security dilemma matter?"),
    # The question names its own person or term: its pronouns point there.
    ("Who is Mearsheimer and where does he teach?", "Who is Mearsheimer and where does he teach?"),
    ("What is offensive realism and who holds it?", "What is offensive realism and who holds it?"),
    ("What is the spiral model?", "What is the spiral model?"),  # nothing to resolve
])
def test_pronouns_stand_for_what_the_previous_turn_was_about(engine: Engine, previous: Turn, question: str,
                                                              resolved: str) -> None:
    follow = resolve(question, previous, engine.terms_in)
    assert follow.resolved == resolved and follow.changed == (resolved != question)


def test_a_follow_up_is_answered_from_what_it_resolves_to(engine: Engine, previous: Turn) -> None:
    follow = resolve("When did he write it?", previous, engine.terms_in)
    assert follow.meanings == (("he", "John H. Herz"), ("it", "the security dilemma"))
    assert "1950" in engine.ask(follow.resolved).text
    assert resolve("When did he write it?", None, engine.terms_in).resolved == "When did he write it?"
