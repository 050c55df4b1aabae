"""Downloads: an answer as a Markdown file. Pure functions, no Streamlit.

A downloaded file is read raw as often as rendered, so its escaping is lighter than
`ui.render.escape_md`: only the characters that can start Markdown or HTML markup in
running text are backslash-escaped, so the raw file stays readable while a renderer
still shows every document's text literally. The only markup is ours.
"""

from __future__ import annotations

import re

from index.models import Answer, Reference
from ui.render import location, marker_spans, quoted_sentences, reference_links

# Inline markup: emphasis, code, links and images, raw HTML and entities, GFM strikethrough
# and tables, math ($) in renderers that have it, headings (escaped anywhere, for simplicity).
_INLINE = re.compile(r"([\\`*_\[\]<>&~|$#])")
# Block markup at the start of a line: lists, quotes, thematic breaks, setext underlines.
_LEADING_BLOCK = re.compile(r"^([-+=>])")
_ORDERED = re.compile(r"^(\d{1,9})([.)])")


def md_inline(text: str) -> str:
    """`text` on one line, escaped for a Markdown file: it renders as exactly these characters
    (whitespace collapsed)."""
    out = _INLINE.sub(r"\\\1", " ".join(text.split()))
    out = _ORDERED.sub(r"\1\\\2", out)
    return _LEADING_BLOCK.sub(r"\\\1", out)


def md_link(label: str, url: str) -> str:
    """A Markdown link to one of our https URLs (already percent-encoded)."""
    return f"[{md_inline(label)}]({url.replace('(', '%28').replace(')', '%29').replace(' ', '%20')})"


def _answer_text(answer: Answer) -> str:
    """The answer escaped, its real [n] markers kept as they are."""

    def piece(text: str) -> str:
        core = md_inline(text)
        if not core:
            return " " if text else ""
        return (" " if text[0].isspace() else "") + core + (" " if text[-1].isspace() else "")

    out: list[str] = []
    pos = 0
    for s, e in marker_spans(answer):
        out += [piece(answer.text[pos:s]), answer.text[s:e]]
        pos = e
    out.append(piece(answer.text[pos:]))
    return "".join(out).strip()


def reference_markdown(ref: Reference) -> str:
    """One reference as a list item: its raw text, then its identifier links."""
    links = " · ".join(md_link(label, url) for label, url in reference_links(ref))
    return f"- {md_inline(ref.raw)}" + (f" — {links}" if links else "")


def conversation_markdown(answers: list[Answer]) -> str:
    """A conversation's answers in order, each as answer_markdown writes it (its own sources)."""
    return "\n\n---\n\n".join(answer_markdown(a).rstrip() for a in answers) + "\n"


def answer_markdown(answer: Answer) -> str:
    """The answer with its [n] markers, then its sources: title, page, quote and references."""
    lines = [f"# {md_inline(answer.question)}", "", _answer_text(answer), ""]
    if answer.citations:
        lines += ["## Sources", ""]
    for c in answer.citations:
        lines += [f"**[{c.marker}]** {md_inline(location(c.passage.title, c.page, c.page_label))}", ""]
        lines += [f"> {md_inline(q)}" for q in quoted_sentences(c)] + [""]
        if c.references:
            lines += ["References:", ""] + [reference_markdown(r) for r in c.references] + [""]
    if answer.glossary:
        lines += ["## Glossary", ""]
        lines += [f"- **{md_inline(g.term)}**: {md_inline(g.definition)}" for g in answer.glossary] + [""]
    return "\n".join(lines)
