"""ui/serve.py: what `sourcebook serve` loads before it reports ready."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.web.server.starlette import starlette_server

from ui.serve import send_without_delay

ROOT = Path(__file__).resolve().parents[1]

# Run in a fresh interpreter: which modules the app's first run still has to import can only be
# seen from an empty sys.modules.
PROBE = """
import json, sys
from ui.serve import import_app_modules, warm_up
warm_up()  # as serve does: the engine opened and asked once
import_app_modules()
import streamlit.env_util
def is_repl():  # inspect.stack() over every frame: ~0.1 s of a first visit
    raise AssertionError("the first element sent asked whether this is a REPL")
streamlit.env_util.is_repl = is_repl
before = set(sys.modules)
from streamlit.testing.v1 import AppTest
import streamlit.testing.v1.app_test  # AppTest's own machinery is not the app's
harness = set(sys.modules)
at = AppTest.from_file(sys.argv[1], default_timeout=120)
at.query_params["q"] = "What is the security dilemma?"
at.run()
assert not at.exception, at.exception
print(json.dumps(sorted(set(sys.modules) - harness - before)))
"""


@pytest.mark.slow  # a fresh interpreter loads the model and runs the app: ~25 s
def test_the_apps_first_run_finds_its_heavy_modules_imported(app_index: Path) -> None:
    """Everything of ours and Streamlit's emoji table are imported by serve before it is healthy:
    only ui.pages_common, which calls Streamlit when imported, is left to the first visitor."""
    env = dict(os.environ, SOURCEBOOK_INDEX=str(app_index), SOURCEBOOK_READ_ONLY="1")
    done = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "ui" / "app.py")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    ours = [m for m in imported if m.split(".")[0] in {"index", "ingest", "ui"}]
    assert ours == ["ui.pages_common"], ours  # the script itself runs as __main__
    assert "streamlit.emojis" not in imported


def test_connections_accepted_by_streamlits_socket_send_without_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """With Nagle's algorithm on, a response written as headers then body waited ~40 ms for the
    browser's delayed ACK on every kept-alive connection: the listening socket Streamlit binds
    must hand out connections with TCP_NODELAY set."""
    monkeypatch.setattr(starlette_server, "_bind_socket", starlette_server._bind_socket)  # undone after
    send_without_delay()
    listener = starlette_server._bind_socket("127.0.0.1", 0, 8)
    with listener, socket.create_connection(listener.getsockname()[:2], timeout=5):
        listener.setblocking(True)
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
