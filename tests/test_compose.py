"""Sentence choice and composition (index/query/compose.py) on small hand-made candidates."""

from __future__ import annotations

import numpy as np

from index.models import Passage, Provenance, SearchHit, Sentence
from index.query.compose import compose, select
from index.query.rank import Candidate
from index.settings import Settings


def _passage(pid: str, *sentences: str) -> Passage:
    text = " ".join(sentences)
    spans, at = [], 0
    for s in sentences:
        spans.append(Sentence(at, at + len(s)))
        at += len(s) + 1
    return Passage(id=pid, at=Provenance("d.md", "D", None, 0, len(text)), text=text, sentences=tuple(spans))


def _candidate(p: Passage, index: int, score: float, direction: int) -> Candidate:
    vector = np.zeros(8, dtype=np.float32)
    vector[direction] = 1.0  # orthogonal vectors: no candidate is a near-repeat of another
    return Candidate(SearchHit(p, 0.5), index, p.sentence_texts()[index], score, vector)


def test_the_sentence_after_a_chosen_one_may_stand_further_below_the_best() -> None:
    settings = Settings()
    p = _passage("p", "A type argument picks the omega function.", "Once omega is given, type is ignored.")
    other = _passage("q", "Omega functions are listed in the appendix.")
    best = _candidate(p, 0, 0.75, 0)
    after = _candidate(p, 1, 0.75 - (settings.query.sentence_margin + 0.05), 1)
    elsewhere = _candidate(other, 0, after.score, 2)
    chosen = select([best, elsewhere, after], settings, "What happens to type when I give omega?")
    assert [c.text for c in chosen] == [best.text, after.text]
    # Beyond next_sentence_margin even the next sentence stays out.
    far = _candidate(p, 1, 0.75 - (settings.query.next_sentence_margin + 0.01), 1)
    assert select([best, far], settings, "What happens to type when I give omega?") == [best]


def test_runners_up_name_the_subject_asked_about() -> None:
    settings = Settings()
    herz = _passage("h", "The term was coined by John H. Herz in 1950.")
    other = _passage("m", "John Mearsheimer is a political scientist.")
    best, runner = _candidate(herz, 0, 0.6, 0), _candidate(other, 0, 0.58, 1)
    assert select([best, runner], settings, "Who is John H. Herz?", subjects=("herz",)) == [best]
    assert select([best, runner], settings, "Who is John H. Herz?") == [best, runner]  # "john" is shared


def test_passages_are_quoted_in_the_order_of_their_first_chosen_sentence() -> None:
    a = _passage("a", "First point of A.", "Second point of A.")
    b = _passage("b", "Only point of B.")
    chosen = [_candidate(a, 0, 0.8, 0), _candidate(b, 0, 0.7, 1), _candidate(a, 1, 0.6, 2)]
    text, citations = compose(chosen, lambda p, indexes: ())
    assert [c.passage.id for c in citations] == ["a", "b"]
    assert text == "First point of A. [1] Second point of A. [1] Only point of B. [2]"


def test_a_question_names_a_work_by_title_author_or_a_venue_of_its_own() -> None:
    from index.models import Reference
    from index.query.sources import names_work

    def ref(label: str, title: str, container: str, author: str) -> Reference:
        return Reference(id=label, document="d", label=label, raw=title, authors=(author,), year="2004",
                         title=title, container=container)

    jss1 = ref("Z2004", "Econometric Computing with HC and HAC Covariance Matrix Estimators",
               "Journal of Statistical Software", "Zeileis A")
    jss2 = ref("Z2006", "Object-Oriented Computation of Sandwich Estimators", "Journal of Statistical Software",
               "Zeileis A")
    fa = ref("G2024", "Fear Factor", "Foreign Affairs", "Glaser, Charles L.")
    refs = [jss1, jss2, fa]
    assert names_work("Which article in Foreign Affairs is cited?", fa, refs)
    assert not names_work("What is the DOI of the Journal of Statistical Software version?", jss2, refs)
    assert names_work("Who wrote Object-Oriented Computation of Sandwich Estimators?", jss2, refs)
    assert names_work("Which paper by Glaser is cited?", fa, refs)
