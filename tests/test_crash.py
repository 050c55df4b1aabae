"""Crashes and concurrent writers never damage the live index; a damaged index is refused in one line.

The ingestions killed here run in a child process, tests/pausing_ingest.py, which stops at a named
point (through ingest's on_progress, or by wrapping a write inside index.bundle.write in the child
only), creates a marker file and waits there; the parent waits for the marker, then SIGKILLs it.
"""

from __future__ import annotations

import ast
import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from index.bundle import current_generation, lock
from index.engine import Engine
from ingest.pipeline import ingest
from ui.cli import main

from .conftest import CORPUS, ROOT
from .pausing_ingest import STAGES

QUESTIONS = ["What is the security dilemma?", "Who coined the term security dilemma?"]
NEW_FACT = "The Brenwick accord of 1911 obliged both navies to publish their shipbuilding budgets."
NEW_QUESTION = "What did the Brenwick accord oblige both navies to do?"


def _answers(index: Path) -> list[str]:
    engine = Engine(index)
    return [engine.ask(q).text for q in QUESTIONS]


@dataclass
class Child:
    """An ingestion in its own process that stops at `stage` (see tests/pausing_ingest.py)."""

    proc: subprocess.Popen[bytes]
    stage: str
    marker: Path  # created by the child once it is paused
    resume: Path  # created by the parent to let a child started with resume=True carry on
    out: Path
    err: Path

    def wait_paused(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while not self.marker.exists():
            if self.proc.poll() is not None:
                raise AssertionError(f"exited ({self.proc.returncode}) before pausing at {self.stage}: "
                                     f"{self.err.read_text()}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"never paused at {self.stage} within {timeout:.0f}s: {self.err.read_text()}")
            time.sleep(0.05)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)


def _start(corpus: Path, index: Path, stage: str, folder: Path, resume: bool = False) -> Child:
    assert stage in STAGES
    marker, go = folder / f"paused-{stage}", folder / f"resume-{stage}"
    out, err = folder / f"{stage}.out", folder / f"{stage}.err"
    args = [sys.executable, "-m", "tests.pausing_ingest", str(corpus), str(index), stage, str(marker)]
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen([*args, *([str(go)] if resume else [])], cwd=ROOT,
                                env=dict(os.environ, PYTHONUNBUFFERED="1"), stdout=stdout, stderr=stderr)
    return Child(proc, stage, marker, go, out, err)


@pytest.fixture(scope="module")
def crash_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An index of corpus/, and a copy of corpus/ with one file changed (so a rebuild has work to do)."""
    base = tmp_path_factory.mktemp("crash")
    index = base / "idx"
    assert not ingest([CORPUS], index).errors
    changed = base / "corpus"
    shutil.copytree(CORPUS, changed)
    target = changed / "security-dilemma-realism-notes.txt"
    target.write_text(target.read_text() + f"\n\n{NEW_FACT}\n")
    return {"index": index, "corpus": changed, "current": (index / "CURRENT").read_text(),
            "answers": _answers(index)}


# In the order an ingestion reaches them; the last two leave debris that the next run clears.
KILL_POINTS = STAGES
WRITES_NOTHING = ("reading", "embedding", "embedded")  # killed before index.bundle.write starts


@pytest.mark.slow
@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_leaves_the_previous_index_whole(crash_site: dict[str, Any], point: str, tmp_path: Path) -> None:
    index = crash_site["index"]
    before = {p.name for p in index.iterdir()}
    child = _start(crash_site["corpus"], index, point, tmp_path)
    child.wait_paused()
    child.kill()
    assert child.proc.returncode == -signal.SIGKILL, child.err.read_text()
    assert (index / "CURRENT").read_text() == crash_site["current"]
    assert _answers(index) == crash_site["answers"]
    with lock(index):  # the dead writer's lock went with it
        pass
    names = [p.name for p in index.iterdir()]
    if point in WRITES_NOTHING:  # at most the folder its vectors were staged in, which the next run collects
        def written(found: Iterable[str]) -> set[str]:
            return {n for n in found if not n.startswith(".tmp-gen-stage-")}

        assert written(names) == written(before), names
    if point == "store-written":  # the half-written generation is left behind for the next run to clean
        assert any(n.startswith(".tmp-gen-") for n in names), names
    if point == "before-switch":  # complete but never made live
        assert any(n.startswith(".CURRENT-") for n in names), names
        assert sum(n.startswith("gen-") for n in names) == 2, names


@pytest.mark.slow
def test_next_run_completes_and_cleans_up(crash_site: dict[str, Any]) -> None:
    index = crash_site["index"]
    previous = current_generation(index)
    report = ingest([crash_site["corpus"]], index)
    assert not report.errors and not report.up_to_date
    live = current_generation(index)
    assert live is not None and live != previous
    left = sorted(p.name for p in index.iterdir() if p.name not in ("CURRENT", ".lock"))
    assert left == sorted({live.name, previous.name if previous else ""} - {""}), left
    answer = Engine(index).ask(NEW_QUESTION)
    assert not answer.abstained and "Brenwick" in answer.text


@pytest.mark.slow
def test_second_concurrent_ingestion_fails_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = tmp_path / "idx"
    first = _start(CORPUS, index, "embedded", tmp_path, resume=True)
    try:
        first.wait_paused()
        status = main(["ingest", str(CORPUS), "--index", str(index)])
        err = capsys.readouterr().err
        assert first.proc.poll() is None  # it failed while the first still held the lock: it did not wait
    finally:
        first.resume.touch()
    assert status == 2
    assert err.count("\n") == 1 and "another ingestion is writing this index" in err, err
    assert first.proc.wait(timeout=300) == 0, first.err.read_text()
    assert "indexed 2 documents" in first.out.read_text()
    assert not Engine(index).ask(QUESTIONS[0]).abstained


def _truncate(f: Path) -> None:
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])


DAMAGE = {
    "faiss.index removed": lambda g: (g / "faiss.index").unlink(),
    "faiss.index truncated": lambda g: _truncate(g / "faiss.index"),
    "embeddings.npy removed": lambda g: (g / "embeddings.npy").unlink(),
    "embeddings.npy truncated": lambda g: _truncate(g / "embeddings.npy"),
    "store.sqlite truncated": lambda g: _truncate(g / "store.sqlite"),
    "store.sqlite emptied": lambda g: (g / "store.sqlite").write_bytes(b""),
    "manifest.json corrupted": lambda g: (g / "manifest.json").write_text('{"format_version": 2, "mod'),
    "manifest.json removed": lambda g: (g / "manifest.json").unlink(),
    "generation removed": lambda g: shutil.rmtree(g),
    "CURRENT garbage": lambda g: (g.parent / "CURRENT").write_text("../../etc\n"),
    # Same size, other bytes: only the checksums written with the index can tell.
    "embeddings.npy byte flipped": lambda g: _flip(g / "embeddings.npy"),
    "sentences.npy byte flipped": lambda g: _flip(g / "sentences.npy"),
    "faiss.index byte flipped": lambda g: _flip(g / "faiss.index"),
    "store.sqlite passage edited": lambda g: _edit_passage(g / "store.sqlite"),
}


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))


def _edit_passage(path: Path) -> None:
    import sqlite3

    with sqlite3.connect(path) as con:
        con.execute("UPDATE passages SET text = 'Edited ' || substr(text, 8) WHERE rowid = (SELECT MIN(rowid) "
                    "FROM passages)")
    con.close()


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_index_is_refused_in_one_line(
    damage: str, corpus_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "idx"
    shutil.copytree(corpus_index, index)
    gen = current_generation(index)
    assert gen is not None
    DAMAGE[damage](gen)
    status = main(["ask", QUESTIONS[0], "--index", str(index)])
    out, err = capsys.readouterr()
    assert status == 2, (damage, out, err)
    lines = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "sourcebook ingest" in lines[0], lines[0]


def _must_not_read(*_: Any) -> None:
    raise AssertionError("a file noted as whole was read again")


@pytest.mark.parametrize("damage", [d for d in DAMAGE if "flipped" in d or "edited" in d])
def test_a_file_damaged_after_a_verified_load_is_still_refused(
    damage: str, corpus_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load notes the files it found whole and the next one skips reading them; a write since, even
    one that puts the modification time back, moves the change time, and the file is checked in full."""
    from index import bundle
    from index.errors import BundleError

    index = tmp_path / "idx"
    shutil.copytree(corpus_index, index)
    gen = current_generation(index)
    assert gen is not None
    bundle.check_generation(index)
    with monkeypatch.context() as m:
        m.setattr(bundle, "file_sha256", _must_not_read)
        m.setattr(bundle, "_quick_check", _must_not_read)
        bundle.check_generation(index)
    before = {f: f.stat() for f in gen.iterdir()}
    DAMAGE[damage](gen)
    for f, st in before.items():
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(BundleError, match="damaged"):
        bundle.check_generation(index)


def test_without_a_writable_cache_every_load_checks_in_full(
    corpus_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index import bundle

    index = tmp_path / "idx"
    shutil.copytree(corpus_index, index)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("SOURCEBOOK_CACHE", str(blocked))
    read: list[str] = []
    sha = bundle.file_sha256

    def counted(f: Path) -> str:
        read.append(f.name)
        return sha(f)

    monkeypatch.setattr(bundle, "file_sha256", counted)
    bundle.check_generation(index)
    bundle.check_generation(index)
    assert read.count("embeddings.npy") == 2 and read.count("faiss.index") == 2


def test_a_passage_edited_while_the_index_is_served_is_never_quoted(corpus_index: Path, tmp_path: Path) -> None:
    """The load-time checksums cannot see an edit made later; the store checks its file before each read."""
    from index.errors import BundleError

    index = tmp_path / "idx"
    shutil.copytree(corpus_index, index)
    engine = Engine(index)
    assert not engine.ask(QUESTIONS[0]).abstained
    gen = current_generation(index)
    assert gen is not None
    _edit_passage(gen / "store.sqlite")
    with pytest.raises(BundleError, match=r"store\.sqlite changed after it was verified; rebuild it with"):
        engine.ask(QUESTIONS[0])


def _project_sources() -> list[Path]:
    skip = {".venv", ".git", "node_modules", "build", "dist"}
    return [p for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts)]


def test_no_pickle_anywhere() -> None:
    """Indexes are data, never code: np.load always has allow_pickle=False and nothing imports pickle."""
    banned = {"pickle", "cPickle", "_pickle", "dill", "shelve", "joblib", "cloudpickle"}
    loads = 0
    for path in _project_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
                assert not names & banned, f"{path}:{node.lineno} imports {names & banned}"
            elif isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in banned, f"{path}:{node.lineno} imports {node.module}"
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("load", "read_pickle")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in ("np", "numpy", "pd", "pandas", "torch")
            ):
                loads += 1
                safe = [k for k in node.keywords if k.arg == "allow_pickle"
                        and isinstance(k.value, ast.Constant) and k.value.value is False]
                assert safe, f"{path}:{node.lineno} {node.func.value.id}.{node.func.attr} without allow_pickle=False"
    assert loads >= 1  # the check did find bundle.load_embeddings


def test_a_full_disk_is_one_line_and_the_index_stays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import errno

    import index.bundle
    from index.engine import Engine
    from ui.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "canal.md").write_text("# Canal\n\nThe Mirelle canal freezes solid every January.\n", encoding="utf-8")
    assert main(["ingest", str(corpus), "--index", str(tmp_path / "idx")]) == 0
    before = (tmp_path / "idx" / "CURRENT").read_text()

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(index.bundle.np, "save", full)
    capsys.readouterr()
    status = main(["ingest", str(corpus), "--index", str(tmp_path / "idx"), "--force"])
    err = capsys.readouterr().err
    assert status != 0 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"error: {tmp_path / 'idx'}: could not write the index (No space left on device); "
        "the existing index is unchanged")
    assert (tmp_path / "idx" / "CURRENT").read_text() == before
    assert not [p for p in (tmp_path / "idx").iterdir() if p.name.startswith(".tmp-")]
    monkeypatch.undo()
    assert "January" in Engine(tmp_path / "idx").ask("When does the Mirelle canal freeze?").text


@pytest.mark.parametrize("code, reason", [(errno.EROFS, "Read-only file system"), (errno.EACCES, "Permission denied")])
def test_an_index_folder_that_cannot_be_made_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], code: int, reason: str
) -> None:
    """A read-only filesystem or a folder without permission (root passes permission checks, so the
    operating system's refusal is injected): one `error: PATH: reason` line, exit 2, nothing written."""
    target = tmp_path / "mounted" / "idx"

    def refuse(self: Path, *args: Any, **kwargs: Any) -> None:
        raise OSError(code, reason, str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    status = main(["ingest", str(CORPUS), "--index", str(target)])
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [f"error: {target}: {reason}"]
    monkeypatch.undo()
    assert not target.exists()
