"""Shared fixtures: the real model (loaded once per session) and an index of corpus/ in a tmp dir."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CORPUS = ROOT / "corpus"


def load_jsonl(name: str) -> list[dict[str, Any]]:
    """A development set shipped under tests/data/eval (copied from shared/eval)."""
    return [json.loads(line) for line in (DATA / "eval" / name).read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session", autouse=True)
def export_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh cache for the ONNX export (index/onnx_encoder.py), so every run makes and checks
    one; the commands tests start inherit it."""
    with pytest.MonkeyPatch.context() as mp:
        folder = tmp_path_factory.mktemp("sourcebook-cache")
        mp.setenv("SOURCEBOOK_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="session")
def embedder() -> Any:
    from index.embedder import get_embedder

    return get_embedder()


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Path:
    from ingest.pipeline import ingest

    index_dir = tmp_path_factory.mktemp("corpus-index")
    report = ingest([CORPUS], index_dir)
    assert not report.errors, report.errors
    return index_dir


@pytest.fixture(scope="session")
def engine(corpus_index: Path) -> Any:
    from index.engine import Engine

    return Engine(corpus_index)


@pytest.fixture(scope="session")
def app_index(corpus_index: Path) -> Path:
    """The corpus index, as the app tests name it (built once per session)."""
    return corpus_index


@pytest.fixture(scope="session")
def hostile_index(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Path:
    """An index of one document full of markup that must be shown, never obeyed."""
    from ingest.pipeline import ingest

    corpus = tmp_path_factory.mktemp("hostile-corpus")
    (corpus / "hostile.txt").write_text(
        "<i>Hostile</i> :blue[title]\n\n"
        "The zorblax treaty was ratified in 1987 by <b>the council</b> <script>alert(1)</script> "
        "while :red[nobody] objected to [click](javascript:alert(1)) at all. "
        "Zorblax delegates met again in 1990 to review the zorblax treaty and its fishing quotas.\n",
        encoding="utf-8",
    )
    folder = tmp_path_factory.mktemp("hostile-index")
    ingest([corpus], folder)
    return folder


@pytest.fixture
def no_leaked_index_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each app test states its own index and corpus; outer settings must not leak in."""
    for name in ("SOURCEBOOK_INDEX", "SOURCEBOOK_CORPUS", "SOURCEBOOK_READ_ONLY"):
        monkeypatch.delenv(name, raising=False)


# --- each test's outcome, for fixtures that act on failure (browser screenshots) ----------

CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep the call phase's report on the item, where a fixture's teardown can read it."""
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report
