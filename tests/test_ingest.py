"""Ingestion end to end on small real files: passages, provenance, PDFs, duplicates, re-runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from index.bundle import current_generation
from index.engine import Engine
from index.store import Store
from ingest.pipeline import ingest
from ingest.text import clean

from .conftest import CORPUS


def make_pdf(path: Path, pages: list[list[str]]) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    for lines in pages:
        y = 800
        for line in lines:
            c.drawString(60, y, line)
            y -= 16
        c.showPage()
    c.save()


def store_of(index_dir: Path) -> Store:
    gen = current_generation(index_dir)
    assert gen is not None
    return Store(gen / "store.sqlite")


def test_passages_know_their_span_and_never_cut_sentences(corpus_index: Path) -> None:
    store = store_of(corpus_index)
    docs = {d.id: d for d in store.documents()}
    passages = list(store.all_passages(kind=None))
    assert passages
    for p in passages:
        doc = docs[p.document]
        shown, _ = clean(doc.text[p.start : p.end], markers=True)
        assert shown == p.text, p.id
        for s in p.sentences if p.kind == "body" else ():
            sentence = p.text[s.start : s.end]
            assert sentence[0].isupper() or sentence[0] in "\"“(", sentence
            assert sentence.rstrip("\"”')")[-1] in ".!?:…", sentence


def test_pdf_pages_and_offsets(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "report.pdf", [
        ["Page one talks about apples.", "Apples grow on trees in orchards."],
        ["Page two is about the Krakatoa eruption.", "It happened in the year 1883."],
        ["Page three covers submarine cables.", "The first transatlantic cable was laid in 1858."],
    ])
    report = ingest([folder], tmp_path / "idx")
    assert report.documents == 1 and not report.errors
    engine = Engine(tmp_path / "idx")
    answer = engine.ask("When did Krakatoa erupt?")
    assert not answer.abstained
    cited = answer.citations[0]
    assert "1883" in answer.text
    assert cited.passage.page == 2
    doc = engine.store.documents()[0]
    assert doc.page_at(cited.passage.start) == 2
    assert clean(doc.text[cited.passage.start : cited.passage.end], markers=False)[0] == cited.passage.text
    assert "Krakatoa" in doc.text[cited.passage.start : cited.passage.end]


def test_duplicate_paragraphs_become_one_passage_with_two_provenances(corpus_index: Path) -> None:
    store = store_of(corpus_index)
    passages = list(store.all_passages())
    herz = [p for p in passages if "first coined by the German scholar" in p.text]
    assert len(herz) == 1
    docs = {prov.document for prov in herz[0].provenances}
    assert docs == {"security-dilemma-encyclopedia.txt", "security-dilemma-realism-notes.txt"}
    # the kept version is the one with markers
    assert herz[0].document == "security-dilemma-encyclopedia.txt" and herz[0].refs


def test_noise_is_kept_out_of_answers(corpus_index: Path) -> None:
    store = store_of(corpus_index)
    noise = [p.text for p in store.all_passages(kind="noise")]
    body = " ".join(p.text for p in store.all_passages())
    for junk in ("This page is automatically generated", "Developed by StudentB", "thereby introdu ...",
                 "Springer, Cham2020"):
        assert any(junk in t for t in noise), junk
        assert junk not in body


@pytest.mark.slow  # ingests the corpus three times, over 1 s
def test_rerun_on_unchanged_corpus_does_no_embedding(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    first = ingest([corpus], tmp_path / "idx")
    assert first.embedded > 0
    gen = current_generation(tmp_path / "idx")
    again = ingest([corpus], tmp_path / "idx")
    assert again.up_to_date and again.embedded == 0
    assert current_generation(tmp_path / "idx") == gen
    (corpus / "extra.txt").write_text("Glaciers are slow rivers of ice. They carve valleys over millennia.\n")
    third = ingest([corpus], tmp_path / "idx")
    assert not third.up_to_date
    assert third.embedded == 1 and third.reused == first.embedded
    assert third.documents == 3


def test_other_model_or_format_is_refused(tmp_path: Path, corpus_index: Path) -> None:
    import json

    from index.bundle import BundleError

    copy = tmp_path / "idx"
    shutil.copytree(corpus_index, copy)
    gen = current_generation(copy)
    assert gen is not None
    manifest = json.loads((gen / "manifest.json").read_text())
    (gen / "manifest.json").write_text(json.dumps({**manifest, "model": "some-other-model"}))
    with pytest.raises(BundleError, match=r"some-other-model.*sourcebook ingest"):
        Engine(copy)
    (gen / "manifest.json").write_text(json.dumps({**manifest, "format_version": 99}))
    with pytest.raises(BundleError, match="format 99"):
        Engine(copy)


def test_every_body_passage_has_one_stored_vector_per_sentence(engine: Engine) -> None:
    rows = engine.sentence_rows
    assert len(rows) == engine.vectors.shape[0] + 1 and rows[-1] == engine.sentence_vectors.shape[0]
    for hit in engine.search("security dilemma", k=5):
        vectors = engine.corpus.sentence_vectors_of(hit)
        assert hit.row >= 0 and vectors.shape == (len(hit.passage.sentences), engine.vectors.shape[1])
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-2)  # stored as float16


def test_with_a_progress_bar_embedding_moves_it_chunk_by_chunk(tmp_path: Path, corpus_index: Path) -> None:
    """The web app's bar moves within the embedding step; the vectors are the same as in one call."""
    from index.bundle import load_embeddings
    from index.settings import Settings

    steps: list[tuple[str, float]] = []
    report = ingest([CORPUS], tmp_path / "idx", Settings().with_(embed_chunk=3),
                    on_progress=lambda t, f: steps.append((t, f)))
    chunks = [t for t, _ in steps if t.startswith("embedding passages:")]
    n = report.passages
    # Each chunk says how far it is and, until the last, about how long is left.
    assert [t.split(", about")[0] for t in chunks] == [f"embedding passages: {min(i, n)} of {n} done"
                                                       for i in range(3, n + 3, 3)]
    assert all(re.search(r", about \d+ (s|min) left$", t) for t in chunks[:-1]) and "about" not in chunks[-1]
    fractions = [f for _, f in steps]
    assert fractions == sorted(fractions)
    ours, whole = (load_embeddings(current_generation(p) or p) for p in (tmp_path / "idx", corpus_index))
    assert ours.shape == whole.shape and np.allclose(ours, whole, atol=1e-4)


def test_without_a_progress_bar_passages_are_still_embedded_a_chunk_at_a_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model's token vectors (256 x 384 floats a passage) are held for one chunk, never for the
    whole corpus: one call for a 4 MB line took 2.3 GB, in chunks 1.6 GB, and 20 MB stayed at 2.1 GB."""
    from index.embedder import Embedder
    from index.settings import Settings

    sizes: list[int] = []
    real = Embedder.encode_passages

    def counted(self: Embedder, texts: list[str], *args: object, **kwargs: object) -> object:
        sizes.append(len(texts))
        return real(self, texts, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Embedder, "encode_passages", counted)
    report = ingest([CORPUS], tmp_path / "idx", Settings().with_(embed_chunk=4))
    assert sum(sizes) == report.passages > 8 and max(sizes) == 4


@pytest.mark.slow  # the demo corpus embedded twice
def test_vectors_are_staged_in_files_and_come_out_as_made_in_memory(tmp_path: Path) -> None:
    """Vectors go to .npy files beside the index as they are made (memory grows with the batch, not
    the corpus); the bundle holds the same vectors as an embedding kept in memory, and no staging
    folder outlives the ingestion."""
    from index.bundle import current_generation, load_embeddings, load_sentence_vectors
    from index.settings import Settings
    from index.store import Store
    from ingest.pipeline import IngestReport, _embed

    settings = Settings().with_(embed_chunk=3)
    ingest([CORPUS], tmp_path / "idx", settings)
    assert not [p.name for p in (tmp_path / "idx").iterdir() if p.name.startswith(".tmp-gen")]
    gen = current_generation(tmp_path / "idx")
    assert gen is not None
    body = list(Store(gen / "store.sqlite").all_passages())
    fresh = tmp_path / "elsewhere"  # no previous index: every passage embedded again, in memory
    vectors, _, sentences, rows = _embed(body, settings, fresh, False, IngestReport(index_dir=fresh))
    assert not isinstance(vectors, np.memmap) and sentences.dtype == np.float16
    stored, (stored_sentences, stored_rows) = load_embeddings(gen), load_sentence_vectors(gen)
    assert np.array_equal(stored, vectors) and np.array_equal(stored_rows, rows)
    assert np.array_equal(stored_sentences, sentences)


def test_the_summary_counts_files_read_in_part_not_their_warnings() -> None:
    """A .bib with twenty entries left out is one file read in part (it said 21 files)."""
    from ingest.pipeline import FileFailure, IngestReport

    report = IngestReport(index_dir=Path("idx"))
    report.warnings = [FileFailure("a.bib", "entry 1 left out"), FileFailure("a.bib", "entry 2 left out"),
                       FileFailure("b.pdf", "page(s) 2 failed inside pypdf and were left out")]
    assert report.summary().endswith("; 2 file(s) read in part")


def test_time_left_reads_as_a_person_says_it() -> None:
    from ingest.pipeline import _duration

    assert [_duration(x) for x in (0.2, 40.4, 200, 3900)] == ["1 s", "40 s", "3 min", "1 h 5 min"]


@pytest.mark.slow  # 150 reference entries embedded
def test_the_summary_counts_every_second_spent_embedding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 10,000-entry list took minutes to embed while the summary said "(1.1s embedding)": the
    reference entries and question headings are embedded too, and counted."""
    import time

    from index.embedder import Embedder

    spent = [0.0]
    real = Embedder.encode

    def timed(self: Embedder, *args: object, **kwargs: object) -> object:
        started = time.perf_counter()
        try:
            return real(self, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            spent[0] += time.perf_counter() - started

    monkeypatch.setattr(Embedder, "encode", timed)
    entries = "\n\n".join(f"Author{i} A ({1900 + i}). \u201cTitle number {i}.\u201d Journal of Things, {i}(1), 1-9."
                          for i in range(150))
    (tmp_path / "survey.txt").write_text("A survey\n\nAs Author3 (1903) showed, things hold.\n\nReferences\n\n"
                                         + entries + "\n")
    report = ingest([tmp_path / "survey.txt"], tmp_path / "idx")
    assert report.references == 150 and spent[0] > 0
    assert report.embed_seconds >= spent[0] and f"({report.embed_seconds:.1f}s embedding)" in report.summary()
