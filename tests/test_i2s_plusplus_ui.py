"""The Image2StyleGAN++ tab: every public handler documents each input, each sub-tab's first view renders
its example (enlarged for display, true size for download), an edit starts from the tab's latent only
when it edits that latent's image, and a latent written by one edit feeds the next."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

import plugins.i2s_plusplus.plugin as i2s
import plugins.stylegan2.plugin as sg2
from hub.ui import PREVIEW_SIZE

MODEL = "stylegan2-emoji64"
ACTIONS = ("reconstruct", "crossover", "scribbles", "local_style", "feature_transfer")

torch.set_num_threads(1)  # as tests/test_i2s_plusplus.py: two spinning threads cost more than they give here


@pytest.fixture(scope="module")
def app():
    from hub.testing import make_app

    return make_app([sg2, i2s], strict=True)


@pytest.fixture(scope="module")
def ctx(app):
    from hub.api import Demo
    from hub.app import DemoContextImpl

    return DemoContextImpl(app.ganhub, Demo(id="i2s_plusplus", title="t", build=lambda c: None), {})


def test_every_public_handler_documents_each_input(app):
    from gradio import utils

    info = app.get_api_info()["named_endpoints"]
    seen = set()
    for fn in app.fns.values():
        if fn.api_visibility != "public" or not str(fn.api_name).startswith("i2s_plusplus_"):
            continue
        seen.add(fn.api_name)
        first_line, described, _ = utils.get_function_description(fn.fn)
        names = [p["parameter_name"] for p in info[f"/{fn.api_name}"]["parameters"]]
        assert first_line.strip() and not any(n.startswith("param_") for n in names), (fn.api_name, names)
        assert all((described.get(n) or "").strip() for n in names), (fn.api_name, names, sorted(described))
        required = {p["parameter_name"] for p in info[f"/{fn.api_name}"]["parameters"] if not p["parameter_has_default"]}
        assert required <= {"image", "photo", "image_1", "style_image"}, (fn.api_name, required)  # settings are optional
    assert seen == {f"i2s_plusplus_{a}" for a in ACTIONS}


@pytest.mark.parametrize("action", ACTIONS)
def test_first_view_renders_the_example(ctx, action):
    from plugins.i2s_plusplus import ui_first_views

    out = getattr(ui_first_views, action)(ctx, MODEL)
    pair = next(o for o in out if isinstance(o, tuple))
    status = next(o for o in out if isinstance(o, str) and o.startswith("*Example"))
    png = next(o for o in out if isinstance(o, str) and o.endswith(".png") and "examples" not in o)
    assert all(im.size == (PREVIEW_SIZE, PREVIEW_SIZE) for im in pair), [im.size for im in pair]
    assert "Stopped" not in status
    assert Image.open(png).size == (64, 64)  # the download keeps the true size


def test_an_edit_starts_from_the_latent_of_its_own_image_only(ctx, tmp_path):
    from hub.ui import write_latent
    from plugins.i2s_plusplus import api
    from plugins.i2s_plusplus.ui_handlers import example
    from hub.ui import latent_image, start_from

    G = ctx.get_model(MODEL)
    ws = G.w_avg.reshape(1, 1, -1).repeat(1, G.num_ws, 1) + 0.2
    path = write_latent(G, {"ws": ws, "noise": None}, MODEL, "start")
    drawn = latent_image(G, {"ws": ws, "noise": None})
    _, start, image = start_from(ctx, MODEL, path, None, "image A")
    assert start is not None and image.size == drawn.size  # no image: the latent's own is edited
    _, start, _ = start_from(ctx, MODEL, path, drawn.copy(), "image A")
    assert start is not None and torch.equal(start["ws"], ws)
    other = Image.open(example("face_c.png")).convert("RGB")
    _, start, image = start_from(ctx, MODEL, path, other, "image A")
    assert start is None and image is other  # an image uploaded since is embedded afresh
    assert api.image_tensor(G, drawn).shape[-1] == G.resolution


def test_crossover_writes_the_latent_the_next_edit_starts_from(ctx):
    from plugins.i2s_plusplus import ui_handlers as h
    from hub.ui import quiet_progress as _quiet

    b = h.editor_value(h.example("face_d.png"), h.example("face_d_mouth_layer.png"))
    face = Image.open(h.example("face_b.png")).convert("RGB")
    *_, last = h.crossover(ctx, MODEL, face, b, 2, 2, progress=_quiet)
    pair, status, png, latent, paste = last
    assert latent.endswith(".safetensors") and status.startswith("done")
    from hub.ui import write_latent
    from plugins.i2s_plusplus.ui_latent import latent_to_inputs

    own = latent_to_inputs(ctx, MODEL, latent, n_images=1, n_editors=1)
    assert all(isinstance(u, dict) and u.get("__type__") == "update" for u in own)  # its own result: pictures stay
    G = ctx.get_model(MODEL)
    elsewhere = write_latent(G, {"ws": G.w_avg.reshape(1, 1, -1).repeat(1, G.num_ws, 1), "noise": None}, MODEL, "w")
    shown = latent_to_inputs(ctx, MODEL, elsewhere, n_images=1, n_editors=1)
    assert shown[0].size == (64, 64) and shown[1]["background"] is shown[0] and shown[1]["layers"] == []
    *_, again = h.crossover(ctx, MODEL, None, b, 2, 0, latent=latent, progress=_quiet)
    assert again[3].endswith(".safetensors") and again[3] != latent


@pytest.mark.browser
@pytest.mark.slow
def test_stop_in_the_browser_keeps_the_partial_crossover(app, browser, launch):
    import re
    import time

    url = launch(app)
    page = browser.new_page(viewport={"width": 1300, "height": 1500})
    page.set_default_timeout(120_000)
    page.goto(url)
    page.get_by_role("tab", name="Image2StyleGAN++ local edits").click()
    page.get_by_text("Example, run with").first.wait_for()  # the first view: a result without a click
    page.get_by_role("button", name="Cross over").click()
    page.get_by_text(re.compile(r"step \d+/\d+")).first.wait_for()  # the full run is streaming
    pressed = time.monotonic()
    page.get_by_role("button", name="Stop").first.click()
    page.get_by_text("Stopped").first.wait_for(timeout=10_000)
    waited = time.monotonic() - pressed
    assert waited < 5, waited
    page.locator('a[href*="crossover.safetensors"]').first.wait_for(state="attached", timeout=10_000)  # its latent
    page.close()
