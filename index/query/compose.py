"""Compose: the chosen sentences quoted with [n] markers, one citation per passage.

The best sentence leads, and others join when they score close to it and add something
new. No sentence is written by Sourcebook: every word of an answer is a quote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from index.models import Answer, Citation, GlossaryEntry, Passage, Reference
from index.query.corpus import Corpus
from index.query.rank import Candidate, is_definition
from index.query.sentences import opens_with_pronoun, quote_from_antecedent, with_antecedent
from index.query.subjects import names_any
from index.query.understand import asked_entry
from index.settings import Settings
from index.words import content_words


def select(candidates: list[Candidate], settings: Settings, question: str = "",
           form_words: frozenset[str] = frozenset(), subjects: tuple[str, ...] = ()) -> list[Candidate]:
    """The best sentence, then close runners-up that are not near-repeats of one already chosen
    and that are about the question's subject (read with the sentence before when they open with
    a pronoun): they name one of the `subjects` it names, or when it names none, share a content
    word with it. A runner-up close by meaning alone is often about something else ("Who is
    John H. Herz?" drew "John Joseph Mearsheimer ... is an American political scientist").
    `form_words` are the question's words that say nothing of its subject."""
    if not candidates:
        return []
    chosen = [candidates[0]]
    best = candidates[0].score
    wanted = content_words(question) - form_words
    for c in candidates[1:]:
        if len(chosen) >= settings.query.answer_sentences or c.score < best - settings.query.next_sentence_margin:
            break
        # The sentence right after a chosen one goes on with it (the answer often follows the sentence
        # that matches best: "… then vcovHC uses the corresponding omega function. As soon as omega is
        # specified by the user, type is ignored."), so it may stand further below the best.
        if c.score < best - settings.query.sentence_margin and not any(_next_to(c, x) for x in chosen):
            continue
        # A pronoun sentence was scored with the one before it, so it looks like a repeat of
        # that one ("He is the ... Professor" after "Mearsheimer is a political scientist").
        if any(float(c.vector @ x.vector) >= settings.query.redundancy and not _follows(c, x) for x in chosen):
            continue
        if any(c.text == x.text for x in chosen):
            continue
        read = with_antecedent(c.hit.passage.sentence_texts(), c.index)
        if subjects and not names_any(read, subjects):
            continue
        if wanted and not wanted & content_words(read):
            continue
        chosen.append(c)
    return chosen


def _next_to(c: Candidate, x: Candidate) -> bool:
    """Is c the sentence right after x, in the same passage?"""
    return c.hit.passage.id == x.hit.passage.id and c.index == x.index + 1


def _follows(c: Candidate, x: Candidate) -> bool:
    """Is c the pronoun sentence right after x, in the same passage?"""
    return (c.hit.passage.id == x.hit.passage.id and c.index == x.index + 1
            and opens_with_pronoun(c.hit.passage.sentence_texts(), c.index))


def compose(
    chosen: list[Candidate], refs_for: Callable[[Passage, list[int]], tuple[Reference, ...]]
) -> tuple[str, list[Citation]]:
    """Answer text with [n] markers (numbered by first use) and one citation per passage."""
    markers: dict[str, int] = {}
    quoted: dict[str, list[Candidate]] = {}
    parts: list[str] = []
    # Quote sentences of one passage in their reading order, passages by first choice.
    order: dict[str, int] = {}
    for n, c in enumerate(chosen):
        order.setdefault(c.hit.passage.id, n)
    picked = {(c.hit.passage.id, c.index) for c in chosen}
    indexes: dict[str, list[int]] = {}  # per passage, the sentences quoted
    for c in sorted(chosen, key=lambda c: (order[c.hit.passage.id], c.index)):
        pid = c.hit.passage.id
        if pid not in markers:
            markers[pid] = len(markers) + 1
        # The sentence a pronoun points back to is quoted with it, unless it is quoted already.
        if (pid, c.index - 1) not in picked and (lead := quote_from_antecedent(c.hit.passage, c.index, c.index)):
            c = Candidate(c.hit, c.index, lead, c.score, c.vector)
            indexes.setdefault(pid, []).append(c.index - 1)
        indexes.setdefault(pid, []).append(c.index)
        quoted.setdefault(pid, []).append(c)
        parts.append(f"{c.text} [{markers[pid]}]")
    citations = []
    for pid, n in markers.items():
        cands = quoted[pid]
        p = cands[0].hit.passage
        citations.append(
            Citation(
                marker=n,
                passage=p,
                quote=" ".join(c.text for c in cands),
                score=max(c.score for c in cands),
                references=refs_for(p, indexes[pid]),
                quoted=min(indexes[pid]),
            )
        )
    return " ".join(parts), citations


_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")
# What a lead-in introduces is quoted up to this many sentences (list items) and characters.
_INTRODUCED_SENTENCES, _INTRODUCED_CHARS = 8, 700


def _leads_in(sentence: str) -> bool:
    """Does a sentence introduce what follows it ("… the following:", "as follows:")?"""
    return sentence.rstrip().endswith(":")


def _introduced(texts: list[str], first: int) -> list[int]:
    """The sentences from `first` on that a lead-in introduces: its list or paragraph, as far as
    the budget goes, never cut inside a sentence."""
    out: list[int] = []
    chars = 0
    for i in range(first, len(texts)):
        chars += len(texts[i])
        if out and (len(out) >= _INTRODUCED_SENTENCES or chars > _INTRODUCED_CHARS):
            break
        out.append(i)
    return out


def with_introduced(chosen: list[Candidate]) -> list[Candidate]:
    """Each chosen lead-in ("Tang identified the following core components …:") followed by the
    sentences of its passage it introduces, so the answer never ends on a colon."""
    picked = {(c.hit.passage.id, c.index) for c in chosen}
    out: list[Candidate] = []
    for c in chosen:
        out.append(c)
        texts = c.hit.passage.sentence_texts()
        if not _leads_in(c.text) or c.index + 1 >= len(texts):
            continue
        for i in _introduced(texts, c.index + 1):
            if (c.hit.passage.id, i) not in picked:
                picked.add((c.hit.passage.id, i))
                out.append(replace(c, index=i, text=texts[i]))
    return out


def with_what_follows(text: str, citations: list[Citation], following: Callable[[Passage], Passage | None]
              ) -> tuple[str, list[Citation]]:
    """A quoted lead-in, the last sentence of its passage, followed in the answer by what it
    introduces in the next passage of its section, with its own marker: a code block ("you can
    do", "as follows:") quoted whole, or the prose or list after a colon. The sentence says
    nothing without it."""
    out = list(citations)
    for c in citations:
        sentences = c.passage.sentence_texts()
        last = sentences[-1].rstrip() if sentences else ""
        if not last or not c.quote.rstrip().endswith(last) or (_ENDS_SENTENCE.search(last) and not _leads_in(last)):
            continue
        after = following(c.passage)
        if after is None or after.section_path != c.passage.section_path:
            continue
        if after.kind == "code":
            quoted, first = after.text, 0
        elif after.kind == "body" and _leads_in(last):
            indexes = _introduced(after.sentence_texts(), 0)
            quoted, first = after.text[after.sentences[indexes[0]].start : after.sentences[indexes[-1]].end], indexes[0]
        else:
            continue
        marker = len(out) + 1
        out.append(Citation(marker, after, quoted, c.score, quoted=first))
        at = text.rfind(f"[{c.marker}]") + len(f"[{c.marker}]")
        added = f"\n{quoted}\n[{marker}]" if after.kind == "code" else f" {quoted} [{marker}]"
        text = text[:at] + added + text[at:]
    return text, out


def lead_with_first(chosen: list[Candidate], candidates: Sequence[Candidate], first_passage: str, limit: int
                    ) -> list[Candidate]:
    """The answer under a matched heading: its first sentence leads (an FAQ answers in its opening
    sentence), then the best-scoring sentences chosen as usual."""
    first = next((c for c in candidates if c.hit.passage.id == first_passage and c.index == 0), None)
    if first is None:
        return chosen
    rest = [c for c in chosen if c is not first and not (c.hit.passage.id == first_passage and c.index == 0)]
    return [first, *rest][:limit]


def definition_first(asked: GlossaryEntry | None, candidates: list[Candidate], chosen: list[Candidate],
                     settings: Settings) -> list[Candidate]:
    """For "What is X?" / "Who is X?" (X's entry is `asked`), lead with X's glossary definition
    when it is among the retrieved sentences and scores close to the best one."""
    definition = next((c for c in candidates if is_definition(c, asked)), None)
    if definition is None or definition.score < chosen[0].score - settings.query.sentence_margin:
        return chosen
    rest = [c for c in chosen if c is not definition]
    return [definition, *rest][: settings.query.answer_sentences]


def glossary_answer(corpus: Corpus, question: str) -> Answer | None:
    """"What is X?" where X is a glossary term or alias: its cited definition, even when the
    wording of the question is far from the sentence ("What is the spiral model?")."""
    entry = asked_entry(question, corpus.terms, strict=True)
    if entry is None or entry.citation is None:
        return None
    passage = corpus.store.passage(entry.citation.passage_id)
    if passage is None:
        return None
    texts = passage.sentence_texts()
    index = next((i for i, t in enumerate(texts) if t.strip() == entry.definition.strip()), None)
    if index is None:
        return None
    quote = texts[index]
    citation = Citation(1, passage, quote, 1.0, corpus.references_for(passage, [index]), quoted=index)
    return Answer(question, f"{quote} [1]", False, (citation,), glossary=tuple(corpus.terms_in(quote)))
