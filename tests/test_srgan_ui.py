"""The Super-resolution tab: builds, names its API, and its handler does what the tab promises."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import plugins.srgan.plugin as srgan_plugin

ROOT = Path(__file__).resolve().parents[1]
HAVE_WEIGHTS = (ROOT / "plugins/srgan/weights/srgan-srresnet-x4.safetensors").is_file()
needs_weights = pytest.mark.skipif(not HAVE_WEIGHTS, reason="embedded SRResNet not exported yet")


def test_tab_builds_with_named_api():
    from hub.testing import make_app

    app = make_app([srgan_plugin], strict=True)
    names = {dep.get("api_name") for dep in app.config["dependencies"]}
    assert "srgan_upscale" in names


def _upscale(app):
    """The tab's upscale handler as wired (the tab's context bound)."""
    [fn] = [f.fn for f in app.fns.values() if getattr(f, "api_name", None) == "srgan_upscale"]
    return partial(fn, progress=None)


@needs_weights
def test_degrade_then_restore_reports_metrics_and_png():
    from hub.testing import make_app

    photo = Image.open(ROOT / "plugins/srgan/examples/chelsea_crop.png")
    (before, after), png, info = _upscale(make_app([srgan_plugin], strict=True))(photo, "srgan-srresnet-x4", "4",
                                                                                   True, 256)
    assert before.size == after.size == (photo.width // 4 * 4, photo.height // 4 * 4)
    import re

    from plugins.srgan.api import degrade
    from plugins.srgan.metrics import psnr_y

    assert re.search(r"\*\*192x144\*\* in \*\*\d+\.\d+ s\*\*", info)
    shown = float(re.search(r"\| bicubic \| ([\d.]+) \|", info).group(1))
    original = photo.convert("RGB").crop((0, 0, 192, 144))
    bic = degrade(original, 4).resize((192, 144), Image.BICUBIC)
    assert shown == pytest.approx(psnr_y(bic, original, 4), abs=0.01)
    saved = Image.open(png)
    assert saved.format == "PNG" and saved.size == after.size


@needs_weights
def test_a_photo_over_the_limit_is_resized_or_cropped_and_the_tab_says_so(monkeypatch):
    import gradio as gr

    from hub.testing import make_app
    from plugins.srgan.ui import CROP

    monkeypatch.setenv("GANHUB_SR_MAX_INPUT_SIDE", "64")
    run = _upscale(make_app([srgan_plugin], strict=True))
    # The PNG keeps the true size; the slider shows it enlarged by a whole factor, shape kept.
    (_, after), png, info = run(Image.new("RGB", (100, 50)), "srgan-srresnet-x4", "4", False, 256)
    assert Image.open(png).size == (256, 128) and "resized to 64x32" in info and "100x50" in info
    assert after.size == (256, 128)
    (_, after), png, info = run(Image.new("RGB", (100, 50)), "srgan-srresnet-x4", "2", False, 256, CROP)
    assert Image.open(png).size == (128, 100) and "centre 64x50 was cropped" in info
    assert after.size == (256, 200)
    with pytest.raises(gr.Error, match="Upload"):
        run(None, "srgan-srresnet-x4", "4", False, 256)


def test_scale_choices_are_the_strings_the_api_documents():
    from hub.testing import make_app

    app = make_app([srgan_plugin], strict=True)
    [scale] = [p for p in app.get_api_info()["named_endpoints"]["/srgan_upscale"]["parameters"]
               if p["label"] == "Scale"]
    assert scale["python_type"]["type"] == "Literal['2', '4']"
    [radio] = [b for b in app.blocks.values() if getattr(b, "label", None) == "Scale"]
    assert radio.preprocess("4") == "4" and radio.preprocess("2") == "2"


@needs_weights
def test_x2_keeps_alpha_through_the_tab():
    from hub.testing import make_app

    rgba = Image.new("RGBA", (40, 30), (200, 100, 50, 255))
    a = np.zeros((30, 40), np.uint8)
    a[5:25, 5:35] = 255
    rgba.putalpha(Image.fromarray(a))
    (before, after), png, info = _upscale(make_app([srgan_plugin], strict=True))(rgba, "srgan-srresnet-x4", "2",
                                                                                   False, 0)
    saved = Image.open(png)
    assert saved.mode == "RGBA" and saved.size == (80, 60)
    assert after.mode == "RGBA" and after.size == before.size == (240, 180)  # shown x3, nearest neighbour
    assert "80x60" in info


@needs_weights
@pytest.mark.slow
def test_upscale_through_the_client_with_the_documented_scale():
    from gradio_client import Client, handle_file

    from hub.testing import launch_for_test, make_app

    with launch_for_test(make_app([srgan_plugin], strict=True)) as url:
        client = Client(url, verbose=False)
        pair, png, info = client.predict(handle_file(str(ROOT / "plugins/srgan/examples/chelsea_crop.png")),
                                         "srgan-srresnet-x4", "4", api_name="/srgan_upscale")
    assert Image.open(png).size == (768, 576) and "768x576" in info


@needs_weights
def test_tab_opens_with_the_example_upscaled():
    from hub.testing import make_app

    app = make_app([srgan_plugin], strict=True)
    [photo] = [b for b in app.blocks.values() if getattr(b, "label", None) == "Photo"]
    assert photo.value is not None  # the photo the first view was made from is in the input
    [load] = [f for f in app.fns.values() if any(t[1] == "load" for t in f.targets) and len(f.outputs) == 3]
    (before, after), png, info = load.fn()
    assert after.size == before.size == (768, 576) and Image.open(png).size == (768, 576) and "x4" in info
