"""Load test: many concurrent questions against one loaded index, checked against a single-threaded run.

usage: python bench/load.py INDEX QUESTIONS_JSONL [--threads N] [--clients N] [--repeat R] [--limit N]
                            [--seed S] [--port P] [--no-server]

Phase 0  one Engine, one thread, asking what all of phase 1's threads ask (N x R times each
         question, shuffled); the first answer to each question is the reference (text, cited
         passage ids, abstained; for an abstention the nearest passages' ids).
Phase 1  N threads in one process sharing ONE fresh Engine, as Streamlit's script threads share
         the cached engine, each asking every question R times in its own shuffled order.
Phase 2  a real `sourcebook serve` on a free localhost port and N client processes, each one
         websocket session speaking Streamlit's protocol (BackMsg rerun_script with `q=...`, then
         ForwardMsg deltas until script_finished), reading the answer back from the rendered page.
         The server inherits this environment, so STREAMLIT_* variables configure it (for
         instance STREAMLIT_RUNNER_POST_SCRIPT_GC=false).

Each phase reports asks, errors (exceptions, failed or unreadable pages), mismatches against phase 0,
throughput and latency p50/p95/p99. Exits 1 when any phase has an error or a mismatch.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

# Only the standard library at module level: phase 2's client processes are spawned and
# re-import this file, and they need neither torch nor the index.

ROOT = Path(__file__).resolve().parents[1]
# (text, abstained, passage ids): what must be identical between runs. Plain tuples, so
# they cross process boundaries without pickling a class of this script.
Record = tuple[str, bool, tuple[str, ...]]
NO_ANSWER = "The corpus does not answer this question."  # ui/app.py NO_ANSWER == engine.ABSTAIN_TEXT
ASK_TIMEOUT = 300.0  # seconds for one page run; the first one loads the index and the model


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, one per completed ask
    errors: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    wall: float = 0.0
    memory: tuple[float, float, float] | None = None  # the server's RSS in MB: start, peak, end (phase 2)

    @property
    def asks(self) -> int:
        return len(self.latencies) + len(self.errors)


def normalise(text: str) -> str:
    return " ".join(text.split())


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of sorted values (0 when there are none)."""
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1)))]


def load_questions(path: Path, limit: int | None) -> list[str]:
    questions = [json.loads(line)["question"] for line in path.read_text().splitlines() if line.strip()]
    return questions[:limit] if limit else questions


def schedule(n_questions: int, repeat: int, seed: int) -> list[int]:
    """Every question index `repeat` times, shuffled: each worker asks in its own order."""
    order = list(range(n_questions)) * repeat
    random.Random(seed).shuffle(order)
    return order


# --- phases 0 and 1: the Engine in this process -------------------------------------------


def answer_record(answer: Any) -> Record:
    """The comparable part of an Answer: an abstention is identified by the passages it shows."""
    passages = answer.nearest if answer.abstained else answer.citations
    return normalise(answer.text), bool(answer.abstained), tuple(p.passage.id for p in passages)


def ask_all(engine: Any, questions: list[str], order: list[int], phase: Phase, reference: list[Record | None],
            lock: threading.Lock) -> None:
    """One worker: ask in `order`, timing each ask; the first answer to a question becomes the
    reference when there is none yet (phase 0), every other one is compared with it."""
    for qi in order:
        t = time.perf_counter()
        try:
            got = answer_record(engine.ask(questions[qi]))
        except Exception as exc:  # the point of the bench: count them, do not stop at the first
            with lock:
                phase.errors.append(f"{questions[qi]!r}: {type(exc).__name__}: {exc}")
            continue
        elapsed = time.perf_counter() - t
        with lock:
            phase.latencies.append(elapsed)
            expected = reference[qi]
            if expected is None:
                reference[qi] = got
            elif got != expected:
                phase.mismatches.append(f"{questions[qi]!r}: expected {expected!r}, got {got!r}")


def run_threads(engine: Any, questions: list[str], orders: list[list[int]], phase: Phase,
                reference: list[Record | None]) -> None:
    """One thread per order, started together, asking through `engine`; sets phase.wall.

    Phase 0 runs on a thread of its own too: Streamlit asks from script threads, and on a busy
    machine torch's OpenMP encoding measured several times slower on the main thread."""
    lock = threading.Lock()
    barrier = threading.Barrier(len(orders) + 1)

    def worker(order: list[int]) -> None:
        barrier.wait()
        ask_all(engine, questions, order, phase, reference, lock)

    pool = [threading.Thread(target=worker, args=(order,), name=f"load-{n}") for n, order in enumerate(orders)]
    for th in pool:
        th.start()
    barrier.wait()
    start = time.perf_counter()
    for th in pool:
        th.join()
    phase.wall = time.perf_counter() - start


def baseline(index: Path, questions: list[str], repeat: int, seed: int) -> tuple[list[Record], Phase]:
    """Phase 0: one Engine on one thread, asking what all phase-1 threads ask together (each
    question `repeat` times, shuffled), so that throughputs compare; the first answer to each
    question is the reference, the later ones are checked against it."""
    from index.engine import Engine

    # Warm the process first, untimed, on a scratch Engine: the model's first run at each input
    # shape and the first reads of the index files are one-off costs that phase 1 would not pay.
    run_threads(Engine(index), questions, [list(range(len(questions)))], Phase("warm-up"), [None] * len(questions))
    engine = Engine(index)  # fresh, as phase 1's: its sentence-vector cache starts empty
    phase = Phase("0 one thread, one Engine")
    reference: list[Record | None] = [None] * len(questions)
    run_threads(engine, questions, [schedule(len(questions), repeat, seed)], phase, reference)
    if any(r is None for r in reference):
        sys.exit("phase 0 raised on some questions: no reference to compare with\n" + "\n".join(phase.errors))
    return [r for r in reference if r is not None], phase


def threaded(index: Path, questions: list[str], reference: list[Record], threads: int, repeat: int,
             seed: int) -> Phase:
    """Phase 1: `threads` threads asking through one shared Engine, started together."""
    from index.engine import Engine

    # A fresh Engine, as phase 0 had: its sentence-vector cache starts empty, so the threads
    # race to fill it (the embedder itself is the process-wide one, as in the app).
    phase = Phase(f"1 {threads} threads, one Engine")
    orders = [schedule(len(questions), repeat, seed + 1 + n) for n in range(threads)]
    run_threads(Engine(index), questions, orders, phase, list(reference))
    return phase


# --- phase 2: a running server and client processes -----------------------------------------


def spaced(question: str, variant: int) -> str:
    """The question with extra spaces between words, distinct for each variant.

    The app memoises answers by question text (st.cache_data); extra inner spaces make each
    ask a new cache key while Engine.ask, which collapses whitespace, answers the same question.
    So every ask of the load reaches the Engine. Gap i gets 1 + (base-4 digit i) spaces and the
    last gap also the overflow, so distinct variants give distinct strings."""
    words = question.split()
    if len(words) < 2:
        return question
    gaps = [1] * (len(words) - 1)
    for i in range(len(gaps)):
        variant, digit = divmod(variant, 4)
        gaps[i] += digit
    gaps[-1] += variant
    return words[0] + "".join(" " * g + w for g, w in zip(gaps, words[1:], strict=True))


_OPEN_LINK = re.compile(r'class="sb-open-document"[^>]*><a href="([^"]+)"')
_TAG = re.compile(r"<style>.*?</style>|<[^>]+>", re.S)  # our tags, and the stylesheet that comes with an answer


def page_record(elements: dict[tuple[int, ...], Any]) -> Record:
    """The answer as the Ask page rendered it (ui/app.py show_answer / show_abstention).

    The answer is the st.html block of class sb-answer: corpus text HTML-escaped inside our
    own tags only, so dropping the tags and unescaping gives Answer.text back. The passages
    are the "open in document" links of the citation cards, in order (documents?...&passage=ID).
    An abstention is a warning followed by the nearest passages' cards."""
    text: str | None = None
    abstained = False
    passages: list[str] = []
    for path in sorted(elements):
        element = elements[path]
        kind = element.WhichOneof("type")
        if kind == "exception":
            raise RuntimeError(f"the page raised {element.exception.type}: {element.exception.message}")
        if kind == "alert" and text is None:
            body = element.alert.body
            text, abstained = (NO_ANSWER if body.startswith(NO_ANSWER) else body), True
        elif kind == "html":
            body = element.html.body
            if 'class="sb-answer"' in body:
                text = html.unescape(_TAG.sub("", body))
            for href in _OPEN_LINK.findall(body):
                passages += parse_qs(urlsplit(html.unescape(href)).query).get("passage", [])
    if text is None:
        raise RuntimeError("the page shows neither an answer nor an abstention")
    return normalise(text), abstained, tuple(passages)


def open_page(port: int) -> Any:
    """A websocket to the app, as a browser tab opens it (use as a context manager)."""
    from websockets.sync.client import connect
    from websockets.typing import Subprotocol

    # No Origin header: Streamlit accepts non-browser clients; "streamlit" is its subprotocol.
    return connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=[Subprotocol("streamlit")],
                   max_size=None, open_timeout=30)


def ask_page(ws: Any, question: str) -> Record:
    """Rerun the app with ?q=question (what loading that URL does) and read the final page."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = BackMsg()
    msg.rerun_script.query_string = urlencode({"q": question})
    ws.send(msg.SerializeToString())
    # Deltas address elements by path; a later delta at a path replaces the earlier one
    # (the spinner, then what it covered), so the last one per path is the page as shown.
    elements: dict[tuple[int, ...], Any] = {}
    deadline = time.monotonic() + ASK_TIMEOUT
    while True:
        data = ws.recv(timeout=max(0.0, deadline - time.monotonic()))
        fwd = ForwardMsg()
        fwd.ParseFromString(data if isinstance(data, bytes) else data.encode())
        kind = fwd.WhichOneof("type")
        if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            elements[tuple(fwd.metadata.delta_path)] = fwd.delta.new_element
        elif kind == "script_finished":
            status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
            if status == "FINISHED_EARLY_FOR_RERUN":
                continue  # the app asked for a rerun; that run's messages follow
            if status != "FINISHED_SUCCESSFULLY":
                raise RuntimeError(f"script finished with {status}")
            return page_record(elements)


def client_main(n: int, port: int, questions: list[str], order: list[int], variant_base: int, stride: int,
                barrier: Any, results: Any) -> None:
    """One client process: one session (a browser tab), every ask in `order`, results sent back."""
    out: list[tuple[int, float, Record | None, str]] = []
    start = end = 0.0
    try:
        with open_page(port) as ws:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()  # broken when another client could not connect: run anyway
            start = time.monotonic()
            for k, qi in enumerate(order):
                t = time.perf_counter()
                try:
                    got = ask_page(ws, spaced(questions[qi], variant_base + k * stride))
                    out.append((qi, time.perf_counter() - t, got, ""))
                except Exception as exc:
                    out.append((qi, time.perf_counter() - t, None, f"{type(exc).__name__}: {exc}"))
                    if "ConnectionClosed" in type(exc).__name__:
                        break  # the server went away: nothing more to ask on this socket
            end = time.monotonic()
    except Exception as exc:  # could not connect
        barrier.abort()
        out.append((-1, 0.0, None, f"client {n}: {type(exc).__name__}: {exc}"))
    results.put((n, start, end, out))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(index: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """`sourcebook serve` in its own process group (it runs streamlit as a child)."""
    exe = Path(sys.executable).with_name("sourcebook")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "ui.cli"]
    command += ["serve", "--index", str(index), "--port", str(port), "--address", "127.0.0.1"]
    # No file watching: Streamlit reloads changed modules of a running app, and a checkout being
    # edited under it made pages fail mid-run (KeyError from the import system), not the load.
    env = dict(os.environ, STREAMLIT_SERVER_FILE_WATCHER_TYPE="none")
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sourcebook serve exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    stop_server(proc)
    raise RuntimeError(f"sourcebook serve did not answer /_stcore/health in 120 s; see {log}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group: `sourcebook serve` and the streamlit it started."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def collect(results: Any, procs: list[Any]) -> list[tuple[int, float, float, list[Any]]]:
    """Every client's results; a client process that died without sending any is an error."""
    collected: list[tuple[int, float, float, list[Any]]] = []
    while len(collected) < len(procs):
        try:
            collected.append(results.get(timeout=5))
        except queue.Empty:
            if all(not p.is_alive() for p in procs) and results.empty():
                break
    for p in procs:
        p.join()
    missing = {n for n in range(len(procs))} - {c[0] for c in collected}
    collected += [(n, 0.0, 0.0, [(-1, 0.0, None, f"client {n} died (exit {procs[n].exitcode})")])
                  for n in sorted(missing)]
    return collected


class RssSampler:
    """Samples a process's resident memory (MB, from /proc) twice a second until stopped."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples, self._done = [self.rss()], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def rss(self) -> float:
        with contextlib.suppress(OSError), open(f"/proc/{self.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def _run(self) -> None:
        while not self._done.wait(0.5):
            self.samples.append(self.rss())

    def stop(self) -> tuple[float, float, float]:
        """(at the start, the peak, at the end) in MB."""
        self._done.set()
        self._thread.join()
        self.samples.append(self.rss())
        return self.samples[0], max(self.samples), self.samples[-1]


def served(index: Path, questions: list[str], reference: list[Record], clients: int, repeat: int, seed: int,
           port: int) -> Phase:
    """Phase 2: client processes asking through a running `sourcebook serve`."""
    phase = Phase(f"2 server, {clients} client processes")
    port = port or free_port()
    log = Path(f"/tmp/sourcebook-load-serve-{port}.log")
    server = start_server(index, port, log)
    try:
        # One ask first, untimed: it loads the index and the model into the server.
        with open_page(port) as ws:
            ask_page(ws, "warm-up question")
        # Spawned, not forked: this process has torch's and FAISS's thread pools running.
        ctx = get_context("spawn")
        barrier = ctx.Barrier(clients)
        results = ctx.Queue()
        procs = []
        for n in range(clients):
            order = schedule(len(questions), repeat, seed + 1000 + n)
            # Variant numbers n+1, n+1+clients, ...: unique across clients, never 0 (the plain text).
            args = (n, port, questions, order, n + 1, clients, barrier, results)
            procs.append(ctx.Process(target=client_main, args=args, name=f"load-client-{n}"))
        memory = RssSampler(server.pid)  # the server's resident memory while the clients ask
        for p in procs:
            p.start()
        collected = collect(results, procs)
        phase.memory = memory.stop()
    finally:
        stop_server(server)
    starts = [start for _, start, _, _ in collected if start]
    ends = [end for _, _, end, _ in collected if end]
    phase.wall = max(ends) - min(starts) if starts and ends else 0.0
    for _, _, _, out in collected:
        for qi, elapsed, got, error in out:
            if error or got is None:
                phase.errors.append(f"{questions[qi]!r}: {error}" if qi >= 0 else error)
            else:
                phase.latencies.append(elapsed)
                if got != reference[qi]:
                    phase.mismatches.append(f"{questions[qi]!r}: expected {reference[qi]!r}, got {got!r}")
    if phase.errors:
        print(f"server log: {log}", file=sys.stderr)
    return phase


# --- report -------------------------------------------------------------------------------


def report(phases: list[Phase]) -> bool:
    """Print one line per phase (and the first problems); True when all is well."""
    print(f"{'phase':34} {'asks':>6} {'errors':>6} {'mismatch':>8} {'asks/s':>7} "
          f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    ok = True
    for ph in phases:
        ms = sorted(x * 1000 for x in ph.latencies)
        rate = len(ph.latencies) / ph.wall if ph.wall else 0.0
        print(f"{ph.name:34} {ph.asks:6d} {len(ph.errors):6d} {len(ph.mismatches):8d} {rate:7.1f} "
              f"{percentile(ms, 50):8.1f} {percentile(ms, 95):8.1f} {percentile(ms, 99):8.1f}")
        if ph.memory:
            print(f"    server memory: {ph.memory[0]:.0f} MB at the start, {ph.memory[1]:.0f} MB at most, "
                  f"{ph.memory[2]:.0f} MB at the end, over {ph.wall:.0f} s")
        for problem in (ph.errors + ph.mismatches)[:5]:
            print(f"    {problem[:400]}", file=sys.stderr)
        ok = ok and not ph.errors and not ph.mismatches
    return ok


def code_stamp() -> dict[str, float]:
    """Modification times of the engine's and the app's sources."""
    files = [p for d in ("index", "ingest", "ui") for p in (ROOT / d).glob("*.py")]
    return {str(p.relative_to(ROOT)): p.stat().st_mtime for p in files}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("index", type=Path)
    ap.add_argument("questions", type=Path, help=".jsonl with a `question` field per line")
    ap.add_argument("--threads", type=int, default=4, help="phase 1 threads (default %(default)s)")
    ap.add_argument("--clients", type=int, default=4, help="phase 2 client processes (default %(default)s)")
    ap.add_argument("--repeat", type=int, default=2, help="times each worker asks each question (default %(default)s)")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N questions")
    ap.add_argument("--seed", type=int, default=0, help="seed of the shuffled orders")
    ap.add_argument("--port", type=int, default=0, help="phase 2 server port (default: a free one)")
    ap.add_argument("--no-server", action="store_true", help="skip phase 2")
    args = ap.parse_args()
    questions = load_questions(args.questions, args.limit)
    stamp = code_stamp()
    index = args.index.resolve()
    reference, phase0 = baseline(index, questions, args.threads * args.repeat, args.seed)
    abstained = sum(r[1] for r in reference)
    print(f"{len(questions)} questions ({abstained} abstentions in the reference run), index {index}", flush=True)
    phases = [phase0, threaded(index, questions, reference, args.threads, args.repeat, args.seed)]
    if not args.no_server:
        phases.append(served(index, questions, reference, args.clients, args.repeat, args.seed, args.port))
    ok = report(phases)
    changed = sorted(f for f, t in code_stamp().items() if stamp.get(f) != t)
    if changed:
        # The server imports the sources when it starts, this process when it did: they may differ.
        print(f"warning: sources changed during the run ({', '.join(changed)}); mismatches may come from that",
              file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
