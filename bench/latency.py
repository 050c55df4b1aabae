"""Warm answer latency: `Engine.ask` over every question of a .jsonl file, after one warm-up.

usage: python bench/latency.py INDEX_DIR QUESTIONS_JSONL [--repeat N] [--runtime onnx|torch]

Prints the median and p95 in milliseconds, excluding the one-off model load: first for the first
ask of each question (what a reader waits for), then, with --repeat > 1, for the questions asked
again, which the engine's cache of sentence vectors makes about 4x faster.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from index.engine import Engine
from index.evaluate import describe_ms
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
    rounds = []
    for _ in range(max(1, args.repeat)):
        ms = []
        for q in questions:
            t = time.perf_counter()
            engine.ask(q)
            ms.append((time.perf_counter() - t) * 1000)
        rounds.append(ms)
    print(f"{engine.embedder.query_runtime}: load {load:.1f}s; first ask of each question: {describe_ms(rounds[0])}")
    if len(rounds) > 1:
        print(f"asked again ({len(rounds) - 1} rounds, sentence vectors cached): "
              f"{describe_ms([m for r in rounds[1:] for m in r])}")


if __name__ == "__main__":
    main()
