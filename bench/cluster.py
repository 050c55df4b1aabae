"""Ingestion on this machine against ingestion on a local Ray cluster of one-core worker nodes.

usage: python bench/cluster.py CORPUS_DIR [--workers 2]

Each ingestion goes to a fresh index folder (every passage embedded). "local" and "ray-cold" pay for
loading the model, as a command does (in this process, or in each Ray actor); "ray-warm" ingests again
with the actors loaded, for the workers' steady pace. Prints wall time,
embedding time, passages/s and passages/s per worker (per core locally, per actor on Ray), and the
largest difference between the two ways' passage vectors. Run it twice and take the medians.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from index.bundle import current_generation, load_embeddings
from index.settings import Settings
from ingest.pipeline import IngestReport, ingest
from ingest.work import Work


def _run(name: str, corpus: Path, out: Path, workers: int, work: Work | None = None) -> Path:
    index_dir = out / name
    started = time.perf_counter()
    report: IngestReport = ingest([corpus], index_dir, Settings(), work=work)
    wall = time.perf_counter() - started
    rate = report.embedded / report.embed_seconds
    print(f"{name:10} wall {wall:6.1f} s  embedding {report.embed_seconds:6.1f} s  {report.embedded} passages  "
          f"{report.embedded / wall:5.1f} passages/s overall  {rate:5.1f} passages/s embedding  "
          f"{rate / workers:5.1f} per worker", flush=True)
    return index_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--workers", type=int, default=2, help="one-core worker nodes (default: %(default)s)")
    args = parser.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    out = Path(tempfile.mkdtemp(prefix="sourcebook-cluster-"))
    cores = len(os.sched_getaffinity(0))
    local = _run("local", args.corpus, out, cores)

    from ray.cluster_utils import Cluster

    from ingest.cluster import RayWork

    started = time.perf_counter()
    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    for _ in range(args.workers):
        nodes.add_node(num_cpus=1)
    nodes.wait_for_nodes()
    print(f"a head and {args.workers} one-core worker nodes started in {time.perf_counter() - started:.1f} s")
    try:
        with RayWork(nodes.address, Settings()) as work:
            ray = [_run(f"ray-{kind}", args.corpus, out, args.workers, work) for kind in ("cold", "warm")]
    finally:
        nodes.shutdown()
    vectors = [load_embeddings(current_generation(d) or d) for d in (local, ray[-1])]
    print(f"largest difference between the passage vectors: {np.abs(vectors[0] - vectors[1]).max():.2e}")


if __name__ == "__main__":
    main()
