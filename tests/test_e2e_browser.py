"""Debian's chromium, driven by Playwright: open the app, visit every tab, run a demo end to end."""

from __future__ import annotations

import io
import re

import gradio as gr
import numpy as np
import pytest
from PIL import Image

import ganhub_fixture_plugins as fx
from hub import Demo, hookimpl
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
    shown = page.locator("#invert-input img").first.evaluate(
        "i => [i.naturalWidth, i.clientWidth, getComputedStyle(i).imageRendering]")
    assert shown[0] == 56 and shown[1] >= 3 * 56 and shown[2] == "pixelated", shown  # enlarged, hard pixels
    page.locator("#invert-run").click()
    result = page.locator("#invert-output img").first
    result.wait_for(state="visible")
    src = result.get_attribute("src")
    body = page.request.get(src if src.startswith("http") else url.rstrip("/") + src).body()
    out = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))
    assert np.array_equal(out, 255 - pixels)  # the result the user sees is the right image
    page.close()


# ---------------------------------------------------------------- Stop mid-inversion frees the queue
def _inversion_items(steps: int):
    """A real inversion (the engine, on a 16 px StyleGAN2 and an image it can make) as the progress
    items ``hub.ui.stream`` reads; returns the run's result (partial after a Stop)."""
    from types import SimpleNamespace

    import torch

    from ganhub_tiny_models import tiny_generator
    from hub.nn import inversion as inv

    torch.set_num_threads(1)
    G = tiny_generator()
    with torch.no_grad():
        target = G.synthesis(G.mapping(torch.randn(1, G.z_dim))[:, None].repeat(1, G.num_ws, 1)).clamp(-1, 1)
    run = inv.Inversion(G, target, inv.reconstruction_config(w_steps=steps, noise_steps=0, perceptual=0.0,
                                                              yield_every=20))
    for item in run:
        yield SimpleNamespace(step=item.step, total=steps, stage="W+", image=item.image, losses=item.losses)
    return run.result


def _invert(steps: float = 200000, progress=gr.Progress()):
    """Invert a generated image for ``steps`` steps (far more than a test waits for).

    Args:
        steps: optimisation steps.
    """
    from hub.images import to_pil
    from hub.ui import show, stream

    def finish(result):
        state = "finished" if result.completed else f"stopped, latent kept at step {len(result.history)}"
        return show(to_pil(result.image)), f"Inversion {state}"

    yield from stream(_inversion_items(int(steps)), progress, finish, 0)


def _quick() -> str:
    """A one-second job on the same queue as the inversion."""
    return "quick job done"


class _InversionTab:
    name = "invstop"

    @hookimpl
    def register_demos(self, register):
        def build(ctx):
            from hub.ui import stop_button

            steps = gr.Number(200000, label="Steps")
            preview = gr.Image(type="pil", label="Reconstruction", elem_id="inv-preview")
            status = gr.Markdown(elem_id="inv-status")
            quick_out = gr.Textbox(label="Quick", elem_id="quick-out")
            with gr.Row():
                run, stop, quick = gr.Button("Invert"), gr.Button("Stop"), gr.Button("Quick")
            ev = run.click(_invert, steps, [preview, status], api_name=ctx.api_name("invert"),
                           concurrency_id=ctx.heavy_concurrency_id)
            quick.click(_quick, None, quick_out, api_name=ctx.api_name("quick"), concurrency_id=ctx.heavy_concurrency_id)
            stop_button(stop, ev)

        register(Demo("invstop-demo", "Inversion", build, heavy=True))


def test_stop_mid_inversion_keeps_the_latent_and_the_next_job_starts_within_2_s(browser, launch):
    app = make_app([_InversionTab()])
    assert not app.ganhub.errors  # the tab (and its Stop wiring) built
    url = launch(app)
    page = browser.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.get_by_role("button", name="Invert").click()
    status = page.locator("#inv-status")
    status.get_by_text(re.compile(r"step \d+/200000")).first.wait_for()  # mid-inversion: previews are streaming
    page.get_by_role("button", name="Stop").click()
    page.get_by_role("button", name="Quick").click()  # queued behind the inversion on the one heavy slot
    # the inversion ends at its next module call and the queued job runs: within 2 s, not 200,000 steps
    page.wait_for_function("() => document.querySelector('#quick-out textarea')?.value === 'quick job done'",
                           timeout=2_000)
    status.get_by_text("stopped, latent kept at step").wait_for(timeout=2_000)  # the partial result is shown
    page.close()


# ---------------------------------------------------------------- every tab opens with a result
@pytest.mark.slow
def test_every_tab_of_the_full_hub_shows_a_result_without_clicking(browser, launch):
    """The full hub (every installed plugin, offline): each tab, once opened, shows a rendered result
    image of its example (its first view) with no button pressed. scripts/screenshots.py does the same
    and saves the PNGs in docs/screenshots/."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "screenshots.py"
    spec = importlib.util.spec_from_file_location("ganhub_screenshots", path)
    shots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shots)

    app = make_app(entry_points=True)
    demos = app.ganhub.sorted_demos()
    url = launch(app)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(url)
    page.get_by_role("tab").first.wait_for()
    empty = [demo.id for demo, shown in shots.visit_tabs(page, demos, wait_s=240) if not shown]
    page.close()
    assert len(demos) >= 10
    assert not empty, f"tabs that open without a rendered result (give them hub.ui.first_view): {empty}"
