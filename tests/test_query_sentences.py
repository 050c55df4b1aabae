"""What Sourcebook reads in one sentence (index/query/sentences.py): the kind of answer it holds."""

from __future__ import annotations

from index.query.sentences import expected_type_bonus


def test_expected_type_bonus_rewards_the_kind_of_answer_asked_for() -> None:
    assert expected_type_bonus("When was it coined?", "It was coined in 1950.") == 1.0
    assert expected_type_bonus("When was it coined?", "It was coined by Herz.") == 0.0
    assert expected_type_bonus("Who coined it?", "The term was coined by John Herz.") == 1.0
    assert expected_type_bonus("How significant is the test?", "It leads to a p value of 0.0082.") == 1.0
    assert expected_type_bonus("How significant is the test?", "It is highly significant.") == 0.0
    assert expected_type_bonus("What is weave short for?", "weave, which stands for weighted estimators") == 1.0
    assert expected_type_bonus("Why is it slow?", "It is slow because it copies.") == 0.0  # no bonus for reasons


def test_what_an_abbreviation_stands_for() -> None:
    from index.query.sentences import expands
    from index.query.understand import expansion_asked

    assert expansion_asked("What is weave short for?") == "weave"
    assert expansion_asked('What does "HAC" stand for?') == "HAC"
    assert expansion_asked("What is the full form of CRAN?") == "CRAN"
    assert expansion_asked("What is weave?") is None
    said = ("It has a convenience interface weave() (which stands for weighted empirical adaptive variance "
            "estimators) which then calls vcovHAC.")
    assert expands(said, "weave")
    assert expands("Are generalized additive models (GAMs) implemented in R?", "GAMs")
    assert expands("The GIL (global interpreter lock) is a mutex.", "GIL")
    assert not expands("We thank Thomas Lumley for his code in the weave package.", "weave")
    assert not expands("The GIL is held by one thread (a lock) at a time.", "GIL")
