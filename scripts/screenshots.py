#!/usr/bin/env python3
"""Screenshots of the site's pages in headless Debian chromium, at desktop and phone widths.

.venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 /tmp/shots / /services/ ...
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def main(base: str, out: str, paths: list[str]) -> None:
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for label, viewport in VIEWPORTS.items():
            page = browser.new_page(viewport=viewport)
            for path in paths:
                page.goto(base + path)
                name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
                page.screenshot(path=str(target / f"{name}-{label}.png"), full_page=True)
                print(target / f"{name}-{label}.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:] or ["/"])
