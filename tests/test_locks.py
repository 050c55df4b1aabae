"""index/locks.py: the one file lock behind the index writer (refuses) and the upload manifest (waits)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from index import bundle
from index.errors import SourcebookError
from index.locks import file_lock


def test_a_held_index_refuses_a_second_writer_at_once(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with bundle.lock(index), pytest.raises(bundle.LockedError) as exc, bundle.lock(index):
        pass
    assert str(exc.value) == f"{index}: another ingestion is writing this index; try again when it ends"
    assert isinstance(exc.value, SourcebookError) and isinstance(exc.value.__cause__, BlockingIOError)
    with bundle.lock(index):  # let go on exit: the next writer gets it
        pass


def test_without_a_busy_error_the_os_error_is_raised(tmp_path: Path) -> None:
    path = tmp_path / ".lock"
    with file_lock(path), pytest.raises(BlockingIOError), file_lock(path):
        pass


def test_a_waiting_holder_gets_the_lock_when_it_is_let_go(tmp_path: Path) -> None:
    """Even within one process (two sessions of the web app are two threads): flock, not a per-process lock."""
    path = tmp_path / ".lock"
    order: list[str] = []
    held = threading.Event()

    def first() -> None:
        with file_lock(path):
            held.set()
            time.sleep(0.3)
            order.append("first done")

    t = threading.Thread(target=first)
    t.start()
    held.wait(5)
    with file_lock(path, wait=True):
        order.append("second in")
    t.join()
    assert order == ["first done", "second in"]


def test_a_lease_is_seen_by_in_use_and_released(tmp_path: Path) -> None:
    from index.locks import Lease, in_use

    f = tmp_path / "manifest.json"
    f.write_text("{}")
    assert not in_use(f) and not in_use(tmp_path / "missing.json")
    lease = Lease(f)
    assert in_use(f)
    second = Lease(f)  # readers share it
    lease.release()
    assert in_use(f)
    second.release()
    assert not in_use(f)


def test_a_long_lived_engine_keeps_serving_after_two_ingestions(tmp_path: Path) -> None:
    import threading

    from index.engine import Engine
    from ingest.pipeline import ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "canal.md").write_text("# Canal\n\nThe Mirelle canal freezes solid every January.\n", encoding="utf-8")
    assert not ingest([corpus], tmp_path / "idx").errors
    engine = Engine(tmp_path / "idx")
    for _ in range(2):  # two more generations: the first is no longer the live one nor the previous
        assert not ingest([corpus], tmp_path / "idx", force=True).errors
    assert engine.generation.is_dir()
    answers: list[str] = []
    thread = threading.Thread(target=lambda: answers.append(engine.ask("When does the Mirelle canal freeze?").text))
    thread.start()
    thread.join()
    assert answers and "January" in answers[0]
    # Released, the old generation is collected by the next ingestion.
    old = engine.generation
    engine._lease.release()
    assert not ingest([corpus], tmp_path / "idx", force=True).errors
    assert not old.exists()
