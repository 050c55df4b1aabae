"""A million passages on one machine: build a 1M-passage bundle through `index.bundle.write`, then time it.

usage: python bench/million.py OUTDIR [--passages N] [--source INDEX_OR_CORPUS] [--questions QUESTIONS_JSONL]
                               [--repeat R] [--flat-index-limit N]

The source is a built index of the Python-docs benchmark (README, "Speed": `python3 ../shared/bench/pydocs.py
/tmp/pydocs`, then `sourcebook ingest /tmp/pydocs/corpus --index /tmp/pyidx`), or the corpus folder itself,
which is then ingested first into OUTDIR/source with the real model.

How the passages are made. Rows 0..m-1 are the source's m real body passages (~33k), with their real
vectors, sentence vectors, documents, headings and glossary. Every other row is a synthetic passage made
of two real ones A and B, drawn at random without repeating a pair in either order (A != B, among passages
whose vectors are distinct): A's first half of sentences followed by B's second half. Its vector is the
normalised mean of A's and B's real vectors weighted by the characters taken from each (the model never
sees the mixed text); its sentence vectors are the real in-context vectors of the sentences it took. No
two synthetic vectors are equal (checked), so recall is well defined. Synthetic passages are grouped a
thousand to a document whose text is theirs joined, so every offset is a real one.

The bundle is written by the real write path: store.sqlite with its FTS5 index, the BM25 postings,
embeddings, the FAISS index (IVF above flat_index_limit) with its recall measured, sentence vectors,
checksums. Then a fresh process loads it as an Engine and reports: the load time and RSS (anonymous and
file-backed, that is memory-mapped pages), raw FAISS search k=10 on 1 and 2 threads, the Retriever's
hybrid rank (dense + BM25 + fusion), Engine.search and Engine.ask on the real questions, exact flat
search for comparison, and recall@10 of the index against exact search on the questions' real vectors,
for several nprobe. Latencies are p50/p95 in ms over R passes after one warm-up pass. Results are
printed and written to OUTDIR/million.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/million.py` from a clone: this clone's packages
    sys.path.insert(0, str(ROOT))

from index import bundle  # noqa: E402
from index.evaluate import median_p95  # noqa: E402
from index.models import Document, Passage, Provenance, Sentence  # noqa: E402
from index.settings import Settings  # noqa: E402
from index.store import BundleData, Store  # noqa: E402

PER_DOCUMENT = 1000  # synthetic passages a synthetic document holds


def _status() -> dict[str, float]:
    """This process's memory in MB from /proc: VmRSS, RssAnon, RssFile (mapped files), VmHWM (peak)."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            found[name] = round(int(value.split()[0]) / 1024, 1)
    return found


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _timed(call: Callable[[int], object], n: int, repeat: int) -> dict[str, float]:
    """p50/p95 ms of call(i) for i in range(n), over `repeat` passes after one warm-up pass."""
    for i in range(n):
        call(i)
    ms = []
    for _ in range(repeat):
        for i in range(n):
            start = time.perf_counter()
            call(i)
            ms.append((time.perf_counter() - start) * 1000)
    p50, p95 = median_p95(ms)
    return {"p50": round(p50, 2), "p95": round(p95, 2)}


# --- build ------------------------------------------------------------------------------------------


def source_index(source: Path, outdir: Path) -> Path:
    """An index of the source: itself when it is one, else the corpus ingested with the real model."""
    if (source / "CURRENT").exists():
        return source
    from ingest.pipeline import ingest

    target = outdir / "source"
    print(f"{source} is not an index: ingesting it into {target} with the real model", flush=True)
    report = ingest([source], target)
    if report.errors:
        print(f"warning: {len(report.errors)} files failed", file=sys.stderr)
    return target


def synthesise(gen: Path, n_total: int, seed: int = 0) -> tuple[BundleData, dict[str, Any]]:
    """The source bundle's data plus synthetic passages up to n_total rows (see the module docstring)."""
    manifest = json.loads((gen / "manifest.json").read_text())
    settings = Settings.from_json(manifest.get("settings", {}))
    store = Store(gen / "store.sqlite")
    dim = int(manifest["dimension"])
    real = list(store.all_passages("body"))
    vectors = bundle.load_embeddings(gen, mmap=False)
    sent_vectors, sent_rows = bundle.load_sentence_vectors(gen)
    sent_vectors, sent_rows = np.asarray(sent_vectors), np.asarray(sent_rows)
    m = len(real)
    counts = np.diff(sent_rows)
    # Sources: passages with a sentence and sentence vectors to match, and a vector no other source has.
    _, first = np.unique(vectors, axis=0, return_index=True)
    fits = np.array([len(p.sentences) > 0 and counts[i] == len(p.sentences) for i, p in enumerate(real)])
    sources = np.array(sorted(i for i in first if fits[i]), dtype=np.int64)
    n_syn = max(0, n_total - m)
    rng = np.random.default_rng(seed)
    n_src = len(sources)
    # Unordered pairs, each drawn once, then put in a random order: (A, B) and (B, A) of two one-sentence
    # passages would be different texts with one vector.
    codes = rng.choice(n_src * n_src, size=min(n_src * n_src, int(n_syn * 2.02) + 16), replace=False)
    codes = codes[codes // n_src < codes % n_src][:n_syn]
    if len(codes) < n_syn:
        raise SystemExit(f"only {len(codes)} distinct pairs of {n_src} source passages")
    low, high = codes // n_src, codes % n_src
    swap = rng.random(n_syn) < 0.5
    pa, pb = sources[np.where(swap, high, low)], sources[np.where(swap, low, high)]

    ka, kb = (counts[pa] + 1) // 2, counts[pb] // 2  # A's first half of sentences, B's second half
    passages: list[Passage] = list(real)
    documents = store.documents()
    weights = np.empty((n_syn, 2), dtype=np.float32)
    doc_texts: list[str] = []
    offset = 0
    for j, (a, b) in enumerate(zip(pa.tolist(), pb.tolist(), strict=True)):
        if j % PER_DOCUMENT == 0:
            if doc_texts:
                documents.append(_document(len(documents), "\n\n".join(doc_texts)))
            doc_texts, offset = [], 0
        first, second = real[a], real[b]
        cut_a, cut_b = int(ka[j]), int(kb[j])
        head = first.text[: first.sentences[cut_a - 1].end]
        tail = second.text[second.sentences[cut_b].start : second.sentences[-1].end]
        text = f"{head} {tail}"
        shift = len(head) + 1 - second.sentences[cut_b].start
        sentences = tuple(Sentence(s.start, s.end, s.refs) for s in first.sentences[:cut_a]) + tuple(
            Sentence(s.start + shift, s.end + shift, s.refs) for s in second.sentences[cut_b:])
        doc = f"synthetic/{len(documents):05d}.txt"
        passages.append(Passage(id=f"{doc}#{j % PER_DOCUMENT}",
                                at=Provenance(doc, f"Synthetic {len(documents)}", None, offset, offset + len(text)),
                                text=text, sentences=sentences, section=first.section,
                                section_path=first.section_path))
        doc_texts.append(text)
        offset += len(text) + 2
        weights[j] = (len(head), len(tail))
    if doc_texts:
        documents.append(_document(len(documents), "\n\n".join(doc_texts)))
    embeddings = np.empty((m + n_syn, dim), dtype=np.float32)
    embeddings[:m] = vectors
    for start in range(0, n_syn, 100_000):  # in chunks: no 1M x 384 temporaries
        w, end = weights[start : start + 100_000], m + start + min(100_000, n_syn - start)
        mixed = w[:, :1] * vectors[pa[start : start + 100_000]] + w[:, 1:] * vectors[pb[start : start + 100_000]]
        embeddings[m + start : end] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    duplicates = n_syn - len(np.unique(embeddings[m:].view(np.dtype((np.void, 4 * dim))).ravel()))
    if duplicates:
        raise SystemExit(f"{duplicates} synthetic vectors repeat another; recall would be ill-defined")
    # Sentence vectors: the real ones, then for each synthetic row A's first ka and B's last ones.
    starts = np.empty(2 * n_syn, dtype=np.int64)
    lengths = np.empty(2 * n_syn, dtype=np.int64)
    starts[0::2], lengths[0::2] = sent_rows[pa], ka
    starts[1::2], lengths[1::2] = sent_rows[pb] + kb, counts[pb] - kb
    taken = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
    sentence_vectors = np.concatenate([sent_vectors, sent_vectors[taken]])
    per_row = np.concatenate([counts, lengths[0::2] + lengths[1::2]])
    sentence_rows = np.concatenate([[0], np.cumsum(per_row)]).astype(np.int64)
    body_keys = store.embed_keys()
    noise = [p for p in store.all_passages(None) if p.kind != "body"]
    headings, heading_vectors = store.headings(dim)
    data = BundleData(
        settings=settings, model=manifest["model"], dimension=dim, documents=documents,
        passages=passages + noise, embeddings=embeddings,
        embed_keys=body_keys + [f"synthetic:{a}:{b}" for a, b in zip(pa.tolist(), pb.tolist(), strict=True)],
        sentence_vectors=sentence_vectors, sentence_rows=sentence_rows, references=store.references(),
        reference_vectors=store.reference_vectors(dim), headings=headings, heading_vectors=heading_vectors,
        glossary=store.glossary(),
    )
    how = {"source": str(gen), "real_passages": m, "synthetic_passages": n_syn, "distinct_sources": n_src,
           "method": "A's first half of sentences + B's second half, for random distinct pairs (A, B) of real "
                     "passages; vector = normalised mean of A's and B's real vectors weighted by characters "
                     "taken; sentence vectors = the real in-context vectors of the sentences taken"}
    return data, how


def _document(number: int, text: str) -> Document:
    doc = f"synthetic/{number:05d}.txt"
    return Document(id=doc, path=doc, title=f"Synthetic {number}",
                    sha256=hashlib.sha256(text.encode()).hexdigest(), text=text)


def build(args: argparse.Namespace) -> dict[str, Any]:
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    index_dir = outdir / "index"
    gen = bundle.current_generation(source_index(Path(args.source), outdir))
    assert gen is not None
    start = time.perf_counter()
    data, how = synthesise(gen, args.passages)
    if args.flat_index_limit is not None:
        data = dataclasses.replace(data, settings=data.settings.with_(flat_index_limit=args.flat_index_limit))
    data.extra["synthetic"] = how
    synth_s = time.perf_counter() - start
    before = _status()
    print(f"synthesised {len(data.embeddings):,} passages in {synth_s:.1f}s ({how['real_passages']:,} real); "
          f"RSS {before['VmRSS']:,.0f} MB", flush=True)
    start = time.perf_counter()
    with bundle.lock(index_dir):
        written = bundle.write(index_dir, data)
    write_s = time.perf_counter() - start
    manifest = json.loads((written / "manifest.json").read_text())
    sizes = {f.name: f.stat().st_size for f in sorted(written.iterdir())}
    return {"passages": len(data.embeddings), "synthetic": how, "synthesis_seconds": round(synth_s, 1),
            "write_seconds": round(write_s, 1), "write_stages": manifest["write_seconds"],
            "faiss": manifest["faiss"], "rss_before_write_mb": before["VmRSS"], "peak_rss_mb": _peak_mb(),
            "disk_bytes": sum(sizes.values()), "files": sizes}


# --- measure ----------------------------------------------------------------------------------------


def measure(index_dir: Path, questions_file: Path, repeat: int) -> dict[str, Any]:
    """Load the bundle as an Engine in this (fresh) process and time its searches."""
    import faiss

    from index.engine import Engine
    from index.query.retrieve import faiss_on_one_thread, search

    questions = [json.loads(line)["question"] for line in questions_file.read_text().splitlines() if line.strip()]
    start = time.perf_counter()
    engine = Engine(index_dir)
    load_s = time.perf_counter() - start
    loaded = _status()
    qvecs = np.stack([engine.embed_query(q) for q in questions]).astype(np.float32)
    index, retriever, n = engine.faiss, engine.corpus.retriever, len(questions)
    k = 10
    out: dict[str, Any] = {"questions": n, "load_seconds": round(load_s, 1), "rss_loaded_mb": loaded,
                           "faiss": engine.manifest.get("faiss")}

    def raw(i: int) -> None:
        index.search(qvecs[i : i + 1], k)

    for threads in (1, 2):
        faiss.omp_set_num_threads(threads)
        out[f"raw_faiss_{threads}_thread"] = _timed(raw, n, repeat)
    faiss.omp_set_num_threads(1)
    with faiss_on_one_thread():
        out["bm25_keyword"] = _timed(lambda i: retriever.keyword(questions[i], engine.settings.query.candidates),
                                     n, repeat)
        out["hybrid_rank"] = _timed(lambda i: retriever.rank(questions[i], qvecs[i], k), n, repeat)
    out["hybrid_search_with_rerank"] = _timed(lambda i: search(engine.corpus, questions[i], qvecs[i], k), n, repeat)
    out["engine_search_with_encoding"] = _timed(lambda i: engine.search(questions[i], k), n, repeat)
    out["engine_ask"] = _timed(lambda i: engine.ask(questions[i]), n, 1)
    out["rss_after_searches_mb"] = _status()
    # Exact search over every vector, for comparison (one thread, as the Engine searches).
    out["exact_flat_1_thread"] = _timed(
        lambda i: faiss.knn(qvecs[i : i + 1], engine.vectors, k, metric=faiss.METRIC_INNER_PRODUCT), n, 1)
    if isinstance(index, faiss.IndexIVF):
        chosen, sweep = index.nprobe, {}
        for nprobe in (16, 32, 64, 128, 256):
            index.nprobe = nprobe
            sweep[nprobe] = {"recall_at_10": round(bundle.recall_at_k(index, engine.vectors, qvecs, k), 4),
                             **_timed(raw, n, repeat)}
        index.nprobe = chosen
        out["nprobe_sweep_1_thread"] = sweep
    out["recall_at_10_questions"] = round(bundle.recall_at_k(index, engine.vectors, qvecs, k), 4)
    out["rss_end_mb"] = _status()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("outdir", help="folder for the bundle (OUTDIR/index) and million.json")
    ap.add_argument("--passages", type=int, default=1_000_000)
    ap.add_argument("--source", default="/tmp/pyidx", help="a Python-docs index, or its corpus folder "
                    "(ingested first with the real model) (default: %(default)s)")
    ap.add_argument("--questions", default="/tmp/pydocs/queries.jsonl", help="(default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=3, help="timed passes over the questions (default: %(default)s)")
    ap.add_argument("--flat-index-limit", type=int, default=None,
                    help="build setting flat_index_limit for the bundle (default: the source's)")
    ap.add_argument("--measure-only", action="store_true", help="time OUTDIR/index, built before")
    args = ap.parse_args()
    outdir = Path(args.outdir)
    if args.measure_only:
        print(json.dumps(measure(outdir / "index", Path(args.questions), args.repeat)))
        return
    built = build(args)
    print(json.dumps(built, indent=1), flush=True)
    # Measured in a fresh process: its RSS is the loaded Engine's, not the build's leftovers.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    run = subprocess.run([sys.executable, __file__, str(outdir), "--measure-only", "--questions", args.questions,
                          "--repeat", str(args.repeat)], env=env, check=True, capture_output=True, text=True)
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    print(json.dumps(measured, indent=1))
    (outdir / "million.json").write_text(json.dumps({"build": built, "measure": measured}, indent=1))


if __name__ == "__main__":
    main()
