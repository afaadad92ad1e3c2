"""The Inpainting and Image2StyleGAN++ tabs build in one app with public api names, and a hole made of
transparent pixels is filled through the Gradio client with the embedded model (exact outside)."""

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
        out, status, base, png = client.predict(
            "stylegan2-emoji64", editor, 2, 2, "", None, None, 1.0, 0.0, 10.0, 5.0, "telea", 0,
            "encoder of the Telea-filled image",
            api_name="/inpainting_inpaint")
    result = np.asarray(Image.open(png).convert("RGB"))
    hole = alpha == 0
    assert result.shape == rgb.shape
    assert np.array_equal(result[~hole], rgb[~hole])
    assert "done" in status
