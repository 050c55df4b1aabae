"""Ingestion on a Ray cluster (`ingest --ray`) writes the bundle a local ingestion writes.

The slow test starts a real local cluster of two one-core worker nodes (the head runs no work) and
ingests the demo corpus with a small PDF and a broken one, on this machine and on the cluster.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.bundle import current_generation, load_embeddings, load_sentence_vectors
from index.engine import Engine
from index.settings import ClusterSettings, Settings
from index.store import Store
from ingest.pipeline import IngestReport, ingest
from ui.cli import main

from .conftest import CORPUS
from .pdfs import EXPLODE, text_pdf


def test_ray_without_the_extra_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError, as without the extra
    monkeypatch.setitem(sys.modules, "ray.data", None)
    assert main(["ingest", str(CORPUS), "--index", str(tmp_path / "idx"), "--ray"]) == 2
    out = capsys.readouterr()
    assert out.err == "error: --ray needs the optional extra: pip install -e '.[ray]'\n" and not out.out
    assert not (tmp_path / "idx").exists()


def test_a_folder_after_a_bare_ray_is_not_taken_for_an_address(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--ray", str(CORPUS), "--index", str(tmp_path / "idx")]) == 2
    assert "not a Ray address" in capsys.readouterr().err


def test_an_address_where_nothing_listens_is_one_line_at_once(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Ray itself retries such an address for minutes, printing warnings."""
    pytest.importorskip("ray")
    assert main(["ingest", str(CORPUS), "--index", str(tmp_path / "idx"), "--ray", "127.0.0.1:1"]) == 2
    assert capsys.readouterr().err.startswith("error: cannot reach a Ray cluster at 127.0.0.1:1: ")


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local Ray cluster: a head that runs nothing, and two worker nodes of one core each."""
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    try:
        for _ in range(2):
            nodes.add_node(num_cpus=1)
        nodes.wait_for_nodes()
        yield nodes.address
    finally:
        ray.shutdown()
        nodes.shutdown()


def _bundle(index_dir: Path) -> tuple[Store, Path]:
    gen = current_generation(index_dir)
    assert gen is not None
    return Store(gen / "store.sqlite"), gen


@pytest.mark.slow  # a Ray cluster of three nodes, and the model loaded in two actors
def test_a_ray_ingestion_writes_the_bundle_a_local_one_writes(tmp_path: Path, cluster: str) -> None:
    from ingest.cluster import RayWork

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "ice.pdf").write_bytes(text_pdf("Glaciers are slow rivers of ice. They carve valleys over millennia.",
                                              "Sea ice forms when ocean water freezes. It reflects sunlight.", EXPLODE))
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is no PDF")
    here = ingest([corpus], tmp_path / "local")
    # A task per file and four passages a batch: files and batches come back out of order, to be put right.
    with RayWork(cluster, Settings(), ClusterSettings(files_per_task=1, cpu_batch=4)) as work:
        there = ingest([corpus], tmp_path / "ray", work=work)
        assert work.actors == 2  # one per worker core; none on the head

    def counts(r: IngestReport) -> tuple[object, ...]:
        return r.documents, r.passages, r.noise, r.references, r.glossary, r.embedded, r.errors, r.warnings

    assert counts(there) == counts(here) and there.errors and there.warnings and here.embedded > 4
    (local, local_gen), (remote, remote_gen) = _bundle(tmp_path / "local"), _bundle(tmp_path / "ray")
    assert [(p.id, p.text, p.kind) for p in remote.all_passages(None)] == \
           [(p.id, p.text, p.kind) for p in local.all_passages(None)]
    assert remote.embed_keys() == local.embed_keys()
    assert np.allclose(load_embeddings(remote_gen), load_embeddings(local_gen), atol=1e-5)
    (ours, our_rows), (theirs, their_rows) = load_sentence_vectors(remote_gen), load_sentence_vectors(local_gen)
    assert np.array_equal(our_rows, their_rows) and np.allclose(ours, theirs, atol=1e-3)  # stored as float16
    assert len(remote.references()) == len(local.references()) and len(remote.glossary()) == len(local.glossary())
    question = "Who coined the term security dilemma?"
    a, b = Engine(tmp_path / "ray").ask(question), Engine(tmp_path / "local").ask(question)
    assert not a.abstained and a.text == b.text
    assert [c.passage.id for c in a.citations] == [c.passage.id for c in b.citations]
