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
import socket
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


# What the app's first run imported after the server was up (python -X importtime): ingest.upload's
# pipeline (~1 s), Streamlit's emoji table, read to check the page icon (~0.15 s), and what
# ui.pages_common imports (~0.1 s).
APP_MODULES = ("ingest.upload", "ui.pages_export", "ui.render", "index.audit", "index.claims",
               "index.query.followup", "streamlit.emojis", "streamlit.material_icon_names", "_strptime")


def import_app_modules() -> None:
    """Import what the app's script imports, so the first visitor does not wait for it. Modules
    that call Streamlit when imported (ui.app, ui.pages_common) are left to the script: before the
    runtime starts they would bind to a stand-in cache."""
    for name in APP_MODULES:
        importlib.import_module(name)
    # The first element a process sends makes Streamlit ask whether it runs in a REPL, to warn
    # that an app belongs in `streamlit run`: inspect.stack() reads the source of every frame,
    # ~0.1 s of the first visitor's wait. This process is `streamlit run`; the warning is moot.
    from streamlit import delta_generator

    delta_generator._use_warning_has_been_displayed = True


def send_without_delay() -> None:
    """Have Streamlit's listening socket hand out connections with Nagle's algorithm off.

    Streamlit binds that socket itself, as socket.socket(family), whose protocol number is 0, and
    asyncio turns TCP_NODELAY on only for sockets created with IPPROTO_TCP. A response written in
    two parts (headers, then body) then waited for the client's delayed ACK: ~40 ms per file on
    a kept-alive connection (bench/browser.py), with a first page fetching 61 script files. Set on
    the listening socket, the option is inherited by every connection it accepts
    (tests/test_serve.py checks that on this platform)."""
    from streamlit.web.server.starlette import starlette_server

    bind = starlette_server._bind_socket

    def bind_without_delay(address: str, port: int, backlog: int) -> socket.socket:
        sock = bind(address, port, backlog)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    starlette_server._bind_socket = bind_without_delay


def main() -> None:
    for line in warm_up():
        print(line, flush=True)
    import_app_modules()
    send_without_delay()
    from streamlit.web import cli as streamlit_cli

    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    sys.exit(streamlit_cli.main(prog_name="streamlit"))


if __name__ == "__main__":
    main()
