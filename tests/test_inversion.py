"""The inversion engine (hub.nn.inversion) on a tiny randomly initialised StyleGAN2.

These check mechanics that can break (losses fall, masks freeze rows, noise moves only after W+,
cancel works, the target's VGG features are computed once), not reconstruction quality.
"""

from __future__ import annotations

import pytest
import torch

from hub.nn import inversion as inv
from ganhub_tiny_models import tiny_generator

torch.set_num_threads(1)  # tiny models: one thread is fastest, and CI shares its cores


@pytest.fixture(scope="module")
def G():
    return tiny_generator()


@pytest.fixture(scope="module")
def target(G):
    """An image the generator can make: a random W+ near a random sample, with its own noise."""
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        w = G.mapping(torch.randn(1, G.z_dim, generator=gen))[:, None].repeat(1, G.num_ws, 1)
        w = w + 0.2 * torch.randn(w.shape, generator=gen)
        return G.synthesis(w, noise=G.make_noise(1, gen)).clamp(-1, 1)


def test_w_plus_loss_decreases_and_psnr_improves(G, target):
    cfg = inv.reconstruction_config(w_steps=60, noise_steps=0, perceptual=0.0, yield_every=20)
    run = inv.Inversion(G, target, cfg)
    steps = [s for s in run]
    assert [s.step for s in steps] == [20, 40, 60]
    res = run.result
    assert res.completed and len(res.history) == 60
    first, last = res.history[0], res.history[-1]
    assert last["mse"] < 0.6 * first["mse"]
    assert last["psnr"] > first["psnr"] + 1.0
    assert res.psnr == pytest.approx(float(inv.psnr(res.image, target)), abs=1e-4)
    assert res.ws.shape == (1, G.num_ws, G.w_dim)


def test_layer_mask_freezes_rows(G, target):
    rows = (1, 2)
    cfg = inv.InversionConfig(phases=(inv.phase_wl(15, layers=rows, perceptual=0.0),))
    res = inv.invert(G, target, cfg)
    w0 = G.w_avg.reshape(1, -1)
    for r in range(G.num_ws):
        if r in rows:
            assert not torch.equal(res.ws[0, r], w0[0]), f"row {r} should have moved"
        else:
            assert torch.equal(res.ws[0, r], w0[0]), f"row {r} is masked and must stay bit-identical"


def test_noise_optimised_only_after_w_plus(G, target):
    seed = 3
    w_only = inv.invert(G, target, inv.reconstruction_config(w_steps=25, noise_steps=0, perceptual=0.0, seed=seed))
    both = inv.invert(G, target, inv.InversionConfig(
        phases=(inv.phase_wl(25, perceptual=0.0), inv.phase_mkn(25, lr=1.0)), seed=seed))
    initial_noise = G.make_noise(1, torch.Generator().manual_seed(seed))
    # the W+ phase did not touch the noise ...
    assert all(torch.equal(a, b) for a, b in zip(w_only.noise, initial_noise))
    # ... and the noise phase did not touch W+, but moved the noise and improved the fit
    assert torch.equal(both.ws, w_only.ws)
    assert any(not torch.equal(a, b) for a, b in zip(both.noise, initial_noise))
    assert [h["phase"] for h in both.history] == [0.0] * 25 + [1.0] * 25
    assert both.psnr > w_only.psnr + 0.5


def test_noise_before_latent_is_refused():
    with pytest.raises(ValueError, match="after a noise phase"):
        inv.InversionConfig(phases=(inv.phase_mkn(5), inv.phase_wl(5)))


def test_noise_layer_mask(G, target):
    cfg = inv.InversionConfig(phases=(inv.phase_mkn(5, layers=(0, 2), lr=1.0),))
    noise0 = G.make_noise(1, torch.Generator().manual_seed(0))
    res = inv.invert(G, target, cfg, init_noise=noise0)
    for i, (a, b) in enumerate(zip(res.noise, noise0)):
        assert torch.equal(a, b) == (i not in (0, 2))


def test_masked_mse_ignores_pixels_outside_the_mask(G, target):
    mask = torch.zeros(16, 16)
    mask[:, :8] = 1
    other = target.clone()
    other[..., 8:] = 1.0  # differs only where the mask is 0
    cfg = inv.InversionConfig(phases=(inv.phase_wl(10, perceptual=0.0),))
    a = inv.invert(G, target, cfg, masks={"mse": mask})
    b = inv.invert(G, other, cfg, masks={"mse": mask})
    c = inv.invert(G, other, cfg)
    assert torch.equal(a.ws, b.ws)
    assert not torch.equal(b.ws, c.ws)


def test_cancel_closes_cleanly_and_keeps_state(G, target):
    cfg = inv.reconstruction_config(w_steps=100, noise_steps=0, perceptual=0.0, yield_every=5)
    gen = inv.inversion_steps(G, target, cfg)
    first = next(gen)
    assert first.step == 5
    gen.close()
    with pytest.raises(StopIteration):
        next(gen)
    run = inv.Inversion(G, target, cfg)
    for step, image, losses in run:
        if step == 10:
            break
    partial = run.close()
    assert partial is not None and not partial.completed
    assert len(partial.history) == 10


def test_target_features_computed_once(G, target):
    from hub.nn.vgg import vgg_features

    vgg = vgg_features("vgg16", layers=inv.PERCEPTUAL_LAYERS)
    calls = []

    def features(x):
        calls.append(x.shape[0])
        return vgg(x)

    steps = 6
    cfg = inv.InversionConfig(phases=(inv.phase_wl(steps, perceptual=1.0, style=0.05),))
    res = inv.invert(G, target, cfg, features=features)
    assert len(calls) == steps + 1  # the target once, then the generated image once per step
    assert "perceptual" in res.history[0] and "style" in res.history[0]
    assert res.history[-1]["perceptual"] < res.history[0]["perceptual"]


def test_spaces_z_and_w(G, target):
    rz = inv.invert(G, target, inv.InversionConfig(phases=(inv.Phase("z", 10, inv.LossWeights(mse=1.0)),),
                                                  init="random"))
    assert rz.z is not None and rz.z.shape == (1, G.z_dim)
    with torch.no_grad():
        assert torch.allclose(rz.ws[:, 0], G.mapping(rz.z), atol=1e-5)
    rw = inv.invert(G, target, inv.InversionConfig(phases=(inv.Phase("w", 10, inv.LossWeights(mse=1.0)),)))
    assert torch.equal(rw.ws[:, 0], rw.ws[:, -1])  # one w broadcast to every row
    assert rw.history[-1]["mse"] < rw.history[0]["mse"]


def test_encoder_alone_and_hybrid(G, target):
    class TinyEncoder(torch.nn.Module):  # a real (random) image -> W+ network, as an encoder is
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 4, 4)
            self.fc = torch.nn.Linear(8 * 16, G.num_ws * G.w_dim)

        def forward(self, x):
            return self.fc(self.conv(x).flatten(1)).view(-1, G.num_ws, G.w_dim) * 0.1 + G.w_avg

    enc = TinyEncoder().eval()
    alone = inv.invert(G, target, inv.InversionConfig(phases=(), init="encoder"), encoder=enc)
    with torch.no_grad():
        assert torch.allclose(alone.ws, enc(target))
    hybrid = inv.invert(G, target, inv.InversionConfig(phases=(inv.phase_wl(20, perceptual=0.0),), init="encoder"),
                        encoder=enc)
    assert hybrid.psnr > alone.psnr
    with pytest.raises(ValueError, match="encoder"):
        inv.invert(G, target, inv.InversionConfig(phases=(), init="encoder"))


def test_latent_and_realism_terms(G, target):
    from plugins.stylegan2.model import Discriminator

    D = Discriminator(16, channels={4: 32, 8: 16, 16: 16}).eval().requires_grad_(False)
    cfg = inv.InversionConfig(phases=(inv.Phase("w+", 5, inv.LossWeights(mse=1.0, latent=0.1, realism=0.01)),))
    res = inv.invert(G, target, cfg, discriminator=D)
    assert {"latent", "realism"} <= set(res.history[-1])
    assert res.history[0]["latent"] == 0.0 and res.history[-1]["latent"] > 0.0
    with pytest.raises(ValueError, match="discriminator"):
        inv.invert(G, target, cfg)


def test_noise_regularizer_penalises_correlated_noise():
    gen = torch.Generator().manual_seed(0)
    white = [torch.randn(1, 1, 16, 16, generator=gen)]
    smooth = [torch.nn.functional.interpolate(torch.randn(1, 1, 4, 4, generator=gen), size=16, mode="bilinear")]
    assert float(inv.noise_regularizer(smooth)) > 10 * float(inv.noise_regularizer(white))


def test_scaling_helpers(G):
    assert inv.scale_layers([(1, 9), (17, 18)], 10) == (0, 1, 2, 3, 4, 8, 9)
    assert inv.scale_layers([(4, 6)], 10) == (2, 3)
    assert inv.scale_layers([(1, 18)], 18) == tuple(range(18))
    assert inv.scale_steps(5000) == 1000 and inv.scale_steps(3000) == 600
    groups = inv.layer_groups(G)  # 16 px model: rows steer 4, 8, 8, 8, 16, 16 px
    assert groups["coarse"] == (0, 1, 2, 3) and groups["middle"] == (4, 5)
    assert sorted(set(groups["coarse"]) | set(groups["middle"])) == list(range(G.num_ws))
