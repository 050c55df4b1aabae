"""Ingestion on a Ray cluster: files read and passages embedded by its workers, the index written here.

`RayWork` keeps the contracts of ingest.work.Work, so `ingest(..., work=RayWork(...))` writes the same
bundle as a local ingestion. Files are read with Ray Data, a task per few files, each task reading them
in its node's sandbox (ingest/sandbox.py), so every file keeps its memory and time limits. Passages are
embedded by actors that each load the model once and keep it for the whole ingestion (a Ray Data actor
pool lives for one dataset, and the pipeline embeds chunk by chunk: loading the model took 12 s of each
26 s chunk). Every node needs Sourcebook installed with the extra and the corpus at the path the driver
names (a shared filesystem, or the same copy). Ray is imported only here, when a RayWork is made.
Between the driver and its workers Ray's own transport serialises the outcomes and vectors (it pickles:
a cluster is machines one trusts); what is written to the index is the same data files as ever.
"""

from __future__ import annotations

import logging
import math
import os
import socket
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from index.embedder import Embedder
from index.errors import SourcebookError
from index.settings import ClusterSettings, ReadSettings, Settings
from ingest.memory import bound_allocator, release_freed_memory
from ingest.sandbox import Outcome, read_all

MISSING = "--ray needs the optional extra: pip install -e '.[ray]'"


class ClusterError(SourcebookError):
    """Ray is not installed, the cluster cannot be reached, or a worker of it failed."""


def _ray() -> ModuleType:
    """The ray module, with its usage statistics off (nothing may reach the network); ClusterError without it."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray.data  # Ray Data is the extra's other half: a bare `pip install ray` lacks it
    except ImportError as exc:
        raise ClusterError(MISSING) from exc
    return ray


def _line(exc: BaseException) -> str:
    """A Ray failure in one line: its message's first line says what happened (a worker died, no cluster)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _failure(exc: BaseException) -> ClusterError:
    return ClusterError(f"the Ray cluster failed: {_line(exc)}")


def _check_reachable(address: str) -> None:
    """One line in a second when nothing listens at a HOST:PORT address: Ray itself retries for minutes,
    printing warnings. ("auto" and "local" Ray looks up on this machine, and fails fast itself.)"""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=5):
            pass
    except OSError as exc:
        raise ClusterError(f"cannot reach a Ray cluster at {address}: {exc.strerror or exc}") from exc


def _read_batch(batch: dict[str, np.ndarray], max_file_bytes: int, read: ReadSettings) -> dict[str, np.ndarray]:
    """A Ray task: read its files in this node's sandbox, one at a time (Ray runs a task per core).
    The Outcomes go back as objects in a column (Ray serialises them), so the driver gets the very
    objects a local read makes."""
    files = [(Path(str(p)), str(d)) for p, d in zip(batch["path"], batch["doc_id"], strict=True)]
    outcomes = np.empty(len(files), dtype=object)
    outcomes[:] = list(read_all(files, max_file_bytes, replace(read, workers=1)))
    return {"i": batch["i"], "outcome": outcomes}


class Encoder:
    """A Ray actor holding the model: loaded once, then used for every batch sent to it."""

    def __init__(self, model: str, device: str, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)  # the cores this actor stands for; Ray does not set it for num_cpus=0
        bound_allocator()  # as a local ingestion does: the actor's memory stays flat batch after batch
        self.embedder = Embedder(model, device)
        self.embedder.encode(["load the model now, not with the first batch"])

    def encode(
        self, texts: list[str], spans: list[list[tuple[int, int]]], batch_size: int
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        try:
            return self.embedder.encode_passages(texts, spans, batch_size=batch_size)
        finally:
            release_freed_memory()


class RayWork:
    """Reading and embedding on a Ray cluster: `address` None starts (or joins, with $RAY_ADDRESS) a Ray
    on this machine; "auto" or "ray://host:10001" attaches to a running cluster. Use it in a `with`."""

    def __init__(self, address: str | None, settings: Settings, cluster: ClusterSettings | None = None) -> None:
        self.ray = _ray()
        self.model = settings.build.model
        self.settings = cluster or ClusterSettings()
        self._owned = not self.ray.is_initialized()  # a Ray this object started or joined is shut down by it
        if self._owned:
            # A Ray started here keeps Ray's default, token authentication, without its warning that it
            # is on. (Setting RAY_AUTH_MODE instead would come too late: ray has read it on import.)
            logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
            if address:
                _check_reachable(address)
            try:
                self.ray.init(address=address, include_dashboard=False, log_to_driver=False,
                              logging_level=logging.WARNING)
            except Exception as exc:  # no cluster at the address, another Ray version, no room for a local one
                where = f"reach a Ray cluster at {address}" if address else "start Ray on this machine"
                raise ClusterError(f"cannot {where}: {_line(exc)}") from exc
        # The command's stderr is one line per bad file: Ray Data's progress bars and plans stay out of it
        # (and so does its warning that the bars are off).
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        context = self.ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        self._encoders: Any = None  # a ray.util.ActorPool, started on the first passages
        self._gpu = False
        self.actors = 0  # embedding actors started (for reports: per-worker throughput)

    def __enter__(self) -> RayWork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Let the actors go, and shut down the Ray this object started."""
        self._encoders = None
        if self._owned and self.ray.is_initialized():
            self.ray.shutdown()

    def read_all(
        self, files: Sequence[tuple[Path, str]], max_file_bytes: int, read: ReadSettings
    ) -> Iterator[Outcome]:
        """As ingest.sandbox.read_all: each file's outcome in the order given, as the tasks finish."""
        if not files:
            return
        per_task = self.settings.files_per_task
        items = [{"i": i, "path": str(path), "doc_id": doc_id} for i, (path, doc_id) in enumerate(files)]
        try:
            # One block per task, so the files spread over every core of the cluster.
            ds = self.ray.data.from_items(items, override_num_blocks=math.ceil(len(items) / per_task))
            ds = ds.map_batches(_read_batch, batch_size=per_task, num_cpus=1,
                                fn_kwargs={"max_file_bytes": max_file_bytes, "read": read})
            waiting: dict[int, Outcome] = {}
            done = 0
            for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
                for i, outcome in zip(batch["i"], batch["outcome"], strict=True):
                    waiting[int(i)] = outcome
                while done in waiting:  # in the order given, whatever order the tasks finish in
                    yield waiting.pop(done)
                    done += 1
        except self.ray.exceptions.RayError as exc:
            raise _failure(exc) from exc
        if done != len(files):
            raise ClusterError(f"the Ray cluster read {done} of {len(files)} files")

    def encode_passages(
        self, texts: list[str], spans: list[list[tuple[int, int]]], batch_size: int = 64, progress: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """As Embedder.encode_passages, batch by batch on the actors, results in the order given.
        `progress` is ignored: the pipeline's own progress messages count the chunks."""
        pool = self._pool()
        size = self.settings.gpu_batch if self._gpu else self.settings.cpu_batch
        # A GPU encodes a whole batch at once; a CPU actor in the pipeline's model batches.
        model_batch = size if self._gpu else min(batch_size, size)
        parts = [(texts[at:at + size], spans[at:at + size]) for at in range(0, len(texts), size)]
        try:
            results = list(pool.map(lambda actor, part: actor.encode.remote(*part, model_batch), parts))
        except self.ray.exceptions.RayError as exc:
            raise _failure(exc) from exc
        if not results:
            return np.zeros((0, Embedder(self.model).dimension), dtype=np.float32), []
        vectors = np.concatenate([v for v, _ in results])
        return vectors, [s for _, sentences in results for s in sentences]

    def _pool(self) -> Any:
        """The embedding actors, started once: one per GPU when the cluster has GPUs, else one per
        `cpus_per_actor` cores of each node, pinned to it."""
        if self._encoders is not None:
            return self._encoders
        from ray.util import ActorPool
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        remote = self.ray.remote(Encoder)
        try:
            gpus = int(self.ray.cluster_resources().get("GPU", 0))
            if gpus:
                self._gpu = True
                actors = [remote.options(num_gpus=1).remote(self.model, "cuda", 1) for _ in range(gpus)]
            else:
                # The actors claim no CPU from Ray's accounting: they idle while files are read, and
                # reading tasks that waited for cores they held would never run.
                per = self.settings.cpus_per_actor
                actors = [
                    remote.options(num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"],
                                                                                                 soft=False))
                    .remote(self.model, "cpu", per)
                    for node in self.ray.nodes() if node.get("Alive")
                    for _ in range(int(node.get("Resources", {}).get("CPU", 0)) // per)
                ]
        except self.ray.exceptions.RayError as exc:
            raise _failure(exc) from exc
        if not actors:
            raise ClusterError(f"the Ray cluster has no node with {self.settings.cpus_per_actor} CPU(s) or a GPU "
                               "to embed on")
        self.actors = len(actors)
        self._encoders = ActorPool(actors)
        return self._encoders

