"""index/words.py: look-alike helpers that must stay apart, each pinned on the case where they differ."""

from __future__ import annotations

from index.words import (
    casefold_key,
    content_words,
    norm_token,
    singular,
    squashed,
    stem,
    surname_as_written,
    surname_key,
    title_key,
    word_key,
)


def test_the_two_stemmers_differ_on_purpose() -> None:
    assert stem("states") == "stat" and norm_token("states") == "stat"
    assert stem("running") == "runn" and norm_token("running") == "running"  # glossary keys keep -ing
    assert stem("policies") == "polic" and norm_token("Policies") == "policy"
    assert stem("behaviour") == "behaviour" and norm_token("behaviour") == "behavior"
    assert singular("packages") == "package" and norm_token("packages") == "packag"
    assert content_words("The states were running") == {"stat", "runn"}


def test_a_surname_as_written_and_as_a_key() -> None:
    assert surname_as_written("van Evera, Stephen") == "van Evera" and surname_key("van Evera, Stephen") == "evera"
    assert surname_as_written("Jervis R") == "Jervis" and surname_key("Jervis R") == "jervis"
    assert surname_as_written("R. Jervis") == "Jervis" and surname_key("R. Jervis") == "jervis"
    # JSS and Vancouver lists write initials after the family name, particles and all.
    assert surname_as_written("Andrews DWK") == "Andrews" and surname_as_written("van der Loo M") == "van der Loo"
    assert surname_key("Krämer W") == "kramer" and surname_key("Cribari-Neto F") == "neto"


def test_the_loose_keys_differ_on_purpose() -> None:
    assert word_key("Straße, ok?") == "stra e ok" and casefold_key("Straße, ok?") == "strasse ok"
    assert squashed("The G.I.L.") == "thegil"
    assert title_key("The Étude") == "etude" and word_key("The Étude") == "the tude"
