"""Sourcebook's web app: ask the corpus, read the cited passages. Run: `streamlit run ui/app.py`.

The index folder comes from $SOURCEBOOK_INDEX (default ".index"). Pages are plain
functions registered in `PAGES`; add Glossary, Citations or Documents there.

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
from index.engine import Engine, open_engine  # noqa: E402
from index.models import Answer  # noqa: E402
from index.settings import default_index_dir  # noqa: E402
from ui.render import answer_html, citation_html, escape_md, quoted_sentences  # noqa: E402

NO_ANSWER = "The corpus does not answer this question."


# --- the engine ------------------------------------------------------------------


def _still_current(engine: Engine) -> bool:
    """False once the index has been rebuilt, so st.cache_resource loads it again."""
    try:
        return bundle.current_generation(engine.index_dir) == engine.generation
    except bundle.BundleError:
        return False


# Keyed by the index path; `validate` re-checks CURRENT on every use, so a rebuilt
# index is noticed without restarting the server. open_engine keeps its own
# per-process registry, so a reload is one Engine, not one per session.
@st.cache_resource(show_spinner="Loading the index and the model…", validate=_still_current, max_entries=4)
def load_engine(index_dir: str) -> Engine:
    """The shared Engine for an index folder."""
    return open_engine(Path(index_dir))


def index_dir() -> Path:
    return default_index_dir()


def get_engine() -> Engine | None:
    """The engine, or None after telling the reader in plain words why there is none."""
    folder = index_dir()
    try:
        if bundle.current_generation(folder) is None:
            show_no_index(folder)
            return None
        return load_engine(str(folder))
    except bundle.BundleError as exc:
        # The message already says how to rebuild; show it as text, not a traceback.
        st.error(escape_md(str(exc)))
        return None


def show_no_index(folder: Path) -> None:
    path = folder.as_posix()
    # A code span shows its content literally; only a backtick could end it early.
    example = f" (for example `sourcebook ingest corpus/ --index {path}`)" if "`" not in path else ""
    st.info(
        f"There is no index at {escape_md(path)} yet. Build one from your documents with "
        f"`sourcebook ingest`{example}, or set SOURCEBOOK\\_INDEX to the folder of an existing index; "
        "then reload this page."
    )


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


# --- Ask -------------------------------------------------------------------------


def question_from_page() -> str:
    """The question form; returns the question to answer ("" for none).

    The question lives in the URL (?q=...): a deep link asks on load, and every
    asked question is written back so the page can be bookmarked or shared.
    """
    asked = str(st.query_params.get("q", ""))
    if "question" not in st.session_state:
        st.session_state["question"] = asked
    with st.form("ask", border=False):
        typed = st.text_input("Question", key="question", placeholder="e.g. What is the security dilemma?")
        submitted = st.form_submit_button("Ask", type="primary")
    if submitted:
        asked = typed.strip()
        if asked:
            st.query_params["q"] = asked
        else:
            st.query_params.pop("q", None)
    return asked.strip()


@st.cache_data(show_spinner=False, max_entries=256)
def _ask(_engine: Engine, generation: str, question: str) -> Answer:
    """Answers are memoised per index generation: reruns (widget clicks) do not re-ask."""
    return _engine.ask(question)


def show_answer(answer: Answer) -> None:
    st.subheader("Answer")
    st.html(answer_html(answer))
    st.subheader("Sources")
    for c in answer.citations:
        with st.container(border=True):
            st.html(citation_html(c.marker, c.passage, quoted_sentences(c), c.references))


def show_abstention(answer: Answer) -> None:
    if answer.message == "empty question":
        st.warning("Please ask a question in words.")
        return
    st.warning(f"{NO_ANSWER} Nothing in the indexed documents is close enough to quote as an answer.")
    if answer.nearest:
        st.subheader("Nearest passages")
        st.caption("The closest passages found, for you to judge; none of them answers the question.")
        for hit in answer.nearest:
            with st.container(border=True):
                st.html(citation_html(None, hit.passage))


def ask_page() -> None:
    """Ask a question; read the cited answer or the abstention."""
    st.title("Ask the corpus")
    engine = get_engine()
    if engine is None:
        return
    question = question_from_page()
    if not question:
        return
    with st.spinner("Searching the corpus…"):
        answer = _ask(engine, str(engine.generation), question)
    if answer.abstained:
        show_abstention(answer)
    else:
        show_answer(answer)


# --- navigation ------------------------------------------------------------------

# (function, title, Material icon). New pages go here.
PAGES: list[tuple[Callable[[], None], str, str]] = [
    (ask_page, "Ask", ":material/question_answer:"),
]


def main() -> None:
    st.set_page_config(page_title="Sourcebook", page_icon=":material/menu_book:", layout="wide")
    pages = [st.Page(fn, title=title, icon=icon, default=fn is ask_page) for fn, title, icon in PAGES]
    page = st.navigation(pages)
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
