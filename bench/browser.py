"""The web app's speed as a reader sees it: headless Chromium against the real `sourcebook serve`.

usage: python bench/browser.py [--index DIR] [--questions FILE] [--repeat N] [--cold-runs N]

Prints (a) cold: from launching `sourcebook serve` to the first answer drawn in the browser
(server start, model and index load, first answer, page render), and from the server answering
its health check to that answer (a `?q=` link opened in a browser context with an empty cache,
so Streamlit's scripts are fetched too; the median of --cold-runs server starts); then the time
to fetch the first page's files one after another on one kept-alive connection, as a browser
does on each of its six; and (b) warm: per question, from pressing Ask to the answer (or the
abstention) drawn, median and p95 over the questions. Each warm question is asked from a
freshly loaded Ask page (a new Streamlit session, as a new reader), so the answer that appears
is that question's. The first round asks each question for the first time; later rounds are
answered from the app's answer cache (memoised per index generation) and are printed apart.
Without --index an index of corpus/ is built in a temporary folder first (not timed). Nothing
is asserted: these are figures to read.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests/ is not an installed package

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from index.evaluate import describe_ms  # noqa: E402
from index.query.abstain import ABSTAIN_TEXT  # noqa: E402
from tests.browser_support import (  # noqa: E402
    ANSWER_SELECTOR,
    FIRST_ANSWER_MS,
    VIEWPORT,
    Server,
    ask,
    build_index,
    launch_chromium,
    wait_for_ask_page,
)

# Not a development question, so that every dev question's first ask is computed, not cached.
COLD_QUESTION = "What is the spiral model?"

# Timed in the page: Playwright polls a locator at growing intervals (up to 500 ms apart), so the
# moment its wait returns can be half a second after the answer was drawn. The page notes the
# wall-clock time of the first frame drawn with an answer or an abstention in it, and of the
# last click. What counts as an answer is tests/browser_support.py's answer_or_abstention, read here
# in the page from the same two constants (ANSWER_SELECTOR, ABSTAIN_TEXT).
MARK_ANSWER = """
window.__sbShown = 0; window.__sbClicked = 0;
document.addEventListener('click', () => { window.__sbClicked = Date.now(); }, true);
new MutationObserver(() => {
  if (!window.__sbShown && (document.querySelector(ANSWER_SELECTOR) || [...document.querySelectorAll(
      '[data-testid="stAlert"]')].some(e => e.textContent.includes(ABSTAIN_TEXT)))) {
    window.__sbShown = -1;
    requestAnimationFrame(() => setTimeout(() => { window.__sbShown = Date.now(); }, 0));
  }
}).observe(document, {subtree: true, childList: true});
""".replace("ANSWER_SELECTOR", json.dumps(ANSWER_SELECTOR)).replace("ABSTAIN_TEXT", json.dumps(ABSTAIN_TEXT))


def shown_at(page: Page, timeout_ms: float) -> float:
    """Wall-clock seconds at which the page first drew an answer (waiting up to `timeout_ms` for it)."""
    page.wait_for_function("window.__sbShown > 0", timeout=timeout_ms)
    return float(page.evaluate("window.__sbShown")) / 1000


def first_answer(page: Page, server: Server) -> tuple[float, float]:
    """(launch to healthy, healthy to the first answer drawn), seconds, for a started server."""
    healthy, wall = time.perf_counter(), time.time()
    page.goto(server.page_url(q=COLD_QUESTION))
    return healthy - server.started_at, shown_at(page, 2 * FIRST_ANSWER_MS) - wall


def kept_alive_fetches(url: str) -> list[float]:
    """Seconds to fetch each file the app's first page loads, one after another on one kept-alive
    connection: ~40 ms each when the server's sockets wait on Nagle's algorithm for the client's
    delayed ACK, ~1 ms when they do not (http.client itself sends with TCP_NODELAY)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "localhost", parts.port, timeout=10)
    try:
        conn.request("GET", "/")
        page = conn.getresponse().read().decode()
        out = []
        for path in re.findall(r'(?:src|href)="\.?/?(static/[^"]+)"', page):
            t = time.perf_counter()
            conn.request("GET", "/" + path)
            conn.getresponse().read()
            out.append(time.perf_counter() - t)
        return out
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--index", type=Path, help="an existing index (default: corpus/ indexed in a temporary folder)")
    ap.add_argument("--questions", type=Path, default=ROOT / "tests" / "data" / "eval" / "qa-dev.jsonl")
    ap.add_argument("--repeat", type=int, default=3, help="rounds over the questions (default: %(default)s)")
    ap.add_argument("--cold-runs", type=int, default=1,
                    help="server starts timed to the first answer (default: %(default)s)")
    args = ap.parse_args()
    questions = [json.loads(line)["question"] for line in args.questions.read_text().splitlines() if line.strip()]
    cold_starts: list[tuple[float, float]] = []  # (launch to healthy, healthy to first answer drawn), seconds
    with tempfile.TemporaryDirectory() as tmp:
        index = args.index or build_index(ROOT / "corpus", Path(tmp) / "index")
        with sync_playwright() as pw:
            t = time.perf_counter()
            browser = launch_chromium(pw)
            print(f"browser: Chromium {browser.version}, launched in {time.perf_counter() - t:.1f} s")
            for run in range(max(1, args.cold_runs) - 1):  # the extra cold starts; the last one serves the rest
                context = browser.new_context(viewport=VIEWPORT)
                context.add_init_script(MARK_ANSWER)
                with Server(index, Path(tmp) / f"serve-{run}.log") as server:
                    cold_starts.append(first_answer(context.new_page(), server))
                context.close()
            context = browser.new_context(viewport=VIEWPORT)
            context.add_init_script(MARK_ANSWER)
            page = context.new_page()
            server = Server(index, Path(tmp) / "serve.log")
            try:
                server.start()
                cold_starts.append(first_answer(page, server))
                fetched = sorted(kept_alive_fetches(server.url))
                print(f"kept-alive: the first page's {len(fetched)} files fetched one after another on one "
                      f"connection in {sum(fetched) * 1000:.0f} ms, median {statistics.median(fetched) * 1000:.1f} ms "
                      f"per file")
                print("cold: launch of `sourcebook serve` to the server answering "
                      + ", ".join(f"{h:.1f}" for h, _ in cold_starts) + " s; healthy to the first answer drawn "
                      + ", ".join(f"{a:.2f}" for _, a in cold_starts)
                      + f" s (median {statistics.median(a for _, a in cold_starts):.2f} s)")
                rounds: list[list[float]] = []
                for _ in range(max(1, args.repeat)):
                    ms = []
                    for question in questions:
                        page.goto(server.url)
                        wait_for_ask_page(page)
                        ask(page, question)
                        shown = shown_at(page, FIRST_ANSWER_MS)
                        ms.append((shown - float(page.evaluate("window.__sbClicked")) / 1000) * 1000)
                    rounds.append(ms)
                print(f"warm, first ask of each question: {describe_ms(rounds[0], digits=0)}")
                if len(rounds) > 1:
                    print(f"warm, asked again ({len(rounds) - 1} rounds, answer cache): "
                          f"{describe_ms([m for r in rounds[1:] for m in r], digits=0)}")
            finally:
                server.stop()
                browser.close()


if __name__ == "__main__":
    main()
