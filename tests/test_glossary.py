"""The glossary end to end: real corpus, real ingestion, real model; then look-ups and curation."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from index.bundle import current_generation
from index.glossary import Glossary, fold, term_key
from index.models import GlossaryEntry
from index.store import Store
from ingest.curated import CuratedError, parse
from ingest.glossary import build_glossary
from ingest.pipeline import ingest

from .conftest import CORPUS, load_jsonl

DEV = load_jsonl("glossary-dev.jsonl")
BOILERPLATE = ["This page", "Springer", "Cham2020", "Developed by", "StudentB"]


def entries_of(index_dir: Path) -> list[GlossaryEntry]:
    gen = current_generation(index_dir)
    assert gen is not None
    return Store(gen / "store.sqlite").glossary()


def passages_of(index_dir: Path) -> dict[str, str]:
    gen = current_generation(index_dir)
    assert gen is not None
    return {p.id: p.text for p in Store(gen / "store.sqlite").all_passages()}


@pytest.fixture(scope="module")
def glossary_index(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Path:
    index_dir = tmp_path_factory.mktemp("glossary") / "index"
    report = ingest([CORPUS], index_dir, glossary_builder=build_glossary)
    assert not report.errors, report.errors
    assert report.glossary > 0
    return index_dir


@pytest.fixture(scope="module")
def entries(glossary_index: Path) -> list[GlossaryEntry]:
    return entries_of(glossary_index)


@pytest.fixture(scope="module")
def terms(entries: list[GlossaryEntry]) -> Glossary:
    return Glossary(entries)


# --- the development targets --------------------------------------------------------------


@pytest.mark.parametrize("case", DEV, ids=[c["term"] for c in DEV])
def test_dev_term_is_extracted_with_its_aliases_and_definition(case: dict[str, Any], terms: Glossary) -> None:
    entry = terms.lookup(case["term"])
    assert entry is not None, f"{case['term']!r} missing; closest: {terms.closest(case['term'])}"
    assert fold(entry.term).replace("-", " ") == fold(case["term"]).replace("-", " "), entry.term
    for alias in case["aliases"]:
        assert terms.lookup(alias) is entry, alias
        assert alias in entry.aliases
    for text in case["definition_contains"]:
        assert text in entry.definition, entry.definition


def test_definitions_are_verbatim_and_cited(entries: list[GlossaryEntry], glossary_index: Path) -> None:
    texts = passages_of(glossary_index)
    for e in entries:
        assert e.citation is not None, e.term
        assert e.citation.passage_id in texts, e.term
        assert e.definition in texts[e.citation.passage_id], e.term  # quoted, never rewritten
        assert e.citation.document.endswith(".txt")


def test_entries_have_mentions_kinds_and_related_terms(entries: list[GlossaryEntry], terms: Glossary) -> None:
    names = {e.term for e in entries}
    dilemma = terms.lookup("security dilemma")
    assert dilemma is not None and dilemma.kind == "concept"
    assert dilemma.mention_count >= 5 and len(dilemma.mention_passages) >= 3
    assert dilemma.citation is not None and dilemma.citation.passage_id in dilemma.mention_passages
    assert dilemma.related and set(dilemma.related) <= names and dilemma.term not in dilemma.related
    for e in entries:
        assert e.mention_count >= 1 and e.mention_passages, e.term
        assert set(e.related) <= names, e.term


def test_people_are_found_by_cue_and_named_as_cited(terms: Glossary) -> None:
    mearsheimer = terms.lookup("John Mearsheimer")
    assert mearsheimer is not None and mearsheimer.kind == "person"
    assert "John Joseph Mearsheimer" in mearsheimer.aliases
    assert "American political scientist" in mearsheimer.definition
    for name in ("John H. Herz", "Herbert Butterfield", "Kenneth Waltz", "Robert Jervis"):
        entry = terms.lookup(name)
        assert entry is not None and entry.kind == "person", name


def test_multi_word_concepts_and_schools_of_thought(terms: Glossary) -> None:
    for term in ("defensive realism", "offensive realism", "offense-defense balance", "international relations"):
        entry = terms.lookup(term)
        assert entry is not None and entry.kind == "concept", term
    balance = terms.lookup("balance of power")
    assert balance is not None and "balance-of-power" in balance.aliases  # a hyphen variant seen in the corpus


@pytest.mark.parametrize("name", BOILERPLATE)
def test_no_terms_from_boilerplate_attributions_or_snippets(name: str, entries: list[GlossaryEntry]) -> None:
    for e in entries:
        for n in (e.term, *e.aliases):
            assert fold(name) not in fold(n), (name, e.term)
            assert term_key(name) != term_key(n)


# --- look-up ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, term",
    [
        ("spiral model", "security dilemma"),
        ("SECURITY DILEMMA", "security dilemma"),
        ("security dilemmas", "security dilemma"),
        ("Offense–defense balance", "offense-defense balance"),
        ("offence-defence balance", "offense-defense balance"),
        ("offense defense balance", "offense-defense balance"),
        ("Mearsheimer", "John Mearsheimer"),
        ("mearshiemer", "John Mearsheimer"),
        ("secuirty dilema", "security dilemma"),
        ("balance of powr", "balance of power"),
        ("  balance   of power ", "balance of power"),
        ("John Herz", "John H. Herz"),  # a person's initial may be left out
    ],
)
def test_lookup_forgives_case_dashes_plurals_and_typos(query: str, term: str, terms: Glossary) -> None:
    entry = terms.lookup(query)
    assert entry is not None and entry.term == term, (query, entry and entry.term)


def test_lookup_does_not_guess_a_different_word(terms: Glossary) -> None:
    assert terms.lookup("nuclear deterrence") is None
    assert terms.lookup("") is None
    assert terms.lookup("xyz") is None
    assert terms.exact("John") is None  # dropping initials never leaves a single word
    close = terms.closest("security dilemmma")
    assert close and close[0] == "security dilemma"
    assert len(terms.closest("realism", n=3)) == 3


def test_entries_sorted_a_to_z(terms: Glossary) -> None:
    names = [fold(e.term) for e in terms.entries_sorted()]
    assert names == sorted(names)


def test_find_in_text_longest_first_once_each_with_aliases(terms: Glossary) -> None:
    text = ("Offensive realism differs from realism; the spiral model (the security dilemma) and the "
            "balance-of-power system. Offensive realism again; a security_dilemma identifier is not a term.")
    found = terms.find_in_text(text)
    got = [(text[s:e], entry.term) for s, e, entry in found]
    assert got == [
        ("Offensive realism", "offensive realism"),
        ("realism", "realism"),
        ("spiral model", "security dilemma"),
        ("balance-of-power", "balance of power"),
    ]
    assert [s for s, _, _ in found] == sorted(s for s, _, _ in found)


def test_find_in_text_respects_word_bounds_and_punctuation(terms: Glossary) -> None:
    assert terms.find_in_text("the balance. Of power") == []
    assert terms.find_in_text("unrealism and surrealism") == []


# --- curated data ------------------------------------------------------------------------

CURATED = """
hide = ["international relations theory"]

[terms."Security dilemma"]
definition = "A situation in which one state's efforts to increase its security make other states less secure."
add_aliases = ["SD"]

[terms."structural realism"]
definition = "The security dilemma is the core assumption of defensive realism."
kind = "concept"
aliases = ["neorealism"]

[terms."Kenneth Waltz"]
hidden = true
"""


@pytest.fixture(scope="module")
def curated_index(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("curated")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "glossary.toml").write_text(CURATED, encoding="utf-8")
    index_dir = root / "index"
    ingest([corpus], index_dir, glossary_builder=build_glossary)
    return corpus, index_dir


def _check_curated(entries: list[GlossaryEntry]) -> None:
    terms = Glossary(entries)
    dilemma = terms.lookup("security dilemma")
    assert dilemma is not None and dilemma.curated
    assert dilemma.term == "Security dilemma"  # the curated spelling is shown
    assert dilemma.definition.startswith("A situation in which")
    assert dilemma.citation is None  # not a quotation of the corpus
    assert terms.lookup("SD") is dilemma and terms.lookup("spiral model") is dilemma
    new = terms.lookup("neorealism")
    assert new is not None and new.term == "structural realism" and new.curated
    assert new.citation is not None  # the curated text stands verbatim in a passage
    hidden = terms.lookup("international relations theory")
    assert hidden is None or hidden.term == "international relations"
    assert all(e.term != "international relations theory" for e in entries)
    assert all(e.term != "Kenneth Waltz" and "Kenneth Waltz" not in e.related for e in entries)
    assert not [e for e in entries if e.curated and e.term not in ("Security dilemma", "structural realism")]


def test_curated_entries_win_and_survive_reingestion(curated_index: tuple[Path, Path]) -> None:
    corpus, index_dir = curated_index
    _check_curated(entries_of(index_dir))
    # A forced rebuild extracts everything again; the curated data is applied again.
    ingest([corpus], index_dir, glossary_builder=build_glossary, force=True)
    _check_curated(entries_of(index_dir))
    # Editing the curated file is a change of input: the next ingestion rebuilds.
    (corpus / "glossary.toml").write_text(CURATED.replace('hide = ["international relations theory"]', ""))
    report = ingest([corpus], index_dir, glossary_builder=build_glossary)
    assert not report.up_to_date
    assert any(e.term == "international relations theory" for e in entries_of(index_dir))


@pytest.mark.parametrize(
    "text, message",
    [
        ("hide = [", "not valid TOML"),
        ("colour = 1", "unknown key"),
        ('[terms."x"]\nkind = "animal"', "kind must be one of"),
        ('[terms."x"]\ndefinitoin = "typo"', "unknown key"),
        ("hide = [1, 2]", "list of strings"),
    ],
)
def test_bad_curated_file_is_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(CuratedError, match=message):
        parse(text, "glossary.toml")


def test_curated_new_term_without_definition_is_refused(entries: list[GlossaryEntry]) -> None:
    from ingest.curated import apply

    with pytest.raises(CuratedError, match="needs a definition"):
        apply(entries, parse('[terms."no such term"]\naliases = ["x"]'), [])


def test_names_with_initials_are_found_in_text() -> None:
    from index.glossary import Glossary
    from index.models import GlossaryEntry

    g = Glossary([GlossaryEntry("John H. Herz", "person", "…", None, aliases=("Herz",))])
    text = "The term was first coined by the German scholar John H. Herz in a 1950 study."
    assert [(text[s:e], entry.term) for s, e, entry in g.find_in_text(text)] == [("John H. Herz", "John H. Herz")]
