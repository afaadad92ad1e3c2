"""plugins.wplus_editing: the Python API (morph, mix, transfer, truncate, latent files, iGAN edit)
and the tab, on a tiny randomly initialised StyleGAN2."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hub.nn import inversion as inv
from plugins.wplus_editing import api
from ganhub_tiny_models import tiny_generator

torch.set_num_threads(1)  # tiny models: one thread is fastest, and CI shares its cores


@pytest.fixture(scope="module")
def G():
    return tiny_generator()


def latent(G, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        ws = G.mapping(torch.randn(1, G.z_dim, generator=gen))[:, None].repeat(1, G.num_ws, 1)
    return {"ws": ws + 0.1 * torch.randn(ws.shape, generator=gen), "noise": G.make_noise(1, gen)}


def test_morph_endpoints_equal_inputs(G):
    a, b = latent(G, 1), latent(G, 2)
    assert np.array_equal(np.asarray(api.morph(G, a, b, 0.0)), np.asarray(api.render_pil(G, a)))
    assert np.array_equal(np.asarray(api.morph(G, a, b, 1.0)), np.asarray(api.render_pil(G, b)))
    mid = np.asarray(api.morph(G, a, b, 0.5)).astype(int)
    assert np.abs(mid - np.asarray(api.render_pil(G, a)).astype(int)).mean() > 1
    frames = api.morph_frames(G, a, b, 5, bounce=True)
    assert len(frames) == 8


def test_morph_gif(G, tmp_path):
    from PIL import Image

    frames = api.morph_frames(G, latent(G, 1), latent(G, 2), 4)
    path = api.save_gif(frames, tmp_path / "m.gif", scale=2)
    with Image.open(path) as im:
        assert im.n_frames == 4 and im.size == (32, 32)


def test_mix_takes_the_right_rows(G):
    a, b = latent(G, 1), latent(G, 2)
    groups = api.layer_ranges(G)
    for name, rows in groups.items():
        out = api.mix(G, a, b, name)["ws"]
        for r in range(G.num_ws):
            src = b if r in rows else a
            assert torch.equal(out[0, r], src["ws"][0, r]), (name, r)
    out = api.mix(G, a, b, [0, 5])["ws"]
    assert torch.equal(out[0, 0], b["ws"][0, 0]) and torch.equal(out[0, 3], a["ws"][0, 3])
    with pytest.raises(ValueError):
        api.mix(G, a, b, "ultrafine")


def test_transfer_and_truncate_arithmetic(G):
    w1, w2, w3 = (latent(G, s)["ws"] for s in (1, 2, 3))
    out = api.transfer(w1, w2, w3, 0.5)["ws"]
    assert torch.allclose(out, w1 + 0.5 * (w3 - w2))
    only = api.transfer(w1, w2, w3, 1.0, layers=[2])["ws"]
    assert torch.equal(only[:, 0], w1[:, 0]) and torch.allclose(only[:, 2], w1[:, 2] + w3[:, 2] - w2[:, 2])
    assert torch.allclose(api.truncate(G, w1, 0.0)["ws"], G.w_avg.expand_as(w1))
    assert torch.allclose(api.truncate(G, w1, 1.0)["ws"], w1)
    assert torch.allclose(api.truncate(G, w1, 0.5)["ws"], (w1 + G.w_avg) / 2, atol=1e-6)


def test_latent_round_trip_gives_the_same_image(G, tmp_path):
    a = latent(G, 4)
    path = api.save_latent(tmp_path / "a.safetensors", a, G=G, model="tiny")
    back = api.load_latent(path, G)
    assert back["meta"]["model"] == "tiny"
    assert torch.equal(api.render(G, a), api.render(G, back))


def test_latent_files_are_validated(G, tmp_path):
    a = latent(G, 4)
    bad = api.save_latent(tmp_path / "short.safetensors", {"ws": a["ws"][:, :3], "noise": None})
    with pytest.raises(api.LatentFileError, match="needs"):
        api.load_latent(bad, G)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"definitely not safetensors")
    with pytest.raises(api.LatentFileError, match="not a safetensors"):
        api.load_latent(junk, G)
    from safetensors.torch import save_file

    foreign = tmp_path / "foreign.safetensors"
    save_file({"weight": torch.zeros(2)}, str(foreign))
    with pytest.raises(api.LatentFileError, match="not a GAN Hub latent"):
        api.load_latent(foreign, G)
    many = api.save_latent(tmp_path / "many.safetensors", {"ws": a["ws"].repeat(17, 1, 1), "noise": None})
    with pytest.raises(api.LatentFileError, match="holds 17 latent codes; at most 16"):
        api.load_latent(many, G)  # thousands of codes in one upload would cost gigabytes
    assert api.load_latent(api.save_latent(tmp_path / "16.safetensors", {"ws": a["ws"].repeat(16, 1, 1)}), G)["ws"].shape[0] == 16


def test_invert_api_from_pil(G):
    from hub.images import to_pil

    target = api.render(G, latent(G, 5))
    img = to_pil(target).resize((40, 48))  # any size: centre-cropped and resized to the model's
    res = api.invert(G, img, steps=20, noise_steps=0, perceptual=0.0)
    assert res.history[-1]["mse"] < res.history[0]["mse"]
    res2 = api.invert(G, target, steps=5, noise_steps=0, perceptual=0.0, init_latent=res)
    assert res2.history[0]["psnr"] > res.history[0]["psnr"]  # continuing starts where it stopped
    with pytest.raises(ValueError, match="encoder"):
        api.invert(G, target, method="hybrid")


def test_igan_edit_moves_strokes_towards_colour(G):
    start = api.random_latent(G, 3, psi=0.7)
    before = api.render(G, start)
    mask = np.zeros((16, 16), np.float32)
    mask[4:10, 4:10] = 1
    red = torch.tensor([1.0, -1.0, -1.0]).view(1, 3, 1, 1).expand(1, 3, 16, 16)
    m = torch.from_numpy(mask).bool()

    def dist(img):  # mean distance to the stroke colour inside the strokes
        return float((img[0].clamp(-1, 1) - red[0]).abs()[:, m].mean())

    for space in ("w+", "z"):
        res = api.constrained_edit(G, start, red, mask, space=space, steps=40, lam_latent=0.1).run()
        assert dist(res.image) < 0.8 * dist(before), space
        assert res.history[-1]["mse"] < res.history[0]["mse"]
    with pytest.raises(ValueError, match="stroke"):
        api.constrained_edit(G, start, red, np.zeros((16, 16), np.float32))


def _tab_app():
    from hub import INTERFACE_LATENT_GENERATOR, ModelSpec, hookimpl
    from hub.testing import make_app

    class TinyGAN:
        @staticmethod
        @hookimpl
        def register_models(register):
            register(ModelSpec(name="tiny-gan", family="test", interface=INTERFACE_LATENT_GENERATOR,
                               build=lambda paths: tiny_generator(), offline=True))

    import plugins.wplus_editing.plugin as plugin

    app = make_app([("tiny_gan", TinyGAN()), plugin], strict=True)
    assert not app.ganhub.errors, app.ganhub.errors
    return app


def test_tab_builds_with_a_registered_generator():
    """The tab builds and names its events through ctx.api_name, with a third-party generator."""
    app = _tab_app()
    names = {dep.get("api_name") for dep in app.config["dependencies"]}
    for action in ("invert", "morph", "morph_gif", "mix", "transfer", "truncate", "scribble_edit", "random_sample"):
        assert f"wplus_editing_{action}" in names


# ------------------------------------------------------------------------------ the tab's handlers


def test_a_new_inversion_clears_the_previous_edits():
    """A new inversion (or sample, or latent in a slot) must not leave an edit of the old latent on screen."""
    app = _tab_app()
    fns = list(app.fns.values())
    by_name = {fn.api_name: fn for fn in fns}
    invert = by_name["wplus_editing_invert"]
    edit_outputs = {o._id for name in ("morph", "morph_gif", "mix", "transfer", "truncate", "scribble_edit")
                    for o in by_name[f"wplus_editing_{name}"].outputs}
    for trigger in invert.targets + by_name["wplus_editing_random_sample"].targets:
        cleared = set()
        for fn in fns:
            if trigger in fn.targets and fn.api_visibility == "private" and not fn.inputs and fn.outputs and fn.fn:
                values = fn.fn()
                cleared |= {o._id for o, v in zip(fn.outputs, values) if v is None}
        assert edit_outputs <= cleared, trigger


class _Ctx:
    """What the handlers use of a tab's context."""

    def __init__(self, G):
        self.G = G

    def get_model(self, name):
        return self.G

    def related_model(self, name, role):
        raise KeyError(role)

    def models_for(self, interface):
        return ["tiny-gan"]


def _no_progress(*args, **kwargs):
    return None


def test_pti_from_the_tab_keeps_its_delta_through_an_edit(G):
    from hub.nn.pti import load_pti
    from plugins.wplus_editing import ui_edit_handlers as e, ui_handlers as h

    ctx = _Ctx(G)
    target = api.render_pil(G, latent(G, 9))
    run = h.invert(ctx, "tiny-gan", target, "pti", True, "B", "w+", 3, 5, 0.01, 5.0, 1.0, 1.0, 0.0, 0.0, "w_avg", 0,
                   2, None, tuning_steps=4, progress=_no_progress)
    *_, last = list(run)
    path = last[3]
    assert last[5] == path and "delta" in last[1]  # slot B holds the PTI file
    lat, tuned = load_pti(path, G)
    assert tuned is not G and lat["meta"]["pti"] == "1"
    (before, after), mixed = e.mix(ctx, "tiny-gan", path, path, "fine", "")
    assert np.array_equal(np.asarray(before), np.asarray(after))  # mixing A with itself changes nothing
    assert load_pti(mixed, G)[1] is not G  # the edited latent still renders through the tuned weights
    shown = np.asarray(e.morph(ctx, "tiny-gan", path, path, 0.0))
    plain = np.asarray(api.render_pil(G, lat).resize(before.size, 0))
    assert not np.array_equal(shown, plain)  # rendered through the tuned generator, not the base one


def test_pti_from_the_tab_starts_its_pivot_at_the_encoders_guess(G):
    from hub.nn.pti import load_pti
    from plugins.wplus_editing import ui_handlers as h

    guess = latent(G, 5)["ws"]

    class WithEncoder(_Ctx):
        def related_model(self, name, role):
            return lambda x: guess.expand(x.shape[0], *guess.shape[1:])

    target = api.render_pil(G, latent(G, 9))
    *_, last = list(h.invert(WithEncoder(G), "tiny-gan", target, "pti", True, "A", "w+", 0, 5, 0.01, 5.0, 1.0, 1.0,
                             0.0, 0.0, "w_avg", 0, 1, None, tuning_steps=0, progress=_no_progress))
    lat, _ = load_pti(last[3], G)
    assert torch.allclose(lat["ws"], guess)  # no pivot steps: the pivot is the encoder's W+, not w_avg
    *_, last = list(h.invert(_Ctx(G), "tiny-gan", target, "pti", True, "A", "w+", 0, 5, 0.01, 5.0, 1.0, 1.0,
                             0.0, 0.0, "w_avg", 0, 1, None, tuning_steps=0, progress=_no_progress))
    assert not torch.allclose(load_pti(last[3], G)[0]["ws"], guess)  # without an encoder: from w_avg


def test_first_view_fills_the_slots_and_handlers_document_every_input(G):
    import inspect

    from plugins.wplus_editing import ui_edit_handlers as e, ui_handlers as h

    photo, image, note, latent_out, a, b, c = h.first_view(_Ctx(G), "tiny-gan")
    assert photo is None and image.width >= 256 and latent_out == a and len({a, b, c}) == 3 and "random samples" in note
    for fn in (h.invert, h.random_sample, e.morph, e.morph_gif, e.mix, e.transfer, e.truncate, e.scribble_edit):
        doc = inspect.getdoc(fn)
        params = [p for p in inspect.signature(fn).parameters if p not in ("ctx", "progress")]
        assert all(f"\n    {p}: " in doc for p in params), fn.__name__


def test_stop_ends_a_pti_inversion_and_keeps_its_partial_latent(G):
    from hub.nn.pti import load_pti
    from hub.nn.stop import StopFlag, stop_scope
    from plugins.wplus_editing import ui_handlers as h

    flag, outs = StopFlag(), []
    run = h.invert(_Ctx(G), "tiny-gan", api.render_pil(G, latent(G, 4)), "pti", True, "A", "w+", 3, 5, 0.01, 5.0,
                   1.0, 1.0, 0.0, 0.0, "w_avg", 0, 1, None, tuning_steps=200, progress=_no_progress)
    with stop_scope(flag):  # what the app shell does for every event; the Stop button sets the flag
        for out in run:
            outs.append(out)
            if len(outs) == 5:  # 3 pivot steps, 2 tuning steps
                flag.set()
    assert len(outs) == 6 and outs[-1][1].startswith("stopped")
    lat, tuned = load_pti(outs[-1][3], G)
    assert tuned is not G and int(lat["meta"]["pti_steps"]) == 2  # the tuning reached, kept
