"""image_translation plugin: official layouts (strict loads), converters, PatchGAN, pool, line maps,
the API, both trainers (seeded, resumable, unpaired), the Twemoji builder, the embedded models and the tab."""

from __future__ import annotations

import json
import random
import tarfile
import io
from pathlib import Path

import numpy as np
import pytest
import torch

from plugins.image_translation import convert, sketch
from plugins.image_translation.models import (ImagePool, PatchDiscriminator, ResNetGenerator, UNetGenerator,
                                              generator_from_state_dict, receptive_field)

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "plugins" / "image_translation"


# ---------------------------------------------------------------------------------------------
# The official layouts, written out from upstream's networks.py (key names and shapes), independent
# of our classes: a random state dict of exactly that layout must load strictly.

def _official_unet_shapes(num_downs=8, ngf=64, in_nc=3, out_nc=3, batch_norm=True):
    """junyanz UnetGenerator: nested UnetSkipConnectionBlock, each ``self.model = nn.Sequential(...)``."""
    shapes = {}
    bias = not batch_norm

    def norm(prefix, c):
        if batch_norm:
            shapes.update({f"{prefix}.weight": (c,), f"{prefix}.bias": (c,), f"{prefix}.running_mean": (c,),
                           f"{prefix}.running_var": (c,), f"{prefix}.num_batches_tracked": ()})

    # (outer, inner) from the outermost level inwards
    levels = [(out_nc, ngf), (ngf, ngf * 2), (ngf * 2, ngf * 4), (ngf * 4, ngf * 8)] + [(ngf * 8, ngf * 8)] * (num_downs - 4)
    prefix = "model"
    for i, (outer, inner) in enumerate(levels):
        p = f"{prefix}.model"
        if i == 0:  # outermost: [downconv, submodule, ReLU, upconv, Tanh]
            shapes[f"{p}.0.weight"] = (inner, in_nc, 4, 4)
            if bias:
                shapes[f"{p}.0.bias"] = (inner,)
            shapes[f"{p}.3.weight"], shapes[f"{p}.3.bias"] = (inner * 2, outer, 4, 4), (outer,)
            prefix = f"{p}.1"
        elif i == len(levels) - 1:  # innermost: [LReLU, downconv, ReLU, upconv, upnorm]
            shapes[f"{p}.1.weight"] = (inner, outer, 4, 4)
            shapes[f"{p}.3.weight"] = (inner, outer, 4, 4)
            if bias:
                shapes[f"{p}.1.bias"], shapes[f"{p}.3.bias"] = (inner,), (outer,)
            norm(f"{p}.4", outer)
        else:  # [LReLU, downconv, downnorm, submodule, ReLU, upconv, upnorm, (Dropout)]
            shapes[f"{p}.1.weight"] = (inner, outer, 4, 4)
            norm(f"{p}.2", inner)
            shapes[f"{p}.5.weight"] = (inner * 2, outer, 4, 4)
            if bias:
                shapes[f"{p}.1.bias"], shapes[f"{p}.5.bias"] = (inner,), (outer,)
            norm(f"{p}.6", outer)
            prefix = f"{p}.3"
    return shapes


def _official_resnet_shapes(n_blocks=9, ngf=64, in_nc=3, out_nc=3):
    """junyanz ResnetGenerator with instance norm (no affine, no stats): one flat nn.Sequential."""
    s = {"model.1.weight": (ngf, in_nc, 7, 7), "model.1.bias": (ngf,),
         "model.4.weight": (ngf * 2, ngf, 3, 3), "model.4.bias": (ngf * 2,),
         "model.7.weight": (ngf * 4, ngf * 2, 3, 3), "model.7.bias": (ngf * 4,)}
    for b in range(n_blocks):
        for conv in (1, 5):
            s[f"model.{10 + b}.conv_block.{conv}.weight"] = (ngf * 4, ngf * 4, 3, 3)
            s[f"model.{10 + b}.conv_block.{conv}.bias"] = (ngf * 4,)
    up = 10 + n_blocks
    s[f"model.{up}.weight"], s[f"model.{up}.bias"] = (ngf * 4, ngf * 2, 3, 3), (ngf * 2,)
    s[f"model.{up + 3}.weight"], s[f"model.{up + 3}.bias"] = (ngf * 2, ngf, 3, 3), (ngf,)
    s[f"model.{up + 7}.weight"], s[f"model.{up + 7}.bias"] = (out_nc, ngf, 7, 7), (out_nc,)
    return s


def _random(shapes, device="cpu"):
    g = torch.Generator().manual_seed(0)
    out = {}
    for k, s in shapes.items():
        if k.endswith("num_batches_tracked"):
            out[k] = torch.tensor(7, dtype=torch.long)
        elif k.endswith("running_var"):
            out[k] = torch.rand(s, generator=g) + 0.5
        elif device == "meta":
            out[k] = torch.empty(s, device="meta")
        else:
            out[k] = torch.randn(s, generator=g) * 0.05
    return out


def test_unet_256_official_layout_loads_strict_at_full_size():
    shapes = _official_unet_shapes(8, 64)  # pix2pix --netG unet_256 --norm batch (facades, edges2shoes)
    assert "model.model.0.weight" in shapes and "model.model.1.model.3.model.3.model.3.model.3.model.3.model.3.model.1.weight" in shapes
    net = UNetGenerator(3, 3, 8, 64, "batch")
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == {k: tuple(s) for k, s in shapes.items()}
    converted = convert.official_to_unet({k: torch.empty(s, device="meta") if s else torch.tensor(0) for k, s in shapes.items()})
    net.load_state_dict(converted, strict=True, assign=True)


def test_resnet_9blocks_official_layout_loads_strict_at_full_size():
    shapes = _official_resnet_shapes(9, 64)  # CycleGAN --netG resnet_9blocks --norm instance
    assert max(int(k.split(".")[1]) for k in shapes) == 26
    net = ResNetGenerator(3, 3, 64, 9, "instance")
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == shapes
    net.load_state_dict(convert.official_to_resnet(_random(shapes, "meta")), strict=True, assign=True)


def test_small_official_generators_convert_load_and_run():
    unet = convert.official_generator(_random(_official_unet_shapes(5, 8, in_nc=1)))
    g = generator_from_state_dict(unet)
    assert isinstance(g, UNetGenerator) and g.config["num_downs"] == 5 and g.config["in_channels"] == 1
    assert g.eval()(torch.zeros(1, 1, 32, 32)).shape == (1, 3, 32, 32)
    res = generator_from_state_dict(convert.official_generator(_random(_official_resnet_shapes(2, 8))))
    assert isinstance(res, ResNetGenerator) and res.config["n_blocks"] == 2
    assert res(torch.zeros(1, 3, 32, 32)).shape == (1, 3, 32, 32)


def test_converter_handles_old_and_dataparallel_saves_and_refuses_foreign_layouts():
    res = _random(_official_resnet_shapes(2, 8))
    old = {f"module.{k}": v for k, v in res.items()}
    # PyTorch < 0.4 saved running statistics for InstanceNorm; upstream drops them at load time
    old["module.model.2.running_mean"] = torch.zeros(8)
    old["module.model.2.running_var"] = torch.ones(8)
    assert convert.official_to_resnet(old).keys() == res.keys()
    unet = _random(_official_unet_shapes(5, 8))
    no_nbt = {k: v for k, v in unet.items() if not k.endswith("num_batches_tracked")}  # old BN saves
    fixed = convert.official_to_unet(no_nbt)
    assert fixed.keys() == unet.keys()
    with pytest.raises(KeyError):
        convert.official_to_resnet({"conv_first.weight": torch.zeros(1)})
    broken = dict(res)
    broken["model.4.weight"] = torch.zeros(3, 3, 3, 3)
    with pytest.raises(KeyError):
        convert.official_to_resnet(broken)


def test_horse2zebra_converts_through_the_weight_store(tmp_path):
    """`ganhub weights convert cyclegan-horse2zebra --from horse2zebra.pth`: pickle -> safetensors -> model."""
    from hub.weights import WeightStore, load_manifest
    from plugins.image_translation.api import CycleGANModel, cycle, translate
    from plugins.image_translation.plugin import model_specs

    spec = next(s for s in load_manifest(PLUGIN / "weights.yaml") if s.id == "cyclegan-horse2zebra")
    assert spec.format == "pickle" and spec.converter == "plugins.image_translation.convert:official_to_resnet"
    store = WeightStore(cache_dir=tmp_path / "hf", converted_dir=tmp_path / "converted")
    store.add(spec, plugin="image_translation")
    upstream = tmp_path / "horse2zebra.pth"
    torch.save(_random(_official_resnet_shapes(2, 8)), upstream)
    out = store.convert("cyclegan-horse2zebra", source_file=upstream)
    model = next(s for s in model_specs() if s.name == "cyclegan-horse2zebra").build({"cyclegan-horse2zebra": out})
    assert isinstance(model, CycleGANModel) and model.F is None and model.resolution == 256
    img = np.full((40, 60, 3), 128, np.uint8)
    fake, rec = cycle(model.eval(), img, "horse2zebra")
    assert fake.size == (256, 256) and rec is None
    assert translate(model, img, "AtoB").size == (256, 256)
    with pytest.raises(ValueError):
        cycle(model, img, "zebra2horse")


# The other public generators of weights.yaml and the upstream layout each one is: pix2pix --netG
# unet_256 --norm batch, CycleGAN --netG resnet_9blocks --norm instance (ngf 64, RGB -> RGB).
PUBLIC_GENERATORS = {"cyclegan-apple2orange": "resnet", "cyclegan-zebra2horse": "resnet",
                     "cyclegan-style-monet": "resnet", "pix2pix-cityscapes-512x1024": "unet"}


@pytest.mark.parametrize("weight_id", sorted(PUBLIC_GENERATORS))
def test_public_generators_convert_strictly_through_the_weight_store(tmp_path, weight_id):
    """A random state dict of the entry's exact upstream layout (full size) -> `ganhub weights convert`
    with the entry's own converter -> a strict load into our generator -> the plugin's builder runs it."""
    import dataclasses
    import re

    from safetensors.torch import load_file

    from hub.weights import WeightStore, load_manifest
    from plugins.image_translation.api import CycleGANModel, Pix2PixModel, build_cyclegan, build_pix2pix

    spec = next(s for s in load_manifest(PLUGIN / "weights.yaml") if s.id == weight_id)
    layout = PUBLIC_GENERATORS[weight_id]
    assert spec.format == "pickle" and spec.repo_id and not spec.embedded
    assert spec.converter == f"plugins.image_translation.convert:official_to_{layout}"
    assert re.fullmatch(r"[0-9a-f]{40}", spec.revision or "")  # a commit, never a moving branch
    assert spec.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", spec.sha256)
    store = WeightStore(cache_dir=tmp_path / "hf", converted_dir=tmp_path / "converted")
    # a random file cannot match a pinned digest: check the layout, not the bytes
    store.add(dataclasses.replace(spec, sha256=None), plugin="image_translation")
    shapes = _official_unet_shapes(8, 64) if layout == "unet" else _official_resnet_shapes(9, 64)
    upstream = tmp_path / "latest_net_G.pth"
    torch.save(_random(shapes), upstream)
    out = store.convert(weight_id, source_file=upstream)
    converted = load_file(str(out))
    assert {k: tuple(v.shape) for k, v in converted.items()} == {k: tuple(s) for k, s in shapes.items()}
    net = UNetGenerator(3, 3, 8, 64, "batch") if layout == "unet" else ResNetGenerator(3, 3, 64, 9, "instance")
    net.load_state_dict(converted, strict=True)
    if layout == "unet":  # eight stride-2 levels: 256 px is the smallest input
        model = build_pix2pix(out, source="image", name=weight_id)
        assert isinstance(model, Pix2PixModel) and model.resolution == 256
        with torch.no_grad():
            y = model.eval()(torch.zeros(1, 3, 256, 256))
        assert y.shape == (1, 3, 256, 256)
    else:
        model = build_cyclegan([out], 256, name=weight_id)
        assert isinstance(model, CycleGANModel) and model.F is None
        with torch.no_grad():
            y = model.G.eval()(torch.zeros(1, 3, 64, 64))
        assert y.shape == (1, 3, 64, 64)
    assert torch.isfinite(y).all() and y.abs().max() <= 1


# ---------------------------------------------------------------------------------------------
# Building blocks

@pytest.mark.parametrize("n_layers,rf", [(1, 16), (2, 34), (3, 70)])
def test_patchgan_receptive_field_is_measured(n_layers, rf):
    assert receptive_field(n_layers) == rf
    d = PatchDiscriminator(3, 4, n_layers, "none").eval()  # a norm would couple every position
    x = torch.zeros(1, 3, 160, 160, requires_grad=True)
    out = d(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    rows = (x.grad.abs().sum((0, 1, 3)) > 0).nonzero()
    assert int(rows.max() - rows.min() + 1) == rf


def test_image_pool_keeps_fifty_and_mixes_history():
    pool = ImagePool(50)
    rng = random.Random(0)
    first = pool.query(torch.arange(50.0).view(50, 1, 1, 1), rng)
    assert torch.equal(first.flatten(), torch.arange(50.0)) and len(pool.images) == 50
    new = torch.arange(100.0, 300.0).view(200, 1, 1, 1)
    out = pool.query(new, rng)
    from_history = (out != new).float().mean()
    assert 0.4 < from_history < 0.6 and len(pool.images) == 50  # half come from the history
    assert set(torch.cat(pool.images).flatten().tolist()) <= set(range(300))
    state = pool.state_dict()
    other = ImagePool(50)
    other.load_state_dict(state)
    assert torch.equal(torch.cat(other.images), torch.cat(pool.images))
    assert torch.equal(ImagePool(0).query(torch.ones(3, 1, 1, 1), rng), torch.ones(3, 1, 1, 1))


def test_unet_dropout_noise_is_the_only_randomness_and_stays_off_by_default():
    from plugins.image_translation.models import set_dropout_noise

    torch.manual_seed(0)
    g = UNetGenerator(1, 3, 6, 4, "batch", dropout_levels=2).eval()
    x = torch.randn(1, 1, 64, 64)
    with torch.no_grad():
        assert torch.equal(g(x), g(x))
        assert set_dropout_noise(g, True) == 2
        a, b = g(x), g(x)
        set_dropout_noise(g, False)
    assert not torch.equal(a, b)


# ---------------------------------------------------------------------------------------------
# Line maps

def _face(size=64):
    import cv2

    img = np.full((size, size, 3), 255, np.uint8)
    cv2.circle(img, (size // 2, size // 2), size // 3, (255, 200, 40), -1)
    cv2.circle(img, (size // 2 - 8, size // 2 - 5), 3, (60, 40, 20), -1)
    cv2.ellipse(img, (size // 2, size // 2 + 6), (10, 5), 0, 0, 180, (60, 40, 20), 2)
    return img


def test_edges_are_binary_line_maps_at_the_model_resolution():
    lines = sketch.edges(_face(200))
    assert lines.shape == (64, 64) and lines.dtype == np.uint8 and set(np.unique(lines)) <= {0, 255}
    assert 0.02 < (lines == 0).mean() < 0.3
    rgba = np.zeros((50, 50, 4), np.uint8)  # transparent: white paper, no lines
    assert (sketch.edges(rgba) == 255).all()


def test_sketch_lines_crop_centre_and_keep_thin_strokes():
    import cv2

    canvas = np.full((800, 800, 3), 255, np.uint8)
    cv2.circle(canvas, (200, 200), 90, (0, 0, 0), 8)  # small and off-centre, 8 px pen
    lines = sketch.sketch_lines(canvas)
    ys, xs = np.nonzero(lines == 0)
    assert abs(ys.mean() - 31.5) < 2 and abs(xs.mean() - 31.5) < 2  # centred
    assert xs.max() - xs.min() > 50  # scaled up to fill the canvas
    assert (lines == 0).mean() < 0.25


def test_training_edges_are_seeded_and_vary():
    img = _face()
    a = sketch.training_edges(img, np.random.default_rng([0, 5]))
    b = sketch.training_edges(img, np.random.default_rng([0, 5]))
    c = sketch.training_edges(img, np.random.default_rng([0, 6]))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.array_equal(sketch.training_edges(img, np.random.default_rng(0), jitter=False), sketch.edges(img))


def test_hand_drawn_sketches_are_drawings():
    from plugins.image_translation.api import looks_like_drawing

    drawings = sketch.hand_drawn_sketches(4, seed=3)
    assert len(drawings) == 4 and drawings[0].shape == (256, 256, 3)
    assert all(looks_like_drawing(d) for d in drawings)
    assert not looks_like_drawing(_face())
    assert np.array_equal(drawings[1], sketch.hand_drawn_sketches(4, seed=3)[1])


# ---------------------------------------------------------------------------------------------
# The API on small random models

def _tiny_pix2pix():
    from plugins.image_translation.api import Pix2PixModel

    torch.manual_seed(0)
    return Pix2PixModel(UNetGenerator(1, 3, 6, 4, "batch", dropout_levels=2), 64, "lines", "tiny").eval()


def test_pix2pix_api_samples_translate_and_edges():
    from PIL import Image

    from plugins.image_translation.api import edges, line_map, samples, translate

    m = _tiny_pix2pix()
    drawing = sketch.hand_drawn_sketches(1)[0]
    lines, outs = samples(m, drawing, 3, seed=4)
    assert lines.size == (64, 64) and len(outs) == 3 and all(o.size == (64, 64) for o in outs)
    assert not np.array_equal(np.asarray(outs[0]), np.asarray(outs[1]))  # different dropout noise
    again = samples(m, drawing, 3, seed=4)[1]
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(outs, again))  # seeded
    still = samples(m, drawing, 2, noise=False)[1]
    assert np.array_equal(np.asarray(still[0]), np.asarray(still[1]))
    assert isinstance(translate(m, drawing), Image.Image)
    assert np.array_equal(np.asarray(edges(_face())), sketch.edges(_face()))
    assert np.array_equal(line_map(m, _face()), sketch.edges(_face()))  # auto: a picture -> its edges
    assert np.array_equal(line_map(m, drawing), sketch.sketch_lines(drawing))  # auto: a drawing -> strokes


def test_cyclegan_api_cycle_and_directions():
    from plugins.image_translation.api import CycleGANModel, cycle, parse_direction, translate

    torch.manual_seed(0)
    m = CycleGANModel(ResNetGenerator(3, 3, 4, 1), ResNetGenerator(3, 3, 4, 1), 64, ("noto", "twemoji")).eval()
    for d in ("AtoB", "noto2twemoji", "forward"):
        assert parse_direction(m, d)
    for d in ("BtoA", "twemoji2noto", "Twemoji -> Noto"):
        assert not parse_direction(m, d)
    with pytest.raises(ValueError):
        parse_direction(m, "sideways")
    fake, rec = cycle(m, _face(100), "noto2twemoji")
    assert fake.size == rec.size == (64, 64)
    back = cycle(m, _face(100), "twemoji2noto")[0]
    assert not np.array_equal(np.asarray(fake), np.asarray(back))
    assert np.array_equal(np.asarray(translate(m, _face(100), "AtoB")), np.asarray(fake))
    with pytest.raises(TypeError):
        translate(m, _face(100))


# ---------------------------------------------------------------------------------------------
# Trainers on tiny fake data

@pytest.fixture
def tiny_data(monkeypatch):
    rng = np.random.default_rng(0)
    faces = []
    for i in range(12):
        img = _face()
        img[..., 0] = np.uint8(40 * (i % 6))
        faces.append(img)
    noto = np.stack(faces)
    tw = np.ascontiguousarray(noto[:, :, :, ::-1])
    meta = [{"split": "train", "base_name": f"b{i}"} for i in range(12)]
    import plugins.emoji.dataset as D
    import plugins.emoji.twemoji as T

    monkeypatch.setattr(D, "load_emoji_arrays", lambda res=64, split="train", root=None: (noto[:8] if split == "train" else noto[8:], meta[:8]))
    monkeypatch.setattr(T, "load_twemoji_arrays", lambda res=64, split="train", root=None: (tw[:8], meta[:8]))
    del rng
    return noto, tw


def _weights(run):
    from safetensors.torch import load_file

    from hub.training import latest_checkpoint

    return load_file(str(latest_checkpoint(run) / "G.safetensors"))


def test_pix2pix_trainer_is_seeded_and_resumes_as_one_run(tmp_path, tiny_data):
    from plugins.image_translation.train_pix2pix import lr_at, main, make_batch

    tiny = ["--ngf", "4", "--ndf", "4", "--num-downs", "6", "--batch", "2", "--every", "2", "--threads", "1"]
    assert main(["--steps", "3", "--out", str(tmp_path / "a")] + tiny) == 0
    assert main(["--steps", "2", "--out", str(tmp_path / "b")] + tiny) == 0
    assert main(["--steps", "3", "--out", str(tmp_path / "b")] + tiny) == 0  # resumed at step 2
    a, b = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert all(torch.equal(a[k], b[k]) for k in a)
    state = json.loads(((tmp_path / "b") / "latest.json").read_text())
    assert state["step"] == 3
    x1, y1 = make_batch(tiny_data[0][:8], 5, 0, 2)
    x2, y2 = make_batch(tiny_data[0][:8], 5, 0, 2)
    assert torch.equal(x1, x2) and torch.equal(y1, y2) and x1.shape == (2, 1, 64, 64)
    assert lr_at(0, 100, 2e-4, 0.5) == lr_at(50, 100, 2e-4, 0.5) == 2e-4
    assert lr_at(75, 100, 2e-4, 0.5) == pytest.approx(1e-4) and lr_at(100, 100, 2e-4, 0.5) == 0


def test_cyclegan_trainer_is_unpaired_seeded_and_resumes_as_one_run(tmp_path, tiny_data):
    from plugins.image_translation.train_cyclegan import domain_batch, main

    tiny = ["--ngf", "4", "--ndf", "4", "--blocks", "1", "--batch", "2", "--every", "2", "--pool", "3", "--threads", "1"]
    assert main(["--steps", "3", "--out", str(tmp_path / "a")] + tiny) == 0
    assert main(["--steps", "2", "--out", str(tmp_path / "b")] + tiny) == 0
    assert main(["--steps", "3", "--out", str(tmp_path / "b")] + tiny) == 0
    a, b = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert all(torch.equal(a[k], b[k]) for k in a)
    # the two domains draw from independent streams: their indices do not follow each other
    same = sum(np.array_equal(domain_batch(tiny_data[0], s, 0, 0, 4)[1], domain_batch(tiny_data[1], s, 0, 1, 4)[1])
               for s in range(50))
    assert same <= 2


def test_cyclegan_d_warmup_steps_leave_the_generators_alone(tmp_path, tiny_data):
    from safetensors.torch import load_file

    from hub.training import latest_checkpoint
    from plugins.image_translation.train_cyclegan import main

    tiny = ["--ngf", "4", "--ndf", "4", "--blocks", "1", "--batch", "2", "--pool", "3", "--threads", "1"]
    assert main(["--steps", "0", "--out", str(tmp_path / "a")] + tiny) == 0
    assert main(["--steps", "2", "--d-warmup", "2", "--out", str(tmp_path / "b")] + tiny) == 0
    a, b = latest_checkpoint(tmp_path / "a"), latest_checkpoint(tmp_path / "b")
    for name in ("G", "F"):
        before, after = load_file(str(a / f"{name}.safetensors")), load_file(str(b / f"{name}.safetensors"))
        assert all(torch.equal(before[k], after[k]) for k in before)
    d0, d1 = load_file(str(a / "D_X.safetensors")), load_file(str(b / "D_X.safetensors"))
    assert any(not torch.equal(d0[k], d1[k]) for k in d0)


def test_cyclegan_warm_start_loads_both_generators_from_a_shipped_file(tmp_path):
    from safetensors.torch import save_file

    from plugins.image_translation.train_cyclegan import init_from_embedded

    torch.manual_seed(0)
    g, f = ResNetGenerator(3, 3, 4, 1), ResNetGenerator(3, 3, 4, 1)
    shipped = {**{f"G.{k}": v.half() for k, v in g.state_dict().items()},
               **{f"F.{k}": v.half() for k, v in f.state_dict().items()}}
    save_file(shipped, str(tmp_path / "pair.safetensors"))
    g2, f2 = ResNetGenerator(3, 3, 4, 1), ResNetGenerator(3, 3, 4, 1)
    init_from_embedded(g2, f2, tmp_path / "pair.safetensors")
    for mine, theirs, prefix in ((g2, g, "G."), (f2, f, "F.")):
        for k, v in mine.state_dict().items():
            assert v.dtype == theirs.state_dict()[k].dtype and torch.equal(v, shipped[prefix + k].to(v.dtype))
    assert not torch.equal(g2.state_dict()["model.1.weight"], f2.state_dict()["model.1.weight"])


# ---------------------------------------------------------------------------------------------
# The Twemoji builder (a fake package tarball; the real one is fetched by `npm pack`)

def test_twemoji_builder_follows_the_noto_records(tmp_path, monkeypatch):
    from PIL import Image

    import plugins.emoji.dataset as D
    import plugins.emoji.twemoji as T

    records = [{"name": n, "codepoints": cps, "split": sp, "base_name": n, "glyph": "g"}
               for n, cps, sp in [("grinning face", ["1F600"], "train"), ("smiling face", ["263A", "FE0F"], "heldout"),
                                  ("missing", ["1F9FF"], "train")]]
    monkeypatch.setattr(D, "catalog", lambda: (records, []))
    tgz = tmp_path / "pkg.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        for name, colour in (("1f600.png", (255, 204, 77, 255)), ("263a.png", (200, 50, 50, 255))):
            buf = io.BytesIO()
            im = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
            im.paste(Image.new("RGBA", (40, 40), colour), (12, 12))
            im.save(buf, "PNG")
            info = tarfile.TarInfo(f"package/img/twitter/64/{name}")
            info.size = len(buf.getvalue())
            tar.addfile(info, io.BytesIO(buf.getvalue()))
    monkeypatch.setattr(T, "package_tarball", lambda fetch=True: tgz)
    out = T.build(64, root=tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["count"] == 2 and manifest["dropped"] == ["missing"] and manifest["heldout"] == 1
    images, meta = T.load_twemoji_arrays(64, "all", root=tmp_path)
    assert images.shape == (2, 64, 64, 3) and [m["noto_index"] for m in meta] == [0, 1]
    assert meta[1]["twemoji_image"] == "263a.png" and meta[1]["split"] == "heldout"
    assert tuple(images[0, 0, 0]) == (255, 255, 255) and tuple(images[0, 32, 32]) == (255, 204, 77)
    held, held_meta = T.load_twemoji_arrays(64, "heldout", root=tmp_path)
    assert len(held) == 1 and held_meta[0]["name"] == "smiling face"
    assert T.image_name(["263A", "FE0F"]) == ["263a-fe0f.png", "263a.png"]


# ---------------------------------------------------------------------------------------------
# The embedded models and the tab

EMBEDDED = {w: PLUGIN / "weights" / f"{w}.safetensors" for w in ("pix2pix-edges2emoji64", "cyclegan-noto-twemoji64")}


def _embedded(weight_id):
    if not EMBEDDED[weight_id].is_file():
        pytest.skip(f"{weight_id} not exported yet")
    from plugins.image_translation.plugin import model_specs

    spec = next(s for s in model_specs() if s.name == weight_id)
    return spec.build({weight_id: EMBEDDED[weight_id]}).eval()


def test_embedded_manifest_entries_match_their_files():
    from hub.weights import load_manifest, sha256_file

    for spec in load_manifest(PLUGIN / "weights.yaml"):
        if spec.embedded and Path(spec.embedded).is_file():
            assert spec.sha256 == sha256_file(spec.embedded), spec.id
            card = Path(spec.embedded).with_suffix(".md").read_text()
            assert "CPU hours" in card and "PSNR" in card


def test_embedded_pix2pix_turns_a_sketch_into_an_emoji_like_image():
    from plugins.image_translation.api import samples

    m = _embedded("pix2pix-edges2emoji64")
    lines, outs = samples(m, sketch.hand_drawn_sketches(1, seed=2)[0], 2)
    a = np.asarray(outs[0]).astype(float)
    assert a[:4, :4].mean() > 200  # white background, as the emoji set
    assert a[24:40, 24:40].std() > 5 or a[24:40, 24:40].mean() < 230  # something drawn in the middle


def test_embedded_cyclegan_reconstructs_its_input():
    from plugins.image_translation.api import cycle

    m = _embedded("cyclegan-noto-twemoji64")
    img = _face()
    fake, rec = cycle(m, img, "noto2twemoji")
    err = np.abs(np.asarray(rec).astype(float) - img.astype(float)).mean()
    assert err < 40


def test_tab_handlers_give_line_map_outputs_and_cycle(monkeypatch):
    import gradio as gr

    from plugins.image_translation import ui

    m = _tiny_pix2pix()
    from plugins.image_translation.api import CycleGANModel

    torch.manual_seed(0)
    c = CycleGANModel(ResNetGenerator(3, 3, 4, 1), ResNetGenerator(3, 3, 4, 1), 64, ("noto", "twemoji")).eval()
    import plugins.image_translation.api as api

    class Ctx:  # the tab's context resolves names; the API receives modules
        @staticmethod
        def get_model(name):
            return {"p": m, "c": c}[name]

    ctx = Ctx()
    monkeypatch.setattr(api, "load_model", lambda model: model if not isinstance(model, str) else 1 / 0)
    drawing = {"composite": sketch.hand_drawn_sketches(1)[0], "layers": [], "background": None}
    lines, outs, info = ui.run_pix2pix(ctx, ui.MODES[0], drawing, None, "p", 3, 1)
    assert lines.size == (256, 256) and len(outs) == 3 and "seeds 1..3" in info  # 64 px, enlarged x4 for display
    lines2, _, _ = ui.run_pix2pix(ctx, ui.MODES[2], None, _face(), "p", 1, 0)
    assert np.array_equal(np.asarray(lines2)[::4, ::4], sketch.edges(_face()))
    with pytest.raises(gr.Error):
        ui.run_pix2pix(ctx, ui.MODES[0], {"composite": np.full((50, 50, 3), 255, np.uint8)}, None, "p", 1, 0)
    (seen, fake), rec, info = ui.run_cyclegan(ctx, _face(), "c", "noto2twemoji")
    assert seen.size == fake.size == rec.size == (256, 256) and "noto -> twemoji" in info and "dB" in info
    with pytest.raises(gr.Error, match="Upload"):
        ui.run_cyclegan(ctx, None, "c", "noto2twemoji")


def test_the_tab_builds_with_two_sub_tabs():
    import gradio as gr

    from plugins.image_translation import ui

    class Ctx:
        plugin = "image_translation"
        heavy_concurrency_id = "heavy"

        def api_name(self, action):
            return f"image_translation_{action}"

        def models_for(self, interface):
            return ["x"]

        def get_model(self, name):
            raise AssertionError

    with gr.Blocks() as demo:
        ui.build(Ctx())
    tabs = [b.label for b in demo.blocks.values() if isinstance(b, gr.Tab)]
    assert tabs == ["Pix2Pix: sketch -> emoji", "CycleGAN: Noto <-> Twemoji"]
    assert any(isinstance(b, gr.Sketchpad) for b in demo.blocks.values())
