"""The Super-resolution tab: builds, names its API, and its handler does what the tab promises."""

from __future__ import annotations

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


@needs_weights
def test_degrade_then_restore_reports_metrics_and_png():
    from hub.testing import use_plugins
    from plugins.srgan.ui import run_upscale

    photo = Image.open(ROOT / "plugins/srgan/examples/chelsea_crop.png")
    with use_plugins(srgan_plugin):
        (before, after), png, info = run_upscale(photo, "srgan-srresnet-x4", 4, True, 256)
    assert before.size == after.size == (photo.width // 4 * 4, photo.height // 4 * 4)
    import re

    from plugins.srgan.infer import degrade
    from plugins.srgan.metrics import psnr_y

    assert re.search(r"\*\*192x144\*\* in \*\*\d+\.\d+ s\*\*", info)
    shown = float(re.search(r"\| bicubic \| ([\d.]+) \|", info).group(1))
    original = photo.convert("RGB").crop((0, 0, 192, 144))
    bic = degrade(original, 4).resize((192, 144), Image.BICUBIC)
    assert shown == pytest.approx(psnr_y(bic, original, 4), abs=0.01)
    saved = Image.open(png)
    assert saved.format == "PNG" and saved.size == after.size


@needs_weights
def test_too_large_input_gets_a_clear_message(monkeypatch):
    import gradio as gr

    from hub.testing import use_plugins
    from plugins.srgan.ui import run_upscale

    monkeypatch.setenv("GANHUB_SR_MAX_INPUT_SIDE", "64")
    with use_plugins(srgan_plugin), pytest.raises(gr.Error, match="up to 64 px"):
        run_upscale(Image.new("RGB", (100, 50)), "srgan-srresnet-x4", 4, False, 256)
    with pytest.raises(gr.Error, match="Upload"):
        run_upscale(None, "srgan-srresnet-x4", 4, False, 256)


@needs_weights
def test_x2_keeps_alpha_through_the_tab():
    from hub.testing import use_plugins
    from plugins.srgan.ui import run_upscale

    rgba = Image.new("RGBA", (40, 30), (200, 100, 50, 255))
    a = np.zeros((30, 40), np.uint8)
    a[5:25, 5:35] = 255
    rgba.putalpha(Image.fromarray(a))
    with use_plugins(srgan_plugin):
        (before, after), _, info = run_upscale(rgba, "srgan-srresnet-x4", 2, False, 0)
    assert after.mode == "RGBA" and after.size == (80, 60) and before.size == (80, 60)
    assert "80x60" in info
