"""Sentence patterns that define a term, give it another name, or name a person.

Each pattern records a `DefSite` (the sentence, how strongly it defines) or an alias
in the `Harvest`; the choice between sentences is made later, in ingest/glossary.py.
"""

from __future__ import annotations

import re
from collections import Counter

from index.glossary import term_key
from ingest import lexicon as lx
from ingest.evidence import DefSite, Harvest, Person, Prose

_W = r"[A-Za-z][\w'’]*(?:-[\w'’]+)*"
_SUBJ = rf"(?P<subj>{_W}(?:\s+(?:of\s+)?{_W}){{0,4}}?)"
_LEAD = r"(?:(?:In|Within|For|Under|Throughout|Among|Informally|Formally|Broadly)\b[^,¦()]{0,60},\s+)?"
_ART = r"(?:(?P<art>[Tt]he|[Aa]n?)\s+)?"
_PAREN = (
    r"(?:\s*(?P<paren>\((?:[^()]|\([^()]*\)){1,200}\))"
    r"|,\s+(?:also|sometimes|often|commonly)\s+(?:known\s+as|called|referred\s+to\s+as)\s+(?P<alias>[^,;]{2,60}),)?"
)
_VERB = (
    r",?\s+(?:(?:is|are)\s+(?:(?:also|usually|often|commonly|generally|simply|essentially|formally|typically"
    r"|broadly|sometimes)\s+)?(?:(?P<strong>defined\s+as|known\s+as|a\s+term\b|the\s+term\b|the\s+name\b)"
    r"|(?P<det>an?|one\s+of|when|where|any)\b|(?P<the>the)\b)"
    r"|(?P<refers>refers?\s+to|denotes|means|describes)\b)"
)
DEF_RE = re.compile(rf"^{_LEAD}{_ART}{_SUBJ}{_PAREN}{_VERB}")
THEORY_RE = re.compile(
    rf"^{_LEAD}[Tt]he\s+{_SUBJ}\s+(?:theory|hypothesis|principle|doctrine|model|thesis|paradigm|law|effect"
    r"|paradox|fallacy)\b(?:\s+(?:in|of|within)\s+[^,;¦]{1,60}?)?,?\s+(?:suggests|holds|states|posits|argues"
    r"|predicts|assumes|proposes|claims|maintains|says|asserts|explains|describes)\b"
)
OF_WHICH_RE = re.compile(
    r"\b(?:theory|concept|notion|idea|principle|doctrine|model|school|law|paradigm)\s+of\s+"
    rf"{_SUBJ},?\s+which\s+(?:is|describes|refers\s+to|holds|states|suggests|explains|posits|argues|means"
    r"|denotes|maintains)\b"
)
CALLED_RE = re.compile(
    r"\b(?:is|are)\s+(?:also\s+|often\s+|sometimes\s+|commonly\s+|then\s+)?(?:called|known\s+as"
    rf"|referred\s+to\s+as|termed)\s+(?:an?\s+|the\s+)?[\"“]?{_SUBJ}[\"”]?(?=\s*[.,;:)]|\s*$)"
)
_ALIAS_INTRO = re.compile(
    r"^(?:also\s+|or\s+simply\s+|sometimes\s+|often\s+)?(?:referred\s+to\s+as|known\s+as|called|termed"
    r"|abbreviated(?:\s+as)?|or|aka|a\.k\.a\.)\s+(?P<rest>.+)$",
    re.S,
)
_ACRONYM_AFTER = re.compile(r"\s\(([A-Z][A-Za-z]{1,7})\)")
_HAS_DEF_VERB = re.compile(r"\b(?:is|are|refers?|denotes|means|describes)\b")
_HAS_THEORY = re.compile(
    r"\b(?:theory|hypothesis|principle|doctrine|model|thesis|paradigm|law|effect|paradox|fallacy|concept|notion|idea)\b"
)
_HAS_CALLED = re.compile(r"\b(?:called|known\s+as|referred\s+to\s+as|termed)\b")
_ACRONYM_BEFORE = re.compile(r"\b([A-Z]{2,8})\s+\(((?:[A-Za-z][\w'’-]*\s*){2,8})\)")

_UP, _LOW = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_CAP = rf"[{_UP}][{_LOW}]+(?:[-'’][{_UP}][{_LOW}]+)?"
_PART = "|".join(sorted(lx.PARTICLES))
NAME_RE = re.compile(
    rf"(?<![\w.])(?P<name>{_CAP}(?:\s+(?:[{_UP}]\.|{_CAP}|(?:{_PART})(?=\s+[{_UP}]))){{1,3}})(?![\w-])"
)
_BORN = re.compile(r"\s*\((?:[^()]*?[;,]\s*)?(?:born|b\.|née|né)\b|\s*\(\s*(?:c\.\s*)?\d{3,4}\s*[–—-]\s*\d{0,4}\s*\)")
_AFTER_BORN = re.compile(r"\s*\((?:[^()]|\([^()]*\))*\)\s*,?\s+(?:is|was)\s+(?:an?|the|one)\b")
_CUE_BEFORE = re.compile(
    # Not "written by", "proposed by", "contributed by": those are credits, not people discussed.
    r"(?:according\s+to|coined\s+by|invented\s+by|argued\s+by|founded\s+by|formulated\s+by"
    r"|theory\s+of|view\s+of|work\s+of)\s+$",
    re.I,
)
_CAPWORD = re.compile(r"(?<![\w.'’-])([A-Z][a-z]{2,})(?![\w'’-])")


def valid_subject(subj: str, at_start: bool) -> bool:
    """A plausible term: 1 to 5 content words ("of" inside allowed), lower case or all proper names."""
    words = subj.split()
    if not 1 <= len(words) <= 5 or words[0] == "of" or words[-1] == "of":
        return False
    caps = [w[0].isupper() for w in words if w != "of"]
    if any(caps[1:]) and not all(caps):
        return False  # "Military Technology and" mixtures; names are all-capitals
    for i, w in enumerate(words):
        if w == "of" and 0 < i < len(words) - 1:
            continue
        if all(caps) and len(words) > 1:
            if w.lower() in lx.STOP:
                return False
            continue
        if not lx.is_content(w, first=(i == 0 and at_start) or all(caps)):
            return False
    if len(words) == 1:
        return len(words[0]) >= 3 and words[0].lower() not in lx.GENERIC
    return words[0].lower() not in lx.GENERIC


def _aliases_in(paren: str, subj: str) -> list[str]:
    inner = paren.strip()[1:-1].strip() if paren.strip().startswith("(") else paren.strip()
    m = _ALIAS_INTRO.match(inner)
    if m:
        parts = re.split(r",\s*(?:or\s+)?|\s+or\s+", m.group("rest"))
        out = []
        for part in parts:
            a = re.sub(r"^(?:the|an?)\s+", "", part.strip(" \"“”'*"), flags=re.I).strip(" \"“”'*")
            if a and len(a.split()) <= 6 and re.fullmatch(r"[\w'’\- ]+", a):
                out.append(a)
        return out
    return [inner] if lx.is_acronym_of(inner, subj) else []


def scan(h: Harvest, pr: Prose, pi: int, si: int) -> None:
    """Record every definitional, alias and name pattern of one sentence."""
    text = pr.text.strip()
    emph = {term_key(e) for e in pr.emphasised}

    m = DEF_RE.match(text) if _HAS_DEF_VERB.search(text, 0, 300) else None
    if m and valid_subject(m.group("subj"), at_start=not m.group(0).startswith(("In ", "Within ", "For "))):
        subj = m.group("subj")
        aliases = _aliases_in(m.group("paren"), subj) if m.group("paren") else []
        if m.group("alias"):
            aliases += _aliases_in("known as " + m.group("alias"), subj)
        paren = m.group("paren") or ""
        is_name = subj[0].isupper() and len(subj.split()) > 1 and all(w[0].isupper() for w in subj.split())
        if is_name and _BORN.match(paren):
            pass  # a person: handled by the name scan below
        else:
            strength = 4.0 if m.group("strong") or m.group("refers") else 3.0 if m.group("det") else 2.0
            if aliases:
                strength += 1.0
            if (m.group("art") or "").lower() in ("a", "an"):
                strength += 0.5  # "A generator is ...": a generic definition
            elif (m.group("art") or "").lower() == "the" and len(subj.split()) == 1 and not aliases:
                strength -= 1.5  # "The default is ...": a specific thing, rarely a term
            key = term_key(subj)
            # "*default* is the value to return ...", "The *tag* argument is ...": in reST an
            # emphasised word is a parameter being described, not a term being defined.
            if not ((key in emph and not m.group("art")) or (" " in subj and _any_emphasised(subj, emph))):
                h.add_def(subj, DefSite(strength, pi, si, subj))
            for a in aliases:
                h.aliases.setdefault(key, Counter())[a] += 1
    # Cheap tests first: most sentences have none of these words.
    theory = _HAS_THEORY.search(text) is not None
    for rx, strength, wanted in (
        (THEORY_RE, 3.0, theory),
        (OF_WHICH_RE, 3.0, theory and "which" in text),
        (CALLED_RE, 2.5, _HAS_CALLED.search(text) is not None),
    ):
        if not wanted:
            continue
        for m2 in rx.finditer(text):
            subj = m2.group("subj")
            if valid_subject(subj, at_start=False) or valid_subject(subj, at_start=True):
                key = term_key(subj)
                if key not in emph:
                    h.add_def(subj, DefSite(strength, pi, si, subj))
    for m3 in _ACRONYM_AFTER.finditer(text) if "(" in text else ():
        acr = m3.group(1)
        words = re.findall(r"[A-Za-z][\w'’-]*", text[max(0, m3.start() - 120) : m3.start()])[-8:]
        for k in range(2, len(words) + 1):
            expansion = " ".join(words[-k:])
            if lx.is_acronym_of(acr, expansion):
                _acronym(h, expansion, acr)
                break
    for m4 in _ACRONYM_BEFORE.finditer(text) if "(" in text else ():
        if lx.is_acronym_of(m4.group(1), m4.group(2).strip()):
            _acronym(h, m4.group(2).strip(), m4.group(1))
    _names(h, text, pi, si)


def _any_emphasised(subj: str, emph: set[str]) -> bool:
    return any(term_key(w) in emph for w in subj.split())


def _acronym(h: Harvest, expansion: str, acronym: str) -> None:
    words = expansion.split()
    if words[0].lower() in lx.STOP or words[-1].lower() in lx.STOP:
        return
    key = term_key(expansion)
    h.marked[key] += 1
    h.note_surface(key, expansion)
    h.aliases.setdefault(key, Counter())[acronym] += 1


def _names(h: Harvest, text: str, pi: int, si: int) -> None:
    """Capitalised name sequences with their person cues."""
    # Capitalised words standing alone ("Herz and Jervis did not ..."): surnames used by themselves.
    for c in _CAPWORD.finditer(text):
        left = text[max(0, c.start() - 30) : c.start()].split()[-1:]
        right = text[c.end() : c.end() + 2].strip()
        if left and left[0][:1].isupper() and not left[0].endswith((",", ";", ":")):
            continue
        if not right[:1].isupper():
            h.solo_caps[c.group(1)] += 1
    found: list[tuple[int, int, str, float, float, float]] = []  # start, end, name, strong, weak, def strength
    for m in NAME_RE.finditer(text):
        words = m.group("name").split()
        start = m.start()
        strong = weak = 0.0
        while words and (words[0].lower() in lx.STOP or words[0].lower().rstrip(".") in lx.TITLES):
            if words[0].lower().rstrip(".") in lx.TITLES:
                strong += 2.0
            start += len(words[0]) + 1
            words = words[1:]
        if len(words) < 2 or words[0].endswith(".") or words[-1].endswith("."):
            continue
        if any(w.lower() in lx.NOT_NAME or w.lower() in lx.ROLES or w.lower() in lx.GENERIC for w in words):
            continue
        name = " ".join(words)
        after = text[m.end() :]
        strength = 0.0
        if _BORN.match(after):
            strong += 3.0
            if _AFTER_BORN.match(after):
                strength = 4.0
        before = text[max(0, start - 60) : start]
        prev = before.split()[-1:]
        if prev and prev[-1].lower().strip(",") in lx.ROLES:
            strong += 2.0  # "the German scholar John H. Herz"
            strength = max(strength, 2.0)
        if _CUE_BEFORE.search(before):
            strong += 2.0  # "According to Kenneth Waltz"
            strength = max(strength, 1.5)
        if any(re.fullmatch(r"[A-Z]\.", w) for w in words[1:-1]):
            weak += 1.0  # a middle initial
        found.append((start, m.end(), name, strong, weak, strength))
    keys = [_canonical(f[2]) for f in found]
    for i, (start, end, name, strong, weak, strength) in enumerate(found):
        person = h.people.setdefault(keys[i], Person(name))
        # Names listed together ("Butterfield, Herz, and Jervis") are names of one kind.
        for j in (i - 1, i + 1):
            if 0 <= j < len(found):
                a, b = (found[j][1], start) if j < i else (end, found[j][0])
                if re.fullmatch(r",\s*(?:and\s+)?|\s+and\s+|,\s+", text[a:b]):
                    person.neighbours.add(keys[j])
        if len(name) > len(person.name):
            person.name = name
        person.strong += strong
        person.weak += weak
        site = DefSite(strength, pi, si, name)
        if strength >= 4.0:
            person.defs.append(site)
        elif strength > 0:
            person.cue_sites.append(site)


def _canonical(name: str) -> str:
    """The key of a person: first and last name ("John Joseph Mearsheimer" -> "John Mearsheimer").

    Middle initials are kept ("John H. Herz"): they are how such names are cited.
    """
    words = name.split()
    if len(words) == 3 and not words[1].endswith(".") and words[1].lower() not in lx.PARTICLES:
        words = [words[0], words[2]]
    return term_key(" ".join(words))
