"""`sourcebook eval` on the development sets, held to floors so quality cannot slide back unnoticed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ui.cli import main

from .conftest import DATA

FLOORS = json.loads((DATA / "eval" / "floors.json").read_text())


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_eval_meets_its_floors(name: str, corpus_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(DATA / "eval" / name), "--json", "--index", str(corpus_index)]) == 0
    totals = json.loads(capsys.readouterr().out)
    for key, floor in FLOORS[name].items():
        if key.startswith("max_"):
            assert totals[key[4:]] <= floor, (key, totals)
        else:
            assert totals[key] >= floor, (key, totals)
    assert totals["latency_ms_median"] > 0


def test_eval_retrieval_format(tmp_path: Path, corpus_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"question": "Who coined the term security dilemma?",
                                   "evidence_norm": ["thetermwasfirstcoinedbythegermanscholar"]}) + "\n"
                       + json.dumps({"question": "Who painted the Mona Lisa?", "evidence_norm": ["monalisa"]}) + "\n")
    assert main(["eval", str(queries), "--json", "--index", str(corpus_index)]) == 0
    totals = json.loads(capsys.readouterr().out)
    assert totals["queries"] == 2 and totals["recall@1"] == 0.5 and totals["mrr@10"] == 0.5
