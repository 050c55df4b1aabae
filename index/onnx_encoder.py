"""Question-time encoding on ONNX Runtime, from an export of the very weights torch loaded.

Why a second runtime: a question and the few sentences re-scored for an answer are tiny
batches, where torch spends most of its time dispatching operators. all-MiniLM-L6-v2 encodes a
14-token question in ~12 ms on torch and ~4.4 ms on ONNX Runtime (2 cores), which is most of the
gap to a 50 ms answer. Ingestion's large padded batches stay on torch, which is ~3x faster there.

Nothing is downloaded: the graph is exported locally from the model sentence-transformers has
loaded, cached under a key of the weights' content, written atomically, and checked against
torch on probe texts before it is trusted. Any failure leaves questions on torch.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from index.settings import Environment

# Texts of several lengths, so the check covers padding and the attention mask.
PROBES = (
    "What is the security dilemma?",
    "How do I make a Python script executable on Unix, and why does the #! line need to come first?",
    "Herz",
    "Offensive realists argue that states maximise their relative power because the anarchic "
    "international system gives no guarantee that others will not attack them.",
)
AGREEMENT = 0.9999  # minimum cosine between torch's and the export's vector for every probe
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def cache_dir() -> Path:
    """Where exports are kept: $SOURCEBOOK_CACHE, else $XDG_CACHE_HOME/sourcebook, else ~/.cache/sourcebook."""
    return Environment.read().cache_dir


def weights_key(folder: Path) -> str:
    """Content hash of a model folder's weights, configuration and tokenizer (not of its path or dates)."""
    digest = hashlib.sha256()
    tokenizer = [folder / n for n in ("tokenizer.json", "sentence_bert_config.json") if (folder / n).exists()]
    for path in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("config*.json")) + tokenizer:
        digest.update(path.name.encode())
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


class OnnxEncoder:
    """Mean-pooled, L2-normalised sentence vectors from an exported transformer graph."""

    def __init__(self, session: Any, tokenizer: Any, max_length: int) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.inputs = [i.name for i in session.get_inputs()]
        # A session may run from several threads, but two at once only split the same two cores.
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 8) -> np.ndarray:
        """Vectors in input order; texts are batched by length so little is padding."""
        out = np.zeros((len(texts), 0), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        rows: dict[int, np.ndarray] = {}
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            batch = self.tokenizer([texts[i] for i in chunk], padding=True, truncation=True,
                                   max_length=self.max_length, return_tensors="np")
            feed = {name: batch[name].astype(np.int64) for name in self.inputs}
            with self._lock:
                tokens = self.session.run(None, feed)[0]
            mask = batch["attention_mask"][..., None].astype(np.float32)
            pooled = (tokens * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1.0)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            rows.update(zip(chunk, pooled, strict=True))
        if rows:
            out = np.stack([rows[i] for i in range(len(texts))])
        return np.ascontiguousarray(out, dtype=np.float32)


class FastTokenizer:
    """The model folder's tokenizer.json run by the `tokenizers` library, called as a transformers
    tokenizer is here (padding to the longest text, truncation, numpy arrays): no torch, no
    transformers import. Used only when it gave the very same ids on the probes (see load)."""

    def __init__(self, folder: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer.no_padding()

    def __call__(self, texts: list[str], **_: Any) -> dict[str, np.ndarray]:
        encodings = self._tokenizer.encode_batch(texts)
        width = max((len(e.ids) for e in encodings), default=0)
        out = {name: np.zeros((len(texts), width), dtype=np.int64) for name in INPUTS}
        for row, e in enumerate(encodings):
            n = len(e.ids)
            out["input_ids"][row, :n] = e.ids
            out["attention_mask"][row, :n] = e.attention_mask
            out["token_type_ids"][row, :n] = e.type_ids
        return out


def _max_length(folder: Path) -> int | None:
    """The model's token limit as its folder declares it (sentence_bert_config.json)."""
    try:
        return int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _paths(folder: Path) -> tuple[Path, Path]:
    """The export of a model folder, and the note that says it was verified against torch."""
    path = cache_dir() / "onnx" / f"{folder.name}-{weights_key(folder)}.onnx"
    return path, path.with_suffix(".verified.json")


def cached(folder: Path, threads: int) -> OnnxEncoder | None:
    """The export of the model in `folder`, if one was made and verified before (with its tokenizer),
    loaded without torch; None otherwise (load() makes one)."""
    path, note = _paths(folder)
    max_length = _max_length(folder)
    try:
        if max_length is None or not path.exists() or json.loads(note.read_text()) != _note(path):
            return None
        return OnnxEncoder(_session(path, threads), FastTokenizer(folder, max_length), max_length)
    except Exception:  # a damaged cache entry: made and verified again by load()
        return None


def _note(path: Path) -> dict[str, Any]:
    """What the verified note records: which export, checked with which tokenizer."""
    return {"export": path.name, "size": path.stat().st_size, "tokenizer": "tokenizers", "agreement": AGREEMENT}


def _mean_pooled(st_model: Any) -> bool:
    """The export reproduces Transformer -> mean pooling -> Normalize only."""
    names = [type(m).__name__ for m in st_model]
    if names[:2] != ["Transformer", "Pooling"]:
        return False
    mode = getattr(st_model[1], "pooling_mode", None)  # sentence-transformers 6: "mean", "cls", ...
    if isinstance(mode, str):
        return mode == "mean"
    pooling = st_model[1]  # older releases: one flag per mode
    return bool(getattr(pooling, "pooling_mode_mean_tokens", False)
                and not getattr(pooling, "pooling_mode_cls_token", False)
                and not getattr(pooling, "pooling_mode_max_tokens", False))


def export(st_model: Any, target: Path) -> None:
    """Write the transformer of a sentence-transformers model as ONNX, atomically."""
    import torch

    class Hidden(torch.nn.Module):
        """The transformer's last hidden state: pooling is done in numpy, as torch does it."""

        def __init__(self, inner: Any, names: list[str]) -> None:
            super().__init__()
            self.inner, self.names = inner, names

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(self.names, tensors, strict=True))).last_hidden_state

    inner = st_model[0].auto_model.eval()
    sample = st_model.tokenizer(list(PROBES[:2]), padding=True, return_tensors="pt")
    names = [n for n in INPUTS if n in sample]
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "hidden"]}
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        # The exporter prints tracer warnings about Python control flow in the model, which
        # is fixed for inference; the probe check below is what vouches for the graph.
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), torch.inference_mode(False):
            warnings.simplefilter("ignore")
            torch.onnx.export(Hidden(inner, names), tuple(sample[n] for n in names), str(tmp),
                              input_names=names, output_names=["hidden"], dynamic_axes=axes,
                              opset_version=17, dynamo=False)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _session(path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Pool threads are left to spin between operators (the default): turning that off to spare
    # the other core cost 25 % per question in an A/B run, each operator waking a sleeping thread.
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def load(st_model: Any, folder: Path, reference: Any, threads: int) -> OnnxEncoder:
    """The export of `st_model` (made now if not cached), verified against `reference(texts)`.

    Raises RuntimeError (or the runtime's own error) when it cannot be made or disagrees."""
    if not _mean_pooled(st_model):
        raise RuntimeError("only mean-pooled models are exported")
    path, note = _paths(folder)
    try:
        session = _session(path, threads) if path.exists() else None
    except Exception:  # a damaged cache entry is made again
        session = None
    if session is None:
        export(st_model, path)
        session = _session(path, threads)
    encoder = OnnxEncoder(session, st_model.tokenizer, int(st_model.max_seq_length))
    expected = reference(list(PROBES))
    agreement = float(np.min(np.sum(encoder.encode(list(PROBES)) * expected, axis=1)))
    if agreement < AGREEMENT:
        raise RuntimeError(f"export agrees with torch at cosine {agreement:.5f} < {AGREEMENT}")
    # The torch-free tokenizer is trusted from now on only if it gives the same ids and vectors.
    with contextlib.suppress(Exception):
        fast = FastTokenizer(folder, int(st_model.max_seq_length))
        theirs = st_model.tokenizer(list(PROBES), padding=True, truncation=True,
                                    max_length=int(st_model.max_seq_length), return_tensors="np")
        quick = OnnxEncoder(session, fast, int(st_model.max_seq_length))
        if (np.array_equal(fast(list(PROBES))["input_ids"], theirs["input_ids"])
                and float(np.min(np.sum(quick.encode(list(PROBES)) * expected, axis=1))) >= AGREEMENT):
            tmp = note.with_name(f".{note.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(_note(path)))
            os.replace(tmp, note)
            encoder = quick
    return encoder
