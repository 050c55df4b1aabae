"""Files are read in worker processes under a memory and a time limit, and a PDF's inflated content
is budgeted before pypdf parses it: a hostile file costs one line, and the files beside it are read."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.settings import ReadSettings, SettingsError
from ingest.sandbox import read_all

from .conftest import CORPUS
from .pdfs import bomb_pdf, text_pdf

GOOD = CORPUS / "security-dilemma-encyclopedia.txt"


def _read(files: list[Path], limits: ReadSettings | None = None) -> dict[str, str | None]:
    """Each file's error, or None when it was read."""
    return {o.path.name: o.error for o in read_all([(f, f.name) for f in files], 10**8, limits or ReadSettings())}


def test_a_page_that_inflates_past_its_budget_is_left_out_before_it_is_parsed(tmp_path: Path) -> None:
    """The issue's bomb, scaled down: pages of a 2.5 MB file inflating to 64 MB each (there 40 pages,
    2.6 GB and five minutes). Every page is over the 16 MB budget, so the file is refused, naming it."""
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(bomb_pdf(6, 64 * 2**20))
    assert bomb.stat().st_size < 500_000
    # Measured, never held: 128 MB is enough for a process that reads six 64 MB pages.
    errors = _read([bomb, GOOD], ReadSettings(memory_mb=128))
    assert errors["security-dilemma-encyclopedia.txt"] is None
    assert errors["bomb.pdf"] == ("no page could be read (page(s) 1-6 left out: their content inflates to more "
                                  "than 16 MB a page (settings.read.max_page_content_bytes))")


def test_pages_past_the_documents_budget_are_left_out_with_a_warning(tmp_path: Path) -> None:
    bomb = tmp_path / "heavy.pdf"
    bomb.write_bytes(bomb_pdf(5, 900_000, text="The Tarnow ferry crosses the lake at dawn."))
    limits = ReadSettings(max_page_content_bytes=1_000_000, max_pdf_content_bytes=2_000_000)
    [outcome] = read_all([(bomb, "heavy.pdf")], 10**8, limits)
    assert outcome.reading is not None, outcome.error
    assert outcome.reading.raw.warnings == (
        "page(s) 3-5 left out: the document's content passed 2 MB (settings.read.max_pdf_content_bytes)",)
    assert outcome.reading.raw.page_starts and len(outcome.reading.raw.page_starts) == 5


def test_a_file_that_reads_too_long_is_stopped_and_the_others_are_read(tmp_path: Path) -> None:
    slow = tmp_path / "slow.pdf"
    slow.write_bytes(bomb_pdf(10, 12 * 2**20))  # 120 MB of content to parse: about 15 s
    errors = _read([slow, GOOD, GOOD.with_name("security-dilemma-realism-notes.txt")], ReadSettings(seconds=1))
    assert errors == {"slow.pdf": "reading took longer than 1 s and was stopped (settings.read.seconds)",
                      "security-dilemma-encyclopedia.txt": None, "security-dilemma-realism-notes.txt": None}


@pytest.mark.slow  # writes and reads 28 MB twice
def test_a_file_that_needs_more_memory_than_allowed_is_stopped(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text(("Quillon beetles hibernate inside hollow birch stumps during winter. " * 20 + "\n") * 20_000)
    errors = _read([big, GOOD], ReadSettings(memory_mb=96, workers=1))
    assert errors == {"big.txt": "reading needed more than 96 MB of memory and was stopped (settings.read.memory_mb)",
                      "security-dilemma-encyclopedia.txt": None}  # read by the worker that replaced it
    assert _read([big])["big.txt"] is None  # the default limit reads it


def test_a_page_pypdf_fails_on_is_named_and_the_rest_is_read(tmp_path: Path) -> None:
    from .pdfs import EXPLODE

    pdf = tmp_path / "half.pdf"
    pdf.write_bytes(text_pdf("The Tarnow ferry crosses the lake at dawn.", EXPLODE))
    [outcome] = read_all([(pdf, "half.pdf")], 10**8, ReadSettings())
    assert outcome.reading is not None and "Tarnow ferry" in outcome.reading.raw.text
    assert outcome.reading.raw.warnings == ("page(s) 2 failed inside pypdf and were left out",)


def test_a_library_export_is_parsed_in_the_worker(tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text("@book{herz51, author = {Herz, John H.}, title = {Political Realism and Political Idealism},"
                   " year = {1951}}\n@article{, title = {No key}}\n")
    [outcome] = read_all([(bib, "refs.bib")], 10**8, ReadSettings())
    assert outcome.reading is not None and outcome.reading.library
    assert [r.label for r in outcome.reading.references] == ["herz51"]
    assert [r.document for r in outcome.reading.references] == ["refs.bib"]
    assert len(outcome.reading.problems) == 1 and "no key" in outcome.reading.problems[0]


def test_limits_are_checked_when_made() -> None:
    with pytest.raises(SettingsError, match=r"ReadSettings\.memory_mb"):
        ReadSettings(memory_mb=1)
    with pytest.raises(SettingsError, match=r"ReadSettings\.seconds"):
        ReadSettings(seconds=0)


def test_reading_a_missing_file_is_its_reason_not_a_crash(tmp_path: Path) -> None:
    assert _read([tmp_path / "gone.txt"]) == {"gone.txt": "no such file or folder"}


def test_the_command_line_sets_the_limits_and_ingests_the_rest(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    from ui.cli import main

    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    (folder / "slow.pdf").write_bytes(bomb_pdf(10, 12 * 2**20))
    status = main(["ingest", str(folder), "--index", str(tmp_path / "idx"), "--read-seconds", "1"])
    out, err = capsys.readouterr()
    assert status == 1 and "Traceback" not in err
    assert err.splitlines() == [
        f"error: {folder / 'slow.pdf'}: reading took longer than 1 s and was stopped (settings.read.seconds)"]
    assert "indexed 2 documents" in out
