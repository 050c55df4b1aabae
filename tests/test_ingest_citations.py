"""In-text author-year citations (ingest/citations.py) linked to reference entries, and an ingested
article whose sentences carry the labels of the works they cite."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.models import Reference
from ingest.citations import AuthorYear


def ref(label: str, year: str, *authors: str) -> Reference:
    return Reference(id=f"a.pdf#{label}", document="a.pdf", label=label, raw=label, authors=authors, year=year)


REFS = [
    ref("White1980", "1980", "White H"),
    ref("White2000", "2000", "White H"),
    ref("MacKinnon1985", "1985", "MacKinnon JG", "White H"),
    ref("Newey1987", "1987", "Newey WK", "West KD"),
    ref("Newey1994", "1994", "Newey WK", "West KD"),
    ref("Andrews1991", "1991", "Andrews DWK"),
    ref("Zeileis2006a", "2006", "Zeileis A"),
    ref("Zeileis2006b", "2006", "Zeileis A"),
    ref("Bates2015a", "2015", "Bates D"),
    ref("Bates2015b", "2015", "Bates D", "Maechler M"),
    ref("Krämer1986", "1986", "W. Krämer", "H. Sonnberger"),
    ref("CribariNeto2004", "2004", "Cribari-Neto F"),
    ref("Team2008", "2008", "R Development Core Team"),
    ref("Pinheiro2014", "2014", "Pinheiro J", "Bates D", "DebRoy S"),
]


@pytest.mark.parametrize(("sentence", "labels"), [
    ("It was suggested by White (1980).", ["White1980"]),
    ("(White 1980; MacKinnon and White 1985; Newey and West 1987, 1994; Andrews 1991, among others)",
     ["White1980", "MacKinnon1985", "Newey1987", "Newey1994", "Andrews1991"]),
    ("Newey and West (1987, 1994) proposed it.", ["Newey1987", "Newey1994"]),
    ("as in Zeileis (2006b) and (see Zeileis 2006a, p. 3)", ["Zeileis2006b", "Zeileis2006a"]),
    # Either of two entries: the citation names both, and the audit flags it.
    ("Zeileis (2006) showed it.", ["Zeileis2006a|Zeileis2006b"]),
    ("(see e.g., Greene 1993; White 2000)", ["White2000"]),  # Greene has no entry here
    ("the MixedModels package (Bates 2015) and Matrix (Bates and Maechler 2015)", ["Bates2015a", "Bates2015b"]),
    ("the nlme package (Pinheiro et al. 2014)", ["Pinheiro2014"]),
    ("from the book of Krämer and Sonnberger (1986)", ["Krämer1986"]),
    ("Cribari-Neto (2004) suggested HC4.", ["CribariNeto2004"]),
    ("the R system (R Development Core Team 2008)", ["Team2008"]),
])
def test_author_year_citations_are_linked(sentence: str, labels: list[str]) -> None:
    assert AuthorYear(REFS).labels(sentence) == labels


@pytest.mark.parametrize("sentence", [
    "White won the prize in 1980.",  # a year outside parentheses is not a citation
    "In 1980 (a good year) White wrote.",
    "The data cover (1980 to 1990) the whole decade.",  # no author named
    "Smith (1980) disagreed.",  # an author with no entry of that year
    "Zeileis (2004) was first.",
])
def test_prose_years_and_unknown_authors_link_nothing(sentence: str) -> None:
    assert AuthorYear(REFS).labels(sentence) == []


ARTICLE = """# Robust covariances

Heteroskedasticity consistent covariances were suggested by White (1980) and refined later
(MacKinnon and White 1985). In R the estimate is indexed as phi[2] and pars$theta[1] in code.
Both tests are described by Zeileis (2006).

# References

MacKinnon JG, White H (1985). “Some Heteroskedasticity-Consistent Covariance Matrix Estimators
with Improved Finite Sample Properties.” Journal of Econometrics, 29, 305–325.

White H (1980). “A Heteroskedasticity-Consistent Covariance Matrix Estimator and a Direct Test
for Heteroskedasticity.” Econometrica, 48, 817–838.

Zeileis A (2006a). “Implementing a Class of Structural Change Tests.” Computational Statistics
& Data Analysis, 50(11), 2987–3008.

Zeileis A (2006b). “Object-Oriented Computation of Sandwich Estimators.” Journal of Statistical
Software, 16(9), 1–16.
"""


def test_an_ingested_article_links_its_citations_and_reads_code_subscripts_as_text(tmp_path: Path) -> None:
    from index.audit import audit
    from index.engine import Engine
    from ingest.pipeline import ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "robust.md").write_text(ARTICLE, encoding="utf-8")
    report = ingest([corpus], tmp_path / "index")
    assert not report.errors, report.errors
    engine = Engine(tmp_path / "index")
    found = audit(engine.corpus)
    cited = {r.reference.label: [c.sentence for c in r.cited_by] for r in found.references}
    assert set(cited) == {"MacKinnon1985", "White1980", "Zeileis2006a", "Zeileis2006b"}
    assert len(cited["White1980"]) == 1 and cited["White1980"] == cited["MacKinnon1985"]  # one sentence, both
    # "Zeileis (2006)" may mean either entry: flagged, and neither is called never cited.
    assert [(a.labels, a.sentence) for a in found.ambiguous] == [
        (("Zeileis2006a", "Zeileis2006b"), "Both tests are described by Zeileis (2006).")]
    assert not found.uncited and not cited["Zeileis2006a"]
    assert "Citations that fit several entries:" in found.text()
    # "[2]" after a name is code, not a footnote marker, in an article with an author-year list.
    assert not found.unresolved_markers
    assert any("phi[2] and pars$theta[1]" in p.text for p in engine.corpus.store.all_passages())
