"""Reference lists: detection, parsing, BibTeX in and out, identifier checks."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import bibtexparser
import pytest

from index.bibtex import citation_key, to_bibtex, unique_keys
from index.identifiers import check_reference, doi_url, hdl_url, isbn_url, jstor_url
from index.models import Reference
from ingest.references import find_references, parse_bibtex, parse_reference
from ingest.text import Block, blocks, normalise

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "corpus" / "security-dilemma-encyclopedia.txt"
DEMO_ID = "security-dilemma-encyclopedia.txt"
DATA = Path(__file__).parent / "data" / "refs"

FIELDS = (
    "authors", "year", "date", "title", "container", "volume", "issue", "pages", "publisher",
    "doi", "isbn", "issn", "jstor", "s2cid", "hdl", "url",
)


def fields(ref: Reference) -> dict[str, Any]:
    return {f: getattr(ref, f) for f in FIELDS}


def expect(**given: Any) -> dict[str, Any]:
    """Every parsed field; those not given must be empty."""
    out: dict[str, Any] = dict.fromkeys(FIELDS)
    out["authors"] = ()
    out.update(given)
    return out


DEMO_EXPECTED = {
    "1": expect(
        authors=("Jervis, Robert",), year="1978", title="Cooperation Under the Security Dilemma",
        container="World Politics", volume="30", issue="2", pages="167–214", doi="10.2307/2009958",
        hdl="2027/uc1.31158011478350", issn="0043-8871", jstor="2009958", s2cid="154923423",
    ),
    "2": expect(
        authors=("Glaser, Charles L.",), year="2024", date="2024-06-18", title="Fear Factor",
        container="Foreign Affairs", volume="103", issue="4", issn="0015-7120",
    ),
    "3": expect(
        authors=("Herz, John H.",), year="1950", title="Idealist Internationalism and the Security Dilemma",
        pages="157–180",
    ),
    "4": expect(
        authors=("Snyder, Glenn H.",), year="1984", title="The Security Dilemma in Alliance Politics",
        container="World Politics", volume="36", issue="4", pages="461–495", doi="10.2307/2010183",
        issn="0043-8871", jstor="2010183", s2cid="154759602",
    ),
    "5": expect(
        authors=("Jervis, Robert",), year="1976",
        title="Perception and Misperception in International Politics",
        publisher="Princeton University Press", pages="58–113", isbn="978-0-691-10049-4",
    ),
    "6": expect(
        authors=("Glaser, Charles L.",), year="2010", title="Rational Theory of International Politics",
        publisher="Princeton University Press", isbn="9780691143729",
    ),
    "7": expect(
        authors=("Herz, J.",), year="1950", title="Idealist Internationalism and the Security Dilemma",
        container="World Politics", volume="2", issue="2", pages="171–201",
    ),
    "8": expect(
        authors=("Roe, Paul",), year="1999", date="March 1999",
        title="The Intrastate Security Dilemma: Ethnic Conflict as a 'Tragedy'?",
        container="Journal of Peace Research", volume="36", issue="2", pages="183–202",
        doi="10.1177/0022343399036002004", jstor="424669", s2cid="110838076",
    ),
}


def detect(text: str, document: str = "doc") -> tuple[list[Reference], set[int], list[str]]:
    text = normalise(text)
    bs = blocks(text)
    refs, used = find_references(document, text, bs)
    return refs, used, [text[b.start : b.end] for b in bs]


def detect_as_pdf(text: str, document: str = "doc.pdf") -> tuple[list[Reference], set[int], list[str]]:
    """As detect, with the blocks the PDF reader makes: a page's or column's lines are one block,
    whatever their labels."""
    text = normalise(text)
    bs = [Block(m.start(), m.end()) for m in re.finditer(r"\S[\s\S]*?(?=\n\s*\n|\s*$)", text)]
    refs, used = find_references(document, text, bs)
    return refs, used, [text[b.start : b.end] for b in bs]


@pytest.fixture(scope="module")
def demo() -> tuple[list[Reference], set[int], list[str]]:
    return detect(DEMO.read_text(encoding="utf-8"), DEMO_ID)


# --- the demo article -------------------------------------------------------------------


def test_demo_list_found_and_footer_left(demo: tuple[list[Reference], set[int], list[str]]) -> None:
    refs, used, texts = demo
    listed = {i for i, t in enumerate(texts) if t.lstrip().startswith(tuple(f"{n}. ^" for n in range(1, 9)))}
    assert len(listed) == 8
    assert used == listed
    footer = next(i for i, t in enumerate(texts) if "Developed by StudentB" in t)
    assert footer not in used
    assert not any("StudentB" in r.raw for r in refs)
    assert [r.label for r in refs] == [str(n) for n in range(1, 9)]


@pytest.mark.parametrize("label", sorted(DEMO_EXPECTED))
def test_demo_entry_parsed_exactly(demo: tuple[list[Reference], set[int], list[str]], label: str) -> None:
    ref = next(r for r in demo[0] if r.label == label)
    assert ref.id == f"{DEMO_ID}#{label}"
    assert ref.document == DEMO_ID
    assert fields(ref) == DEMO_EXPECTED[label]


def test_demo_raw_is_entry_without_number_and_backlinks(
    demo: tuple[list[Reference], set[int], list[str]],
) -> None:
    raws = {r.label: r.raw for r in demo[0]}
    assert raws["1"].startswith('Jervis, Robert (1978). "Cooperation Under the Security Dilemma". World')
    assert raws["1"].endswith("S2CID 154923423.")
    assert raws["7"] == (
        'Herz, J. "Idealist Internationalism and the Security Dilemma", World Politics vol. 2, no. 2 (1950): '
        "171–201, at p. 157"
    )
    assert not any(r.startswith(("^", "1.", "a b")) for r in raws.values())


def test_demo_entries_pass_the_audit(demo: tuple[list[Reference], set[int], list[str]]) -> None:
    for ref in demo[0]:
        assert check_reference(ref) == [], ref.label


def test_backlinks_only_strip_the_letter_sequence() -> None:
    ref = parse_reference('^ de Gaulle, Charles (1954). "Mémoires de guerre". Plon.', "1", "d")
    assert ref.authors == ("de Gaulle, Charles",)
    ref = parse_reference("^ a b Herz, John H. (1950). A Title. pp. 1–2.", "2", "d")
    assert ref.raw == "Herz, John H. (1950). A Title. pp. 1–2."


# --- other list styles --------------------------------------------------------------------

IEEE = """Introduction text that cites two works [1], [2].

[1] R. Jervis, "Cooperation under the security dilemma," World Politics, vol. 30, no. 2,
    pp. 167–214, Jan. 1978, doi: 10.2307/2009958.
[2] C. L. Glaser and C. Kaufmann, "What is the offense-defense balance and can we measure it?"
    International Security, vol. 22, no. 4, pp. 44–82, 1998.
"""


def test_bracketed_numbered_list_with_wrapped_entries() -> None:
    refs, used, _ = detect(IEEE)
    assert used == {1, 2}
    assert [r.label for r in refs] == ["1", "2"]
    one, two = refs
    assert one.raw.startswith('R. Jervis, "Cooperation under the security dilemma," World Politics, vol. 30,')
    assert fields(one) == expect(
        authors=("R. Jervis",), year="1978", date="Jan. 1978", title="Cooperation under the security dilemma",
        container="World Politics", volume="30", issue="2", pages="167–214", doi="10.2307/2009958",
    )
    assert two.authors == ("C. L. Glaser", "C. Kaufmann")
    assert two.title == "What is the offense-defense balance and can we measure it?"
    assert (two.container, two.volume, two.issue, two.pages, two.year) == (
        "International Security", "22", "4", "44–82", "1998",
    )


APA = """The argument is developed in Jervis (1978a) and Snyder (1984).

References

Glaser, C. L., & Kaufmann, C. (1998). What is the offense-defense balance and can we measure it?
    International Security, 22(4), 44–82. https://doi.org/10.1162/isec.22.4.44
Jervis, R. (1978). Cooperation under the security dilemma. World Politics, 30(2),
    167–214. https://doi.org/10.2307/2009958
Jervis, R. (1978). Another paper on the same dilemma. World Politics, 30(3), 1–20.
Jervis, R. (1976). Perception and misperception in international politics. Princeton University Press.
Snyder, G. H. (1984). The security dilemma in alliance politics. World Politics, 36(4), 461–495.

Developed by StudentB
"""


def test_apa_list_with_heading_and_hanging_indents() -> None:
    refs, used, texts = detect(APA, "apa.txt")
    heading = texts.index("References")
    assert used == {heading, heading + 1}
    assert [r.label for r in refs] == ["Glaser1998", "Jervis1978a", "Jervis1978b", "Jervis1976", "Snyder1984"]
    assert refs[0].id == "apa.txt#Glaser1998"
    assert fields(refs[0]) == expect(
        authors=("Glaser, C. L.", "Kaufmann, C."), year="1998",
        title="What is the offense-defense balance and can we measure it?",
        container="International Security", volume="22", issue="4", pages="44–82", doi="10.1162/isec.22.4.44",
    )
    assert refs[1].raw == (
        "Jervis, R. (1978). Cooperation under the security dilemma. World Politics, 30(2), 167–214. "
        "https://doi.org/10.2307/2009958"
    )
    assert (refs[1].doi, refs[1].pages, refs[1].url) == ("10.2307/2009958", "167–214", None)
    assert (refs[3].publisher, refs[3].container) == ("Princeton University Press", None)


def test_apa_three_authors_keep_the_comma_after_an_initial() -> None:
    ref = parse_reference("von Davier, M., Xu, X., & Carstensen, C. H. (2011). Measuring growth in a longitudinal "
                          "large-scale assessment with a general latent variable model. Psychometrika, 76, 318–336.",
                          "", "apa.pdf")
    assert ref.authors == ("von Davier, M.", "Xu, X.", "Carstensen, C. H.")
    assert (ref.year, ref.container, ref.volume, ref.pages) == ("2011", "Psychometrika", "76", "318–336")


def test_an_identifier_inside_a_title_s_quotes_leaves_the_title_whole() -> None:
    """A DOI linked from the title (pandoc's Markdown, read as text) stands inside its quotes and a
    bracket: the bracket and the closing quote are not the DOI's, and the title keeps its end."""
    ref = parse_reference("Zeileis A (2004). “Econometric Computing with HC and HAC Covariance Matrix Estimators "
                          "(https://doi.org/10.18637/jss.v011.i10).” Journal of Statistical Software, 11(10), 1–17.",
                          "", "notes.md")
    assert ref.doi == "10.18637/jss.v011.i10"
    assert ref.title == "Econometric Computing with HC and HAC Covariance Matrix Estimators"
    assert (ref.container, ref.volume, ref.issue, ref.pages) == ("Journal of Statistical Software", "11", "10", "1–17")


def test_a_bulleted_markdown_list_under_references_is_a_reference_list(tmp_path: Path) -> None:
    from ingest.readers import read_text_file

    path = tmp_path / "notes.md"
    path.write_text("# HC estimators\n\nWhite (1980) introduced HC0; Zeileis (2004) computes HC3.\n\n## References\n\n"
                    "- White H (1980). “A Heteroskedasticity-Consistent Covariance Matrix Estimator.” *Econometrica*, "
                    "48(4), 817–838. [doi:10.2307/1912934](https://doi.org/10.2307/1912934)\n"
                    "- Zeileis A (2004). “Econometric Computing with HC and HAC Covariance Matrix Estimators.” "
                    "*Journal of Statistical Software*, 11(10), 1–17.\n", encoding="utf-8")
    raw = read_text_file(path, 10**6)
    refs, used = find_references("notes.md", raw.text, list(raw.blocks or ()))
    assert [(r.label, r.container, r.doi) for r in refs] == [
        ("White1980", "Econometrica", "10.2307/1912934"), ("Zeileis2004", "Journal of Statistical Software", None)]
    assert len(used) == 3  # the heading and both entries


def test_apa_entries_one_per_line_without_heading() -> None:
    text = (
        "Jervis, R. (1978). Cooperation under the security dilemma. World Politics, 30(2), 167–214.\n"
        "Snyder, G. H. (1984a). The security dilemma in alliance politics. World Politics, 36(4), 461–495.\n"
    )
    refs, _, _ = detect(text)
    assert [r.label for r in refs] == ["Jervis1978", "Snyder1984a"]
    assert refs[1].year == "1984"


def test_chicago_notes_under_heading() -> None:
    text = """Notes

1. Jervis, Robert. 1978. "Cooperation under the Security Dilemma." World Politics 30 (2): 167–214.
2. Ibid., 170.
3. Snyder, Glenn H. 1984. "The Security Dilemma in Alliance Politics." World Politics 36 (4): 461–95.
"""
    refs, used, _ = detect(text)
    assert used == {0, 1, 2, 3}
    assert refs[2].authors == ("Snyder, Glenn H.",)
    assert (refs[2].title, refs[2].container, refs[2].volume, refs[2].pages) == (
        "The Security Dilemma in Alliance Politics", "World Politics", "36", "461–95",
    )


def test_book_with_place_and_reprint_date() -> None:
    ref = parse_reference(
        "Waltz, Kenneth N. (2010) [1979]. Theory of International Politics (2nd ed.). "
        "Long Grove, IL: Waveland Press. ISBN 978-1-57766-670-7.", "9", "d",
    )
    assert fields(ref) == expect(
        authors=("Waltz, Kenneth N.",), year="2010", title="Theory of International Politics",
        publisher="Waveland Press", isbn="978-1-57766-670-7",
    )


# --- what is not a reference list ---------------------------------------------------------

NOT_REFERENCES = {
    "numbered steps": """Installation

1. Install the package with pip.
2. Run the ingest command on your corpus (it takes about 2 minutes in 2024).
3. Open the app at http://localhost:8501 and ask a question.
""",
    "numbered steps, one per line": (
        "1. Install the package with pip; this pulls in the embedding model, faiss and streamlit, which "
        "together take a few hundred megabytes, so do it on a good connection and be patient with it.\n"
        "2. Run the ingest command on the corpus folder; it reads manifest.toml (added in 2024), cuts "
        "passages and builds the index, which takes about two minutes on a laptop for the demo articles.\n"
    ),
    "reST docs": """parse_reference
===============

.. function:: parse_reference(raw, label, document)

   Parse one entry of a reference list. See :pep:`8` (2001) and :func:`find_references`.

   :param raw: the entry text, e.g. ``Jervis, Robert (1978). "Title". World Politics. 30 (2): 167–214.``
   :returns: a :class:`index.models.Reference`.

1. First call :func:`normalise` on the text (see :ref:`text`).
2. Then call :func:`blocks`, version 1.2 (2023).
""",
    "code": """Example:

    refs, used = find_references("doc", text, blocks(text))
    for ref in refs:  # (1978)
        print(ref.label, ref.year, "pp. 1-2")
""",
    "prose": """The term was first coined by the German scholar John H. Herz in a 1950 study (Herz, 1950).
At the same time British historian Herbert Butterfield described the same situation in his History
and Human Relations (1951), pp. 19–20, calling it an "absolute predicament".

Jervis, Robert, argued in 1978 that offense-defense differentiation matters (see World Politics 30).
""",
}


@pytest.mark.parametrize("name", sorted(NOT_REFERENCES))
def test_not_taken_for_references(name: str) -> None:
    refs, used, _ = detect(NOT_REFERENCES[name])
    assert refs == []
    assert used == set()


def test_second_demo_article_has_no_list() -> None:
    notes = ROOT / "corpus" / "security-dilemma-realism-notes.txt"
    refs, used, _ = detect(notes.read_text(encoding="utf-8"))
    assert (refs, used) == ([], set())


# --- BibTeX ----------------------------------------------------------------------------------


def test_parse_bibtex_file() -> None:
    refs = parse_bibtex("sample.bib", (DATA / "sample.bib").read_text(encoding="utf-8"))
    assert [r.label for r in refs] == ["jervis1978", "glaser2010", "mueller2001"]
    jervis, glaser, mueller = refs
    assert jervis.id == "sample.bib#jervis1978"
    assert jervis.raw.startswith("@article{jervis1978,")
    assert fields(jervis) == expect(
        authors=("Jervis, Robert",), year="1978", title="Cooperation Under the Security Dilemma",
        container="World Politics", volume="30", issue="2", pages="167–214", doi="10.2307/2009958",
        issn="0043-8871", jstor="2009958",
    )
    assert (glaser.authors, glaser.publisher, glaser.isbn) == (
        ("Charles L. Glaser",), "Princeton University Press", "978-0-691-14372-9",
    )
    assert mueller.authors == ("Müller, Jürgen", "Smith, Anna", "Simon and Schuster")
    assert mueller.title == "Arms & Alarms: 50% of a Dilemma"
    assert (mueller.container, mueller.jstor) == ("Handbook of Security Studies", "123456")
    assert mueller.url == "https://example.org/a%20b?x=1&y=2"


def test_parse_bibtex_normalises_doi_links_and_dates() -> None:
    text = "@misc{k, title = {T}, doi = {https://doi.org/10.1000/xyz}, date = {2024-06-18}, note = {}}"
    (ref,) = parse_bibtex("inline.bib", text)
    assert (ref.doi, ref.year, ref.date, ref.authors) == ("10.1000/xyz", "2024", "2024-06-18", ())


def test_to_bibtex_reads_back(demo: tuple[list[Reference], set[int], list[str]]) -> None:
    refs = demo[0]
    out = to_bibtex(refs)
    library = bibtexparser.parse_string(out)
    assert not library.failed_blocks
    entries = library.entries
    assert [e.key for e in entries] == [
        "Jervis1978", "Glaser2024", "Herz1950a", "Snyder1984",
        "Jervis1976", "Glaser2010", "Herz1950b", "Roe1999",
    ]
    assert [e.entry_type for e in entries] == [
        "article", "article", "misc", "article", "book", "book", "article", "article",
    ]
    for ref, entry in zip(refs, entries, strict=True):
        assert entry["title"] == ref.title
        assert entry["author"] == " and ".join(ref.authors)
        assert entry["year"] == ref.year
        doi = entry.get("doi")
        assert (doi.value if doi else None) == ref.doi
    back = parse_bibtex("out.bib", out)
    for ref, again in zip(refs, back, strict=True):
        assert fields(again) == {**fields(ref), "date": fields(again)["date"]}, ref.label


def test_to_bibtex_escapes_and_round_trips_odd_values() -> None:
    odd = Reference(
        id="x#1", document="x", label="1", raw="",
        authors=("Müller, Jürgen", "World Health Organization", "Simon and Schuster"), year="2001",
        title="A & B: 50% of $5 {odd_name} ~ ^ end", container="J. {Odd", url="https://e.org/a%20b",
    )
    out = to_bibtex([odd])
    assert r"A \& B: 50\% of \$5 \{odd\_name\}" in out
    assert "{World Health Organization}" in out and "{Simon and Schuster}" in out
    assert not bibtexparser.parse_string(out).failed_blocks
    (back,) = parse_bibtex("x", out)
    assert back.title == odd.title
    assert back.authors == odd.authors
    assert back.container == "J. Odd"  # an unbalanced brace cannot be written; it is dropped
    assert back.url == odd.url


def test_keys() -> None:
    assert citation_key(("Ó Tuathail, Gearóid",), "1996") == "OTuathail1996"
    assert citation_key(("R. Jervis",), None) == "Jervisnd"
    assert unique_keys(["A1", "B2", "A1", "A1a", "A1"]) == ["A1b", "B2", "A1c", "A1a", "A1d"]


# --- identifiers ---------------------------------------------------------------------------

GOOD = Reference(
    id="d#1", document="d", label="1", raw="", authors=("Jervis, Robert",), year="1976",
    title="Perception and Misperception in International Politics", isbn="978-0-691-10049-4",
    issn="0043-8871", doi="10.2307/2009958",
)


def test_check_reference_flags_bad_identifiers() -> None:
    assert check_reference(GOOD) == []
    bad_isbn = replace(GOOD, isbn="978-0-691-10049-5")
    assert check_reference(bad_isbn) == ["ISBN 978-0-691-10049-5: bad check digit"]
    assert check_reference(replace(GOOD, issn="0043-8872")) == ["ISSN 0043-8872: bad check digit"]
    assert check_reference(replace(GOOD, doi="10.2307")) == ["DOI 10.2307: malformed"]
    assert check_reference(replace(GOOD, isbn="978-0-691")) == ["ISBN 978-0-691: wrong length"]


def test_check_reference_flags_missing_fields() -> None:
    bare = Reference(id="d#2", document="d", label="2", raw="Ibid.")
    assert check_reference(bare) == ["missing authors", "missing title", "missing year"]


def test_lookup_links() -> None:
    assert doi_url("10.2307/2009958") == "https://doi.org/10.2307/2009958"
    assert jstor_url("2009958") == "https://www.jstor.org/stable/2009958"
    assert isbn_url("978-0-691-10049-4") == "https://openlibrary.org/isbn/9780691100494"
    assert hdl_url("2027/uc1.31158011478350") == "https://hdl.handle.net/2027/uc1.31158011478350"


def test_index_does_not_import_ingest() -> None:
    for name in ("bibtex.py", "identifiers.py"):
        tree = ast.parse((ROOT / "index" / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            elif isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            else:
                continue
            assert not any(m.split(".")[0] in ("ingest", "ui") for m in modules), name


def test_labels_stay_unique_across_two_lists() -> None:
    entry = 'Jervis, Robert (1978). "Cooperation Under the Security Dilemma". World Politics. 30 (2): 1–2.'
    text = f"Notes\n\n1. {entry}\n2. {entry}\n\nReferences\n\n1. {entry}\n2. {entry}\n"
    refs, used, _ = detect(text)
    assert [r.label for r in refs] == ["1", "2", "1b", "2b"]
    assert len({r.id for r in refs}) == 4
    assert used == {0, 1, 2, 3, 4, 5}


# --- author-year lists of real articles: JSS, natbib's plain style, corporate authors -------------

JSS = """References

Andrews DWK (1991). “Heteroskedasticity and Autocorrelation Consistent Covariance Matrix
Estimation.” Econometrica, 59, 817–858. doi:10.2307/2938229.

Bai J, Perron P (2003). “Computation and Analysis of Multiple Structural Change Models.”
Journal of Applied Econometrics, 18, 1–22. doi:10.1002/jae.659.

Cribari-Neto F (2004). “Asymptotic Inference Under Heteroskedasticity of Unknown Form.”
Computational Statistics & Data Analysis, 45, 215–233. doi:10.1016/s0167-9473(02)
00366-3.

Doran H, Bates D, Bliese P, Dowling M (2007). “Estimating the Multilevel Rasch Model.”
Journal of Statistical Software, 20(2), 1–18. doi:10.18637/jss.
v020.i02.

Nieuwenhuis R, Te Grotenhuis M, Pelzer B (2012). “Influence.ME: Tools for Detecting Influential
Data in Mixed Effects Models.” R Journal, 4(2), 38–47.

Pinheiro J, Bates D, DebRoy S, Sarkar D, R Core Team (2014). nlme: Linear and Nonlinear
Mixed Effects Models. R package version 3.1-117, URL http://CRAN.R-project.org/package=nlme.

R Development Core Team (2008). R: A Language and Environment for Statistical Computing.
R Foundation for Statistical Computing, Vienna, Austria. ISBN 3-900051-07-0.

Zeileis A (2006a). “Implementing a Class of Structural Change Tests.” Computational Statistics
& Data Analysis, 50(11), 2987–3008. doi:10.1016/j.csda.2005.07.001.

Zeileis A (2006b). “Object-Oriented Computation of Sandwich Estimators.” Journal of Statistical
Software, 16(9), 1–16. doi:10.18637/jss.v016.i09.
"""


def test_jss_list_single_authors_coauthors_corporate_and_wrapped_dois() -> None:
    refs, _, _ = detect(JSS, "jss.pdf")
    assert [r.label for r in refs] == ["Andrews1991", "Bai2003", "CribariNeto2004", "Doran2007", "Nieuwenhuis2012",
                                       "Pinheiro2014", "Team2008", "Zeileis2006a", "Zeileis2006b"]
    by = {r.label: r for r in refs}
    assert by["Andrews1991"].authors == ("Andrews DWK",) and by["Andrews1991"].container == "Econometrica"
    assert by["Bai2003"].authors == ("Bai J", "Perron P")
    assert by["Nieuwenhuis2012"].authors == ("Nieuwenhuis R", "Te Grotenhuis M", "Pelzer B")
    assert by["Pinheiro2014"].authors == ("Pinheiro J", "Bates D", "DebRoy S", "Sarkar D", "R Core Team")
    assert by["Team2008"].authors == ("R Development Core Team",) and by["Team2008"].isbn == "3-900051-07-0"
    # DOIs wrapped at a line end are read whole.
    assert by["CribariNeto2004"].doi == "10.1016/s0167-9473(02)00366-3"
    assert by["Doran2007"].doi == "10.18637/jss.v020.i02"
    assert (by["Zeileis2006a"].year, by["Zeileis2006b"].year) == ("2006", "2006")


NATBIB = """References

L. Breiman. Statistical modeling: The two cultures. Statistical Science, 16:199–231, 2001.

R. L. Brown, J. Durbin, and J. M. Evans. Techniques for testing the constancy of regression
relationships over time. Journal of the Royal Statistical Society, B 37:149–163, 1975.

P. Royston and D. G. Altman. Regression using fractional polynomials of continuous covariates:


Parsimonious parametric modelling. Applied Statistics, 43:429–453, 1994.

A. Zeileis. strucchange: Testing for structural change in linear regression relationships. R News,
1(3):8–11, September 2001.
"""


def test_natbib_plain_list_year_last_and_an_entry_broken_across_blocks() -> None:
    refs, used, texts = detect(NATBIB, "natbib.pdf")
    assert [r.label for r in refs] == ["Breiman2001", "Brown1975", "Royston1994", "Zeileis2001"]
    assert len(used) == len([t for t in texts if t.strip()])  # the heading and every block of the list
    by = {r.label: r for r in refs}
    assert by["Brown1975"].authors == ("R. L. Brown", "J. Durbin", "J. M. Evans")
    assert (by["Breiman2001"].title, by["Breiman2001"].container) == (
        "Statistical modeling: The two cultures", "Statistical Science")
    assert (by["Breiman2001"].volume, by["Breiman2001"].pages) == ("16", "199–231")
    assert by["Royston1994"].title == (
        "Regression using fractional polynomials of continuous covariates: Parsimonious parametric modelling")
    assert (by["Zeileis2001"].title or "").startswith("strucchange: Testing")


def test_a_sici_doi_keeps_its_angle_brackets() -> None:
    ref = parse_reference("Cribari-Neto F, Zarkos SG (1999). “R: Yet Another Econometric Programming Environment.” "
                          "Journal of Applied Econometrics, 14, 319–329. doi:10.1002/(sici)1099-1255(199905/"
                          "06)14:3<319::aid-jae533>3.0.co;2-q.", "", "a.pdf")
    assert ref.doi == "10.1002/(sici)1099-1255(199905/06)14:3<319::aid-jae533>3.0.co;2-q"
    assert ref.authors == ("Cribari-Neto F", "Zarkos SG") and ref.pages == "319–329"


VANCOUVER = """References

1. Jervis R, Snyder GH. Cooperation under the security dilemma. World Polit. 1978;30(2):167-214. doi:10.2307/2009958

2. Glaser CL. The security dilemma revisited. World Polit. 1997;50(1):171-201.
"""

IEEE_SHORT = """References

[1] R. Jervis, "Cooperation under the security dilemma," World Politics, vol. 30, no. 2, pp. 167–214, 1978.

[2] C. L. Glaser and C. Kaufmann, "What is the offense-defense balance?" International Security, vol. 22, no. 4,
pp. 44–82, 1998, doi: 10.1162/isec.22.4.44.
"""


def test_vancouver_and_ieee_numbered_lists_field_by_field() -> None:
    refs, _, _ = detect(VANCOUVER, "v.pdf")
    assert [r.label for r in refs] == ["1", "2"]
    assert fields(refs[0]) == expect(
        authors=("Jervis R", "Snyder GH"), year="1978", title="Cooperation under the security dilemma",
        container="World Polit", volume="30", issue="2", pages="167-214", doi="10.2307/2009958")
    refs, _, _ = detect(IEEE_SHORT, "i.pdf")
    assert [r.label for r in refs] == ["1", "2"]
    assert fields(refs[1]) == expect(
        authors=("C. L. Glaser", "C. Kaufmann"), year="1998", title="What is the offense-defense balance?",
        container="International Security", volume="22", issue="4", pages="44–82", doi="10.1162/isec.22.4.44")


# REVTeX (APS, AIP): no heading, initials first, journals cited by volume and page, the date last;
# a wrapped line that opens with "1965)", and an entry a column break cuts after an abbreviation.
APS = """The dating follows Ref. [2] and the books [3].

[1] G. Kavoulakis and G. Baym, Phys. Rev. B 53, 7227 (1996).
[2] E. B. Davies and L. Parns, Q. J. Mech. Appl. Math. 51, 477 (1988).
[3] N. D. Birell and P. C. W. Davies, Quantum Fields in Curved Space (Cambridge University Press, 1982).
[4] W. Opechowski and R. Guccione, in Magnetism, Vol. IIa, edited by G. T. Rado and H. Suhl (Academic Press, New York,
1965) p. 105.
[5] V. E. Zakharov and A. B. Shabat, Zh. Eksp. Teor. Fiz.

61, 118 (1971).

[6] D. Snoke, Science 298, 1368 (2002).
"""

# ACM: names in full, "Name. Year. Title. Venue", an issue's date in brackets after the year; the list
# goes on over a page whose first lines end the entry before.
ACM = """REFERENCES

[1] Patricia S. Abril and Robert Plant. 2007. The patent holder's dilemma: Buy, sell, or troll? Commun. ACM 50, 1
(Jan. 2007), 36–44. https://doi.org/10.1145/1188913.1188915
[2] Matthew Van Gundy, Davide Balzarotti, and Giovanni Vigna. 2007. Catch me, if you can: Evading network
signatures with web-based polymorphic worms. In Proceedings of the first USENIX workshop on Offensive
Technologies (WOOT '07). USENIX Association, Berkley, CA, Article 7, 9 pages.
[3] Ian Editor (Ed.). 2008. The title of book two (2nd. ed.). University of Chicago Press, Chicago, Chapter 100.
[4] Sam Anzaroot, Alexandre Passos, David Belanger, and Andrew McCallum. 2014. Learning Soft Linear Constraints
with Application to Citation Field Extraction. arXiv:1403.1349
[5] Kenneth L. Clarkson. 1985. Algorithms for Closest-Point Problems (Computational Geometry). Ph. D. Dissertation.
Stanford University, Palo Alto, CA. UMI Order Number: AAT 8506171.
[6] Lars Hörmander. 1985. The analysis of linear partial differential operators. IV. Grundlehren der Mathematischen

Mathematical Sciences], Vol. 275. Springer-Verlag, Berlin, Germany.
[7] Donald E. Knuth. 1997. The Art of Computer Programming, Vol. 1: Fundamental Algorithms (3rd. ed.). Addison
Wesley Longman Publishing Co., Inc.
"""


def test_aps_numbered_list_without_heading_field_by_field() -> None:
    refs, used, texts = detect(APS, "aps.pdf")
    assert [r.label for r in refs] == ["1", "2", "3", "4", "5", "6"]
    assert len(used) == len([t for t in texts if t.strip()]) - 1  # every block but the prose before
    by = {r.label: r for r in refs}
    assert fields(by["1"]) == expect(authors=("G. Kavoulakis", "G. Baym"), year="1996", container="Phys. Rev. B",
                                     volume="53", pages="7227")
    assert (by["2"].authors, by["2"].container) == (("E. B. Davies", "L. Parns"), "Q. J. Mech. Appl. Math.")
    assert fields(by["3"]) == expect(authors=("N. D. Birell", "P. C. W. Davies"), year="1982",
                                     title="Quantum Fields in Curved Space", publisher="Cambridge University Press")
    assert (by["4"].title, by["4"].container, by["4"].publisher, by["4"].year, by["4"].pages) == (
        None, "Magnetism", "Academic Press", "1965", "105")
    assert (by["5"].container, by["5"].volume, by["5"].pages, by["5"].year) == ("Zh. Eksp. Teor. Fiz.", "61", "118",
                                                                             "1971")
    assert check_reference(by["1"]) == []  # a journal, volume and page name the article: no title is missing


def test_acm_list_with_names_in_full_across_a_page() -> None:
    refs, _, texts = detect_as_pdf(ACM, "acm.pdf")
    assert len(texts[1]) > 1000  # the page before is longer than any entry: only its last entry goes on
    assert [r.label for r in refs] == ["1", "2", "3", "4", "5", "6", "7"]
    by = {r.label: r for r in refs}
    assert fields(by["1"]) == expect(
        authors=("Patricia S. Abril", "Robert Plant"), year="2007",
        title="The patent holder's dilemma: Buy, sell, or troll?", container="Commun. ACM", volume="50", issue="1",
        pages="36–44", doi="10.1145/1188913.1188915")
    assert by["2"].authors == ("Matthew Van Gundy", "Davide Balzarotti", "Giovanni Vigna")
    assert (by["2"].year, by["2"].title) == (
        "2007", "Catch me, if you can: Evading network signatures with web-based polymorphic worms")
    assert by["3"].title == "The title of book two (2nd. ed.)"
    assert by["4"].authors == ("Sam Anzaroot", "Alexandre Passos", "David Belanger", "Andrew McCallum")
    assert by["6"].raw.endswith("Vol. 275. Springer-Verlag, Berlin, Germany.")
    assert by["7"].raw.startswith("Donald E. Knuth. 1997.")


def test_bibtex_entries_left_out_are_reported_a_line_each(capfd: pytest.CaptureFixture[str]) -> None:
    from index.bibtex import MAX_FIELD_CHARS

    text = ("@book{, title={No key}}\n@article{good, title={Fine}, year={2001}}\n@book{, title={No key again}}\n"
            "@article{broken, title={Unclosed, year=2001\n@misc{good, title={Again}}\n"
            "@misc{long, title={" + "word " * (MAX_FIELD_CHARS // 2) + "}}\n")
    problems: list[str] = []
    refs = parse_bibtex("x.bib", text, problems)
    assert [r.label for r in refs] == ["good", "long"]
    assert len(refs[1].title or "") <= MAX_FIELD_CHARS
    assert sorted(problems) == sorted([
        "entry at line 1 has no key: left out",
        "entry at line 3 has no key: left out",  # a second one is no key either, not a repeated ''
        "entry at line 4 could not be read (unbalanced braces or quotes): left out",
        "entry at line 5 repeats the key 'good': left out",
        f"entry long: field title is {MAX_FIELD_CHARS // 2 * 5:,} characters; cut to {MAX_FIELD_CHARS:,}",
    ])
    out, err = capfd.readouterr()
    assert "Parsing of" not in out + err  # bibtexparser's own lines stay quiet


def test_bibtex_problems_are_bounded() -> None:
    problems: list[str] = []
    parse_bibtex("x.bib", "".join(f"@book{{, title={{T{i}}}}}\n" for i in range(50)) + "@book{k, title={T}}\n",
                 problems)
    assert len(problems) == 21 and problems[-1] == "and 30 more problem(s) like these"
