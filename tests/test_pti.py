"""Pivotal Tuning Inversion (hub.nn.pti), its hook in the engine, the latent_avg conversion fix, and a
converted 256 px generator running PTI, SeFa, GANSpace and drag end to end."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from hub.nn import inversion as inv
from hub.nn import pti
from plugins.stylegan2.convert import convert_rosinality, load_generator, to_rosinality
from plugins.stylegan2.model import Generator

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(size=16, style_dim=32, n_mlp=2, channels={4: 32, 8: 16, 16: 8})


@pytest.fixture(scope="module")
def G():
    torch.manual_seed(0)
    g = Generator(**TINY).eval().requires_grad_(False)
    with torch.no_grad():
        for name, p in g.named_parameters():
            if name.endswith("noise.weight"):
                p.fill_(0.2)
        g.w_avg.copy_(g.mean_latent(256))
    return g


@pytest.fixture(scope="module")
def target(G):
    torch.manual_seed(5)
    x = torch.rand(1, 3, 16, 16) * 2 - 1  # far outside what a random tiny G makes
    return x


def _cfg(pivot_steps=4, steps=12, **kw):
    return pti.PTIConfig(pivot=pti.pivot_config("w+", pivot_steps), steps=steps, lr=3e-3, yield_every=4,
                         stop_perceptual=None, **kw)


def test_pti_tunes_a_copy_streams_and_beats_its_pivot(G, target):
    before = pti.generator_hash(G)
    run = pti.PTI(G, target, _cfg())
    steps = list(run)
    r = run.result
    assert isinstance(r, pti.PTIResult) and r.completed and r.tuning_steps == 12
    assert [s.step for s in steps] == [4, 8, 12, 16]  # pivot steps, then tuning steps numbered on
    assert [s.losses["stage"] for s in steps] == [0.0, 1.0, 1.0, 1.0]
    assert all(s.image.shape == (1, 3, 16, 16) for s in steps)
    assert r.psnr > r.pivot_psnr + 0.3
    assert pti.generator_hash(G) == before  # the base generator is never modified
    assert r.delta and not any(k.startswith("style.") for k in r.delta)  # mapping never changes
    with torch.no_grad():
        torch.testing.assert_close(r.generator.synthesis(r.ws, noise=r.noise), r.image)


def test_invert_method_pti_hook_and_unknown_method(G, target):
    r = inv.invert(G, target, _cfg(steps=3), method="pti")
    assert isinstance(r, pti.PTIResult) and r.tuning_steps == 3
    r2 = inv.invert(G, target, pti.pivot_config("w", 3), method="pti")  # a bare pivot config
    assert r2.pivot.ws.shape == (1, G.num_ws, G.w_dim)
    assert torch.allclose(r2.ws[0, 0], r2.ws[0, -1])  # a W pivot: all rows equal
    with pytest.raises(ValueError, match="method"):
        inv.invert(G, target, None, method="nope")
    plain = inv.invert(G, target, inv.reconstruction_config(3, 0))  # the engine unchanged
    assert isinstance(plain, inv.InversionResult) and not isinstance(plain, pti.PTIResult)


def test_pti_stop_flag_and_cancel(G, target):
    ev = threading.Event()
    run = pti.PTI(G, target, _cfg(pivot_steps=4, steps=50), stop=ev)
    for s in run:
        if s.step >= 8:
            ev.set()
    assert run.result.completed is False and run.result.tuning_steps < 50
    run2 = pti.PTI(G, target, _cfg(pivot_steps=8, steps=5))
    next(iter(run2))
    res = run2.close()
    assert res is not None and res.completed is False and res.tuning_steps == 0
    with pytest.raises(ValueError, match="one generator per image"):
        pti.pti(G, target.repeat(2, 1, 1, 1), _cfg())


def test_pti_early_stop_on_perceptual_distance(G, target):
    r = pti.pti(G, target, pti.PTIConfig(pivot=pti.pivot_config("w+", 2), steps=40, stop_perceptual=1e9))
    assert r.stopped_early and r.tuning_steps == 1


def test_delta_file_round_trip_shares_unchanged_tensors(G, target, tmp_path):
    from hub.nn.latents import LatentFileError, load_latent

    r = pti.pti(G, target, _cfg(steps=6))
    path = pti.save_pti(tmp_path / "img.safetensors", r, G=G, model="tiny")
    n_delta = sum(t.numel() for t in r.delta.values())
    assert path.stat().st_size < 2 * n_delta + 64 * 1024  # float16 delta + latent, never a whole model copy
    assert pti.delta_nbytes(r.delta) == 2 * n_delta
    plain = load_latent(path, G)  # a plain latent reader still reads its W+
    torch.testing.assert_close(plain["ws"], r.ws)
    latent, tuned = pti.load_pti(path, G)
    with torch.no_grad():
        img = tuned.synthesis(latent["ws"], noise=latent["noise"])
    assert float(inv.psnr(img, r.image).mean()) > 45
    base = dict(G.named_parameters())
    for name, p in tuned.named_parameters():
        assert (p is base[name]) == (name not in r.delta)
    other = Generator(**TINY).eval()
    with pytest.raises(LatentFileError, match="another generator"):
        pti.load_pti(path, other)


def test_convert_keeps_latent_avg_given_the_source():
    torch.manual_seed(3)
    g = Generator(**TINY)
    known = torch.linspace(-1, 1, g.w_dim)
    ckpt = {**to_rosinality(g.state_dict()), "d": {"x": torch.zeros(1)}}
    ckpt["latent_avg"] = known.clone()
    assert convert_rosinality.wants_source is True
    out = convert_rosinality(ckpt["g_ema"], source=ckpt)  # what the store hands over with "#g_ema"
    assert torch.equal(out["w_avg"], known)
    assert torch.equal(convert_rosinality(ckpt)["w_avg"], known)


def test_latent_avg_survives_weights_convert(tmp_path):
    """`ganhub weights convert` of a rosinality file with a known latent_avg: it becomes w_avg."""
    _ = _convert_with_known_avg(tmp_path, size=16)


def _convert_with_known_avg(tmp_path, size, channels=None):
    import yaml

    from hub.api import WeightSpec
    from hub.weights import WeightStore

    torch.manual_seed(4)
    g = Generator(size, 32, 2, channels=channels or {4: 32, 8: 16, 16: 8})
    known = torch.randn(32) * 0.5 + 0.25
    upstream = tmp_path / f"rosinality-{size}.pt"
    torch.save({**to_rosinality(g.state_dict()), "latent_avg": known, "g": {"x": torch.zeros(1)}}, upstream)
    manifest = yaml.safe_load((ROOT / "plugins" / "stylegan2" / "weights.yaml").read_text())["weights"]
    ref = next(e["converter"] for e in manifest if e["id"] == "stylegan2-cat-256")
    store = WeightStore(converted_dir=tmp_path / "converted")
    store.add(WeightSpec(id=f"stylegan2-test-{size}", filename=upstream.name, repo_id="example/none",
                         format="pickle", converter=ref))
    G2 = load_generator(store.convert(f"stylegan2-test-{size}", source_file=upstream))
    assert torch.equal(G2.w_avg, known)
    return G2


def test_converted_256px_generator_runs_pti_sefa_ganspace_and_drag(tmp_path, monkeypatch):
    from hub.nn.directions import ganspace_directions, sefa_directions
    from hub.nn.drag import DragConfig, drag

    monkeypatch.setenv("GANHUB_CACHE", str(tmp_path / "cache"))
    ch = {4: 16, 8: 16, 16: 8, 32: 8, 64: 4, 128: 4, 256: 4}
    G2 = _convert_with_known_avg(tmp_path, 256, ch).requires_grad_(False)
    assert G2.resolution == 256 and G2.num_ws == 14
    with torch.no_grad():
        x = G2.synthesis(G2.mapping(torch.randn(1, 32)).clamp(-3, 3)).clamp(-1, 1)
    r = pti.pti(G2, x, pti.PTIConfig(pivot=pti.pivot_config("w+", 2), steps=2, yield_every=1))
    assert r.tuning_steps == 2 and r.delta
    s = sefa_directions(G2, layers="0-5", n=4)
    gs = ganspace_directions(G2, n=4, layers=(0, 1, 2), samples=512)
    assert s.vectors.shape == (4, 32) and gs.sigmas.shape == (4,)
    edited = s.apply(r.ws, {0: 2.0})
    assert torch.allclose(edited[:, 6:], r.ws[:, 6:]) and not torch.allclose(edited[:, :6], r.ws[:, :6])
    run = drag(r.generator, r.latent(0), [(120, 128)], [(126, 128)], config=DragConfig(max_steps=3, render_every=3))
    res = run.run()
    assert res.steps == 3 and res.image.shape == (1, 3, 256, 256)
