"""Read files in worker processes under a memory and a time limit, so no file can exhaust the machine.

Each file is read (and a library export parsed) in a process of a small pebble pool forked from
a fresh forkserver that has imported this module, so a worker shares neither the caller's memory
nor its model. Its address space may grow by settings.read.memory_mb (setrlimit) and each file
has a wall-time limit. A file that passes either limit, or crashes its worker, becomes one
error line naming the limit; the pool replaces the worker and the other files are read. The
caller (the command line or the web server) only ever holds the text that comes back, so its
own memory does not grow with a hostile upload.
"""

from __future__ import annotations

import atexit
import multiprocessing
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.models import Reference
from index.settings import ReadSettings
from ingest.readers import BIB_SUFFIXES, CSL_SUFFIXES, InputError, RawText, read_any

# A worker is replaced after this many files, so memory fragmented by one large file is given back.
_TASKS_PER_WORKER = 50


@dataclass(frozen=True)
class Reading:
    """What reading one file gave: its text, and for a library export its entries and problems."""

    raw: RawText
    references: tuple[Reference, ...] = ()
    problems: tuple[str, ...] = ()  # entries of a library export left out, one line each
    library: bool = False  # a .bib or CSL-JSON export: its entries are the point, not its text


@dataclass(frozen=True)
class Outcome:
    """A file's Reading, or the reason it could not be read."""

    path: Path
    reading: Reading | None = None
    error: str | None = None


def read_file(path: Path, doc_id: str, max_file_bytes: int, limits: ReadSettings) -> Reading:
    """Read one file (in a worker; also callable directly): its text, or a library export's entries."""
    raw = read_any(path, max_file_bytes, limits.max_page_content_bytes, limits.max_pdf_content_bytes)
    suffix = path.suffix.lower()
    if suffix not in BIB_SUFFIXES | CSL_SUFFIXES:
        return Reading(raw)
    from ingest.library import parse_csl_json
    from ingest.references import parse_bibtex

    problems: list[str] = []
    refs = parse_bibtex(doc_id, raw.text, problems) if suffix in BIB_SUFFIXES else parse_csl_json(doc_id, raw.text)
    if not refs:
        raise InputError("no BibTeX entries found" if suffix in BIB_SUFFIXES else "no CSL-JSON items found")
    return Reading(raw, tuple(refs), tuple(problems), library=True)


def _limit_memory(memory_mb: int) -> None:
    """Worker initializer: let the process's address space grow by at most memory_mb (a MemoryError
    past it, not the OOM killer). Counted from what the worker holds already, because multiprocessing
    imports the caller's main script into it first: nothing for the command line, Streamlit and the
    engine's modules (about 190 MB of address space) in the web server."""
    import os
    import resource

    try:
        with open("/proc/self/statm") as fh:
            held = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):  # not Linux: count from nothing
        held = 0
    cap = held + memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _reason(exc: BaseException, limits: ReadSettings) -> str:
    from pebble import ProcessExpired

    if isinstance(exc, InputError):
        return str(exc)
    if isinstance(exc, FutureTimeout):
        return f"reading took longer than {limits.seconds:g} s and was stopped (settings.read.seconds)"
    if isinstance(exc, MemoryError):
        return f"reading needed more than {limits.memory_mb} MB of memory and was stopped (settings.read.memory_mb)"
    if isinstance(exc, ProcessExpired):
        return (f"the process reading it died (exit code {exc.exitcode}); it may have needed more than "
                f"{limits.memory_mb} MB (settings.read.memory_mb)")
    # A parser bug must not stop the other files; its type and message say what went wrong.
    return f"could not be read ({type(exc).__name__}: {exc})".replace("\n", " ")[:200]


_pools: dict[tuple[int, int], Any] = {}  # (workers, memory_mb) -> a running pebble ProcessPool
_pools_lock = threading.Lock()


def _pool(limits: ReadSettings) -> Any:
    """The pool for these limits, started on first use and kept: a worker's start costs 0.1 s from the
    command line but 1-2 s in the web server, where multiprocessing first imports the Streamlit script
    (and with it Streamlit and the engine's modules) into every new process."""
    from pebble import ProcessPool

    key = (limits.workers, limits.memory_mb)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None or not pool.active:
            context = multiprocessing.get_context("forkserver")
            # The server imports this module only: by default it would also run the caller's __main__ again.
            context.set_forkserver_preload([__name__])
            pool = _pools[key] = ProcessPool(max_workers=limits.workers, max_tasks=_TASKS_PER_WORKER,
                                             initializer=_limit_memory, initargs=(limits.memory_mb,),
                                             context=context)
        return pool


@atexit.register
def _stop_pools() -> None:
    """At exit, the workers go too (a running read is stopped)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.stop()
            pool.join()
        _pools.clear()


def read_all(files: Sequence[tuple[Path, str]], max_file_bytes: int, limits: ReadSettings) -> Iterator[Outcome]:
    """Read every (path, document id) in worker processes, yielding each outcome in the order given."""
    pool = _pool(limits) if files else None
    futures = [pool.schedule(read_file, args=(path, doc_id, max_file_bytes, limits), timeout=limits.seconds)
               for path, doc_id in files] if pool else []
    try:
        for (path, _), future in zip(files, futures, strict=True):
            try:
                yield Outcome(path, reading=future.result())
            except Exception as exc:  # each file's failure is its own line; the others go on
                yield Outcome(path, error=_reason(exc, limits))
    finally:
        for future in futures:  # the caller stopped early (an error, Ctrl-C): stop the rest
            future.cancel()
