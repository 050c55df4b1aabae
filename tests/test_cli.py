"""`sourcebook ask --json`: the documented format, single and batch, in-process and as a real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ui.cli import main

from .conftest import ROOT

CITATION_KEYS = {"marker": int, "passage_id": str, "document": str, "title": str, "page": (int, type(None)),
                 "start": int, "end": int, "text": str, "quote": str, "score": float, "references": list}


def check_answer_json(obj: dict[str, Any]) -> None:
    assert set(obj) == {"question", "answer", "abstained", "citations", "glossary"}
    assert isinstance(obj["question"], str) and isinstance(obj["answer"], str)
    assert isinstance(obj["abstained"], bool) and isinstance(obj["glossary"], list)
    for c in obj["citations"]:
        assert set(c) == set(CITATION_KEYS)
        for key, typ in CITATION_KEYS.items():
            assert isinstance(c[key], typ), key
        assert c["quote"] in c["text"] or all(part in c["text"] for part in c["quote"].split(". "))
    assert [c["marker"] for c in obj["citations"]] == list(range(1, len(obj["citations"]) + 1))


def test_ask_json_single(corpus_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "Who coined the term security dilemma?", "--json", "--index", str(corpus_index)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    obj = json.loads(out)
    check_answer_json(obj)
    assert "Herz" in obj["answer"] and not obj["abstained"]


def test_ask_json_batch_from_stdin(corpus_index: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    import io

    questions = ["What is the security dilemma?", "", "Who painted the Mona Lisa?"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(questions) + "\n"))
    assert main(["ask", "-", "--json", "-k", "4", "--index", str(corpus_index)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    objs = [json.loads(line) for line in lines]
    for obj in objs:
        check_answer_json(obj)
    assert [o["abstained"] for o in objs] == [False, True]


def test_real_command_batch(corpus_index: Path) -> None:
    """The installed console script, in its own process, loading the model once for two questions."""
    exe = Path(sys.executable).with_name("sourcebook")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "ui.cli"]
    proc = subprocess.run(
        [*cmd, "ask", "-", "--json", "--index", str(corpus_index)],
        input="Which German scholar introduced the concept, and when?\nWhat is the melting point of iron?\n",
        capture_output=True, text=True, timeout=300, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    objs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(objs) == 2
    for obj in objs:
        check_answer_json(obj)
    assert "Herz" in objs[0]["answer"] and objs[1]["abstained"]


def test_search_json(corpus_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "offense-defense balance", "--json", "-k", "3", "--index", str(corpus_index)]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["query"] == "offense-defense balance"
    assert 1 <= len(obj["results"]) <= 3
    assert "offense-defense balance" in obj["results"][0]["text"]
