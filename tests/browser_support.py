"""The real web app in a real browser: `sourcebook serve` on a free localhost port, driven by
headless Chromium through Playwright. Shared by tests/test_browser.py, bench/browser.py and
bench/screenshot.py.

No browser is ever downloaded (the machines are offline): Playwright, the PyPI package, brings
only its driver, and launches Debian's Chromium (`make test` installs the `chromium` package).
Playwright's `launch()` gives the browser a fresh temporary profile (user-data-dir) each time.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from index.query.abstain import ABSTAIN_TEXT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Playwright, ViewportSize

ROOT = Path(__file__).resolve().parents[1]

# Without the background-networking flags Chromium keeps trying to reach Google's services,
# which on a closed network stalls or fails the launch; --no-sandbox because we run as root.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 1000}
# The first page of a server loads the embedding model and the index: allow for a slow machine.
FIRST_ANSWER_MS = 60_000
SERVER_START_S = 60.0


def chromium_path() -> str | None:
    """Debian's Chromium ($SOURCEBOOK_CHROMIUM overrides), or None when none is installed."""
    found = os.environ.get("SOURCEBOOK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    return found if found and Path(found).exists() else None


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless Chromium with the flags a closed network needs (never a downloaded browser)."""
    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Chromium is not installed: `make test` installs Debian's chromium package")
    return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sourcebook_command() -> list[str]:
    """The `sourcebook` script installed beside this interpreter (the venv's), else the module."""
    script = Path(sys.executable).with_name("sourcebook")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ui.cli"]


class Server:
    """`sourcebook serve --index INDEX` on a free localhost port, in a process group of its own.

    Read-only unless a `corpus` folder is given for documents added from the browser: a test
    server must never write to the checkout's corpus/ (serve's default). The process group
    matters: `sourcebook serve` runs Streamlit as a child process, and stopping only the
    parent would leave Streamlit running (see stop()).
    """

    def __init__(self, index: Path, log: Path | None = None, corpus: Path | None = None,
                 collections: dict[str, Path] | None = None) -> None:
        self.index = index
        self.corpus = corpus
        self.collections = collections or {}  # more indexes, served beside `index` (serve --collection)
        self.port = free_port()
        self.url = f"http://localhost:{self.port}/"
        self.log = log or Path(tempfile.mkstemp(prefix="sourcebook-serve-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self, timeout: float = SERVER_START_S) -> Server:
        """Start the server and wait until /_stcore/health answers (the model loads later, on first use)."""
        # A fixed checkout is served: watching its files only costs CPU, and an edit made
        # meanwhile would pop Streamlit's "source file changed" banner over the page.
        env = dict(os.environ, STREAMLIT_SERVER_FILE_WATCHER_TYPE="none")
        for name in ("SOURCEBOOK_INDEX", "SOURCEBOOK_CORPUS", "SOURCEBOOK_READ_ONLY"):
            env.pop(name, None)  # the command line says it all
        command = [*sourcebook_command(), "serve", "--index", str(self.index), "--port", str(self.port),
                   "--address", "localhost",
                   *(["--corpus", str(self.corpus)] if self.corpus is not None else ["--read-only"]),
                   *(arg for name, folder in self.collections.items() for arg in ("--collection", f"{name}={folder}"))]
        self.started_at = time.perf_counter()
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"sourcebook serve exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sourcebook serve did not answer within {timeout:.0f}s:\n{self.log_tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop the server's whole process group: SIGTERM, then SIGKILL after 10 s."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # The whole group is signalled, so that nothing the server started outlives it.
        group = process.pid
        os.killpg(group, signal.SIGTERM)
        try:
            process.wait(timeout=10)
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:  # anything else in the group may still be shutting down
                os.killpg(group, 0)
                time.sleep(0.1)
            os.killpg(group, signal.SIGKILL)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass  # the whole group is gone

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def page_url(self, path: str = "", **params: str) -> str:
        """The URL of a page ("" is Ask, "glossary", "citations", "documents") with query parameters."""
        query = urlencode(params, quote_via=quote, safe="")  # spaces as %20, as the app's own links
        return self.url + path + (f"?{query}" if query else "")

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


# --- the pages, as a reader uses them ------------------------------------------------------


def ask(page: Page, question: str) -> None:
    """Type a question into the Ask page's form and submit it."""
    page.get_by_label("Question").fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()


# What the Ask page shows once a question is answered: the answer's block, or the abstention
# warning (index.query.abstain.ABSTAIN_TEXT).
ANSWER_SELECTOR = ".sb-answer"


def answer_or_abstention(page: Page) -> Locator:
    """What the Ask page shows once a question is answered: the answer, or the abstention warning."""
    return page.locator(ANSWER_SELECTOR).or_(page.get_by_text(ABSTAIN_TEXT))


def build_index(corpus: Path, index: Path) -> Path:
    """`sourcebook ingest CORPUS --index INDEX` (nothing to do when it is up to date); returns INDEX."""
    subprocess.run([*sourcebook_command(), "ingest", str(corpus), "--index", str(index)], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return index


def wait_for_ask_page(page: Page) -> None:
    """Until a fresh session's Ask page has rendered its form (and the model is loaded)."""
    page.get_by_label("Question").wait_for(timeout=FIRST_ANSWER_MS)
    page.get_by_role("button", name="Ask", exact=True).wait_for(timeout=FIRST_ANSWER_MS)
