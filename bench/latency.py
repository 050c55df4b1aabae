"""Warm answer latency: `Engine.ask` over every question of a .jsonl file, after one warm-up.

usage: python bench/latency.py INDEX_DIR QUESTIONS_JSONL [--repeat N] [--runtime onnx|torch]

Prints the median and p95 in milliseconds, excluding the one-off model load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from index.engine import Engine
from index.settings import Settings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("index")
    ap.add_argument("questions")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--runtime", choices=["onnx", "torch"], default=Settings().query.runtime,
                    help="what encodes questions (QuerySettings.runtime)")
    args = ap.parse_args()
    questions = [json.loads(line)["question"] for line in Path(args.questions).read_text().splitlines() if line.strip()]
    t = time.perf_counter()
    engine = Engine(Path(args.index), Settings().with_(runtime=args.runtime))
    load = time.perf_counter() - t
    engine.ask("warm-up question")
    ms = []
    for _ in range(args.repeat):
        for q in questions:
            t = time.perf_counter()
            engine.ask(q)
            ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    print(f"{engine.embedder.query_runtime}: load {load:.1f}s; {len(ms)} answers: "
          f"median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, "
          f"max {ms[-1]:.1f} ms")


if __name__ == "__main__":
    main()
