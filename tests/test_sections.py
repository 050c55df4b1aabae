"""Question headings (index/query/sections.py) and lead-ins quoted with their code (compose.with_what_follows),
on a small real FAQ ingested with the real model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.models import Citation, Passage, Provenance, QuestionHeading, SearchHit, Sentence
from index.query.compose import with_what_follows
from index.query.sections import heading_question, match_section

FAQ = """# Gardening FAQ

## 1. Why do my tomato leaves turn yellow?

Most often the plant lacks nitrogen. Older growth gives its nitrogen to the new shoots first, so it
fades before the rest of the plant. Feed the plant with compost every two weeks.

Overwatering can also turn tomato leaves yellow, because roots in soaked soil cannot breathe.

## 2. How can I clean my pruning shears?

To disinfect the blades, you can run

```
soak --blades --minutes 10 alcohol
```

## 3. When should I sow carrots?

Carrots are sown from early spring, as soon as the soil can be worked, and again every three weeks
until midsummer for a steady harvest. Unlike tomato leaves, which turn yellow when they are cold,
carrot tops stay green.
"""


@pytest.fixture(scope="module")
def faq_engine(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Any:
    from index.engine import Engine
    from ingest.pipeline import ingest

    corpus = tmp_path_factory.mktemp("faq")
    (corpus / "garden-faq.md").write_text(FAQ, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("faq-index")
    report = ingest([corpus], index_dir)
    assert not report.errors, report.errors
    return Engine(index_dir)


def test_heading_question_drops_numbering_and_keeps_only_questions() -> None:
    assert heading_question("7.32 How can I capture errors?") == "How can I capture errors?"
    assert (heading_question("2. When I try to plot, a warning is issued. What is wrong?")
            == "When I try to plot, a warning is issued. What is wrong?")
    assert heading_question("3.1. Dealing with heteroskedasticity") is None
    assert heading_question("Introduction") is None


def test_match_section_needs_a_clear_winner() -> None:
    headings = [QuestionHeading("a.md", ("Q1",), "q1"), QuestionHeading("a.md", ("Q2",), "q2")]
    vectors = np.eye(2, dtype=np.float32)
    clear = np.array([0.9, 0.3], dtype=np.float32)
    close = np.array([0.7, 0.68], dtype=np.float32)
    hits = {("a.md", ("Q1",)), ("a.md", ("Q2",))}
    found = match_section(clear, headings, vectors, threshold=0.55, margin=0.05, retrieved=hits)
    assert found is not None and found.path == ("Q1",)
    assert match_section(close, headings, vectors, threshold=0.55, margin=0.05, retrieved=hits) is None  # near
    assert match_section(clear * 0.5, headings, vectors, threshold=0.55, margin=0.05, retrieved=hits) is None
    # A heading whose text retrieval did not find is not trusted.
    assert match_section(clear, headings, vectors, threshold=0.55, margin=0.05, retrieved={("a.md", ("Q2",))}) is None


def test_faq_headings_are_stored_with_their_sections(faq_engine: Any) -> None:
    questions = {h.question for h in faq_engine.corpus.headings}
    assert questions == {"Why do my tomato leaves turn yellow?", "How can I clean my pruning shears?",
                         "When should I sow carrots?"}


def test_a_question_restating_a_heading_is_answered_by_the_text_under_it(faq_engine: Any) -> None:
    answer = faq_engine.ask("Why are the leaves of my tomatoes turning yellow?")
    assert not answer.abstained
    first = answer.citations[0]
    assert first.passage.section == "1. Why do my tomato leaves turn yellow?"
    # The opening sentence under the heading leads the answer, though others share more words.
    assert answer.text.startswith("Most often the plant lacks nitrogen.")


def test_a_lead_in_is_quoted_with_the_code_it_introduces(faq_engine: Any) -> None:
    answer = faq_engine.ask("How do I clean pruning shears?")
    kinds = [c.passage.kind for c in answer.citations]
    assert "code" in kinds, answer.text
    code = next(c for c in answer.citations if c.passage.kind == "code")
    assert code.quote == "soak --blades --minutes 10 alcohol"
    assert answer.text.index("you can run") < answer.text.index("soak --blades")


def _passage(pid: str, text: str, kind: Any = "body", start: int = 0) -> Passage:
    return Passage(id=pid, at=Provenance("d.md", "D", None, start, start + len(text)), text=text,
                   sentences=(Sentence(0, len(text)),), kind=kind, section="S", section_path=("S",))


def test_with_what_follows_leaves_a_finished_sentence_alone() -> None:
    done = _passage("p1", "The blades are clean now.")
    code = _passage("p2", "rm -rf x", kind="code", start=30)
    text, cites = with_what_follows("The blades are clean now. [1]", [Citation(1, done, done.text, 0.5)],
                                    lambda p: code)
    assert text == "The blades are clean now. [1]" and len(cites) == 1


def test_with_what_follows_follows_a_colon_lead_in() -> None:
    lead = _passage("p1", "Run this:")
    code = _passage("p2", "make clean", kind="code", start=20)
    text, cites = with_what_follows("Run this: [1]", [Citation(1, lead, lead.text, 0.5)], lambda p: code)
    assert [c.passage.id for c in cites] == ["p1", "p2"] and cites[1].marker == 2
    assert text == "Run this: [1]\nmake clean\n[2]"


def test_with_what_follows_quotes_the_prose_a_colon_introduces_and_nothing_after_a_full_stop() -> None:
    lead = _passage("p1", "Tang named three parts:")
    after = Passage(id="p2", at=Provenance("d.md", "D", None, 30, 70), text="Fear is one. Power is two.",
                    sentences=(Sentence(0, 12), Sentence(13, 26)), section="S", section_path=("S",))
    text, cites = with_what_follows("Tang named three parts: [1]", [Citation(1, lead, lead.text, 0.5)],
                                    lambda p: after)
    assert text == "Tang named three parts: [1] Fear is one. Power is two. [2]"
    assert cites[1].quote == "Fear is one. Power is two." and cites[1].quoted == 0
    # Prose follows a colon only: "you can do" introduces code, never the next paragraph.
    lead = _passage("p1", "You can do")
    assert with_what_follows("You can do [1]", [Citation(1, lead, lead.text, 0.5)], lambda p: after)[1] == [
        Citation(1, lead, lead.text, 0.5)]
    # Nor does a lead-in reach into another section.
    other = replace(after, section_path=("T",))
    lead = _passage("p1", "Tang named three parts:")
    assert len(with_what_follows("x [1]", [Citation(1, lead, lead.text, 0.5)], lambda p: other)[1]) == 1


def test_with_introduced_quotes_a_list_after_its_lead_in() -> None:
    from index.query.compose import with_introduced
    from index.query.rank import Candidate

    text = "Try one of these: Plot points. Drop the NAs. Use a bigger window."
    p = Passage(id="p", at=Provenance("d.md", "D", None, 0, len(text)), text=text,
                sentences=(Sentence(0, 17), Sentence(18, 30), Sentence(31, 44), Sentence(45, 65)))
    lead = Candidate(SearchHit(p, 0.5), 0, "Try one of these:", 0.7, np.zeros(2, dtype=np.float32))
    assert [c.text for c in with_introduced([lead])] == [
        "Try one of these:", "Plot points.", "Drop the NAs.", "Use a bigger window."]
    done = replace(lead, index=1, text="Plot points.")
    assert with_introduced([done]) == [done]


def test_page_of_a_sentence_carried_over_a_page_break(tmp_path: Path) -> None:
    p = Passage(id="p", at=Provenance("d.pdf", "D", 7, 0, 20, "vii"), text="One here. Two there.",
                sentences=(Sentence(0, 9), Sentence(10, 20, page=8, page_label="viii")))
    assert p.page_of(0) == (7, "vii") and p.page_of(1) == (8, "viii")
    assert Citation(1, p, "Two there.", 0.5, quoted=1).to_json()["page_label"] == "viii"
    assert Sentence.from_row(p.sentences[1].to_row()) == p.sentences[1]


def test_unknown_names_are_words_written_as_names_that_the_corpus_lacks() -> None:
    from index.query.understand import unknown_names

    def known(word: str) -> bool:
        return word.lower() in {"zoo", "excel", "posixct"}

    assert unknown_names("How do I import an Excel workbook into GARCH?", lambda w: w.lower() in {"excel"}) == (
        "GARCH",)
    assert unknown_names("Which time zone does zoo assume for POSIXct stamps?", known) == ()
    # Plain words and a capitalised first word are a paraphrase's own, never "names".
    assert unknown_names("Counting dependencies, how many packages rely on zoo?", lambda w: False) == ()
    assert unknown_names("Does sandwich do Driscoll-Kraay errors?", lambda w: w.lower() == "driscoll") == ("Kraay",)


def test_named_subjects_are_the_names_a_question_asks_about() -> None:
    from index.query.understand import named_subjects

    assert named_subjects("Who is John H. Herz?") == ("herz",)
    assert named_subjects("Where was Newey and West's lag selection published?") == ("newey", "west")
    assert named_subjects("Why were vcovHC and vcovHAC chosen?") == ("vcovhc", "vcovhac")
    assert named_subjects("Does zoo's as.Date need an origin?") == ("date",)
    assert named_subjects("What does volatile mean in C#?") == ("c#",)
    # A sentence's capitalised first word is not a name; an initial does not end a sentence.
    assert named_subjects("When I edit a module, the changes don't show up. Why does this happen?") == ()
    assert named_subjects("How can I save my workspace?") == ()


def test_a_question_naming_what_the_corpus_never_names_is_declined(faq_engine: Any) -> None:
    assert not faq_engine.ask("Which seeds grow carrots fastest?").abstained
    declined = faq_engine.ask("Can I grow carrots on Mars with NASA soil?")
    assert declined.abstained and "Mars" in declined.message
    # A restated question heading still answers, whatever variety the question names.
    assert not faq_engine.ask("Why do my Roma tomato leaves turn yellow?").abstained


WIDGET_FAQ = """# Widget FAQ

## 1. What is the current version of Widget?

Widget uses a major.minor numbering scheme. The current release is version 3.2, and a new minor release
comes out twice a year.

## 2. Which operating systems does Widget run on?

Widget runs on Linux, macOS and Windows. Builds for 64-bit Windows are made with the same compiler as the
Linux ones.

## 3. Where can I get older releases?

Older releases stay on the download server. Widget 2.9 was the last release to support 32-bit Windows, and
it can still be downloaded there.
"""


def test_a_heading_whose_section_never_names_the_subject_asked_about_is_not_the_answer(tmp_path: Path) -> None:
    from index.engine import Engine
    from ingest.pipeline import ingest

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "widget-faq.md").write_text(WIDGET_FAQ, encoding="utf-8")
    assert not ingest([tmp_path / "c"], tmp_path / "idx").errors
    engine = Engine(tmp_path / "idx")
    # Close in meaning to heading 1, which never names Windows: the answer is found elsewhere.
    answer = engine.ask("Which version of Widget was the last one for 32-bit Windows?")
    assert answer.text.startswith("Widget 2.9 was the last release to support 32-bit Windows"), answer.text
    # A question the heading does answer still reads the text under it.
    assert "version 3.2" in engine.ask("What is the newest version of Widget?").text


def test_what_an_abbreviation_is_short_for_is_answered_by_the_sentence_that_expands_it(tmp_path: Path) -> None:
    from index.engine import Engine
    from ingest.pipeline import ingest

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "estimators.md").write_text(
        "# Weights\n\nIn the package, the two weighting schemes are implemented in a function weightsLumley with a "
        "convenience interface weave() (which stands for weighted empirical adaptive variance estimators) which "
        "again sets up the weights and then calls the estimator with them.\n\n"
        "# Acknowledgments\n\nWe are grateful to Thomas Lumley for putting his code in the weave package at our "
        "disposal and for advice on the design.\n", encoding="utf-8")
    assert not ingest([tmp_path / "c"], tmp_path / "idx").errors
    answer = Engine(tmp_path / "idx").ask("What is weave short for?")
    assert not answer.abstained and "which stands for weighted empirical adaptive variance estimators" in (
        answer.text.split("[1]")[0]), answer.text
