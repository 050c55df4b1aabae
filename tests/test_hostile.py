"""Hostile input: every bad file is one `error: PATH: reason` line, every good one is indexed and cited.

The corpus is made in tmp_path (nothing large is stored in the repository): the good corpus/
files plus odd encodings, binary data, oversized and very long-line text, damaged, encrypted
and textless PDFs, a symlink loop, a folder named like a file and hostile file names.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from index.engine import Engine
from index.models import Document
from index.settings import Settings
from ingest.pipeline import _passages
from ingest.readers import InputError, read_any

from .conftest import CORPUS
from .pdfs import EXPLODE, bomb_pdf, text_pdf

CAP = 1_000_000  # a small cap, so the oversized file is only 2 MB


def _pdf(text: str | None, *more_pages: str, rect: bool = False) -> bytes:
    """A reportlab PDF: a page with `text` (or only a drawn rectangle), then one page per `more_pages`."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=0)
    if rect:
        c.rect(100, 100, 200, 150, fill=1)
    for page in (text, *more_pages):
        y = 780
        for line in (page or "").split(". ") if page else ():
            c.drawString(72, y, line.strip().rstrip(".") + ".")
            y -= 16
        c.showPage()
    c.save()
    return buf.getvalue()


def _encrypted(text: str, user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    for page in PdfReader(io.BytesIO(_pdf(text))).pages:
        w.add_page(page)
    w.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def _broken_xref(text: str) -> bytes:
    """A real PDF whose xref offsets all point to the wrong places (and startxref too)."""
    data = _pdf(text)
    head, sep, tail = data.rpartition(b"xref")
    tail = re.sub(rb"(\d{10}) (\d{5}) n", lambda m: b"%010d %s n" % (int(m.group(1)) + 7, m.group(2)), tail)
    tail = re.sub(rb"startxref\s+(\d+)", lambda m: b"startxref\n%d" % (int(m.group(1)) + 13), tail)
    return head + sep + tail


def _sentences(n: int, fact: str) -> str:
    """n distinct, real-looking sentences on one line, with `fact` in the middle."""
    topics = ["harbour", "granary", "library", "observatory", "mill", "bridge", "archive", "garden"]
    out = [
        f"The {topics[i % len(topics)]} of district {i} was rebuilt in year {1700 + i} after the {i % 7 + 1}th flood."
        for i in range(n)
    ]
    out.insert(n // 2, fact)
    return " ".join(out)


# name -> (writer, reason expected on its error line, or None when the file must be ingested)
Maker = Callable[[Path], Any]
FACTS = {
    "utf16.txt": ("The lighthouse keeper of Valmora island polishes the brass lens every Tuesday.",
                  "What does the lighthouse keeper of Valmora polish?"),
    "notes ü $(rm -rf) ;&.txt": ("The Zephyrine orchard grows blue quinces on terraced slopes.",
                                 "What does the Zephyrine orchard grow?"),
    "open-locked.pdf": ("The Korvath glacier retreats forty metres each summer",
                        "How far does the Korvath glacier retreat each summer?"),
    "long-line.txt": ("The copper bell of Ostrava tower was cast by Milena Dvorak in 1843.",
                      "Who cast the copper bell of Ostrava tower?"),
    "half-explodes.pdf": ("The Tarnow ferry crosses the lake at dawn",
                          "When does the Tarnow ferry cross the lake?"),
    "folder.txt/inside.md": ("Quillon beetles hibernate inside hollow birch stumps during winter.",
                             "Where do Quillon beetles hibernate?"),
}


def _files() -> dict[str, tuple[Maker, str | None]]:
    return {
        "empty.txt": (lambda p: p.write_bytes(b""), "empty file"),
        "binary.txt": (lambda p: p.write_bytes(os.urandom(4096) + bytes(range(256)) * 8), "binary data"),
        "latin1.txt": (lambda p: p.write_bytes("Crème brûlée à la café.".encode("latin-1")), "not UTF-8"),
        "utf16.txt": (lambda p: p.write_text(FACTS["utf16.txt"][0], encoding="utf-16"), None),
        "nul.txt": (lambda p: p.write_bytes(b"Some real text here.\x00And more text after a NUL."), "NUL bytes"),
        "huge.txt": (lambda p: p.write_bytes(b"A sentence that fills the file. " * (2_000_000 // 32)),
                     "settings.build.max_file_bytes"),
        "long-line.txt": (lambda p: p.write_text(_sentences(520, FACTS["long-line.txt"][0])), None),
        "truncated.pdf": (lambda p: p.write_bytes(_pdf("Half a document about nothing. " * 3)[:900]), "PDF"),
        "bad-xref.pdf": (lambda p: p.write_bytes(_broken_xref("The Mirelle canal freezes solid every January")),
                         None),
        "locked.pdf": (lambda p: p.write_bytes(_encrypted("Secret text nobody reads", "hunter2")),
                       "password is needed"),
        "open-locked.pdf": (lambda p: p.write_bytes(_encrypted(FACTS["open-locked.pdf"][0], "")), None),
        "textless.pdf": (lambda p: p.write_bytes(_pdf(None, rect=True)), "no text layer"),
        "explodes.pdf": (lambda p: p.write_bytes(text_pdf(EXPLODE)), "failed inside pypdf"),
        "half-explodes.pdf": (lambda p: p.write_bytes(text_pdf(FACTS["half-explodes.pdf"][0], EXPLODE)), None),
        # 8 pages of 64 MB each in 0.5 MB: refused from the pages' measured size, never inflated.
        "bomb.pdf": (lambda p: p.write_bytes(bomb_pdf(8, 64 * 2**20)), "inflates to more than 16 MB a page"),
        "notes ü $(rm -rf) ;&.txt": (lambda p: p.write_text(FACTS["notes ü $(rm -rf) ;&.txt"][0]), None),
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Build the corpus and ingest it once through the CLI; the tests check the outcome."""

    from ui import cli

    base = tmp_path_factory.mktemp("hostile")
    folder = base / "corpus"
    shutil.copytree(CORPUS, folder)
    for name, (make, _) in _files().items():
        make(folder / name)
    (folder / "folder.txt").mkdir()  # a folder named like a file, holding a good file
    (folder / "folder.txt" / "inside.md").write_text(FACTS["folder.txt/inside.md"][0])
    (folder / "empty.md").mkdir()  # an empty folder named like a file: nothing to report
    (folder / "loop").mkdir()
    (folder / "loop" / "self").symlink_to(folder / "loop", target_is_directory=True)
    (folder / "self-link.txt").symlink_to(folder / "self-link.txt")  # a link to itself

    mp = pytest.MonkeyPatch()
    mp.setattr(cli, "_settings", lambda args: Settings().with_(max_file_bytes=CAP))
    err_buf, out_buf = io.StringIO(), io.StringIO()
    mp.setattr("sys.stderr", err_buf)
    mp.setattr("sys.stdout", out_buf)
    started = time.perf_counter()
    try:
        status = cli.main(["ingest", str(folder), "--index", str(base / "idx")])
    finally:
        mp.undo()
    return {"folder": folder, "index": base / "idx", "status": status, "out": out_buf.getvalue(),
            "err": err_buf.getvalue(), "seconds": time.perf_counter() - started}


def _error_lines(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if ln.startswith("error: ")]


EXPECTED_BAD = {name: reason for name, (_, reason) in _files().items() if reason} | {
    "loop/self": "symbolic link loop",
    "self-link.txt": "broken or looping symbolic link",
}


# The `hostile` fixture ingests a dozen odd files (a 300 KB line among them) with the real model.
@pytest.mark.slow
def test_a_pdf_read_in_part_is_ingested_with_a_warning_naming_its_pages(hostile: dict[str, Any]) -> None:
    warnings = [ln for ln in hostile["err"].splitlines() if ln.startswith("warning: ")]
    assert len(warnings) == 1 and "half-explodes.pdf" in warnings[0], warnings
    assert "page(s) 2 failed inside pypdf" in warnings[0]
    assert "1 file(s) read in part" in hostile["out"]


@pytest.mark.slow
def test_exit_status_summary_and_no_traceback(hostile: dict[str, Any]) -> None:
    assert hostile["status"] == 1, hostile["err"]
    assert "Traceback" not in hostile["err"] and "Traceback" not in hostile["out"]
    assert f"{len(EXPECTED_BAD)} file(s) failed" in hostile["out"], hostile["out"]
    # 2 corpus files + utf16, long line, bad xref (recovered), open-locked, hostile name, folder.txt/inside.md
    assert "indexed 9 documents" in hostile["out"], hostile["out"]


@pytest.mark.slow
def test_each_bad_file_is_exactly_one_line_with_its_reason(hostile: dict[str, Any]) -> None:
    lines = _error_lines(hostile["err"])
    assert len(lines) == len(EXPECTED_BAD), "\n".join(lines)
    folder = hostile["folder"]
    for name, reason in EXPECTED_BAD.items():
        mine = [ln for ln in lines if ln.startswith(f"error: {folder / name}: ")]
        assert len(mine) == 1, (name, lines)
        assert reason in mine[0], mine[0]
        assert len(mine[0]) < 300, mine[0]


@pytest.mark.slow
def test_good_files_are_indexed_and_cited(hostile: dict[str, Any]) -> None:
    engine = Engine(hostile["index"])
    for doc_id, (_, question) in FACTS.items():
        answer = engine.ask(question)
        assert not answer.abstained, (doc_id, answer.text)
        cited = {c.passage.document for c in answer.citations}
        assert doc_id in cited, (doc_id, cited, answer.text)
    assert set(FACTS) | {"bad-xref.pdf"} <= {d.id for d in engine.store.documents()}
    answer = engine.ask("When does the Mirelle canal freeze?")
    assert "bad-xref.pdf" in {c.passage.document for c in answer.citations}, answer.text
    assert not engine.ask("What is the security dilemma?").abstained


def test_oversized_file_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:  # sparse: 2 MB on paper, nothing to write
        fh.truncate(2_000_000)

    def no_read(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an oversized file was read")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    monkeypatch.setattr("builtins.open", no_read)
    with pytest.raises(InputError) as exc:
        read_any(big, CAP)
    assert str(exc.value) == "2.0 MB is over the 1.0 MB cap (settings.build.max_file_bytes)"


def test_very_long_line_is_cut_into_bounded_passages() -> None:
    """300 KB on one line with no sentence end (a flattened table): cut at whitespace, bounded."""
    text = "Readings: " + ", ".join(f"station {i} logged {i * 7 % 101} millimetres" for i in range(9000))
    assert len(text) > 290_000 and "\n" not in text
    doc = Document(id="line.txt", path="line.txt", title="line", sha256="0", text=text, page_starts=())
    passages = _passages([doc], [], Settings())
    body = [p for p in passages if p.kind == "body"]
    assert len(body) > 100
    assert max(len(p.text) for p in body) <= 2 * Settings().build.max_chars + 2000
    assert "station 8999 logged" in " ".join(p.text for p in body)


def test_long_line_of_many_sentences_is_cut_whole() -> None:
    # 3,000 sentences on one line: cut in well under a second since sentence ends look back
    # a bounded window (it took 28 s when each end re-scanned the whole prefix). Speed is
    # measured in bench/, not asserted here; this checks the cut.
    text = _sentences(3000, "The copper bell of Ostrava tower was cast by Milena Dvorak in 1843.")
    assert len(text) > 200_000 and "\n" not in text
    doc = Document(id="line.txt", path="line.txt", title="line", sha256="0", text=text, page_starts=())
    passages = _passages([doc], [], Settings())
    assert any("Milena Dvorak" in p.text for p in passages)
    assert all(p.text.endswith(".") and len(p.text) <= Settings().build.max_chars for p in passages)



def test_symbolic_links_out_of_the_corpus_are_refused_unless_followed(tmp_path: Path) -> None:
    from ingest.pipeline import collect_files

    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    corpus.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("not for the corpus")
    (corpus / "own.txt").write_text("kept")
    (corpus / "inner-link.txt").symlink_to(corpus / "own.txt")  # a link inside the corpus is fine
    (corpus / "hostname.txt").symlink_to(outside / "secret.txt")
    (corpus / "elsewhere").symlink_to(outside, target_is_directory=True)
    files, errors = collect_files([corpus])
    assert sorted(doc for _, doc in files) == ["inner-link.txt", "own.txt"]
    refused = {Path(e.path).name: e.reason for e in errors}
    assert set(refused) == {"hostname.txt", "elsewhere"}
    assert all("outside the corpus folder" in r and "--follow-links" in r for r in refused.values())
    files, errors = collect_files([corpus], follow_links=True)
    assert not errors and {"elsewhere/secret.txt", "hostname.txt"} <= {doc for _, doc in files}


def test_a_file_name_with_control_characters_is_printed_escaped() -> None:
    from ingest.pipeline import FileFailure

    failure = FileFailure("corpus/a.txt\nerror: forged.txt\x1b[31m", "empty file")
    line = f"error: {failure}"
    assert "\n" not in line and "\x1b" not in line
    assert line == "error: corpus/a.txt\\nerror: forged.txt\\x1b[31m: empty file"
    assert str(FileFailure("corpus/notes ü.txt", "empty file")) == "corpus/notes ü.txt: empty file"
