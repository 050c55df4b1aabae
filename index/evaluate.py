"""`sourcebook eval`: score question sets against an index, with per-question misses and latency.

Two formats are read. QA sets (`answers`, `evidence`, `refs`, `abstain`): an answer counts
when its text contains one of `answers`, a cited passage one of `evidence` and a cited
reference one of `refs`. Retrieval sets (`evidence_norm`): a hit is a returned passage
whose text, lower-cased with everything but a-z0-9 removed, contains one of them.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.models import Answer, SearchHit
from index.words import squashed

Ask = Callable[[str], Answer]  # a question -> its answer (Engine.ask)
Search = Callable[[str, int, str], list[SearchHit]]  # query, k, mode -> hits (Engine.search)


def load_questions(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score_answer(answer: Answer, q: dict[str, Any]) -> dict[str, bool]:
    """The DEVELOPERS.md rule for one QA question."""
    if q.get("abstain"):
        return {"abstain": answer.abstained}
    cited = [c.passage.text for c in answer.citations]
    refs = [json.dumps(r.to_json(), ensure_ascii=False) for c in answer.citations for r in c.references]
    return {
        "answer": not answer.abstained and any(a in answer.text for a in q.get("answers", [])),
        "evidence": any(e in t for e in q.get("evidence", []) for t in cited),
        "refs": any(r in raw for r in q.get("refs", []) for raw in refs) if q.get("refs") else True,
        "abstain": not answer.abstained,
    }


@dataclass
class Report:
    kind: str
    totals: dict[str, Any]
    misses: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [*self.misses, ""] if self.misses else []
        lines += [f"{k}: {v}" for k, v in self.totals.items()]
        return "\n".join(lines)


def _latency(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else 0.0
    return {"latency_ms_median": round(statistics.median(ordered), 1) if ordered else 0.0,
            "latency_ms_p95": round(p95, 1)}


def evaluate_qa(ask: Ask, questions: Iterable[dict[str, Any]]) -> Report:
    qs = list(questions)
    ask("warm-up question")  # the first call pays one-off costs (thread pools, caches)
    answerable = [q for q in qs if not q.get("abstain")]
    out_of_corpus = [q for q in qs if q.get("abstain")]
    counts = {"answer": 0, "evidence": 0, "refs": 0, "refs_asked": 0, "abstained_ok": 0, "false_abstentions": 0}
    misses, ms = [], []
    for q in qs:
        t = time.perf_counter()
        answer = ask(q["question"])
        ms.append((time.perf_counter() - t) * 1000)
        got = score_answer(answer, q)
        if q.get("abstain"):
            counts["abstained_ok"] += got["abstain"]
            if not got["abstain"]:
                misses.append(f"MISS {q.get('id', '')} should abstain: {q['question']} -> {answer.text[:120]}")
            continue
        counts["answer"] += got["answer"]
        counts["evidence"] += got["evidence"]
        if q.get("refs"):
            counts["refs_asked"] += 1
            counts["refs"] += got["refs"]
        counts["false_abstentions"] += answer.abstained
        failed = [k for k in ("answer", "evidence", "refs") if not got[k]]
        if failed:
            misses.append(f"MISS {q.get('id', '')} ({', '.join(failed)}): {q['question']} -> {answer.text[:160]}")
    n = len(answerable) or 1
    totals: dict[str, Any] = {
        "questions": len(qs),
        "answer_rate": round(counts["answer"] / n, 3),
        "evidence_rate": round(counts["evidence"] / n, 3),
        "refs_rate": round(counts["refs"] / (counts["refs_asked"] or 1), 3),
        "refs_questions": counts["refs_asked"],
        "abstention_rate": round(counts["abstained_ok"] / (len(out_of_corpus) or 1), 3),
        "false_abstentions": counts["false_abstentions"],
        **_latency(ms),
    }
    return Report("qa", totals, misses)


def evaluate_retrieval(search: Search, questions: Iterable[dict[str, Any]], mode: str = "hybrid") -> Report:
    qs = list(questions)
    search("warm-up query", 10, mode)
    recall = {1: 0, 5: 0, 10: 0}
    rr_total = 0.0
    misses, ms = [], []
    for q in qs:
        t = time.perf_counter()
        hits = search(q["question"], 10, mode)
        ms.append((time.perf_counter() - t) * 1000)
        evidence = q["evidence_norm"]
        rank = next((i + 1 for i, h in enumerate(hits) if any(e in squashed(h.passage.text) for e in evidence)), None)
        for k in recall:
            recall[k] += rank is not None and rank <= k
        rr_total += 1.0 / rank if rank else 0.0
        if rank is None or rank > 5:
            misses.append(f"MISS {q.get('id', '')} (rank {rank or '>10'}): {q['question']}")
    n = len(qs) or 1
    totals: dict[str, Any] = {
        "queries": len(qs),
        "mode": mode,
        **{f"recall@{k}": round(v / n, 3) for k, v in recall.items()},
        "mrr@10": round(rr_total / n, 3),
        **_latency(ms),
    }
    return Report("retrieval", totals, misses)


def evaluate(ask: Ask, search: Search, path: Path, mode: str = "hybrid") -> Report:
    """Score a question file with the given ask and search; its format decides QA or retrieval scoring."""
    qs = load_questions(path)
    if qs and "evidence_norm" in qs[0]:
        return evaluate_retrieval(search, qs, mode)
    return evaluate_qa(ask, qs)
