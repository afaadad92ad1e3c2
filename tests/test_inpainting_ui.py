"""The Inpainting and Image2StyleGAN++ tabs build in one app with public api names; a hole made of
transparent pixels is filled through the Gradio client with the embedded model (exact outside), and an
emoji's transparent background is not part of the hole; every input is documented for the API and MCP;
the tab opens with its example filled; the brush suits a 64 px picture."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import plugins.i2s_plusplus.plugin as i2s
import plugins.inpainting.plugin as inpainting
import plugins.stylegan2.plugin as sg2


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_tabs_build_with_api_names():
    from hub.app import public_api_names
    from hub.testing import make_app

    app = make_app([sg2, i2s, inpainting], strict=True)
    names = set(public_api_names(app))
    for n in ("i2s_plusplus_reconstruct", "i2s_plusplus_crossover", "i2s_plusplus_scribbles",
              "i2s_plusplus_local_style", "i2s_plusplus_feature_transfer", "inpainting_inpaint",
              "inpainting_variations"):
        assert n in names, n


@pytest.mark.slow
def test_inpaint_transparent_hole_through_the_client(tmp_path):
    from gradio_client import Client, handle_file
    from PIL import Image

    from hub.testing import launch_for_test, make_app

    rng = np.random.default_rng(0)
    rgb = (rng.random((64, 64, 3)) * 255).astype(np.uint8)
    alpha = np.full((64, 64), 255, np.uint8)
    alpha[20:36, 16:40] = 0
    src = tmp_path / "holey.png"
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(src)
    app = make_app([sg2, inpainting], strict=True)
    with launch_for_test(app) as url:
        client = Client(url, verbose=False)
        editor = {"background": handle_file(str(src)), "layers": [], "composite": None}
        slider, status, base, png, latent = client.predict(
            "stylegan2-emoji64", editor, 2, 2, "", None, None, 1.0, 0.0, 10.0, 5.0, "telea", 0,
            "encoder of the Telea-filled image",
            api_name="/inpainting_inpaint")
    result = np.asarray(Image.open(png).convert("RGB"))
    hole = alpha == 0
    assert result.shape == rgb.shape
    assert np.array_equal(result[~hole], rgb[~hole])
    assert "done" in status and latent.endswith(".safetensors")


@pytest.mark.slow
def test_an_emoji_pngs_transparent_background_is_not_filled_through_the_client(tmp_path):
    from gradio_client import Client, handle_file
    from PIL import Image

    from hub.testing import launch_for_test, make_app
    from tests.test_inpainting import emoji_with_transparent_background

    sprite, cut, background = emoji_with_transparent_background()
    sprite.save(tmp_path / "emoji.png")
    app = make_app([sg2, i2s, inpainting], strict=True)
    with launch_for_test(app) as url:
        client = Client(url, verbose=False)
        editor = {"background": handle_file(str(tmp_path / "emoji.png")), "layers": [], "composite": None}
        _, status, _, png, _ = client.predict("stylegan2-emoji64", editor, 2, 2, api_name="/inpainting_inpaint")
    result = np.asarray(Image.open(png).convert("RGB"))
    assert "448 hole pixels filled" in status, status
    assert (result[background] == 255).all()  # the background stays white: it was not filled


def test_every_public_handler_documents_each_input():
    from gradio import utils

    from hub.testing import make_app

    app = make_app([sg2, i2s, inpainting], strict=True)
    info = app.get_api_info()["named_endpoints"]
    for action in ("inpaint", "variations"):
        fn = next(f for f in app.fns.values() if f.api_name == f"inpainting_{action}")
        first_line, described, _ = utils.get_function_description(fn.fn)
        names = [p["parameter_name"] for p in info[f"/inpainting_{action}"]["parameters"]]
        assert first_line.strip() and len(names) >= 14
        assert all((described.get(n) or "").strip() for n in names), (action, names, sorted(described))
        optional = [p["parameter_name"] for p in info[f"/inpainting_{action}"]["parameters"] if p["parameter_has_default"]]
        assert set(names) - set(optional) <= {"model", "image"}, optional


def test_first_view_fills_the_example_and_the_brush_suits_64_px():
    import gradio as gr

    from hub.api import Demo
    from hub.app import DemoContextImpl
    from hub.testing import make_app
    from hub.ui import PREVIEW_SIZE
    from PIL import Image
    from plugins.inpainting import ui

    app = make_app([sg2, inpainting], strict=True)
    ctx = DemoContextImpl(app.ganhub, Demo(id="inpainting", title="t", build=lambda c: None), {})
    example = str(sorted(ui.h.EXAMPLES.glob("*.png"))[0])
    value, pair, status, classical, png = ui._first_view(ctx, "stylegan2-emoji64", example)
    assert value["background"] == example and status.startswith("*Example") and "done" in status
    assert all(im.size == (PREVIEW_SIZE, PREVIEW_SIZE) for im in pair) and Image.open(png).size == (64, 64)
    editors = [b for b in app.blocks.values() if isinstance(b, gr.ImageEditor)]
    assert editors and all(e.brush.default_size <= 64 // 16 for e in editors)  # Gradio's default, 25, hides a face
