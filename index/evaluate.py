"""`sourcebook eval`: score question sets against an index, with per-question misses and latency.

Three formats are read, told apart by their fields:
* QA sets (`answers`, `evidence`, `refs`): an answer counts when its text contains one of
  `answers`, a cited passage one of `evidence` and a cited reference one of `refs`.
* Page sets (`pages`, `evidence`, and `ref_contains` for citation questions), as the real-PDF
  set: a citation passes when its quote holds an evidence phrase and its page is one of
  `pages`; a citation question also needs a cited entry (or the answer) holding every
  `ref_contains` string. The rules of ../shared/eval/realdocs/score.py.
* Retrieval sets (`evidence_norm`): a hit is a returned passage whose text, lower-cased with
  everything but a-z0-9 removed, contains one of them; the answers are scored too (first
  citation, any citation, quote from the answering passage).
Any set may hold near-topic negatives (`abstain: true`): the report gives the abstention's
precision and recall over the whole set.
"""

from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
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


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"'})


def loose(text: str | None) -> str:
    """Text as an evidence phrase is looked for: NFKC, straight quotes, no line-break hyphens
    ("identi- cal"), whitespace collapsed, lower case (score.py's norm)."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTES)
    return re.sub(r"\s+", " ", re.sub(r"-\s+", "", text)).strip().lower()


def score_pages(answer: Answer, q: dict[str, Any]) -> dict[str, bool]:
    """A page-set question: answered, evidence quoted, first citation on a right page, and pass
    (a citation quoting the evidence on a right page; a citation question also its entry)."""
    cites = [] if answer.abstained else list(answer.citations)
    evidence = [loose(e) for e in q.get("evidence", [])]
    quoting = [c for c in cites if any(e in loose(c.quote) for e in evidence)]
    got = {"answered": bool(cites), "evidence": bool(quoting),
           "page": bool(cites) and cites[0].page in q["pages"],
           "pass": any(c.page in q["pages"] for c in quoting)}
    if q.get("kind") == "citation":
        texts = [loose(" ".join(str(v) for v in (r.raw, r.title, r.container, r.doi, r.isbn, r.year, *r.authors)
                                if v)) for c in cites for r in c.references]
        texts.append(loose(answer.text) if not answer.abstained else "")
        need = [loose(x) for x in q["ref_contains"]]
        got["ref"] = any(all(x in t for x in need) for t in texts)
        got["pass"] = got["pass"] and got["ref"]
    return got


def _abstention(abstained_on_negatives: int, negatives: int, abstained_on_answerable: int) -> dict[str, Any]:
    """Precision (of the abstentions, how many were on negatives) and recall (of the negatives,
    how many were declined) of abstaining, over one question set."""
    declined = abstained_on_negatives + abstained_on_answerable
    return {"abstention_precision": round(abstained_on_negatives / declined, 3) if declined else 1.0,
            "abstention_recall": round(abstained_on_negatives / negatives, 3) if negatives else 1.0}


@dataclass
class Report:
    kind: str
    totals: dict[str, Any]
    misses: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [*self.misses, ""] if self.misses else []
        lines += [f"{k}: {v}" for k, v in self.totals.items()]
        return "\n".join(lines)


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of sorted values (0.0 when there are none): the p95 that `eval` and the
    benchmarks in bench/ report."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def median_p95(ms: Iterable[float]) -> tuple[float, float]:
    """The median and nearest-rank p95 of timings (0.0 for none): every latency `eval` and bench/ report."""
    ordered = sorted(ms)
    return (statistics.median(ordered) if ordered else 0.0), percentile(ordered, 95)


def describe_ms(ms: Sequence[float], digits: int = 1) -> str:
    """ "median X ms, p95 Y ms, max Z ms (N answers)": how the benchmarks print answer times."""
    median, p95 = median_p95(ms)
    return (f"median {median:.{digits}f} ms, p95 {p95:.{digits}f} ms, max {max(ms, default=0.0):.{digits}f} ms "
            f"({len(ms)} answers)")


def _latency(ms: list[float]) -> dict[str, float]:
    median, p95 = median_p95(ms)
    return {"latency_ms_median": round(median, 1), "latency_ms_p95": round(p95, 1)}


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
        **_abstention(counts["abstained_ok"], len(out_of_corpus), counts["false_abstentions"]),
        **_latency(ms),
    }
    return Report("qa", totals, misses)


def evaluate_pages(ask: Ask, questions: Iterable[dict[str, Any]]) -> Report:
    """A page set (the real-PDF format): pass, evidence and page accuracy of the plain questions,
    pass and entry rate of the citation questions, abstention on the negatives."""
    qs = list(questions)
    ask("warm-up question")
    plain = [q for q in qs if not q.get("abstain") and q.get("kind") != "citation"]
    cite = [q for q in qs if q.get("kind") == "citation"]
    negatives = [q for q in qs if q.get("abstain")]
    results: dict[int, dict[str, bool]] = {}
    declined = false_abstentions = 0
    misses, ms = [], []
    for q in qs:
        t = time.perf_counter()
        answer = ask(q["question"])
        ms.append((time.perf_counter() - t) * 1000)
        if q.get("abstain"):
            declined += answer.abstained
            if not answer.abstained:
                misses.append(f"MISS {q.get('id', '')} should abstain: {q['question']} -> {answer.text[:120]}")
            continue
        got = results[id(q)] = score_pages(answer, q)
        false_abstentions += answer.abstained
        if not got["pass"]:
            failed = ", ".join(k for k, v in got.items() if not v)
            first = answer.citations[0].page if answer.citations else None
            misses.append(f"MISS {q.get('id', '')} ({failed}; want p{q['pages']}, got p{first}): {q['question']}"
                          f" -> {answer.text[:160]}")

    def rate(group: list[dict[str, Any]], key: str) -> float:
        return round(sum(results[id(q)][key] for q in group) / len(group), 3) if group else 0.0

    totals: dict[str, Any] = {
        "questions": len(qs),
        "pass_rate": rate(plain, "pass"), "evidence_rate": rate(plain, "evidence"),
        "page_accuracy": rate(plain, "page"), "answer_rate": rate(plain, "answered"),
        "citation_pass_rate": rate(cite, "pass"), "citation_ref_rate": rate(cite, "ref"),
        "citation_questions": len(cite),
        "abstention_rate": round(declined / len(negatives), 3) if negatives else 1.0,
        "false_abstentions": false_abstentions,
        **_abstention(declined, len(negatives), false_abstentions),
        **_latency(ms),
    }
    return Report("pages", totals, misses)


def score_retrieval_answer(answer: Answer, evidence: list[str]) -> dict[str, bool]:
    """A retrieval-set question asked: its first citation, or any, is a passage holding the answer;
    a quote comes from it (score_pydocs_answers.py's rules)."""
    cites = [] if answer.abstained else list(answer.citations)
    hit = [any(e in squashed(c.passage.text) for e in evidence) for c in cites]
    quoted = any(any(e[:40] in squashed(c.quote) or squashed(c.quote)[:40] in e for e in evidence) for c in cites)
    return {"first": bool(hit and hit[0]), "any": any(hit), "quote": quoted}


def evaluate_retrieval(search: Search, questions: Iterable[dict[str, Any]], mode: str = "hybrid",
                       ask: Ask | None = None) -> Report:
    """Recall@1/5/10 and MRR@10 of the ranking; with `ask`, the answers' citations too, and the
    abstention on the set's negatives (`abstain: true`, no evidence)."""
    everything = list(questions)
    negatives = [q for q in everything if q.get("abstain")]
    qs = [q for q in everything if not q.get("abstain")]
    search("warm-up query", 10, mode)
    answered = {"first": 0, "any": 0, "quote": 0, "abstained": 0}
    declined = 0
    answer_ms: list[float] = []
    if ask is not None:
        ask("warm-up question")
        for q in qs:
            t = time.perf_counter()
            answer = ask(q["question"])
            answer_ms.append((time.perf_counter() - t) * 1000)
            answered["abstained"] += answer.abstained
            for key, ok in score_retrieval_answer(answer, q["evidence_norm"]).items():
                answered[key] += ok
        declined = sum(ask(q["question"]).abstained for q in negatives)
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
    if ask is not None:
        totals |= {"answer_first_citation": round(answered["first"] / n, 3),
                   "answer_any_citation": round(answered["any"] / n, 3),
                   "answer_quote": round(answered["quote"] / n, 3),
                   "false_abstentions": answered["abstained"],
                   **{f"answer_{k}": v for k, v in _latency(answer_ms).items()}}
        if negatives:
            totals |= {"negatives": len(negatives), "abstention_rate": round(declined / len(negatives), 3),
                       **_abstention(declined, len(negatives), answered["abstained"])}
    return Report("retrieval", totals, misses)


def evaluate(ask: Ask, search: Search, paths: Path | Iterable[Path], mode: str = "hybrid",
             answers: bool = True) -> Report:
    """Score question files (read as one set) with the given ask and search; the fields of the
    questions decide the format: retrieval (`evidence_norm`; its answers scored too unless
    `answers` is false), page (`pages`) or QA. Negatives (`abstain: true`) join any format."""
    files = [paths] if isinstance(paths, Path) else list(paths)
    qs = [q for path in files for q in load_questions(path)]
    asked = [q for q in qs if not q.get("abstain")]
    if asked and all("evidence_norm" in q for q in asked):
        return evaluate_retrieval(search, qs, mode, ask if answers else None)
    if asked and all("pages" in q for q in asked):
        return evaluate_pages(ask, qs)
    return evaluate_qa(ask, qs)
