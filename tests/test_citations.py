"""Two-step trace: answer sentence -> passage -> the references its markers point to."""

from __future__ import annotations

from typing import Any

import pytest

# Every sentence of the demo article with the reference labels of its markers, read off the source.
ARTICLE = [
    ("In international relations, the security dilemma (also referred to as the spiral model)", ["1", "2"]),
    ("Consequently, security-increasing measures can lead to tensions", ["3", "1", "4", "5", "6"]),
    ("The security dilemma is particularly intense in situations when", ["1"]),
    ("Military technology and geography strongly affect the offense-defense balance.", ["1", "2"]),
    ("The term was first coined by the German scholar John H. Herz in a 1950 study.", ["7", "2"]),
    ("At the same time British historian Herbert Butterfield described the same situation", ["8"]),
    ("The security dilemma is a key concept in international relations theory", ["6"]),
]
TITLES = {
    "1": "Cooperation Under the Security Dilemma", "2": "Fear Factor",
    "3": "Idealist Internationalism and the Security Dilemma", "4": "The Security Dilemma in Alliance Politics",
    "5": "Perception and Misperception in International Politics", "6": "Rational Theory of International Politics",
    "7": "Idealist Internationalism and the Security Dilemma",
    "8": "The Intrastate Security Dilemma: Ethnic Conflict as a 'Tragedy'?",
}


def _sentence(engine: Any, start: str) -> tuple[Any, int]:
    for p in engine.store.all_passages():
        for i, text in enumerate(p.sentence_texts()):
            if text.startswith(start):
                return p, i
    raise AssertionError(f"no sentence starts with {start!r}")


@pytest.mark.parametrize(("start", "labels"), ARTICLE, ids=[s[:30] for s, _ in ARTICLE])
def test_each_sentence_resolves_its_markers_to_references(engine: Any, start: str, labels: list[str]) -> None:
    passage, i = _sentence(engine, start)
    assert list(passage.sentences[i].refs) == labels
    assert "[" not in passage.sentence_texts()[i]  # markers are data, not text
    refs = engine.references_for(passage, [i])
    assert [r.label for r in refs] == list(dict.fromkeys(labels))
    assert [r.title for r in refs] == [TITLES[label] for label in dict.fromkeys(labels)]


def test_answers_from_the_marker_free_copy_still_reach_the_references(engine: Any) -> None:
    answer = engine.ask("How did Butterfield name the same predicament?")
    refs = [r.title for c in answer.citations for r in c.references]
    assert TITLES["8"] in refs


def test_ask_json_references_have_the_documented_fields(engine: Any) -> None:
    obj = engine.ask("Which German scholar introduced the concept, and when?").to_json()
    ref = obj["citations"][0]["references"][0]
    assert set(ref) == {"label", "authors", "year", "title", "container", "volume", "issue", "pages", "doi",
                        "isbn", "issn", "jstor", "url", "raw", "library"}
    assert ref["label"] == "7" and ref["year"] == "1950"


@pytest.mark.parametrize(("question", "expected"), [
    ("What is the DOI of Cooperation Under the Security Dilemma?", "10.2307/2009958"),
    ("Who wrote Perception and Misperception in International Politics?", "Jervis, Robert"),
    ("In which journal did Snyder publish on alliance politics?", "World Politics"),
    ("Which source supports the claim that Herz coined the term?", "Idealist Internationalism"),
])
def test_questions_about_sources(engine: Any, question: str, expected: str) -> None:
    answer = engine.ask(question)
    assert not answer.abstained
    assert expected in answer.text
    cited = answer.citations[0]
    assert any(expected in r.raw for r in cited.references)
    assert cited.quote in cited.passage.text  # and the sentence that cites it
