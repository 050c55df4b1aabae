"""Library exports beside the documents (ingest/library.py): CSL-JSON read, parsed entries enriched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.models import Reference
from ingest.library import enrich, match, parse_csl_json
from ingest.readers import InputError

CSL = [
    {"id": "zeileis2004", "type": "article-journal", "title": "Econometric Computing with HC and HAC Covariance "
     "Matrix Estimators", "author": [{"family": "Zeileis", "given": "Achim"}], "issued": {"date-parts": [[2004]]},
     "container-title": "Journal of Statistical Software", "volume": "11", "issue": "10", "page": "1-17",
     "DOI": "10.18637/jss.v011.i10"},
    {"id": "core2008", "type": "book", "title": "R: A Language and Environment for Statistical Computing",
     "author": [{"literal": "R Development Core Team"}], "issued": {"date-parts": [[2008]]}, "ISBN": ["3-900051-07-0"]},
]


def test_csl_json_items_become_references() -> None:
    refs = parse_csl_json("library.json", json.dumps(CSL))
    assert [r.id for r in refs] == ["library.json#zeileis2004", "library.json#core2008"]
    z = refs[0]
    assert (z.authors, z.year, z.container, z.volume, z.issue, z.pages, z.doi) == (
        ("Zeileis, Achim",), "2004", "Journal of Statistical Software", "11", "10", "1-17", "10.18637/jss.v011.i10")
    assert refs[1].authors == ("R Development Core Team",) and refs[1].isbn == "3-900051-07-0"


@pytest.mark.parametrize(("text", "reason"), [
    ("{not json", "not valid JSON"),
    ('{"name": "a package manifest"}', "not a CSL-JSON library"),
    ("[1, 2, 3]", "not a CSL-JSON library"),
])
def test_other_json_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        parse_csl_json("x.json", text)


def parsed(title: str, year: str = "2004", author: str = "Zeileis A", doi: str | None = None) -> Reference:
    return Reference(id="a.pdf#Zeileis2004", document="a.pdf", label="Zeileis2004", raw=title, authors=(author,),
                     year=year, title=title, doi=doi)


def test_a_parsed_entry_takes_what_it_lacks_from_its_library_entry() -> None:
    library = parse_csl_json("library.json", json.dumps(CSL))
    # A shortened title matches the full one, which it takes; the DOI and numbers come along.
    (got,) = enrich([parsed("Econometric Computing with HC and HAC Covariance")], library)
    assert got.library == "library.json#zeileis2004"
    assert got.title == "Econometric Computing with HC and HAC Covariance Matrix Estimators"
    assert (got.doi, got.volume, got.container) == ("10.18637/jss.v011.i10", "11", "Journal of Statistical Software")
    # What the list wrote stays as it was.
    (kept,) = enrich([parsed("Econometric Computing with HC and HAC Covariance Matrix Estimators", doi="10.1/x")],
                     library)
    assert kept.doi == "10.1/x" and kept.library == "library.json#zeileis2004"


def test_no_match_without_the_same_author_year_and_title() -> None:
    library = parse_csl_json("library.json", json.dumps(CSL))
    assert match(parsed("Econometric Computing with HC and HAC Covariance Matrix Estimators", year="2006"),
                 library) is None
    assert match(parsed("Econometric Computing with HC and HAC Covariance Matrix Estimators", author="Smith J"),
                 library) is None
    assert match(parsed("Econometric Computing"), library) is None  # too short to stand for the title
    assert enrich([parsed("Other Work")], library)[0].library is None


def test_an_ingested_article_beside_a_library_export(tmp_path: Path) -> None:
    from index.audit import audit
    from index.engine import Engine
    from ingest.pipeline import ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "paper.md").write_text(
        "# Covariances\n\nThe sandwich package was introduced by Zeileis (2004) for robust covariances.\n\n"
        "# References\n\nZeileis A (2004). “Econometric Computing with HC and HAC Covariance Matrix Estimators.” "
        "Journal of Statistical Software, 11(10), 1–17.\n", encoding="utf-8")
    (corpus / "library.json").write_text(json.dumps(CSL), encoding="utf-8")
    report = ingest([corpus], tmp_path / "index")
    assert not report.errors, report.errors
    found = audit(Engine(tmp_path / "index").corpus)
    entry = found.by_id("paper.md#Zeileis2004")
    assert entry.reference.doi == "10.18637/jss.v011.i10" and entry.reference.library == "library.json#zeileis2004"
    assert len(entry.cited_by) == 1
    assert "completed from library.json#zeileis2004" in found.text()


def test_a_bibtex_export_enriches_too() -> None:
    from ingest.references import parse_bibtex

    library = parse_bibtex("library.bib", "@article{zeileis2004, author = {Zeileis, Achim}, year = {2004},\n"
                           " title = {Econometric Computing with {HC} and {HAC} Covariance Matrix Estimators},\n"
                           " journal = {Journal of Statistical Software}, doi = {10.18637/jss.v011.i10}}\n")
    (got,) = enrich([parsed("Econometric Computing with HC and HAC Covariance Matrix Estimators")], library)
    assert got.library == "library.bib#zeileis2004" and got.doi == "10.18637/jss.v011.i10"
