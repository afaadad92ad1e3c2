"""Tests a plugin author keeps: the technique, a strict registration, and the live endpoint."""

import numpy as np
from PIL import Image

import ganhub_myplugin.plugin as ganhub_myplugin
from ganhub_myplugin.technique import posterize
from hub.testing import launch_for_test, make_app, make_hub


def _image():
    ramp = np.linspace(0, 255, 64, dtype=np.float32)
    return Image.fromarray(np.stack([np.tile(ramp, (32, 1))] * 3, axis=2).astype(np.uint8), "RGB")


def test_posterize_uses_only_the_requested_levels():
    values = np.unique(np.asarray(posterize(_image(), levels=3)))
    assert values.tolist() == [0, 128, 255]


def test_plugin_registers_without_errors():
    hub = make_hub([("myplugin", ganhub_myplugin)], strict=True)
    assert list(hub.demos) == ["myplugin-posterize"]


def test_endpoint_answers(tmp_path):
    from gradio_client import Client, handle_file

    path = tmp_path / "in.png"
    _image().save(path)
    with launch_for_test(make_app([("myplugin", ganhub_myplugin)], strict=True)) as url:
        out = Client(url, verbose=False).predict(handle_file(str(path)), 2, api_name="/myplugin_posterize")
    assert set(np.unique(np.asarray(Image.open(out))).tolist()) <= {0, 255}
