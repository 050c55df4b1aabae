"""Glossary extraction on an existing index: time, size, coverage of a list of expected terms.

usage: python bench/glossary.py INDEX_DIR CORPUS_DIR [TERMS_JSON] [--sample N]

Re-runs the extraction on the index's own passages and vectors (no embedding), so the
time is the glossary's alone. With TERMS_JSON (e.g. the pydocs benchmark's
glossary-terms.json) it prints how many of those terms are found as a term or alias,
and with --sample N it prints N random extracted terms to read for junk.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from index.bundle import current_generation, load_embeddings
from index.glossary import Glossary
from index.store import Store
from ingest.glossary import build_glossary


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("index")
    ap.add_argument("corpus")
    ap.add_argument("terms", nargs="?")
    ap.add_argument("--sample", type=int, default=0)
    args = ap.parse_args()
    gen = current_generation(Path(args.index))
    assert gen is not None, "no index"
    store = Store(gen / "store.sqlite")
    passages = list(store.all_passages())
    vectors = load_embeddings(gen, mmap=False)
    documents = store.documents()
    t = time.perf_counter()
    entries = build_glossary(passages, documents, [Path(args.corpus)], vectors)
    seconds = time.perf_counter() - t
    kinds: dict[str, int] = {}
    for e in entries:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    print(f"{len(passages)} passages -> {len(entries)} entries {kinds} in {seconds:.1f}s")
    if args.terms:
        wanted = json.loads(Path(args.terms).read_text())
        glossary = Glossary(entries)
        found = [t for t in wanted if glossary.lookup(t) is not None]
        missed = [t for t in wanted if t not in found]
        print(f"expected terms found: {len(found)}/{len(wanted)}; missed: {missed}")
    if args.sample:
        random.seed(0)
        for e in random.sample(entries, min(args.sample, len(entries))):
            print(f"  {e.term!r} ({e.kind}): {e.definition[:100]}")


if __name__ == "__main__":
    main()
