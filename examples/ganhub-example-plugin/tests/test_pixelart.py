"""The technique itself, and the plugin as the hub sees it."""

import numpy as np
import pytest
from PIL import Image

import ganhub_example.plugin as ganhub_example
from ganhub_example.palettes import PALETTE_FILE, load_palette, pico8
from ganhub_example.pixelart import kmeans_palette, pixelate, quantize


def _gradient(width=96, height=64):
    x = np.linspace(0, 255, width)[None, :, None]
    y = np.linspace(0, 255, height)[:, None, None]
    rgb = np.concatenate([np.broadcast_to(x, (height, width, 1)), np.broadcast_to(y, (height, width, 1)),
                          np.full((height, width, 1), 90.0)], axis=2)
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


def test_blocks_are_uniform_and_the_palette_is_small():
    art = np.asarray(pixelate(_gradient(), pixel_size=8, colors=5))
    assert art.shape == (64, 96, 3)
    blocks = art.reshape(8, 8, 12, 8, 3)
    assert (blocks == blocks[:, :1, :, :1]).all()  # every 8x8 block is one colour
    assert len(np.unique(art.reshape(-1, 3), axis=0)) <= 5


def test_kmeans_finds_well_separated_clusters():
    rng = np.random.default_rng(1)
    truth = np.array([[20, 20, 20], [230, 40, 40], [40, 200, 90]], np.float32)
    pixels = np.concatenate([c + rng.normal(0, 4, (300, 3)) for c in truth])
    palette = kmeans_palette(pixels, 3, seed=0)
    assert np.abs(np.sort(palette, 0) - np.sort(truth, 0)).max() < 3


def test_dithering_keeps_the_mean_colour_closer():
    flat = np.full((16, 16, 3), 128.0, np.float32)
    palette = np.array([[0, 0, 0], [255, 255, 255]], np.float32)
    plain, dithered = quantize(flat, palette), quantize(flat, palette, dither=True)
    assert abs(plain.mean() - 128) > 100 and abs(dithered.mean() - 128) < 10


def test_bad_arguments_raise():
    with pytest.raises(ValueError):
        pixelate(_gradient(4, 4), pixel_size=8)


def test_registers_one_demo():
    from hub.testing import make_hub

    hub = make_hub([("pixelart", ganhub_example)], strict=True)
    assert list(hub.demos) == ["pixelart"] and hub.demos["pixelart"].plugin == "pixelart"


def test_the_shipped_palette_is_a_verified_weight_and_quantises_to_it():
    from hub.testing import make_hub

    hub = make_hub([("pixelart", ganhub_example)], strict=True)
    assert hub.statuses["pixelart"].registered["weights"] == ["pixelart-pico8-palette"]
    path = hub.weights.resolve("pixelart-pico8-palette")  # sha256-checked against weights.yaml
    assert path == PALETTE_FILE and (load_palette(path) == pico8()).all()
    art = np.asarray(pixelate(_gradient(), pixel_size=8, palette=load_palette(path)))
    allowed = {tuple(c) for c in pico8().tolist()}
    assert {tuple(c) for c in np.unique(art.reshape(-1, 3), axis=0).tolist()} <= allowed
