"""Build the glossary of a corpus: choose terms, quote their definitions, relate them.

`build_glossary` matches `ingest.pipeline.GlossaryBuilder`. Steps:

1. harvest evidence from every body sentence (ingest/terms.py, ingest/patterns.py);
2. choose terms: defined or marked ones, people, and frequent, spread noun phrases,
   with thresholds that grow with the corpus (a phrase said twice in a two-page
   corpus is as telling as one said a dozen times in a manual);
3. apply the curated file (ingest/curated.py): curated data wins;
4. make entries (ingest/entries.py): mentions found with the look-up's own matcher,
   display spellings and variants, the best defining sentence quoted verbatim with
   its citation, and related terms.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np

from index.glossary import is_acronym, term_key
from index.models import Document, GlossaryEntry, Passage
from ingest import curated as cur
from ingest import lexicon as lx
from ingest.entries import draft_entries, finish
from ingest.evidence import Chosen, Harvest
from ingest.terms import harvest

MIN_COHESION = 0.1


def build_glossary(
    passages: list[Passage], documents: list[Document], corpus_dirs: list[Path], vectors: np.ndarray
) -> list[GlossaryEntry]:
    """The corpus glossary: extracted terms with cited definitions, then curated data applied."""
    curated = cur.load(corpus_dirs)  # first, so a broken file fails before any work
    h = harvest(passages)
    chosen = choose(h, len(passages))
    entries = draft_entries(chosen, passages)
    entries = cur.apply(entries, curated, passages)
    return finish(entries, passages, vectors, curated)


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
        if key in longest and st[1] <= 1.5 * longest[key]:
            del out[key]


def _aliases(h: Harvest, key: str) -> list[str]:
    """Aliases the corpus gives a term, most often given first; none that is the term itself."""
    return [a for a, _ in h.aliases.get(key, Counter()).most_common() if term_key(a) != key]


def _best_surface(surfaces: Counter[str]) -> str:
    if not surfaces:
        return ""
    return max(surfaces.items(), key=lambda kv: (kv[1], kv[0][:1].islower()))[0]
