"""What every page of the web app shares: the engine, and cached work done against it.

Imported by ui/app.py (the entry point) and by the file pages (ui/pages_glossary.py,
ui/pages_citations.py), so the engine cache is one cache whichever page loads first.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from index import bundle
from index.audit import Audit, audit
from index.claims import ClaimCheck, check_claim
from index.engine import Engine, open_engine
from index.settings import Environment, default_corpus_dir, default_index_dir
from ingest.upload import foreign_documents
from ui.render import escape_md, share_url

# Set by `sourcebook serve --read-only`: the app then never writes to the corpus folder.


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


def collections() -> dict[str, Path]:
    """The indexes this server switches between ({} when it serves one): `serve --collection`."""
    return dict(Environment.read().collections)


def active_collection() -> str | None:
    """The collection the page shows: ?c= when it names one, else the first; None with one index."""
    found = collections()
    if len(found) < 2:
        return None
    wanted = param("c")
    return wanted if wanted in found else next(iter(found))


def index_dir() -> Path:
    """The index folder the page shows: the active collection's, else $SOURCEBOOK_INDEX (./.index)."""
    name = active_collection()
    return collections()[name] if name else default_index_dir()


@st.cache_data(show_spinner=False, max_entries=8)
def indexed_files(_engine: Engine, generation: str) -> list[tuple[str, str]]:
    """(document id, sha256 of its file) for every indexed document, read once per generation."""
    return [(d.id, d.sha256) for d in _engine.store.documents()]


def upload_blocked(engine: Engine | None) -> str | None:
    """Why documents cannot be added from the browser (Markdown, escaped), or None when they can."""
    if Environment.read().read_only:
        return "This server is read-only (`sourcebook serve --read-only`): documents cannot be added here."
    if len(collections()) > 1:
        return ("This server shows several collections: add documents to one with "
                "`sourcebook ingest FILES --index DIR`, and the app picks them up.")
    folder = default_corpus_dir()  # where uploads are stored and ingested from
    if not folder.is_dir():
        return (f"Adding documents needs a corpus folder, and there is none at {escape_md(folder.as_posix())}. "
                "Start the app with `sourcebook serve --corpus DIR` (or set SOURCEBOOK\\_CORPUS).")
    if engine is not None:
        # Ingesting the folder replaces the index: documents indexed from elsewhere would be dropped.
        missing = foreign_documents(folder, [doc_id for doc_id, _ in indexed_files(engine, str(engine.generation))])
        if missing:
            return (f"This index holds {len(missing)} document(s) that are not in the corpus folder "
                    f"{escape_md(folder.as_posix())} (for example {escape_md(missing[0])}); adding documents "
                    "here would rebuild the index without them. Start the app with `--corpus` set to the folder "
                    "the index was built from, or rebuild it with `sourcebook ingest`.")
    return None


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


# The generation argument keys the caches: a rebuilt index is audited and checked afresh.
@st.cache_data(show_spinner="Auditing the references…", max_entries=8)
def cached_audit(_engine: Engine, generation: str) -> Audit:
    return audit(_engine.corpus)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_claim(_engine: Engine, generation: str, claim: str) -> ClaimCheck:
    return check_claim(_engine.corpus, claim)


def param(name: str) -> str:
    """A query parameter of the page URL, stripped ("" when absent)."""
    return str(st.query_params.get(name, "")).strip()


# A question, term or claim longer than this is cut (a link with more says so): a 5,000-character
# question filled the sidebar history with one button and made a 5 kB share link.
MAX_INPUT_CHARS = 500


def url_form(param_name: str, label: str, button: str, placeholder: str, key: str | None = None,
             max_chars: int = MAX_INPUT_CHARS) -> str:
    """A one-line form whose value lives in the URL (?param=...): a deep link submits it on
    load, and every submitted value is written back so the page can be bookmarked or shared.
    Returns the value to act on ("" for none), never longer than max_chars."""
    key = key or param_name
    asked = param(param_name)
    if len(asked) > max_chars:
        st.warning(f"This {label.lower()} was cut to its first {max_chars} characters, the most a "
                   f"{label.lower()} may have.")
        asked = asked[:max_chars].strip()
    if key not in st.session_state or len(st.session_state[key]) > max_chars:
        st.session_state[key] = asked
    with st.form(f"{key}_form", border=False):
        typed = st.text_input(label, key=key, placeholder=placeholder, max_chars=max_chars)
        submitted = st.form_submit_button(button, type="primary")
    if submitted:
        asked = typed.strip()
        if asked:
            st.query_params[param_name] = asked
        else:
            st.query_params.pop(param_name, None)
    return asked.strip()


def share_link(href: str, label: str) -> None:
    """A deep link to copy: `href` (one of ui.render's relative links) made absolute when the
    browser's URL is known, shown with st.code, whose built-in button copies it (Streamlit has
    no clipboard API of its own, and a code block needs no JavaScript of ours)."""
    st.caption(label)
    st.code(share_url(st.context.url, href), language=None, wrap_lines=True)
