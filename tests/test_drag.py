"""Drag editing (hub.nn.drag) and the Drag tab's plugin."""

from __future__ import annotations

import gradio as gr
import pytest
import torch

from hub.nn import drag as D
from plugins.stylegan2.model import Generator

TINY = dict(size=32, style_dim=32, n_mlp=2, channels={4: 32, 8: 16, 16: 16, 32: 8})


@pytest.fixture(scope="module")
def G():
    torch.manual_seed(2)
    g = Generator(**TINY).eval().requires_grad_(False)
    with torch.no_grad():
        g.w_avg.copy_(g.mean_latent(256))
    return g


def _latent(G, seed=0):
    z = torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(seed))
    return {"ws": G.mapping(z)[:, None].repeat(1, G.num_ws, 1), "noise": None}


def test_drag_streams_moves_only_the_first_rows_and_stops(G):
    lat = _latent(G)
    run = D.drag(G, lat, [(10, 12)], [(18, 12)], config=D.DragConfig(max_steps=6, render_every=2, stop_distance=0))
    steps = list(run)
    r = run.result
    assert [s.step for s in steps] == [1, 2, 3, 4, 5, 6]
    assert [s.image is not None for s in steps] == [False, True, False, True, False, True]
    rows = D.scale_layers([(1, 6)], G.num_ws)
    moved = (r.ws - lat["ws"]).abs().sum(-1)[0]
    assert all(moved[i] == 0 for i in range(G.num_ws) if i not in rows) and moved[list(rows)].sum() > 0
    assert r.steps == 6 and not r.reached and len(r.history) == 6


def test_drag_reached_and_stop(G):
    r = D.drag(G, _latent(G), [(10, 12)], [(10.5, 12)]).run()  # already within a pixel
    assert r.reached and r.steps == 0
    calls = []
    r = D.drag(G, _latent(G), [(5, 5)], [(25, 25)], stop=lambda: len(calls.append(1) or calls) > 3).run()
    assert not r.completed and r.steps < 5


def test_drag_validates_points(G):
    with pytest.raises(ValueError, match="outside"):
        D.drag(G, _latent(G), [(40, 3)], [(3, 3)]).run()
    with pytest.raises(ValueError, match="one target"):
        D.drag(G, _latent(G), [(3, 3), (4, 4)], [(5, 5)]).run()


def test_mask_keeps_the_rest_closer(G):
    lat = _latent(G, 3)
    cfg = D.DragConfig(max_steps=8, stop_distance=0, lr=0.05)
    mask = torch.zeros(32, 32)
    mask[6:18, 6:22] = 1
    with torch.no_grad():
        before = G.synthesis(lat["ws"])
    free = D.drag(G, lat, [(10, 12)], [(17, 12)], config=cfg).run()
    held = D.drag(G, lat, [(10, 12)], [(17, 12)], mask=mask, config=cfg).run()
    assert D.outside_psnr(before, held.image, mask) > D.outside_psnr(before, free.image, mask)


def test_the_pixel_mask_term_holds_the_outside_pixels_closer(G):
    lat = _latent(G, 3)
    mask = torch.zeros(32, 32)
    mask[6:18, 6:22] = 1
    with torch.no_grad():
        before = G.synthesis(lat["ws"])
    runs = {}
    for w in (0.0, 20.0):
        cfg = D.DragConfig(max_steps=8, stop_distance=0, lr=0.05, mask_weight=0.0, image_mask_weight=w)
        runs[w] = D.drag(G, lat, [(10, 12)], [(17, 12)], mask=mask, config=cfg).run()
    assert "mask_image" in runs[20.0].history[0] and "mask_image" not in runs[0.0].history[0]
    assert D.outside_psnr(before, runs[20.0].image, mask) > D.outside_psnr(before, runs[0.0].image, mask)
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="image_mask_weight"):
            D.DragConfig(image_mask_weight=bad)


def test_patch_match_and_draw_points():
    torch.manual_seed(0)
    img = torch.rand(1, 3, 32, 32) * 2 - 1
    shifted = torch.roll(img, shifts=(2, 5), dims=(2, 3))
    assert D.patch_match(img, shifted, (12, 14)) == (17.0, 16.0)
    pil = D.draw_points(img, [(3, 3)], [(9, 9)], scale=4)
    assert pil.size == (128, 128)


def test_plugin_registers_the_drag_tab_and_it_builds():
    import gradio as gr

    from plugins.drag_editing import plugin, ui

    demos = []
    plugin.register_demos(demos.append)
    assert demos[0].id == "drag_editing" and demos[0].title == "Drag"

    class Ctx:
        plugin = "drag_editing"
        heavy_concurrency_id = "heavy"

        def api_name(self, action):
            return f"drag_editing_{action}"

        def get_model(self, name):
            raise AssertionError("the tab must not load a model while building")

        def models_for(self, interface):
            return ["stylegan2-emoji64"]

    with gr.Blocks():
        ui.build(Ctx())
    h, t = __import__("plugins.drag_editing.api", fromlist=["x"]).parse_points([(1, 2), (3, 4), (5, 6)])
    assert h == [(1.0, 2.0)] and t == [(3.0, 4.0)]


# ------------------------------------------------------------------------------ the tab's handlers


class _Ctx:
    def __init__(self, G):
        self.G = G

    def get_model(self, name):
        return self.G

    def models_for(self, interface):
        return ["tiny"]


def test_points_as_text_round_trip_and_refuse_nonsense():
    from plugins.drag_editing.api import points_to_text
    from plugins.drag_editing.ui_handlers import parse_points_text

    pts = parse_points_text("28,44 -> 34,40; 10.5,12 -> 10,20; 3,4 ->")
    assert pts == [(28, 44), (34, 40), (10.5, 12), (10, 20), (3, 4)]
    assert parse_points_text(points_to_text(pts)) == pts and parse_points_text("") == []
    with pytest.raises(gr.Error):
        parse_points_text("left eye -> right eye")


def test_the_tab_opens_with_a_drag_and_a_pti_file_drags_through_its_tuned_generator(G, tmp_path):
    from hub.nn import pti
    from hub.ui.session import open_latent
    from plugins.drag_editing import ui_handlers as h

    ctx = _Ctx(G)
    canvas, status, (before, after), latent, base, path = h.first_view(ctx, "tiny")
    assert canvas.width >= 256 and before.size == after.size and before.width >= 256
    assert "Example" in status and latent["generator"] is G and open_latent(G, path)[1] is G

    target = torch.rand(1, 3, 32, 32) * 2 - 1
    res = pti.pti(G, target, pti.PTIConfig(pivot=pti.pivot_config("w+", 2), steps=3, lr=3e-3, stop_perceptual=None))
    file = str(pti.save_pti(tmp_path / "p.safetensors", res, G=G))
    latent, _, _, img, same = h.new_image(ctx, "tiny", 0, file)
    assert same == file and latent["generator"] is not G  # the tuned generator draws it
    torch.testing.assert_close(img, latent["generator"].synthesis(latent["ws"], noise=latent["noise"]))
    *_, last = h.run_drag(ctx, "tiny", "10,12 -> 14,12", 0, 3, 0, file, latent)
    dragged = last[-1]
    assert open_latent(G, dragged)[1] is not G  # the dragged latent keeps the delta for the next tab


def test_radii_scale_from_the_paper_and_never_vanish():
    assert D.default_radii(512) == (3, 12)  # the paper's r1, r2
    assert D.default_radii(256) == (2, 6)
    assert D.default_radii(64) == (2, 3)  # 3 * 64 / 512 would round to 0
    assert D.default_radii(16) == (2, 3)


def test_patch_tracking_runs_and_rejects_a_negative_radius(G):
    with pytest.raises(ValueError, match="track_radius"):
        D.DragConfig(track_radius=-1)
    for radius in (0, 1, 2):  # an image that does not change: the tracker keeps the handle where it was
        cfg = D.DragConfig(max_steps=3, stop_distance=0, track_radius=radius, lr=1e-12)
        r = D.drag(G, _latent(G, 5), [(12, 13)], [(18, 13)], config=cfg).run()
        assert r.steps == 3 and r.handles == [(12.0, 13.0)], (radius, r.handles)
    last = len(G.layer_resolutions) - 1  # tracking on another (the full-size) layer than the motion loss
    cfg = D.DragConfig(max_steps=3, stop_distance=0, track_layer=last, lr=1e-12)
    r = D.drag(G, _latent(G, 5), [(12, 13)], [(18, 13)], config=cfg).run()
    assert r.steps == 3 and r.handles == [(12.0, 13.0)]


def test_a_painted_region_limits_what_may_move():
    import numpy as np
    from PIL import Image

    from plugins.drag_editing.api import mask_from_editor

    layer = np.zeros((128, 128, 4), np.uint8)
    layer[:64, :64] = (0, 200, 80, 255)  # the top-left quarter painted
    value = {"background": Image.new("RGB", (128, 128), "white"), "layers": [Image.fromarray(layer, "RGBA")],
             "composite": None}
    m = mask_from_editor(value, 32)
    assert m.shape == (32, 32) and m[:16, :16].min() == 1 and m[16:, :].max() == 0 and m[:, 16:].max() == 0
    empty = dict(value, layers=[Image.fromarray(np.zeros_like(layer), "RGBA")])
    assert mask_from_editor(empty, 32) is None and mask_from_editor(None, 32) is None
