"""The Documents page, the Ask page's history, examples and document links, and the glossary exports
(AppTest, real model, real index of corpus/)."""

from __future__ import annotations

import csv
import html
import io
import itertools
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from index.models import Passage, Provenance, Sentence
from tests.test_app import tags_of
from tests.test_app_pages import downloads, open_page, served  # noqa: F401  (a fixture and its helpers)
from ui.pages_documents import passage_html, passage_scroll_script
from ui.pages_glossary import glossary_csv

pytestmark = pytest.mark.usefixtures("no_leaked_index_env")

NOTES = "security-dilemma-realism-notes.txt"
ENCYCLOPEDIA = "security-dilemma-encyclopedia.txt"
DOCS_PAGE = "pages_documents.py"


def htmls(at: AppTest) -> list[str]:
    return [h.value for h in at.html]


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def passages(at: AppTest) -> list[str]:
    return [h for h in htmls(at) if 'class="sb-doc-passage' in h]


def passage_with(at: AppTest, text: str) -> str:
    return next(p for p in passages(at) if text in text_of(p))


# --- Documents ---------------------------------------------------------------------------


def test_documents_page_lists_documents(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(app_index, monkeypatch, DOCS_PAGE)
    assert [t.value for t in at.title] == ["Documents"]
    table = next(h for h in htmls(at) if 'class="sb-documents"' in h)
    shown = text_of(table)
    for text in (NOTES, ENCYCLOPEDIA, "Security dilemma (encyclopedia article)", "CC BY-SA 4.0",
                 'Wikipedia, "Security dilemma"', "left out of answers"):
        assert text in shown, text
    assert f'href="documents?doc={ENCYCLOPEDIA}"' in table
    # Files are named as they stand in the corpus folder, never by the server's own paths.
    assert f"<code>{ENCYCLOPEDIA}</code>" in table and str(app_index.parent) not in table and "/corpus/" not in table
    assert not passages(at)  # no document chosen yet


def test_reader_shows_body_and_labelled_noise(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(app_index, monkeypatch, DOCS_PAGE, doc=NOTES)
    assert at.selectbox(key="document_choice").value == NOTES
    boiler = passage_with(at, "This page is automatically generated")
    assert "sb-noise" in boiler and "left out of answers: boilerplate" in text_of(boiler)
    assert "sb-noise" in passage_with(at, "In this work, we carry out") and "truncated snippet" in text_of(
        passage_with(at, "In this work, we carry out"))
    body = passage_with(at, "Butterfield viewed the security dilemma")
    assert "sb-noise" not in body and 'class="sb-term" href="glossary?term=' in body
    # Passages merged into the encyclopedia stand in this document too, saying where else they are.
    merged = passage_with(at, "first coined by the German scholar John H. Herz")
    assert f"also in: {ENCYCLOPEDIA}" in text_of(merged)
    assert 'href="citations?ref=security-dilemma-encyclopedia.txt%237"' in merged  # its [7] marker
    # Reading order: each passage once.
    ids = [re.search(r'data-passage="([^"]+)"', p).group(1) for p in passages(at)]  # type: ignore[union-attr]
    assert len(ids) == len(set(ids))
    # The attribution is in the other document.
    at = open_page(app_index, monkeypatch, DOCS_PAGE, doc=ENCYCLOPEDIA)
    credit = passage_with(at, "Developed by StudentB")
    assert "sb-noise" in credit and "left out of answers: attribution" in text_of(credit)
    assert f"also in: {NOTES}" in text_of(passage_with(at, "first coined by the German scholar"))


def test_the_reader_shows_each_sentence_once(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Consecutive passages of a paragraph share a sentence; read in a row, it is shown once."""
    at = open_page(app_index, monkeypatch, DOCS_PAGE, doc=NOTES)
    bodies = [text_of(p).split("link", 1)[-1] for p in passages(at)]  # after the card's header line
    shown = [s.strip(" …") for b in bodies for s in re.split(r"(?<=[.!?])\s+", b)]
    repeats = [a for a, b in itertools.pairwise(shown) if a == b and len(a) > 20]
    assert not repeats, repeats
    assert sum("Herz and Jervis did not view" in s for s in shown) == 1


def test_deep_link_marks_the_passage(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(app_index, monkeypatch, DOCS_PAGE, doc=NOTES)
    target = re.search(r'data-passage="([^"]+)"', passage_with(at, "Butterfield viewed")).group(1)  # type: ignore[union-attr]
    at = open_page(app_index, monkeypatch, DOCS_PAGE, doc=NOTES, passage=target)
    wanted = [p for p in passages(at) if "sb-wanted" in p]
    assert len(wanted) == 1 and f'id="passage-{target}"' in wanted[0]
    assert "Butterfield viewed" in text_of(wanted[0])
    assert any(f"passage-{target}" in h and "<script>" in h for h in htmls(at))  # scrolls there
    # The passage alone finds its document; an unknown passage is said to be missing.
    at = open_page(app_index, monkeypatch, DOCS_PAGE, passage=target)
    assert at.query_params["doc"] == NOTES and len([p for p in passages(at) if "sb-wanted" in p]) == 1
    at = open_page(app_index, monkeypatch, DOCS_PAGE, doc=NOTES, passage="nowhere")
    assert "No passage" in at.warning[0].value and not [p for p in passages(at) if "sb-wanted" in p]


def test_document_markup_is_shown_not_obeyed(hostile_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(hostile_index, monkeypatch, DOCS_PAGE, doc="hostile.txt")
    shown = "".join(htmls(at))
    assert "<b>the council" not in shown and "<i>Hostile" not in shown
    assert "<script>alert" not in shown
    text = html.unescape(shown)
    for literal in ("<script>alert(1)</script>", "<b>the council</b>", ":red[nobody]",
                    "[click](javascript:alert(1))", "<i>Hostile</i> :blue[title]"):
        assert literal in text, literal
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript", shown, re.I)
    assert "<i>" not in at.subheader[0].value and "\\<i\\>Hostile" in at.subheader[0].value


def test_passage_html_escapes_and_scroll_script_checks_ids() -> None:
    text = "<img src=x onerror=alert(1)> claim."
    p = Passage(id='p1"><script>', at=Provenance("d<b>.txt", "T", None, 0, len(text)), text=text,
                sentences=(Sentence(0, len(text), refs=('1"><i>',)),), kind="noise", note="<b>boilerplate</b>")
    out = passage_html(p, "other.txt", None, {'d<b>.txt#1"><i>'}, wanted=True)
    assert {t for t, _ in tags_of(out)} <= {"div", "b", "a", "mark"}
    assert "<img src=x onerror=alert(1)> claim." in text_of(out) and "<b>boilerplate</b>" in text_of(out)
    assert passage_scroll_script('p1"><script>') == "" and "passage-pab12" in passage_scroll_script("pab12")


# --- Ask: examples, history, document links ----------------------------------------------------------


def test_examples_then_history(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(app_index, monkeypatch, None)
    examples = [b for b in at.button if b.key and b.key.startswith("example_")]
    labels = [b.label.replace("\\", "") for b in examples]
    assert 4 <= len(labels) <= 6 and labels[0] == "What is security dilemma?"
    assert "Who is John H. Herz?" in labels
    assert not at.sidebar.button
    examples[0].click().run()
    assert not at.exception, at.exception
    assert at.query_params["q"] == "What is security dilemma?" and any("sb-answer" in h for h in htmls(at))
    at.text_input(key="question").input("Who coined the term?")
    at.button[0].click().run()
    history = [b.label.replace("\\", "") for b in at.sidebar.button]
    assert history == ["Who coined the term?", "What is security dilemma?"]
    assert not [b for b in at.button if b.key and b.key.startswith("example_")]
    at.sidebar.button[1].click().run()  # asks again, and comes first
    assert at.query_params["q"] == "What is security dilemma?"
    assert [b.label.replace("\\", "") for b in at.sidebar.button] == ["What is security dilemma?",
                                                                       "Who coined the term?"]


def test_citation_card_opens_in_document(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(app_index, monkeypatch, None, q="Which German scholar introduced the concept, and when?")
    card = next(h for h in htmls(at) if 'class="sb-citation"' in h)
    link = next(a for t, a in tags_of(card) if t == "a" and (a.get("href") or "").startswith("documents?"))
    assert "open in document" in card
    query = parse_qs(urlsplit(html.unescape(link["href"] or "")).query)
    assert query["doc"] == [ENCYCLOPEDIA]
    at = open_page(app_index, monkeypatch, DOCS_PAGE, doc=query["doc"][0], passage=query["passage"][0])
    wanted = [p for p in passages(at) if "sb-wanted" in p]
    assert len(wanted) == 1 and "first coined by the German scholar John H. Herz" in text_of(wanted[0])


# --- Glossary exports ---------------------------------------------------------------------------------


def test_glossary_exports(app_index: Path, monkeypatch: pytest.MonkeyPatch,
                          downloads: dict[str, bytes]) -> None:  # noqa: F811
    at = open_page(app_index, monkeypatch, "pages_glossary.py")
    rows = list(csv.DictReader(io.StringIO(served(at, "Download glossary (CSV)", downloads))))
    assert list(rows[0]) == ["term", "kind", "aliases", "definition", "document", "page"]
    row = next(r for r in rows if r["term"] == "security dilemma")
    assert row["kind"] == "concept" and "spiral model" in row["aliases"].split("; ")
    assert "fear for their own security" in row["definition"] and row["document"].endswith(".txt")
    md = served(at, "Download glossary (Markdown)", downloads)
    assert md.startswith("# Glossary") and "## security dilemma" in md


def test_glossary_csv_defuses_formulas() -> None:
    from index.models import GlossaryEntry

    entry = GlossaryEntry(term="=HYPERLINK(\"x\")", kind="other", definition="@SUM(1)", citation=None,
                          aliases=("a", "b"))
    row: Any = list(csv.reader(io.StringIO(glossary_csv([entry]))))[1]
    assert row == ["'=HYPERLINK(\"x\")", "other", "a; b", "'@SUM(1)", "", ""]
