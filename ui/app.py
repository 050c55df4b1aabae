"""Sourcebook's web app: ask the corpus, read the cited passages. Run: `streamlit run ui/app.py`.

The index folder comes from $SOURCEBOOK_INDEX (default ".index"). Pages are registered
in `PAGES`: Ask is a function here; Glossary, Citations and Documents are files (ui/pages_glossary.py,
ui/pages_citations.py, ui/pages_documents.py) sharing the engine through ui/pages_common.py.

Rendering rule: nothing from a document or a user reaches st.markdown unescaped.
Corpus text is shown through `ui.render` (HTML-escaped for st.html, or
Markdown-escaped for labels and alerts).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

# `streamlit run ui/app.py` puts ui/ (not the project root) on sys.path; until the
# package is installed, make `index` and `ui` importable from a checkout.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from index import bundle  # noqa: E402
from index.bibtex import to_bibtex  # noqa: E402
from index.engine import Engine  # noqa: E402
from index.models import Answer, Citation, Passage, Reference  # noqa: E402
from index.query.abstain import ABSTAIN_TEXT  # noqa: E402
from index.query.followup import FollowUp, Turn  # noqa: E402
from index.query.followup import resolve as resolve_follow_up  # noqa: E402
from ui.pages_common import (  # noqa: E402
    active_collection,
    collections,
    get_engine,
    index_dir,
    load_engine,
    share_link,
    url_form,
)
from ui.pages_export import answer_markdown, conversation_markdown  # noqa: E402
from ui.render import (  # noqa: E402
    CITATIONS_PAGE,
    COLLECTION,
    DOCUMENTS_PAGE,
    GLOSSARY_PAGE,
    MUTED_STYLE,
    answer_html,
    ask_href,
    citation_html,
    document_href,
    esc,
    escape_md,
    quoted_indexes,
    quoted_sentences,
    term_link,
)

# Imported by the tests and by anyone who used them from here before ui.pages_common.
__all__ = ["PAGES", "get_engine", "index_dir", "load_engine", "main"]


# --- sidebar ---------------------------------------------------------------------


def _when(stamp: object) -> str:
    """The manifest's build time, minutes only ("2026-11-22 21:56 UTC"); as stored when unparsable."""
    try:
        return datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%S%z").strftime("%Y-%m-%d %H:%M %Z")
    except ValueError:
        return str(stamp or "unknown")


def sidebar(engine: Engine) -> None:
    """Corpus at a glance."""
    stats = engine.stats()
    with st.sidebar:
        st.subheader("Corpus")
        left, right = st.columns(2)
        left.metric("Documents", stats.get("documents", 0))
        right.metric("Passages", stats.get("passages", 0))
        left.metric("References", stats.get("references", 0))
        right.metric("Glossary", stats.get("glossary", 0))
        st.caption(f"Built {escape_md(_when(stats.get('built_at')))}")
        st.caption(f"Model {escape_md(str(stats.get('model') or 'unknown'))}")


def choose_collection() -> None:
    """With several collections, the sidebar switches between them (the page starts afresh there)."""
    names = list(collections())
    current = active_collection()
    if current is None:
        return
    key = "collection_choice"  # one widget for the session: a new index each run would make a new one
    if st.session_state.get(key) not in names:
        st.session_state[key] = current
    chosen = st.sidebar.selectbox("Collection", names, key=key)
    if chosen != current:
        st.query_params.clear()
        st.query_params["c"] = chosen
        for state in ("question", CONVERSATION, HISTORY, "document_choice"):
            st.session_state.pop(state, None)
        st.rerun()


# --- Ask -------------------------------------------------------------------------


def question_from_page() -> str:
    """The question form; the question lives in the URL (?q=...)."""
    return url_form("q", "Question", "Ask", "e.g. What is the security dilemma?", key="question")


@st.cache_data(show_spinner=False, max_entries=256)
def _ask(_engine: Engine, generation: str, question: str) -> Answer:
    """Answers are memoised per index generation: reruns (widget clicks) do not re-ask."""
    return _engine.ask(question)


def answer_references(answer: Answer) -> list[Reference]:
    """The references of all the answer's citations, each once, in order of citation."""
    return list({r.id: r for c in answer.citations for r in c.references}.values())


def glossary_html(answer: Answer) -> str:
    """The answer's glossary entries, briefly: term (linked) and the start of its definition."""
    items = []
    for entry in answer.glossary:
        short = entry.definition if len(entry.definition) <= 160 else entry.definition[:159] + "…"
        items.append(f"<li>{term_link(entry)} — {esc(short)}</li>")
    return f'<ul class="sb-glossary" style="margin:0">{"".join(items)}</ul>'


def show_downloads(answer: Answer) -> None:
    left, right = st.columns(2)
    left.download_button("Download answer (Markdown)", answer_markdown(answer), file_name="answer.md",
                         mime="text/markdown", icon=":material/download:", width="stretch")
    refs = answer_references(answer)
    right.download_button("Download references (BibTeX)", to_bibtex(refs) if refs else "", file_name="references.bib",
                          mime="application/x-bibtex", icon=":material/download:", disabled=not refs,
                          help=None if refs else "The cited passages cite no references.", width="stretch")


def show_answer(answer: Answer, engine: Engine) -> None:
    st.subheader("Answer")
    st.html(answer_html(answer, engine.terms))
    if answer.glossary:
        st.caption("Terms in this answer (open one in the Glossary)")
        st.html(glossary_html(answer))
    show_downloads(answer)
    st.subheader("Sources")
    for c in answer.citations:
        with st.container(border=True):
            st.html(citation_html(c.marker, c.passage, quoted_sentences(c), c.references, engine.terms,
                                  at=(c.page, c.page_label))
                    + open_in_document(c.passage, c))


def open_in_document(passage: Passage, citation: Citation | None = None) -> str:
    """A link opening the passage where it stands, in the Documents page's reader; for a citation
    of a PDF, one to the page as printed with the quote marked."""
    href = document_href(passage.document, passage.id)
    links = f'<a href="{esc(href)}">open in document</a>'
    if citation is not None and citation.page is not None and passage.document.lower().endswith(".pdf"):
        page = document_href(passage.document, passage.id, citation.page, quoted_indexes(citation))
        links += f' · <a class="sb-page-link" href="{esc(page)}">see the page as printed</a>'
    return f'<div class="sb-open-document" style="{MUTED_STYLE}">{links}</div>'


def show_abstention(answer: Answer) -> None:
    if answer.message == "empty question":
        st.warning("Please ask a question in words.")
        return
    st.warning(f"{ABSTAIN_TEXT} Nothing in the indexed documents is close enough to quote as an answer.")
    if answer.nearest:
        st.subheader("Nearest passages")
        st.caption("The closest passages found, for you to judge; none of them answers the question.")
        for hit in answer.nearest:
            with st.container(border=True):
                st.html(citation_html(None, hit.passage) + open_in_document(hit.passage))


# --- history and examples ----------------------------------------------------------

HISTORY = "asked"  # session_state: the questions asked in this session, newest first
HISTORY_SIZE = 20


def remember(question: str) -> None:
    """Put `question` first in this session's history (once)."""
    asked = [q for q in st.session_state.get(HISTORY, []) if q != question]
    st.session_state[HISTORY] = [question, *asked][:HISTORY_SIZE]


def _ask_again(question: str) -> None:
    """Button callback (runs before the rerun, so the form's widget may still be set)."""
    st.session_state["question"] = question
    st.query_params["q"] = question


def example_questions(engine: Engine, n: int = 5) -> list[str]:
    """Questions about the corpus's most mentioned glossary terms: "What is X?", "Who is X?"."""
    entries = sorted(engine.terms.entries_sorted(), key=lambda e: -e.mention_count)[:n]
    return [f"{'Who' if e.kind == 'person' else 'What'} is {e.term}?" for e in entries]


HISTORY_LABEL_CHARS = 80  # a longer question is shown shortened in the sidebar (and asked whole)


def question_buttons(questions: list[str], key: str) -> None:
    for i, q in enumerate(questions):
        label = q if len(q) <= HISTORY_LABEL_CHARS else q[:HISTORY_LABEL_CHARS - 1].rstrip() + "…"
        st.button(escape_md(label), key=f"{key}_{i}", help=escape_md(q) if label != q else None,
                  on_click=_ask_again, args=(q,), type="tertiary",
                  icon=":material/replay:" if key == "history" else ":material/lightbulb:")


def show_history() -> None:
    asked = st.session_state.get(HISTORY, [])
    if asked:
        with st.sidebar:
            st.subheader("Asked in this session")
            question_buttons(asked, "history")


def show_examples(engine: Engine) -> None:
    examples = example_questions(engine)
    if examples:
        st.caption("New here? Try one of these questions about the corpus:")
        question_buttons(examples, "example")


CONVERSATION = "conversation"  # session_state: this conversation's turns, oldest first (Turn, asked, Answer)


def _start_over() -> None:
    """Button callback: forget the conversation (the next question stands alone) and the question."""
    st.session_state[CONVERSATION] = []
    st.session_state["question"] = ""
    st.query_params.pop("q", None)


def follow_up(engine: Engine, question: str) -> FollowUp:
    """The question resolved against the turn before it; the conversation gains it as a new turn."""
    turns: list[tuple[Turn, str, Answer]] = st.session_state.setdefault(CONVERSATION, [])
    if turns and turns[-1][1] == question:  # a rerun of the same question (a widget was used)
        turns.pop()
    previous = turns[-1][0] if turns else None
    return resolve_follow_up(question, previous, engine.terms_in)


def show_conversation() -> None:
    """The earlier turns, folded, and the whole conversation as Markdown, with a way to start over."""
    turns: list[tuple[Turn, str, Answer]] = st.session_state.get(CONVERSATION, [])
    if len(turns) < 2:
        return
    with st.expander(f"Earlier in this conversation ({len(turns) - 1})"):
        for turn, asked, answer in turns[:-1]:
            st.markdown(f"**{escape_md(asked)}**" + (f" (searched for: {escape_md(turn.question)})"
                                                       if turn.question != asked else ""))
            # As text: an earlier answer's [n] would link to the cards of the answer shown below.
            st.html(f'<div class="sb-earlier">{esc(answer.text)}</div>')
    left, right = st.columns(2)
    left.download_button("Download the conversation (Markdown)", conversation_markdown([a for _, _, a in turns]),
                         file_name="conversation.md", mime="text/markdown", icon=":material/download:",
                         width="stretch")
    right.button("Start over", on_click=_start_over, icon=":material/restart_alt:", width="stretch",
                 help="Forget the conversation: the next question is read on its own")


def ask_page() -> None:
    """Ask a question (a follow-up is read against the one before it); read the cited answer or the abstention."""
    st.title("Ask the corpus")
    engine = get_engine()
    if engine is None:
        return
    question = question_from_page()
    if question:
        remember(question)
    show_history()
    if not question:
        if not st.session_state.get(HISTORY):
            show_examples(engine)
        return
    resolved = follow_up(engine, question)
    if resolved.changed:
        meanings = ", ".join(f"{word} = {name}" for word, name in resolved.meanings)
        st.html(f'<div class="sb-resolved" style="{MUTED_STYLE}">Searching for: <b>{esc(resolved.resolved)}</b> '
                f"({esc(meanings)}, from the previous question)</div>")
    with st.spinner("Searching the corpus…"):
        answer = _ask(engine, str(engine.generation), resolved.resolved)
    st.session_state[CONVERSATION].append((Turn(resolved.resolved, answer.text), question, answer))
    if answer.abstained:
        show_abstention(answer)
    else:
        show_answer(answer, engine)
    if answer.message != "empty question":
        share_link(ask_href(resolved.resolved), "Link to this answer")
    show_conversation()


# --- navigation ------------------------------------------------------------------

# (function or page file relative to ui/, title, Material icon, URL path). New pages go here.
# Glossary and Citations are files so that AppTest.switch_page can open them; their URL
# paths are the ones ui.render's links point to (GLOSSARY_PAGE, CITATIONS_PAGE).
PAGES: list[tuple[Callable[[], None] | str, str, str, str | None]] = [
    (ask_page, "Ask", ":material/question_answer:", None),
    ("pages_glossary.py", "Glossary", ":material/dictionary:", GLOSSARY_PAGE),
    ("pages_citations.py", "Citations", ":material/format_quote:", CITATIONS_PAGE),
    ("pages_documents.py", "Documents", ":material/description:", DOCUMENTS_PAGE),
]


def main() -> None:
    # An emoji, drawn by the browser: a ":material/…:" page icon is fetched from fonts.gstatic.com,
    # which fails offline and tells a public server that the app was opened.
    st.set_page_config(page_title="Sourcebook", page_icon="📖", layout="wide")
    pages = [st.Page(page, title=title, icon=icon, url_path=url_path, default=page is ask_page)
             for page, title, icon, url_path in PAGES]
    page = st.navigation(pages)
    COLLECTION.set(active_collection())  # every link of this run names it
    choose_collection()
    folder = index_dir()
    try:
        if bundle.current_generation(folder) is not None:
            sidebar(load_engine(str(folder)))
    except bundle.BundleError:
        pass  # the page itself explains what is wrong with the index
    page.run()


# `streamlit run` (and AppTest) execute this file as __main__; importing it runs nothing.
if __name__ == "__main__":
    main()
