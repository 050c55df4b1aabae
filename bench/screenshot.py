"""The README's picture of the Ask page, made with the browser tests' own tooling.

usage: python bench/screenshot.py [--out docs/ask.png] [--question Q] [--index DIR]

Serves an index of corpus/ (built in a temporary folder unless --index is given) with the
real `sourcebook serve`, asks the question through the deep link in headless Chromium, and
saves the Ask page, 1280 pixels wide, as a 256-colour PNG (a few tens of kB for the repository).
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


def screenshot(index: Path, out: Path, question: str = QUESTION) -> Path:
    """Serve `index`, ask `question` in the browser and save the Ask page to `out`."""
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        browser = launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]})
            with Server(index, Path(tmp) / "serve.log") as server:
                page.goto(server.page_url(q=question))
                page.locator(".sb-citation mark").first.wait_for(timeout=120_000)
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
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "ask.png")
    ap.add_argument("--question", default=QUESTION)
    ap.add_argument("--index", type=Path, help="an existing index (default: corpus/ indexed in a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index = args.index or build_index(ROOT / "corpus", Path(tmp) / "index")
        path = screenshot(index, args.out, args.question)
    print(f"{path} ({path.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
