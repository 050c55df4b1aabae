"""The Glossary page: search a term, browse every entry A to Z, deep link with ?term=.

A file page of st.navigation (ui/app.py registers it): Streamlit executes this file
as "__main__" on each run, which renders the page; importing it renders nothing.
Every text shown comes from the documents and goes through ui.render's escaping.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable

import streamlit as st

from index.engine import Engine
from index.glossary import Glossary, fold
from index.models import GlossaryEntry, Passage
from ui.pages_common import get_engine, param, share_link
from ui.pages_export import md_inline
from ui.render import (
    MARK_STYLE,
    MUTED_STYLE,
    PASSAGE_STYLE,
    esc,
    escape_md,
    layered_html,
    location,
    page_text,
    term_href,
    term_link,
)

PassageOf = Callable[[str], Passage | None]


def _mark_term(text: str, entry: GlossaryEntry, terms: Glossary) -> str:
    """Escaped passage text with the entry's first mention marked."""
    spans = [(s, e, f'<mark style="{MARK_STYLE}">', "</mark>") for s, e, m in terms.find_in_text(text)
             if m.term == entry.term]
    return f'<div style="{PASSAGE_STYLE}">{layered_html(text, spans)}</div>'


def related_html(entry: GlossaryEntry, terms: Glossary) -> str:
    """Links to the related terms (their definitions on hover when they have an entry)."""
    links = []
    for name in entry.related:
        other = terms.lookup(name)
        links.append(term_link(other, name) if other is not None
                     else f'<a href="{esc(term_href(name))}">{esc(name)}</a>')
    return " · ".join(links)


def entry_html(entry: GlossaryEntry, terms: Glossary, passage_of: PassageOf) -> str:
    """One glossary entry: its cited definition, aliases, related terms and mentions."""
    parts = [f'<div class="sb-entry"><div style="font-size:1.2em"><b>{esc(entry.term)}</b> '
             f'<span style="{MUTED_STYLE}">{esc(entry.kind)}</span></div>']
    parts.append(f'<blockquote style="margin:.4em 0;padding-left:.8em;border-left:3px solid #ccc">'
                 f"{esc(entry.definition)}</blockquote>")
    if entry.citation is not None:
        cited = passage_of(entry.citation.passage_id)
        title = cited.title if cited is not None else entry.citation.document
        cited_at = location(title, entry.citation.page, entry.citation.page_label)
        parts.append(f'<div style="{MUTED_STYLE}">— {esc(cited_at)} ({esc(entry.citation.document)})</div>')
    if entry.aliases:
        parts.append(f"<div><b>Also called:</b> {esc(', '.join(entry.aliases))}</div>")
    if entry.related:
        parts.append(f"<div><b>Related:</b> {related_html(entry, terms)}</div>")
    count, where = entry.mention_count, len(entry.mention_passages)
    summary = f"Mentioned {count} time{'s' * (count != 1)} in {where} passage{'s' * (where != 1)}"
    items = []
    for pid in entry.mention_passages:
        p = passage_of(pid)
        if p is not None:
            at = location(p.title, p.page, p.page_label)
            items.append(f"<li><b>{esc(at)}</b>{_mark_term(p.text, entry, terms)}</li>")
    if items:
        parts.append(f'<details class="sb-mentions"><summary>{esc(summary)}</summary><ul>{"".join(items)}</ul>'
                     "</details>")
    else:
        parts.append(f'<div style="{MUTED_STYLE}">{esc(summary)}</div>')
    return "".join(parts) + "</div>"


def no_entry_html(query: str, closest: list[GlossaryEntry]) -> str:
    """"No entry" with links to the closest terms."""
    links = ", ".join(term_link(e) for e in closest)
    tail = f" — closest terms: {links}" if links else ""
    return f'<div class="sb-no-entry">No entry for “{esc(query)}”{tail}</div>'


# --- exports -----------------------------------------------------------------------

CSV_FIELDS = ("term", "kind", "aliases", "definition", "document", "page")


def _cell(value: object) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def glossary_csv(entries: Iterable[GlossaryEntry]) -> str:
    """The glossary as CSV: term, kind, aliases (joined by "; "), definition, document, page."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for e in entries:
        cited = e.citation
        writer.writerow([_cell(v) for v in (e.term, e.kind, "; ".join(e.aliases), e.definition,
                                            cited.document if cited else "", cited.page if cited else "")])
    return out.getvalue()


def glossary_markdown(entries: Iterable[GlossaryEntry]) -> str:
    """The glossary as a Markdown file: one section per term, document text escaped."""
    lines = ["# Glossary", ""]
    for e in entries:
        lines += [f"## {md_inline(e.term)}", "", f"*{e.kind}*", "", md_inline(e.definition), ""]
        if e.aliases:
            lines += [f"Also called: {md_inline(', '.join(e.aliases))}", ""]
        if e.citation is not None:
            where = page_text(e.citation.page, e.citation.page_label)
            page = f", {where}" if where else ""
            lines += [f"Source: {md_inline(e.citation.document + page)}", ""]
    return "\n".join(lines)


def show_downloads(entries: list[GlossaryEntry]) -> None:
    left, right = st.columns(2)
    left.download_button("Download glossary (CSV)", glossary_csv(entries), file_name="glossary.csv",
                         mime="text/csv", icon=":material/download:", width="stretch")
    right.download_button("Download glossary (Markdown)", glossary_markdown(entries), file_name="glossary.md",
                          mime="text/markdown", icon=":material/download:", width="stretch")


def search_box() -> str:
    """The search box, filled from ?term= on first load; what it holds is written back to the URL."""
    if "glossary_query" not in st.session_state:
        st.session_state["glossary_query"] = param("term")
    typed = st.text_input("Search the glossary", key="glossary_query",
                          placeholder="a term, an alias or a near spelling, e.g. spiral model").strip()
    if typed != param("term"):
        if typed:
            st.query_params["term"] = typed
        else:
            st.query_params.pop("term", None)
    return typed


def initial(entry: GlossaryEntry) -> str:
    first = fold(entry.term).lstrip("\"'`(<>.-_")[:1].upper()
    return first if first.isalpha() else "#"


def glossary_page() -> None:
    st.title("Glossary")
    engine = get_engine()
    if engine is None:
        return
    terms = engine.terms
    if not len(terms):
        st.info("The glossary is empty: no terms were found in the indexed documents.")
        return
    passage_of = engine.store.passage
    show_downloads(terms.entries_sorted())
    query = search_box()
    if query:
        entry = terms.lookup(query)
        if entry is None:
            closest = [e for t in terms.closest(query) if (e := terms.lookup(t)) is not None]
            st.html(no_entry_html(query, closest))
        else:
            with st.container(border=True):
                st.html(entry_html(entry, terms, passage_of))
                share_link(term_href(entry.term), "Link to this entry")
    show_index(engine, passage_of)


def show_index(engine: Engine, passage_of: PassageOf) -> None:
    """Every entry, A to Z, each in an expander."""
    entries = engine.terms.entries_sorted()
    st.subheader(f"All terms ({len(entries)})")
    letter = ""
    for entry in entries:
        if initial(entry) != letter:
            letter = initial(entry)
            st.markdown(f"**{escape_md(letter)}**")
        label = f"{escape_md(entry.term)} · {entry.mention_count} mention{'s' * (entry.mention_count != 1)}"
        with st.expander(label):
            st.html(entry_html(entry, engine.terms, passage_of))
            share_link(term_href(entry.term), "Link to this entry")


# Streamlit runs a file page as "__main__"; an import (tests, other pages) renders nothing.
if __name__ == "__main__":
    glossary_page()
