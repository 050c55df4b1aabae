"""Words: the word patterns, stop words, stemmers and comparison keys shared by query and ingestion.

Some of these look alike but differ on purpose (two stemmers, two surnames, four loose keys);
each docstring says what it is for and how it differs from its neighbour, and none may change
without changing answers, claim verdicts or glossaries. Text normalisation of whole documents
is ingestion's own (ingest/text.py::normalise); FTS5's notion of a word lives beside the
keyword index it must agree with (index/bm25.py::question_words).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# --- word patterns --------------------------------------------------------------

# ASCII letters and digits, matched in lower-cased (or casefolded) text: the words of the loose,
# punctuation-blind comparisons below (content words, titles, duplicate paragraphs, eval evidence).
ASCII_WORD = re.compile(r"[a-z0-9]+")
# Letters and digits, any script, without apostrophes or hyphens: the words of a name a question
# asks about ("as.Date" -> "as", "date") and of the texts it is looked for in (index/query/subjects.py).
NAME_WORD = re.compile(r"[^\W_]+")
# A word of a glossary term: letters and digits, with inner apostrophes ("prisoner's"). Underscores
# are not word characters here, so identifiers are cut apart and then refused as matches.
TERM_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# Letters only, with inner apostrophes and hyphens ("state-of-the-art"): what a content word of a
# term may look like at all (ingest/lexicon.py); digits and underscores make it an identifier.
LETTER_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")

# --- stop words and content words ---------------------------------------------

STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with about as into from than then so such that this
    these those there here is are was were be been being do does did doing have has had having it its
    i me my we our you your he him his she her they them their what which who whom whose when where why
    how can could should would may might must will shall not no nor only own same too very just also
    any all both each few more most other some s t don now get got one""".split()
)


def content_words(text: str) -> set[str]:
    """Lower-cased words minus stop words, crudely stemmed so "states" meets "state"."""
    return {stem(w) for w in ASCII_WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1}


def stem(w: str) -> str:
    """Content words' stemmer: strips one of -ing/-ies/-es/-ed/-s leaving 3+ letters ("states" ->
    "stat"); cruder than norm_token (no spelling folding, no -ies -> -y), for overlap counts only."""
    for suffix in ("ing", "ies", "es", "ed", "s", "'s"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


# --- glossary term keys ---------------------------------------------------------

# British -> American spelling, applied to a lower-case word before stemming.
_SPELLING = [
    (re.compile(r"(?<=[a-z]{3})is(e|ed|es|ing|ation|ations)$"), r"iz\1"),
    (re.compile(r"(?<=[a-z]{2})our(s|ed|ing|ite|ites|able)?$"), r"or\1"),
    (re.compile(r"(?<=[a-z]{2})ence(s)?$"), r"ense\1"),
    (re.compile(r"(?<=[a-z]{2})yse(s|d)?$"), r"yze\1"),
    (re.compile(r"(?<=[a-z]{3})tre(s)?$"), r"ter\1"),
    (re.compile(r"(?<=[a-z]{3})ogue(s)?$"), r"og\1"),
]
_token_cache: dict[str, str] = {}


def american(word: str) -> str:
    """A word in lower case and American spelling: "Behaviour" -> "behavior", "offence" -> "offense"."""
    t = word.lower()
    if len(t) >= 4 and t.isalpha():
        for pattern, repl in _SPELLING:
            t = pattern.sub(repl, t)
    return t


def norm_token(word: str) -> str:
    """The glossary's comparison form of one word: lower case, no apostrophes, American spelling,
    singular stem ("Policies" -> "policy", "caches" -> "cach"); unlike stem, never strips -ing/-ed."""
    got = _token_cache.get(word)
    if got is not None:
        return got
    t = american(word.replace("'", "").replace("’", ""))
    if len(t) >= 4 and t.isalpha():
        # A crude stem that maps singular and plural to one form: policies/policy,
        # classes/class, caches/cache, types/type. It is a key, never displayed.
        if t.endswith("ies") and len(t) > 5:
            t = t[:-3] + "y"
        elif t.endswith("s") and not t.endswith(("ss", "us", "is")):
            t = t[:-1]
        if len(t) >= 4 and t.endswith("e"):
            t = t[:-1]
    if len(_token_cache) < 500_000:
        _token_cache[word] = t
    return t


def norm_tokens(words: Iterable[str]) -> list[str]:
    """norm_token of each word; the cache is read inline because matching a corpus calls this per word."""
    cache = _token_cache
    return [cache.get(w) or norm_token(w) for w in words]


def singular(word: str) -> str:
    """The singular of a folded word when it is a plain plural of it ("packages", "classes", "policies"):
    a real word to display, where norm_token's stem ("packag") is only ever compared."""
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


# --- loose keys: the same text up to case and punctuation ----------------------


def word_key(text: str) -> str:
    """Lower-cased ASCII words joined by single spaces: how a paragraph repeated in another document
    is recognised. Lower-cases where casefold_key casefolds ("Straße" -> "stra e", not "strasse")."""
    return " ".join(ASCII_WORD.findall(text.lower()))


def casefold_key(text: str) -> str:
    """Casefolded ASCII words joined by single spaces: how titles and claims are compared word by
    word ("Straße" -> "strasse")."""
    return " ".join(ASCII_WORD.findall(text.casefold()))


def squashed(text: str) -> str:
    """Lower-cased ASCII letters and digits with nothing between them: the `evidence_norm` form an
    evaluation set's passages are matched in ("The G.I.L." -> "thegil")."""
    return "".join(ASCII_WORD.findall(text.lower()))


def fold_accents(text: str) -> str:
    """Letters without their accents ("Krämer" -> "Kramer", "Étude" -> "Etude")."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def title_key(title: str) -> str:
    """How two references are told to be the same work: like word_key, but accents are stripped
    first ("Étude" -> "etude", where word_key gives "tude") and a leading article is dropped."""
    folded = fold_accents(title).lower()
    words = ASCII_WORD.findall(folded)
    if words and words[0] in {"the", "a", "an"}:
        words = words[1:]
    return " ".join(words)


# --- surnames -------------------------------------------------------------------

_INITIALS = re.compile(r"^(?:[A-Z]{1,3}|(?:[A-Z]\.\s?)+)$")


def surname_as_written(author: str) -> str:
    """The family name of an author as written, for citation keys: "Jervis, Robert", "R. Jervis" and
    "Jervis R" -> "Jervis"; keeps case and particles ("van Evera, Stephen" -> "van Evera")."""
    author = author.strip()
    if "," in author:
        return author.split(",", 1)[0].strip()
    words = author.split()
    if len(words) > 1 and _INITIALS.match(words[-1]):
        return " ".join(words[:-1])  # Vancouver and JSS style: "Jervis R", "van der Loo M"
    return words[-1] if words else ""


def surname_key(author: str) -> str:
    """The last word of the family name as casefold_key writes it, for comparing with running text
    word by word: "Jervis, Robert", "Robert Jervis", "Jervis R" -> "jervis"; "van Evera, Stephen" -> "evera";
    "Cribari-Neto F" -> "neto"; accents folded ("Krämer" -> "kramer"), as in running text read with fold_accents."""
    words = casefold_key(fold_accents(surname_as_written(author))).split()
    return words[-1] if words else ""
