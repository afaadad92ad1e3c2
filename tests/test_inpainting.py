"""GAN-prior inpainting on a tiny random StyleGAN2: exact pixels outside the hole, variations differ,
the OpenCV baseline runs, alpha holes are read, bad holes are refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from plugins.inpainting import api
from tests.test_i2s_plusplus import tiny_generator

torch.set_num_threads(1)

FAST = dict(w_steps=4, noise_steps=4, noise_lr=0.05, perceptual=0.0, yield_every=2)


@pytest.fixture(scope="module")
def G():
    return tiny_generator()


@pytest.fixture(scope="module")
def photo():
    rng = np.random.default_rng(0)
    arr = (rng.random((32, 32, 3)) * 255).astype(np.uint8)  # 2x the generator's size: composited at 32 px
    return Image.fromarray(arr, "RGB")


def hole(size=32):
    h = np.zeros((size, size), np.float32)
    h[10:20, 6:18] = 1
    return h


def test_output_equals_input_outside_the_hole(G, photo):
    run = api.Run(api.inpaint(G, photo, hole(), **FAST))
    prog = list(run)
    assert [p.step for p in prog] == [2, 4, 6, 8] and prog[0].stage == "W_l" and prog[-1].stage == "Mk_n"
    out = run.result.extras["composite"]
    h = hole() >= 0.5
    assert out.size == photo.size
    assert api.max_abs_outside(out, photo, h) == 0
    assert not np.array_equal(np.asarray(out)[h], np.asarray(photo)[h])
    rows = run.result.extras["rows"]
    w_avg = G.w_avg.reshape(1, -1)
    frozen = [r for r in range(G.num_ws) if r not in rows]
    assert frozen and all(torch.equal(run.result.ws[:, r], w_avg) for r in frozen)


def test_encoder_start_sees_the_classical_fill(G, photo):
    seen = []
    code = G.w_avg.reshape(1, 1, -1).repeat(1, G.num_ws, 1) + 0.5  # any code that is not w_avg

    def encoder(x):  # records what it is shown; answers a fixed code
        seen.append(x.clone())
        return code

    run = api.Run(api.inpaint(G, photo, hole(), encoder=encoder, **FAST))
    res = run.run()
    telea = api.image_tensor(G, api.classical_inpaint(photo, hole(), "telea"))  # as the generator sees images
    assert len(seen) == 1 and torch.allclose(seen[0], telea)
    frozen = [r for r in range(G.num_ws) if r not in res.extras["rows"]]
    assert all(torch.equal(res.ws[:, r], code[:, r]) for r in frozen)  # the rows W_l leaves keep En's code
    assert api.max_abs_outside(res.extras["composite"], photo, hole() >= 0.5) == 0
    with pytest.raises(ValueError, match="encoder"):
        next(api.inpaint(G, photo, hole(), init="encoder", **FAST))


def test_variations_differ(G, photo):
    fills = api.variations(G, photo, hole(), n=2, **FAST)
    h = hole() >= 0.5
    assert len(fills) == 2
    assert not np.array_equal(np.asarray(fills[0])[h], np.asarray(fills[1])[h])
    for f in fills:
        assert api.max_abs_outside(f, photo, h) == 0


def test_variations_are_one_batch_of_independent_fills(G, photo):
    run = api.Run(api.variations_stream(G, photo, hole(), n=3, **FAST))
    prog = list(run)
    assert [p.step for p in prog] == [2, 4, 6, 8] and all(p.total == 8 for p in prog)
    assert prog[0].image.shape[-1] == 3 * G.resolution  # the preview shows the three fills side by side
    results = run.result
    assert len(results) == 3 and all(r.ws.shape[0] == 1 for r in results)
    rows = results[0].extras["rows"]
    frozen = [r for r in range(G.num_ws) if r not in rows]
    starts = [r.ws[0, frozen] for r in results]  # frozen rows keep each fill's own random start
    assert not torch.equal(starts[0], starts[1]) and not torch.equal(starts[1], starts[2])
    w_avg = G.w_avg.reshape(1, -1)
    assert all(float((s - w_avg).abs().max()) <= api.INIT_RANGE + 1e-6 for s in starts)


@pytest.mark.parametrize("method", ["telea", "ns"])
def test_classical_baseline(photo, method):
    out = api.classical_inpaint(photo, hole(), method)
    h = hole() >= 0.5
    assert api.max_abs_outside(out, photo, h) == 0
    assert np.isfinite(api.psnr_in(out, photo, h))


def test_hole_from_transparent_pixels(G, photo, tmp_path):
    rgba = photo.convert("RGBA")
    a = np.full((32, 32), 255, np.uint8)
    a[10:20, 6:18] = 0
    rgba.putalpha(Image.fromarray(a))
    path = tmp_path / "holey.png"
    rgba.save(path)
    img, h = api.hole_from_alpha(str(path))
    assert np.array_equal(h >= 0.5, hole() >= 0.5)
    run = api.Run(api.inpaint(G, img, h, w_steps=2, noise_steps=0, perceptual=0.0))
    run.run()
    assert api.max_abs_outside(run.result.extras["composite"], img, h >= 0.5) == 0


def test_bad_holes_are_refused(G, photo):
    with pytest.raises(ValueError, match="empty"):
        next(api.inpaint(G, photo, np.zeros((32, 32), np.float32)))
    with pytest.raises(ValueError, match="whole image"):
        next(api.inpaint(G, photo, np.ones((32, 32), np.float32)))


def test_cancel(G, photo):
    gen = api.variations_stream(G, photo, hole(), n=3, w_steps=20, noise_steps=20, perceptual=0.0, yield_every=1)
    assert next(gen).step == 1
    gen.close()
    assert gen.gi_frame is None


def emoji_with_transparent_background(size=64):
    """An emoji-like RGBA sprite: an opaque disc on a transparent background, with a 16 x 28 = 448 px
    transparent hole cut inside the disc."""
    yy, xx = np.mgrid[:size, :size]
    disc = (yy - size / 2 + 0.5) ** 2 + (xx - size / 2 + 0.5) ** 2 <= (size * 0.45) ** 2
    rgb = np.zeros((size, size, 3), np.uint8)
    rgb[..., 0], rgb[..., 1] = 250, 200
    alpha = np.where(disc, 255, 0).astype(np.uint8)
    cut = np.zeros((size, size), bool)
    cut[24:40, 18:46] = True
    alpha[cut] = 0
    return Image.fromarray(np.dstack([rgb, alpha]), "RGBA"), cut, ~disc


def test_an_emoji_pngs_transparent_background_is_not_the_hole(tmp_path):
    sprite, cut, background = emoji_with_transparent_background()
    path = tmp_path / "emoji.png"
    sprite.save(path)
    img, h = api.hole_from_alpha(str(path))
    assert int(cut.sum()) == 448 and background.sum() > 1000
    assert np.array_equal(h >= 0.5, cut)  # the cut only: the background around the disc is not filled
    assert np.asarray(img)[background].min() == 255  # the background is white, as the training data

    _, from_editor = api.hole_from_editor({"background": str(path), "layers": [], "composite": None})
    assert np.array_equal(from_editor >= 0.5, cut)


def test_only_the_painted_layer_is_the_hole(tmp_path):
    sprite, cut, _ = emoji_with_transparent_background()
    sprite.save(tmp_path / "emoji.png")
    layer = np.zeros((64, 64, 4), np.uint8)
    layer[10:18, 20:40] = (255, 0, 255, 255)  # 160 px painted over the disc
    Image.fromarray(layer, "RGBA").save(tmp_path / "layer.png")
    value = {"background": str(tmp_path / "emoji.png"), "layers": [str(tmp_path / "layer.png")], "composite": None}
    _, h = api.hole_from_editor(value)
    assert int((h >= 0.5).sum()) == 160 and not (h >= 0.5)[cut].any()


def test_stop_keeps_the_partial_fill(G, photo):
    from tests.test_i2s_plusplus import run_until_stopped

    run, steps = run_until_stopped(api.inpaint(G, photo, hole(), w_steps=10, noise_steps=10, noise_lr=0.05,
                                               perceptual=0.0, yield_every=2), at_step=4)
    res = run.result
    assert steps[-1] < 20 and res is not None and res.extras["stopped"] and not res.completed
    assert api.max_abs_outside(res.extras["composite"], photo, hole() >= 0.5) == 0


def test_a_latent_from_another_tab_is_the_start(G, photo):
    start = G.w_avg.reshape(1, 1, -1).repeat(1, G.num_ws, 1) + 0.3
    run = api.Run(api.inpaint(G, photo, hole(), init_latent={"ws": start, "noise": None}, w_steps=2, noise_steps=0,
                              perceptual=0.0))
    run.run()
    frozen = [r for r in range(G.num_ws) if r not in run.result.extras["rows"]]
    assert frozen and torch.equal(run.result.ws[:, frozen], start[:, frozen])
