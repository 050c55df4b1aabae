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
