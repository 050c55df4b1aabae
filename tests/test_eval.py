"""`sourcebook eval` on the development sets, held to floors so quality cannot slide back unnoticed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ui.cli import main

from .conftest import DATA

# Per corpus, per question file: the least each figure may be ("max_…": the most). The real-PDF
# floors are checked by tests/test_pdf.py, where the dev PDFs are fetched.
FLOORS = json.loads((DATA / "eval" / "floors.json").read_text())


def meets_floors(corpus: str, name: str, index_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`sourcebook eval FILE --json` on an index holds every floor floors.json sets for the file."""
    assert main(["eval", str(DATA / "eval" / name), "--json", "--index", str(index_dir)]) == 0
    totals = json.loads(capsys.readouterr().out)
    for key, floor in FLOORS[corpus][name].items():
        if key.startswith("max_"):
            assert totals[key[4:]] <= floor, (key, totals)
        else:
            assert totals[key] >= floor, (key, totals)
    assert totals["latency_ms_median"] > 0


@pytest.mark.parametrize("name", sorted(FLOORS["demo"]))
def test_eval_meets_its_floors(name: str, corpus_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meets_floors("demo", name, corpus_index, capsys)


def test_eval_page_format_and_negatives(tmp_path: Path, corpus_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    queries = tmp_path / "q.jsonl"
    rows = [{"id": "p1", "question": "Who coined the term security dilemma?", "pages": [None],
             "evidence": ["first coined by the German scholar John H. Herz"]},
            {"id": "c1", "kind": "citation", "question": "Which source supports that Herz coined the term?",
             "pages": [None], "evidence": ["John H. Herz"], "ref_contains": ["Idealist Internationalism"]},
            {"id": "n1", "question": "Who painted the Mona Lisa?", "abstain": True}]
    queries.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["eval", str(queries), "--json", "--index", str(corpus_index)]) == 0
    totals = json.loads(capsys.readouterr().out)
    assert (totals["pass_rate"], totals["citation_pass_rate"], totals["abstention_rate"]) == (1.0, 1.0, 1.0)
    assert (totals["abstention_precision"], totals["abstention_recall"], totals["false_abstentions"]) == (1.0, 1.0, 0)


def test_eval_retrieval_format(tmp_path: Path, corpus_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"question": "Who coined the term security dilemma?",
                                   "evidence_norm": ["thetermwasfirstcoinedbythegermanscholar"]}) + "\n"
                       + json.dumps({"question": "Who painted the Mona Lisa?", "evidence_norm": ["monalisa"]}) + "\n")
    negatives = tmp_path / "n.jsonl"
    negatives.write_text(json.dumps({"question": "What is the melting point of iron?", "abstain": True}) + "\n")
    assert main(["eval", str(queries), str(negatives), "--json", "--index", str(corpus_index)]) == 0
    totals = json.loads(capsys.readouterr().out)
    assert totals["queries"] == 2 and totals["recall@1"] == 0.5 and totals["mrr@10"] == 0.5
    # The answers are scored too: the first citation holds the evidence; the negative is declined.
    assert totals["answer_first_citation"] == 0.5 and totals["answer_any_citation"] == 0.5
    assert (totals["negatives"], totals["abstention_recall"]) == (1, 1.0)


def test_latencies_are_reported_as_median_and_nearest_rank_p95() -> None:
    from index.evaluate import describe_ms, median_p95

    ms = [float(x) for x in range(1, 21)]  # 1..20: median 10.5, nearest-rank p95 the 19th value
    assert median_p95(reversed(ms)) == (10.5, 19.0)
    assert median_p95([]) == (0.0, 0.0)
    assert describe_ms(ms) == "median 10.5 ms, p95 19.0 ms, max 20.0 ms (20 answers)"
    assert describe_ms([12.34, 40.0], digits=0) == "median 26 ms, p95 40 ms, max 40 ms (2 answers)"
