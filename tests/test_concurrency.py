"""Threads sharing one Engine, as Streamlit's sessions share the cached one: same answers as one thread.

No timing here; bench/load.py measures throughput and latency under load.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from .conftest import load_jsonl

QUESTIONS = [q["question"] for q in load_jsonl("qa-dev.jsonl")]
THREADS = 4


def record(answer: Any) -> tuple[Any, ...]:
    """What must not depend on threads: the text, the cited passages, the abstention and its passages."""
    return (answer.text, answer.abstained, tuple(c.passage.id for c in answer.citations),
            tuple(h.passage.id for h in answer.nearest))


@pytest.mark.slow  # many threads asking many questions, about 1.5 s
def test_threads_sharing_an_engine_answer_as_one_thread(engine: Any, corpus_index: Path) -> None:
    from index.engine import Engine

    expected = {q: record(engine.ask(q)) for q in QUESTIONS}
    shared = Engine(corpus_index)  # its sentence cache starts empty: the threads race to fill it
    barrier = threading.Barrier(THREADS)

    def worker(n: int) -> list[tuple[str, tuple[Any, ...]]]:
        barrier.wait()
        order = QUESTIONS[n:] + QUESTIONS[:n]  # each thread in its own order
        return [(q, record(shared.ask(q))) for q in order * 2]

    with ThreadPoolExecutor(THREADS) as pool:
        results = [r for f in [pool.submit(worker, n) for n in range(THREADS)] for r in f.result()]
    assert len(results) == THREADS * 2 * len(QUESTIONS)
    for question, got in results:
        assert got == expected[question], question


def test_faiss_searches_on_one_openmp_thread_from_any_thread(engine: Any, monkeypatch: Any) -> None:
    """OpenMP's thread count belongs to the calling thread: setting it when the engine loads
    does not cover the threads Streamlit asks from."""
    import faiss

    index = engine.corpus.retriever.faiss
    seen: list[int] = []

    class Spy:
        ntotal = index.ntotal

        def search(self, *args: Any) -> Any:
            seen.append(faiss.omp_get_max_threads())
            return index.search(*args)

    monkeypatch.setattr(engine.corpus.retriever, "faiss", Spy())
    thread = threading.Thread(target=engine.search, args=("security dilemma",))
    thread.start()
    thread.join()
    assert seen == [1]


def test_a_full_sentence_cache_still_answers(corpus_index: Path) -> None:
    """A full cache evicts its oldest entries on insert, possibly ones the same call found cached
    (this raised KeyError once the cache was full)."""
    from index.engine import Engine

    fresh = Engine(corpus_index)
    old = fresh.embed_sentences(["An old sentence."])[0]
    cache = fresh._sentence_cache
    for i in range(20_000 - len(cache)):
        cache[f"filler {i}"] = old
    vectors = fresh.embed_sentences(["An old sentence.", "A sentence never seen before."])
    assert vectors.shape == (2, fresh.embedder.dimension)
    assert (vectors[0] == old).all()
