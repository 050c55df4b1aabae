"""Claim checking against the real corpus with the real model: the development set and crafted claims."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from index.claims import check_claim, conflicts, details, negation_conflict
from index.engine import Engine
from ingest.pipeline import ingest

from .conftest import CORPUS, load_jsonl

CLAIMS = load_jsonl("citations-dev.jsonl")


@pytest.fixture(scope="module")
def claims_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    index_dir = tmp_path_factory.mktemp("claims-index")
    report = ingest([Path(CORPUS)], index_dir)
    assert not report.errors, report.errors
    return Engine(index_dir)


def cited_refs(check: Any) -> list[str]:
    return [(r.raw or "") + " " + (r.title or "") for c in check.evidence for r in c.references]


@pytest.mark.parametrize("case", CLAIMS, ids=lambda c: c["claim"][:40])
def test_development_set(claims_engine: Engine, case: dict[str, Any]) -> None:
    check = check_claim(claims_engine.corpus, case["claim"])
    assert check.verdict == case["verdict"], check.reasons
    if case["verdict"] == "supported":
        refs = cited_refs(check)
        assert any(want in got for want in case["refs"] for got in refs), refs


CONTRADICTED = [
    ("The term security dilemma was coined by John H. Herz in 1960.", "year"),
    ("The term was first coined by the French scholar John H. Herz in a 1950 study.", "nationality"),
    ("Herz and Jervis viewed the security dilemma as being the root cause of all war.", "negation"),
    ("Butterfield viewed anarchy as the ultimate source of the security dilemma.", "negation"),
    ("The term was coined by Robert Jervis in a 1950 study.", "name"),
    ("Mearsheimer was born in 1950.", "year"),
    ("Mearsheimer is a British political scientist.", "nationality"),
    ("The security dilemma is the core assumption of offensive realism.", "opposite"),
]


@pytest.mark.parametrize(("claim", "kind"), CONTRADICTED, ids=[c[:40] for c, _ in CONTRADICTED])
def test_changed_detail_is_contradicted(claims_engine: Engine, claim: str, kind: str) -> None:
    check = check_claim(claims_engine.corpus, claim)
    assert check.verdict == "contradicted", check.reasons
    assert any(r.startswith(kind) for r in check.reasons), check.reasons
    assert check.evidence  # the sentence it contradicts is cited


SUPPORTED = [
    "John Herz, a German academic, introduced the expression in 1950.",
    "Herz and Jervis did not consider the security dilemma to be the cause of every war.",
    "Butterfield saw the security dilemma as the root cause of all war.",
    # the negation elsewhere in the sentence ("but he did not view anarchy") is not this clause's
    "Butterfield did not view anarchy as the ultimate source of the security dilemma.",
    "Military technology and geography have a strong effect on the balance between offense and defense.",
    "Mearsheimer was born in 1947.",
    "Kenneth Waltz argued that survival is the main motivation of states.",
    "The security dilemma is also known as the spiral model.",
    "Herbert Butterfield, a British historian, referred to the situation as the absolute predicament "
    "and irreducible dilemma.",
]


@pytest.mark.parametrize("claim", SUPPORTED, ids=[c[:40] for c in SUPPORTED])
def test_paraphrase_is_supported(claims_engine: Engine, claim: str) -> None:
    check = check_claim(claims_engine.corpus, claim)
    assert check.verdict == "supported", check.reasons
    assert check.evidence and check.evidence[0].quote in check.evidence[0].passage.text


NOT_SUPPORTED = [
    "Bananas are a good source of potassium.",
    "The Eiffel Tower is in Paris.",
    "Kenneth Waltz was born in 1924.",  # on a corpus figure, but the corpus does not say
    "The security dilemma explains why states cooperate under a world government.",
    "The security dilemma was first described by Thomas Hobbes in 1651.",  # every detail differs
]


@pytest.mark.parametrize("claim", NOT_SUPPORTED, ids=[c[:40] for c in NOT_SUPPORTED])
def test_unrelated_or_unattested_claim_is_not_supported(claims_engine: Engine, claim: str) -> None:
    assert check_claim(claims_engine.corpus, claim).verdict == "not_supported"


def test_supported_claim_cites_the_references_of_its_sentence(claims_engine: Engine) -> None:
    check = check_claim(claims_engine.corpus, "The term security dilemma was coined by John H. Herz in 1950.")
    first = check.evidence[0]
    assert "German scholar John H. Herz" in first.quote
    assert [r.label for r in first.references] == ["7", "2"]


def test_to_json_shape(claims_engine: Engine) -> None:
    out = check_claim(claims_engine.corpus, "The term security dilemma was coined by John H. Herz in 1960.").to_json()
    assert set(out) == {"claim", "verdict", "score", "evidence", "shortfalls"}
    assert out["verdict"] == "contradicted" and 0.0 < out["score"] <= 1.0
    assert {"passage_id", "quote", "references"} <= set(out["evidence"][0])


def test_empty_claim(claims_engine: Engine) -> None:
    check = check_claim(claims_engine.corpus, "  ?! ")
    assert check.verdict == "not_supported" and not check.evidence


def test_details_treat_initials_and_sentence_openers_apart() -> None:
    d = details("Consequently the term was coined by the German scholar John H. Herz in 1950.")
    assert d.names == {"john", "herz"} and d.initial == {"consequently"}
    assert d.demonyms == {"german"} and d.years == {"1950"}


def test_conflicts_need_a_different_value_in_the_same_slot() -> None:
    source = "The term was first coined by the German scholar John H. Herz in a 1950 study."
    assert conflicts("Herz coined the term.", source)[0] == []  # fewer details is no conflict
    found, _, anchors = conflicts("Herz coined the term in 1960.", source)
    assert found == ["year: claim says 1960, source says 1950"] and anchors == 1


def test_negation_is_compared_clause_by_clause() -> None:
    source = "Butterfield viewed the dilemma as the cause of war, but he did not view anarchy as its source."
    assert not negation_conflict("Butterfield viewed the dilemma as the cause of war.", source)
    assert negation_conflict("Butterfield viewed anarchy as its source.", source)
    assert not negation_conflict("Butterfield didn't view anarchy as its source.", source)


# --- claims about a work, checked against its reference entry (index/work_claims.py) ----------

PMIP = "Perception and Misperception in International Politics"


@pytest.mark.parametrize(("claim", "verdict", "reason"), [
    (f"Jervis wrote {PMIP} in 1976.", "supported", None),
    (f"Robert Jervis is the author of {PMIP.lower()}.", "supported", None),
    ("Paul Roe published The Intrastate Security Dilemma in 1999.", "supported", None),  # main title only
    (f"Jervis wrote {PMIP} in 1985.", "contradicted", "the reference gives 1976, not 1985"),
    (f"Herz wrote {PMIP}.", "contradicted", "the reference's author is Jervis, Robert, not herz"),
    (f"{PMIP} is a classic of the field.", "not_supported", None),  # nothing the entry records
])
def test_a_claim_about_a_work_is_checked_against_its_reference(claims_engine: Engine, claim: str, verdict: str,
                                                               reason: str | None) -> None:
    check = check_claim(claims_engine.corpus, claim)
    assert check.verdict == verdict, (check.verdict, check.reasons)
    if verdict != "not_supported":
        (citation,) = check.evidence
        assert citation.references and citation.references[0].title and citation.references[0].title.startswith(
            ("Perception", "The Intrastate"))
        assert citation.quote in citation.passage.text  # a sentence that cites the work
    if reason:
        assert reason in check.reasons


def test_a_pronoun_sentence_is_shown_with_the_sentence_it_refers_to(claims_engine: Engine) -> None:
    check = check_claim(claims_engine.corpus, "Mearsheimer is a professor at the University of Chicago.")
    assert check.verdict == "supported"
    quote = check.evidence[0].quote
    assert quote.startswith("John Joseph Mearsheimer") and quote.endswith("University of Chicago.")
    assert quote in check.evidence[0].passage.text


@pytest.mark.parametrize(("author", "key"), [("Jervis, Robert", "jervis"), ("Robert Jervis", "jervis"),
                                             ("van Evera, Stephen", "evera"), ("", "")])
def test_authors_are_compared_by_surname(author: str, key: str) -> None:
    from index.words import surname_key

    assert surname_key(author) == key


def test_what_the_source_makes_an_exception_of_is_not_supported_by_it() -> None:
    from index.claims import excepted

    source = ("lme4 provides tools for generating most of the standard graphical diagnostic plots (with the "
              "exception of those incorporating influence measures, e.g., Cook's distance and leverage plots).")
    assert excepted("lme4 provides influence diagnostics such as Cook's distance.", source) == {
        "cook", "distance", "influence"}
    assert excepted("lme4 provides standard diagnostic plots.", source) == set()
    # A claim that makes the exception itself agrees with the source.
    assert excepted("lme4 provides diagnostic plots except those with Cook's distance.", source) == set()
    found, involved, _ = conflicts("lme4 provides influence diagnostics such as Cook's distance.", source)
    assert any(f.startswith("exception:") for f in found) and "cook" in involved


def test_a_year_in_a_sentence_that_says_something_else_contradicts_nothing() -> None:
    from index.claims import Alignment, _judge
    from index.models import Passage, Provenance, Sentence
    from index.settings import Settings
    from index.words import content_words

    cfg = Settings().claims
    claim = "The zoo package was first released on CRAN in 2004."
    said = "As of September 27, 2011 there are 65 packages on CRAN with dependencies on zoo."
    p = Passage(id="p", at=Provenance("z.pdf", "Z", 9, 0, len(said)), text=said, sentences=(Sentence(0, len(said)),))
    verdict, why = _judge(claim, content_words(claim), Alignment(p, (0,), said, said, 0.65), cfg)
    assert verdict == "not_supported" and any(w.startswith("year:") for w in why)
    # The same statement with another year is a contradiction.
    same = "The zoo package was first released on CRAN in 2011."
    p2 = Passage(id="q", at=Provenance("z.pdf", "Z", 9, 0, len(same)), text=same, sentences=(Sentence(0, len(same)),))
    assert _judge(claim, content_words(claim), Alignment(p2, (0,), same, same, 0.9), cfg)[0] == "contradicted"


@pytest.mark.parametrize(("claim", "source"), [
    ("The quadratic term is significant.", "The quadratic term is clearly non-significant."),
    ("R can release the memory to the operating system.", "R cannot release the memory to the operating system."),
    ("Both tests are robust to outliers.", "Neither test is robust to outliers."),
])
def test_negation_cues_non_cannot_neither(claim: str, source: str) -> None:
    assert negation_conflict(claim, source) and negation_conflict(source, claim)
    assert not negation_conflict(source, source)


def test_a_claim_not_supported_shows_the_closest_passages_and_what_each_lacks(claims_engine: Engine) -> None:
    """Below the contradiction threshold the reader used to see only "cosine 0.53"."""
    check = check_claim(claims_engine.corpus, "Mearsheimer was born in Paris.")
    assert check.verdict == "not_supported" and check.score < claims_engine.settings.claims.contradict_cosine
    assert 1 < len(check.evidence) <= 3 and len(check.shortfalls) == len(check.evidence)
    assert len({c.passage.id for c in check.evidence}) == len(check.evidence)
    assert all("Paris" in why for why in check.shortfalls)
    born = next(c for c in check.evidence if "1947" in c.passage.text)  # the biography is among them
    assert check.shortfalls[check.evidence.index(born)].startswith("it does not mention Paris (similarity")
    assert check.to_json()["shortfalls"] == list(check.shortfalls)
    assert not check_claim(claims_engine.corpus, "The melting point of iron is 1538 degrees.").evidence  # off topic
