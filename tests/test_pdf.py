"""PDFs read from their layout: margins, page labels, contents pages, headings, code, figures, footnotes.

The fixture is a small book drawn with reportlab's canvas the way typesetters lay out a page:
a running header that alternates sides, a page number in the footer, roman front matter,
a contents page with dot leaders, numbered headings in a bold sans face, a figure's tick labels
in small type, a console session in Courier, a footnote below the body and a paragraph that
runs over a page break. It is read through `read_pdf` and through a real ingestion.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from index.bundle import current_generation
from index.models import Passage
from index.store import Store
from ingest.pdf.reader import read_pdf
from ingest.pipeline import IngestReport, ingest
from ingest.readers import RawText

TITLE = "A Small Manual"
BODY_FONT, BODY_SIZE, LEADING = "Times-Roman", 10.0, 14.0
LEFT, RIGHT, TOP = 72.0, 523.0, 740.0
HEADER_Y, FOOTER_Y = 800.0, 40.0
ROMAN = ["i", "ii"]  # the printed numbers of the front matter; the main matter starts at "1" on PDF page 3
CONTENTS = [("Preface", "i", 0.0), ("1 Basics", "1", 0.0), ("1.1 How do I start?", "1", 12.0),
            ("1.2 What is a widget?", "2", 12.0), ("1.3 Where do widgets come from?", "3", 12.0)]
BROKEN_SENTENCE = ("Most widgets hum within a few seconds, but an old widget may take longer because its springs "
                   "are stiff and its counter has to find the zero position before it can count anything at all.")
CODE = ["R> x <- c(1, 2, 3)", "R> mean(x)", "[1] 2"]
FOOTNOTE = "This is a footnote."
CAPTION = "Figure 1: The count of a new widget over its first forty seconds."
X_TICKS, Y_TICKS = ["0", "10", "20", "30", "40"], ["0.0", "0.5", "1.0"]


def printed(page: int) -> str:
    """The number printed on a 1-based PDF page of the book."""
    return ROMAN[page - 1] if page <= len(ROMAN) else str(page - len(ROMAN))


class _Page:
    """One page of the book: a cursor going down the body, with the header and footer drawn."""

    def __init__(self, c: Any, number: int) -> None:
        self.c, self.y = c, TOP
        label = printed(number)
        c.setFont(BODY_FONT, 9)
        if number % 2:  # a right-hand page: title at the inner (left) edge, number outside
            c.drawString(LEFT, HEADER_Y, TITLE)
            c.drawRightString(RIGHT, HEADER_Y, label)
        else:
            c.drawString(LEFT, HEADER_Y, label)
            c.drawRightString(RIGHT, HEADER_Y, TITLE)
        c.drawCentredString((LEFT + RIGHT) / 2, FOOTER_Y, label)

    def heading(self, text: str, size: float = 13.0, font: str = "Helvetica-Bold", space: float = 10.0) -> None:
        if self.y < TOP:
            self.y -= space
        self.c.setFont(font, size)
        self.c.drawString(LEFT, self.y, text)
        self.y -= size + 8

    def para(self, lines: list[str], indent: float = 0.0) -> None:
        """Body lines as given (the line breaks are the typesetter's); the first line indented."""
        for n, line in enumerate(lines):
            x = LEFT + (indent if n == 0 else 0.0)
            if "^" in line:  # a superscript footnote marker: "word^1 more"
                before, rest = line.split("^", 1)
                mark, after = rest.split(" ", 1)
                self.c.setFont(BODY_FONT, BODY_SIZE)
                self.c.drawString(x, self.y, before)
                x += self.c.stringWidth(before, BODY_FONT, BODY_SIZE)
                self.c.setFont(BODY_FONT, 6.5)
                self.c.drawString(x + 0.5, self.y + 4, mark)
                x += self.c.stringWidth(mark, BODY_FONT, 6.5) + 0.5
                self.c.setFont(BODY_FONT, BODY_SIZE)
                self.c.drawString(x, self.y, " " + after)
            else:
                self.c.setFont(BODY_FONT, BODY_SIZE)
                self.c.drawString(x, self.y, line)
            self.y -= LEADING


def make_book(path: Path, page_labels: bool = True) -> None:
    """A five-page A4 book: title and preface (i), contents (ii), then chapter 1 on pages 1-3.

    With `page_labels` the PDF declares its labels (/PageLabels: i, ii, 1, 2, 3) and its title in
    its metadata; without, a reader has only the page as printed to go by: the numbers in the
    header and footer, the title set large on the first page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    if page_labels:
        c.setTitle(TITLE)
        c.addPageLabel(0, style="ROMAN_LOWER")
        c.addPageLabel(len(ROMAN), style="ARABIC", start=1)

    page = _Page(c, 1)
    page.heading(TITLE, size=20)
    page.heading("Notes on widgets and their keepers", size=12, font="Helvetica")
    page.heading("Preface", space=30)
    page.para([
        "This manual explains how to start a widget, what a widget is made of and where widgets come",
        "from. It is written for readers who have never used a widget before. The last section describes",
        "a kernel-based smoother that keeps the counter steady when the springs of a widget are cold.",
    ])
    c.showPage()

    page = _Page(c, 2)
    page.heading("Contents")
    c.setFont(BODY_FONT, BODY_SIZE)
    for entry, number, indent in CONTENTS:
        c.drawString(LEFT + indent, page.y, entry)
        start = LEFT + indent + c.stringWidth(entry, BODY_FONT, BODY_SIZE) + 8
        c.drawString(start, page.y, " ".join("." * int((RIGHT - 20 - start) / 5)))
        c.drawRightString(RIGHT, page.y, number)
        page.y -= LEADING + 2
    c.showPage()

    page = _Page(c, 3)
    page.heading("1 Basics")
    page.para([
        "Widgets are small machines that count things. This chapter shows how to start one, what it is",
        "made of and where it comes from.",
    ])
    page.heading("1.1 How do I start?")
    page.para([
        "To start a widget, press the green button twice. Every widget has two identi-",
        "cal buttons; press the one on the left, since the other is a spare^1 and never wired. A kernel-",
        "based smoother then settles the counter within a second or two.",
    ])
    page.para([
        "When the widget hums, it is ready. Most widgets hum within a few seconds, but an old widget",
        "may take longer because its springs are stiff and its counter has to find the zero",
    ], indent=12)
    c.setFont(BODY_FONT, 7.5)
    c.drawString(LEFT, 80, f"1 {FOOTNOTE}")
    c.showPage()

    page = _Page(c, 4)
    page.para(["position before it can count anything at all. After that, the widget is ready for use."])
    page.heading("1.2 What is a widget?")
    page.para([
        "A widget is a box with a counter, two buttons and a spring. Figure 1 shows how the count of a",
        "new widget grows over its first forty seconds.",
    ])
    # The figure: a framed plot, tick labels in small type, then its caption in body type.
    top, bottom, x0, x1 = page.y - 10, page.y - 130, 130.0, 430.0
    c.rect(x0, bottom, x1 - x0, top - bottom)
    c.setFont("Helvetica", 7)
    for n, tick in enumerate(Y_TICKS):
        c.drawRightString(x0 - 4, bottom - 2 + n * (top - bottom) / 2, tick)
    for n, tick in enumerate(X_TICKS):
        c.drawCentredString(x0 + n * (x1 - x0) / 4, bottom - 10, tick)
    c.drawCentredString((x0 + x1) / 2, bottom - 20, "Time (s)")
    page.y = bottom - 44
    page.para([CAPTION])
    page.y -= 6
    page.para(["To check the counter, type these lines at the prompt of R:"])
    page.y -= 8
    c.setFont("Courier", 9)
    for line in CODE:
        c.drawString(LEFT + 12, page.y, line)
        page.y -= 11
    page.y -= 10
    page.para(["The mean of the three counts is two, as the last line shows."])
    c.showPage()

    page = _Page(c, 5)
    page.heading("1.3 Where do widgets come from?")
    page.para([
        "Widgets are made in small workshops by people who care about counting. Each workshop tests",
        "its widgets twice before they are sold, and a widget that fails the second test is taken apart.",
    ])
    c.showPage()
    c.save()


# --- the book read and ingested once per module -------------------------------------------------


@dataclass
class Ingested:
    raw: RawText
    report: IngestReport
    passages: list[Passage]


def _ingest(folder: Path, index_dir: Path, name: str) -> Ingested:
    report = ingest([folder], index_dir)
    assert not report.errors and report.documents == 1, report.errors
    gen = current_generation(index_dir)
    assert gen is not None
    return Ingested(read_pdf(folder / name, 10**8), report, Store(gen / "store.sqlite").passages_of(name))


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    folder = tmp_path_factory.mktemp("book")
    make_book(folder / "book.pdf")
    return _ingest(folder, tmp_path_factory.mktemp("book-index"), "book.pdf")


@pytest.fixture(scope="module")
def printed_book(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    """The same book without /PageLabels or a metadata title: labels and title come from the page."""
    folder = tmp_path_factory.mktemp("printed-book")
    make_book(folder / "printed.pdf", page_labels=False)
    return _ingest(folder, tmp_path_factory.mktemp("printed-index"), "printed.pdf")


def body(passages: list[Passage]) -> list[Passage]:
    return [p for p in passages if p.kind == "body"]


def only(passages: list[Passage], text: str) -> Passage:
    found = [p for p in passages if text in p.text]
    assert len(found) == 1, (text, [(p.kind, p.text) for p in passages])
    return found[0]


# --- what a reader of the page would not quote ---------------------------------------------------


def test_margins_contents_figures_code_and_footnotes_stay_out_of_body_text(book: Ingested) -> None:
    texts = [p.text for p in body(book.passages)]
    assert texts
    joined = "\n".join(texts)
    assert TITLE not in joined  # the running header (the title page's title is a heading)
    assert not re.search(r"\. \. \.|\.{4}", joined)  # dot leaders
    for tick_row in (" ".join(X_TICKS), *Y_TICKS, "Time (s)"):
        assert tick_row not in joined
    for line in CODE:
        assert line not in joined
    # The footnote is kept as a passage of its own (chunk.py keeps footnotes searchable), never
    # inside the prose it annotates.
    notes = [p for p in book.passages if FOOTNOTE in p.text]
    assert [p.text for p in notes] == [f"1 {FOOTNOTE}"] and notes[0].page == 3, notes
    for p in body(book.passages):
        if p in notes:
            continue
        # No footer number glued to a sentence ("… for use. 2"), nor a header's ("1 A Small …").
        for s in p.sentence_texts():
            assert not re.search(r"(?:^\d{1,2}\s+[A-Z]|[.?!]\s+\d{1,2}$)", s), s
    # The raw text itself has no running header lines: the margins were taken out.
    assert book.raw.text.count(TITLE) == 1  # the title page's title only


def test_the_contents_page_is_navigation(book: Ingested) -> None:
    contents = [p for p in book.passages if p.page == 2]
    assert contents and all(p.kind == "noise" and p.note.startswith("navigation") for p in contents), contents
    assert "1.1 How do I start?" in " ".join(p.text for p in contents)
    assert book.raw.blocks is not None
    page2 = [b for b in book.raw.blocks if book.raw.page_starts[1] <= b.start < book.raw.page_starts[2]]
    assert [b.kind for b in page2] == ["navigation"]


def test_figure_ticks_and_caption_are_kept_out_of_answers(book: Ingested) -> None:
    ticks = only(book.passages, " ".join(X_TICKS))
    assert ticks.kind == "noise" and ticks.note == "figure or table text"
    assert ticks.page == 4
    for tick in Y_TICKS:
        assert any(tick in p.text for p in book.passages if p.kind == "noise" and p.note == "figure or table text")
    caption = only(book.passages, CAPTION)
    assert caption.kind == "noise" and caption.note == "figure or table caption" and caption.page == 4
    assert caption.section == "1.2 What is a widget?"


def test_code_is_one_passage_with_its_lines(book: Ingested) -> None:
    code = [p for p in book.passages if p.kind == "code"]
    assert len(code) == 1, [(p.kind, p.text) for p in book.passages]
    assert [line.strip() for line in code[0].text.splitlines()] == CODE
    assert code[0].page == 4 and code[0].section_path == ("1 Basics", "1.2 What is a widget?")


# --- headings and sections ------------------------------------------------------------------------


def test_numbered_headings_name_the_sections_under_them(book: Ingested) -> None:
    start = only(body(book.passages), "press the green button twice")
    assert start.section == "1.1 How do I start?"
    assert start.section_path == ("1 Basics", "1.1 How do I start?")
    intro = only(body(book.passages), "Widgets are small machines")
    assert intro.section_path == ("1 Basics",)
    origin = only(body(book.passages), "small workshops")
    assert origin.section_path == ("1 Basics", "1.3 Where do widgets come from?")
    preface = only(body(book.passages), "This manual explains")
    assert preface.section == "Preface"
    headings = ["1 Basics", "1.1 How do I start?", "1.2 What is a widget?", "1.3 Where do widgets come from?",
                "Preface", "Notes on widgets and their keepers"]
    for p in book.passages:
        if p.kind != "noise":
            for s in p.sentence_texts():
                assert not any(h in s for h in headings), (s, p.kind)
    assert book.raw.blocks is not None
    levels = {book.raw.text[b.start:b.end]: b.level for b in book.raw.blocks if b.kind == "heading"}
    assert levels["1 Basics"] == 1 and levels["1.1 How do I start?"] == 2 and levels["1.2 What is a widget?"] == 2


# --- pages and their labels -------------------------------------------------------------------------


def test_page_labels_from_the_pdf_and_pdf_page_numbers(book: Ingested) -> None:
    assert book.raw.page_labels == ("i", "ii", "1", "2", "3")
    assert len(book.raw.page_starts) == 5
    where = {"This manual explains": 1, "press the green button twice": 3, "small machines": 3,
             "A widget is a box": 4, "small workshops": 5}
    for text, page in where.items():
        p = only(body(book.passages), text)
        assert (p.page, p.page_label) == (page, printed(page)), (text, p.page, p.page_label)


def test_page_labels_from_the_printed_numbers(printed_book: Ingested, book: Ingested) -> None:
    assert printed_book.raw.page_labels == ("i", "ii", "1", "2", "3")
    for p in printed_book.passages:
        assert p.page is not None and p.page_label == printed(p.page), (p.page, p.page_label, p.text)
    assert {p.page for p in printed_book.passages} == {1, 2, 3, 4, 5}
    # The printed numbers are margins here too: the text is the labelled book's.
    assert printed_book.raw.text == book.raw.text
    assert [(p.kind, p.text) for p in printed_book.passages] == [(p.kind, p.text) for p in book.passages]


def test_the_title_is_read_from_the_metadata_else_from_the_first_page(printed_book: Ingested, book: Ingested,
                                                                     tmp_path: Path) -> None:
    """A PDF without a metadata title is titled by the text set largest on its first page (the
    running header, set small, says the same here); one set in a single size, such as a man page,
    by its file name rather than by its first line, a heading ("NAME")."""
    from tests.pdfs import text_pdf

    assert book.raw.pdf_title == TITLE and printed_book.raw.pdf_title == TITLE
    gen = current_generation(printed_book.report.index_dir)
    assert gen is not None
    assert [d.title for d in Store(gen / "store.sqlite").documents()] == [TITLE]
    folder = tmp_path / "man"
    folder.mkdir()
    (folder / "widgetctl.pdf").write_bytes(text_pdf(
        "NAME. widgetctl - start and stop widgets. DESCRIPTION. The widgetctl command starts a widget."))
    assert read_pdf(folder / "widgetctl.pdf", 10**6).pdf_title is None
    report = ingest([folder], tmp_path / "man-index")
    assert not report.errors
    gen = current_generation(tmp_path / "man-index")
    assert gen is not None
    assert [d.title for d in Store(gen / "store.sqlite").documents()] == ["widgetctl"]


def _justified_like_ghostscript(words: list[str], gap: float, size: float = 10.0) -> bytes:
    """One line whose words have no space glyphs between them: every glyph is followed by a gap of
    `gap` (Tc) that a kern takes back inside a word, as Ghostscript writes groff's man pages."""
    back = gap * 1000 / size
    parts = []
    for w, word in enumerate(words):
        for i, ch in enumerate(word):
            parts.append(f"({ch})")
            if i < len(word) - 1 or w == len(words) - 1:
                parts.append(f"{back:.3f}")
    return f"BT /F1 {size:g} Tf 72 700 Td {gap:g} Tc [{' '.join(parts)}] TJ 0 Tc ET".encode()


def _split_after_stretched_spaces(first: str, rest: str, tw: float, size: float = 10.0) -> bytes:
    """A word cut in two pieces, the second placed (Td) right after the first, which was drawn with
    word spacing `tw` on its spaces: "(control history e) Tj … (xpansion and tokenization) Tj"."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    advance = stringWidth(first, "Helvetica", size) + tw * first.count(" ")
    return (f"BT /F1 {size:g} Tf 72 700 Td {tw:g} Tw ({first}) Tj {advance:.3f} 0 Td ({rest}) Tj 0 Tw ET").encode()


@pytest.mark.parametrize("gap", [2.5, 3.5])
def test_words_spaced_by_character_and_word_spacing_are_read_as_words(tmp_path: Path, gap: float) -> None:
    """Tc and Tw gaps are read as a reader sees them (ingest/pdf/spacing.py): pypdf alone read the
    first line "Thetwoorthreecharacters" and the second "control history e xpansion"."""
    from tests.pdfs import content_pdf

    path = tmp_path / "man.pdf"
    path.write_bytes(content_pdf(
        _justified_like_ghostscript(["The", "two", "or", "three", "characters"], gap),
        _split_after_stretched_spaces("which control history e", "xpansion and tokenization.", tw=gap)))
    text = " ".join(read_pdf(path, 10**6).text.split())
    assert "The two or three characters" in text, text
    assert "which control history expansion and tokenization." in text, text


def test_words_in_a_font_without_a_space_glyph_are_read_as_words(tmp_path: Path) -> None:
    """xdvipdfmx's and LuaLaTeX's fonts map no code to a space; their word gaps are kerns and moves
    (tests/pdfs.without_space_glyph): pypdf alone read "Regularexpressionsare"."""
    from tests.pdfs import content_pdf, without_space_glyph

    path = tmp_path / "reference.pdf"
    path.write_bytes(content_pdf(without_space_glyph()))
    assert read_pdf(path, 10**6).text.split("\n")[:3] == ["Regular expressions are", "any GUI environment", "43(6),"]


def test_code_indented_with_space_characters_keeps_its_indentation(tmp_path: Path) -> None:
    """ReportLab's user guide draws code's indentation as spaces at the start of each line, "(    ) Tj",
    not as a position: the lines all start at one x, and the code read "def hello(c):\nfrom …"."""
    from tests.pdfs import content_pdf

    code = ["def hello(c):", "    from reportlab.lib.units import inch", "    if inch:", "        c.translate(inch)"]
    shown = " T* ".join("(" + line.replace("(", "\\(").replace(")", "\\)") + ") Tj" for line in code)
    stream = (b"BT /F1 10 Tf 72 720 Td (Suppose the hello function is written as follows.) Tj ET "
              b"BT /F4 8 Tf 9 TL 78 690 Td " + shown.encode() + b" ET")
    path = tmp_path / "guide.pdf"
    path.write_bytes(content_pdf(stream))
    read = read_pdf(path, 10**6)
    blocks = [(b.kind, read.text[b.start:b.end]) for b in read.blocks or ()]
    assert ("code", "\n".join(code)) in blocks, blocks


def test_a_caption_numbered_by_chapter_and_figure_is_a_caption(tmp_path: Path) -> None:
    """"Figure 2-1: …" (ReportLab's user guide) is a caption, as "Figure 2.1:" was: not a section title."""
    from tests.pdfs import content_pdf

    stream = (b"BT /F1 10 Tf 72 720 Td (The program draws a greeting on the page.) Tj "
              b"0 -30 Td (Figure 2-1: Hello World in pdfgen) Tj 0 -30 Td (The demos are drawn on tiny pages.) Tj ET")
    path = tmp_path / "guide.pdf"
    path.write_bytes(content_pdf(stream))
    read = read_pdf(path, 10**6)
    assert [(b.kind, read.text[b.start:b.end]) for b in read.blocks or () if "Figure" in read.text[b.start:b.end]] == [
        ("caption", "Figure 2-1: Hello World in pdfgen")]


def _cells(rows: list[list[str]], top: float, columns: list[float], bold_header: bool = False,
           wrapped: tuple[float, str] | None = None) -> bytes:
    """Rows of cells in the composite font, each cell placed at its column's x by a move (Td); the
    first row in its bold face when `bold_header`; `wrapped`: a line under the last row at (x, text)."""
    from tests.pdfs import composite

    out = [b"BT /F%d 10 Tf 72 %.1f Td" % (5 if bold_header else 3, top)]
    for r, row in enumerate(rows):
        if r == 1 and bold_header:
            out.append(b"/F3 10 Tf")
        x = 72.0
        for c, cell in enumerate(row):
            step = columns[c] - x
            out.append(b"%.1f %.1f Td %s Tj" % (step, -14.0 if c == 0 and r else 0.0, composite(cell)))
            x = columns[c]
        out.append(b"%.1f 0 Td" % (72.0 - x))
    if wrapped is not None:
        out.append(b"%.1f -14 Td %s Tj" % (wrapped[0] - 72.0, composite(wrapped[1])))
    out.append(b"ET")
    return b" ".join(out)


def test_a_table_of_three_columns_or_more_is_figure_text_and_two_columns_stay_prose(tmp_path: Path) -> None:
    """A table's cells are placed by moves past a column's gap (ingest/pdf/cells.py): rows that jump at
    the same places are figure text, kept out of answers; a term and its description (two columns,
    as in a man page's options) stay prose, but their bold header row names no section."""
    from tests.pdfs import composite, content_pdf

    table = [["package", "popcon", "size", "description"], ["bash", "821", "7163", "shell"],
             ["dash", "900", "230", "small"], ["zsh", "70", "2000", "extended"]]
    terms = [["type", "meaning"], ["mtime", "modification"], ["ctime", "change"], ["atime", "access"]]
    prose = b"BT /F3 10 Tf 72 760 Td [" + composite("Shells") + b" -250 " + composite("differ.") + b"] TJ ET"
    stream = b"\n".join([prose, _cells(table, 720, [72, 160, 230, 300], wrapped=(300, "continued.")),
                          _cells(terms, 600, [72, 160], bold_header=True)])
    path = tmp_path / "reference.pdf"
    path.write_bytes(content_pdf(stream))
    read = read_pdf(path, 10**6)
    def kind(line: str) -> str:
        (found,) = [b.kind for b in read.blocks or () if line in read.text[b.start:b.end].split("\n")]
        return found

    assert kind("Shells differ.") == "prose"
    assert kind("package popcon size description") == "figure"  # the header row too: no section title
    assert kind("continued.") == "figure"  # a cell wrapped under the last row, at its column
    assert kind("mtime modification") == "prose"
    assert kind("type meaning") == "figure"  # set bold, it had been the section title of the rows under it
    assert "bash 821 7163 shell" in read.text


def test_a_heading_set_in_urw_bold_times_is_a_heading(tmp_path: Path) -> None:
    """Elsevier's and IEEE's classes set headings in "NimbusRomNo9L-Medi" at the body size: bold by its name."""
    from tests.pdfs import content_pdf

    prose = ["Although quadrupole excitons in cuprous oxide are good candidates,",
             "there are some factors impeding condensation in the crystal.",
             "One of these factors is the coupling to the photon bath here."]
    lines = " ".join(f"0 -12 Td ({line}) Tj" for line in prose)
    stream = f"BT /F2 10 Tf 72 700 Td (1. Introduction) Tj /F1 10 Tf {lines} ET".encode()
    path = tmp_path / "elsevier.pdf"
    path.write_bytes(content_pdf(stream))
    raw = read_pdf(path, 10**6)
    kinds = [(b.kind, raw.text[b.start:b.end].split("\n")[0]) for b in raw.blocks or ()]
    assert kinds[0] == ("heading", "1. Introduction"), kinds
    assert kinds[1][0] == "prose", kinds


# --- words and sentences across line and page breaks ---------------------------------------------


def test_line_end_hyphens(book: Ingested) -> None:
    text = " ".join(p.text for p in body(book.passages))
    assert "two identical buttons" in text and "identi-" not in text and "identi cal" not in text
    assert "A kernel-based smoother then settles" in text
    assert "kernelbased" not in text and "kernel- based" not in text


def test_a_sentence_broken_by_a_page_break_is_one_sentence(book: Ingested) -> None:
    p = only(body(book.passages), "Most widgets hum")
    assert BROKEN_SENTENCE in p.sentence_texts(), p.sentence_texts()
    assert p.page == 3 and p.page_label == "1"
    # The rest of the paragraph comes with it; the next page starts with the next section.
    assert "After that, the widget is ready for use." in p.text
    # Each sentence is cited on the page it is printed on: the broken one where it starts.
    texts = p.sentence_texts()
    assert p.page_of(texts.index(BROKEN_SENTENCE)) == (3, "1")
    assert p.page_of(texts.index("After that, the widget is ready for use.")) == (4, "2")
    assert not any(q.text.startswith("position before") for q in book.passages)


# --- the real dev PDFs ------------------------------------------------------------------------------

FETCH = Path(__file__).resolve().parents[2] / "shared" / "eval" / "realdocs" / "fetch.sh"
REAL_PDFS = ("sandwich.pdf", "zoo-faq.pdf")
REALDOCS = Path(os.environ.get("SOURCEBOOK_REALDOCS", Path(tempfile.gettempdir()) / "sourcebook-dev" / "realdocs"))


@pytest.fixture(scope="module")
def realdocs() -> Path:
    """The dev PDFs (sandwich.pdf, zoo-faq.pdf), fetched from Debian packages when not there yet."""
    if all((REALDOCS / "corpus" / name).is_file() for name in REAL_PDFS):
        return REALDOCS / "corpus"
    if not FETCH.is_file():
        pytest.skip(f"no {FETCH}: the shared eval folder is not checked out next to the repository")
    try:
        done = subprocess.run(["sh", str(FETCH), str(REALDOCS)], capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"could not fetch the dev PDFs ({exc})")
    if done.returncode != 0:
        pytest.skip(f"could not fetch the dev PDFs (offline?): {(done.stderr or done.stdout).strip()[-300:]}")
    return REALDOCS / "corpus"


@pytest.fixture(scope="module")
def real_index(realdocs: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[IngestReport, Store]:
    index_dir = tmp_path_factory.mktemp("realdocs-index")
    report = ingest([realdocs], index_dir)
    assert not report.errors, report.errors
    gen = current_generation(index_dir)
    assert gen is not None
    return report, Store(gen / "store.sqlite")


def _printed_numbers(path: Path) -> list[set[str]]:
    """Per page, the words of the margin lines (running header, footer) the reader took out."""
    from pypdf import PdfReader

    from ingest.pdf.layout import lines_of, page_runs
    from ingest.pdf.structure import build

    pages = [lines_of(n, *page_runs(page)) for n, page in enumerate(PdfReader(path).pages)]
    return [{w for line in lines for w in line.split()} for lines in build(pages).margins]


@pytest.mark.slow
def test_real_pdfs_read_like_their_pages(realdocs: Path, real_index: tuple[IngestReport, Store]) -> None:
    _, store = real_index
    header = "Econometric Computing with HC and HAC Covariance Matrix Estimators"
    for doc_id in REAL_PDFS:
        passages = store.passages_of(doc_id)
        assert len(body(passages)) > 30, doc_id
        for p in body(passages):
            assert not re.search(r"(?:\. ){4}|\.{5}", p.text), (doc_id, p.text)  # dot leaders
            assert not re.search(r"zoo FAQ\s*\d|\d\s*zoo FAQ", p.text), (doc_id, p.text)
            if doc_id == "sandwich.pdf" and (p.page or 0) > 1:
                # The running header of every even page; the paper itself is cited by this title (“…”).
                assert not re.search(r"(?<!“)" + re.escape(header), p.text), (p.page, p.text)
                assert not re.search(r"Achim Zeileis \d", p.text), (p.page, p.text)  # odd pages' header
        assert any(p.kind == "code" for p in passages), doc_id
    docs = {d.id: d for d in store.documents()}
    for doc_id in REAL_PDFS:
        doc = docs[doc_id]
        # Labels are the numbers printed in the page margins: 2, 3, … after an unnumbered title page.
        labels = doc.page_labels
        assert labels[0] in (None, "1"), (doc_id, labels)
        assert labels[1:] == tuple(str(n) for n in range(2, len(labels) + 1)), (doc_id, labels)
        printed_on = _printed_numbers(realdocs / doc_id)
        for page, label in enumerate(labels):
            assert label is None or label in printed_on[page], (doc_id, page + 1, label, printed_on[page])


@pytest.mark.slow
def test_real_pdf_reference_list(real_index: tuple[IngestReport, Store]) -> None:
    report, store = real_index
    refs = {r.label: r for r in store.references() if r.document == "sandwich.pdf"}
    assert report.references >= len(refs)
    # Every entry of the list, each with its authors, year and title; the single-author, corporate
    # and book entries too; a DOI wrapped at a line end whole.
    assert len(refs) == 26, sorted(refs)
    assert all(r.authors and r.year and r.title for r in refs.values()), [r.raw for r in refs.values()]
    assert refs["Andrews1991"].authors == ("Andrews DWK",) and refs["Andrews1991"].doi == "10.2307/2938229"
    assert refs["Bai2003"].authors == ("Bai J", "Perron P")
    assert refs["Team2008"].authors == ("R Development Core Team",)
    assert refs["Greene1993"].title == "Econometric Analysis"
    assert refs["CribariNeto2004"].doi == "10.1016/s0167-9473(02)00366-3"
    assert (refs["Zeileis2006a"].year, refs["Zeileis2006b"].year) == ("2006", "2006")
    # Every entry is cited by some sentence of the article, through its in-text author-year citations.
    cited = {label for p in store.all_passages() if p.document == "sandwich.pdf" for s in p.sentences
             for label in s.refs}
    assert set(refs) <= cited, sorted(set(refs) - cited)


@pytest.mark.slow
def test_real_pdfs_meet_the_dev_floors(real_index: tuple[IngestReport, Store],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """The real-PDF dev questions (pass, pages, citations through entries, abstention) hold their floors."""
    from .test_eval import FLOORS, meets_floors

    _, store = real_index
    index_dir = store.path.parent.parent  # INDEX/gen-…/store.sqlite
    for name in sorted(FLOORS["realdocs"]):
        meets_floors("realdocs", name, index_dir, capsys)
