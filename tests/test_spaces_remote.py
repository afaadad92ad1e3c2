"""hub.remote: a hub mounts a remote GAN Hub app's endpoints as a tab (opt-in, with a notice).

The "remote Space" is a real Gradio app launched on 127.0.0.1 with a small plugin; the hub under test
reaches it only through gradio_client, as it would reach owner/space on Hugging Face."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from hub import Demo, hookimpl
from hub import remote
from hub.testing import launch_for_test, make_app


class FarPlugin:
    """What runs on the remote machine: invert an image's colours, `levels` times over."""

    name = "far"

    @hookimpl
    def register_demos(self, register):
        def build(ctx):
            import gradio as gr

            image = gr.Image(type="pil", label="Image")
            times = gr.Slider(1, 5, value=1, step=1, label="Times")
            result = gr.Image(type="pil", format="png", label="Inverted")
            note = gr.Textbox(label="Note")

            def invert(img, n):
                array = np.asarray(img.convert("RGB"))
                for _ in range(int(n)):
                    array = 255 - array
                return Image.fromarray(array), f"inverted {int(n)} time(s)"

            gr.Button("Invert").click(invert, [image, times], [result, note], api_name=ctx.api_name("invert"))

        register(Demo(id="far", title="Far", build=build))


def test_config_from_env_and_file(tmp_path):
    file = tmp_path / "remote.yaml"
    file.write_text("srgan: owner/ganhub-srgan\ntext_to_image: {src: 'http://10.0.0.2:7860', endpoints: [text_to_image_generate]}\n")
    targets = remote.remote_config({"GANHUB_REMOTE_FILE": str(file), "GANHUB_REMOTE": "srgan=me/other"})
    assert targets["srgan"].src == "me/other"  # the env var wins over the file
    assert targets["text_to_image"].endpoints == ("/text_to_image_generate",)
    assert remote.remote_config({}) == {}
    with pytest.raises(ValueError):
        remote.remote_config({"GANHUB_REMOTE": "srgan"})


def test_unconfigured_remote_plugin_adds_nothing(monkeypatch):
    monkeypatch.delenv("GANHUB_REMOTE", raising=False)
    monkeypatch.delenv("GANHUB_REMOTE_FILE", raising=False)
    app = make_app([("remote", remote)], strict=True)
    assert app.ganhub.demos == {}


def test_remote_tab_calls_the_remote_app_through_gradio_client(tmp_path, monkeypatch):
    from gradio_client import Client, handle_file

    source = tmp_path / "in.png"
    pixels = np.random.default_rng(0).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(source)
    with launch_for_test(make_app([("far", FarPlugin())], strict=True)) as far_url:
        monkeypatch.setenv("GANHUB_REMOTE", f"far={far_url}")
        local = make_app([("remote", remote)], strict=True)
        assert list(local.ganhub.demos) == ["remote_far"]
        assert remote.NOTICE in json.dumps(local.config)  # the tab says requests leave the machine
        assert "remote_far_invert" in local.ganhub_api_names
        with launch_for_test(local) as url:
            result, note = Client(url, verbose=False).predict(handle_file(str(source)), 3,
                                                              api_name="/remote_far_invert")
    assert note == "inverted 3 time(s)"
    assert np.array_equal(np.asarray(Image.open(result).convert("RGB")), 255 - pixels)


def test_unreachable_remote_shows_a_message_not_a_crash(monkeypatch):
    from hub.testing import free_port

    remote._clients.clear()
    monkeypatch.setenv("GANHUB_REMOTE", f"far=http://127.0.0.1:{free_port()}")
    app = make_app([("remote", remote)], strict=True)
    text = json.dumps(app.config)
    assert remote.NOTICE in text and "could not be reached" in text
