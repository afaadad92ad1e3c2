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


@pytest.fixture(scope="module")
def tab_app():
    """The tab built in an app whose only generator is a tiny one with no shipped directions."""
    from hub import INTERFACE_LATENT_GENERATOR, ModelSpec, hookimpl
    from hub.testing import make_app

    class TinyGAN:
        @staticmethod
        @hookimpl
        def register_models(register):
            register(ModelSpec(name="tiny-gan", family="test", interface=INTERFACE_LATENT_GENERATOR,
                               build=lambda paths: tiny_generator(noise_strength=None), offline=True))

    import plugins.attribute_vectors.plugin as plugin

    return make_app([("tiny_gan", TinyGAN()), plugin], strict=True)


def test_tab_builds_without_shipped_directions(tab_app):
    app = tab_app
    assert not app.ganhub.errors, app.ganhub.errors
    names = {dep.get("api_name") for dep in app.config["dependencies"]}
    for action in ("sample", "invert", "apply", "direction_from_sets", "labelfree_row"):
        assert f"attribute_vectors_{action}" in names
    from plugins.attribute_vectors.ui_handlers import MAX_SLIDERS

    pool = [c["props"] for c in app.config["components"]
            if c["type"] == "slider" and (c["props"].get("label") or "").startswith(("d", "custom"))]
    assert len(pool) == MAX_SLIDERS + 1  # the direction sliders and the custom one, all +-3 sigma
    assert all((p["minimum"], p["maximum"]) == (-3, 3) for p in pool)


# ------------------------------------------------------------------------------ sigma scale, label-free


def test_sigma_directions_use_the_files_sigmas_else_sampled_codes(G):
    d = {"a": 3.0 * torch.randn(G.num_ws, G.w_dim), "b": torch.randn(G.num_ws, G.w_dim)}
    scaled, sigmas = api.sigma_directions(G, d, {"sigmas": '{"a": 0.5}'})
    assert sigmas["a"] == 0.5 and torch.allclose(scaled["a"].norm(), torch.tensor(0.5))
    assert torch.allclose(scaled["a"] / 0.5, d["a"] / d["a"].norm())  # same direction, new length
    from hub.nn.directions import sampled_w

    codes = sampled_w(G, 4096).repeat(1, G.num_ws)  # W repeated over the rows, flattened
    unit = d["b"].flatten() / d["b"].norm()
    assert abs(sigmas["b"] - float((codes @ unit).std())) < 1e-4
    assert list(scaled) == ["a", "b"]


def test_shipped_directions_carry_their_sigmas():
    """Every shipped direction has the standard deviation of its training codes, so a slider step of 1
    is one sigma and +-3 stays far shorter than the raw mean differences (up to |d| 23.6) at 2.5."""
    import json
    from pathlib import Path

    path = Path(api.__file__).with_name("weights") / "stylegan2-emoji64-directions.safetensors"
    dirs, meta = load_directions(path)
    sigmas = json.loads(meta["sigmas"])
    assert set(sigmas) == set(dirs) and all(0 < s < 20 for s in sigmas.values())
    assert max(float(d.norm()) for d in dirs.values()) > 20  # raw: what today's +2.5 multiplied


def test_labelfree_directions_and_a_row_along_one(G, tmp_path, monkeypatch):
    monkeypatch.setenv("GANHUB_CACHE", str(tmp_path))
    sefa = api.labelfree_directions(G, "SeFa", layers="coarse", n=4)
    assert sefa.method == "sefa" and len(sefa) == 4 and sefa.layers == api.resolve_layers(G, "coarse")
    assert api.labelfree_directions(G, "ganspace", n=3).method == "ganspace"
    with pytest.raises(ValueError, match="method"):
        api.labelfree_directions(G, "pca")
    face = api.random_face(G, 4)
    row = api.row_along(G, face, sefa.wplus(0))
    assert len(row) == len(api.ALONG_SIGMAS) == 7 and row[0].size == (G.resolution, G.resolution)
    from plugins.wplus_editing.api import render_pil

    mid = np.asarray(row[3], dtype=np.int16)
    assert np.abs(mid - np.asarray(render_pil(G, face), dtype=np.int16)).max() <= 1  # alpha 0 is the start
    assert np.abs(np.asarray(row[0], dtype=np.int16) - np.asarray(row[6], dtype=np.int16)).mean() > 1


# ------------------------------------------------------------------------------ the tab's handlers


class TabContext:
    """What the tab's handlers use of a DemoContext, over one tiny generator without companions."""

    plugin = "attribute_vectors"
    heavy_concurrency_id = "heavy"

    def __init__(self, G):
        self.G = G

    def api_name(self, action):
        return f"attribute_vectors_{action}"

    def get_model(self, name):
        return self.G

    def models_for(self, interface):
        return ["tiny-gan"]

    def related_model(self, name, role):
        return None

    def related_name(self, name, role):
        return None


def test_a_new_start_clears_the_previous_edit(G, tmp_path, monkeypatch):
    """Issue 25: a new inversion left the previous edit on screen. Sampling, inverting and loading a
    latent now empty the edit's image, reading and file."""
    from plugins.attribute_vectors import ui_handlers as h

    monkeypatch.setenv("GANHUB_CACHE", str(tmp_path))
    ctx = TabContext(G)
    start = h.sample_face(ctx, "tiny-gan", 1, 0.7)
    kept, _, *_ = h.keep_component(ctx, "tiny-gan", next(iter(h.METHODS)), "all", 0, "first", {})
    assert kept == {"first": {"method": "sefa", "layers": "all", "component": 0}}
    edit = h.apply_sliders(ctx, "tiny-gan", start[2], "all", "", None, 0, kept, 2.0)
    assert edit[0] is not None and edit[2] and "first +2.0σ" in edit[1]
    photo = h._wapi().render_pil(G, h._api().random_face(G, 9))
    *_, last = h.invert_photo(ctx, "tiny-gan", photo, 2, progress=None)
    assert last[-3:] == h.CLEARED_EDIT and last[2] and last[2] == last[3]
    assert h.sample_face(ctx, "tiny-gan", 2, 0.7)[-3:] == h.CLEARED_EDIT
    assert h.load_latent_file(ctx, "tiny-gan", edit[2], last[2])[-3:] == h.CLEARED_EDIT
    assert h.load_latent_file(ctx, "tiny-gan", last[2], last[2])[0] is not None  # gr.update(): nothing changes


def test_the_start_actions_are_wired_to_clear_the_edit(tab_app):
    app = tab_app
    edited = next(c["id"] for c in app.config["components"] if c["props"].get("label") == "Start | edited")
    deps = {d.get("api_name"): d for d in app.config["dependencies"]}
    for action in ("sample", "invert"):
        assert edited in deps[f"attribute_vectors_{action}"]["outputs"], action
    assert edited in deps["load_latent_file"]["outputs"]

