"""Candidate glossary terms: what the corpus defines, marks, names and repeats.

No tagger and no term list: the evidence is surface structure that any well-edited
text has.

* definitional sentences: "X is a ...", "X (also referred to as Y) is ...",
  "X refers to ...", "The X theory suggests ...", "the theory of X, which describes ...",
  "... is called X";
* markup that marks a term: reST ``:term:`X``` and ``:dfn:`X```, acronym expansions
  "global interpreter lock (GIL)";
* names of people: capitalised name sequences with a cue ("(born ...)", "the German
  scholar ...", "according to ...", the surname used alone, a list of other names);
* noun-phrase n-grams: runs of content words between function words, frequent and
  spread over passages and documents; hyphenated noun compounds
  ("offense-defense balance") are lexicalised and need less frequency.

Everything is keyed by `index.glossary.term_key`, so dash, spelling and plural
variants pool their evidence.
"""

from __future__ import annotations

import re
from collections import Counter

from index.glossary import term_key
from index.models import Passage
from index.words import norm_token
from ingest import lexicon as lx
from ingest import patterns
from ingest.evidence import Harvest, Prose

# --- turning a sentence into prose -----------------------------------------------------

# reST roles: :term:`x`, :term:`shown <target>`, :dfn:`x`, :meth:`os.path`, :ref:`...`
_ROLE = re.compile(r":(?P<role>[\w:.-]+):`(?P<body>[^`]*)`")
_TARGETED = re.compile(r"^(?P<shown>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
_LITERAL = re.compile(r"``.*?``|`[^`]*`_{0,2}")
_EMPH = re.compile(r"(?<![\w*])\*{1,2}(?P<inner>[^*\s][^*]{0,80}?)\*{1,2}(?![\w*])")
# A single word as code: ``str``, :class:`str`, :func:`os.open` -> "str", "open".
_ROLE_OR_LITERAL_WORD = re.compile(r"(?:``|:(?!term:|dfn:)[\w:.-]+:`)(?:[~!]?[\w.]*\.)?([A-Za-z]\w*)(?:\(\))?(?:``|`)")
_URL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")
_SYMBOLS = str.maketrans(dict.fromkeys("=(){}[]<>*/\\_#@$;:|"))
_CODE_SYMBOLS = str.maketrans(dict.fromkeys("=(){}[]<>/\\_#@$;|"))
_HYPHEN = re.compile(r"['’]?-")
_word_keys: dict[str, str] = {}
BOUNDARY = " ¦ "  # stands for anything removed: never part of a term


def prose(sentence: str) -> Prose | None:
    """The readable words of a sentence, or None when it is code, a directive or a prompt."""
    s = sentence.strip()
    if not s or s.startswith(("..", ">>>", "$ ", "#", "|")) or "::" in s[:3]:
        return None
    if len(s) - len(s.translate(_CODE_SYMBOLS)) > max(4, 0.08 * len(s)):
        return None  # plainly code: rejected before any markup work
    marked: list[tuple[str, str]] = []

    def role(m: re.Match[str]) -> str:
        body = m.group("body").lstrip("~!")
        shown, target = body, body
        t = _TARGETED.match(body)
        if t:
            shown, target = t.group("shown"), t.group("target")
        if m.group("role") in ("term", "dfn"):
            marked.append((target.strip(), shown.strip()))
            return f" {shown} "
        return BOUNDARY

    literals: list[str] = []
    if "`" in s:
        literals = [m.group(1) for m in _ROLE_OR_LITERAL_WORD.finditer(s)]
        s = _LITERAL.sub(BOUNDARY, _ROLE.sub(role, s))
    if "://" in s or "@" in s or "www." in s:
        s = _URL.sub(BOUNDARY, s)
    if "*" not in s:
        s = " ".join(s.split())
        return None if _symbol_heavy(s) else Prose(s, marked, [], s, literals)
    emphasised = [m.group("inner") for m in _EMPH.finditer(s)]
    # "*fp* argument": in reST a lone emphasised word names a parameter, so it cannot be
    # part of a counted phrase; patterns still see it ("A *generator* is ...").
    phrases = " ".join(_EMPH.sub(lambda m: m.group("inner") if " " in m.group("inner") else BOUNDARY, s).split())
    s = " ".join(_EMPH.sub(lambda m: m.group("inner"), s).split())
    return None if _symbol_heavy(s) else Prose(s, marked, emphasised, phrases, literals)


def _symbol_heavy(s: str) -> bool:
    """Code, signatures and tables are dense in symbols; prose, even with a parenthesis, is not."""
    return len(s) - len(s.translate(_SYMBOLS)) > max(3, 0.04 * len(s))


# --- words and noun-phrase chunks --------------------------------------------------------

_TOKEN = re.compile(r"(\s*)([^\W\d_][^\W_]*(?:['’][^\W\d_]{1,2}\b)?(?:-[^\W_]+)*|\S)")


def chunks(text: str) -> list[tuple[list[str], str, str]]:
    """Maximal runs of content words (single spaces inside a run), plus "A of B" joins.

    Each run comes with the words just before and after it ("the", "to", ...), lower
    case, or "" when punctuation or markup stands there.
    """
    runs: list[list[str]] = []
    before: list[str] = []
    after: list[str] = []
    cur: list[str] = []
    links: list[tuple[int, int]] = []  # (a, b): runs[a] " of " runs[b]
    of_after: int | None = None  # index of the run that a clean " of " just followed
    prev_word = ""
    first = True
    for gap, w in _TOKEN.findall(text):
        clean = gap == " " and not first
        if lx.is_content(w, first):
            word = w.lower() if first and not w.isupper() else w
            if cur and clean:
                cur.append(word)
            else:
                if cur:
                    runs.append(cur)
                    after.append("")
                if of_after is not None and clean and prev_word == "of":
                    links.append((of_after, len(runs)))
                before.append(prev_word.lower() if clean else "")
                cur = [word]
            of_after = None
        else:
            closed = bool(cur)
            if cur:
                runs.append(cur)
                after.append(w.lower() if clean else "")
                cur = []
            of_after = len(runs) - 1 if (w == "of" and clean and closed) else None
        prev_word = w
        first = False
    if cur:
        runs.append(cur)
        after.append("")
    out = list(zip(runs, before, after, strict=True))
    # "balance of power": the last one or two words of a run, "of", the first one or two of the next.
    for a, b in links:
        left, right = runs[a], runs[b]
        for k in (1, 2):
            for n in (1, 2):
                if k <= len(left) and n <= len(right):
                    out.append(
                        ([*left[-k:], "of", *right[:n]], before[a] if k == len(left) else "",
                         after[b] if n == len(right) else "")
                    )
    return out


def ngrams(run: list[str], max_n: int = 4) -> list[tuple[int, int]]:
    """Spans of the n-grams of a run ("of" runs are taken whole)."""
    if "of" in run:
        return [(0, len(run))]
    return [(i, j) for i in range(len(run)) for j in range(i + 1, min(len(run), i + max_n) + 1)]


# --- one pass over the corpus ----------------------------------------------------------


def _count(h: Harvest, key: str, surface: str, pi: int, di: int, nominal: bool) -> None:
    st = h.stats.get(key)
    if st is None:
        h.stats[key] = [1, 1, pi, 1, di, int(nominal)]
        h.first_surface[key] = surface
        return
    st[0] += 1
    st[5] += nominal
    if st[2] != pi:
        st[1] += 1
        st[2] = pi
    if st[4] != di:
        st[3] += 1
        st[4] = di


def harvest(passages: list[Passage]) -> Harvest:
    """One pass over every sentence of every body passage."""
    h = Harvest()
    doc_index: dict[str, int] = {}
    prev_doc, prev_texts = "", set[str]()
    for pi, p in enumerate(passages):
        di = doc_index.setdefault(p.document, len(doc_index))
        texts = p.sentence_texts()
        # Consecutive passages of a paragraph share their overlap sentences: count those once,
        # or every phrase of an overlap looks twice as frequent as it is.
        repeated = prev_texts if p.document == prev_doc else set()
        prev_doc, prev_texts = p.document, set(texts)
        for si, sentence in enumerate(texts):
            if sentence in repeated:
                continue
            pr = prose(sentence)
            if pr is None:
                continue
            h.sentences += 1
            for target, shown in pr.marked:
                key = term_key(target)
                if key:
                    h.marked[key] += 1
                    h.note_surface(key, target)
                    if lx.is_acronym_of(shown, target):
                        h.aliases.setdefault(key, Counter())[shown] += 1
            for e in pr.emphasised:
                if " " not in e:
                    h.emphasised[_word_key(e)] += 1
            for w in pr.literals:
                h.emphasised[norm_token(w)] += 1
            patterns.scan(h, pr, pi, si)
            opening = pr.phrases
            for ri, (run, before, after) in enumerate(chunks(pr.phrases)):
                capital_start = ri == 0 and opening[:1].isupper() and opening.lower().startswith(run[0].lower())
                for i, j in ngrams(run):
                    words = run[i:j]
                    if words[-1] == "of" or words[0] == "of":
                        continue
                    key = " ".join([_word_key(w) for w in words])
                    # In a noun position unless right after "to", a modal or a pronoun:
                    # "to import modules", "you can override methods" are verb phrases.
                    # And its last word is a verb when an object follows: "example demonstrates how".
                    nominal = (i > 0 or before not in lx.BEFORE_VERB) and (
                        j < len(run) or after not in lx.AFTER_VERB
                    )
                    _count(h, key, " ".join(words), pi, di, nominal)
                    if j - i == 1 and words[0].islower() and not (i == 0 and capital_start):
                        h.lower_mid.add(key)
                    if any("-" in w for w in words) and j - i > 1 and _compound(words):
                        h.compounds.add(key)
    return h


def _word_key(word: str) -> str:
    """The key of one written word; a hyphenated word gives several ("offense-defense")."""
    got = _word_keys.get(word)
    if got is None:
        got = " ".join(norm_token(x) for x in _HYPHEN.split(word)) if "-" in word else norm_token(word)
        if len(_word_keys) < 500_000:
            _word_keys[word] = got
    return got


def _compound(words: list[str]) -> bool:
    """A lexicalised noun compound: a hyphenated modifier of content words, not a participle.

    "offense-defense balance" and "path-like object" are; "security-increasing measures"
    (a participle) is not.
    """
    for w in words[:-1]:
        if "-" in w:
            parts = w.split("-")
            if all(len(x) > 1 and x.isalpha() and x not in lx.STOP for x in parts) and not parts[-1].endswith(
                "ing"
            ):
                return True
    return False
