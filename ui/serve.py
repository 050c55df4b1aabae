"""The process `sourcebook serve` becomes: it opens every index it serves (model, ONNX session,
FAISS, a first question asked), then runs Streamlit in this same process.

Streamlit answers its health check as soon as its server starts; loading on the first request
kept a reader waiting ~17 s behind "Loading the index and the model…". Opened here first, the
engines are in `open_engine`'s registry when the app's `load_engine` asks for them, so the
server is healthy only once a question can be answered at once.
usage: python -m ui.serve STREAMLIT-RUN-ARGUMENTS...
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def warm_up() -> list[str]:
    """Open and exercise the engine of each index served; one line per index, for the log."""
    from index import bundle
    from index.engine import open_engine
    from index.errors import SourcebookError
    from index.settings import Environment

    env = Environment.read()
    folders = [folder for _, folder in env.collections] or [env.index_dir]
    lines = []
    for folder in folders:
        started = time.perf_counter()
        try:
            if bundle.current_generation(folder) is None:
                lines.append(f"{folder}: no index yet")
                continue
            engine = open_engine(Path(folder))
            engine.ask("What is this corpus about?")  # the query path's first call loads what it needs
        except SourcebookError as exc:  # the page says what is wrong; the server still starts
            lines.append(f"{folder}: {exc}")
            continue
        lines.append(f"{folder}: ready in {time.perf_counter() - started:.1f}s")
    return lines


def import_app_modules() -> None:
    """Import what the app's script imports, so the first visitor does not wait for it (~1 s, most
    of it ingest.upload's pipeline). Modules that call Streamlit when imported are left to the
    script: before the runtime starts they would bind to a stand-in cache."""
    for name in ("ingest.upload", "ui.pages_export", "ui.render"):
        importlib.import_module(name)


def main() -> None:
    for line in warm_up():
        print(line, flush=True)
    import_app_modules()
    from streamlit.web import cli as streamlit_cli

    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    sys.exit(streamlit_cli.main(prog_name="streamlit"))


if __name__ == "__main__":
    main()
