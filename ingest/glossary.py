"""Build the glossary of a corpus: choose terms, quote their definitions, relate them.

`build_glossary` matches `ingest.pipeline.GlossaryBuilder`. Steps:

1. harvest evidence from every body sentence (ingest/terms.py, ingest/patterns.py);
2. choose terms: defined or marked ones, people, and frequent, spread noun phrases,
   with thresholds that grow with the corpus (a phrase said twice in a two-page
   corpus is as telling as one said a dozen times in a manual);
3. apply the curated file (ingest/curated.py): curated data wins;
4. find every mention with the look-up's own matcher (index/glossary.py), which also
   gives each term its display spelling and its spelling variants;
5. quote the best defining sentence (plus a following sentence that continues it,
   "... it is unified by ..."), verbatim, with its passage, document and page;
6. relate terms that co-occur in passages or whose contexts are close in embedding space.

`mention_count` counts every occurrence; `mention_passages` lists the passages in
corpus order, at most MAX_MENTION_PASSAGES of them.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np

from index.glossary import TermMatcher, fold, is_acronym, norm_token, term_key
from index.models import Document, GlossaryCitation, GlossaryEntry, Passage
from ingest import curated as cur
from ingest import lexicon as lx
from ingest.terms import DefSite, Harvest, harvest, prose

Kind = Literal["concept", "person", "other"]
MAX_MENTION_PASSAGES = 200
MAX_RELATED = 5
MIN_COHESION = 0.1
MAX_SITES = 400  # mentions considered when no sentence defines a term
# A following sentence continues a definition when it opens (after at most a short
# clause) with a pronoun that refers back: "Although a diverse body of thought, it is ...".
_CONTINUES = re.compile(r"^(?:[^,.;:()]{0,80},\s+)?(?:it|they|this|these|he|she|its|their|his|her|such)\b", re.I)
_COPULA_AFTER = re.compile(r"^\s*(?:\([^()]*\)\s*)?,?\s*(?:is|are|was|were|refers|means|denotes|describes)\b")


@dataclass
class Chosen:
    """A term being built: its key, the names it goes by, where it is defined."""

    key: str
    surface: str
    kind: Kind
    defs: list[DefSite] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    score: float = 0.0


def build_glossary(
    passages: list[Passage], documents: list[Document], corpus_dirs: list[Path], vectors: np.ndarray
) -> list[GlossaryEntry]:
    """The corpus glossary: extracted terms with cited definitions, then curated data applied."""
    curated = cur.load(corpus_dirs)  # first, so a broken file fails before any work
    h = harvest(passages)
    chosen = choose(h, len(passages))
    entries = _draft_entries(chosen, passages)
    entries = cur.apply(entries, curated, passages)
    return _finish(entries, passages, vectors, curated)


# --- choosing terms ----------------------------------------------------------------------


def thresholds(n_passages: int) -> tuple[int, int]:
    """(passages, documents) a plain noun phrase must occur in: 2 and 1 for a small corpus,
    growing with the logarithm of its size (about 9 and 4 for 25,000 passages)."""
    scale = max(0.0, math.log10(max(n_passages, 1)) - 1.5)
    return 2 + round(2.5 * scale), 1 + round(scale)


def _plain_termhood(key: str) -> bool:
    """A noun phrase that could be a term: no generic first word, a head that is not a participle."""
    words = key.split()
    return (
        words[0] not in lx.GENERIC_KEYS
        and words[-1] not in lx.GENERIC_KEYS
        and not words[-1].endswith(("ed", "ing"))
        and not any(w in lx.STOP_KEYS and w != "of" for w in words)
        and all(len(w) > 1 for w in words)
    )


def choose(h: Harvest, n_passages: int) -> list[Chosen]:
    """The terms of the corpus, strongest evidence first."""
    min_p, min_d = thresholds(n_passages)
    out: dict[str, Chosen] = {}

    def stat(key: str) -> tuple[int, int, int]:
        st = h.stats.get(key)
        return (st[0], st[1], st[3]) if st else (0, 0, 0)

    # People first: their names and surnames are not also concepts.
    person_names: set[str] = set()
    firm = {k for k, p in h.people.items() if p.strong >= 2}
    for key, person in h.people.items():
        surname = person.name.split()[-1]
        # A firm cue, or being listed with a firmly cued person ("Butterfield, Herz, and
        # Jervis") and used by surname alone. Names in credits ("Contributed by ...") have neither.
        weak = person.weak + (1.0 if h.solo_caps[surname] else 0.0) + (1.0 if person.neighbours & firm else 0.0)
        if person.strong < 2 and not (person.neighbours & firm and weak >= 2):
            continue
        words = person.name.split()
        display = " ".join([words[0], words[-1]]) if term_key(" ".join([words[0], words[-1]])) == key else person.name
        aliases = [a for a in dict.fromkeys([person.name, surname]) if a != display]
        out[key] = Chosen(key, display, "person", person.defs + person.cue_sites, aliases, person.strong + weak)
        person_names.update({key, *(term_key(a) for a in aliases)})

    for key, sites in h.defs.items():
        if key in person_names or key in out or _identifier_like(h, key):
            continue
        best = max(s.strength for s in sites)
        _, n_pass, _ = stat(key)
        surfaces = h.surfaces.get(key, Counter())
        if " " in key:
            ok = best >= 3 or (best >= 2 and n_pass >= min_p)
            plain = _plain_termhood(key) and not key.split()[0].endswith(("ed", "ing"))
            ok = ok and (best >= 4 or (plain and _cohesion(h, key) >= MIN_COHESION))
        else:
            # One word needs a firm definition and more than a passing use; in a large
            # corpus, more than one definition or a firmer form ("A generator is ...").
            definite = best >= 3.5 or len(sites) >= 2 or min_p <= 3
            ok = best >= 3 and definite and n_pass >= max(1, min_p // 3) and key not in lx.GENERIC_KEYS
        if ok:
            named = " " not in key and key not in h.lower_mid
            out[key] = Chosen(key, _best_surface(surfaces), "other" if named else "concept", sites,
                              _aliases(h, key), score=best + math.log1p(n_pass))

    for key, n in h.marked.items():
        surfaces = h.surfaces.get(key, Counter())
        word = _best_surface(surfaces).lower()
        if " " not in word and (word in lx.STOP or word in lx.VERBS or (word.endswith("ly") and len(word) > 4)):
            continue  # :dfn:`synchronously`: an adverb is not a glossary term
        if key not in out and key not in person_names:
            surfaces = h.surfaces.get(key, Counter())
            out[key] = Chosen(key, _best_surface(surfaces), "concept", h.defs.get(key, []), _aliases(h, key),
                              score=2 + math.log1p(n))

    # Plain noun phrases: frequent, spread and cohesive; or lexicalised compounds; or a
    # kind of a defined term ("defensive realism" when "realism" is defined).
    defined_heads = {k for k in out if " " not in k and out[k].kind == "concept"}
    for key, st in h.stats.items():
        if " " not in key or key in out or key in person_names:
            continue
        surface = h.first_surface[key]
        if " " not in surface or " of " in f" {key} " or not _plain_termhood(key) or _identifier_like(h, key):
            continue
        count, n_pass, _, n_docs, _, nominal = st
        words = key.split()
        cohesion = _cohesion(h, key)
        first = surface.split()[0]
        if cohesion < MIN_COHESION or first.endswith("ing") or (first.endswith("ed") and cohesion < 0.3):
            continue  # "argument values", "useful value"; "falling back"; "passed arguments"
        if nominal < 0.5 * count or "'" in first or "’" in first or _verbal(h, words[0]):
            continue  # "to import modules", "can override methods"; "clause's suite"; "compare equal"
        frequent = n_pass >= min_p and n_docs >= min_d
        lenient = n_pass >= max(1, min_p // 2)
        compound = key in h.compounds and len(words) <= 3 and lenient
        family = words[-1] in defined_heads and len(words) == 2 and lenient
        if frequent or compound or family:
            out[key] = Chosen(key, surface, "concept", [], _aliases(h, key),
                              score=math.log1p(n_pass) + (1 if compound or family else 0))

    _drop_nested(out, h)
    # "GIL" marked on its own is the alias of "global interpreter lock": one entry, not two.
    for c in list(out.values()):
        for a in c.aliases:
            other = out.get(term_key(a))
            if other is not None and other is not c and other.kind != "person" and is_acronym(a):
                del out[other.key]
    return sorted(out.values(), key=lambda c: -c.score)


def _verbal(h: Harvest, word_key: str) -> bool:
    """A word that mostly starts a verb phrase ("to compare", "you can override")."""
    st = h.stats.get(word_key)
    return st is not None and st[5] < 0.6 * st[0]


def _cohesion(h: Harvest, key: str) -> float:
    """How often the rarest word of a phrase comes in the phrase: high for "event loop"
    (0.47) and "keyword argument", low for "argument values" (0.005) or "useful value"."""
    st = h.stats.get(key)
    parts = [h.stats[w][0] for w in key.split() if w in h.stats]
    return (st[0] if st else 0) / max(1, min(parts, default=1))


def _identifier_like(h: Harvest, key: str) -> bool:
    """A word mostly written emphasised is a parameter name in reST ("*fp*", "*hdr*")."""
    for w in key.split():
        st = h.stats.get(w)
        if h.emphasised[w] and h.emphasised[w] * 2 >= (st[0] if st else 0):
            return True
    return False


def _drop_nested(out: dict[str, Chosen], h: Harvest) -> None:
    """Drop a plain phrase that mostly occurs inside a longer chosen one ("relations theory")."""
    longest: dict[str, int] = {}  # sub-phrase key -> passages of the most frequent chosen phrase holding it
    for key in out:
        words = key.split()
        st = h.stats.get(key)
        if len(words) < 2 or not st:
            continue
        for i in range(len(words)):
            for j in range(i + 1, len(words) + 1):
                if j - i < len(words):
                    sub = " ".join(words[i:j])
                    longest[sub] = max(longest.get(sub, 0), st[1])
    for key in list(out):
        c = out[key]
        st = h.stats.get(key)
        if c.defs or c.kind == "person" or key in h.marked or not st:
            continue
        if key in longest and st[1] <= 1.25 * longest[key]:
            del out[key]


def _aliases(h: Harvest, key: str) -> list[str]:
    """Aliases the corpus gives a term, most often given first; none that is the term itself."""
    return [a for a, _ in h.aliases.get(key, Counter()).most_common() if term_key(a) != key]


def _best_surface(surfaces: Counter[str]) -> str:
    if not surfaces:
        return ""
    return max(surfaces.items(), key=lambda kv: (kv[1], kv[0][:1].islower()))[0]


# --- entries ------------------------------------------------------------------------------


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


def _draft_entries(chosen: list[Chosen], passages: list[Passage]) -> list[GlossaryEntry]:
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
            definition, citation = _quote(p, d.sentence), GlossaryCitation(p.id, p.document, p.page)
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


def _singular(word: str) -> str:
    """The singular of a folded word when it is a plain plural of it ("packages", "classes", "policies")."""
    if not word.endswith("s") or len(word) < 4:
        return word
    if word.endswith("ies"):
        tries = [word[:-3] + "y", word[:-1]]
    elif word.endswith(("sses", "ches", "shes", "xes", "zes")):
        tries = [word[:-2], word[:-1]]
    else:
        tries = [word[:-1], word[:-2]]
    for t in tries:
        if norm_token(t) == norm_token(word):
            return t
    return word


def _shape(text: str) -> str:
    """A spelling up to case, dashes and plural: "Balance-of-power systems" -> "balance-of-power system"."""
    words = fold(text).split(" ")
    words[-1] = _singular(re.sub(r"'s?$", "", words[-1]))  # and not possessive: "generator's"
    return " ".join(words)


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
        if any(s[:1].islower() for s in m.surfaces):
            kind = "concept"
        elif " " not in term and not is_acronym(term):
            kind = "other"  # a word only ever written with a capital is a name: "CPython", "Realpolitik"
    # Other spellings (hyphen, dash, British/American), not plurals of an inner word ("messages catalogs").
    flat = " ".join(_singular(w) for w in best.split(" "))
    variants = [
        groups[g].most_common(1)[0][0] for g in groups if g != best and " ".join(map(_singular, g.split(" "))) != flat
    ]
    return term, kind, variants


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
        if name in fold(p.section):
            score += 1.0
        key = (score, -pi, -si)
        if best is None or key > best[:3]:
            best = (score, -pi, -si, pi)
    if best is None:
        return e.definition, e.citation
    p = passages[best[3]]
    return _quote(p, -best[2]), GlossaryCitation(p.id, p.document, p.page)


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


def _finish(
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
