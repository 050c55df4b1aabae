"""The web app in a real browser: the real `sourcebook serve` driven by headless Chromium.

AppTest (tests/test_app*.py) runs the scripts and inspects the elements they emit; these tests
see what a reader sees after Streamlit's frontend, DOMPurify and the browser have had their
say: links that navigate, deep links, the highlighted quote, and hostile documents that must
stay text. One server per index and one browser serve the whole module; each test gets a
fresh page, and a failing test leaves a screenshot in tests/screenshots/.

Everything waits on content through Playwright's auto-waiting locators (Streamlit renders
asynchronously); nothing asserts on timing.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect  # the test extra installs it (the driver only, no browser)

from index.bundle import current_generation
from index.store import Store
from ingest.pipeline import ingest
from tests.browser_support import (
    FIRST_ANSWER_MS,
    VIEWPORT,
    Server,
    answer_or_abstention,
    ask,
    chromium_path,
    launch_chromium,
)
from tests.conftest import CALL_REPORT, CORPUS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, Playwright


# A real `sourcebook serve` and Chromium: deselect with -m "not browser" (or "not slow").
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("no_leaked_index_env")]

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# Generous: the first page of each server loads the model; a failing wait costs this much.
expect.set_options(timeout=FIRST_ANSWER_MS)

HERZ_QUESTION = "Which German scholar introduced the concept, and when?"
HERZ_SENTENCE = "The term was first coined by the German scholar John H. Herz in a 1950 study."
DILEMMA_QUESTION = "What is the security dilemma?"
JERVIS_DOI = "https://doi.org/10.2307/2009958"
MARK_BACKGROUND = "rgb(255, 229, 143)"  # ui.render.MARK_STYLE, as the browser computes it

SCRIPT = "<script>alert(1)</script>"
# A curated glossary as hostile as the document: the Glossary page gets something to render.
HOSTILE_GLOSSARY = """
[terms."zorblax treaty"]
definition = "The zorblax treaty was ratified in 1987 by <b>the council</b> <script>alert(1)</script> while :red[nobody] objected to [click](javascript:alert(1)) at all."
aliases = ["<img src=x onerror=alert(2)>", "[the pact](javascript:alert(3))"]
related = ["<b>council</b>"]

[terms."<script>alert(4)</script> pact"]
definition = "Zorblax delegates met again in 1990 to review the zorblax treaty and its fishing quotas."
"""  # noqa: E501


# --- servers, browser, pages ----------------------------------------------------------------


def _require(what: str, ok: bool) -> None:
    """Skip when the browser tooling is missing locally; on CI (`make test` installs it) fail instead."""
    if not ok:
        message = f"{what} is missing: `make test` installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium for the session (Debian's; never a downloaded one)."""
    _require("Chromium (Debian package chromium)", chromium_path() is not None)
    browser = launch_chromium(playwright)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    """One context for every page: its HTTP cache spares each test Streamlit's frontend
    download. Pages stay independent: each page load is a new Streamlit session."""
    context = browser.new_context(viewport=VIEWPORT)
    yield context
    context.close()


def _serve(index: Path, log: Path, corpus: Path | None = None,
           collections: dict[str, Path] | None = None) -> Iterator[Server]:
    server = Server(index, log, corpus, collections).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def corpus_site(corpus_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`sourcebook serve` on the session's index of corpus/."""
    yield from _serve(corpus_index, tmp_path_factory.mktemp("serve") / "corpus.log")


@pytest.fixture(scope="module")
def hostile_site_index(hostile_index: Path, tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Path:
    """conftest's hostile document, re-ingested with a curated glossary just as hostile."""
    generation = current_generation(hostile_index)
    assert generation is not None
    corpus = tmp_path_factory.mktemp("hostile-site-corpus")
    for document in Store(generation / "store.sqlite").documents():
        target = corpus / document.id  # the id is the path relative to the corpus folder
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(document.text, encoding="utf-8")
    (corpus / "glossary.toml").write_text(HOSTILE_GLOSSARY, encoding="utf-8")
    folder = tmp_path_factory.mktemp("hostile-site-index")
    report = ingest([corpus], folder)
    assert not report.errors, report.errors
    return folder


@pytest.fixture(scope="module")
def hostile_site(hostile_site_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(hostile_site_index, tmp_path_factory.mktemp("serve") / "hostile.log")


@pytest.fixture(scope="module")
def pdf_index(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Path:
    """An index of a two-page PDF: the ferry's sentence on page 2."""
    from tests.pdfs import text_pdf

    corpus = tmp_path_factory.mktemp("pdf-corpus")
    (corpus / "timetable.pdf").write_bytes(text_pdf("The Korvath glacier retreats forty metres each summer.",
                                                    "Timetables change in spring. " + FERRY_SENTENCE))
    folder = tmp_path_factory.mktemp("pdf-index")
    assert not ingest([corpus], folder).errors
    return folder


@pytest.fixture(scope="module")
def pdf_site(pdf_index: Path, corpus_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`sourcebook serve` on the PDF's index, with the demo corpus's as a second collection."""
    yield from _serve(pdf_index, tmp_path_factory.mktemp("serve") / "pdf.log", collections={"demo": corpus_index})


@pytest.fixture
def dialogs() -> list[str]:
    """Every alert/confirm/prompt the page tried to open (there must be none)."""
    return []


@pytest.fixture
def page(browser_context: BrowserContext, dialogs: list[str], request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page; on failure, a screenshot saved and named in the report."""
    page = browser_context.new_page()

    def on_dialog(dialog: Any) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield page
    report = request.node.stash.get(CALL_REPORT, None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / (re.sub(r"[^\w.-]+", "_", request.node.name) + ".png")
        try:
            page.screenshot(path=str(path), full_page=True)
            report.sections.append(("screenshot", f"the page at failure: {path} ({page.url})"))
        except Exception as exc:  # a crashed page must not hide the test's own failure
            report.sections.append(("screenshot", f"no screenshot: {exc}"))
    page.close()


def url_has(name: str, value: str, path: str = "") -> Any:
    """A predicate for page.wait_for_url: the page at `path` with ?name=value (however encoded)."""

    def check(url: str) -> bool:
        parts = urlsplit(url)
        return parts.path.rstrip("/").endswith(path) and parse_qs(parts.query).get(name) == [value]

    return check


# --- Ask ---------------------------------------------------------------------------------------


def test_the_server_is_healthy_only_once_its_index_is_loaded(corpus_site: Server) -> None:
    """`sourcebook serve` opens the engine and asks a first question before Streamlit starts."""
    log = corpus_site.log.read_text()
    ready, started = log.find(f"{corpus_site.index.resolve()}: ready in "), log.find("Uvicorn server started")
    assert ready >= 0 and (started == -1 or ready < started), log


def test_typed_question_shows_cited_answer(corpus_site: Server, page: Page) -> None:
    page.goto(corpus_site.url)
    ask(page, HERZ_QUESTION)
    answer = page.locator(".sb-answer")
    expect(answer).to_contain_text(HERZ_SENTENCE)
    expect(answer.locator("b", has_text="[1]")).to_be_visible()
    page.wait_for_url(url_has("q", HERZ_QUESTION))  # the answer can be bookmarked
    card = page.locator(".sb-citation").first
    expect(card).to_contain_text("[1] Security dilemma (encyclopedia article)")
    mark = card.locator("mark")
    expect(mark).to_have_text(HERZ_SENTENCE)
    # The highlight survives DOMPurify and the stylesheet: the browser paints it yellow.
    assert mark.evaluate("m => getComputedStyle(m).backgroundColor") == MARK_BACKGROUND
    expect(card).to_contain_text("Herbert Butterfield")  # the whole passage, not only the quote
    expect(card.locator("li", has_text="Idealist Internationalism and the Security Dilemma")).to_be_visible()
    # The session's history lists the question in the sidebar.
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name=HERZ_QUESTION)).to_be_visible()


def test_a_marker_links_to_its_source_card_and_shows_the_quote(corpus_site: Server, page: Page) -> None:
    page.goto(corpus_site.page_url(q=HERZ_QUESTION))
    marker = page.locator(".sb-answer a.sb-marker", has_text="[1]")
    expect(marker).to_have_attribute("title", HERZ_SENTENCE)  # hovering shows the quote
    marker.click()
    card = page.locator("#cite-1")
    expect(card).to_contain_text("[1] Security dilemma (encyclopedia article)")
    expect(card).to_be_in_viewport()
    # The card is the page's target, outlined by the answer's stylesheet.
    assert card.evaluate("c => c.matches(':target') && getComputedStyle(c).outlineStyle") == "solid"


def test_a_follow_up_is_read_against_the_previous_question(corpus_site: Server, page: Page) -> None:
    page.goto(corpus_site.page_url(q="Who coined the term security dilemma?"))
    expect(page.locator(".sb-answer")).to_contain_text("John H. Herz")
    ask(page, "When did he write it?")
    searched = "When did John H. Herz write the security dilemma?"
    expect(page.get_by_text(f"Searching for: {searched}")).to_be_visible()
    expect(page.locator(".sb-answer").first).to_contain_text("1950")
    # The link to share reproduces the answer on its own: it asks what was searched for.
    expect(page.get_by_test_id("stCode").last).to_contain_text("?q=When%20did%20John%20H.%20Herz%20write")
    expect(page.get_by_text("Earlier in this conversation (1)")).to_be_visible()
    expect(page.get_by_role("button", name="Download the conversation (Markdown)")).to_be_visible()
    page.get_by_role("button", name="Start over").click()
    expect(page.get_by_label("Question")).to_have_value("")
    expect(page.locator(".sb-answer")).to_have_count(0)
    ask(page, "When did he write it?")  # standing alone now: nothing to resolve it against
    expect(answer_or_abstention(page)).to_be_visible()
    expect(page.get_by_text("Searching for:")).to_have_count(0)


def test_question_deep_link_answers_on_load(corpus_site: Server, page: Page) -> None:
    page.goto(corpus_site.page_url(q=DILEMMA_QUESTION))
    expect(page.locator(".sb-answer")).to_contain_text("fear for their own security")
    expect(page.get_by_label("Question")).to_have_value(DILEMMA_QUESTION)
    first = page.locator(".sb-citation").first
    expect(first).to_contain_text("[1] ")
    expect(first.locator("mark").first).to_be_visible()
    doi = page.locator(f'.sb-citation a[href="{JERVIS_DOI}"]').first
    expect(doi).to_be_visible()
    expect(doi).to_have_attribute("target", "_blank")
    expect(doi).to_have_attribute("rel", re.compile(r"\bnoopener\b"))


def test_out_of_corpus_question_abstains(corpus_site: Server, page: Page) -> None:
    page.goto(corpus_site.page_url(q="What is the melting point of iron?"))
    expect(answer_or_abstention(page)).to_be_visible()
    expect(page.locator(".sb-answer")).to_have_count(0)
    expect(page.get_by_text("Nearest passages")).to_be_visible()
    expect(page.locator(".sb-citation mark")).to_have_count(0)  # nothing is quoted as an answer


def test_no_request_leaves_the_machine(corpus_site: Server, page: Page) -> None:
    """Every page, an answer and a glossary entry load from the server alone (no font or icon CDN)."""
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(corpus_site.page_url(q=DILEMMA_QUESTION))
    expect(page.locator(".sb-answer")).to_contain_text("fear for their own security")
    for path in ("glossary", "citations", "documents"):
        page.goto(corpus_site.page_url(path))
        page.get_by_test_id("stSidebar").wait_for()
    page.wait_for_load_state("networkidle")
    local = urlsplit(corpus_site.url).hostname
    away = [u for u in requested if not u.startswith(("data:", "blob:")) and urlsplit(u).hostname != local]
    assert requested and not away, away


PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("path, params", [("", {"q": HERZ_QUESTION}), ("glossary", {"term": "security dilemma"}),
                                          ("citations", {}), ("documents", {})])
def test_every_page_fits_a_phone_without_sideways_scrolling(corpus_site: Server, browser: Any, path: str,
                                                            params: dict[str, str]) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(corpus_site.page_url(path, **params))
        page.get_by_test_id("stMainBlockContainer").wait_for()
        expect(page.locator(".sb-answer, .sb-documents, [data-testid='stMetric'], .sb-entry").first
               ).to_be_visible(timeout=60_000)
        page.wait_for_timeout(500)  # late layout (fonts, the sidebar's collapse)
        wide = page.evaluate("""() => [document.documentElement, ...document.querySelectorAll(
            "[data-testid='stMain'], [data-testid='stMainBlockContainer']")]
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.tagName + ' ' + e.scrollWidth)""")
        assert wide == [], wide
        if path == "citations":  # the four metrics share rows instead of a screen each
            labels = page.get_by_test_id("stMain").get_by_test_id("stMetricLabel")
            tops = labels.evaluate_all("ms => ms.map(m => m.getBoundingClientRect().top)")
            assert len(tops) == 4 and len(set(tops)) <= 2, tops
    finally:
        context.close()


FERRY_SENTENCE = "The Tarnow ferry crosses the lake at dawn."
# The highlight's colour over white paper, as ui/pdf_page.py paints it (255, 214, 0 at 110/255).
MARKED = [round(255 * (1 - 110 / 255) + c * 110 / 255) for c in (255, 214, 0)]


def test_a_pdf_citation_opens_its_page_as_printed_with_the_quote_marked(pdf_site: Server, page: Page) -> None:
    page.goto(pdf_site.page_url(q="When does the Tarnow ferry cross the lake?"))
    expect(page.locator(".sb-answer")).to_contain_text(FERRY_SENTENCE)
    page.locator("a.sb-page-link").first.click()
    page.wait_for_url(url_has("page", "2"))
    image = page.get_by_test_id("stMain").get_by_role("img").first
    expect(image).to_be_visible(timeout=60_000)
    expect(page.get_by_text("← previous page")).to_be_visible()
    # Rows of the rendered page painted with the highlight, as fractions of its height.
    rows = image.evaluate("""(img, want) => {
        const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data, rows = new Set();
        for (let i = 0; i < d.length; i += 4)
            if (Math.abs(d[i] - want[0]) < 9 && Math.abs(d[i + 1] - want[1]) < 9 && Math.abs(d[i + 2] - want[2]) < 9)
                rows.add(Math.floor(i / 4 / c.width) / c.height);
        return [...rows];
    }""", MARKED)
    # The second line of page 2 (78 pt down an 842 pt page), and nothing else.
    assert rows and min(rows) > 0.08 and max(rows) < 0.115, (min(rows, default=0), max(rows, default=0))


def test_collections_are_switched_in_the_sidebar_and_named_in_links(pdf_site: Server, pdf_index: Path,
                                                                     page: Page) -> None:
    page.goto(pdf_site.page_url(q="When does the Tarnow ferry cross the lake?"))
    expect(page.locator(".sb-answer")).to_contain_text(FERRY_SENTENCE)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("combobox")).to_have_value(pdf_index.name)  # the first, by its folder name
    link = page.locator(".sb-open-document a").first
    assert f"c={pdf_index.name}" in (link.get_attribute("href") or "")
    sidebar.get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="demo").click()
    page.wait_for_url(url_has("c", "demo"))
    expect(sidebar.get_by_role("combobox")).to_have_value("demo")
    expect(sidebar.get_by_test_id("stMetricValue").first).to_have_text("2")  # the demo corpus's two documents
    # A deep link names its collection: the demo corpus answers, the PDF's does not.
    page.goto(pdf_site.page_url(q=HERZ_QUESTION, c="demo"))
    expect(page.locator(".sb-answer")).to_contain_text(HERZ_SENTENCE)
    card_link = page.locator(".sb-open-document a").first.get_attribute("href") or ""
    assert card_link.endswith("&c=demo"), card_link


# --- links out of an answer ------------------------------------------------------------------


def test_answer_term_link_opens_glossary_entry(corpus_site: Server, page: Page) -> None:
    page.goto(corpus_site.page_url(q=DILEMMA_QUESTION))
    link = page.locator(".sb-answer a.sb-term", has_text="security dilemma")
    expect(link).to_have_attribute("title", re.compile("fear for their own security"))  # definition on hover
    link.click()
    page.wait_for_url(url_has("term", "security dilemma", "/glossary"))
    expect(page.get_by_label("Search the glossary")).to_have_value("security dilemma")
    entry = page.locator(".sb-entry").first
    expect(entry).to_be_visible()
    expect(entry.locator("b").first).to_have_text("security dilemma")
    expect(entry).to_contain_text("fear for their own security")


def test_open_in_document_link_shows_the_passage(corpus_site: Server, page: Page, engine: Any) -> None:
    cited = engine.ask(HERZ_QUESTION).citations[0].passage
    page.goto(corpus_site.page_url(q=HERZ_QUESTION))
    page.locator(".sb-citation").first.locator("xpath=..").get_by_role("link", name="open in document").click()
    page.wait_for_url(url_has("passage", cited.id, "/documents"))
    wanted = page.locator(".sb-wanted")
    expect(wanted).to_have_count(1)
    expect(wanted).to_have_attribute("data-passage", cited.id)
    expect(wanted).to_contain_text(HERZ_SENTENCE)
    expect(wanted).to_be_in_viewport()  # the reader scrolled to it


# --- deep links ----------------------------------------------------------------------------------


def test_glossary_alias_deep_link(corpus_site: Server, page: Page) -> None:
    page.goto(corpus_site.page_url("glossary", term="spiral model"))
    entry = page.locator(".sb-entry").first
    expect(entry).to_be_visible()
    expect(entry.locator("b").first).to_have_text("security dilemma")
    expect(entry).to_contain_text(re.compile(r"Also called:.*spiral model"))


def test_reference_deep_link_opens_the_reference(corpus_site: Server, page: Page, engine: Any) -> None:
    ref = next(r for r in engine.references if (r.title or "").startswith("Idealist Internationalism"))
    page.goto(corpus_site.page_url("citations", ref=ref.id))
    # Its expander is open and the others stay closed, so its detail is the one visible.
    detail = page.locator(".sb-reference").filter(visible=True)
    expect(detail).to_have_count(1)
    expect(detail.locator("div").first).to_have_text(ref.id)
    expect(detail).to_contain_text("Idealist Internationalism and the Security Dilemma")
    expect(detail.locator(".sb-citing li").first).to_be_visible()  # the sentences that cite it


def test_reference_deep_link_scrolls_to_a_far_reference(corpus_site: Server, page: Page, engine: Any) -> None:
    # A short window, so that the last entry of the list starts well below the fold.
    page.set_viewport_size({"width": 900, "height": 420})
    ref = engine.references[-1]
    page.goto(corpus_site.page_url("citations", ref=ref.id))
    detail = page.locator(".sb-reference").filter(visible=True)
    expect(detail).to_have_count(1)
    expect(detail.locator("div").first).to_have_text(ref.id)
    expect(detail).to_be_in_viewport()


def test_document_passage_deep_link(corpus_site: Server, page: Page, engine: Any) -> None:
    cited = engine.ask(DILEMMA_QUESTION).citations[-1].passage
    page.goto(corpus_site.page_url("documents", doc=cited.document, passage=cited.id))
    wanted = page.locator(".sb-wanted")
    expect(wanted).to_have_attribute("data-passage", cited.id)
    expect(wanted).to_be_in_viewport()
    expect(page.locator(".sb-doc-passage").first).to_be_attached()
    assert page.locator(".sb-doc-passage").count() > 1  # the whole document, not only the passage


# --- hostile documents stay text -------------------------------------------------------------------


def assert_inert(page: Page, dialogs: list[str]) -> None:
    """Nothing of the hostile document or glossary acted as markup or code."""
    for tag, text in (("b", "council"), ("i", "Hostile")):
        expect(page.locator(tag, has_text=text)).to_have_count(0)
    expect(page.locator('img[src="x"]')).to_have_count(0)
    assert page.evaluate("() => [...document.scripts].filter(s => s.text.includes('alert(')).length") == 0
    links = page.evaluate("() => [...document.querySelectorAll('a[href]')]"
                          ".filter(a => a.protocol === 'javascript:').map(a => a.outerHTML)")
    assert links == []
    assert dialogs == []


def test_hostile_answer_is_text(hostile_site: Server, page: Page, dialogs: list[str]) -> None:
    page.goto(hostile_site.url)
    ask(page, "When was the zorblax treaty ratified?")
    answer = page.locator(".sb-answer")
    expect(answer).to_contain_text(SCRIPT)
    expect(answer).to_contain_text("<b>the council</b>")
    expect(answer).to_contain_text(":red[nobody] objected to [click](javascript:alert(1))")
    card = page.locator(".sb-citation").first
    expect(card).to_contain_text("<i>Hostile</i> :blue[title]")
    expect(card.locator("mark").first).to_contain_text(SCRIPT)
    expect(page.get_by_text(SCRIPT).first).to_be_visible()
    assert_inert(page, dialogs)


def test_hostile_document_reader_is_text(hostile_site: Server, page: Page, dialogs: list[str]) -> None:
    page.goto(hostile_site.page_url("documents", doc="hostile.txt"))
    passage = page.locator(".sb-doc-passage", has_text="zorblax treaty was ratified")
    expect(passage).to_contain_text(SCRIPT)
    expect(passage).to_contain_text("[click](javascript:alert(1))")
    expect(page.locator(".sb-documents")).to_contain_text("<i>Hostile</i> :blue[title]")
    # The reader's heading is Markdown-escaped: the same characters (word joiners aside).
    heading = page.get_by_role("heading", name=re.compile("Hostile")).first
    assert heading.inner_text().replace("\u2060", "").strip() == "<i>Hostile</i> :blue[title]"
    expect(page.get_by_text(SCRIPT).first).to_be_visible()
    assert_inert(page, dialogs)


def test_hostile_glossary_is_text(hostile_site: Server, page: Page, dialogs: list[str]) -> None:
    page.goto(hostile_site.page_url("glossary", term="<img src=x onerror=alert(2)>"))  # an alias
    entry = page.locator(".sb-entry").first
    expect(entry).to_be_visible()
    expect(entry).to_contain_text(SCRIPT)
    expect(entry).to_contain_text("Also called: <img src=x onerror=alert(2)>, [the pact](javascript:alert(3))")
    expect(entry.get_by_role("link", name="<b>council</b>")).to_be_visible()
    # A term whose name is markup is listed A to Z as its characters.
    expect(page.get_by_text("<script>alert(4)</script> pact").first).to_be_visible()
    assert_inert(page, dialogs)


@pytest.mark.parametrize(
    ("path", "params", "shown"),
    [
        ("", {"q": "<img src=x onerror=alert(5)>"}, "<img src=x onerror=alert(5)>"),
        ("glossary", {"term": "<script>alert(6)</script>"}, "No entry for “<script>alert(6)</script>”"),
        ("documents", {"doc": "hostile.txt", "passage": "');alert(7);//"}, "No passage"),
    ],
)
def test_hostile_url_parameters_are_text(hostile_site: Server, page: Page, dialogs: list[str], path: str,
                                         params: dict[str, str], shown: str) -> None:
    page.goto(hostile_site.page_url(path, **params))
    expect(page.get_by_text(shown).first).to_be_visible()
    if path == "":
        expect(page.get_by_label("Question")).to_have_value(params["q"])
    assert_inert(page, dialogs)


# --- adding a document from the browser -------------------------------------------------------------

OTTERS_NAME = "Sea <b>otters.md"
OTTERS = (b"Otters\n\nThe sea otter cracks shellfish open with a stone it keeps in a pouch of loose skin "
          b"under its forearm. Sea otters hold hands while they sleep so they do not drift apart.\n")


@pytest.fixture
def writable_site(corpus_index: Path, tmp_path: Path) -> Iterator[Server]:
    """A server whose corpus folder and index are copies in tmp_path: uploads land there."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(corpus_index, index)  # vectors reused: only the new document is embedded
    yield from _serve(index, tmp_path / "serve.log", corpus)


def test_upload_a_document_and_ask_about_it(writable_site: Server, page: Page, dialogs: list[str]) -> None:
    page.goto(writable_site.page_url("documents"))
    ingest_button = page.get_by_role("button", name="Ingest", exact=True)
    expect(ingest_button).to_be_disabled()
    upload: FilePayload = {"name": OTTERS_NAME, "mimeType": "text/markdown", "buffer": OTTERS}
    page.get_by_test_id("stFileUploader").locator('input[type="file"]').set_input_files(files=[upload])
    expect(ingest_button).to_be_enabled()  # the file reached the server
    ingest_button.click()
    expect(page.get_by_text("Added 1 document(s)")).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_test_id("stMetric").filter(has_text="Documents")).to_contain_text("3")
    expect(page.locator(".sb-documents")).to_contain_text(OTTERS_NAME)  # the name is shown, not obeyed
    expect(page.locator(".sb-documents b")).to_have_count(0)
    stored = [p for p in (writable_site.corpus or Path()).glob("uploads/*") if not p.name.startswith(".")]
    assert [p.read_bytes() for p in stored] == [OTTERS]

    page.goto(writable_site.page_url(q="Why do sea otters hold hands while they sleep?"))
    expect(page.locator(".sb-answer")).to_contain_text("so they do not drift apart")
    card = page.locator(".sb-citation").first
    expect(card).to_contain_text(f"[1] {OTTERS_NAME}")  # the uploaded name is the title, as text
    expect(card.locator("b b")).to_have_count(0)
    expect(card.locator("mark")).to_contain_text("Sea otters hold hands while they sleep")

    # Removed again from its reader, after a confirmation: the file and its answers are gone.
    doc_id = f"uploads/{stored[0].name}"
    page.goto(writable_site.page_url("documents", doc=doc_id))
    page.get_by_role("button", name="Remove this document").click()
    page.get_by_role("button", name="Yes, remove it").click()
    expect(page.get_by_text(f"Removed {OTTERS_NAME}.")).to_be_visible()
    expect(sidebar.get_by_test_id("stMetric").filter(has_text="Documents")).to_contain_text("2")
    assert not stored[0].exists()
    page.goto(writable_site.page_url(q="Why do sea otters hold hands while they sleep?"))
    expect(answer_or_abstention(page)).to_be_visible()
    expect(page.get_by_text("so they do not drift apart")).to_have_count(0)
    assert dialogs == []
