"""Markdown files are cut by their CommonMark structure (ingest/markdown.py): exact block spans,
heading levels that build section paths, code kept whole, tables kept out of answers."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from index.bundle import current_generation
from index.models import Passage
from index.store import Store
from ingest.markdown import markdown_blocks, read_markdown
from ingest.pipeline import ingest
from ingest.readers import read_text_file
from ingest.references import find_references
from ingest.text import normalise

# Every construct the reader maps, with what each block must hold.
DOC = """---
title: Otters
tags: [mammals]
---

# Sea otters ##

Sea otters live in the
North Pacific.


Diet and tools
==============

- Otters crack clams
  on their bellies.
- They keep a favourite rock.

1. First they dive.

   Then they surface.
2. They eat afloat.

> Otters hold hands
> while they sleep.

```python
def crack(shell):
    return shell.open()
```

    indented code
        stays indented

| Species | Weight |
|---------|--------|
| Sea otter | 45 kg |

<div class="note">A raw HTML note.</div>

***

> ## Quoted heading
"""

EXPECTED = [  # (kind, level, after_gap, text)
    ("heading", 1, False, "Sea otters"),
    ("prose", 0, False, "Sea otters live in the\nNorth Pacific."),
    ("heading", 1, True, "Diet and tools"),
    ("prose", 0, False, "- Otters crack clams\n  on their bellies."),
    ("prose", 0, False, "- They keep a favourite rock."),
    ("prose", 0, False, "1. First they dive."),
    ("prose", 0, False, "Then they surface."),
    ("prose", 0, False, "2. They eat afloat."),
    ("prose", 0, False, "Otters hold hands\n> while they sleep."),
    ("code", 0, False, "def crack(shell):\n    return shell.open()"),
    ("code", 0, False, "    indented code\n        stays indented"),
    ("figure", 0, False, "| Species | Weight |\n|---------|--------|\n| Sea otter | 45 kg |"),
    ("prose", 0, False, '<div class="note">A raw HTML note.</div>'),
    ("prose", 0, False, "Quoted heading"),  # a heading inside a quote names no section
]


def described(text: str, **window: int) -> list[tuple[str, int, bool, str]]:
    return [(b.kind, b.level, b.after_gap, text[b.start : b.end]) for b in markdown_blocks(text, **window)]


def test_every_construct_maps_to_its_block_with_exact_offsets() -> None:
    text = normalise(DOC)
    assert described(text) == EXPECTED


def test_blocks_are_ordered_and_never_overlap() -> None:
    text = normalise(DOC)
    found = markdown_blocks(text)
    assert all(a.end <= b.start for a, b in pairwise(found))
    assert all(b.start < b.end for b in found)


def test_small_windows_parse_as_the_whole_text() -> None:
    text = normalise(DOC + "\nA closing paragraph after the quote.\n")
    whole = markdown_blocks(text)
    assert len(whole) == len(EXPECTED) + 1
    for size in (1, 7, 40, 120, 500):
        assert markdown_blocks(text, window_chars=size) == whole, size


def test_a_block_too_large_to_parse_is_refused_and_the_reader_falls_back(tmp_path: Path) -> None:
    table = "| a | b |\n|---|---|\n" + "| 1 | 2 |\n" * 40
    with pytest.raises(ValueError, match="too large to parse"):
        markdown_blocks(table, window_chars=50, max_window_chars=200)
    assert markdown_blocks(table, window_chars=50, max_window_chars=1000)[0].kind == "figure"
    huge = tmp_path / "huge.md"
    huge.write_text("# Title\n\n" + "word " * 220_000 + "\n", encoding="utf-8")  # one line over the cap
    assert read_text_file(huge, 10**7).blocks is None


@pytest.mark.parametrize(("name", "parsed"), [
    ("notes.md", True), ("notes.markdown", True), ("NOTES.MD", True),
    ("notes.txt", False), ("notes.rst", False), ("notes.text", False),
])
def test_only_markdown_files_get_parsed_blocks(tmp_path: Path, name: str, parsed: bool) -> None:
    path = tmp_path / name
    path.write_text("# Otters\n\nOtters float.\n", encoding="utf-8")
    raw = read_text_file(path, 10_000)
    found = None if raw.blocks is None else [(b.kind, raw.text[b.start : b.end]) for b in raw.blocks]
    assert found == ([("heading", "Otters"), ("prose", "Otters float.")] if parsed else None)


def test_inline_markup_reads_as_the_words_it_shows() -> None:
    """Links, emphasis, code spans, images and inline HTML read as text; a reference-style link is
    resolved by its definition; a DOI target stays beside a title that does not show it; a row of
    badges and a block of tags alone make no block. Code keeps its markup, and every block's span
    is exact in the text read."""
    text, blocks = read_markdown(normalise(
        "[![build](https://ci.example/badge.svg)](https://ci.example)\n\n"
        "# The *otter* `README`\n\n"
        "Pandoc is a [Haskell](https://haskell.org) library, see **the [guide][g]**.\n"
        "It runs <b>fast</b> ![a logo](logo.png) &amp; well.\n\n"
        "- Estes, J. (1974). [Sea otters](https://doi.org/10.1126/science.185.4156.1058). Science.\n\n"
        '<div id="formats">\n\n'
        "```\nx = [a](b)\n```\n\n"
        "[g]: https://example.org/guide\n"))
    assert [(b.kind, text[b.start:b.end]) for b in blocks] == [
        ("heading", "The otter README"),
        ("prose", "Pandoc is a Haskell library, see the guide.\nIt runs fast a logo & well."),
        ("prose", "- Estes, J. (1974). Sea otters (https://doi.org/10.1126/science.185.4156.1058). Science."),
        ("code", "x = [a](b)"),
    ]
    assert "[g]: https://example.org/guide" in text  # between blocks, the text stays as written


def test_list_items_are_separate_blocks_even_when_tight() -> None:
    text = normalise("Otters eat:\n- clams\n- urchins, when\n  they find them\n* crabs\n")
    assert described(text) == [
        ("prose", 0, False, "Otters eat:"),
        ("prose", 0, False, "- clams"),
        ("prose", 0, False, "- urchins, when\n  they find them"),
        ("prose", 0, False, "* crabs"),
    ]


def test_empty_headings_and_code_blocks_make_no_blocks() -> None:
    text = normalise("#\n\n```\n```\n\nOtters float.\n~~~\n")
    assert described(text) == [("prose", 0, False, "Otters float.")]


def test_a_wide_gap_marks_the_next_block() -> None:
    text = normalise("One answer ends here.\n\nIts second paragraph.\n\n\n\nThe next answer starts.\n")
    assert [b.after_gap for b in markdown_blocks(text)] == [False, False, True]


def test_numbered_notes_under_a_markdown_heading_are_references() -> None:
    text = normalise(
        "Otters were studied early.[1]\n\n## Notes\n\n"
        '1. Jervis, Robert. 1978. "Cooperation under the Security Dilemma." World Politics 30 (2): 167–214.\n'
        '2. Snyder, Glenn H. 1984. "The Security Dilemma in Alliance Politics." World Politics 36 (4): 461–95.\n'
    )
    refs, used = find_references("otters.md", text, list(markdown_blocks(text)))
    assert [r.label for r in refs] == ["1", "2"]
    assert used == {1, 2, 3}  # the heading and both entries; the prose stays
    assert refs[1].authors == ("Snyder, Glenn H.",)


# --- end to end: what the passages of an ingested Markdown file know -------------------

OTTERS = """# Sea otters

Sea otters live along the coasts of the North Pacific Ocean. They rarely come ashore.

## Tools

Sea otters use [stones](https://example.org/stones) to crack open *shellfish*. Few mammals use tools this way.

### Favourite rocks ###

An otter keeps its favourite rock in a pouch of loose skin under the forearm.

```python
def crack(shell):
    return shell.open()


print(crack("clam"))
```

Grooming
--------

Otters groom their dense fur for hours every day to stay warm in cold water.

| Species | Weight |
|---------|--------|
| Sea otter | 45 kg |
| River otter | 11 kg |
"""


@pytest.fixture(scope="module")
def otter_passages(tmp_path_factory: pytest.TempPathFactory, embedder: object) -> list[Passage]:
    folder = tmp_path_factory.mktemp("otters")
    (folder / "otters.md").write_text(OTTERS, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("otters-index")
    report = ingest([folder], index_dir)
    assert not report.errors, report.errors
    gen = current_generation(index_dir)
    assert gen is not None
    return Store(gen / "store.sqlite").passages_of("otters.md")


def one(passages: list[Passage], words: str) -> Passage:
    (found,) = [p for p in passages if words in p.text]
    return found


def test_headings_name_sections_by_their_levels(otter_passages: list[Passage]) -> None:
    coasts = one(otter_passages, "North Pacific")
    assert (coasts.kind, coasts.section, coasts.section_path) == ("body", "Sea otters", ("Sea otters",))
    tools = one(otter_passages, "stones")
    assert (tools.section, tools.section_path) == ("Tools", ("Sea otters", "Tools"))
    rock = one(otter_passages, "pouch")
    assert (rock.section, rock.section_path) == ("Favourite rocks", ("Sea otters", "Tools", "Favourite rocks"))
    # A setext level-2 heading closes "Tools" and its subsection: levels, not order, build the path.
    fur = one(otter_passages, "groom")
    assert (fur.section, fur.section_path) == ("Grooming", ("Sea otters", "Grooming"))
    assert not any("#" in p.text or "---" in p.text for p in otter_passages if p.kind == "body")
    assert tools.text.startswith("Sea otters use stones to crack open shellfish.")  # the link and emphasis read


def test_fenced_code_is_one_code_passage_kept_whole(otter_passages: list[Passage]) -> None:
    code = one(otter_passages, "def crack")
    assert code.kind == "code"
    assert code.text == 'def crack(shell):\n    return shell.open()\n\n\nprint(crack("clam"))'
    assert code.section_path == ("Sea otters", "Tools", "Favourite rocks")
    assert not any("```" in p.text for p in otter_passages)


def test_a_table_is_kept_out_of_body_passages(otter_passages: list[Passage]) -> None:
    table = one(otter_passages, "45 kg")
    assert (table.kind, table.note) == ("noise", "figure or table text")
    assert "River otter" in table.text and table.section == "Grooming"
    assert not any("kg" in p.text for p in otter_passages if p.kind == "body")
