from __future__ import annotations

from index.models import Document
from index.settings import Settings
from ingest.chunk import pack, paragraphs
from ingest.text import blocks, normalise


def cut(raw: str, settings: Settings | None = None) -> list[str]:
    text = normalise(raw)
    doc = Document(id="d.txt", path="d.txt", title="D", sha256="x", text=text)
    return [p.text for p in pack(doc, paragraphs(doc, blocks(text), set(), markers=False), settings or Settings())]


def test_short_paragraphs_are_packed_together() -> None:
    assert cut("First short paragraph.\n\nSecond short paragraph.\n") == [
        "First short paragraph. Second short paragraph."
    ]


def test_passages_do_not_run_across_a_wide_gap() -> None:
    # Where a heading was removed, two blank lines are all that separates two answers.
    got = cut("The old answer ends here.\n\n\nThe new answer starts here. It goes on.\n")
    assert got == ["The old answer ends here.", "The new answer starts here. It goes on."]


def test_every_passage_knows_its_span() -> None:
    raw = "Alpha sentence one. Alpha sentence two.\n\n\nBeta sentence.\n"
    text = normalise(raw)
    doc = Document(id="d.txt", path="d.txt", title="D", sha256="x", text=text)
    for p in pack(doc, paragraphs(doc, blocks(text), set(), markers=False), Settings()):
        assert text[p.start : p.end].split() == p.text.split()


def test_an_admonition_label_opens_no_section() -> None:
    """A "Note" set as a heading labels a box: the paragraphs after it stay in the section around it."""
    from ingest.markdown import markdown_blocks

    text = normalise("## 1.2.6 Timestamps\n\nFiles have three timestamps.\n\n#### Note\n\nctime is not creation time."
                     "\n\n#### Examples\n\nRun ls -l to see them.\n")
    doc = Document(id="d.md", path="d.md", title="D", sha256="x", text=text)
    paths = [(p.units[0].text, p.section_path) for p in paragraphs(doc, list(markdown_blocks(text)), set(), False)]
    assert paths == [("Files have three timestamps.", ("1.2.6 Timestamps",)),
                     ("ctime is not creation time.", ("1.2.6 Timestamps",)),
                     ("Run ls -l to see them.", ("1.2.6 Timestamps", "Examples"))]
