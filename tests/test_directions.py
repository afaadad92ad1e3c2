"""Label-free directions (hub.nn.directions): SeFa, GANSpace, sigma scaling, the on-disk cache."""

from __future__ import annotations

import pytest
import torch

from hub.nn import directions as dirs
from plugins.stylegan2.model import Generator

TINY = dict(size=16, style_dim=32, n_mlp=2, channels={4: 32, 8: 16, 16: 8})


@pytest.fixture(scope="module")
def G():
    torch.manual_seed(1)
    g = Generator(**TINY).eval().requires_grad_(False)
    with torch.no_grad():
        g.w_avg.copy_(g.mean_latent(256))
    return g


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GANHUB_CACHE", str(tmp_path))
    return tmp_path / "directions"


def test_sefa_is_the_eigenbasis_of_the_normalised_style_weights(G):
    d = dirs.sefa_directions(G, layers=(0, 1), n=5, sigma_samples=2000)
    A = torch.cat([G.conv1.conv.modulation.weight, G.to_rgb1.conv.modulation.weight, G.convs[0].conv.modulation.weight])
    A = A / A.norm(dim=1, keepdim=True)
    M = A.T @ A
    torch.testing.assert_close(d.vectors @ d.vectors.T, torch.eye(5), atol=1e-5, rtol=0)
    for k in range(5):  # each is an eigenvector with its eigenvalue, in descending order
        torch.testing.assert_close(M @ d.vectors[k], d.values[k] * d.vectors[k], atol=1e-4, rtol=1e-4)
    assert torch.all(d.values[:-1] >= d.values[1:])
    codes = dirs.sampled_w(G, 2000)
    torch.testing.assert_close(d.sigmas, (codes @ d.vectors.T).std(0), atol=1e-5, rtol=1e-5)


def test_ganspace_components_and_stds(G):
    d = dirs.ganspace_directions(G, n=4, layers="0-2", samples=4000)
    codes = dirs.sampled_w(G, 4000)
    proj = (codes - codes.mean(0)) @ d.vectors.T
    torch.testing.assert_close(proj.std(0), d.sigmas, atol=1e-4, rtol=1e-4)
    assert torch.all(d.sigmas[:-1] >= d.sigmas[1:]) and d.layers == (0, 1, 2)
    rand = dirs.random_directions(G, 3)
    assert d.sigmas[0] > rand.sigmas.max()  # the first PC spreads more than any random direction


def test_apply_moves_alpha_sigmas_on_the_chosen_rows_only(G):
    d = dirs.sefa_directions(G, layers=(1, 3), n=3, sigma_samples=1000)
    ws = torch.randn(2, G.num_ws, G.w_dim)
    out = d.apply(ws, {1: 2.0})
    delta = out - ws
    assert torch.equal(delta[:, [0, 2, 4, 5]], torch.zeros_like(delta[:, [0, 2, 4, 5]]))
    torch.testing.assert_close(delta[0, 3] @ d.vectors[1], 2.0 * d.sigmas[1], atol=1e-5, rtol=1e-5)
    assert set(d.as_wplus()) == {"sefa 0", "sefa 1", "sefa 2"}
    assert dirs.SLIDER_SIGMAS == 3.0


def test_cache_is_keyed_by_the_tensor_hash(G, cache):
    a = dirs.sefa_directions(G, n=3, sigma_samples=500)
    files = list(cache.glob("*-sefa-*.safetensors"))
    assert len(files) == 1
    b = dirs.sefa_directions(G, n=3, sigma_samples=500)
    assert torch.equal(a.vectors, b.vectors) and len(list(cache.glob("*.safetensors"))) == 1
    g2 = Generator(**TINY).eval()
    dirs.sefa_directions(g2, n=3, sigma_samples=500)
    assert len(list(cache.glob("*-sefa-*.safetensors"))) == 2  # another network, another entry


def test_sigma_scaled_labelled_directions():
    codes = torch.randn(500, 4, 8) * torch.linspace(0.5, 2, 8)
    d = {"attr": torch.randn(4, 8)}
    scaled, sig = dirs.sigma_scaled(d, codes)
    unit = d["attr"].flatten() / d["attr"].norm()
    assert abs(sig["attr"] - float((codes.reshape(500, -1) @ unit).std())) < 1e-5
    torch.testing.assert_close(scaled["attr"].norm(), torch.tensor(sig["attr"]), atol=1e-5, rtol=1e-5)


def test_resolve_layers(G):
    assert dirs.resolve_layers(G, None) == tuple(range(G.num_ws))
    assert dirs.resolve_layers(G, "1-3") == (1, 2, 3)
    assert dirs.resolve_layers(G, "coarse")
    with pytest.raises(ValueError):
        dirs.resolve_layers(G, (0, 99))
    with pytest.raises(ValueError):
        dirs.resolve_layers(G, "some")
