"""plugins.attribute_vectors: mean-difference attribute directions, applying them, files, sets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from plugins.attribute_vectors import api
from plugins.attribute_vectors.directions import (load_directions, matched_mean_difference, mean_difference,
                                                  save_directions, targets)
from ganhub_tiny_models import tiny_generator

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def G():
    return tiny_generator(noise_strength=None)


ATTRS = {"smiling": ["no", "yes"], "hair": ["none", "red", "blond"]}


def test_mean_difference_is_the_seed_formula():
    gen = torch.Generator().manual_seed(0)
    lat = torch.randn(12, 3, 4, generator=gen)
    smiling = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, -1, -1, 0])
    hair = np.array([1, 1, 1, 1, 2, 2, 2, 2, 0, 0, -1, -1])
    dirs, counts = mean_difference(lat, {"smiling": smiling, "hair": hair}, ATTRS)
    assert set(dirs) == {"smiling", "hair:red", "hair:blond"}  # "none" is not a look
    pos, neg = torch.from_numpy(smiling == 1), torch.from_numpy(smiling == 0)
    assert torch.allclose(dirs["smiling"], lat[pos].mean(0) - lat[neg].mean(0))  # -1 left out of both
    assert counts["smiling"] == [4, 6] and counts["hair:red"] == [4, 6]
    few, _ = mean_difference(lat, {"smiling": smiling, "hair": hair}, ATTRS, min_per_side=5)
    assert "smiling" not in few


def test_matched_contrast_removes_a_confounded_attribute():
    # latent = 1.0 * smiling on axis 0 + 5.0 * kind on axis 1; smiling only ever occurs with kind 1,
    # so the plain mean difference of "smiling" also points along the kind axis; the matched one not.
    rng = np.random.default_rng(0)
    kind = np.repeat([0, 1], 40)
    smiling = np.where(kind == 1, rng.integers(0, 2, 80), 0)
    lat = torch.zeros(80, 1, 2)
    lat[:, 0, 0] = torch.from_numpy(smiling).float()
    lat[:, 0, 1] = 5.0 * torch.from_numpy(kind).float()
    attrs = {"smiling": ["no", "yes"], "kind": ["face", "person"]}
    labels = {"smiling": smiling, "kind": kind}
    plain, _ = mean_difference(lat, labels, attrs)
    matched, counts = matched_mean_difference(lat, labels, attrs)
    assert float(plain["smiling"][0, 1]) > 1.0  # the confound leaks into the plain formula
    assert torch.allclose(matched["smiling"], torch.tensor([[1.0, 0.0]]))
    assert counts["smiling"] == [int(smiling.sum()), int((kind == 1).sum() - smiling.sum())]  # kind-0 images unmatched
    assert torch.allclose(matched["kind:person"], torch.tensor([[0.0, 5.0]]))  # only the smiling=0 group matches


def test_direction_names():
    names = [n for n, *_ in targets({"glasses": ["no", "yes"], "gender": ["unspecified", "man", "woman"]})]
    assert names == ["glasses", "gender:man", "gender:woman"]


def test_directions_file_round_trip(tmp_path, G):
    d = {"smiling": torch.randn(G.num_ws, G.w_dim), "hair:red": torch.randn(G.num_ws, G.w_dim)}
    path = save_directions(tmp_path / "d.safetensors", d, model="tiny", source="generated", counts={"smiling": [3, 4]})
    back, meta = load_directions(path)
    assert meta["source"] == "generated" and meta["model"] == "tiny"
    assert all(torch.equal(back[k], d[k]) for k in d)
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(1)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(ValueError, match="not a GAN Hub directions"):
        load_directions(tmp_path / "other.safetensors")


def test_apply_direction_moves_only_chosen_rows(G):
    face = api.random_face(G, 1)
    d = torch.randn(G.num_ws, G.w_dim)
    out = api.apply_direction(G, face, d, 2.0)["ws"]
    assert torch.allclose(out, face["ws"] + 2.0 * d)
    fine = api.resolve_layers(G, "fine")
    out = api.apply_direction(G, face, d, 2.0, layers="fine")["ws"]
    for r in range(G.num_ws):
        expect = face["ws"][0, r] + (2.0 * d[r] if r in fine else 0)
        assert torch.allclose(out[0, r], expect)
    both = api.apply_directions(G, face, {"a": d, "b": -d}, {"a": 1.0, "b": 1.0})["ws"]
    assert torch.allclose(both, face["ws"], atol=1e-6)
    with pytest.raises(ValueError, match="rows"):
        api.apply_direction(G, face, torch.randn(G.num_ws + 1, G.w_dim), 1.0)
    with pytest.raises(KeyError):
        api.apply_directions(G, face, {"a": d}, {"missing": 1.0})


def test_direction_from_sets_recovers_a_planted_direction(G):
    """Images made at w_avg + d_true vs w_avg - d_true (different faces around each): the
    recovered direction points along d_true."""
    gen = torch.Generator().manual_seed(2)
    d_true = 0.5 * torch.randn(1, 1, G.w_dim, generator=gen).expand(1, G.num_ws, G.w_dim)
    base = G.w_avg.view(1, 1, -1)

    def images(sign, n=3):
        out = []
        for _ in range(n):
            w = base + sign * d_true + 0.05 * torch.randn(1, 1, G.w_dim, generator=gen)
            with torch.no_grad():
                out.append(G.synthesis(w.expand(1, G.num_ws, G.w_dim)).clamp(-1, 1))
        return out

    d = api.direction_from_sets(G, images(+1), images(-1), steps=40, perceptual=0.0)
    assert d.shape == (G.num_ws, G.w_dim)
    cos = torch.nn.functional.cosine_similarity(d.flatten(), (2 * d_true).flatten(), dim=0)
    assert float(cos) > 0.3, float(cos)
    with pytest.raises(ValueError):
        api.direction_from_sets(G, [], images(-1, 1))


def test_tab_builds_without_shipped_directions():
    from hub import INTERFACE_LATENT_GENERATOR, ModelSpec, hookimpl
    from hub.testing import make_app

    class TinyGAN:
        @staticmethod
        @hookimpl
        def register_models(register):
            register(ModelSpec(name="tiny-gan", family="test", interface=INTERFACE_LATENT_GENERATOR,
                               build=lambda paths: tiny_generator(noise_strength=None), offline=True))

    import plugins.attribute_vectors.plugin as plugin

    app = make_app([("tiny_gan", TinyGAN()), plugin], strict=True)
    assert not app.ganhub.errors, app.ganhub.errors
    names = {dep.get("api_name") for dep in app.config["dependencies"]}
    for action in ("sample", "invert", "apply", "direction_from_sets"):
        assert f"attribute_vectors_{action}" in names
