from __future__ import annotations

from ingest.text import blocks, clean, normalise, sentence_spans, strip_markers


def sentences(text: str) -> list[str]:
    text = normalise(text)
    return [text[s:e] for b in blocks(text) for s, e in sentence_spans(text, b.start, b.end)]


def test_normalise_keeps_words_and_quotes() -> None:
    raw = "Caf\u0065\u0301 \u201cquoted\u201d\u00a0text\u200b here.\r\nNext\tline\x07.\n\n\n\nEnd"
    out = normalise(raw)
    assert out == "Café “quoted” text here.\nNext line.\n\n\nEnd\n"


def test_a_wide_gap_marks_the_next_block() -> None:
    text = normalise("One answer ends here.\n\nIts second paragraph.\n\n\n\nThe next answer starts.\n")
    assert [b.after_gap for b in blocks(text)] == [False, False, True]


def test_indented_code_over_dots_is_not_a_heading() -> None:
    text = normalise("Some prose here.\n\n   def f(x):\n       ...\n       kwargs['w'] = 1\n       ...\n\nMore.\n")
    assert not any(b.heading for b in blocks(text))
    titled = normalise("Title\n=====\n\nBody text.\n")
    assert [b.heading for b in blocks(titled)] == [True, False]


def test_initials_and_abbreviations_do_not_end_sentences() -> None:
    got = sentences(
        "The term was coined by John H. Herz in 1950. He is the R. Wendell Harrison Professor, e.g. at Chicago. Done."
    )
    assert got == [
        "The term was coined by John H. Herz in 1950.",
        "He is the R. Wendell Harrison Professor, e.g. at Chicago.",
        "Done.",
    ]


def test_markers_stay_with_their_sentence_and_are_kept_as_data() -> None:
    text = "States fear.[1][2] Measures escalate.[3][1] Last one."
    got = sentences(text)
    assert got == ["States fear.[1][2]", "Measures escalate.[3][1]", "Last one."]
    assert clean(got[1], markers=True) == ("Measures escalate.", ["3", "1"])
    assert strip_markers("[1] Item at line start")[1] == []


def test_ieee_markers_ranges_and_lists_and_what_is_not_a_marker() -> None:
    assert strip_markers("as shown in [12] and [3–5], also [1, 4].") == (
        "as shown in [12] and [3–5], also [1, 4].", ["12", "3", "4", "5", "1", "4"])
    assert strip_markers("noted earlier,[2-3] here") == ("noted earlier, here", ["2", "3"])
    assert strip_markers("use onlinecite: Refs. 1 and 2, or Ref. 7 and Refs. 4–6.")[1] == ["1", "2", "7", "4", "5", "6"]
    assert strip_markers("see Refs. [1, 2] and Ref. 3")[1] == ["1", "2", "3"]
    assert sentences("The bibliographic reference (see Ref. [1] and Eq. (2)) follows. Next.") == [
        "The bibliographic reference (see Ref. [1] and Eq. (2)) follows.", "Next."]
    # Code and a year range are no markers.
    for text in ("the list ``[1, 2]`` is", "x = [1] then", "f([1])", "the years [1990-2020]", "  [2] item"):
        assert strip_markers(text) == (text, []), text


def test_numbered_conditions_inside_a_sentence() -> None:
    got = sentences("It is intense when (1) it is hard to tell, and (2) offense has the advantage. Next.")
    assert got == ["It is intense when (1) it is hard to tell, and (2) offense has the advantage.", "Next."]


def test_one_paragraph_per_line_and_wrapped_text() -> None:
    long = "A sentence that goes on for a while to make the line long enough to count as a paragraph. " * 3
    per_line = normalise(f"{long}\n{long}\nShort heading\n{long}")
    assert len(blocks(per_line)) == 4
    wrapped = normalise("Title\n=====\n\nThis paragraph is\nwrapped at a short\nwidth.\n\nAnother one.\n")
    bs = blocks(wrapped)
    assert bs[0].heading and wrapped[bs[0].start : bs[0].end] == "Title"
    assert [wrapped[b.start : b.end].replace("\n", " ") for b in bs[1:]] == [
        "This paragraph is wrapped at a short width.",
        "Another one.",
    ]


def test_rest_markup_is_its_own_block_and_admonitions_stay_prose() -> None:
    text = ("Caching\n=======\n\n.. _faq-cache:\nThe two principal tools for caching methods are these.\n\n"
            ".. index::\n   single: cache\n   pair: method; cache\nSome prose here.\n\n"
            ".. note:: This is a note.\n\n.. a comment\n\n.. function:: cached(f)\n\n   Return a cached f.\n")
    got = [(b.kind, text[b.start : b.end]) for b in blocks(text)]
    assert got[:5] == [
        ("heading", "Caching"),
        ("markup", ".. _faq-cache:"),
        ("prose", "The two principal tools for caching methods are these."),
        ("markup", ".. index::\n   single: cache\n   pair: method; cache"),
        ("prose", "Some prose here."),
    ]
    assert ("prose", ".. note:: This is a note.") in got and ("markup", ".. a comment") in got
    assert ("markup", ".. function:: cached(f)") in got
    assert any(kind == "prose" and "Return a cached f." in body for kind, body in got)  # its description
