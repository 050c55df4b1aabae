"""The web app end to end (real model, real FAISS, Streamlit's AppTest) and ui.render's escaping."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt  # a dependency of rich, which Streamlit depends on
from streamlit.testing.v1 import AppTest

from index.models import Answer, Citation, Passage, Provenance, Reference, Sentence
from ingest.pipeline import ingest
from ui.render import JOINER, answer_html, citation_html, escape_md, highlight, reference_links

pytestmark = pytest.mark.usefixtures("no_leaked_index_env")

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "ui" / "app.py"
TIMEOUT = 60  # the first run loads the embedding model

HERZ_QUESTION = "Which German scholar introduced the concept, and when?"
HERZ_SENTENCE = "The term was first coined by the German scholar John H. Herz in a 1950 study."

HOSTILE = [
    "<script>alert(1)</script>",
    "<b>x</b>",
    "[click](javascript:alert(1))",
    ":red[x]",
    ":blue-background[x]",
    ":material/home:",
    ":streamlit:",
    ":smile:",
    "$x^2$",
    "**bold** _it_ `code`",
    "# heading",
    "1. item",
    "> quote",
    "a -> b <- c",
    "&lt;b&gt; &amp;",
    "![img](https://example.com/x.png)",
    "<img src=x onerror=alert(1)>",
    "back\\slash \\:red[x]",
    "www.example.com https://example.com a@example.com",
]


# --- fixtures ----------------------------------------------------------------------


def app_for(index: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("SOURCEBOOK_INDEX", str(index))
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT)


def ask(at: AppTest, question: str) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    at.text_input(key="question").input(question)
    at.button[0].click()
    return at.run()


def htmls(at: AppTest) -> list[str]:
    return [h.value for h in at.html]


def marked(fragment: str) -> list[str]:
    """Text of the <mark> elements of an HTML fragment, unescaped."""
    return [html.unescape(m) for m in re.findall(r"<mark[^>]*>(.*?)</mark>", fragment, re.S)]


# --- the app -----------------------------------------------------------------------


def test_answer_with_cited_highlighted_passage(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = ask(app_for(app_index, monkeypatch), HERZ_QUESTION)
    assert not at.exception, at.exception
    answer = htmls(at)[0]
    citations = [h for h in htmls(at) if 'class="sb-citation"' in h]
    assert "Herz" in answer and "[1]" in answer
    assert citations, "no citation shown"
    first = citations[0]
    assert "[1] Security dilemma (encyclopedia article)" in html.unescape(first)
    assert any(HERZ_SENTENCE in m for m in marked(first)), first
    # The whole passage is shown, not only the quote: unhighlighted text surrounds it.
    assert "Herbert Butterfield" in html.unescape(first)
    assert "Herbert Butterfield" not in " ".join(marked(first))
    # The question goes to the URL so the answer can be linked to.
    assert at.query_params["q"] == HERZ_QUESTION
    assert not at.warning


def test_out_of_corpus_question_abstains(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = ask(app_for(app_index, monkeypatch), "What is the melting point of iron?")
    assert not at.exception, at.exception
    assert len(at.warning) == 1 and "does not answer" in at.warning[0].value
    nearest = htmls(at)
    assert nearest, "the nearest passages should be shown"
    assert all("<mark" not in h for h in nearest)  # nothing is quoted as an answer
    assert all("sb-answer" not in h for h in nearest)


def test_deep_link_asks_on_load(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_for(app_index, monkeypatch)
    at.query_params["q"] = HERZ_QUESTION
    at.run()
    assert not at.exception, at.exception
    assert at.text_input(key="question").value == HERZ_QUESTION
    answer = htmls(at)[0]
    assert "Herz" in answer and "[1]" in answer


def test_a_very_long_question_is_cut_and_said_so(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 5,000-character link: the question is cut to 500 characters with a warning; its history
    button is one short line (the whole question on hover); the share link carries the cut question."""
    from ui.pages_common import MAX_INPUT_CHARS

    long_question = HERZ_QUESTION + " " + "and also " * 600
    at = app_for(app_index, monkeypatch)
    at.query_params["q"] = long_question
    at.run()
    assert not at.exception, at.exception
    assert "cut to its first 500 characters" in at.warning[0].value
    assert at.text_input(key="question").value == long_question[:MAX_INPUT_CHARS].strip()
    assert at.text_input(key="question").max_chars == MAX_INPUT_CHARS
    [history] = [b for b in at.sidebar.button if b.key == "history_0"]
    assert len(history.label.replace("\\", "")) <= 80 and history.label.endswith("…")  # less its escapes
    assert all(len(c.value) < 1200 for c in at.code)  # the share link: 500 characters, percent-encoded


def test_sidebar_shows_corpus_at_a_glance(app_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_for(app_index, monkeypatch)
    at.run()
    metrics = {m.label: m.value for m in at.sidebar.metric}
    assert metrics["Documents"] == "2"
    assert int(metrics["Passages"]) > 0
    assert {"References", "Glossary"} <= metrics.keys()
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Model" in captions and "Built" in captions


def test_rebuilt_index_is_noticed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A running app picks up a rebuilt index (new CURRENT generation) without a restart."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "one.txt").write_text("Moles\n\nThe star-nosed mole hunts by touch in wet soil and shallow water.\n")
    ingest([corpus], index)
    at = app_for(index, monkeypatch)
    at.run()
    assert {m.label: m.value for m in at.sidebar.metric}["Documents"] == "1"
    (corpus / "two.txt").write_text("Voles\n\nThe field vole feeds on grasses and breeds through the summer.\n")
    ingest([corpus], index)
    at.run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.sidebar.metric}["Documents"] == "2"


def test_no_index_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_for(tmp_path / "nothing-here", monkeypatch)
    at.run()
    assert not at.exception, at.exception
    assert len(at.info) == 1 and "sourcebook ingest" in at.info[0].value
    assert not at.text_input  # nothing to ask yet


def test_document_markup_is_shown_not_obeyed(hostile_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = ask(app_for(hostile_index, monkeypatch), "When was the zorblax treaty ratified?")
    assert not at.exception, at.exception
    shown = "".join(htmls(at))
    assert "1987" in shown
    assert "<script" not in shown and "<b>the council" not in shown and "<i>" not in shown
    text = html.unescape(shown)
    for literal in ("<script>alert(1)</script>", "<b>the council</b>", ":red[nobody]",
                    "[click](javascript:alert(1))", "<i>Hostile</i> :blue[title]"):
        assert literal in text, literal
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript", shown, re.I)


# --- ui.render ---------------------------------------------------------------------


class _Tags(HTMLParser):
    """Collects the tags and attributes of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(fragment: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(fragment)
    return parser.tags


def visible_text(md: str) -> str:
    """What CommonMark renders `md` to, as plain text (Streamlit's joiners removed)."""
    rendered = MarkdownIt("commonmark").render(md)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace(JOINER, "").strip()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_escape_md_is_inert(hostile: str) -> None:
    md = escape_md(hostile)
    rendered = MarkdownIt("commonmark").render(md)
    assert [t for t, _ in tags_of(rendered)] == ["p"], rendered  # one paragraph, no markup
    assert visible_text(md) == hostile
    # No Streamlit directive, icon or emoji can start: every colon is escaped and joined.
    assert not re.search(r"(?<!\\):", md)
    assert not re.search(r":(?!" + JOINER + ")", md)
    assert "$" not in md.replace("\\$", "")
    # Nor a GFM autolink (CommonMark above does not do those): "www." and "@" are joined.
    assert not re.search(r"(?i)www\\?\.|@(?!" + JOINER + ")", md)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_highlight_is_inert(hostile: str) -> None:
    passage = f"Before. {hostile} After the fact."
    out = highlight(passage, hostile)
    assert {t for t, _ in tags_of(out)} <= {"div", "mark"}
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == passage
    assert marked(out) == [hostile.strip()]


def test_highlight_finds_quotes_across_whitespace_and_gaps() -> None:
    text = "One fact.  Two\nfacts here. Three facts. Four facts."
    assert marked(highlight(text, "Two facts here.")) == ["Two\nfacts here."]
    assert marked(highlight(text, ["One fact.", "Three facts."])) == ["One fact.", "Three facts."]
    # A joined quote of non-adjacent sentences is found sentence by sentence.
    assert marked(highlight(text, "One fact. Four facts.")) == ["One fact.", "Four facts."]
    assert marked(highlight(text, "Not in the passage.")) == []


def _passage(text: str, title: str) -> Passage:
    return Passage(id="p1", at=Provenance("d.txt", title, 3, 0, len(text)), text=text,
                   sentences=(Sentence(0, len(text)),))


def test_citation_card_is_escaped_and_links_are_https() -> None:
    hostile_ref = Reference(
        id="d.txt#1", document="d.txt", label="1", raw="raw", authors=("<b>Evil</b>", "Jervis, Robert"),
        year="1978", title=":red[Title]", container="<script>x</script>",
        doi="javascript:alert(1)", jstor="2009958", isbn="978-0-691-10049-4",
    )
    p = _passage("The <b>quoted</b> sentence.", "<img src=x onerror=alert(1)>")
    out = citation_html(2, p, [p.text], [hostile_ref])
    tags = tags_of(out)
    assert {t for t, _ in tags} <= {"div", "b", "mark", "ul", "li", "a"}
    hrefs = [a["href"] for t, a in tags if t == "a"]
    assert hrefs == [
        "https://doi.org/javascript%3Aalert%281%29",
        "https://www.jstor.org/stable/2009958",
        "https://openlibrary.org/isbn/9780691100494",
    ]
    assert all(not k.startswith("on") for _, attrs in tags for k in attrs)
    text = html.unescape(re.sub(r"<[^>]+>", "", out))
    assert "[2] <img src=x onerror=alert(1)>, p. 3" in text
    assert "<b>Evil</b>; Jervis, Robert (1978). “:red[Title].” <script>x</script>" in text
    assert marked(out) == ["The <b>quoted</b> sentence."]


def test_reference_links_and_answer_markers() -> None:
    ref = Reference(id="d#5", document="d", label="5", raw="r", doi="10.2307/2009958", jstor="JSTOR 424669")
    assert reference_links(ref) == [
        ("doi:10.2307/2009958", "https://doi.org/10.2307/2009958"),
        ("JSTOR 424669", "https://www.jstor.org/stable/424669"),
    ]
    p = _passage("A <i>claim</i> [7].", "T")
    answer = Answer("q?", "A <i>claim</i> [7]. [1]", False, (Citation(1, p, p.text, 0.9),))
    out = answer_html(answer)
    # Only real markers are links, to their source card, the quote on hover (escaped).
    assert ('&lt;i&gt;claim&lt;/i&gt; [7]. <a class="sb-marker" href="#cite-1" title="A &lt;i&gt;claim&lt;/i&gt; [7].">'
            "<b>[1]</b></a>") in out


