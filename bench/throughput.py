"""Ingestion throughput against the model's own encode rate on the same passages.

usage: python bench/throughput.py CORPUS_DIR [INDEX_DIR]

Prints passages/s for a full `ingest` (read, cut, embed, write) and for a bare
model.encode over exactly the passages that ingestion embedded, and their ratio.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from index.bundle import current_generation
from index.embedder import get_embedder
from index.settings import Settings
from index.store import Store
from ingest.pipeline import embed_text, ingest


def main() -> None:
    corpus = Path(sys.argv[1])
    index_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp()) / "idx"
    settings = Settings()
    embedder = get_embedder(settings.build.model)
    embedder.encode(["warm up"])
    t = time.perf_counter()
    report = ingest([corpus], index_dir, settings, force=True)
    ingest_s = time.perf_counter() - t
    gen = current_generation(index_dir)
    assert gen is not None
    texts = [embed_text(p, settings) for p in Store(gen / "store.sqlite").all_passages()]
    t = time.perf_counter()
    embedder.encode(texts, batch_size=settings.build.batch_size)
    encode_s = time.perf_counter() - t
    n = len(texts)
    print(f"documents {report.documents}, passages {n}, embedded {report.embedded}")
    print(f"ingest: {ingest_s:.1f}s = {n / ingest_s:.1f} passages/s")
    print(f"model.encode alone: {encode_s:.1f}s = {n / encode_s:.1f} passages/s")
    print(f"ingest throughput / encode rate = {encode_s / ingest_s:.3f}")


if __name__ == "__main__":
    main()
