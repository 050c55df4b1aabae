"""Removing a document added in the web app (ingest/remove.py): real ingestion, copies of the corpus index."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from index import bundle
from index.engine import Engine
from ingest.remove import drop_manifest_table, removable, remove_upload
from ingest.upload import Upload, add_uploads
from tests.conftest import CORPUS

OTTERS = (b"Otters\n\nThe sea otter cracks shellfish open with a stone it keeps in a pouch of loose skin "
          b"under its forearm. Sea otters hold hands while they sleep so they do not drift apart.\n")
HERONS = b"Herons\n\nThe grey heron stands motionless in shallow water for an hour before it strikes at a fish.\n"
QUESTION = "What do sea otters do while they sleep?"


@pytest.fixture
def uploaded(tmp_path: Path, corpus_index: Path) -> tuple[Path, Path, list[str]]:
    """A copy of the corpus and its index with two documents added in the web app."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(corpus_index, index)
    result = add_uploads(corpus, index, [Upload("Sea otters.md", OTTERS), Upload("Herons.txt", HERONS)])
    assert not result.problems and result.failure is None
    # Someone's own note in the manifest, which removing must leave alone.
    with open(corpus / "manifest.toml", "a", encoding="utf-8") as fh:
        fh.write("\n# my own note about the herons\n")
    return corpus, index, [s.doc_id for s in result.added]


@pytest.mark.parametrize(("doc_id", "ok"), [
    ("uploads/0123456789abcdef.pdf", True),
    ("uploads/0123456789abcdef.md", True),
    ("uploads/0123456789abcdef.txt", True),
    ("security-dilemma-encyclopedia.txt", False),  # put in the corpus folder by hand
    ("uploads/0123456789ABCDEF.pdf", False),
    ("uploads/0123456789abcde.pdf", False),
    ("uploads/../0123456789abcdef.pdf", False),
    ("/etc/0123456789abcdef.txt", False),
    ("uploads/0123456789abcdef.exe", False),
    ("uploads/sub/0123456789abcdef.md", False),
])
def test_only_generated_upload_names_are_removable(doc_id: str, ok: bool) -> None:
    assert removable(doc_id) is ok


def test_remove_takes_the_document_out_of_folder_manifest_and_index(uploaded: tuple[Path, Path, list[str]]) -> None:
    corpus, index, (otters, herons) = uploaded
    assert Engine(index).ask(QUESTION).citations[0].passage.document == otters
    result = remove_upload(corpus, index, otters)
    assert result.failure is None and result.report is not None
    assert result.report.embedded == 0  # every other passage's vectors are reused
    assert not (corpus / otters).exists()
    assert [p.name for p in (corpus / "uploads").iterdir() if p.name.startswith(".removing")] == []
    manifest = (corpus / "manifest.toml").read_text(encoding="utf-8")
    assert otters not in tomllib.loads(manifest) and herons in tomllib.loads(manifest)
    assert "# my own note about the herons" in manifest
    engine = Engine(index)
    assert otters not in {d.id for d in engine.store.documents()}
    assert herons in {d.id for d in engine.store.documents()}
    answer = engine.ask(QUESTION)
    assert all(c.passage.document != otters for c in answer.citations)


def test_a_busy_index_leaves_everything_as_it_was(uploaded: tuple[Path, Path, list[str]]) -> None:
    corpus, index, (otters, _) = uploaded
    before = (corpus / "manifest.toml").read_text(encoding="utf-8")
    with bundle.lock(index):
        result = remove_upload(corpus, index, otters)
    assert result.failure and "another ingestion" in result.failure and "still there" in result.failure
    assert (corpus / otters).read_bytes() == OTTERS
    assert (corpus / "manifest.toml").read_text(encoding="utf-8") == before
    assert otters in {d.id for d in Engine(index).store.documents()}


def test_hand_placed_and_missing_documents_are_not_removed(uploaded: tuple[Path, Path, list[str]]) -> None:
    corpus, index, _ = uploaded
    own = next(p.name for p in CORPUS.iterdir() if p.suffix == ".txt")
    result = remove_upload(corpus, index, own)
    assert result.failure and "not added in the web app" in result.failure and (corpus / own).exists()
    result = remove_upload(corpus, index, "uploads/0123456789abcdef.md")
    assert result.failure and "not in the corpus folder" in result.failure and result.report is None


def test_the_last_document_stays(tmp_path: Path, embedder: object) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (doc,) = [s.doc_id for s in add_uploads(corpus, index, [Upload("otters.md", OTTERS)]).added]
    result = remove_upload(corpus, index, doc)
    assert result.failure and "no document could be ingested" in result.failure
    assert (corpus / doc).exists() and Engine(index).stats()["documents"] == 1


def test_drop_manifest_table_cuts_only_that_table(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.toml"
    text = ('# header comment\n["a.txt"]\ntitle = "A"\n\n["uploads/0123456789abcdef.md"]\ntitle = "x [y]"\n'
            'source = "uploaded"\n\n# about b\n["b.txt"]\ntitle = "B"\n')
    manifest.write_text(text, encoding="utf-8")
    assert drop_manifest_table(manifest, "uploads/0123456789abcdef.md")
    assert manifest.read_text(encoding="utf-8") == ('# header comment\n["a.txt"]\ntitle = "A"\n\n'
                                                    '# about b\n["b.txt"]\ntitle = "B"\n')
    assert not drop_manifest_table(manifest, "uploads/0123456789abcdef.md")
    assert not drop_manifest_table(tmp_path / "missing.toml", "a.txt")
