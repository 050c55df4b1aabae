"""The query adapter (index/adapter.py): the transform, the shipped matrix, and the setting that turns it off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.adapter import ADAPTER_FILE, adapt, load_adapter
from index.settings import QuerySettings, Settings, SettingsError


def test_adapt_maps_and_normalises() -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=8).astype(np.float32)
    v /= np.linalg.norm(v)
    assert np.allclose(adapt(v, np.eye(8, dtype=np.float32)), v)
    m = rng.normal(size=(8, 8)).astype(np.float32)
    out = adapt(v, m)
    assert out.dtype == np.float32
    assert np.isclose(np.linalg.norm(out), 1.0, atol=1e-6)
    assert np.allclose(out, (m @ v) / np.linalg.norm(m @ v), atol=1e-6)
    assert np.allclose(adapt(v, np.zeros((8, 8), dtype=np.float32)), v)  # a map to 0 leaves the vector


def test_shipped_adapter_is_a_square_matrix_near_the_identity() -> None:
    assert ADAPTER_FILE.is_file()
    m = load_adapter()
    assert m.dtype == np.float32 and m.shape[0] == m.shape[1]
    assert np.isfinite(m).all()
    # Regularised toward the identity: a question keeps most of its own direction.
    rng = np.random.default_rng(1)
    vs = rng.normal(size=(50, m.shape[0])).astype(np.float32)
    vs /= np.linalg.norm(vs, axis=1, keepdims=True)
    assert float(np.mean([adapt(v, m) @ v for v in vs])) > 0.5


def test_load_adapter_refuses_a_matrix_that_is_not_square(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="square"):
        load_adapter(bad)


def test_adapter_setting_is_a_switch() -> None:
    assert Settings().with_(adapter=False).query.adapter is False
    with pytest.raises(SettingsError, match="adapter"):
        QuerySettings(adapter="yes")  # type: ignore[arg-type]


def test_abstention_is_judged_on_the_questions_own_vector_and_sentences_are_embedded_once(
        corpus_index: Path) -> None:
    """With the adapter on, the sentences quoted may change but whether the corpus answers may not:
    the ranking on the question's own vector decides it, from the same single embedding call."""
    from index.engine import Engine
    from index.query.ask import answer_question
    from index.query.rank import rank_sentences
    from index.query.retrieve import retrieve
    from index.query.understand import understand

    on = Engine(corpus_index, Settings())
    off = Engine(corpus_index, Settings().with_(adapter=False))
    assert on.corpus.adapter is not None and off.corpus.adapter is None
    calls: list[list[str]] = []
    encode = on.corpus.encode_sentences

    def counted(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return encode(texts)

    on.corpus.encode_sentences = counted
    for text in ("Who coined the term security dilemma?", "What is the capital of Peru?",
                 "How do states respond to uncertainty about others' intentions?"):
        vector = on.corpus.encode_query(text)
        question = understand(text, vector, on.corpus.terms, on.corpus.knows, adapt(vector, load_adapter()))
        retrieved = retrieve(on.corpus, question)
        calls.clear()
        _, judged = rank_sentences(on.corpus, question, retrieved)
        assert len(calls) == 1 and len(calls[0]) == len(set(calls[0]))  # one call, each text once
        own, same = rank_sentences(off.corpus, understand(text, vector, off.corpus.terms, off.corpus.knows),
                                   retrieved)
        assert own is same  # no adapter: one ranking
        assert [c.text for c in judged.candidates] == [c.text for c in own.candidates]
        assert judged.best_cos == pytest.approx(own.best_cos, abs=1e-5)
        assert answer_question(on.corpus, text).abstained == answer_question(off.corpus, text).abstained
