"""Safe rendering of corpus text for the web app: pure functions, no Streamlit.

Everything a document contributes (passage text, titles, quotes, references) and
everything a user types is untrusted. Two ways out are offered:

* `escape_md` for the few places Streamlit only accepts Markdown (labels, alerts):
  every ASCII punctuation character is backslash-escaped, which CommonMark allows
  for all of them, so no Markdown, raw HTML, LaTeX (`$`) or Streamlit directive
  (`:red[...]`, `:material/...:`) can form. Streamlit also rewrites *text* after
  parsing (`:smile:` emoji, `:streamlit:` logo, `->` arrows, bare `www.` and
  e-mail autolinks); an invisible word joiner breaks those patterns without
  changing what a reader sees.
* HTML builders (`highlight`, `answer_html`, `citation_html`, ...) for `st.html`:
  every piece of text goes through `html.escape`, and the only markup is ours.
  Streamlit sanitises st.html with DOMPurify as a second line of defence; links are
  only ever https URLs we build from identifiers, percent-encoded.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from urllib.parse import quote as url_quote

from index.glossary import Glossary
from index.models import Answer, Citation, GlossaryEntry, Passage, Reference

# All ASCII punctuation: CommonMark lets a backslash escape any of these.
_MD_PUNCT = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
# U+2060 WORD JOINER: zero-width, no line break. Placed after ":" and inside runs
# of arrow characters, it defeats Streamlit's post-parse text rewrites.
JOINER = "\u2060"
_ARROW_RUN = re.compile(r"(?<=[<>=~-])(?=[<>=~-])")
# GFM turns bare "www.x.org" and "a@b.org" into links even when escaped; a joiner stops it.
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)|(?<=@)")

# Inline styles rather than a stylesheet: st.html is not iframed, and inline styles
# survive DOMPurify and keep each fragment self-contained.
MARK_STYLE = "background:#ffe58f;color:#1f1f1f;padding:0 .1em;border-radius:.2em"
PASSAGE_STYLE = "white-space:pre-wrap;line-height:1.55;margin:.25em 0 .5em 0"
MUTED_STYLE = "color:#808495;font-size:.9em"
CODE_STYLE = "font-family:ui-monospace,monospace;font-size:.9em;white-space:pre;overflow-x:auto;margin:0"
TERM_STYLE = "color:inherit;text-decoration:underline dotted;text-underline-offset:.2em"
# Where the Glossary and Citations pages live (st.Page url_path); links are relative, so
# they work under any server base path.
GLOSSARY_PAGE = "glossary"
CITATIONS_PAGE = "citations"
DOCUMENTS_PAGE = "documents"


def escape_md(text: str) -> str:
    """`text` made inert for st.markdown / labels / alerts: it renders as exactly these characters."""
    # Joiners go in before the backslashes, which would split the runs they look for.
    out = _AUTOLINK.sub(JOINER, _ARROW_RUN.sub(JOINER, text)).replace(":", ":" + JOINER)
    out = _MD_PUNCT.sub(r"\\\1", out)
    # A line that starts with 4 spaces would become a code block; a tab likewise.
    return re.sub(r"(?m)^[ \t]+", "", out)


def esc(text: object) -> str:
    """HTML-escape any value (quotes too, so it is safe inside attributes)."""
    return html.escape(str(text), quote=True)


# --- highlighting ---------------------------------------------------------------


def _find(text: str, needle: str, start: int = 0) -> tuple[int, int] | None:
    """Span of `needle` in `text`, exact first, then with any run of whitespace matching any other."""
    needle = needle.strip()
    if not needle:
        return None
    i = text.find(needle, start)
    if i >= 0:
        return i, i + len(needle)
    words = needle.split()
    m = re.compile(r"\s+".join(re.escape(w) for w in words)).search(text, start)
    return (m.start(), m.end()) if m else None


def quote_spans(text: str, quotes: str | Sequence[str]) -> list[tuple[int, int]]:
    """Where the quoted sentence(s) stand in `text`: sorted, merged, non-overlapping spans.

    A quote that is not found whole is looked for sentence by sentence, since an
    answer may join sentences that are not adjacent in the passage.
    """
    pieces = [quotes] if isinstance(quotes, str) else list(quotes)
    spans: list[tuple[int, int]] = []
    for piece in pieces:
        found = _find(text, piece)
        if found:
            spans.append(found)
            continue
        for part in re.split(r"(?<=[.!?])\s+", piece):
            part_span = _find(text, part)
            if part_span and len(part.strip()) > 1:
                spans.append(part_span)
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


# A span of text wrapped in our own tags: (start, end, opening tag, closing tag).
Layer = list[tuple[int, int, str, str]]


def layered_html(text: str, *layers: Layer) -> str:
    """Escaped `text` with each layer's spans wrapped in its tags, outer layers first.

    Spans of one layer must not overlap. An inner span crossing an outer span's edge is
    cut there and wrapped on each side, so the result always nests properly.
    """

    def render(lo: int, hi: int, depth: int) -> str:
        if depth == len(layers):
            return esc(text[lo:hi])
        out: list[str] = []
        pos = lo
        for s, e, open_tag, close_tag in sorted(layers[depth]):
            s, e = max(s, pos), min(e, hi)
            if s >= e:
                continue
            out += [render(pos, s, depth + 1), open_tag, render(s, e, depth + 1), close_tag]
            pos = e
        out.append(render(pos, hi, depth + 1))
        return "".join(out)

    return render(0, len(text), 0)


# The collection this script run shows, when the server has several (`serve --collection`): every
# link names it (&c=…), since following a link starts a new session. Set at the start of each run,
# in the run's own thread.
COLLECTION: ContextVar[str | None] = ContextVar("COLLECTION", default=None)


def _in_collection(href: str) -> str:
    name = COLLECTION.get()
    return f"{href}&c={url_quote(name, safe='')}" if name else href


def term_href(term: str) -> str:
    """The relative link to a term's Glossary entry: "glossary?term=security%20dilemma"."""
    return _in_collection(f"{GLOSSARY_PAGE}?term={url_quote(term, safe='')}")


def reference_href(ref_id: str) -> str:
    """The relative link to a reference on the Citations page."""
    return _in_collection(f"{CITATIONS_PAGE}?ref={url_quote(ref_id, safe='')}")


def document_href(document: str, passage: str | None = None, page: int | None = None,
                  sentences: Sequence[int] = ()) -> str:
    """The relative link to a document in the Documents page's reader, optionally at one passage, or
    to a PDF page as printed with the passage's sentences marked."""
    href = f"{DOCUMENTS_PAGE}?doc={url_quote(document, safe='')}"
    href += f"&passage={url_quote(passage, safe='')}" if passage else ""
    href += f"&page={page}" if page is not None else ""
    href += f"&s={','.join(map(str, sentences))}" if page is not None and sentences else ""
    return _in_collection(href)


def ask_href(question: str) -> str:
    """The relative link to a question on the Ask page (the app's root): "?q=What%20is%20X%3F"."""
    return _in_collection(f"?q={url_quote(question, safe='')}")


def share_url(page_url: str | None, href: str) -> str:
    """The absolute URL of one of our relative links, given the URL of the page showing it
    (st.context.url: scheme, host, any base path, then the page's own path); the link as it
    is when the page URL is unknown."""
    if not page_url or not page_url.startswith(("http://", "https://")):
        return href
    base = page_url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    for page in (GLOSSARY_PAGE, CITATIONS_PAGE, DOCUMENTS_PAGE):
        if base.endswith("/" + page):
            base = base[: -len(page) - 1]
            break
    return f"{base}/{href}"


def term_link_open(entry: GlossaryEntry) -> str:
    """The opening <a> of a term link: its definition shows on hover (title attribute)."""
    hover = entry.definition if len(entry.definition) <= 300 else entry.definition[:299] + "…"
    return (f'<a class="sb-term" href="{esc(term_href(entry.term))}" title="{esc(hover)}" '
            f'style="{TERM_STYLE}">')


def term_layer(text: str, terms: Glossary | None) -> Layer:
    """Links on the first occurrence of each glossary term in `text`."""
    if terms is None or not len(terms):
        return []
    return [(s, e, term_link_open(entry), "</a>") for s, e, entry in terms.find_in_text(text)]


def term_link(entry: GlossaryEntry, label: str | None = None) -> str:
    """A link to an entry, labelled with its term (or `label`)."""
    return f"{term_link_open(entry)}{esc(label if label is not None else entry.term)}</a>"


def highlight(passage_text: str, quote: str | Sequence[str], terms: Glossary | None = None) -> str:
    """Escaped HTML of the passage with the quoted sentence(s) wrapped in <mark>
    and, given a glossary, the first occurrence of each term linked to its entry."""
    marks: Layer = [(s, e, f'<mark style="{MARK_STYLE}">', "</mark>") for s, e in quote_spans(passage_text, quote)]
    body = layered_html(passage_text, marks, term_layer(passage_text, terms))
    return f'<div class="sb-passage" style="{PASSAGE_STYLE}">{body}</div>'


def quoted_indexes(citation: Citation) -> list[int]:
    """The indexes of the passage's sentences that the citation quotes."""
    return [i for i, t in enumerate(citation.passage.sentence_texts()) if t.strip() and t in citation.quote]


def quoted_sentences(citation: Citation) -> list[str]:
    """The passage's own sentences that the citation quotes (the quote itself if none match)."""
    texts = citation.passage.sentence_texts()
    return [texts[i] for i in quoted_indexes(citation)] or [citation.quote]


# --- answers, citations, references ----------------------------------------------


def page_text(page: int | None, label: str | None = None) -> str:
    """ "p. 28 (PDF p. 32)" when the printed label differs from the PDF page, "p. 5" when it is the
    same or unknown, "" for page-less documents."""
    if page is None:
        return ""
    if label and label != str(page):
        return f"p. {label} (PDF p. {page})"
    return f"p. {page}"


def location(title: str, page: int | None, label: str | None = None) -> str:
    """ "Title, p. 28 (PDF p. 32)" (or just the title for page-less documents), as plain text."""
    where = page_text(page, label)
    return f"{title}, {where}" if where else title


def section_text(path: Sequence[str]) -> str:
    """A passage's section path as shown: "7 R Miscellanea › 7.2 How can I save my workspace?"."""
    return " › ".join(path)


def marker_spans(answer: Answer) -> list[tuple[int, int]]:
    """Where the [n] markers of the answer's real citations stand in its text."""
    markers = {c.marker for c in answer.citations}
    return [m.span() for m in re.finditer(r"\[(\d+)\]", answer.text) if int(m.group(1)) in markers]


def cite_id(marker: int) -> str:
    """The HTML id of the source card of citation [marker], which the answer's marker links to."""
    return f"cite-{marker}"


# A source card a marker was clicked on stands out (it is the page's :target).
TARGET_STYLE = ("<style>.sb-citation:target{outline:3px solid #f0b400;outline-offset:6px;border-radius:4px}"
                ".sb-marker{text-decoration:none}</style>")


def answer_html(answer: Answer, terms: Glossary | None = None) -> str:
    """The answer text, escaped, with its [n] markers (only markers of real citations) as bold links
    to their source cards, the quote shown on hover, and, given a glossary, the first occurrence of
    each term linked to its entry."""
    quotes = {c.marker: c.quote for c in answer.citations}
    markers: Layer = []
    for s, e in marker_spans(answer):
        n = int(answer.text[s + 1:e - 1])
        markers.append((s, e, f'<a class="sb-marker" href="#{cite_id(n)}" title="{esc(quotes[n])}"><b>', "</b></a>"))
    body = layered_html(answer.text, markers, term_layer(answer.text, terms))
    return f'{TARGET_STYLE}<div class="sb-answer" style="font-size:1.1em;line-height:1.6">{body}</div>'


def reference_links(ref: Reference) -> list[tuple[str, str]]:
    """(label, https URL) for the identifiers of a reference: DOI, JSTOR, ISBN."""
    links: list[tuple[str, str]] = []
    if ref.doi:
        links.append((f"doi:{ref.doi}", "https://doi.org/" + url_quote(ref.doi.strip(), safe="/")))
    if ref.jstor:
        digits = re.sub(r"\D", "", ref.jstor)
        if digits:
            links.append((f"JSTOR {digits}", f"https://www.jstor.org/stable/{digits}"))
    if ref.isbn:
        digits = re.sub(r"[^0-9Xx]", "", ref.isbn).upper()
        if digits:
            links.append((f"ISBN {ref.isbn}", f"https://openlibrary.org/isbn/{digits}"))
    return links


def reference_text(ref: Reference) -> str:
    """Plain-text citation of a reference: authors (year). Title. Container."""
    head = "; ".join(ref.authors)
    if ref.year:
        head = f"{head} ({ref.year})" if head else f"({ref.year})"
    title = ""
    if ref.title:
        # House style: the title's full stop goes inside the quotation marks.
        title = f"“{ref.title}”" if ref.title[-1] in ".?!" else f"“{ref.title}.”"
    out = " ".join(p for p in (f"{head}." if head else "", title, ref.container or "") if p)
    return out or ref.raw


def reference_html(ref: Reference) -> str:
    """One reference as an escaped <li> with its identifier links."""
    links = " · ".join(
        f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(label)}</a>'
        for label, url in reference_links(ref)
    )
    tail = f" — {links}" if links else ""
    return f"<li>{esc(reference_text(ref))}{tail}</li>"


def citation_html(
    marker: int | None,
    passage: Passage,
    quotes: str | Sequence[str] = (),
    references: Iterable[Reference] = (),
    terms: Glossary | None = None,
    at: tuple[int | None, str | None] | None = None,
) -> str:
    """A citation card: "[n] title, p. N", the passage (quote highlighted, terms linked), its references.
    `at` is the (page, label) of the quoted sentence when it stands on a later page than the passage starts."""
    label = f"[{marker}] " if marker is not None else ""
    page, page_label = at if at is not None else (passage.page, passage.page_label)
    head = f"<div><b>{esc(label + location(passage.title, page, page_label))}</b></div>"
    if passage.section_path:
        head += f'<div class="sb-section" style="{MUTED_STYLE}">{esc(section_text(passage.section_path))}</div>'
    refs = list(references)
    tail = ""
    if refs:
        items = "".join(reference_html(r) for r in refs)
        tail = f'<div style="{MUTED_STYLE}">References</div><ul style="margin-top:.2em">{items}</ul>'
    if passage.kind == "code":  # a code block is quoted whole and shown as code
        body = f'<pre class="sb-code" style="{CODE_STYLE}"><mark style="{MARK_STYLE}">{esc(passage.text)}</mark></pre>'
    else:
        body = highlight(passage.text, quotes, terms)
    anchor = f' id="{cite_id(marker)}"' if marker is not None else ""
    return f'<div class="sb-citation"{anchor}>{head}{body}{tail}</div>'


# --- scrolling to a deep link's target ------------------------------------------------

_SAFE_DOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def dom_id(kind: str, key: str) -> str:
    """An HTML id for any key (reference ids hold '#' and '.'): the kind and a short hash."""
    return f"{kind}-{hashlib.sha1(key.encode()).hexdigest()[:12]}"


def scroll_script(element_id: str) -> str:
    """A script scrolling the page to an element; ids outside [A-Za-z0-9_-] never reach it."""
    if not _SAFE_DOM_ID.match(element_id):
        return ""
    target = json.dumps(element_id)
    return (f"<script>setTimeout(function(){{var e=document.getElementById({target});"
            "if(e){e.scrollIntoView({behavior:'smooth',block:'center'});}},300);</script>")
