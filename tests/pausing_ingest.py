"""One ingestion that stops at a named point, so tests/test_crash.py can SIGKILL it exactly there.

    python -m tests.pausing_ingest CORPUS INDEX STAGE MARKER [RESUME]

It ingests CORPUS into INDEX with ingest.pipeline.ingest. At STAGE it creates the file MARKER and
waits: until the file RESUME exists (then it carries on and prints the report's summary), or, with
no RESUME named, until it is killed. It exits with status 3 if it never reached STAGE.

Stages, in the order an ingestion passes them:

    reading        the first document is being read: the lock is held, nothing is written yet
    embedding      the first chunk of new passages is embedded (on_progress "embedding passages: ...")
    embedded       every passage is embedded (on_progress "building the glossary", sent right after)
    store-written  the new generation's store.sqlite and BM25 postings are written, its vectors not yet
    before-switch  the new generation is complete and its CURRENT pointer written, not yet made live

The first three are seen through the on_progress callback. The last two lie inside
index.bundle.write, which reports no progress: in this process only, the call that finishes the
postings (index.bm25.write) and the os.replace that switches CURRENT are wrapped to pause there.
All of this is test code; the package has no hook for it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from index import bm25
from ingest.pipeline import ingest

STAGES = ("reading", "embedding", "embedded", "store-written", "before-switch")
NEVER_PAUSED = 3
WAIT_LIMIT = 600.0  # seconds; an orphan left by a dead test run does not wait forever

PROGRESS_AT = {  # stage -> does this on_progress message mark it?
    "reading": lambda text: text.startswith("reading "),
    "embedding": lambda text: text.startswith("embedding passages: "),
    "embedded": lambda text: text == "building the glossary",
}


def run(corpus: Path, index: Path, stage: str, marker: Path, resume: Path | None) -> int:
    if stage not in STAGES:
        raise SystemExit(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    paused = False

    def pause() -> None:
        nonlocal paused
        if paused:
            return
        paused = True
        marker.write_text(stage)
        deadline = time.monotonic() + WAIT_LIMIT
        while not (resume is not None and resume.exists()):
            if time.monotonic() > deadline:
                raise SystemExit(f"pausing_ingest: still paused at {stage} after {WAIT_LIMIT:.0f}s")
            time.sleep(0.05)

    def on_progress(text: str, fraction: float) -> None:
        if stage in PROGRESS_AT and PROGRESS_AT[stage](text):
            pause()

    mp = pytest.MonkeyPatch()
    if stage == "store-written":
        write_postings = bm25.write

        def write_then_pause(*args: Any, **kwargs: Any) -> Any:
            result = write_postings(*args, **kwargs)
            pause()
            return result

        mp.setattr(bm25, "write", write_then_pause)
    elif stage == "before-switch":
        replace = os.replace

        def pause_then_replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
            if Path(dst).name == "CURRENT":
                pause()
            replace(src, dst, *args, **kwargs)

        mp.setattr(os, "replace", pause_then_replace)
    try:
        report = ingest([corpus], index, on_progress=on_progress)
    finally:
        mp.undo()
    if not paused:
        print(f"pausing_ingest: the ingestion ended without reaching {stage}", file=sys.stderr)
        return NEVER_PAUSED
    print(report.summary())
    return 0


def main(argv: list[str]) -> int:
    if len(argv) not in (4, 5):
        raise SystemExit(__doc__)
    corpus, index, stage, marker = Path(argv[0]), Path(argv[1]), argv[2], Path(argv[3])
    return run(corpus, index, stage, marker, Path(argv[4]) if len(argv) == 5 else None)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
