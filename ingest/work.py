"""The two steps of an ingestion worth spreading over machines, behind one small protocol.

The pipeline reads files and embeds passages through a `Work`: `LocalWork` does both on this
machine (the sandbox's worker processes, the local model); `ingest.cluster.RayWork` does them on a
Ray cluster. Both keep the same contracts, so the bundle written is the same either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from index.embedder import get_embedder
from index.settings import ReadSettings
from ingest.sandbox import Outcome, read_all


class Work(Protocol):
    """Where files are read and passages embedded."""

    def read_all(
        self, files: Sequence[tuple[Path, str]], max_file_bytes: int, read: ReadSettings
    ) -> Iterator[Outcome]:
        """One Outcome per (path, document id), in the order given (as ingest.sandbox.read_all)."""
        ...

    def encode_passages(
        self, texts: list[str], spans: list[list[tuple[int, int]]], batch_size: int = 64, progress: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors and per-sentence vectors, in the order given (as Embedder.encode_passages)."""
        ...


class LocalWork:
    """Reading in this machine's sandbox, embedding with this process's model: what `ingest` does by default."""

    def __init__(self, model: str) -> None:
        self.model = model

    def read_all(
        self, files: Sequence[tuple[Path, str]], max_file_bytes: int, read: ReadSettings
    ) -> Iterator[Outcome]:
        return read_all(files, max_file_bytes, read)

    def encode_passages(
        self, texts: list[str], spans: list[list[tuple[int, int]]], batch_size: int = 64, progress: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        return get_embedder(self.model).encode_passages(texts, spans, batch_size=batch_size, progress=progress)
