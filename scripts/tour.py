"""Screenshots of pages of a running OrderCRM, as a person would see them.

    .venv/bin/python scripts/tour.py http://127.0.0.1:8000 sales_rep / /orders/ /orders/new/

Logs in (demo password unless ``--password``), then opens each path in English and in
Simplified Chinese at 1280 and 375 px wide, and writes full-page PNGs to
``test-artifacts/tour/`` (one per path × language × width). It prints each file with the
HTTP status and, for pages wider than the viewport, the width they overflow to — the two
things to check first before looking at the pictures.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "test-artifacts" / "tour"
# The element reaching furthest right, and what it is: a page is only as wide as that.
WIDEST = """() => {
  let best = {right: document.documentElement.scrollWidth, what: "page"};
  for (const e of document.querySelectorAll("body *")) {
    const right = e.getBoundingClientRect().right;
    if (right > best.right) best = {right, what: `${e.tagName.toLowerCase()}.${e.className}`};
  }
  return best;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("username")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--password", default="ordercrm-demo")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--languages", default="en,zh-Hans")
    parser.add_argument("--widths", default="1280,375")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for language in args.languages.split(","):
            for width in (int(w) for w in args.widths.split(",")):
                context = browser.new_context(
                    locale=language, viewport={"width": width, "height": 900}
                )
                page = context.new_page()
                page.goto(f"{args.base}/login/")
                page.fill("#id_username", args.username)
                page.fill("#id_password", args.password)
                page.click("button[type=submit]")
                page.wait_for_load_state()
                # The user's saved language wins over the browser's: switch it as a user would.
                with page.expect_navigation():
                    page.select_option("#language", language.lower())
                for path in args.paths:
                    response = page.goto(f"{args.base}{path}")
                    page.wait_for_load_state()
                    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
                    name = OUT / f"{args.username}-{slug}-{language}-{width}.png"
                    page.screenshot(path=str(name), full_page=True)
                    widest = page.evaluate(WIDEST)
                    wide = (
                        f" OVERFLOWS to {widest['right']:.0f}px ({widest['what']})"
                        if widest["right"] > width + 0.5
                        else ""
                    )
                    print(f"{response.status if response else '-'} {name.name}{wide}")
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
