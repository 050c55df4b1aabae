"""Bad input: one line naming the file and the reason; good files still ingested; the index kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.bundle import current_generation
from index.engine import Engine
from ui.cli import main

from .conftest import CORPUS


def _encrypted_pdf(path: Path) -> None:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(200, 200)
    w.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    with open(path, "wb") as fh:
        w.write(fh)


BAD = {
    "empty.txt": (lambda p: p.write_bytes(b""), "empty file"),
    "binary.txt": (lambda p: p.write_bytes(bytes(range(256)) * 8), "binary data"),
    "latin1.txt": (lambda p: p.write_bytes("Caf\xe9 cr\xe8me br\xfbl\xe9e is sweet.".encode("latin-1")), "not UTF-8"),
    "corrupt.pdf": (lambda p: p.write_bytes(b"%PDF-1.4\n1 0 obj <<>> garbage no xref"), "PDF"),
    "notpdf.pdf": (lambda p: p.write_bytes(b"hello, I am not a PDF at all"), "not a PDF"),
    "locked.pdf": (_encrypted_pdf, "encrypted PDF"),
    "table.xlsx": (lambda p: p.write_bytes(b"PK\x03\x04"), "unsupported file type"),
}


@pytest.fixture(scope="module")
def bad_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad") / "corpus"
    shutil.copytree(CORPUS, folder)
    for name, (make, _) in BAD.items():
        make(folder / name)
    return folder


def test_each_bad_file_gets_one_line_and_good_files_are_indexed(
    bad_corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "idx"
    status = main(["ingest", str(bad_corpus), str(tmp_path / "missing.txt"), "--index", str(index)])
    out, err = capsys.readouterr()
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == len(BAD) + 1, err
    assert "Traceback" not in err
    for name, (_, reason) in BAD.items():
        line = next(ln for ln in lines if name in ln)
        assert reason in line, line
    assert any("missing.txt" in ln and "no such file" in ln for ln in lines)
    assert "2 documents" in out and f"{len(BAD) + 1} file(s) failed" in out
    assert not Engine(index).ask("What is the security dilemma?").abstained


def test_bad_input_leaves_an_existing_index_intact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = tmp_path / "idx"
    assert main(["ingest", str(CORPUS), "--index", str(index)]) == 0
    gen = current_generation(index)
    only_bad = tmp_path / "only-bad"
    only_bad.mkdir()
    for name, (make, _) in BAD.items():
        make(only_bad / name)
    status = main(["ingest", str(only_bad), "--index", str(index)])
    err = capsys.readouterr().err
    assert status == 2 and "existing index was left as it was" in err
    assert current_generation(index) == gen
    assert not Engine(index).ask("Who coined the term security dilemma?").abstained


def test_clean_exit_status_when_nothing_failed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(CORPUS), "--index", str(tmp_path / "idx")]) == 0
    assert "error" not in capsys.readouterr().err


def test_missing_index_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "anything?", "--index", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sourcebook ingest" in err
