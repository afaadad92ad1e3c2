"""Screenshots of every tab of the full hub at first view: ``python scripts/screenshots.py``.

Serves the hub (every installed plugin, offline, CPU) on a free local port, opens it in Debian's chromium
through Playwright, and for each tab, without clicking anything but the tab itself, waits until a
rendered result image is shown (the tab's first view: ``hub.ui.first_view``), then saves the page as
``docs/screenshots/<demo id>.png``. A tab that shows no result within ``--wait`` seconds is saved as it
is and listed at the end (exit status 1).

    python scripts/screenshots.py [--out docs/screenshots] [--wait 180] [--width 1400] [--tabs a,b]

``tests/test_e2e_browser.py`` uses the same functions to check every tab's first view.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Iterator

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
#: A result image: an <img> with pixels inside a component the shell marked as a result (hub.app.RESULT_CLASS).
RESULT_IMAGES_JS = """([panel, cls]) => Array.from(document.querySelectorAll(`#${panel} .${cls} img`))
    .filter(img => img.offsetParent !== null && img.complete && img.naturalWidth > 0).length"""


def chromium_path() -> str:
    found = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    return found


def open_tab(page: Any, title: str) -> None:
    """Click a tab's button; a tab that does not fit the bar sits in Gradio's "⋯" overflow menu."""
    button = page.get_by_role("tab", name=title, exact=True)
    if button.count() and button.first.is_visible():
        button.first.click()
        return
    page.locator(".overflow-menu button").first.click()
    page.locator(".overflow-dropdown button", has_text=title).first.click()


def wait_for_result(page: Any, demo_id: str, timeout_s: float) -> bool:
    """True once the tab's panel shows at least one rendered result image."""
    from hub.app import RESULT_CLASS

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if page.evaluate(RESULT_IMAGES_JS, [f"tab-{demo_id}", RESULT_CLASS]):
            return True
        page.wait_for_timeout(500)
    return False


def visit_tabs(page: Any, demos: list[Any], wait_s: float, out: Path | None = None) -> Iterator[tuple[Any, bool]]:
    """For each demo: open its tab, wait for a result (the first waits longest: page load renders every
    first view), optionally save a screenshot; yields (demo, whether a result showed)."""
    start = time.monotonic()
    for demo in demos:
        open_tab(page, demo.title)
        remaining = max(15.0, wait_s - (time.monotonic() - start))
        shown = wait_for_result(page, demo.id, remaining)
        if out is not None:
            page.wait_for_timeout(300)  # let the enlarged images settle
            save_small(page.screenshot(full_page=True), out / f"{demo.id}.png")
        yield demo, shown


def save_small(png: bytes, path: Path) -> None:
    """A screenshot as a 256-colour PNG: a third of the bytes, and a page of widgets loses nothing a
    reader would see (the repository keeps every regeneration)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNGs (default docs/screenshots)")
    parser.add_argument("--wait", type=float, default=180.0, help="seconds to wait for the first views in all")
    parser.add_argument("--width", type=int, default=1400, help="browser width in pixels")
    parser.add_argument("--tabs", default="", help="comma list of demo ids (default: every tab)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GANHUB_DEVICE", "cpu")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    sys.path.insert(0, str(REPO))
    from playwright.sync_api import sync_playwright

    from hub.testing import launch_for_test, make_app

    app = make_app(entry_points=True)
    demos = app.ganhub.sorted_demos()
    if args.tabs:
        wanted = set(args.tabs.split(","))
        demos = [d for d in demos if d.id in wanted]
    args.out.mkdir(parents=True, exist_ok=True)
    missing = []
    with launch_for_test(app) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": args.width, "height": 900})
        page.set_default_timeout(60_000)
        page.goto(url)
        page.get_by_role("tab").first.wait_for()
        for demo, shown in visit_tabs(page, demos, args.wait, args.out):
            print(f"{demo.id:24s} {'result shown' if shown else 'NO RESULT at first view'} -> "
                  f"{args.out / (demo.id + '.png')}")
            if not shown:
                missing.append(demo.id)
        browser.close()
    if missing:
        print(f"tabs without a result at first view: {', '.join(missing)}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
