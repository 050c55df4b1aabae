"""The BM25 postings rank exactly as SQLite FTS5's own bm25() does, at a fraction of the cost."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from index import bm25, bundle
from index.engine import Engine
from index.store import STOPWORDS

QUERIES = [
    "What is the security dilemma?",
    "Which German scholar introduced the concept, and when?",
    "spiral model offensive defensive realism",  # words that stand in section headings too
    "states states running runs run",  # repeated words and one stem from several words
    "Herz 1950 Butterfield",
    "the of and",  # stop words only: nothing to look up
    "zzzunknownword",
]


@pytest.mark.parametrize("query", QUERIES)
def test_postings_rank_as_fts5(engine: Any, query: str) -> None:
    reference = engine.store.keyword_search(query, 20, engine.settings.build.section_weight)
    ours = engine.corpus.retriever.keyword(query, 20)
    assert [r for r, _ in ours] == [r for r, _ in reference]
    assert all(abs(a - b) < 1e-5 for (_, a), (_, b) in zip(ours, reference, strict=True))


def test_a_question_finds_passages(engine: Any) -> None:
    rows = engine.corpus.retriever.keyword("Butterfield irreducible dilemma", 5)
    assert rows and "Butterfield" in engine.store.passages_by_rows([rows[0][0]])[rows[0][0]].text


def test_tokens_are_fts5_porter_stems() -> None:
    words = bm25.question_words("Running cafés: sys_path __init__ and THE states", STOPWORDS)
    assert words == ["running", "cafés", "sys", "path", "init", "states"]
    assert bm25.Tokenizer().tokens(words) == ["run", "cafe", "sy", "path", "init", "state"]


def test_postings_survive_a_round_trip(corpus_index: Path, tmp_path: Path) -> None:
    gen = bundle.current_generation(corpus_index)
    assert gen is not None
    with sqlite3.connect(f"file:{gen / 'store.sqlite'}?mode=ro", uri=True) as con:
        built = bm25.build(con, 0.5)
    bm25.write(tmp_path, built)
    loaded = bm25.load(tmp_path)
    assert loaded.terms == built.terms and loaded.n_indexed == built.n_indexed
    tokens = ["secur", "dilemma"]
    assert loaded.search(tokens, 5) == built.search(tokens, 5)
    meta = json.loads((tmp_path / "bm25.json").read_text())
    meta["terms"] = meta["terms"][:-1]
    (tmp_path / "bm25.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError):
        bm25.load(tmp_path)


def test_a_bundle_without_postings_asks_for_a_rebuild(corpus_index: Path, tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(corpus_index, copy)
    gen = bundle.current_generation(copy)
    assert gen is not None
    (gen / "bm25_rows.npy").unlink()
    with pytest.raises(bundle.BundleError, match=r"bm25_rows\.npy is missing.*sourcebook ingest"):
        Engine(copy)


def test_vectors_of_a_format_3_bundle_are_reused(corpus_index: Path, tmp_path: Path) -> None:
    """Format 4 only added the postings: re-ingesting an older index re-embeds nothing."""
    from ingest.pipeline import ingest

    copy = tmp_path / "index"
    shutil.copytree(corpus_index, copy)
    gen = bundle.current_generation(copy)
    assert gen is not None
    for name in bm25.FILES:
        (gen / name).unlink()
    manifest = json.loads((gen / "manifest.json").read_text())
    manifest["format_version"] = 3
    (gen / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(bundle.BundleError, match="format 3"):
        Engine(copy)
    report = ingest([Path(__file__).resolve().parent.parent / "corpus"], copy)
    assert report.embedded == 0 and report.reused > 0
    assert Engine(copy).corpus.retriever.keyword("security dilemma", 3)
