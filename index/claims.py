"""Claim checking: is a sentence someone wrote supported, contradicted or not supported by the corpus?

The claim is aligned with the corpus sentence (or two adjacent sentences joined)
whose embedding is closest to it, among the passages retrieved for it. The
alignment says whether the corpus speaks *about* the claim; whether it agrees is
decided by comparing checkable details of the claim and the aligned text:

* years and other numbers ("1960" where the corpus says "1950"),
* nationality adjectives ("French scholar" where it says "German scholar"),
* capitalised names ("Jervis" where it says "Herz"),
* a few opposite pairs ("offensive" where it says "defensive"),
* negation ("viewed" where it says "did not view"), compared clause by clause so
  that "X, but he did not view Y" does not contradict "X".

Verdicts:

* supported — cosine >= `support_cosine` (`pair_support_cosine` for two sentences
  joined) with half the claim's content words in the evidence, or a lower cosine
  (`lexical_cosine`) with nearly all of them; no conflicting detail; every name and
  number of the claim found in the evidence;
* contradicted — a detail conflicts, the alignment is close enough to be the same
  statement (cosine >= `contradict_cosine`, the rest of the claim mostly covered)
  and claim and text agree on at least one anchor (a shared name, year or
  number): a claim that differs in *every* detail ("first described by Thomas
  Hobbes in 1651") is about something else, so it is not supported rather than
  contradicted;
* not_supported — everything else. Its evidence is the closest text when that is
  on the subject (cosine >= `contradict_cosine`), so a reader sees what was compared,
  and empty for off-topic claims.

Where it stops:

* No entailment model is available offline; meaning is judged by sentence
  embeddings (all-MiniLM-L6-v2) and word overlap. A paraphrase that shares few
  words with the corpus and scores below the cosine threshold is "not_supported".
* Conflicts are found only for the detail kinds listed above. A changed verb or
  common noun ("caused" vs "prevented", "liberal" vs "realist" outside the small
  opposite list) is not seen: such a claim can come out "supported" when the
  rest matches closely.
* Negation is lexical ("not", "never", "no", "n't", ...). Double negatives,
  "few", "hardly", "failed to" and negative prefixes ("unstable") are not
  understood.
* Numbers are compared as bare tokens: units, ranges, rounding and spelled-out
  numbers ("fifty") are not normalised; a claim year differing from a sentence
  that holds two years of which one matches is not a conflict.
* Names are capitalised words; a name written differently ("J. Herz" vs
  "John H. Herz" matches by surname, but "Herzian" does not) or a pronoun
  ("he") standing for a name is not resolved beyond the previous sentence.
* Two adjacent sentences joined can lend each other words; a pair must score
  `pair_support_cosine` to support a claim, which makes claims spanning two
  sentences harder to support.
* Each aligned statement is judged alone: a claim joining two facts from distant
  places of the corpus is checked against one place at a time, never both.
* Thresholds were calibrated on the small demo corpus (security dilemma); other
  corpora or models may need other values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from index.models import Citation, Passage
from index.query.corpus import Corpus
from index.query.retrieve import search
from index.query.sentences import in_context, quote_from_antecedent
from index.settings import ClaimSettings
from index.words import STOPWORDS, content_words
from index.work_claims import check_work_claim

Verdict = Literal["supported", "contradicted", "not_supported"]

# Thresholds (support_cosine, contradict_cosine, …) are ClaimSettings in index/settings.py.

NEGATIONS = frozenset({"not", "no", "never", "neither", "nor", "none", "nobody", "nothing", "cannot", "without"})
_NEGATION_SUFFIX = re.compile(r"n't\b|n’t\b", re.I)

# Nationality and other group adjectives: one replaced by another is a conflict.
DEMONYMS = frozenset(
    """afghan albanian algerian american argentine argentinian armenian australian austrian belgian bolivian
    bosnian brazilian british bulgarian burmese cambodian canadian chilean chinese colombian croatian cuban
    czech danish dutch ecuadorian egyptian english estonian ethiopian european filipino finnish french
    georgian german ghanaian greek hungarian icelandic indian indonesian iranian iraqi irish israeli
    italian jamaican japanese jordanian kenyan korean kurdish latvian lebanese libyan lithuanian
    malaysian mexican mongolian moroccan nigerian norwegian pakistani palestinian persian peruvian polish
    portuguese prussian romanian roman russian saudi scottish serbian slovak slovenian somali soviet
    spanish sudanese swedish swiss syrian taiwanese thai tunisian turkish ukrainian venezuelan
    vietnamese welsh yemeni african asian arab latin""".split()
)

# A deliberately short list of opposites that fill the same slot in this domain.
_OPPOSITES = [
    ("offensive", "defensive"), ("offense", "defense"), ("increase", "decrease"), ("more", "less"),
    ("stronger", "weaker"), ("stable", "unstable"), ("realist", "liberal"), ("realism", "liberalism"),
]
OPPOSITES = {a: b for a, b in _OPPOSITES} | {b: a for a, b in _OPPOSITES}

_TOKEN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][\w'’.-]*[\w]|[A-Za-zÀ-ÖØ-öø-ÿ]|\d[\d,.]*\d|\d")
_YEAR = re.compile(r"^(?:1[0-9]{3}|20[0-9]{2})$")
_FRAGMENT_SPLIT = re.compile(
    r"[,;:()\[\]—–]|(?<=[.!?])\s+|\s(?:but|because|while|whereas|although|though|yet)\s", re.I
)


@dataclass(frozen=True)
class Details:
    """The checkable details of a text: years, other numbers, names, demonyms, words."""

    years: frozenset[str]
    numbers: frozenset[str]
    names: frozenset[str]  # lower-cased capitalised words inside a sentence, not stop words or demonyms
    initial: frozenset[str]  # capitalised words opening a sentence: a name or just a capital letter
    demonyms: frozenset[str]
    words: frozenset[str]  # every lower-cased word, for name look-ups and opposites


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _opens_sentence(text: str, start: int) -> bool:
    """Whether the token at `start` opens a sentence (or a quotation, a bracket)."""
    before = text[:start].rstrip(" \t\n\"“‘'([")
    if re.search(r"(?:^|\s)[A-Z]\.$", before):
        return False  # an initial: "John H. Herz"
    return not before or before[-1] in ".!?:;"


def details(text: str) -> Details:
    """Extract the details of `text` that a claim and a corpus sentence can disagree on."""
    years: set[str] = set()
    numbers: set[str] = set()
    names: set[str] = set()
    initial: set[str] = set()
    demonyms: set[str] = set()
    words: set[str] = set()
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        low = tok.lower().rstrip(".")
        if tok[0].isdigit():
            value = tok.replace(",", "")
            (years if _YEAR.match(value) else numbers).add(value)
            continue
        for part in re.split(r"[-.'’]", low):
            if part:
                words.add(part)
        words.add(low)
        if low in DEMONYMS:
            demonyms.add(low)
        elif tok[0].isupper() and low not in STOPWORDS and len(low) > 1:
            # Initials ("H.") are skipped by the length test: "John H. Herz" and "John Herz" are one
            # name. A capital opening a sentence proves nothing ("Consequently", "Military"), so
            # such words only anchor a claim; they are never taken as a conflicting name.
            name = low.removesuffix("'s").removesuffix("’s")
            (initial if _opens_sentence(text, m.start()) else names).add(name)
    return Details(frozenset(years), frozenset(numbers), frozenset(names), frozenset(initial),
                   frozenset(demonyms), frozenset(words))


def _negated(text: str) -> bool:
    """Does a fragment say "not": a negation word, "n't", or a word negated by "non-" ("non-significant")?"""
    low = text.lower()
    return bool(_NEGATION_SUFFIX.search(low)) or any(t in NEGATIONS or t.startswith("non-") for t in _tokens(low))


def fragments(text: str) -> list[str]:
    """Clauses and asides of a text: split at commas, brackets, semicolons, dashes and
    "but/because/while/whereas/although", so that a "not" stays with what it negates."""
    return [f for f in _FRAGMENT_SPLIT.split(text) if f and content_words(f)]


def negation_conflict(claim: str, evidence: str) -> bool:
    """Whether a fragment of the claim and the evidence fragment sharing most words with it differ in negation."""
    ev = fragments(evidence)
    for part in fragments(claim):
        words = content_words(part)
        overlaps = [len(words & content_words(f)) for f in ev]
        if not overlaps or max(overlaps) < min(2, len(words)):
            continue  # nothing in the evidence says the same thing: no polarity to compare
        best = max(overlaps)
        # Ties: a fragment saying "not" among equally close ones decides nothing alone.
        polarities = {_negated(f) for f, n in zip(ev, overlaps, strict=True) if n == best}
        if polarities == {not _negated(part)}:
            return True
    return False


_EXCEPTION = re.compile(r"\b(?:with the exception of|except(?:\s+for)?|other than|apart from|excluding|but not)\b"
                        r"(?P<what>[^;)]*)", re.I)


def excepted(claim: str, evidence: str) -> set[str]:
    """Words of the claim that the evidence names only in an exception ("most of the standard
    plots (with the exception of those incorporating influence measures, e.g., Cook's distance)"),
    when the claim makes no exception itself."""
    if _EXCEPTION.search(claim):
        return set()
    inside = content_words(" ".join(m.group("what") for m in _EXCEPTION.finditer(evidence)))
    if not inside:
        return set()
    return (content_words(claim) & inside) - content_words(_EXCEPTION.sub(" ", evidence))


def conflicts(claim: str, evidence: str) -> tuple[list[str], set[str], int]:
    """Details of the claim that the evidence contradicts, the claim words involved, and
    how many details they share (anchors: the same name, year or number on both sides)."""
    c, e = details(claim), details(evidence)
    found: list[str] = []
    involved: set[str] = set()
    for kind, cv, ev in (("year", c.years, e.years), ("number", c.numbers, e.numbers),
                         ("nationality", c.demonyms, e.demonyms)):
        # A value of the claim missing from the evidence, where the evidence holds a value of
        # the same kind the claim does not: the same slot filled differently.
        missing, other = cv - ev, ev - cv
        if missing and other:
            found.append(f"{kind}: claim says {', '.join(sorted(missing))}, source says {', '.join(sorted(other))}")
            involved |= missing
    missing_names = {n for n in c.names if n not in e.words}
    other_names = {n for n in e.names if n not in c.words}
    if missing_names and other_names:
        found.append(f"name: claim says {', '.join(sorted(missing_names))}, "
                     f"source says {', '.join(sorted(other_names))}")
        involved |= missing_names
    for w in sorted(c.words):
        opposite = OPPOSITES.get(w)
        if opposite and w not in e.words and opposite in e.words and opposite not in c.words:
            found.append(f"opposite: claim says {w}, source says {opposite}")
            involved.add(w)
    if negation_conflict(claim, evidence):
        found.append("negation: claim and source differ in negation")
    if left_out := excepted(claim, evidence):
        found.append(f"exception: the source makes an exception of {', '.join(sorted(left_out))}")
        involved |= left_out
    anchors = len(c.years & e.years) + len(c.numbers & e.numbers) + len({n for n in c.names | c.initial
                                                                         if n in e.words})
    return found, involved, anchors


def unverified(claim: str, evidence: str) -> list[str]:
    """Names and numbers of the claim that the evidence does not mention at all."""
    c, e = details(claim), details(evidence)
    out = sorted((c.years - e.years) | (c.numbers - e.numbers) | (c.demonyms - e.words))
    return out + sorted(n for n in c.names if n not in e.words)


def shortfall(claim: str, a: Alignment) -> str:
    """Why an aligned text does not support the claim, in words: what of the claim it never says."""
    have = content_words(a.context)
    missing = [w for w in dict.fromkeys(re.findall(r"[A-Za-z0-9][\w'’-]*", claim))
               if w.lower() not in STOPWORDS and len(w) > 1 and not content_words(w) <= have]
    if missing:
        shown = ", ".join(missing[:6]) + (" …" if len(missing) > 6 else "")
        return f"it does not mention {shown} (similarity {a.cosine:.2f})"
    return f"it has the claim's words but does not say the same of them (similarity {a.cosine:.2f})"


def coverage(claim_words: set[str], evidence: str) -> float:
    """Share of the claim's content words that stand in the evidence."""
    if not claim_words:
        return 1.0
    return len(claim_words & content_words(evidence)) / len(claim_words)


@dataclass(frozen=True)
class Alignment:
    """A sentence, or two adjacent sentences, of a passage, with its similarity to the claim."""

    passage: Passage
    indexes: tuple[int, ...]
    text: str  # the sentence(s) as quoted
    context: str  # the text compared: led by the section heading and, for a pronoun, the sentence before
    cosine: float


@dataclass(frozen=True)
class ClaimCheck:
    """A claim's verdict, its score (cosine of the aligned text) and the citations it rests on."""

    claim: str
    verdict: Verdict
    score: float
    evidence: tuple[Citation, ...] = ()
    reasons: tuple[str, ...] = field(default=())  # conflicts found or why it is not supported
    # Not supported: for each piece of evidence (the closest passages), why it falls short.
    shortfalls: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "verdict": self.verdict,
            "score": round(float(self.score), 4),
            "evidence": [c.to_json() for c in self.evidence],
            "shortfalls": list(self.shortfalls),
        }


def _alignments(corpus: Corpus, claim: str, qvec: np.ndarray) -> list[Alignment]:
    """Sentences and adjacent pairs of the passages retrieved for the claim, closest first."""
    singles: list[tuple[Passage, int, str, list[str]]] = []
    for hit in search(corpus, claim, qvec, corpus.settings.claims.retrieve_k):
        p = hit.passage
        texts = p.sentence_texts()
        for i, t in enumerate(texts):
            if len(t) < 2:
                continue
            # A sentence is compared bare and in context (its section heading, and the sentence
            # before when it opens with a pronoun): "The term was coined..." needs its heading
            # to be about the security dilemma, while a heading can also pull a sentence away.
            ctx = [t, in_context(texts, i, p.section)]
            if i + 1 < len(texts):
                ctx.append(f"{t} {texts[i + 1]}")
            singles.append((p, i, t, ctx))
    if not singles:
        return []
    flat = [c for *_, ctx in singles for c in ctx]
    sims = iter((corpus.encode_sentences(flat) @ qvec).tolist())
    scored = [(p, i, t, ctx, [next(sims) for _ in ctx]) for p, i, t, ctx in singles]
    best_single = {(p.id, i): max(cs[:2]) for p, i, _, _, cs in scored}
    out: list[Alignment] = []
    for p, i, t, ctx, cs in scored:
        out.append(Alignment(p, (i,), t, ctx[1], max(cs[:2])))
        # A pair only when the claim spans both sentences: joined, they must beat each alone,
        # or a pair would lend one sentence the other's words and dates.
        margin = corpus.settings.claims.pair_margin
        if len(cs) == 3 and cs[2] >= max(cs[0], best_single.get((p.id, i + 1), 1.0)) + margin:
            out.append(Alignment(p, (i, i + 1), ctx[2], ctx[2], cs[2]))
    out.sort(key=lambda a: -a.cosine)
    return out


def _citation(corpus: Corpus, a: Alignment, marker: int) -> Citation:
    """The alignment as evidence. A sentence opening with a pronoun is quoted from the sentence
    before ("He is the ... Professor" says nothing of who he is); the verdict rests on it alone."""
    refs = corpus.references_for(a.passage, list(a.indexes))
    quote = quote_from_antecedent(a.passage, a.indexes[0], a.indexes[-1]) or a.text
    return Citation(marker=marker, passage=a.passage, quote=quote, score=a.cosine, references=refs,
                    quoted=a.indexes[0])


def _judge(claim: str, words: set[str], a: Alignment, cfg: ClaimSettings) -> tuple[Verdict, list[str]]:
    """The verdict one alignment gives the claim, with the reasons."""
    evidence = a.context
    found, involved, anchors = conflicts(claim, a.text)
    if found:
        rest = coverage(words - content_words(" ".join(involved)), evidence)
        # The same statement with a detail changed: close in meaning, or sharing nearly all
        # its other words; and agreeing on an anchor unless the meaning is very close.
        same = (a.cosine >= cfg.contradict_cosine and rest >= cfg.contradict_coverage) or (
            a.cosine >= cfg.lexical_cosine and rest >= cfg.lexical_coverage)
        # ... and saying the same of them: the words that are not names stand in the evidence too.
        claimed = details(claim)
        predicate = words - content_words(" ".join(involved | claimed.names | claimed.initial))
        same = same and coverage(predicate, evidence) >= cfg.contradict_predicate
        if same and (anchors > 0 or a.cosine >= cfg.support_cosine):
            return "contradicted", found
        return "not_supported", found
    missing = unverified(claim, evidence)
    if missing:
        return "not_supported", [f"not in the source: {', '.join(missing)}"]
    cov = coverage(words, evidence)
    pair = len(a.indexes) > 1
    # Two sentences joined hold more words, so cover a claim more easily: a pair must be closer.
    if (a.cosine >= (cfg.pair_support_cosine if pair else cfg.support_cosine) and cov >= cfg.support_coverage) or (
            not pair and a.cosine >= cfg.lexical_cosine and cov >= cfg.lexical_coverage):
        return "supported", []
    return "not_supported", [f"closest text is not close enough (cosine {a.cosine:.2f}, words {cov:.0%})"]


def check_claim(corpus: Corpus, claim: str) -> ClaimCheck:
    """Check one claim against the corpus: supported, contradicted or not_supported, with evidence."""
    cfg = corpus.settings.claims
    claim = " ".join(claim.split())[:2000]
    if not any(ch.isalnum() for ch in claim):
        return ClaimCheck(claim, "not_supported", 0.0, reasons=("empty claim",))
    qvec = corpus.encode_query(claim)
    aligned = _alignments(corpus, claim, qvec)
    if not aligned:
        return ClaimCheck(claim, "not_supported", 0.0, reasons=("nothing retrieved",))
    words = content_words(claim)
    # Judge the closest few alignments: the very closest may be a pair that blurs a detail
    # or a sentence on the same subject; a support wins over a contradiction only when it
    # is at least as close (a paraphrase elsewhere in the corpus confirms the claim).
    best = aligned[0]
    verdict: Verdict = "not_supported"
    reasons: list[str] = []
    chosen: Alignment | None = None
    for a in aligned[:6]:
        if a.cosine < cfg.contradict_cosine:
            break
        v, why = _judge(claim, words, a, cfg)
        if v == "not_supported":
            if chosen is None and not reasons:
                reasons = why
            continue
        if chosen is None or (v == "supported" and verdict == "contradicted" and a.cosine >= chosen.cosine - 0.02):
            verdict, reasons, chosen = v, why, a
        if verdict == "supported":
            break
    if chosen is None and (work := check_work_claim(corpus, claim, qvec)) is not None:
        # The prose is silent, but the claim is about a work: its reference entry decides.
        verdict, why, citation = work
        return ClaimCheck(claim, verdict, citation.score, (citation,), tuple(why))
    if chosen is None:
        if not reasons:
            reasons = [f"closest text is not close enough (cosine {best.cosine:.2f})"]
        # Show the closest passages when they are near the subject, each with what it lacks, so a
        # reader sees what was compared; nothing for an off-topic claim.
        closest: list[Alignment] = []
        for a in aligned:
            if len(closest) == cfg.closest_shown or a.cosine < cfg.closest_cosine:
                break
            if a.passage.id not in {c.passage.id for c in closest}:
                closest.append(a)
        evidence = tuple(_citation(corpus, a, n) for n, a in enumerate(closest, 1))
        return ClaimCheck(claim, "not_supported", best.cosine, evidence, tuple(reasons),
                          tuple(shortfall(claim, a) for a in closest))
    citations = [_citation(corpus, chosen, 1)]
    if verdict == "supported":
        # Other passages saying the same thing (a merged duplicate elsewhere) back it up too.
        for a in aligned[1:6]:
            if len(citations) >= 3 or a.cosine < max(cfg.support_cosine, chosen.cosine - 0.05):
                break
            if a.passage.id not in {c.passage.id for c in citations} and _judge(claim, words, a, cfg)[0] == "supported":
                citations.append(_citation(corpus, a, len(citations) + 1))
    return ClaimCheck(claim, verdict, chosen.cosine, tuple(citations), tuple(reasons))
