"""LAPGAN: the pyramid, the band-pass projection, the cascade API, the trainer, the shipped weight, the tab."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from plugins.lapgan import api
from plugins.lapgan.models import (COND_DIM, LAPGAN, ResidualGenerator, condition_vector, downsample, fit_range,
                                   laplacian_pyramid, project_bandpass, reconstruct, upsample)

REPO = Path(__file__).resolve().parents[1]
WEIGHT = REPO / "plugins" / "lapgan" / "weights" / "lapgan-emoji64.safetensors"


@pytest.fixture(autouse=True)
def _one_thread():
    """Small convolutions on a shared 2-core machine: two threads wait on each other far longer than they work."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def random_model(seed: int = 0) -> LAPGAN:
    torch.manual_seed(seed)
    return LAPGAN().eval().requires_grad_(False)


def images(n: int = 4, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 3, 64, 64, generator=torch.Generator().manual_seed(seed)) * 2 - 1


# ---- the pyramid ------------------------------------------------------------------------------

def test_pyramid_is_exact_and_its_bands_are_band_pass():
    x = images()
    bands, coarse = laplacian_pyramid(x)
    assert [b.shape[-1] for b in bands] == [64, 32, 16] and coarse.shape[-1] == 8
    assert torch.allclose(reconstruct(bands, coarse), x, atol=1e-6)
    assert torch.allclose(downsample(upsample(coarse)), coarse, atol=1e-6)
    for h in bands:
        assert downsample(h).abs().max() < 1e-6


def test_upsample_is_smooth_not_blocky():
    ramp = torch.linspace(-1, 1, 8).expand(1, 3, 8, 8).contiguous()
    up = upsample(ramp)
    steps = up[..., 1:] - up[..., :-1]
    assert steps.min() > 0  # monotone, and no 2-pixel plateaus as nearest upsampling would give
    assert steps.max() < 2 * steps.mean()


def test_generated_residuals_never_move_the_coarser_image():
    torch.manual_seed(0)
    g = ResidualGenerator(16)
    low = upsample(torch.rand(2, 3, 8, 8) * 2 - 1)
    h = g(torch.randn(2, 2, 16, 16) * 10, low, torch.zeros(2, COND_DIM))
    assert h.abs().mean() > 0 and downsample(h).abs().max() < 1e-5
    assert torch.allclose(project_bandpass(project_bandpass(h)), project_bandpass(h), atol=1e-6)  # a projection


def test_fit_range_keeps_block_means_and_range():
    coarse = torch.rand(3, 3, 8, 8) * 2 - 1
    coarse[0] = 1.0  # all white: the only image with these means is all white
    wild = upsample(coarse) + project_bandpass(torch.randn(3, 3, 16, 16) * 3)
    fitted = fit_range(wild, coarse)
    assert fitted.min() >= -1 and fitted.max() <= 1
    assert (downsample(fitted) - coarse).abs().max() < 1e-5
    assert torch.allclose(fitted[0], torch.ones(3, 16, 16))
    tame = upsample(coarse) * 0.5
    assert torch.allclose(fit_range(tame, downsample(tame)), tame, atol=1e-6)  # in range already: unchanged


def test_condition_vector():
    c = condition_vector(torch.tensor([2, -1]), torch.tensor([0, 2]), 2)
    assert c.tolist()[0] == [0, 0, 1, 0, 0, 0, 1, 0, 0] and c.tolist()[1] == [0] * 6 + [0, 0, 1]
    assert condition_vector(None, None, 3).abs().sum() == 0


# ---- the API ----------------------------------------------------------------------------------

def test_sample_is_seeded_and_shows_every_level():
    model = random_model()
    a, b, c = api.sample(model, 3, seed=5), api.sample(model, 3, seed=5), api.sample(model, 3, seed=6)
    assert a.images.shape == (3, 3, 64, 64) and a.coarse.shape == (3, 3, 8, 8)
    assert torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)
    assert [lv.resolution for lv in a.levels] == [16, 32, 64]
    for lv in a.levels:
        assert torch.allclose(lv.upsampled + lv.residual, lv.image, atol=1e-6)
    assert a.images.min() >= -1 and a.images.max() <= 1
    conditional = api.sample(model, 3, seed=5, skin_tone="dark", kind="person")
    assert not torch.equal(conditional.images, a.images)


@pytest.mark.parametrize("what", ["emoji-like", "noise", "white", "black"])
def test_refine_keeps_the_coarse_image(what):
    model = random_model(1)
    x = {"emoji-like": images(2).clamp(-0.2, 1), "noise": images(2), "white": torch.ones(2, 3, 64, 64),
         "black": -torch.ones(2, 3, 64, 64)}[what]
    coarse = api.to_coarse(x)
    out = api.refine(model, coarse, 3, seed=0).images
    again = downsample(downsample(downsample(out)))
    assert (again - coarse).abs().max() * 127.5 < 1e-3


def _paper_cascade(model, coarse, seed):
    """The paper's cascade written out: Ĩ_k = fit_range(u(Ĩ_k+1) + G_k(z_k, u(Ĩ_k+1)), Ĩ_k+1), unscaled."""
    x, cond = coarse, condition_vector(None, None, len(coarse))
    for level, res in enumerate((16, 32, 64), start=1):
        low = upsample(x)
        z = torch.randn(len(x), 2, res, res, generator=torch.Generator().manual_seed(seed * 1009 + level))
        x = fit_range(low + model.refiners[str(res)](z, low, cond), x)
    return x.clamp(-1, 1)


def test_detail_strength_zero_is_the_upsampled_coarse_image_and_one_the_paper_cascade():
    model = random_model(3)
    coarse = api.to_coarse(images(3, seed=4) * 0.5)  # in range: u never needs fit_range's clamp here
    zero = api.refine(model, coarse, 3, seed=2, detail_strength=0.0)
    up = coarse
    for _ in range(3):
        up = upsample(up)
    assert torch.allclose(zero.images, up, atol=1e-6)  # no generated detail: the pyramid's own upsampling
    assert all(lv.residual.abs().max() < 1e-6 for lv in zero.levels)
    one = api.refine(model, coarse, 3, seed=2, detail_strength=1.0)
    assert torch.equal(one.images, _paper_cascade(model, coarse, 2))  # s = 1: the unchanged cascade
    half = api.refine(model, coarse, 3, seed=2, detail_strength=0.5)
    assert not torch.equal(half.images, one.images) and not torch.allclose(half.images, zero.images, atol=1e-3)
    again = downsample(downsample(downsample(half.images)))
    assert (again - coarse).abs().max() * 127.5 < 1e-3  # any strength keeps the coarse image
    s1 = api.sample(model, 2, seed=4, detail_strength=1.0)
    assert torch.equal(s1.images, _paper_cascade(model, s1.coarse, 4))
    for bad in (-0.1, 2.5, float("nan")):
        with pytest.raises(ValueError):
            api.sample(model, 1, detail_strength=bad)


def test_variations_share_the_coarse_image_and_differ_in_detail():
    model = random_model(2)
    v = api.variations(model, 4, seed=3, coarse_seed=7)
    assert torch.equal(v.coarse[0], v.coarse[3])
    assert torch.allclose(v.coarse[:1], api.sample(model, 1, 7, levels=0).coarse)
    assert (v.images[0] - v.images[1]).abs().mean() > 0
    partial = api.refine(model, v.coarse[:1], levels=1, seed=0)
    assert partial.images.shape[-1] == 16


def test_pyramid_of_a_pil_image_and_the_figure():
    from PIL import Image

    pil = Image.fromarray(np.uint8(np.random.default_rng(0).integers(0, 255, (100, 80, 3))))
    p = api.pyramid(pil)
    assert [g.shape[-1] for g in p.gaussian] == [64, 32, 16, 8] and torch.equal(p.coarse, p.gaussian[-1])
    assert torch.allclose(reconstruct(p.bands, p.coarse), p.gaussian[0], atol=1e-6)
    fig = api.pyramid_figure(api.sample(random_model(), 1, 0), cell=32)
    assert fig.size == (3 * 32 + 8, 3 * 36)


def test_api_refuses_bad_arguments():
    model = random_model()
    with pytest.raises(ValueError, match="8x8"):
        api.refine(model, torch.zeros(1, 3, 16, 16))
    with pytest.raises(ValueError, match="levels"):
        api.refine(model, torch.zeros(1, 3, 8, 8), levels=4)
    with pytest.raises(ValueError, match="skin tone"):
        api.sample(model, 1, 0, skin_tone="green")
    with pytest.raises(ValueError, match="n must be"):
        api.sample(model, 0, 0)


def test_load_is_strict(tmp_path):
    from safetensors.torch import save_file

    model = random_model(3)
    path = tmp_path / "m.safetensors"
    save_file(model.state_dict(), str(path), metadata={"config": json.dumps(model.config())})
    loaded = api.load_lapgan(path)
    assert torch.equal(api.sample(loaded, 2, 1).images, api.sample(model, 2, 1).images)
    state = model.state_dict()
    state.pop("refiners.64.net.0.bias")
    save_file(state, str(path), metadata={"config": json.dumps(model.config())})
    with pytest.raises(RuntimeError, match="Missing"):
        api.load_lapgan(path)


# ---- evaluation helpers -----------------------------------------------------------------------

def test_frechet_distance_and_band_pass_energy():
    from plugins.lapgan.evaluate import bandpass_energy, frechet_distance

    rng = np.random.default_rng(0)
    a = rng.normal(size=(2000, 4))
    assert abs(frechet_distance(a, a)) < 1e-6
    assert abs(frechet_distance(a, a + 2.0) - 16.0) < 1e-6  # the mean term only: 4 dims x 2^2
    assert abs(frechet_distance(a, a * 3.0) - 4 * (1 - 3) ** 2) < 0.3  # the covariance term
    assert bandpass_energy(torch.full((1, 3, 64, 64), 0.3)) == 0
    blurry = upsample(upsample(upsample(images(1)[:, :, :8, :8])))
    assert bandpass_energy(images(1)) > 10 * bandpass_energy(blurry)


# ---- the trainer ------------------------------------------------------------------------------

def tiny_data(n: int = 6):
    from plugins.emoji.dataset import ATTRIBUTES
    from plugins.lapgan.train import load_training_pyramid

    x = (np.random.default_rng(0).random((n, 64, 64, 3)) * 255).astype(np.uint8)
    meta = [{"labels": {**{a: -1 for a in ATTRIBUTES}, "skin_tone": i % 6, "kind": i % 3}} for i in range(n)]
    return load_training_pyramid(x, meta)


def test_trainer_resumes_as_the_same_run(tmp_path):
    from plugins.lapgan.train import Trainer

    data = tiny_data()
    straight = Trainer(tmp_path / "a", batch=4, data=data, device="cpu", log=lambda m: None)
    straight.step(), straight.step()
    first = Trainer(tmp_path / "b", batch=4, data=data, device="cpu", log=lambda m: None)
    first.step()
    first.save()
    resumed = Trainer(tmp_path / "b", batch=4, data=data, device="cpu", log=lambda m: None)
    assert resumed.resume() and resumed.step_count == 1
    resumed.step()
    for r in (8, 16, 32, 64):
        for p, q in zip(straight.G_ema[r].parameters(), resumed.G_ema[r].parameters()):
            assert torch.allclose(p, q, atol=1e-6), r
    assert set(resumed.last) == {f"{k}{r}" for r in (8, 16, 32, 64) for k in "dg"}
    cascade = resumed.cascade()
    assert api.sample(cascade, 1, 0).images.shape == (1, 3, 64, 64)


def test_warm_start_and_generated_lows_resume_as_the_same_run(tmp_path):
    from safetensors.torch import save_file

    from plugins.lapgan.train import Trainer

    data, shipped = tiny_data(), random_model(3)
    path = tmp_path / "shipped.safetensors"
    save_file(shipped.state_dict(), str(path), metadata={"config": json.dumps(shipped.config())})

    def trainer(run):
        return Trainer(tmp_path / run, batch=4, data=data, device="cpu", generated_low=0.5, log=lambda m: None)

    straight = trainer("a")
    straight.init_from_embedded(path)
    for p, q in zip(straight.G[16].parameters(), shipped.refiners["16"].parameters()):
        assert torch.equal(p, q)
    low = straight._generated_low(32, data["cond"][:4], torch.Generator().manual_seed(0), None)
    assert low.shape == (4, 3, 32, 32) and low.abs().max() <= 1 + 1e-5
    straight.step(), straight.step()
    first = trainer("b")
    first.init_from_embedded(path)
    first.step()
    first.save()
    resumed = trainer("b")
    assert resumed.resume() and resumed.init_from == path.name
    resumed.step()
    for r in (8, 16, 32, 64):
        for p, q in zip(straight.G_ema[r].parameters(), resumed.G_ema[r].parameters()):
            assert torch.allclose(p, q, atol=1e-6), r
    # the EMA runs at full decay from a warm start: after two steps it is still near the shipped weights
    drift = max((p - q).abs().max().item() for p, q in zip(resumed.G_ema[64].parameters(),
                                                           shipped.refiners["64"].parameters()))
    assert drift < 1e-3


def test_training_pyramid_has_the_real_bands():
    data = tiny_data(3)
    assert data["I8"].shape == (3, 3, 8, 8) and data["cond"].shape == (3, COND_DIM)
    assert torch.allclose(downsample(data["low16"]), data["I8"], atol=1e-6)
    assert downsample(data["h64"]).abs().max() < 1e-5


# ---- the shipped weight, the plugin, the tab --------------------------------------------------

def test_import_is_light_and_registers():
    code = ("import sys, plugins.lapgan.plugin as p; assert 'torch' not in sys.modules, 'torch imported';"
            "assert 'gradio' not in sys.modules, 'gradio imported';"
            "from hub.testing import make_hub; h = make_hub([p], strict=True);"
            "assert 'lapgan' in h.demos and h.models.spec('lapgan-emoji64').offline")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_embedded_weight_loads_through_the_hub_and_keeps_the_coarse_image():
    import plugins.lapgan.plugin as plugin
    from hub.testing import use_plugins

    assert WEIGHT.is_file(), "the embedded weight is committed"
    with use_plugins(plugin):
        import hub

        model = hub.get_model("lapgan-emoji64")
    assert isinstance(model, LAPGAN) and model.resolutions == (8, 16, 32, 64)
    strict = api.load_lapgan(WEIGHT)
    out = api.sample(model, 4, seed=0)
    assert torch.allclose(out.images, api.sample(strict, 4, seed=0).images, atol=1e-5)
    from PIL import Image

    from plugins.lapgan.evaluate import bandpass_energy, coarse_preservation

    examples = sorted((REPO / "plugins" / "lapgan" / "examples").glob("*.png"))
    assert examples, "the tab's examples are shipped"
    x = torch.cat([api.to_coarse(Image.open(p).convert("RGB")) for p in examples])
    assert coarse_preservation(strict, x)["max"] < 2.0  # the bar, on the shipped weights
    refined = api.refine(strict, x, 3, seed=0).images
    assert bandpass_energy(refined) > bandpass_energy(api.bicubic_baseline(x))  # it adds detail


def test_tab_builds_and_its_handlers_answer():
    import gradio as gr
    from PIL import Image

    import plugins.lapgan.plugin as plugin
    from hub.app import public_api_names
    from hub.testing import make_app
    from plugins.lapgan import ui

    app = make_app([plugin], strict=True)
    assert {"lapgan_generate", "lapgan_variations", "lapgan_refine"} <= set(public_api_names(app))
    model = random_model()
    gallery, figure, path = ui.run_generate(model, 3, 2, "any", "face")
    assert len(gallery) == 2 and gallery[0][0].size == (64 * ui.PREVIEW,) * 2 and Path(path).is_file()
    assert len(ui.run_variations(model, 0, 1, 3)) == 4
    coarse, (bicubic, refined), fig, text, png = ui.run_refine(model, Image.new("RGB", (90, 70), (200, 30, 30)), 0)
    assert coarse.size == bicubic.size == refined.size == (64 * ui.PREVIEW,) * 2
    assert "/255" in text and Path(png).is_file()
    _, (_, from_file), _, _, _ = ui.run_refine(model, str(sorted(ui.EXAMPLES.glob("*.png"))[0]), 0)  # the first view
    assert from_file.size == refined.size
    # the slider and dropdowns are checked by hub.ui.validation; the API's own limits come back as sentences
    for bad in ((model, 0, 0, "any", "any"), (model, 0, 2000, "any", "any"), (model, float("nan"), 2, "any", "any"),
                (model, 0, 2, "green", "any")):
        with pytest.raises(gr.Error):
            ui.run_generate(*bad)
    with pytest.raises(gr.Error, match="Upload"):
        ui.run_refine(model, None, 0)
