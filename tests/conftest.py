"""Shared fixtures: the real model (loaded once per session) and an index of corpus/ in a tmp dir."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CORPUS = ROOT / "corpus"


def load_jsonl(name: str) -> list[dict[str, Any]]:
    """A development set shipped under tests/data/eval (copied from shared/eval)."""
    return [json.loads(line) for line in (DATA / "eval" / name).read_text().splitlines() if line.strip()]


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
