"""gradio_client against a launched app on 127.0.0.1: every public endpoint answers."""

from __future__ import annotations

import time
from importlib.metadata import entry_points

import numpy as np
import pytest
from PIL import Image

import ganhub_fixture_plugins as fx
from hub.plugins import Hub
from hub.testing import make_app

Client = pytest.importorskip("gradio_client").Client
from gradio_client import handle_file  # noqa: E402


def _picture(path, width=48, height=32):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels, "RGB").save(path)
    return pixels


def test_every_public_endpoint_of_the_app_answers(tmp_path, launch):
    pixels = _picture(tmp_path / "in.png")
    client = Client(launch(make_app([fx.ImageFx(), fx.TinyModels()], strict=True)), verbose=False)
    image = handle_file(str(tmp_path / "in.png"))

    def check_invert():
        out = np.asarray(Image.open(client.predict(image, api_name="/imagefx_invert")).convert("RGB"))
        assert np.array_equal(out, 255 - pixels)  # PNG: exact pixels survive the round trip

    def check_blur():
        job = client.submit(image, 3, api_name="/imagefx_blur")
        final = np.asarray(Image.open(job.result()).convert("RGB"), dtype=np.float32)
        assert len(job.outputs()) == 3  # the generator streamed every step
        assert final.std() < pixels.std()  # blurred: less contrast than the noise input

    def check_status():
        header, plugins, weights, models = client.predict(api_name="/hub_status")
        assert "Device in use" in header
        states = {row[0]: row[3] for row in plugins["data"]}
        assert states["imagefx"] == "ok" and states["tiny"] == "ok"
        assert {row[0] for row in models["data"]} == {"tiny-a", "tiny-b", "tiny-c", "vgg19", "vgg16"}

    calls = {"/imagefx_invert": check_invert, "/imagefx_blur": check_blur, "/hub_status": check_status}
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == set(calls)
    for check in calls.values():
        check()


def test_errors_reach_the_client_and_the_app_keeps_working(tmp_path, launch):
    from gradio_client.exceptions import AppError

    _picture(tmp_path / "in.png")
    client = Client(launch(make_app([fx.ImageFx()])), verbose=False)
    with pytest.raises(AppError, match="Upload an image first"):
        client.predict(None, api_name="/imagefx_invert")
    assert client.predict(handle_file(str(tmp_path / "in.png")), api_name="/imagefx_invert")


def test_stop_cancels_a_streaming_job(tmp_path, launch):
    _picture(tmp_path / "in.png")
    client = Client(launch(make_app([fx.ImageFx()])), verbose=False)
    job = client.submit(handle_file(str(tmp_path / "in.png")), 50, api_name="/imagefx_blur")
    deadline = time.monotonic() + 30
    while not job.outputs() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.outputs(), "no intermediate image streamed"
    job.cancel()
    while not job.done() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(job.outputs()) < 50  # stopped early (50 steps take >= 2.5 s)


def _installed(name: str) -> bool:
    return any(ep.name == name for ep in entry_points(group="ganhub"))


@pytest.mark.skipif(not _installed("pixelart"), reason="examples/ganhub-example-plugin is not pip-installed "
                    "(CI runs: pip install --no-deps -e examples/ganhub-example-plugin)")
def test_external_plugin_installed_with_pip_gets_a_tab_and_answers(tmp_path, launch):
    import gradio as gr

    app = make_app(hub=Hub(allow=["pixelart"], block=[], strict=True))  # found through its entry point only
    status = app.ganhub.statuses["pixelart"]
    assert status.ok and status.version == "0.2.0" and "ganhub-example" in status.source
    assert status.registered["weights"] == ["pixelart-pico8-palette"]  # its own weights.yaml, as built-ins
    assert ("Pixel art", "pixelart") in [(b.label, b.id) for b in app.blocks.values() if isinstance(b, gr.Tab)]
    _picture(tmp_path / "in.png", 64, 64)
    client = Client(launch(app), verbose=False)
    out = client.predict(handle_file(str(tmp_path / "in.png")), 8, 4, False, api_name="/pixelart_pixelate")
    art = np.asarray(Image.open(out).convert("RGB"))
    assert art.shape == (64, 64, 3) and len(np.unique(art.reshape(-1, 3), axis=0)) <= 4
    blocks = art.reshape(8, 8, 8, 8, 3)
    assert (blocks == blocks[:, :1, :, :1]).all()
    out = client.predict(handle_file(str(tmp_path / "in.png")), 8, 4, False, "PICO-8 (16 colours)",
                         api_name="/pixelart_pixelate")  # the shipped palette, a verified weight
    from ganhub_example.palettes import pico8

    colours = {tuple(c) for c in np.unique(np.asarray(Image.open(out).convert("RGB")).reshape(-1, 3), axis=0).tolist()}
    assert colours <= {tuple(c) for c in pico8().tolist()}
