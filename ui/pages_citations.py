"""The Citations page: the reference audit, links, BibTeX, and a claim checker.

A file page of st.navigation (ui/app.py registers it): Streamlit executes this file
as "__main__" on each run, which renders the page; importing it renders nothing.
?ref=<reference id> opens that reference; ?claim=<text> checks a claim on load.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from index.audit import AmbiguousCitation, Audit, ReferenceAudit, UnresolvedMarker
from index.bibtex import to_bibtex
from index.claims import ClaimCheck
from index.engine import Engine
from index.models import Passage
from ui.pages_common import cached_audit, cached_claim, get_engine, param, share_link, url_form
from ui.render import (
    MUTED_STYLE,
    citation_html,
    dom_id,
    esc,
    escape_md,
    location,
    quoted_sentences,
    reference_href,
    reference_links,
    reference_text,
    scroll_script,
)

PassageOf = Callable[[str], Passage | None]
VERDICTS = {"supported": "Supported", "contradicted": "Contradicted", "not_supported": "Not supported"}


def flags(ra: ReferenceAudit, audit: Audit) -> list[str]:
    """Short plain-text flags of a reference: problems, uncited, duplicate."""
    out = []
    if ra.problems:
        out.append(f"{len(ra.problems)} problem{'s' * (len(ra.problems) != 1)}")
    if ra.reference.id in audit.uncited:
        out.append("uncited")
    if any(ra.reference.id in g for g in audit.duplicates):
        out.append("duplicate")
    return out


def reference_label(ra: ReferenceAudit, audit: Audit) -> str:
    """The expander label (Markdown): escaped reference text, then our own flags."""
    ref = ra.reference
    text = reference_text(ref)
    text = text if len(text) <= 110 else text[:109] + "…"
    found = flags(ra, audit)
    tail = f" :orange[{escape_md(' · '.join(found))}]" if found else ""
    return f"{escape_md(f'[{ref.label}] {text}')}{tail}"


def reference_detail_html(ra: ReferenceAudit, audit: Audit, passage_of: PassageOf) -> str:
    """A reference in full: raw text, links, problems, duplicates and the sentences citing it."""
    ref = ra.reference
    parts = [f'<div class="sb-reference" id="{dom_id("ref", ref.id)}"><div style="{MUTED_STYLE}">{esc(ref.id)}</div>',
             f"<div>{esc(ref.raw)}</div>"]
    links = " · ".join(f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(label)}</a>'
                       for label, url in reference_links(ref))
    if links:
        parts.append(f"<div><b>Links:</b> {links}</div>")
    if ref.library:
        parts.append(f'<div><b>Completed from library entry:</b> <a href="{esc(reference_href(ref.library))}">'
                     f"{esc(ref.library)}</a></div>")
    if ra.problems:
        parts.append("<div><b>Problems:</b><ul>" + "".join(f"<li>{esc(p)}</li>" for p in ra.problems) + "</ul></div>")
    if ref.id in audit.uncited:
        parts.append("<div><b>Uncited:</b> no sentence of its document cites it.</div>")
    for group in audit.duplicates:
        if ref.id in group:
            others = " · ".join(f'<a href="{esc(reference_href(o))}">{esc(o)}</a>' for o in group if o != ref.id)
            parts.append(f"<div><b>Duplicate of:</b> {others}</div>")
    n = len(ra.cited_by)
    parts.append(f"<div><b>Cited by {n} sentence{'s' * (n != 1)}</b></div>")
    if ra.cited_by:
        items = []
        for c in ra.cited_by:
            p = passage_of(c.passage_id)
            where = location(p.title, p.page, p.page_label) if p is not None else c.document
            items.append(f'<li>{esc(c.sentence)} <span style="{MUTED_STYLE}">— {esc(where)}</span></li>')
        parts.append(f'<ul class="sb-citing">{"".join(items)}</ul>')
    return "".join(parts) + "</div>"


def unresolved_html(markers: tuple[UnresolvedMarker, ...], passage_of: PassageOf) -> str:
    items = []
    for m in markers:
        p = passage_of(m.passage_id)
        where = location(p.title, p.page, p.page_label) if p is not None else m.document
        items.append(f'<li><b>[{esc(m.label)}]</b> {esc(m.sentence)} <span style="{MUTED_STYLE}">— {esc(where)}</span>'
                     "</li>")
    return f'<ul class="sb-unresolved">{"".join(items)}</ul>'


def ambiguous_html(citations: tuple[AmbiguousCitation, ...], passage_of: PassageOf) -> str:
    items = []
    for a in citations:
        p = passage_of(a.passage_id)
        where = location(p.title, p.page, p.page_label) if p is not None else a.document
        labels = " or ".join(f"[{esc(label)}]" for label in a.labels)
        items.append(f'<li><b>{labels}</b> {esc(a.sentence)} <span style="{MUTED_STYLE}">— {esc(where)}</span></li>')
    return f'<ul class="sb-unresolved">{"".join(items)}</ul>'


def show_audit(engine: Engine, audit: Audit) -> None:
    refs = audit.references
    if not refs:
        st.info("The indexed documents have no reference lists.")
        return
    # A row that wraps: four columns stacked into a full phone screen.
    with st.container(horizontal=True, gap="medium"):
        st.metric("References", len(refs), width="content")
        st.metric("Uncited", len(audit.uncited), width="content")
        st.metric("Duplicate groups", len(audit.duplicates), width="content")
        st.metric("Unresolved markers", len(audit.unresolved_markers), width="content")
    st.download_button("Download all references (BibTeX)", to_bibtex(r.reference for r in refs),
                       file_name="references.bib", mime="application/x-bibtex", icon=":material/download:")
    wanted = param("ref")
    if wanted and wanted not in {r.reference.id for r in refs}:
        st.warning(f"No reference {escape_md(wanted)} in this index.")
    document = ""
    for ra in refs:
        if ra.reference.document != document:
            document = ra.reference.document
            st.subheader(escape_md(document))
        with st.expander(reference_label(ra, audit), expanded=ra.reference.id == wanted):
            st.html(reference_detail_html(ra, audit, engine.store.passage))
            share_link(reference_href(ra.reference.id), "Link to this reference")
    if wanted and (script := scroll_script(dom_id("ref", wanted))):
        st.html(script, unsafe_allow_javascript=True)  # a long list: the linked entry may be far down
    if audit.unresolved_markers:
        st.subheader("Markers with no reference entry")
        st.html(unresolved_html(audit.unresolved_markers, engine.store.passage))
    if audit.ambiguous:
        st.subheader("Citations that fit several entries")
        st.html(ambiguous_html(audit.ambiguous, engine.store.passage))


def claim_from_page() -> str:
    """The claim form; the claim lives in the URL (?claim=...) like the Ask page's question."""
    return url_form("claim", "Claim", "Check claim", "e.g. The term was coined by John H. Herz in 1950.",
                    max_chars=1000)


def show_check(engine: Engine, check: ClaimCheck) -> None:
    label = VERDICTS.get(check.verdict, check.verdict)
    message = f"{label} (score {check.score:.2f})"
    if check.reasons:
        message += ": " + "; ".join(check.reasons)
    alert = {"supported": st.success, "contradicted": st.error}.get(check.verdict, st.warning)
    alert(escape_md(message))
    if check.evidence:
        st.caption("Evidence: the text the claim was compared with" if not check.shortfalls else
                   "The closest passages, and why none supports the claim")
    for n, c in enumerate(check.evidence):
        with st.container(border=True):
            st.html(citation_html(c.marker, c.passage, quoted_sentences(c), c.references, engine.terms,
                                  at=(c.page, c.page_label)))
            if n < len(check.shortfalls):
                st.caption(escape_md(f"Why not: {check.shortfalls[n]}."))


def citations_page() -> None:
    st.title("Citations")
    engine = get_engine()
    if engine is None:
        return
    st.subheader("Check a claim")
    claim = claim_from_page()
    if claim:
        with st.spinner("Checking the claim against the corpus…"):
            check = cached_claim(engine, str(engine.generation), claim)
        show_check(engine, check)
    st.subheader("References")
    show_audit(engine, cached_audit(engine, str(engine.generation)))


# Streamlit runs a file page as "__main__"; an import (tests, other pages) renders nothing.
if __name__ == "__main__":
    citations_page()
