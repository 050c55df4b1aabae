"""Crashes and concurrent writers never damage the live index; a damaged index is refused in one line.

The kill points use the test-only hook index.bundle.test_pause: with SOURCEBOOK_TEST_PAUSE_AT=<stage>
an ingestion says "sourcebook-test: paused at <stage>" on stderr and sleeps, so it can be SIGKILLed there.
"""

from __future__ import annotations

import ast
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from index.bundle import current_generation
from index.engine import Engine
from ingest.pipeline import ingest
from ui.cli import main

from .conftest import CORPUS, ROOT

QUESTIONS = ["What is the security dilemma?", "Who coined the term security dilemma?"]
NEW_FACT = "The Brenwick accord of 1911 obliged both navies to publish their shipbuilding budgets."
NEW_QUESTION = "What did the Brenwick accord oblige both navies to do?"


def _answers(index: Path) -> list[str]:
    engine = Engine(index)
    return [engine.ask(q).text for q in QUESTIONS]


def _start(corpus: Path, index: Path, stage: str | None = None, pause: float = 120) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("SOURCEBOOK_TEST_PAUSE_AT", None)
    if stage:
        env["SOURCEBOOK_TEST_PAUSE_AT"] = stage
        env["SOURCEBOOK_TEST_PAUSE_SECONDS"] = str(pause)
    return subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "ingest", str(corpus), "--index", str(index)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for_pause(proc: subprocess.Popen[str], stage: str, timeout: float = 120) -> None:
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 1.0)
        if ready:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
            seen.append(line)
            if f"sourcebook-test: paused at {stage}" in line:
                return
    proc.kill()
    raise AssertionError(f"never paused at {stage}: {''.join(seen)}")


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


KILL_POINTS = ["after 0.5s", "after 2s", "embedded", "store-written", "before-switch"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_leaves_the_previous_index_whole(crash_site: dict[str, Any], point: str) -> None:
    index = crash_site["index"]
    if point.startswith("after "):
        proc = _start(crash_site["corpus"], index)
        time.sleep(float(point.removeprefix("after ").rstrip("s")))
    else:
        proc = _start(crash_site["corpus"], index, stage=point)
        _wait_for_pause(proc, point)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode in (-signal.SIGKILL, 0)  # a timed kill may only come after the end
    if proc.returncode == 0:
        pytest.skip("the ingestion finished before the timed kill")
    assert (index / "CURRENT").read_text() == crash_site["current"]
    assert _answers(index) == crash_site["answers"]
    names = [p.name for p in index.iterdir()]
    if point == "store-written":  # the half-written generation is left behind for the next run to clean
        assert any(n.startswith(".tmp-gen-") for n in names), names
    if point == "before-switch":  # complete but never made live
        assert any(n.startswith(".CURRENT-") for n in names), names
        assert sum(n.startswith("gen-") for n in names) == 2, names


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


def test_second_concurrent_ingestion_fails_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = tmp_path / "idx"
    first = _start(CORPUS, index, stage="embedded", pause=10)
    _wait_for_pause(first, "embedded")
    status = main(["ingest", str(CORPUS), "--index", str(index)])
    err = capsys.readouterr().err
    assert first.poll() is None  # it failed while the first still held the lock: it did not wait
    assert status == 2
    assert err.count("\n") == 1 and "another ingestion is writing this index" in err, err
    out, rest = first.communicate(timeout=120)
    assert first.returncode == 0, rest
    assert "indexed 2 documents" in out
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
}


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
