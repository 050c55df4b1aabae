"""The README's pictures of the app, made with the browser tests' own tooling.

usage: python bench/screenshot.py [--view ask|follow-up|page] [--out PNG] [--question Q] [--follow-up Q]
                                  [--index DIR]

Serves an index of corpus/ (built in a temporary folder unless --index is given) with the
real `sourcebook serve`, asks the question through the deep link in headless Chromium, and
saves the page, 1280 pixels wide, as a 256-colour PNG (a few tens of kB for the repository).
`--view follow-up` then asks the follow-up question in the form; `--view page` opens the first
citation's page as printed (the index must hold PDFs; the README's is of a realdocs PDF).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests/ is not an installed package

from PIL import Image  # noqa: E402  (Streamlit depends on Pillow)
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser_support import Server, build_index, launch_chromium  # noqa: E402

QUESTION = "Which German scholar introduced the concept, and when?"
# Tall enough for the question, the answer and its first source with its references.
VIEWPORT = {"width": 1280, "height": 926}


def screenshot(index: Path, out: Path, question: str = QUESTION, view: str = "ask",
               follow_up: str = "When did he write it?") -> Path:
    """Serve `index`, ask `question` in the browser (then the follow-up, or open the cited page as
    printed) and save the page to `out`."""
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]})
            with Server(index, Path(tmp) / "serve.log") as server:
                page.goto(server.page_url(q=question))
                page.locator(".sb-citation mark").first.wait_for(timeout=120_000)
                if view == "follow-up":
                    page.get_by_label("Question").fill(follow_up)
                    page.get_by_role("button", name="Ask", exact=True).click()
                    page.locator(".sb-resolved").wait_for(timeout=60_000)
                    page.locator(".sb-citation mark").first.wait_for(timeout=60_000)
                elif view == "page":
                    page.locator("a.sb-page-link").first.click()
                    page.get_by_test_id("stMain").get_by_role("img").first.wait_for(timeout=60_000)
                    page.get_by_test_id("stMain").get_by_role("img").first.scroll_into_view_if_needed()
                # Wait for the web fonts, so the picture does not catch the fallback font.
                page.evaluate("() => document.fonts.ready")
                png = page.screenshot()
        finally:
            browser.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    # A palette PNG: the page is flat colours and text, and shrinks about fourfold.
    Image.open(io.BytesIO(png)).convert("RGB").quantize(256).save(out, optimize=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--view", choices=("ask", "follow-up", "page"), default="ask")
    ap.add_argument("--out", type=Path, help="default: docs/VIEW.png")
    ap.add_argument("--question", default=QUESTION)
    ap.add_argument("--follow-up", default="When did he write it?")
    ap.add_argument("--index", type=Path, help="an existing index (default: corpus/ indexed in a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index = args.index or build_index(ROOT / "corpus", Path(tmp) / "index")
        out = args.out or ROOT / "docs" / f"{args.view}.png"
        path = screenshot(index, out, args.question, args.view, args.follow_up)
    print(f"{path} ({path.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
