"""Debian's chromium, driven by Playwright: open the app, visit every tab, run a demo end to end."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import ganhub_fixture_plugins as fx
from hub.testing import make_app

pytestmark = pytest.mark.browser

def test_visit_every_tab_and_invert_an_image(browser, launch, tmp_path):
    app = make_app([fx.ImageFx(), fx.TinyModels(), fx.BadTab()])
    url = launch(app)
    pixels = np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    Image.fromarray(pixels, "RGB").save(tmp_path / "in.png")

    page = browser.new_page()
    page.set_default_timeout(20_000)
    page.goto(url)
    tabs = page.get_by_role("tab")
    tabs.first.wait_for()
    titles = [t.strip() for t in tabs.all_inner_texts()]
    assert titles == ["Bad tab", "Invert", "Blur", "Plugins & weights"]

    for title in titles:  # every tab opens and shows its own content
        page.get_by_role("tab", name=title).click()
        expected = {
            "Bad tab": page.get_by_text("This tab failed to build"),
            "Invert": page.locator("#invert-run"),
            "Blur": page.get_by_role("button", name="Stop"),
            "Plugins & weights": page.get_by_text("Device in use"),
        }[title]
        expected.first.wait_for(state="visible")
    assert page.locator("#ganhub-status").get_by_text("badtab").count() >= 1  # the broken plugin is listed

    page.get_by_role("tab", name="Invert").click()
    page.locator("#invert-input input[type=file]").set_input_files(str(tmp_path / "in.png"))
    page.locator("#invert-input img").first.wait_for(state="visible")  # the upload finished
    page.locator("#invert-run").click()
    result = page.locator("#invert-output img").first
    result.wait_for(state="visible")
    src = result.get_attribute("src")
    body = page.request.get(src if src.startswith("http") else url.rstrip("/") + src).body()
    out = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))
    assert np.array_equal(out, 255 - pixels)  # the result the user sees is the right image
    page.close()
