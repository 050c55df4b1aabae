"""The Glossary and Citations pages, and the Ask page's term links and downloads (AppTest, real model)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from markdown_it import MarkdownIt
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from index.glossary import Glossary
from index.models import Answer, Citation, GlossaryCitation, GlossaryEntry, Passage, Provenance, Reference, Sentence
from ingest.pipeline import ingest
from tests.test_app import APP, HOSTILE, TIMEOUT, tags_of
from ui.pages_export import answer_markdown, md_inline
from ui.pages_glossary import entry_html, no_entry_html
from ui.render import answer_html, highlight, term_href

pytestmark = pytest.mark.usefixtures("no_leaked_index_env")

DILEMMA_QUESTION = "What is the security dilemma?"
JERVIS_1978 = "security-dilemma-encyclopedia.txt#1"
HERZ_1950 = ("security-dilemma-encyclopedia.txt#3", "security-dilemma-encyclopedia.txt#7")


def open_page(index: Path, monkeypatch: pytest.MonkeyPatch, page: str | None, **params: str) -> AppTest:
    """The app on one page ("pages_glossary.py", ...; None for Ask), opened with query parameters."""
    monkeypatch.setenv("SOURCEBOOK_INDEX", str(index))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if page is not None:
        at.run()  # st.navigation registers the pages on the first run
        at.switch_page(page)
    at.query_params.update(params)
    at.run()
    assert not at.exception, at.exception
    return at


def htmls(at: AppTest) -> list[str]:
    return [h.value for h in at.html]


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


# --- Glossary ------------------------------------------------------------------------


def test_glossary_lists_every_term_a_to_z(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(app_index, monkeypatch, "pages_glossary.py")
    assert [t.value for t in at.title] == ["Glossary"]
    labels = [e.label.replace("\\", "") for e in at.expander]
    terms = [label.split(" · ")[0] for label in labels]
    assert "security dilemma" in terms
    assert terms == sorted(terms, key=str.casefold)
    assert not any(e.proto.expanded for e in at.expander)
    # Each entry shows its definition, its source and its mentions.
    entry = next(h for h in htmls(at) if "<b>security dilemma</b>" in h)
    assert "fear for their own security" in html.unescape(entry)
    assert "Security dilemma (encyclopedia article)" in entry and "<details" in entry
    assert 'href="glossary?term=John%20H.%20Herz"' in entry  # a related term


def test_glossary_deep_link_resolves_an_alias(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(app_index, monkeypatch, "pages_glossary.py", term="spiral model")
    assert at.text_input(key="glossary_query").value == "spiral model"
    shown = htmls(at)[0]  # the opened entry comes before the A-Z list
    assert "<b>security dilemma</b>" in shown
    assert "fear for their own security" in html.unescape(shown)
    assert "Also called:</b> spiral model" in shown


def test_glossary_search_tolerates_misspellings_and_suggests(app_index: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(app_index, monkeypatch, "pages_glossary.py")
    at.text_input(key="glossary_query").input("Secuirty-Dilema").run()
    assert "<b>security dilemma</b>" in htmls(at)[0]
    assert at.query_params["term"] == "Secuirty-Dilema"
    at.text_input(key="glossary_query").input("defensive realist school").run()
    first = htmls(at)[0]
    assert "No entry for" in first and "closest terms:" in first
    assert "glossary?term=" in first


def test_empty_glossary_is_a_plain_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.txt").write_text("Notes\n\nIt rained on Monday and it was cold.\n")
    ingest([corpus], tmp_path / "index")
    at = open_page(tmp_path / "index", monkeypatch, "pages_glossary.py")
    assert len(at.info) == 1 and "glossary is empty" in at.info[0].value
    assert not at.html


# --- Ask: term links and downloads -------------------------------------------------------


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """What the download buttons serve, by media file id (AppTest keeps files in memory)."""
    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self: MemoryMediaFileStorage, data: str | bytes, *args: Any, **kwargs: Any) -> str:
        file_id = original(self, data, *args, **kwargs)
        files[file_id] = data.encode() if isinstance(data, str) else data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return files


def served(at: AppTest, label: str, files: dict[str, bytes]) -> str:
    button = next(b for b in at.get("download_button") if b.proto.label == label)
    assert not button.proto.disabled
    return files[button.proto.url.rsplit("/", 1)[-1].split(".")[0]].decode()


def test_answer_links_its_terms(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(app_index, monkeypatch, None, q=DILEMMA_QUESTION)
    answer = htmls(at)[0]
    assert 'class="sb-answer"' in answer
    links = re.findall(r'<a class="sb-term" href="glossary\?term=([^"]+)" title="([^"]*)"[^>]*>(.*?)</a>', answer)
    assert links, answer
    linked = {unquote(term): (html.unescape(title), html.unescape(text)) for term, title, text in links}
    assert "security dilemma" in linked
    title, text = linked["security dilemma"]
    assert "fear for their own security" in title and text.lower() in text_of(answer).lower()
    assert len(links) == len(linked)  # only the first occurrence of each term
    # The answer's glossary entries are listed under it, and the passages link terms too.
    assert any('class="sb-glossary"' in h and "security dilemma" in h for h in htmls(at))
    assert any('class="sb-citation"' in h and "?term=" in h for h in htmls(at))


def test_answer_downloads(app_index: Path, monkeypatch: pytest.MonkeyPatch, downloads: dict[str, bytes]) -> None:
    at = open_page(app_index, monkeypatch, None, q=DILEMMA_QUESTION)
    md = served(at, "Download answer (Markdown)", downloads)
    assert md.startswith(f"# {DILEMMA_QUESTION}")
    assert "fear for their own security" in md and "[1]" in md
    body, sources = md.split("## Sources", 1)
    assert "[1]" in body
    assert "**[1]** Security dilemma (encyclopedia article)" in sources
    assert "> In international relations" in sources
    assert "References:" in sources and "[doi:10.2307/2009958](https://doi.org/10.2307/2009958)" in sources
    bib = served(at, "Download references (BibTeX)", downloads)
    assert "@article{" in bib and "10.2307/2009958" in bib


# --- Citations -------------------------------------------------------------------------


def expander_with(at: AppTest, text: str) -> Any:
    return next(e for e in at.expander if text in e.label.replace("\\", ""))


def test_citations_page_audits_references(app_index: Path, monkeypatch: pytest.MonkeyPatch,
                                          downloads: dict[str, bytes]) -> None:
    at = open_page(app_index, monkeypatch, "pages_citations.py")
    assert [t.value for t in at.title] == ["Citations"]
    jervis = expander_with(at, "Cooperation Under the Security Dilemma")
    card = next(h.value for h in jervis.html)
    assert 'href="https://doi.org/10.2307/2009958"' in card
    assert 'href="https://www.jstor.org/stable/2009958"' in card
    assert "Cited by" in card and "fear for their own security" in html.unescape(card)
    # The two Herz 1950 entries are flagged as one work, each linking to the other.
    dups = [e for e in at.expander if "duplicate" in e.label]
    assert len(dups) == 2
    for mine, other in (HERZ_1950, HERZ_1950[::-1]):
        card = next(h.value for e in dups for h in e.html if f">{mine}</div>" in h.value)
        assert f'href="citations?ref={other.replace("#", "%23")}"' in card
    assert "@" in served(at, "Download all references (BibTeX)", downloads)


def test_ref_deep_link_opens_that_reference(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(app_index, monkeypatch, "pages_citations.py", ref=JERVIS_1978)
    opened = [e for e in at.expander if e.proto.expanded]
    assert len(opened) == 1 and "Cooperation Under the Security Dilemma" in opened[0].label.replace("\\", "")
    at = open_page(app_index, monkeypatch, "pages_citations.py", ref="nowhere#9")
    assert not any(e.proto.expanded for e in at.expander)
    assert "No reference" in at.warning[0].value


@pytest.mark.parametrize(("year", "verdict"), [("1950", "success"), ("1960", "error")])
def test_claim_checker(app_index: Path, monkeypatch: pytest.MonkeyPatch, year: str, verdict: str) -> None:
    at = open_page(app_index, monkeypatch, "pages_citations.py")
    at.text_input(key="claim").input(f"The term security dilemma was coined by John H. Herz in {year}.")
    at.button[0].click()
    at.run()
    assert not at.exception, at.exception
    alerts = getattr(at, verdict)
    assert len(alerts) == 1
    shown = alerts[0].value.replace("\\", "")
    assert shown.startswith("Supported" if year == "1950" else "Contradicted") and "score 0." in shown
    if year == "1960":
        assert "1960" in shown and "1950" in shown  # the reason
    evidence = [h.value for h in at.html if 'class="sb-citation"' in h.value]
    assert evidence and "Herz" in evidence[0] and "Idealist Internationalism" in html.unescape(evidence[0])
    assert at.query_params["claim"].endswith(f"{year}.")


# --- rendering, without Streamlit ------------------------------------------------------------


def _entry(term: str, definition: str, **kw: Any) -> GlossaryEntry:
    return GlossaryEntry(term=term, kind="concept", definition=definition,
                         citation=GlossaryCitation("p1", "d.txt", 2), **kw)


def _passage(text: str, title: str = "T") -> Passage:
    return Passage(id="p1", at=Provenance("d.txt", title, 2, 0, len(text)), text=text,
                   sentences=(Sentence(0, len(text)),))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_md_inline_is_inert(hostile: str) -> None:
    rendered = MarkdownIt("commonmark").render(md_inline(hostile))
    assert [t for t, _ in tags_of(rendered)] == ["p"], rendered
    assert html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip() == " ".join(hostile.split())


def test_answer_markdown_escapes_documents_keeps_markers() -> None:
    p = _passage("A <b>claim</b> [7] about # things.", title="<i>Doc</i>")
    ref = Reference(id="d#1", document="d", label="1", raw="[x](javascript:alert(1))", doi="10.1/a(b)")
    answer = Answer("What *is* it?", "A <b>claim</b> [7] about # things. [1]", False,
                    (Citation(1, p, p.text, 0.9, (ref,)),))
    md = answer_markdown(answer)
    rendered = MarkdownIt("commonmark").render(md)
    tags = [t for t, _ in tags_of(rendered)]
    assert "b" not in tags and "i" not in tags and tags.count("a") == 1
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert "A <b>claim</b> [7] about # things. [1]" in text  # the marker of [1] is ours, [7] is text
    assert "[1] <i>Doc</i>, p. 2" in text and "[x](javascript:alert(1))" in text
    assert 'href="https://doi.org/10.1/a%28b%29"' in rendered


def test_term_links_are_escaped() -> None:
    evil = _entry('x" onmouseover="alert(1)', '<script>alert(1)</script> "quoted"', aliases=("zorblax",))
    terms = Glossary([evil])
    out = highlight("The zorblax <b>treaty</b>.", "The zorblax <b>treaty</b>.", terms)
    tags = tags_of(out)
    assert {t for t, _ in tags} <= {"div", "mark", "a"}
    link = next(attrs for t, attrs in tags if t == "a")
    assert link["href"] == term_href(evil.term) and link["href"].startswith("glossary?term=x%22%20onmouseover")
    assert link["title"] == evil.definition
    assert all(not k.startswith("on") for _, attrs in tags for k in attrs)
    assert text_of(out) == "The zorblax <b>treaty</b>."
    answer = Answer("q", "zorblax and zorblax [1]", False, (Citation(1, _passage("zorblax"), "zorblax", 0.9),))
    out = answer_html(answer, terms)  # the term linked once; the marker links to its source card
    assert out.count('<a class="sb-term"') == 1 and '<a class="sb-marker" href="#cite-1"' in out


def test_glossary_entry_html_is_escaped() -> None:
    evil = _entry("<img src=x onerror=alert(1)>", "<b>bold</b> definition", related=("<i>r</i>",),
                  mention_passages=("p1",), mention_count=3)
    out = entry_html(evil, Glossary([evil]), lambda pid: _passage("Mentions <img src=x onerror=alert(1)>.",
                                                                   "<script>t</script>"))
    assert {t for t, _ in tags_of(out)} <= {"div", "b", "span", "blockquote", "a", "details", "summary", "ul",
                                            "li", "mark"}
    text = text_of(out)
    for literal in ("<img src=x onerror=alert(1)>", "<b>bold</b> definition", "<script>t</script>, p. 2",
                    "Mentioned 3 times in 1 passage", "<i>r</i>"):
        assert literal in text, literal
    assert "No entry for “<b>x</b>”" in text_of(no_entry_html("<b>x</b>", [evil]))
