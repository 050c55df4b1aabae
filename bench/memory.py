"""Peak ingestion memory against corpus size: does resident memory grow with the corpus or the batch?

usage: python bench/memory.py CORPUS_DIR [--sizes 60,180,all] [--workdir DIR]

For each size, the first N files of CORPUS_DIR (sorted by path) are copied to a fresh folder and
ingested by `sourcebook ingest` into a fresh index (so every passage is embedded), in a process of
its own. Its resident memory, and that of its whole process tree (the sandboxed readers too), is
sampled from /proc four times a second. Prints one row a size and the growth per 1,000 passages.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found += [int(c) for c in fh.read().split()]
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += _children(p)
    return out


@dataclass
class Peak:
    main: float = 0.0  # the ingesting process alone, MB
    tree: float = 0.0  # it and every process under it at one moment, MB


def watch(proc: subprocess.Popen[bytes], peak: Peak) -> None:
    while proc.poll() is None:
        pids = _tree(proc.pid)
        sizes = [_rss_mb(p) for p in pids]
        peak.main = max(peak.main, sizes[0])
        peak.tree = max(peak.tree, sum(sizes))
        time.sleep(0.25)


def run(files: list[Path], root: Path, work: Path) -> dict[str, float]:
    corpus, index = work / f"corpus-{len(files)}", work / f"index-{len(files)}"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(index, ignore_errors=True)
    for f in files:
        target = corpus / f.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, target)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "ingest", str(corpus), "--index", str(index)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = Peak()
    watcher = threading.Thread(target=watch, args=(proc, peak), daemon=True)
    watcher.start()
    _, err = proc.communicate()
    watcher.join()
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"ingest of {len(files)} files failed: {err.decode(errors='replace').strip()[-300:]}")
    generation = (index / "CURRENT").read_text().strip()
    counts = json.loads((index / generation / "manifest.json").read_text())["counts"]
    text_mb = sum(f.stat().st_size for f in files) / 2**20
    return {"files": len(files), "passages": counts["passages"], "text_mb": text_mb, "peak_main_mb": peak.main,
            "peak_tree_mb": peak.tree, "seconds": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--sizes", default="60,180,all", help="file counts, comma-separated; 'all' for every file")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    files = sorted(p for p in args.corpus.rglob("*") if p.is_file())
    sizes = [len(files) if s == "all" else min(int(s), len(files)) for s in args.sizes.split(",")]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="sourcebook-memory-"))
    rows = []
    print(f"{'files':>6} {'passages':>9} {'text MB':>8} {'peak MB':>8} {'tree MB':>8} {'seconds':>8} {'pass/s':>7}")
    for n in sizes:
        r = run(files[:n], args.corpus, work)
        rows.append(r)
        print(f"{r['files']:>6} {r['passages']:>9} {r['text_mb']:>8.1f} {r['peak_main_mb']:>8.0f} "
              f"{r['peak_tree_mb']:>8.0f} {r['seconds']:>8.1f} {r['passages'] / r['seconds']:>7.1f}", flush=True)
    if len(rows) > 1 and rows[-1]["passages"] > rows[0]["passages"]:
        slope = (rows[-1]["peak_main_mb"] - rows[0]["peak_main_mb"]) / (rows[-1]["passages"] - rows[0]["passages"])
        print(f"peak memory grows {slope * 1000:.1f} MB per 1,000 passages (smallest to largest)")


if __name__ == "__main__":
    main()
