"""Documents added from the browser (ingest/upload.py): size cap, type by content, generated names,
duplicates, titles in manifest.toml, and ingestion with the same pipeline (real model)."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from index.engine import Engine
from index.settings import Settings
from ingest.readers import InputError
from ingest.upload import (
    UPLOAD_FOLDER,
    Upload,
    add_uploads,
    detect_suffix,
    display_name,
    foreign_documents,
    megabytes,
    record_titles,
    store_upload,
    toml_string,
)
from tests.conftest import CORPUS
from tests.test_ingest import make_pdf

TEXT = (b"Otters\n\nThe sea otter cracks shellfish open with a stone it keeps in a pouch of loose skin "
        b"under its forearm. Sea otters hold hands while they sleep so they do not drift apart.\n")
SHELL_NAME = "my notes; rm -rf ~ $(reboot) `id` 'q' \"d\" & | > *.md"
BIB = b"@article{Herz1950,\n  author = {Herz, John H.},\n  title = {Idealist Internationalism},\n  year = {1950}\n}\n"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    return folder


def files_under(folder: Path) -> list[str]:
    """Every file below `folder` (hidden ones too), relative, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def stored_files(corpus: Path) -> list[str]:
    """The uploads that made it into the corpus (not the hidden lock file)."""
    return [f for f in files_under(corpus) if f.startswith(f"{UPLOAD_FOLDER}/") and "/." not in f]


def pdf_bytes(tmp_path: Path, lines: list[str]) -> bytes:
    path = tmp_path / "made.pdf"
    make_pdf(path, [lines])
    return path.read_bytes()


# --- checks before anything is written -----------------------------------------------------


def test_oversize_is_refused_with_the_cap_and_nothing_is_written(corpus: Path) -> None:
    settings = Settings().with_(max_upload_bytes=1_000_000)
    with pytest.raises(InputError) as exc:
        store_upload(corpus, Upload("big.txt", b"a" * 1_500_000), settings)
    assert str(exc.value) == "1.5 MB is over the 1 MB upload cap (settings.upload.max_upload_bytes)"
    assert files_under(corpus) == []
    with pytest.raises(InputError, match="empty file"):
        store_upload(corpus, Upload("empty.txt", b""), settings)
    assert megabytes(Settings().upload.max_upload_bytes) == "20 MB"


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("paper.pdf", b"Just some text pretending to be a PDF.", "not a PDF (no %PDF- header)"),
    ("notes.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary data"),
    ("notes.md", "Caf\xe9 cr\xe8me br\xfbl\xe9e is sweet.".encode("latin-1"), "not UTF-8"),
    ("refs.bib", b"No entries here, only prose about references.", "no BibTeX entries"),
    ("broken.pdf", b"%PDF-1.4\n1 0 obj <<>> garbage no xref", "PDF"),
    ("setup.exe", b"plain words in a file with the wrong name", "unsupported file type .exe"),
    ("sheet.xlsx", b"PK\x03\x04", "unsupported file type .xlsx"),
])
def test_wrong_content_with_a_good_name_is_refused(corpus: Path, name: str, data: bytes, reason: str) -> None:
    with pytest.raises(InputError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        store_upload(corpus, Upload(name, data))
    assert stored_files(corpus) == []  # nothing, not even a half-written temporary file
    assert not [f for f in files_under(corpus) if ".incoming-" in f]


def test_pdf_is_detected_by_content(tmp_path: Path, corpus: Path) -> None:
    data = pdf_bytes(tmp_path, ["Beavers build dams of branches and mud across small streams."])
    for name in ("scan", "report.txt", "Report.PDF"):
        assert detect_suffix(name, data) == ".pdf"
    stored = store_upload(corpus, Upload("report.txt", data))
    assert stored.doc_id.endswith(".pdf") and stored.path.read_bytes() == data
    # Text is text whatever the browser called it; the claimed kind of text is kept.
    assert detect_suffix("notes", TEXT) == ".txt"
    assert detect_suffix("notes.markdown", TEXT) == ".md"
    assert detect_suffix("refs.bib", BIB) == ".bib"


def test_pdf_without_text_layer_is_refused(tmp_path: Path, corpus: Path) -> None:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(200, 200)
    path = tmp_path / "blank.pdf"
    with open(path, "wb") as fh:
        w.write(fh)
    with pytest.raises(InputError, match="no text layer"):
        store_upload(corpus, Upload("blank.pdf", path.read_bytes()))
    assert stored_files(corpus) == []


# --- names: never part of a path ----------------------------------------------------------------


@pytest.mark.parametrize(("name", "shown"), [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\Windows\\win.ini.txt", "win.ini.txt"),
    ("/etc/passwd.txt", "passwd.txt"),
    ("..", ".."),
    ("", "unnamed upload"),
    (SHELL_NAME, SHELL_NAME),
    ("Ünïcödé 東京 résumé.md", "Ünïcödé 東京 résumé.md"),
    ("evil\u202etxt.md", "eviltxt.md"),  # a right-to-left override would disguise the name
    ("tab\tand\nnewline.txt", "tab and newline.txt"),
])
def test_stored_under_a_generated_name_only(tmp_path: Path, corpus: Path, name: str, shown: str) -> None:
    stored = store_upload(corpus, Upload(name, TEXT))
    assert stored.name == shown
    assert stored.path.parent == corpus / UPLOAD_FOLDER and stored.path.resolve().is_relative_to(corpus.resolve())
    assert stored.doc_id == f"{UPLOAD_FOLDER}/{stored.sha256[:16]}{stored.path.suffix}"
    assert stored.path.suffix in (".txt", ".md")
    assert stored_files(corpus) == [stored.doc_id]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]  # nothing written beside the corpus
    # The name is kept as the title, whatever characters it holds.
    record_titles(corpus, [stored])
    table = tomllib.loads((corpus / "manifest.toml").read_text(encoding="utf-8"))[stored.doc_id]
    assert table["title"] == shown and table["source"].startswith("uploaded in the web app on ")


def test_display_name_and_toml_strings() -> None:
    assert display_name("a" * 500 + ".txt") == "a" * 200
    for text in ('quote " and back\\slash', "bell\x07 del\x7f nul\x00", "emoji 🦦 and ß", "= [x] # not a comment"):
        assert tomllib.loads(f"v = {toml_string(text)}")["v"] == text


# --- duplicates and titles ------------------------------------------------------------------------


def test_same_bytes_twice_are_one_file(corpus: Path) -> None:
    first = store_upload(corpus, Upload("otters.txt", TEXT))
    again = store_upload(corpus, Upload("Otters (copy).md", TEXT))
    assert first.new and not again.new and again.doc_id == first.doc_id
    assert stored_files(corpus) == [first.doc_id]
    assert record_titles(corpus, [first]) == 1 and record_titles(corpus, [again]) == 0
    assert tomllib.loads((corpus / "manifest.toml").read_text())[first.doc_id]["title"] == "otters.txt"
    # Bytes the index already holds (here: under the corpus's own name) are not stored again.
    known = {first.sha256: "otters-original.txt"}
    dup = store_upload(corpus, Upload("otters.txt", TEXT), known=known)
    assert dup.indexed and not dup.new and dup.doc_id == "otters-original.txt"
    assert stored_files(corpus) == [first.doc_id]


def test_titles_are_appended_to_an_existing_manifest(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    before = (corpus / "manifest.toml").read_text(encoding="utf-8")
    stored = store_upload(corpus, Upload("Otters.md", TEXT))
    record_titles(corpus, [stored])
    after = (corpus / "manifest.toml").read_text(encoding="utf-8")
    assert after.startswith(before)
    tables = tomllib.loads(after)
    assert tables[stored.doc_id]["title"] == "Otters.md"
    assert tables["security-dilemma-encyclopedia.txt"]["licence"] == "CC BY-SA 4.0"
    # A manifest that is not TOML is left alone, and the reason given.
    (corpus / "manifest.toml").write_text("[broken\n", encoding="utf-8")
    other = store_upload(corpus, Upload("b.txt", TEXT + b"More."))
    with pytest.raises(InputError, match="not valid TOML"):
        record_titles(corpus, [other])
    assert (corpus / "manifest.toml").read_text(encoding="utf-8") == "[broken\n"


def test_foreign_documents(corpus: Path) -> None:
    (corpus / "a.txt").write_text("x")
    assert foreign_documents(corpus, ["a.txt", "elsewhere/b.txt"]) == ["elsewhere/b.txt"]


# --- end to end: stored, ingested, answerable ----------------------------------------------------------


def test_add_uploads_ingests_and_reports_each_file(tmp_path: Path, corpus_index: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(corpus_index, index)  # the corpus's vectors are reused, only new passages embedded
    steps: list[tuple[str, float]] = []
    uploads = [Upload("Sea otters.md", TEXT), Upload("fake.pdf", b"not a pdf"),
               Upload("refs.bib", BIB), Upload("again.md", TEXT)]
    result = add_uploads(corpus, index, uploads, on_progress=lambda t, f: steps.append((t, f)))
    assert result.failure is None and result.report is not None
    assert [str(p) for p in result.problems] == ["fake.pdf: named .pdf, but the content is not a PDF "
                                                 "(no %PDF- header)"]
    assert [s.name for s in result.added] == ["Sea otters.md", "refs.bib", "again.md"]
    assert len({s.doc_id for s in result.added}) == 2  # the same bytes twice are one document
    fractions = [f for _, f in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and any("embedding" in t for t, _ in steps)
    assert result.report.documents == 3 and result.report.embedded < result.report.passages
    engine = Engine(index)
    otters = next(d for d in engine.store.documents() if d.id == result.added[0].doc_id)
    assert otters.title == "Sea otters.md" and otters.source and "uploaded in the web app" in otters.source
    answer = engine.ask("What do sea otters do while they sleep?")
    assert not answer.abstained and answer.citations[0].passage.document == otters.id
    assert any(r.document == result.added[1].doc_id for r in engine.references)
    # Uploading the same file again changes nothing and ingests nothing.
    known = {d.sha256: d.id for d in engine.store.documents()}
    again = add_uploads(corpus, index, [Upload("otters.md", TEXT)], known=known)
    assert again.report is None and not again.added and again.stored[0].indexed


def test_add_uploads_when_the_index_is_busy(tmp_path: Path, corpus: Path) -> None:
    from index import bundle

    index = tmp_path / "index"
    with bundle.lock(index):
        result = add_uploads(corpus, index, [Upload("otters.txt", TEXT)])
    assert result.failure and "another ingestion" in result.failure and not result.added
    assert len(stored_files(corpus)) == 1  # kept: the next ingestion indexes it


def test_a_pdf_read_in_part_is_added_with_a_warning(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
                                                    ) -> None:
    """As the command line warns, the page says which pages of an upload were left out."""
    from tests.pdfs import EXPLODE, text_pdf

    upload = Upload("Ferry timetable.pdf", text_pdf("The Tarnow ferry crosses the lake at dawn", EXPLODE))
    result = add_uploads(corpus, tmp_path / "index", [upload])
    assert not result.problems and [s.name for s in result.added] == ["Ferry timetable.pdf"]
    doc_id = result.added[0].doc_id
    assert [str(w) for w in result.warnings] == [
        f"Ferry timetable.pdf ({doc_id}): page(s) 2 failed inside pypdf and were left out"]


def test_an_upload_that_inflates_to_gigabytes_is_refused_without_the_server_holding_it(
        tmp_path: Path, corpus: Path) -> None:
    """The issue's bomb as an upload: 2.5 MB, forty pages of 64 MB each (2.6 GB read in process)."""
    import resource

    from tests.pdfs import bomb_pdf

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB
    upload = Upload("Bomb.pdf", bomb_pdf(40, 64 * 2**20))
    assert len(upload.data) < 3_000_000
    result = add_uploads(corpus, tmp_path / "index", [upload])
    assert not result.added and len(result.problems) == 1
    assert str(result.problems[0]).endswith(
        "no page could be read (page(s) 1-40 left out: their content inflates to more than 16 MB a page "
        "(settings.read.max_page_content_bytes))")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 200 * 1024  # this process grew < 200 MB
