"""index/bundle.py: the FAISS index chosen by size, its recall measured and recorded, knobs applied on load."""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np
import pytest

from index import bundle
from index.models import Passage, Provenance, Sentence
from index.settings import Settings, SettingsError
from index.store import BundleData

N, DIM = 2_000, 32
IVF = Settings().with_(flat_index_limit=N - 1, nprobe=3)  # 2,000 vectors: above the limit, 80 lists


def clustered(n: int = N, dim: int = DIM, seed: int = 0) -> np.ndarray:
    """Unit vectors around 40 centres, as passages gather around topics (uniform noise has no neighbours)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dim))
    x = centres[rng.integers(0, 40, n)] + 0.35 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def bundle_data(vectors: np.ndarray, settings: Settings) -> BundleData:
    """A bundle of one passage a vector, each one sentence, with a word of its own for BM25."""
    passages = [Passage(id=f"d.txt#{i}", at=Provenance("d.txt", "D", None, 10 * i, 10 * i + 9),
                        text=f"word{i} text", sentences=(Sentence(0, 11),)) for i in range(len(vectors))]
    return BundleData(settings=settings, model=settings.build.model, dimension=vectors.shape[1], documents=[],
                      passages=passages, embeddings=vectors, embed_keys=[str(i) for i in range(len(vectors))],
                      sentence_vectors=vectors.astype(np.float16),
                      sentence_rows=np.arange(len(vectors) + 1, dtype=np.int64))


def write_bundle(folder: Path, vectors: np.ndarray, settings: Settings) -> Path:
    with bundle.lock(folder):
        return bundle.write(folder, bundle_data(vectors, settings))


def test_up_to_the_limit_the_index_is_exact_flat_as_before() -> None:
    x = clustered()
    index = bundle.build_faiss(x, Settings().with_(flat_index_limit=N))
    assert type(index) is faiss.IndexFlatIP and index.ntotal == N
    before = faiss.IndexFlatIP(DIM)  # what was built before approximate indexes: the file must not change
    before.add(x)
    assert np.array_equal(faiss.serialize_index(index), faiss.serialize_index(before))


def test_above_the_limit_an_ivf_index_is_trained_and_finds_the_exact_neighbours() -> None:
    x = clustered()
    index = bundle.build_faiss(x, IVF)
    assert isinstance(index, faiss.IndexIVFFlat) and index.is_trained and index.ntotal == N
    assert index.nlist == bundle.ivf_lists(N, N) == 80  # 4·√2000 = 179, capped at 25 training vectors a list
    assert index.nprobe == 3
    rows = np.arange(0, N, 10)
    assert bundle.recall_at_k(index, x, x[rows], own_rows=rows) >= 0.9
    # The measure can fail: one list of 80 misses neighbours, all 80 miss none.
    index.nprobe = 1
    assert bundle.recall_at_k(index, x, x[rows], own_rows=rows) < 0.9
    index.nprobe = index.nlist
    assert bundle.recall_at_k(index, x, x[rows], own_rows=rows) == 1.0


class Returns:
    """A stand-in index whose search returns fixed rows."""

    def __init__(self, rows: list[list[int]]) -> None:
        self.rows = np.asarray(rows, dtype=np.int64)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.rows[:, :k].shape, dtype=np.float32), self.rows[:, :k]


def test_recall_leaves_a_query_own_row_out_and_counts_an_equal_vector_as_found() -> None:
    x = clustered(20)
    x[7] = x[3]  # a duplicate: either of the two is a right answer
    exact = faiss.IndexFlatIP(DIM)
    exact.add(x)
    _, order = exact.search(x[[3]], 20)
    # Finding only itself is no hit.
    assert bundle.recall_at_k(Returns([[3] + [-1] * 19]), x, x[[3]], k=1, own_rows=np.array([3])) == 0.0
    # Its duplicate, row 7, is the exact top hit once row 3 is left out.
    assert bundle.recall_at_k(Returns([[3, 7] + [-1] * 18]), x, x[[3]], k=1, own_rows=np.array([3])) == 1.0
    # Returning the exact list with its first two entries swapped for their duplicates still counts as found.
    found = [7 if r == 3 else 3 if r == 7 else int(r) for r in order[0]]
    assert bundle.recall_at_k(Returns([found]), x, x[[3]], k=10) == 1.0
    # A list with the wrong neighbours scores what it got right: the 10 farthest rows share none.
    assert bundle.recall_at_k(Returns([list(order[0][::-1])]), x, x[[3]], k=10) == 0.0


def test_the_manifest_records_the_index_type_and_its_recall(tmp_path: Path) -> None:
    x = clustered()
    gen = write_bundle(tmp_path / "ivf", x, IVF)
    info = json.loads((gen / "manifest.json").read_text())["faiss"]
    assert info["type"] == "ivf-flat" and info["nlist"] == 80 and info["nprobe"] == 3
    assert info["sampled_queries"] == 200 and info["train_sample"] == N
    assert 0.9 <= info["recall_at_10"] < 1.0  # measured, not assumed: 3 of 80 lists miss a few
    gen = write_bundle(tmp_path / "flat", x, Settings())
    manifest = json.loads((gen / "manifest.json").read_text())
    assert manifest["faiss"] == {"type": "flat", "recall_at_10": 1.0, "sampled_queries": 0}
    assert set(manifest["write_seconds"]) == {"store", "bm25", "vectors", "faiss", "recall", "checksums"}
    assert bundle.describe_faiss(manifest) == "flat (exact search), recall@10 1.0"


def test_an_index_written_before_the_type_was_recorded_is_described_from_its_size() -> None:
    old = {"counts": {"passages": 30_000}, "settings": Settings().to_json()}
    assert bundle.describe_faiss(old) == "flat (exact search)"
    old["counts"]["passages"] = 300_000
    assert bundle.describe_faiss(old).startswith("HNSW, recall not measured")


class StubEmbedder:
    """The Engine's embedder, for vectors that come from no model (the index is searched by vector)."""

    dimension = DIM
    query_runtime = "none"


@pytest.mark.parametrize("nprobe", [3, 50])
def test_the_engine_applies_nprobe_from_its_settings_and_maps_the_vectors(tmp_path: Path, nprobe: int) -> None:
    from index.engine import Engine

    x = clustered()
    write_bundle(tmp_path, x, IVF)
    settings = Settings().with_(runtime="torch", nprobe=nprobe)
    engine = Engine(tmp_path, settings, embedder=StubEmbedder())  # type: ignore[arg-type]
    assert isinstance(engine.faiss, faiss.IndexIVF) and engine.faiss.nprobe == nprobe
    # The index's answers are those of the same index searching that many lists.
    built = bundle.build_faiss(x, IVF.with_(nprobe=nprobe))
    assert np.array_equal(engine.faiss.search(x[:50], 10)[1], built.search(x[:50], 10)[1])
    # Nothing large is read whole: vectors, sentence vectors and BM25 postings stay on disk.
    postings = engine.corpus.retriever.postings
    for array in (engine.vectors, engine.sentence_vectors, engine.sentence_rows, postings.rows, postings.weights,
                  postings.ptr):
        assert isinstance(array, np.memmap), type(array)


def test_nprobe_is_a_checked_setting() -> None:
    with pytest.raises(SettingsError, match="nprobe"):
        Settings().with_(nprobe=0)
    with pytest.raises(SettingsError, match="ann_train_sample"):
        Settings().with_(ann_train_sample=10)
