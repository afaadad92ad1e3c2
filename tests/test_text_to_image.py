"""text_to_image: text encoder, GAN-CLS / GAN-INT pieces, the API's determinism, a resumable training smoke.

Everything runs on tiny configs (width 8, 16-d text) and a six-image dataset made from real emoji
names (labels from ``plugins.emoji.dataset.describe``), so no font rendering and no trained weights are needed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from plugins.text_to_image import api
from plugins.text_to_image.gan import (
    Discriminator, Generator, StyleEncoder, d_loss_cls, g_loss_int, interpolated, mismatched, truncated_normal,
)
from plugins.text_to_image.text_encoder import TextEncoder, symmetric_structured_hinge, tokenize

TINY_TEXT = dict(buckets=512, word_dim=16, hidden=16, embed_dim=16)
REPO = Path(__file__).resolve().parents[1]


def tiny_model(seed: int = 0) -> api.TextToImageModel:
    torch.manual_seed(seed)
    m = api.TextToImageModel(TextEncoder(**TINY_TEXT), Generator(16, width=8), StyleEncoder(width=8))
    for mod in m.G.modules():  # DCGAN's N(0, 0.02) init gives near-constant output at width 8: widen it
        if isinstance(mod, (torch.nn.ConvTranspose2d, torch.nn.Linear)):
            torch.nn.init.normal_(mod.weight, 0.0, 0.3)
    return m.eval().requires_grad_(False)


def tiny_dataset():
    from plugins.emoji.dataset import describe

    rows = [  # (name, group, subgroup, codepoints)
        ("man: red hair", "People & Body", "person", [0x1F468, 0x200D, 0x1F9B0]),
        ("woman: dark skin tone, curly hair", "People & Body", "person", [0x1F469, 0x1F3FF, 0x200D, 0x1F9B1]),
        ("grinning face", "Smileys & Emotion", "face-smiling", [0x1F600]),
        ("person: medium skin tone, bald", "People & Body", "person", [0x1F9D1, 0x1F3FD, 0x200D, 0x1F9B2]),
        ("woman running: medium skin tone", "People & Body", "person-activity", [0x1F3C3, 0x1F3FD, 0x200D, 0x2640]),
        ("man: light skin tone, white hair", "People & Body", "person", [0x1F468, 0x1F3FB, 0x200D, 0x1F9B3]),
    ]
    meta = [describe(*r) for r in rows]
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (len(meta), 64, 64, 3), dtype=np.uint8)
    return images, meta


# ---- text encoder --------------------------------------------------------------------------------

def test_text_encoder_free_text_deterministic_and_distinct():
    torch.manual_seed(0)
    enc = TextEncoder(**TINY_TEXT).eval()
    texts = ["a woman with red hair and dark skin tone",
             "dark skin tone and red hair, a woman",        # same words, another order
             "a ginger-haired lady, deep brown complexion",  # words never in any emoji name
             "zqxj flibbertigibbet",                          # nonsense still encodes
             ""]                                              # empty prompt gets a fixed vector
    with torch.no_grad():
        e1, e2 = enc(texts), enc(texts)
    assert e1.shape == (5, 16) and torch.isfinite(e1).all()
    assert torch.equal(e1, e2)
    assert torch.allclose(e1.norm(dim=1), torch.ones(5), atol=1e-5)
    dist = torch.cdist(e1, e1)
    assert (dist + torch.eye(5)).min() > 1e-4, "different captions must give different embeddings"
    # batching does not change a caption's embedding (padding is masked)
    with torch.no_grad():
        assert torch.allclose(enc([texts[2]])[0], e1[2], atol=1e-5)
    assert tokenize("Red-haired WOMAN!") == ["red", "haired", "woman"]


def test_unseen_word_shares_subwords_with_its_spelling_neighbour():
    torch.manual_seed(0)
    enc = TextEncoder(**TINY_TEXT)
    ids = lambda w: set(enc.tokens([w])[0].tolist())  # noqa: E731
    assert len(ids("haired") & ids("hair")) >= 3  # <h, ha, hai, air ... shared n-grams
    assert len(ids("haired") & ids("bald")) == 0 or len(ids("haired") & ids("bald")) < len(ids("haired") & ids("hair"))


def test_joint_embedding_loss_prefers_matched_pairs():
    x = torch.nn.functional.normalize(torch.randn(6, 8), dim=1)
    good = symmetric_structured_hinge(x, x)              # every caption equals its image
    bad = symmetric_structured_hinge(x, x.roll(1, 0))    # every caption belongs to another image
    assert good < bad
    same = torch.ones(6, 6, dtype=torch.bool)             # all pairs declared matching: no negatives
    assert symmetric_structured_hinge(x, x.roll(1, 0), same) == 0


# ---- GAN pieces ------------------------------------------------------------------------------------

def test_shapes():
    G, D, S = Generator(16, width=8), Discriminator(16, width=8), StyleEncoder(width=8)
    z, t = torch.randn(3, 100), torch.randn(3, 16)
    x = G(z, t)
    assert x.shape == (3, 3, 64, 64) and x.abs().max() <= 1
    assert D(x, t).shape == (3,)
    assert S(x).shape == (3, 100)
    assert torch.allclose(D.score(D.image(x), t), D(x, t))


def test_gan_cls_loss_weights_the_three_pairs_as_in_the_paper():
    s_r, s_w, s_f = (torch.randn(5, requires_grad=True) for _ in range(3))
    loss = d_loss_cls(s_r, s_w, s_f)
    ref = -(torch.log(torch.sigmoid(s_r)).mean()
            + 0.5 * (torch.log(1 - torch.sigmoid(s_w)).mean() + torch.log(1 - torch.sigmoid(s_f)).mean()))
    assert torch.allclose(loss, ref, atol=1e-5)
    loss.backward()
    assert (s_r.grad < 0).all()           # real + right text pushed up
    assert (s_w.grad > 0).all()           # real + WRONG text pushed down: the matching-aware term
    assert (s_f.grad > 0).all()           # fake + right text pushed down
    assert torch.allclose(s_w.grad, torch.sigmoid(s_w.detach()) * 0.5 / 5)
    g = g_loss_int(torch.zeros(4), torch.zeros(4))
    assert torch.allclose(g, 2 * torch.log(torch.tensor(2.0)))


def test_gan_int_interpolates_and_wrong_text_never_fits():
    gen = torch.Generator().manual_seed(0)
    t = torch.randn(8, 16)
    mid = interpolated(t, 0.5, gen)
    # each row is the midpoint of itself and some row of the batch
    for i in range(8):
        other = 2 * mid[i] - t[i]
        assert torch.allclose(torch.cdist(other[None], t).min(), torch.tensor(0.0), atol=1e-4)
    keys = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    fits = keys[:, None] == keys[None, :]
    wrong = mismatched(t, fits, gen)
    for i in range(8):
        j = int(torch.cdist(wrong[i:i + 1], t).argmin())
        assert keys[j] != keys[i]


def test_truncated_normal_is_bounded_and_seeded():
    a = truncated_normal((1000, 4), 0.5, torch.Generator().manual_seed(3))
    b = truncated_normal((1000, 4), 0.5, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and a.abs().max() <= 0.5 + 1e-6 and a.std() > 0.2


# ---- API -------------------------------------------------------------------------------------------

def test_generate_is_seeded_and_per_image():
    m = tiny_model()
    a = api.generate_tensor("a bald man", n=4, seed=10, model=m)
    b = api.generate_tensor("a bald man", n=4, seed=10, model=m)
    assert torch.equal(a, b)
    one = api.generate_tensor("a bald man", n=1, seed=12, model=m)[0]
    assert torch.allclose(one, a[2], atol=1e-3)  # image i <-> seed + i, whatever n is (conv kernels vary by batch)
    assert (a[0] - a[1]).abs().mean() > 1e-3  # different seeds differ
    c = api.generate_tensor("a woman with curly hair", n=4, seed=10, model=m)
    assert (a - c).abs().mean() > 1e-4      # the prompt matters
    ims = api.generate("a bald man", n=2, seed=0, truncation=0.7, model=m)
    assert len(ims) == 2 and ims[0].size == (64, 64) and ims[0].mode == "RGB"
    with pytest.raises(ValueError):
        api.generate("   ", model=m)
    with pytest.raises(ValueError):
        api.generate("x", n=0, model=m)


def test_interpolate_ends_at_both_prompts_and_restyle_runs():
    m = tiny_model()
    frames = api.interpolate("man with red hair", "grinning face", steps=5, seed=3, model=m)
    assert len(frames) == 5
    first = api.generate("man with red hair", n=1, seed=3, model=m)[0]
    last = api.generate("grinning face", n=1, seed=3, model=m)[0]
    assert np.abs(np.asarray(frames[0], int) - np.asarray(first, int)).max() <= 1
    assert np.abs(np.asarray(frames[-1], int) - np.asarray(last, int)).max() <= 1
    assert api.strip_image(frames).size == (5 * 64, 64)
    assert api.gif_bytes(frames)[:6] in (b"GIF89a", b"GIF87a")
    from PIL import Image

    out = api.restyle("a woman with blond hair", Image.new("RGB", (100, 80), (200, 150, 90)), model=m)
    assert out.size == (64, 64)


def test_weights_file_roundtrip(tmp_path):
    from plugins.text_to_image.train import save_weights

    m = tiny_model(1)
    path = save_weights(tmp_path / "t2i.safetensors", m.text_encoder, m.G, m.S, step=7)
    loaded = api.build({api.WEIGHT_ID: path})
    a = api.generate_tensor("a person with white hair", n=2, seed=0, model=m)
    b = api.generate_tensor("a person with white hair", n=2, seed=0, model=loaded)
    assert (a - b).abs().mean() < 0.01  # fp16 storage; the tiny test net amplifies rounding
    for (k, v), w in zip(m.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(v.half().float() if v.is_floating_point() else v, w), k


# ---- training --------------------------------------------------------------------------------------

def _trainer(out_dir, log=lambda *_: None):
    from plugins.text_to_image.train import Trainer

    images, meta = tiny_dataset()
    return Trainer(out_dir, batch=4, width=8, text_steps=2, text_kwargs=TINY_TEXT, images=images, meta=meta, log=log)


def test_training_three_pairs_and_resume_is_the_same_run(tmp_path):
    straight = _trainer(tmp_path / "a")
    seen = []
    score = straight.D.score
    straight.D.score = lambda h, t: (seen.append(t.detach().clone()), score(h, t))[1]
    for _ in range(3):
        stats = straight.step()
    assert all(np.isfinite(v) for v in stats.values())
    # step 1 of D: (real, right), (real, wrong) on one image pass, then (fake, right); then G: right and interpolated
    right, wrong, fake_right, g_right, g_int = seen[:5]
    assert torch.equal(right, fake_right) and torch.equal(right, g_right)
    assert not torch.equal(right, wrong) and not torch.equal(right, g_int)

    resumed = _trainer(tmp_path / "b")
    resumed.step(), resumed.step()
    resumed.save()
    again = _trainer(tmp_path / "b")
    assert again.step_count == 2
    again.step()
    for (k, a), b in zip(straight.G.state_dict().items(), again.G.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=1e-5), k
    assert (tmp_path / "b" / "text_encoder.safetensors").exists()
    again.sample_grid(tmp_path / "grid.png", seeds=range(2))
    from PIL import Image

    assert Image.open(tmp_path / "grid.png").size == (2 * 64, 8 * 64)


def test_mode_seeking_segment_is_recorded_and_changes_the_generator_update(tmp_path):
    """--mode-seeking adds a term to G's loss (so G moves differently) and opens a new schedule segment."""
    from plugins.text_to_image.train import Trainer

    images, meta = tiny_dataset()
    plain = _trainer(tmp_path / "a")
    plain.step(), plain.save()
    kw = dict(batch=4, width=8, text_steps=2, text_kwargs=TINY_TEXT, images=images, meta=meta, log=lambda *_: None)
    cont = Trainer(tmp_path / "a", mode_seeking=1.0, **kw)
    assert [seg["mode_seeking"] for seg in cont.schedule] == [0.0, 1.0] and cont.schedule[1]["from_step"] == 1
    same = Trainer(tmp_path / "a", **kw)  # same settings as the first segment: compare one step of each
    stats = cont.step()
    same.step()
    assert stats["ms_ratio"] > 0 and np.isfinite(stats["ms_ratio"])
    moved = [not torch.allclose(a, b) for a, b in zip(cont.G.state_dict().values(), same.G.state_dict().values())
             if a.is_floating_point()]
    assert any(moved)
    cont.save()
    import json

    from hub.training import latest_checkpoint

    state = json.loads((latest_checkpoint(tmp_path / "a") / "state.json").read_text())
    assert [seg["mode_seeking"] for seg in state["schedule"]] == [0.0, 1.0]


def test_paraphrases_name_every_attribute():
    from plugins.text_to_image.train_text import captions_for, is_portrait

    _, meta = tiny_dataset()
    caps = captions_for(meta[1])  # woman, curly hair, dark skin tone
    assert meta[1]["caption"] in caps and is_portrait(meta[1]) and not is_portrait(meta[4])
    assert any("curly-haired woman" in c and "dark skin" in c for c in caps)
    assert any(c.startswith("a woman with curly hair and dark skin") for c in caps)
    assert captions_for(meta[2])[0] == "grinning face"


def test_import_is_light_and_registers():
    code = ("import sys, plugins.text_to_image.plugin as p; assert 'torch' not in sys.modules, 'torch imported';"
            "specs=[]; p.register_models(specs.append); s=specs[0];"
            "assert (s.name, s.family, s.interface) == ('text-to-image-emoji64','gan-cls','TextToImage');"
            "from hub.testing import make_hub; h = make_hub([p], strict=True);"
            "assert h.models.spec(s.name).offline, 'its weight is embedded, so the registry derives offline'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_tab_builds_with_namespaced_api_names():
    import plugins.text_to_image.plugin as plugin
    from hub.app import public_api_names
    from hub.testing import make_app

    app = make_app([plugin], strict=True)
    names = set(public_api_names(app))
    assert {"text_to_image_generate", "text_to_image_interpolate", "text_to_image_restyle"} <= names


def test_api_takes_modules_not_names():
    with pytest.raises(TypeError, match="hub.get_model"):
        api.generate("a bald man", model="text-to-image-emoji64")


def test_enter_in_the_prompt_generates():
    """A one-line prompt box whose Enter runs the same handler as the Generate button (it inserted a newline)."""
    import plugins.text_to_image.plugin as plugin
    from hub.testing import make_app

    app = make_app([plugin], strict=True)
    [prompt] = [b for b in app.blocks.values() if getattr(b, "label", None) == "Prompt"]
    assert prompt.lines == 1 and prompt.max_lines == 1
    fns = {f.api_name: f for f in app.fns.values() if isinstance(getattr(f, "api_name", None), str)}
    submit, click = fns["text_to_image_generate_submit"], fns["text_to_image_generate"]
    assert (prompt._id, "submit") in [(t[0], t[1]) for t in submit.targets]
    assert [b._id for b in submit.inputs] == [b._id for b in click.inputs]
    gallery = submit.fn("text-to-image-emoji64", "a bald man", 3, 2, 0)
    assert [caption for _, caption in gallery] == ["seed 3", "seed 4"] and gallery[0][0].size == (256, 256)
