"""From chosen terms to glossary entries: definitions, mentions, spellings, related terms.

* The definition is the best defining sentence found by the patterns, or else the most
  definition-like sentence that mentions the term ("A barrier is a ..." before "The
  barrier is ..."), quoted verbatim and continued by a following sentence that refers
  back to it ("... it is unified by ..."), with its passage, document and page.
* Mentions are found with the look-up's own matcher (index/glossary.py), so what is
  counted is what `Glossary.find_in_text` finds. `mention_count` counts every
  occurrence; `mention_passages` lists the passages in corpus order, at most
  MAX_MENTION_PASSAGES of them. The mentions also give each term its display spelling
  (the usual one in running text) and its variants (hyphen, dash, spelling).
* Related terms co-occur in passages, have close contexts in embedding space, or one
  contains the other.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from index.glossary import TermMatcher, fold, is_acronym, term_key
from index.models import GlossaryCitation, GlossaryEntry, Passage
from index.words import american, singular
from ingest import curated as cur
from ingest.evidence import Chosen, DefSite, Kind
from ingest.terms import prose

MAX_MENTION_PASSAGES = 200
MAX_RELATED = 5
MAX_SITES = 400  # mentions considered when no sentence defines a term
# A following sentence continues a definition when it opens (after at most a short
# clause) with a pronoun that refers back: "Although a diverse body of thought, it is ...".
_CONTINUES = re.compile(r"^(?:[^,.;:()]{0,80},\s+)?(?:it|they|this|these|he|she|its|their|his|her|such)\b", re.I)
_COPULA_AFTER = re.compile(r"^\s*(?:\([^()]*\)\s*)?,?\s*(?:is|are|was|were|refers|means|denotes|describes)\b")


def _sentence_text(p: Passage, si: int) -> str:
    s = p.sentences[si]
    return p.text[s.start : s.end]


def _quote(p: Passage, si: int) -> str:
    """The sentence, continued by up to two following sentences that refer back to it."""
    end = si
    while end + 1 < len(p.sentences) and end - si < 2:
        nxt = _sentence_text(p, end + 1)
        if not _CONTINUES.match(nxt) or p.sentences[end + 1].end - p.sentences[si].start > 600:
            break
        end += 1
    return p.text[p.sentences[si].start : p.sentences[end].end]


def _pick_def(c: Chosen, passages: list[Passage]) -> DefSite | None:
    if not c.defs:
        return None
    name = fold(c.surface or c.key)

    def rank(d: DefSite) -> tuple[float, int, int]:
        p = passages[d.passage]
        topical = 0.5 if name and (name in fold(p.section) or name in fold(p.title)) else 0.0
        return (d.strength + topical, -d.passage, -d.sentence)

    return max(c.defs, key=rank)


def draft_entries(chosen: list[Chosen], passages: list[Passage]) -> list[GlossaryEntry]:
    """Entries with the definitions the patterns found; the others are completed in _finish."""
    out = []
    for c in chosen:
        # A weak pattern ("The function is a stub ...") is no better than the best mention,
        # which _finish looks for; people keep their cue sentences ("the historian X").
        d = _pick_def(c, passages)
        if d is not None and d.strength < 3 and c.kind != "person":
            d = None
        definition, citation = "", None
        if d is not None:
            p = passages[d.passage]
            definition, citation = _quote(p, d.sentence), GlossaryCitation(p.id, p.document, p.page, p.page_label)
        out.append(GlossaryEntry(term=c.surface or c.key, kind=c.kind,
                                 definition=definition, citation=citation, aliases=tuple(c.aliases)))
    return out


def _in_prose(text: str, start: int, end: int) -> bool:
    """A mention in running text, not in markup such as :ref:`frame-objects` or <target>."""
    return text[start - 1 : start] not in ("`", "<", "|", "_", "-", "/") and text[end : end + 1] not in (
        "`", ">", "|", "_", "-", "/", "(")


@dataclass
class _Mentions:
    count: int = 0
    passages: list[int] = field(default_factory=list)
    surfaces: Counter[str] = field(default_factory=Counter)
    sites: list[tuple[int, int, int]] = field(default_factory=list)  # passage, sentence, offset in sentence


def _mentions(entries: list[GlossaryEntry], passages: list[Passage]) -> list[_Mentions]:
    names = [(n, i) for i, e in enumerate(entries) for n in (e.term, *e.aliases)]
    matcher = TermMatcher(names)
    own = [term_key(e.term) for e in entries]
    found = [_Mentions() for _ in entries]
    for pi, p in enumerate(passages):
        starts = [s.start for s in p.sentences]
        for start, end, i in matcher.iter_matches(p.text):
            m = found[i]
            m.count += 1
            if not m.passages or m.passages[-1] != pi:
                m.passages.append(pi)
            si = max(0, bisect.bisect_right(starts, start) - 1)
            sentence_start = starts[si] if starts else 0
            surface = p.text[start:end]
            if start > sentence_start and term_key(surface) == own[i] and _in_prose(p.text, start, end):
                m.surfaces[surface] += 1  # mid-sentence spellings in running text decide the display form
            if len(m.sites) < MAX_SITES and (not m.sites or m.sites[-1][0] != pi):
                m.sites.append((pi, si, start - sentence_start))  # the first mention in each passage
    return found


_PIECES = re.compile(r"([\s\-]+)")  # words and the separators between them


def _shape(text: str) -> str:
    """A spelling up to case, dashes, possessive and plural: "Balance-of-power systems" -> "balance-of-power system"."""
    pieces = _PIECES.split(fold(text))
    pieces[-1] = singular(re.sub(r"'s?$", "", pieces[-1]))
    return "".join(pieces)


def _flat(shape: str) -> str:
    """Every word singular and not possessive, separators kept: "messages catalogs" -> "message catalog"."""
    return "".join(p if i % 2 else singular(re.sub(r"'s?$", "", p)) for i, p in enumerate(_PIECES.split(shape)))


def _canon(shape: str) -> str:
    """What spelling variants share: no separators, American spelling ("offence-defence" -> "offensedefense")."""
    return "".join(american(w) for w in _PIECES.split(_flat(shape))[::2])


def _display(e: GlossaryEntry, m: _Mentions) -> tuple[str, Kind, list[str]]:
    """The spelling to show, the kind, and the variants seen in the corpus.

    The display is the usual mid-sentence spelling, singular when the corpus uses the
    singular at all ("context manager", but "international relations"); variants are
    the other spellings of the same key seen in the corpus ("balance-of-power" for
    "balance of power", "offence" for "offense").
    """
    term, kind = e.term, e.kind
    if e.curated or not m.surfaces:
        return term, kind, []
    groups: dict[str, Counter[str]] = {}
    for s, n in m.surfaces.items():
        groups.setdefault(_shape(s), Counter())[s] += n
    own = _shape(term)
    best = max(groups, key=lambda g: (groups[g].total(), g == own, "-" not in g))
    forms = groups[best]
    singular = [s for s in forms if fold(s) == best]
    pool = singular or list(forms)
    # Lower case is the spelling of a concept; "Data Classes" in a heading-like sentence is not.
    term = max(pool, key=lambda s: (forms[s] * (3 if s[:1].islower() else 1), s[:1].islower(), s))
    if kind != "person":
        lower = sum(n for s, n in m.surfaces.items() if s[:1].islower())
        if lower * 4 >= m.surfaces.total():
            kind = "concept"
        elif " " not in term and not is_acronym(term):
            kind = "other"  # a word (almost) always written with a capital is a name: "CPython", "Python"
    # Other spellings: hyphens and spaces, British and American; not an inner plural or a
    # possessive ("messages catalogs", "module's initialization"), nor another word with
    # the same key ("suit" for "suite").
    variants: dict[str, str] = {}
    for g in groups:
        if _flat(g) != _flat(best) and _canon(g) == _canon(best):
            variants.setdefault(_flat(g), groups[g].most_common(1)[0][0])
    return term, kind, list(variants.values())


_TERM_ROLE = re.compile(r":(?:term|dfn):`$")
_INDEFINITE_DEF = re.compile(r"^\W*(?:an?|one)\s+$", re.I)
_THE_START = re.compile(r"^\W*(?:the\s+)?$", re.I)
_DEF_OBJECT = re.compile(r"^\s*(?:\([^()]*\)\s*)?,?\s*(?:is|are)\s+(?:an?|one|the|any|defined)\b")


def _fallback(e: GlossaryEntry, m: _Mentions, passages: list[Passage]) -> tuple[str, GlossaryCitation | None]:
    """No defining sentence: the most definition-like sentence that mentions the term.

    "A barrier is a ..." beats "The barrier is ...", which beats a sentence that merely
    uses the term; sentences in a section named after the term win ties.
    """
    best: tuple[float, int, int, int] | None = None
    name = fold(e.term)
    for pi, si, offset in m.sites:
        p = passages[pi]
        if not p.sentences:
            continue
        text = _sentence_text(p, si)
        if len(text) > 600 or prose(text) is None:
            continue
        head, tail = text[:offset], text[offset + len(e.term) :]
        score = 1.0 if 40 <= len(text) <= 300 else 0.0
        if head.endswith(("*", "``")) or (head.endswith("`") and not _TERM_ROLE.search(head)):
            score -= 3.0  # "*iterable*" names a parameter, ``x`` is code: a last resort
        if _DEF_OBJECT.match(tail):
            score += 3.0 if _INDEFINITE_DEF.match(head) else 2.0 if _THE_START.match(head) else 1.0
        elif _COPULA_AFTER.match(tail):
            score += 1.0
        if _THE_START.match(head) or _INDEFINITE_DEF.match(head):
            score += 0.5
        if text.rstrip().endswith(":"):
            score -= 2.0  # a lead-in ("… HAC estimate:") says what follows, not what the term is
        if name in fold(p.section):
            score += 1.0
        key = (score, -pi, -si)
        if best is None or key > best[:3]:
            best = (score, -pi, -si, pi)
    if best is None:
        return e.definition, e.citation
    p = passages[best[3]]
    return _quote(p, -best[2]), GlossaryCitation(p.id, p.document, p.page, p.page_label)


def _related(found: list[_Mentions], keys: list[str], vectors: np.ndarray) -> list[list[int]]:
    """Up to MAX_RELATED neighbours per entry: co-occurrence in passages, cosine of contexts
    (the mean vector of the passages that mention a term), and one term inside another
    ("realism" and "offensive realism")."""
    n = len(found)
    if n == 0:
        return []
    dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[0] else 1
    ctx = np.zeros((n, dim), dtype=np.float32)
    for i, m in enumerate(found):
        if m.passages and vectors.shape[0]:
            v = vectors[m.passages[:300]].mean(axis=0)
            ctx[i] = v / (np.linalg.norm(v) or 1.0)
    cos = ctx @ ctx.T
    by_passage: dict[int, list[int]] = {}
    for i, m in enumerate(found):
        for pi in m.passages:
            by_passage.setdefault(pi, []).append(i)
    co: list[Counter[int]] = [Counter() for _ in range(n)]
    nested: set[tuple[int, int]] = set()
    for ids in by_passage.values():
        if len(ids) > 60:
            continue  # a passage naming everything relates nothing
        for a in ids:
            co[a].update(b for b in ids if b != a)
    index = {k: i for i, k in enumerate(keys)}
    for i, key in enumerate(keys):
        words = key.split()
        for a in range(len(words)):
            for b in range(a + 1, len(words) + 1):
                j = index.get(" ".join(words[a:b]))
                if j is not None and j != i:
                    co[i][j] += 0  # make sure the pair is scored
                    co[j][i] += 0
                    nested.add((i, j))
                    nested.add((j, i))
    out: list[list[int]] = []
    sizes = [max(1, len(m.passages)) for m in found]
    top = min(n, MAX_RELATED * 4)
    for i in range(n):
        scores: dict[int, float] = {}
        for j in np.argpartition(-cos[i], top - 1)[:top] if n > 1 else []:
            if int(j) != i and cos[i, j] > 0.5:
                scores[int(j)] = 0.5 * float(cos[i, j])
        for b, k in co[i].items():
            scores[b] = scores.get(b, 0.5 * float(cos[i, b])) + 0.5 * k / math.sqrt(sizes[i] * sizes[b])
            if (i, b) in nested:
                scores[b] += 0.3
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        out.append([j for j, s in ranked[:MAX_RELATED] if s >= 0.3])
    return out


def _unique(entries: list[GlossaryEntry]) -> list[GlossaryEntry]:
    """One entry per key; an alias naming another entry, or claimed by two, goes (curated ones stay)."""
    owner: dict[str, int] = {}
    for i, e in enumerate(entries):
        owner.setdefault(term_key(e.term), i)
    claimed = Counter(k for e in entries for k in {term_key(a) for a in e.aliases})
    out = []
    for i, e in enumerate(entries):
        if owner[term_key(e.term)] != i:
            continue
        kept = tuple(
            a for a in dict.fromkeys(e.aliases)
            if term_key(a) and owner.get(term_key(a), i) == i and (claimed[term_key(a)] == 1 or e.curated)
        )
        out.append(replace(e, aliases=kept))
    return out


def finish(
    entries: list[GlossaryEntry], passages: list[Passage], vectors: np.ndarray, curated: cur.Curated
) -> list[GlossaryEntry]:
    """Mentions, display spellings, fallback definitions, variant aliases and related terms."""
    entries = _unique(entries)  # before counting, so an ambiguous alias ("TLS") counts for no one
    found = _mentions(entries, passages)
    kept: list[_Mentions] = []
    final: list[GlossaryEntry] = []
    for e, m in zip(entries, found, strict=True):
        if not e.curated and m.count == 0:
            continue  # evidence without a findable mention (a phrase split by markup)
        term, kind, variants = _display(e, m)
        definition, citation = e.definition, e.citation
        if not definition:
            definition, citation = _fallback(replace(e, term=term), m, passages)
        if not definition:
            continue
        final.append(replace(e, term=term, kind=kind, definition=definition, citation=citation,
                             aliases=tuple(dict.fromkeys([*e.aliases, *variants])),
                             mention_count=m.count,
                             mention_passages=tuple(passages[pi].id for pi in m.passages[:MAX_MENTION_PASSAGES])))
        kept.append(m)
    related = _related(kept, [term_key(e.term) for e in final], vectors)
    overrides = cur.related_overrides(curated)
    hidden = curated.hidden_keys()
    names = [e.term for e in final]
    out = []
    for e, rel in zip(final, related, strict=True):
        chosen = overrides.get(term_key(e.term), tuple(names[j] for j in rel))
        out.append(replace(e, related=cur.strip_hidden(tuple(chosen), hidden)))
    return sorted(out, key=lambda e: fold(e.term))
