from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import onnx_encoder

PASSAGE = ("John Mearsheimer is an American political scientist. He is a professor at the University of Chicago. "
           "The security dilemma arises when one state's defences frighten its neighbours.")


def spans(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for part in text.split(". "):
        end = start + len(part) + (0 if part.endswith(".") else 1)
        out.append((start, end))
        start = end + 1
    return out


def test_passage_vectors_are_those_encode_gives(embedder: Any) -> None:
    passages, _ = embedder.encode_passages([PASSAGE, "A short one."], [spans(PASSAGE), [(0, 12)]])
    plain = embedder.encode([PASSAGE, "A short one."])
    assert np.allclose((passages * plain).sum(axis=1), 1.0, atol=1e-4)


def test_each_sentence_vector_is_nearest_its_own_sentence(embedder: Any) -> None:
    cut = spans(PASSAGE)
    assert [PASSAGE[a:b] for a, b in cut][1] == "He is a professor at the University of Chicago."
    _, (sentences,) = embedder.encode_passages([PASSAGE], [cut])
    assert sentences.shape == (3, embedder.dimension)
    alone = embedder.encode([PASSAGE[a:b] for a, b in cut])
    similarity = sentences @ alone.T
    # Sentences on different topics stay apart: the last one is nearest itself, the first two
    # (both about Mearsheimer) are nearer each other than the last.
    assert similarity[2].argmax() == 2
    assert similarity[0, 2] < similarity[0, 0] and similarity[1, 2] < similarity[1, 1]
    # Read in context, "He" is Mearsheimer: nearer a question about him than the sentence alone is.
    q = embedder.encode(["Where does Mearsheimer teach?"])[0]
    assert float(sentences[1] @ q) > float(alone[1] @ q)


def test_passages_are_embedded_one_batch_at_a_time_with_the_vectors_of_one_call(
        embedder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """One model call a batch keeps one batch's token vectors alive, not the whole list's; the
    batches are those sentence-transformers makes itself (longest first), so vectors do not move."""
    texts = [PASSAGE, "A short one.", "Herz wrote of the dilemma in 1950.", PASSAGE[:90], "Four words long here."]
    cuts = [spans(PASSAGE), [(0, 12)], [(0, 34)], [(0, 53), (54, 90)], [(0, 21)]]
    model = embedder._model
    calls: list[int] = []
    real = type(model).encode

    def counted(self: Any, chunk: list[str], *args: Any, **kwargs: Any) -> Any:
        calls.append(len(chunk))
        return real(self, chunk, *args, **kwargs)

    monkeypatch.setattr(type(model), "encode", counted)
    vectors, sentences = embedder.encode_passages(texts, cuts, batch_size=2)
    assert calls == [2, 2, 1]
    # The reference: every token vector from one call over the whole list, pooled here the same way.
    whole = real(model, texts, batch_size=2, output_value="token_embeddings", convert_to_numpy=False)
    offsets = model.tokenizer(texts, return_offsets_mapping=True, truncation=True)["offset_mapping"]
    for i, (t, offs) in enumerate(zip(whole, offsets, strict=True)):
        v, s = embedder._pool(t.float().numpy(), offs, cuts[i])
        assert np.array_equal(vectors[i], v) and np.array_equal(sentences[i], s)


# --- question-time encoding on ONNX Runtime (index/onnx_encoder.py) ------------------------

TEXTS = ["What is the security dilemma?", PASSAGE, "Herz", "A sentence of middling length about defence."]


@pytest.mark.slow  # an ONNX export of its own (the session's export is checked by the engine tests)
def test_onnx_export_gives_torchs_vectors(embedder: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCEBOOK_CACHE", str(tmp_path))
    encoder = onnx_encoder.load(embedder._model, embedder.path, embedder.encode, threads=2)
    (exported,) = (tmp_path / "onnx").glob("*.onnx")
    fast, slow = encoder.encode(TEXTS), embedder.encode(TEXTS)
    assert fast.shape == slow.shape
    assert (fast * slow).sum(axis=1).min() > 0.9999
    assert encoder.encode([]).shape[0] == 0
    # The export is made once: a second load reads the cached file.
    stamp = exported.stat().st_mtime_ns
    onnx_encoder.load(embedder._model, embedder.path, embedder.encode, threads=2)
    assert exported.stat().st_mtime_ns == stamp
    # Verified with its torch-free tokenizer, the export is then used without torch at all.
    cached = onnx_encoder.cached(embedder.path, threads=2)
    assert cached is not None and isinstance(cached.tokenizer, onnx_encoder.FastTokenizer)
    assert (cached.encode(TEXTS) * slow).sum(axis=1).min() > 0.9999
    # A damaged cache entry is made again, not trusted.
    exported.write_bytes(b"not a graph")
    assert onnx_encoder.cached(embedder.path, threads=2) is None
    again = onnx_encoder.load(embedder._model, embedder.path, embedder.encode, threads=2)
    assert exported.stat().st_size > 1_000_000
    assert (again.encode(TEXTS) * slow).sum(axis=1).min() > 0.9999
    assert not list((tmp_path / "onnx").glob(".*.tmp"))


@pytest.mark.slow  # an ONNX export of its own
def test_an_export_that_disagrees_is_refused(embedder: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCEBOOK_CACHE", str(tmp_path))

    def other_model(texts: list[str]) -> np.ndarray:
        return embedder.encode([t[::-1] for t in texts])

    with pytest.raises(RuntimeError, match="agrees with torch"):
        onnx_encoder.load(embedder._model, embedder.path, other_model, threads=1)


def test_questions_fall_back_to_torch_with_one_note(embedder: Any, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    probe = copy.copy(embedder)  # shares the loaded model, not the ONNX state
    probe._fast, probe._fast_tried, probe.query_runtime = None, False, "torch"
    probe._fast_lock = threading.Lock()

    def broken(*args: Any) -> Any:
        raise RuntimeError("no exporter here")

    monkeypatch.setattr(onnx_encoder, "cached", lambda *args: None)  # no verified export on this machine
    monkeypatch.setattr(onnx_encoder, "load", broken)
    assert probe.enable_fast_queries() == "torch"
    assert probe.enable_fast_queries() == "torch"
    assert capsys.readouterr().err.count("note: questions are encoded with torch, not ONNX Runtime: no exporter") == 1
    assert np.allclose(probe.encode_query(TEXTS), embedder.encode(TEXTS), atol=1e-6)


def test_the_engine_encodes_questions_on_onnx(engine: Any) -> None:
    assert engine.embedder.query_runtime == "onnx"
    assert engine.stats()["query_runtime"] == "onnx"
    q = "Which German scholar introduced the concept?"
    assert float(engine.embed_query(q) @ engine.embedder.encode([q])[0]) > 0.9999


def test_only_mean_pooled_models_are_exported() -> None:
    class Transformer:
        pass

    class Pooling:
        def __init__(self, mode: str) -> None:
            self.pooling_mode = mode

    assert onnx_encoder._mean_pooled([Transformer(), Pooling("mean")])
    assert not onnx_encoder._mean_pooled([Transformer(), Pooling("cls")])
    assert not onnx_encoder._mean_pooled([Transformer()])


def test_a_question_is_answered_without_torch_once_the_export_is_verified(corpus_index: Path) -> None:
    """`sourcebook ask` took 9-14 s and 750 MB, nearly all of it torch loading for a question that
    ONNX Runtime encodes. The session's engine made and verified the export; a new process uses it."""
    import os
    import subprocess
    import sys

    from index.engine import Engine

    assert Engine(corpus_index).embedder.query_runtime == "onnx"  # made and verified here if not yet
    probe = ("import sys; from pathlib import Path; from index.engine import Engine; "
             f"a = Engine(Path({str(corpus_index)!r})).ask('Who coined the term security dilemma?'); "
             "print('torch' in sys.modules, 'transformers' in sys.modules, 'Herz' in a.text)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=dict(os.environ),
                         cwd=Path(__file__).resolve().parents[1], timeout=300)
    assert out.stdout.split() == ["False", "False", "True"], out.stderr[-2000:]
