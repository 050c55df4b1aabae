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

CITATION_KEYS: dict[str, type | tuple[type, ...]] = {
    "marker": int, "passage_id": str, "document": str, "title": str,
    "page": (int, type(None)), "page_label": (str, type(None)), "section": (list, type(None)),
    "start": int, "end": int, "text": str, "quote": str, "score": float, "references": list,
}


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


@pytest.mark.slow  # a process of its own, which loads the model
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


def test_refs_json_and_bibtex(corpus_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import bibtexparser

    assert main(["refs", "--json", "--index", str(corpus_index)]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert {"references", "unresolved_markers", "uncited", "duplicates"} <= set(obj)
    jervis = next(r for r in obj["references"] if r["title"] == "Cooperation Under the Security Dilemma")
    assert jervis["doi"] == "10.2307/2009958" and jervis["cited_by"]
    assert main(["refs", "--bibtex", "--index", str(corpus_index)]) == 0
    library = bibtexparser.parse_string(capsys.readouterr().out)
    assert len(library.entries) == 8
    assert {e.fields_dict["title"].value for e in library.entries} >= {"Fear Factor"}


def test_check_json(corpus_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    claim = "The term security dilemma was coined by John H. Herz in 1960."
    assert main(["check", claim, "--json", "--index", str(corpus_index)]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert set(obj) == {"claim", "verdict", "score", "evidence", "shortfalls"}
    assert obj["verdict"] == "contradicted" and obj["claim"] == claim
    assert obj["evidence"] and "1950" in obj["evidence"][0]["quote"]


def test_check_text_says_why(corpus_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    claim = "Jervis wrote Perception and Misperception in International Politics in 1985."
    assert main(["check", claim, "--index", str(corpus_index)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("contradicted (") and lines[0].endswith(claim)
    assert lines[1] == "  why: the reference gives 1976, not 1985"
    assert lines[2].startswith("  [1] ") and lines[3].startswith("      ↳ Jervis, Robert (1976).")


def test_glossary_cli(corpus_index: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["glossary", "--json", "--index", str(corpus_index)]) == 0
    entries = json.loads(capsys.readouterr().out)
    terms = [e["term"] for e in entries]
    assert terms == sorted(terms, key=str.lower) and "security dilemma" in terms
    assert main(["glossary", "Spiral Model", "--json", "--index", str(corpus_index)]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert set(entry) == {"term", "kind", "aliases", "definition", "citation", "related", "mentions"}
    assert entry["term"] == "security dilemma" and "fear for their own security" in entry["definition"]
    assert main(["glossary", "security dilema", "--index", str(corpus_index)]) == 0  # a small misspelling
    assert "security dilemma" in capsys.readouterr().out
    assert main(["glossary", "quantum chromodynamics", "--index", str(corpus_index)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "closest terms" in err


def test_ask_json_lists_glossary_terms_and_leads_with_the_definition(
    corpus_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "What is the security dilemma?", "--json", "--index", str(corpus_index)]) == 0
    obj = json.loads(capsys.readouterr().out)
    check_answer_json(obj)
    assert obj["answer"].startswith("In international relations, the security dilemma (also referred to")
    entry = next(g for g in obj["glossary"] if g["term"] == "security dilemma")
    assert set(entry) == {"term", "definition", "citation"}
    assert entry["citation"]["passage_id"] == obj["citations"][0]["passage_id"]


@pytest.mark.parametrize("value, reason", [("notes", "give it as NAME=DIR"), ("=/tmp/x", "give it as NAME=DIR"),
                                           ("idx=/tmp/x", "the name 'idx' is taken")])
def test_a_bad_collection_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str,
                                      reason: str) -> None:
    assert main(["serve", "--index", str(tmp_path / "idx"), "--collection", value]) == 2
    assert capsys.readouterr().err == f"error: --collection {value!r}: {reason}\n"


def test_info_shows_the_index_type_and_its_recall(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from .test_bundle import IVF, clustered, write_bundle

    write_bundle(tmp_path / "ivf", clustered(), IVF)
    assert main(["info", "--index", str(tmp_path / "ivf")]) == 0
    out = capsys.readouterr().out
    assert "2,000 passages" in out
    assert "FAISS: ivf-flat (80 lists, 3 searched), recall@10 0.9" in out and "on 200 sampled passages" in out
    assert main(["info", "--json", "--index", str(tmp_path / "ivf")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["faiss"]["type"] == "ivf-flat" and info["counts"]["passages"] == 2000 and info["bytes"] > 0
    assert main(["info", "--index", str(tmp_path / "none")]) == 2
    assert "no index here yet" in capsys.readouterr().err
