from __future__ import annotations

from typing import Any

import numpy as np

PASSAGE = ("John Mearsheimer is an American political scientist. He is a professor at the University of Chicago. "
           "The security dilemma arises when one state's defences frighten its neighbours.")


def spans(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for part in text.split(". "):
        end = start + len(part) + (0 if part.endswith(".") else 1)
        out.append((start, end))
        start = end + 1
    return out


def test_passage_vectors_are_those_encode_gives(embedder: Any) -> None:
    passages, _ = embedder.encode_passages([PASSAGE, "A short one."], [spans(PASSAGE), [(0, 12)]])
    plain = embedder.encode([PASSAGE, "A short one."])
    assert np.allclose((passages * plain).sum(axis=1), 1.0, atol=1e-4)


def test_each_sentence_vector_is_nearest_its_own_sentence(embedder: Any) -> None:
    cut = spans(PASSAGE)
    assert [PASSAGE[a:b] for a, b in cut][1] == "He is a professor at the University of Chicago."
    _, (sentences,) = embedder.encode_passages([PASSAGE], [cut])
    assert sentences.shape == (3, embedder.dimension)
    alone = embedder.encode([PASSAGE[a:b] for a, b in cut])
    similarity = sentences @ alone.T
    # Sentences on different topics stay apart: the last one is nearest itself, the first two
    # (both about Mearsheimer) are nearer each other than the last.
    assert similarity[2].argmax() == 2
    assert similarity[0, 2] < similarity[0, 0] and similarity[1, 2] < similarity[1, 1]
    # Read in context, "He" is Mearsheimer: nearer a question about him than the sentence alone is.
    q = embedder.encode(["Where does Mearsheimer teach?"])[0]
    assert float(sentences[1] @ q) > float(alone[1] @ q)
