"""Citation audit over the real corpus and over a crafted document with a faulty reference list."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from index.audit import Audit, audit, duplicate_groups, reference_problems
from index.engine import Engine
from index.models import Reference
from ingest.pipeline import ingest

from .conftest import CORPUS

DEMO = "security-dilemma-encyclopedia.txt"

# Entry 1 is clean; 2 has a bad ISSN check digit, 3 a DOI with a 2-digit registrant,
# 4 repeats 1, 5 is never cited, 6 has a bad ISBN check digit; marker [9] has no entry.
BAD_DOC = """Balance of threat

Stephen Walt argued that states balance against threats rather than against power alone.[1] \
Threat combines aggregate power, geographic proximity, offensive capability and perceived intentions.[2][3] \
Alliances form when states face a common threat, as the historical record shows.[4][6] \
Some scholars dispute this account of alliance formation.[9]

References

  1. ^ Walt, Stephen M. (1987). The Origins of Alliances. Cornell University Press. ISBN 978-0-8014-9418-5.
  2. ^ Walt, Stephen M. (1985). "Alliance Formation and the Balance of World Power". International Security. \
9 (4): 3–43. ISSN 0162-2886.
  3. ^ Snyder, Glenn H. (1990). "Alliance Theory: A Neorealist First Cut". Journal of International Affairs. \
44 (1): 103–123. doi:10.12/abc.
  4. ^ Walt, Stephen M. (1987). The Origins of Alliances. Cornell University Press.
  5. ^ Waltz, Kenneth N. (1979). Theory of International Politics. Addison-Wesley. ISBN 978-0-201-08349-1.
  6. ^ Schweller, Randall L. (1998). Deadly Imbalances. Columbia University Press. ISBN 978-0-231-10486-4.
"""


def _engine(tmp_path_factory: pytest.TempPathFactory, corpus: Path, name: str) -> Engine:
    index_dir = tmp_path_factory.mktemp(name)
    report = ingest([corpus], index_dir)
    assert not report.errors, report.errors
    return Engine(index_dir)


@pytest.fixture(scope="module")
def demo_audit(tmp_path_factory: pytest.TempPathFactory) -> Audit:
    return audit(_engine(tmp_path_factory, Path(CORPUS), "audit-demo").corpus)


@pytest.fixture(scope="module")
def bad_audit(tmp_path_factory: pytest.TempPathFactory) -> Audit:
    corpus = tmp_path_factory.mktemp("bad-corpus")
    (corpus / "bad-refs.txt").write_text(BAD_DOC, encoding="utf-8")
    return audit(_engine(tmp_path_factory, corpus, "audit-bad").corpus)


def rid(label: str, doc: str = "bad-refs.txt") -> str:
    return f"{doc}#{label}"


def test_demo_markers_resolve_to_their_entries(demo_audit: Audit) -> None:
    coined = "first coined by the German scholar"
    citing = {
        r.reference.label: r.reference.title
        for r in demo_audit.references
        if any(coined in c.sentence for c in r.cited_by)
    }
    assert citing == {"7": "Idealist Internationalism and the Security Dilemma", "2": "Fear Factor"}
    assert not demo_audit.unresolved_markers and not demo_audit.uncited
    # every reference of the demo article is cited somewhere
    assert all(r.cited_by for r in demo_audit.references)
    assert len(demo_audit.by_id(rid("1", DEMO)).cited_by) == 4


def test_demo_duplicate_entries_are_found(demo_audit: Audit) -> None:
    # entries 3 and 7 are the same 1950 Herz study, cited two ways
    assert demo_audit.duplicates == ((rid("3", DEMO), rid("7", DEMO)),)


def test_demo_identifiers_are_valid(demo_audit: Audit) -> None:
    assert all(not r.problems for r in demo_audit.references)


def test_bad_list_flags(bad_audit: Audit) -> None:
    problems = {r.reference.label: list(r.problems) for r in bad_audit.references}
    assert problems == {
        "1": [],
        "2": ["ISSN 0162-2886: bad check digit"],
        "3": ["DOI 10.12/abc: malformed"],
        "4": [],
        "5": [],
        "6": ["ISBN 978-0-231-10486-4: bad check digit"],
    }
    assert bad_audit.uncited == (rid("5"),)
    assert bad_audit.duplicates == ((rid("1"), rid("4")),)
    [marker] = bad_audit.unresolved_markers
    assert (marker.document, marker.label) == ("bad-refs.txt", "9")
    assert marker.sentence.startswith("Some scholars dispute")
    assert [c.sentence[:12] for c in bad_audit.by_id(rid("6")).cited_by] == ["Alliances fo"]


def test_json_and_text(bad_audit: Audit) -> None:
    out = bad_audit.to_json()
    assert set(out) == {"references", "unresolved_markers", "uncited", "duplicates", "ambiguous"}
    first = out["references"][0]
    assert first["id"] == rid("1") and first["document"] == "bad-refs.txt" and first["label"] == "1"
    assert set(first["cited_by"][0]) == {"passage_id", "document", "sentence"}
    assert out["unresolved_markers"][0]["label"] == "9"
    assert out["uncited"] == [rid("5")] and out["duplicates"] == [[rid("1"), rid("4")]]
    text = bad_audit.text()
    assert "ISSN 0162-2886: bad check digit" in text and "[9]" in text and "never cited" in text


GOOD = Reference(id="d#1", document="d", label="1", raw="Jervis, Robert (1978).", authors=("Jervis, Robert",),
                 year="1978", title="Cooperation Under the Security Dilemma", doi="10.2307/2009958")


def test_duplicates_by_doi_case_and_title_across_documents() -> None:
    same_doi = replace(GOOD, id="e#4", document="e", title="Another title", doi="https://doi.org/10.2307/2009958".upper())
    same_title = replace(GOOD, id="f#2", document="f", doi=None, title="cooperation under the security dilemma!")
    other_year = replace(same_title, id="f#3", year="1979")
    assert duplicate_groups([GOOD, same_doi, same_title, other_year]) == [("d#1", "e#4", "f#2")]


def test_identifier_written_but_not_parsed_is_flagged() -> None:
    assert reference_problems(GOOD) == []
    short_isbn = replace(GOOD, raw="Jervis, Robert (1978). Book. ISBN 978-0-691.")
    assert reference_problems(short_isbn) == ["ISBN 978-0-691: wrong length"]
