"""General English word classes used by term extraction in place of a part-of-speech tagger.

These are closed classes (function words, auxiliaries, common verbs, generic
modifiers, words for occupations and organisations), the same for any corpus: they
say what cannot be a term, never what is one.
"""

from __future__ import annotations

import re

from index.words import LETTER_WORD, norm_token


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP = _words(
    """
    a an the this that these those there here such some any all both each every either neither no not nor
    none one two three four five six seven eight nine ten own other others another same
    i me my mine we us our ours you your yours he him his she her hers it its they them their theirs
    myself yourself himself herself itself ourselves themselves oneself
    who whom whose which what whatever whichever whoever when where why how whether whenever wherever
    and or but if then else than so yet because since although though while unless until whereas
    as at by for from in into of off on onto out over per to toward towards up upon via with within
    without about above across after against along among amongst around before behind below beneath
    beside besides between beyond despite down during except inside like near outside through
    throughout under underneath unlike
    am is are was were be been being has have had having do does did doing done
    can could may might must shall should will would ought cannot
    also just only even still already again ever never always often sometimes usually very too quite
    rather almost much many more most less least few fewer several enough however therefore thus hence
    now instead otherwise moreover furthermore nevertheless indeed perhaps maybe else etc eg ie e.g i.e vs
    yes ok okay please first second third last next previous former latter following above-mentioned
    mr mrs ms dr prof st
    """
)

# Words after which a run of content words starts with a verb: "to import modules".
BEFORE_VERB = _words("to can could will would may might must shall should cannot not it they we you he she i who")

# Words after which the last word of a run is a verb: "this example demonstrates how".
AFTER_VERB = _words("a an the this these those some any how whether it its their his her them him us me you your our")

# Verb forms that are rarely nouns: they end a noun phrase. Words that are both
# ("use", "set", "call", "return", "test") are deliberately absent.
VERBS = _words(
    """
    become becomes became becoming seem seems seemed appear appears appeared allow allows allowed
    provide provides provided include includes included including contain contains contained
    need needs needed want wants wanted get gets got gotten give gives gave given take takes took taken
    make makes made let lets see sees saw seen say says said know knows knew known think thinks thought
    tell tells told find finds found keep keeps kept leave leaves left bring brings brought begin
    begins began begun show shows showed shown tries tried called refer refers referred
    describe describes described define defines defined mean means meant consider considers considered
    suggest suggests suggested hold holds held argue argues argued explain explains
    explained belong belongs belonged leads led caused affect affects affected
    require requires required return returned returns raise raises raised create creates created
    specify specifies specified ensure ensures ensured represent represents represented indicate
    indicates indicated supports supported
    uses used using write writes wrote written reads runs ran spent sent chosen thrown
    occur occurs occurred exist exists existed happen happens happened fail fails failed succeed succeeds
    remain remains remained depend depends depended differ differs differed apply applies applied consist
    consists consisted behave behaves behaved tend tends
    """
)

# Nouns ending in -ly (the rest of -ly words are adverbs).
LY_NOUNS = _words("family assembly anomaly monopoly butterfly jelly belly rally bully supply reply italy july")

# Modifiers that select or compare rather than classify: "the same situation", "a key
# concept", "the following example" are not terms.
GENERIC = _words(
    """
    same other following first second third last next previous new old given certain several various
    different particular specific main key major minor whole entire full current original former latter
    possible available appropriate necessary corresponding respective similar additional further
    optional actual general good bad best better worse large small big little great greater long short
    high low higher lower simple complex basic usual common normal certain important essential
    relevant proper real true false right wrong single multiple many much more most less least few
    own above below early late recent modern present future past final initial top bottom easy hard
    particular various numerous typical whole open closed valid invalid existing resulting alternative
    older newer useful default arbitrary individual separate specified desired extra overall exact suitable
    unique total maximum minimum related respective preferred precise sole notable middle latest
    easiest simplest fastest largest smallest highest lowest longest shortest earliest newest oldest nearest
    """
)

# Nouns that name what a person is: a capitalised name right after them is a person.
ROLES = _words(
    """
    scholar historian scientist philosopher economist professor author writer theorist researcher
    sociologist psychologist mathematician physicist chemist biologist engineer politician president
    minister diplomat journalist critic poet novelist inventor analyst strategist statesman
    emperor king queen prince chancellor senator lawyer judge linguist anthropologist geographer
    programmer developer designer founder creator artist composer painter director editor translator
    """
)
TITLES = _words("mr mrs ms dr prof professor sir dame lord lady saint st")
PARTICLES = _words("van von de der den da di del du la le bin ibn al")

# Words that make a capitalised sequence an organisation, a work or a place, not a person.
NOT_NAME = _words(
    """
    university college institute press society association foundation company corporation inc ltd
    journal review quarterly proceedings politics affairs relations war world service professor
    department ministry council committee agency office school library museum center centre conference
    standard software language project group team guide manual reference tutorial module class
    function object error exception type windows linux unix python internet web network union states
    kingdom republic empire state city county river mountain ocean sea north south east west new
    international national federal royal general history theory studies study law act treaty party
    """
)


def is_acronym_of(short: str, long: str) -> bool:
    """True when `short` is written in capitals and spells the initials of `long`.

    "GIL" / "global interpreter lock", "MRO" / "method resolution order",
    "EAFP" / "easier to ask for forgiveness than permission" (small words may be skipped).
    """
    core = short[:-1] if short.endswith("s") and short[:-1].isupper() else short
    if not (2 <= len(core) <= 8 and core.isupper() and core.isalpha()):
        return False
    words = [w for w in re.split(r"[\s\-]+", long) if w]
    if len(words) < 2:
        return False
    initials = "".join(w[0] for w in words).upper()
    content = "".join(w[0] for w in words if w.lower() not in STOP).upper()
    return core.upper() in (initials, content)


_content_cache: dict[tuple[str, bool], bool] = {}


def is_content(word: str, first: bool = False) -> bool:
    """A word that may stand in a concept term: not a function word, verb form, adverb or name.

    `first`: the word opens its sentence, so a capital says nothing.
    """
    got = _content_cache.get((word, first))
    if got is None:
        got = _is_content(word, first)
        if len(_content_cache) < 500_000:
            _content_cache[(word, first)] = got
    return got


def _is_content(word: str, first: bool) -> bool:
    low = word.lower()
    if not LETTER_WORD.fullmatch(word) or low in STOP or low in VERBS:
        return False
    if ("'" in low or "’" in low) and not low.endswith(("'s", "’s")):
        return False  # contractions: "I'll", "don't"
    if low.endswith("ly") and len(low) > 4 and low not in LY_NOUNS:
        return False  # adverbs: "strongly", "necessarily"
    if any(ch.isupper() for ch in word[1:].replace("-", "")):
        return False  # camelCase identifiers, acronyms, Title-Case-Compounds
    # A capital mid-sentence is a name ("Nazi Germany"), never part of a concept term.
    return first or not word[0].isupper()


def _keys(words: frozenset[str]) -> frozenset[str]:
    return frozenset(norm_token(w) for w in words)


# The same classes as comparison keys (index.glossary.term_key), for tests on keys.
GENERIC_KEYS = _keys(GENERIC)
STOP_KEYS = _keys(STOP)
