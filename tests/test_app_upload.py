"""Adding documents from the browser (the Documents page's uploader, driven by AppTest's
file_uploader) and the copy-link boxes of the deep links (real model, copies of the corpus index)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import CORPUS
from tests.test_app import APP, TIMEOUT
from tests.test_app_pages import open_page
from ui.render import JOINER, share_url

pytestmark = pytest.mark.usefixtures("no_leaked_index_env", "no_leaked_upload_env")

DOCS_PAGE = "pages_documents.py"
NOTES = "security-dilemma-realism-notes.txt"
OTTERS = (b"Otters\n\nThe sea otter cracks shellfish open with a stone it keeps in a pouch of loose skin "
          b"under its forearm. Sea otters hold hands while they sleep so they do not drift apart.\n")


def plain(markdown: str) -> str:
    """An escaped Markdown message as the reader sees it."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(JOINER, "")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.sidebar.metric}


@pytest.fixture
def no_leaked_upload_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test states its own corpus folder; an outer read-only switch must not leak in."""
    monkeypatch.delenv("SOURCEBOOK_CORPUS", raising=False)
    monkeypatch.delenv("SOURCEBOOK_READ_ONLY", raising=False)


@pytest.fixture
def writable(tmp_path: Path, corpus_index: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A copy of the corpus and of its index (vectors reused), named by the app's environment."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(corpus_index, index)
    monkeypatch.setenv("SOURCEBOOK_CORPUS", str(corpus))
    return corpus, index


# --- upload -------------------------------------------------------------------------------------


@pytest.mark.slow  # ingests twice through the app, about 1 s
def test_upload_ingests_and_reports_each_file(writable: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, index = writable
    at = open_page(index, monkeypatch, DOCS_PAGE)
    assert metrics(at)["Documents"] == "2"
    uploader = at.file_uploader[0]
    assert uploader.label == "Add documents" and uploader.accept_multiple_files
    assert {".pdf", ".txt", ".md", ".bib"} <= set(uploader.allowed_type)
    caption = plain(at.caption[0].value)
    assert "up to 20 MB a file" in caption and f"{corpus.as_posix()}/uploads/" in caption
    assert at.button(key="ingest_uploads").label == "Ingest" and at.button(key="ingest_uploads").disabled
    uploader.set_value([("Sea <b>otters.md", OTTERS, "text/markdown"),
                        ("fake.pdf", b"I am not a PDF", "application/pdf")]).run()
    at.button(key="ingest_uploads").click().run()
    assert not at.exception, at.exception
    assert plain(at.success[0].value).startswith("Added 1 document(s): Sea <b>otters.md.")
    assert plain(at.error[0].value) == ("1 file(s) could not be added:\n\n"
                                        "- fake.pdf: named .pdf, but the content is not a PDF (no %PDF- header)")
    # The rerun after ingestion: the sidebar, the table and an emptied uploader see the new index.
    assert metrics(at)["Documents"] == "3"
    table = next(h.value for h in at.html if 'class="sb-documents"' in h.value)
    assert "Sea &lt;b&gt;otters.md" in table and "<b>otters" not in table
    assert at.file_uploader[0].value == [] and at.button(key="ingest_uploads").disabled
    stored = [p.name for p in (corpus / "uploads").iterdir() if not p.name.startswith(".")]
    assert len(stored) == 1 and re.fullmatch(r"[0-9a-f]{16}\.md", stored[0])
    # The result is shown once; the new document answers questions at once.
    at.run()
    assert not at.success and not at.error
    at = open_page(index, monkeypatch, None, q="What do sea otters do while they sleep?")
    card = next(h.value for h in at.html if 'class="sb-citation"' in h.value)
    assert "hold hands" in card and "Sea &lt;b&gt;otters.md" in card
    # The same file again: said to be there already, nothing re-ingested.
    at = open_page(index, monkeypatch, DOCS_PAGE)
    at.file_uploader[0].set_value(("copy.md", OTTERS, "text/markdown")).run()
    at.button(key="ingest_uploads").click().run()
    assert "Already in the corpus: copy.md (as uploads/" in plain(at.info[0].value) and not at.error


def test_a_pdf_read_in_part_is_added_with_a_warning(writable: tuple[Path, Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.pdfs import EXPLODE, text_pdf

    _, index = writable
    at = open_page(index, monkeypatch, DOCS_PAGE)
    pdf = text_pdf("The Tarnow ferry crosses the lake at dawn", EXPLODE)
    at.file_uploader[0].set_value(("Ferry.pdf", pdf, "application/pdf")).run()
    at.button(key="ingest_uploads").click().run()
    assert not at.exception and not at.error, at.exception
    assert plain(at.success[0].value).startswith("Added 1 document(s): Ferry.pdf.")
    warning = plain(at.warning[0].value)
    assert warning.startswith("1 file(s) were added in part:\n\n- Ferry.pdf (uploads/")
    assert warning.endswith(".pdf): page(s) 2 failed inside pypdf and were left out")


def test_first_upload_builds_the_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: object) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    monkeypatch.setenv("SOURCEBOOK_CORPUS", str(corpus))
    at = open_page(tmp_path / "index", monkeypatch, DOCS_PAGE)
    assert "no index" in at.info[0].value and not at.sidebar.metric
    at.file_uploader[0].set_value(("otters.txt", OTTERS, "text/plain")).run()
    at.button(key="ingest_uploads").click().run()
    assert not at.exception, at.exception
    assert metrics(at)["Documents"] == "1" and plain(at.success[0].value).startswith("Added 1 document(s)")
    assert any('class="sb-documents"' in h.value for h in at.html)


def test_upload_is_off_without_a_corpus_read_only_or_for_a_foreign_index(
        tmp_path: Path, corpus_index: Path, hostile_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCEBOOK_CORPUS", str(tmp_path / "missing"))
    at = open_page(corpus_index, monkeypatch, DOCS_PAGE)
    assert not at.file_uploader and "needs a corpus folder" in at.info[0].value
    assert "sourcebook serve --corpus DIR" in at.info[0].value
    monkeypatch.setenv("SOURCEBOOK_CORPUS", str(CORPUS))
    monkeypatch.setenv("SOURCEBOOK_READ_ONLY", "1")
    at = open_page(corpus_index, monkeypatch, DOCS_PAGE)
    assert not at.file_uploader and "read-only" in at.info[0].value
    monkeypatch.delenv("SOURCEBOOK_READ_ONLY")
    at = open_page(hostile_index, monkeypatch, DOCS_PAGE)  # built from another folder than CORPUS
    assert not at.file_uploader and "not in the corpus folder" in plain(at.info[0].value)


# --- copy links -----------------------------------------------------------------------------------


def open_at_url(index: Path, monkeypatch: pytest.MonkeyPatch, page: str | None, url: str | None,
                **params: str) -> AppTest:
    """open_page, with the browser's URL known to st.context."""
    monkeypatch.setenv("SOURCEBOOK_INDEX", str(index))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if url:
        at.context = {"url": url}
    if page is not None:
        at.run()
        at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def codes(at: AppTest) -> list[str]:
    return [c.value for c in at.code]


def test_copy_links_on_every_page(corpus_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = "http://localhost:8501"
    at = open_at_url(corpus_index, monkeypatch, None, base, q="Which German scholar introduced the concept?")
    assert codes(at) == [f"{base}/?q=Which%20German%20scholar%20introduced%20the%20concept%3F"]
    assert "Link to this answer" in [c.value for c in at.caption]
    at = open_at_url(corpus_index, monkeypatch, "pages_glossary.py", base, term="security dilemma")
    assert codes(at)[0] == f"{base}/glossary?term=security%20dilemma"  # the entry searched for, first
    assert len(codes(at)) == 1 + len(at.expander)  # and one in every entry of the A-Z list
    at = open_at_url(corpus_index, monkeypatch, "pages_citations.py", base,
                     ref="security-dilemma-encyclopedia.txt#1")
    assert f"{base}/citations?ref=security-dilemma-encyclopedia.txt%231" in codes(at)
    at = open_at_url(corpus_index, monkeypatch, DOCS_PAGE, base, doc=NOTES)
    passage = re.search(r'data-passage="([^"]+)"', next(h.value for h in at.html if "sb-doc-passage" in h.value))
    assert passage is not None and codes(at) == [f"{base}/documents?doc={NOTES}"]
    at = open_at_url(corpus_index, monkeypatch, DOCS_PAGE, None, doc=NOTES, passage=passage.group(1))
    # Without a known browser URL the links stay relative, as the page's own links are.
    assert codes(at) == [f"documents?doc={NOTES}", f"documents?doc={NOTES}&passage={passage.group(1)}"]


def test_share_url() -> None:
    assert share_url("http://localhost:8501", "?q=x") == "http://localhost:8501/?q=x"
    assert share_url("http://localhost:8501/", "glossary?term=x") == "http://localhost:8501/glossary?term=x"
    assert share_url("https://h.example/sb/documents", "glossary?term=x") == "https://h.example/sb/glossary?term=x"
    assert share_url("https://h.example/sb/glossary?term=old#top", "?q=x") == "https://h.example/sb/?q=x"
    assert share_url(None, "?q=x") == "?q=x" and share_url("javascript:alert(1)", "?q=x") == "?q=x"


# --- removing an uploaded document ------------------------------------------------------------


def has_button(at: AppTest, key: str) -> bool:
    return any(b.key == key for b in at.button)


@pytest.mark.slow  # ingests, then re-ingests through the app, over 1 s
def test_an_uploaded_document_can_be_removed_after_a_confirmation(writable: tuple[Path, Path],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.upload import Upload, add_uploads

    corpus, index = writable
    (otters,) = [s.doc_id for s in add_uploads(corpus, index, [Upload("Sea <b>otters.md", OTTERS)]).added]
    # A document put in the corpus folder by hand has no remove button.
    at = open_page(index, monkeypatch, DOCS_PAGE, doc=NOTES)
    assert not has_button(at, "remove_document")
    at = open_page(index, monkeypatch, DOCS_PAGE, doc=otters)
    assert metrics(at)["Documents"] == "3"
    at.button(key="remove_document").click().run()
    assert "Remove Sea <b>otters.md (uploads/" in plain(at.warning[0].value)
    at.button(key="remove_cancel").click().run()  # changed my mind: nothing happens
    assert not at.warning and has_button(at, "remove_document") and (corpus / otters).exists()
    at.button(key="remove_document").click().run()
    at.button(key="remove_yes").click().run()
    assert not at.exception and not at.error, at.exception
    assert plain(at.success[0].value).startswith("Removed Sea <b>otters.md. The index now holds 2 documents")
    assert metrics(at)["Documents"] == "2" and at.query_params.get("doc") != otters
    assert not (corpus / otters).exists()
    at = open_page(index, monkeypatch, None, q="What do sea otters do while they sleep?")
    assert not any("otters.md" in h.value for h in at.html)


def test_no_remove_button_on_a_read_only_server(writable: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.upload import Upload, add_uploads

    corpus, index = writable
    (otters,) = [s.doc_id for s in add_uploads(corpus, index, [Upload("otters.md", OTTERS)]).added]
    monkeypatch.setenv("SOURCEBOOK_READ_ONLY", "1")
    at = open_page(index, monkeypatch, DOCS_PAGE, doc=otters)
    assert not has_button(at, "remove_document") and "otters.md" in plain(at.subheader[0].value)
