"""Abstention (index/query/abstain.py) decided on small hand-made rankings: which rule declines what."""

from __future__ import annotations

import numpy as np

from index.models import Passage, Provenance, SearchHit, Sentence
from index.query.abstain import abstain_reason, unnamed_subjects
from index.query.rank import Candidate, Ranked
from index.query.understand import Question
from index.settings import Settings


def _candidate(text: str, section: str = "Ports") -> Candidate:
    p = Passage(id=text[:10], at=Provenance("d.md", "D", None, 0, len(text)), text=text,
                sentences=(Sentence(0, len(text)),), section=section, section_path=(section,))
    return Candidate(SearchHit(p, 0.6), 0, text, 0.6, np.zeros(2, dtype=np.float32))


def _question(text: str, unknown: tuple[str, ...] = ()) -> Question:
    return Question(text, np.zeros(2, dtype=np.float32), False, False, None, unknown)


def test_unnamed_subjects_are_the_names_no_near_passage_holds() -> None:
    socket = _candidate("A server socket listens on the port it is bound to.")
    named = _candidate("PostgreSQL is one database the examples connect to.")
    assert unnamed_subjects(Ranked([socket], 0.5, ("postgresql",))) == ("postgresql",)
    assert unnamed_subjects(Ranked([socket, named], 0.5, ("postgresql",))) == ()
    # A section title names its passages' subject.
    titled = _candidate("It listens on 5432 by default.", section="PostgreSQL ports")
    assert unnamed_subjects(Ranked([titled], 0.5, ("postgresql",))) == ()
    assert unnamed_subjects(Ranked([socket], 0.5, ())) == ()


def test_a_name_missing_from_the_passages_found_declines_only_a_distant_answer() -> None:
    settings = Settings()
    socket = _candidate("A server socket listens on the port it is bound to.")
    question = _question("Which port does PostgreSQL listen on?")
    limit = settings.query.abstain_unnamed_subject
    reason = abstain_reason(settings, question, Ranked([socket], limit - 0.05, ("postgresql",)), [socket.hit])
    assert reason == "the passages found never name postgresql"
    assert abstain_reason(settings, question, Ranked([socket], limit + 0.05, ("postgresql",)), [socket.hit]) == ""
    # A restated question heading answers, whatever else holds.
    assert abstain_reason(settings, question, Ranked([socket], 0.1, ("postgresql",)), [socket.hit],
                          heading_matched=True) == ""


def test_a_name_the_corpus_never_writes_and_a_distant_best_sentence_decline() -> None:
    settings = Settings()
    socket = _candidate("A server socket listens on the port it is bound to.")
    never = _question("Which port does GARCH use?", unknown=("GARCH",))
    assert abstain_reason(settings, never, Ranked([socket], 0.6, ()), [socket.hit]) == "the corpus never names GARCH"
    far = abstain_reason(settings, _question("Which port?"), Ranked([socket], 0.2, ()), [socket.hit])
    assert far.startswith("best sentence similarity 0.20")
