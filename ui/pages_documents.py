"""The Documents page: every indexed document with its metadata, and a reader for one.

A file page of st.navigation (ui/app.py registers it): Streamlit executes this file
as "__main__" on each run, which renders the page; importing it renders nothing.
?doc=<document id> opens a document; &passage=<passage id> highlights and scrolls to
one passage. The reader shows every passage in reading order: body passages with
their glossary terms and reference markers linked, noise passages greyed out with
the reason they are kept out of answers. Every text shown goes through ui.render's
escaping; the only markup is ours.

"Add documents" uploads files into the corpus folder and ingests it (ingest/upload.py
checks and stores them; this page only shows the uploader, the progress and the result).
A document added that way can be removed again from its reader (ingest/remove.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from index.engine import Engine
from index.glossary import Glossary
from index.models import Passage
from index.settings import Settings, default_corpus_dir
from ingest.pipeline import Progress
from ingest.remove import RemoveResult, removable, remove_upload
from ingest.upload import ACCEPTED_TYPES, Upload, UploadResult, add_uploads, megabytes
from ui.pages_common import (
    get_engine,
    index_dir,
    indexed_files,
    param,
    share_link,
    upload_blocked,
)
from ui.pdf_page import PageUnavailable, render_page
from ui.render import (
    CODE_STYLE,
    MARK_STYLE,
    MUTED_STYLE,
    PASSAGE_STYLE,
    Layer,
    document_href,
    esc,
    escape_md,
    layered_html,
    page_text,
    reference_href,
    scroll_script,
    section_text,
    term_layer,
)

CARD_STYLE = "padding:.4em .7em;margin:.3em 0;border-radius:.4em;border:1px solid rgba(128,128,128,.2)"
NOISE_STYLE = "color:#808495;background:rgba(128,128,128,.08);border-style:dashed"
WANTED_STYLE = "border:2px solid #ffb300;background:rgba(255,229,143,.25)"
REF_STYLE = "font-size:.75em;text-decoration:none;margin-left:.1em"
# Passage ids are short hex strings; anything else never reaches the scroll script.
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class DocumentRow:
    """A document's metadata for the list (its text left out)."""

    id: str  # the file's path inside the corpus folder: what the list shows, never the server's own path
    title: str
    source: str | None
    licence: str | None
    body: int
    noise: int


# The generation argument keys the caches: a rebuilt index is read afresh. The rows are a
# resource (shared, never copied): their class lives in this file, which Streamlit runs as
# __main__, so st.cache_data could not pickle them.
@st.cache_resource(show_spinner=False, max_entries=8)
def document_rows(_engine: Engine, generation: str) -> list[DocumentRow]:
    rows = []
    for d in sorted(_engine.store.documents(), key=lambda d: d.id):
        kinds = [p.kind for p in _engine.store.passages_of(d.id)]
        body = sum(k == "body" for k in kinds)  # as the sidebar counts passages: those answers quote
        rows.append(DocumentRow(d.id, d.title, d.source, d.licence, body, len(kinds) - body))
    return rows


@st.cache_data(show_spinner=False, max_entries=32)
def reading_order(_engine: Engine, generation: str, document: str) -> list[Passage]:
    """The passages standing in `document`, by position: its own, and those merged into another document's."""
    placed = [(p.start, p) for p in _engine.store.passages_of(document)]
    for p in _engine.store.all_passages(kind=None):
        if p.document != document:
            starts = [pr.start for pr in p.also if pr.document == document]
            if starts:
                placed.append((min(starts), p))
    return [p for _, p in sorted(placed, key=lambda sp: sp[0])]


# On a phone (390 px) the table's five columns were 520 px wide and the page scrolled sideways:
# below 640 px each row becomes a card of labelled lines.
TABLE_STYLE = ("<style>.sb-documents code{overflow-wrap:anywhere}"
               "@media (max-width:640px){.sb-documents,.sb-documents tbody,.sb-documents tr,.sb-documents td"
               "{display:block;width:100%}.sb-documents thead{display:none}"
               ".sb-documents tr{margin-bottom:.8em;border-bottom:1px solid rgba(128,128,128,.3)}"
               ".sb-documents td{border:none;padding:.1em 0}"
               ".sb-documents td[data-label]::before{content:attr(data-label) \": \";font-weight:600}}</style>")
HEADERS = ("Title", "File", "Source", "Licence", "Passages")


def documents_table_html(rows: list[DocumentRow]) -> str:
    """The list of documents: title (opens the reader), file, source, licence, passages (counted as
    the sidebar counts them, the text kept out of answers beside)."""
    cells = "".join(f"<th style=\"text-align:left\">{h}</th>" for h in HEADERS)
    body = []
    for r in rows:
        count = f"{r.body}" + (f" (and {r.noise} left out of answers)" if r.noise else "")
        values = (f'<a href="{esc(document_href(r.id))}">{esc(r.title)}</a>', f"<code>{esc(r.id)}</code>",
                  esc(r.source or "—"), esc(r.licence or "—"), esc(count))
        tds = "".join(f'<td data-label="{h}">{v}</td>' if h != "Title" else f"<td>{v}</td>"
                      for h, v in zip(HEADERS, values, strict=True))
        body.append(f"<tr>{tds}</tr>")
    return (f'{TABLE_STYLE}<table class="sb-documents"><thead><tr>{cells}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def ref_layer(passage: Passage, known: Collection[str]) -> Layer:
    """Each citing sentence's reference labels as small [n] links, after its last character."""
    out: Layer = []
    for s in passage.sentences:
        end = s.start + len(passage.text[s.start:s.end].rstrip())
        if not s.refs or end <= s.start:
            continue
        links = []
        for label in s.refs:
            ref_id = f"{passage.document}#{label}"
            if ref_id in known:
                links.append(f'<a class="sb-ref" href="{esc(reference_href(ref_id))}" style="{REF_STYLE}">'
                             f"[{esc(label)}]</a>")
            else:
                links.append(f'<span class="sb-ref" style="{REF_STYLE};{MUTED_STYLE}">[{esc(label)}]</span>')
        out.append((end - 1, end, "", f"<sup>{''.join(links)}</sup>"))
    return out


def repeated_chars(previous: Passage | None, passage: Passage) -> int:
    """How many leading characters of `passage` repeat the end of the passage before it: consecutive
    passages of a paragraph share a sentence (settings.build.overlap_sentences), which a reader
    reading them in a row would otherwise see twice."""
    if previous is None or previous.kind != "body" or passage.kind != "body" or not passage.sentences:
        return 0
    ours, theirs = passage.sentence_texts(), previous.sentence_texts()
    shared = next((n for n in range(min(len(ours), len(theirs)), 0, -1) if ours[:n] == theirs[-n:]), 0)
    return passage.sentences[shared].start if shared < len(ours) else len(passage.text)


def passage_html(passage: Passage, document: str, terms: Glossary | None, known: Collection[str],
                 wanted: bool = False, skip: int = 0) -> str:
    """One passage of the reader, anchored by its id; noise greyed out and labelled with its reason.
    The first `skip` characters (what the passage before already showed) are left out."""
    noise = passage.kind == "noise"
    classes = "sb-doc-passage" + (" sb-noise" if noise else "") + (" sb-wanted" if wanted else "")
    style = CARD_STYLE + (";" + NOISE_STYLE if noise else "") + (";" + WANTED_STYLE if wanted else "")
    head = []
    if noise:
        head.append(f"<b>left out of answers: {esc(passage.note or 'noise')}</b>")
    if passage.section_path or passage.section:
        head.append(esc(section_text(passage.section_path) or passage.section))
    if passage.page is not None:
        head.append(esc(page_text(passage.page, passage.page_label)))
    if passage.kind == "code":
        head.append("code")
    # A permalink: opening it marks this passage and offers its link to copy.
    head.append(f'<a class="sb-passage-link" href="{esc(document_href(document, passage.id))}" '
                'title="Link to this passage">link</a>')
    others = list(dict.fromkeys(pr.document for pr in passage.provenances if pr.document != document))
    if others:
        links = ", ".join(f'<a href="{esc(document_href(o, passage.id))}">{esc(o)}</a>' for o in others)
        head.append(f"also in: {links}")
    if noise and passage.note.startswith(("navigation", "figure")):
        body = f'<pre style="{CODE_STYLE}">{esc(passage.text)}</pre>'  # lines as they stood on the page
    elif noise:
        body = esc(passage.text)
    elif passage.kind == "code":
        body = f'<pre class="sb-code" style="{CODE_STYLE}">{esc(passage.text)}</pre>'
    elif passage.kind == "heading":
        body = f"<b>{esc(passage.text)}</b>"
    else:
        text = passage.text[skip:]
        refs = [(a - skip, b - skip, o, c) for a, b, o, c in ref_layer(passage, known) if a >= skip]
        body = ("… " if skip else "") + layered_html(text, refs, term_layer(text, terms))
    if wanted:
        body = f'<mark style="{MARK_STYLE}">{body}</mark>' if noise or passage.kind == "heading" else body
    meta = f'<div style="{MUTED_STYLE}">{" · ".join(head)}</div>' if head else ""
    return (f'<div id="passage-{esc(passage.id)}" class="{classes}" data-passage="{esc(passage.id)}" '
            f'style="{style}">{meta}<div style="{PASSAGE_STYLE}">{body}</div></div>')


def passage_scroll_script(passage_id: str) -> str:
    """A script scrolling the reader to a passage (the id is checked first)."""
    return scroll_script(f"passage-{passage_id}") if _SAFE_ID.match(passage_id) else ""


def choose_document(rows: list[DocumentRow], wanted: str) -> DocumentRow | None:
    """The document picker, filled from ?doc= on first load; the choice is written back to the URL."""
    by_id = {r.id: r for r in rows}
    if "document_choice" not in st.session_state:
        st.session_state["document_choice"] = wanted if wanted in by_id else None
    chosen = st.selectbox("Read a document", list(by_id), key="document_choice", placeholder="Choose a document",
                          format_func=lambda i: f"{by_id[i].title} ({i})")
    if (chosen or "") != param("doc"):
        st.query_params.pop("passage", None)
        if chosen:
            st.query_params["doc"] = chosen
        else:
            st.query_params.pop("doc", None)
    return by_id.get(chosen) if chosen else None


@st.cache_data(show_spinner=False, max_entries=16)
def page_view(path: str, sha256: str, page: int, quotes: tuple[str, ...]) -> tuple[Any, int, bool] | str:
    """(image, pages, quote found) of a PDF page as printed, or why it cannot be shown."""
    try:
        view = render_page(Path(path), sha256, page, quotes)
    except PageUnavailable as exc:
        return str(exc)
    except Exception as exc:  # pdfium refuses a file pypdf read: say so, keep the text reader
        return f"the page could not be rendered ({type(exc).__name__})"
    return view.image, view.pages, view.found


def _sentences(value: str) -> list[int]:
    return [int(x) for x in value.split(",") if x.strip().isdigit()][:20]


def show_page(engine: Engine, row: DocumentRow, page: int, wanted: str) -> None:
    """Page `page` of a PDF as printed, the cited sentences (?s=) or the passage (?passage=) marked,
    with links to the pages either side."""
    doc = engine.store.document(row.id)
    if doc is None or not doc.page_starts:
        st.warning("This document has no pages to show: it is not a PDF.")
        return
    passage = engine.store.passage(wanted) if wanted else None
    texts = passage.sentence_texts() if passage is not None else []
    chosen = [texts[i] for i in _sentences(param("s")) if i < len(texts)]
    quotes = tuple(chosen or ([passage.text] if passage is not None else []))
    shown = page_view(doc.path, doc.sha256, page, quotes)
    if isinstance(shown, str):
        st.warning(escape_md(f"Page {page} cannot be shown: {shown}."))
        return
    image, pages, found = shown
    label = doc.page_label(page)
    st.caption(escape_md(f"{page_text(page, label)} as printed" + ("" if found or not quotes else
                         " (the quoted text could not be placed on this page image)")))
    # The pages either side, unmarked: the quote is on this one.
    nav = [f'<a href="{esc(document_href(row.id, page=n))}">{text}</a>'
           for n, text in ((page - 1, "← previous page"), (page + 1, "next page →")) if 1 <= n <= pages]
    if nav:
        st.html(f'<div class="sb-page-nav">{" · ".join(nav)}</div>')
    st.image(image, width="stretch")


def show_reader(engine: Engine, row: DocumentRow, wanted: str) -> None:
    st.subheader(escape_md(row.title))
    st.caption(escape_md(" · ".join(x for x in (row.id, row.source, row.licence) if x)))
    share_link(document_href(row.id), "Link to this document")
    if (page := param("page")).isdigit():
        show_page(engine, row, int(page), wanted)
    remove_section(engine, row)
    passages = reading_order(engine, str(engine.generation), row.id)
    if wanted and wanted not in {p.id for p in passages}:
        st.warning(f"No passage {escape_md(wanted)} in this document.")
    st.caption("Greyed passages are kept out of answers; their label says why.")
    known = {r.id for r in engine.references}
    previous: Passage | None = None
    for p in passages:
        # A passage is shown from its first new sentence (the one a link names, whole).
        skip = 0 if p.id == wanted else repeated_chars(previous, p)
        previous = p
        if skip >= len(p.text):
            continue
        st.html(passage_html(p, row.id, engine.terms, known, wanted=p.id == wanted, skip=skip))
        if p.id == wanted:
            share_link(document_href(row.id, p.id), "Link to this passage")
    if wanted and (script := passage_scroll_script(wanted)):
        st.html(script, unsafe_allow_javascript=True)


# --- adding documents ---------------------------------------------------------------

UPLOAD_RESULT = "upload_result"  # session_state: the last upload's result, shown once after the rerun
UPLOADER_ROUND = "uploader_round"  # session_state: part of the uploader's key; a new key empties it


def progress_bar(first: str) -> Progress:
    """A progress bar, and the on_progress callback of ingest() that moves it."""
    bar = st.progress(0.0, text=first)

    def on_progress(text: str, fraction: float) -> None:
        bar.progress(min(1.0, max(0.0, fraction)), text=escape_md(text[:1].upper() + text[1:]))

    return on_progress


def ingest_uploads(files: Sequence[UploadedFile], engine: Engine | None) -> UploadResult:
    """Store and ingest the uploaded files, with a progress bar; what the "Ingest" button does."""
    known = {sha: doc_id for doc_id, sha in indexed_files(engine, str(engine.generation))} if engine else {}
    uploads = [Upload(f.name, f.getvalue()) for f in files]
    return add_uploads(default_corpus_dir(), index_dir(), uploads, Settings(), known,
                       progress_bar("Checking the files…"))


def show_upload_result(result: UploadResult) -> None:
    """What the last "Ingest" did: documents added, files already there, one line per failed file."""
    if result.failure:
        st.error(escape_md(f"The index was not updated: {result.failure}. Accepted files were kept in the "
                           "corpus folder; press Ingest again to index them."))
    if result.added and result.report is not None:
        names = ", ".join(s.name for s in result.added)
        st.success(escape_md(f"Added {len(result.added)} document(s): {names}. The index now holds "
                             f"{result.report.documents} documents and {result.report.passages} passages."))
    already = [s for s in result.stored if s.indexed]
    if already:
        st.info(escape_md("Already in the corpus: " + ", ".join(f"{s.name} (as {s.doc_id})" for s in already)))
    if result.warnings:
        lines = "\n".join(f"- {escape_md(str(w))}" for w in result.warnings)
        st.warning(f"{len(result.warnings)} file(s) were added in part:\n\n{lines}")
    if result.problems:
        lines = "\n".join(f"- {escape_md(str(p))}" for p in result.problems)
        st.error(f"{len(result.problems)} file(s) could not be added:\n\n{lines}")


def upload_section(engine: Engine | None) -> None:
    """The uploader ("Add documents") and its "Ingest" button, or why adding is not possible."""
    blocked = upload_blocked(engine)
    if blocked:
        st.info(blocked)
        return
    if (last := st.session_state.pop(UPLOAD_RESULT, None)) is not None:
        show_upload_result(last)
    cap = Settings().upload.max_upload_bytes
    files = st.file_uploader(
        "Add documents", type=ACCEPTED_TYPES, accept_multiple_files=True,
        key=f"uploads_{st.session_state.get(UPLOADER_ROUND, 0)}",
        # The browser refuses bigger files at once; add_uploads checks again, exactly.
        max_upload_size=max(1, math.ceil(cap / 2**20)),
        help="Checked by content, not by name: a PDF must be a real PDF with a text layer, other files UTF-8 text.",
    )
    st.caption(escape_md(
        f"Plain text or Markdown (UTF-8), PDF with a text layer, or BibTeX; up to {megabytes(cap)} a file. "
        f"Files are saved in {default_corpus_dir().as_posix()}/uploads/ under a generated name (the uploaded name "
        "becomes the title) and indexed with the rest of the corpus."))
    if st.button("Ingest", type="primary", disabled=not files, key="ingest_uploads"):
        st.session_state[UPLOAD_RESULT] = ingest_uploads(files or [], engine)
        st.session_state[UPLOADER_ROUND] = st.session_state.get(UPLOADER_ROUND, 0) + 1
        # Rerun the whole app: the sidebar and every page then load the rebuilt index.
        st.rerun()


# --- removing an uploaded document -----------------------------------------------------

REMOVE_CONFIRM = "remove_confirm"  # session_state: the document whose removal awaits a "yes"
REMOVE_RESULT = "remove_result"  # session_state: (title, result) of the last removal, shown once


def remove_section(engine: Engine, row: DocumentRow) -> None:
    """"Remove this document", then a confirmation, for documents added in the web app only
    (ingest/remove.py), and only where documents could be added (not read-only, ...)."""
    if not removable(row.id) or upload_blocked(engine):
        return
    if st.session_state.get(REMOVE_CONFIRM) != row.id:
        if st.button("Remove this document", key="remove_document",
                     help="Deletes the uploaded file from the corpus folder and rebuilds the index without it."):
            st.session_state[REMOVE_CONFIRM] = row.id
            st.rerun()
        return
    st.warning(escape_md(f"Remove {row.title} ({row.id}) from the corpus folder and the index? "
                         "The file is deleted; its passages leave every answer."))
    yes, no = st.columns(2)
    if yes.button("Yes, remove it", type="primary", key="remove_yes"):
        result = remove_upload(default_corpus_dir(), index_dir(), row.id, Settings(), progress_bar("Removing…"))
        st.session_state.pop(REMOVE_CONFIRM, None)
        st.session_state[REMOVE_RESULT] = (row.title, result)
        if result.failure is None:
            st.query_params.pop("doc", None)
            st.query_params.pop("passage", None)
        st.rerun()
    if no.button("Cancel", key="remove_cancel"):
        st.session_state.pop(REMOVE_CONFIRM, None)
        st.rerun()


def show_remove_result(title: str, result: RemoveResult) -> None:
    if result.failure is not None:
        st.error(escape_md(f"{title} was not removed: {result.failure}."))
    elif result.report is not None:
        st.success(escape_md(f"Removed {title}. The index now holds {result.report.documents} documents "
                             f"and {result.report.passages} passages."))


# --- the page ----------------------------------------------------------------------------


def documents_page() -> None:
    st.title("Documents")
    if (removed := st.session_state.pop(REMOVE_RESULT, None)) is not None:
        show_remove_result(*removed)
    engine = get_engine()
    rows = document_rows(engine, str(engine.generation)) if engine is not None else []
    if engine is None or not rows:
        if engine is not None:
            st.info("The index holds no documents.")
        upload_section(engine)
        return
    doc, wanted = param("doc"), param("passage")
    if wanted and not doc and (found := engine.store.passage(wanted)) is not None:
        doc = found.document
        st.query_params["doc"] = doc  # the passage's own document, as if the link had named it
    st.html(documents_table_html(rows))
    upload_section(engine)
    if doc and doc not in {r.id for r in rows}:
        st.warning(f"No document {escape_md(doc)} in this index.")
    row = choose_document(rows, doc)
    if row is not None:
        show_reader(engine, row, wanted if row.id == doc else "")


# Streamlit runs a file page as "__main__"; an import (tests, other pages) renders nothing.
if __name__ == "__main__":
    documents_page()
