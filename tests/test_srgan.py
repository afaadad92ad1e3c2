"""srgan plugin: architectures, public layouts (strict loads), converters, tiled inference, alpha, metrics, training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from plugins.srgan import convert
from plugins.srgan.api import sr_tensor_tiled, upscale
from plugins.srgan.metrics import psnr_y, ssim_y
from plugins.srgan.models import RRDBNet, SRGANDiscriminator, SRResNet, rrdbnet_config_from_state_dict

ROOT = Path(__file__).resolve().parents[1]


def _random_like(shapes: dict[str, tuple]) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    out = {}
    for k, shape in shapes.items():
        out[k] = (torch.randint(0, 10, shape, generator=g) if k.endswith("num_batches_tracked")
                  else torch.rand(shape, generator=g) * 0.1 + (0.5 if k.endswith("running_var") else 0))
    return out


# ----------------------------------------------------------------------------- architectures


def test_srresnet_is_the_published_architecture():
    net = SRResNet(scale=4)
    assert net.head.kernel_size == (9, 9) and net.tail.kernel_size == (9, 9)
    assert len(net.blocks) == 16 and net.head.out_channels == 64
    block = net.blocks[0]
    assert isinstance(block.bn1, torch.nn.BatchNorm2d) and isinstance(block.act, torch.nn.PReLU)
    assert len(net.upsample) == 2 and all(isinstance(u.shuffle, torch.nn.PixelShuffle) for u in net.upsample)
    assert isinstance(net.upsample[0].act, torch.nn.PReLU)
    assert len(SRResNet(scale=2).upsample) == 1
    small = SRResNet(scale=4, channels=8, num_blocks=2).eval()
    assert small(torch.zeros(1, 3, 10, 12)).shape == (1, 3, 40, 48)
    assert SRResNet(scale=2, channels=8, num_blocks=1).eval()(torch.zeros(1, 3, 10, 12)).shape == (1, 3, 20, 24)


def test_global_skip_carries_the_head_features():
    net = SRResNet(scale=2, channels=8, num_blocks=1).eval()
    with torch.no_grad():
        for p in list(net.blocks.parameters()) + [net.body_conv.weight]:
            p.zero_()
        x = torch.randn(1, 3, 8, 8)
        head = net.head_act(net.head(x))
        body = net.body_bn(net.body_conv(net.blocks(head)))
        assert torch.allclose(body, net.body_bn.bias.view(1, -1, 1, 1) - net.body_bn.running_mean.view(1, -1, 1, 1)
                              * net.body_bn.weight.view(1, -1, 1, 1) / (1 + 1e-5) ** 0.5, atol=1e-5)


def test_discriminator_as_published():
    d = SRGANDiscriminator()
    convs = [m for m in d.features.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 64, 128, 128, 256, 256, 512, 512]
    assert [c.stride[0] for c in convs] == [1, 2, 1, 2, 1, 2, 1, 2]
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules()) == 7
    assert all(m.negative_slope == 0.2 for m in d.modules() if isinstance(m, torch.nn.LeakyReLU))
    assert d.dense1.out_features == 1024 and d.dense1.in_features == 512 * 6 * 6 and d.dense2.out_features == 1
    assert d(torch.randn(2, 3, 96, 96)).shape == (2, 1)
    with pytest.raises(ValueError):
        d(torch.randn(1, 3, 64, 64))


# ----------------------------------------------------------------------------- public layouts


def test_rrdbnet_matches_the_real_esrgan_x4plus_layout_on_meta():
    # Real-ESRGAN x4plus as bare safetensors has 702 tensors (its Hub card); build the full net on meta
    with torch.device("meta"):
        net = RRDBNet()
    sd = net.state_dict()
    assert len(sd) == 702
    assert sd["conv_first.weight"].shape == (64, 3, 3, 3)
    assert sd["body.22.rdb3.conv5.weight"].shape == (64, 64 + 4 * 32, 3, 3)
    assert sd["body.0.rdb1.conv1.weight"].shape == (32, 64, 3, 3)
    for key in ("conv_body.weight", "conv_up1.weight", "conv_up2.weight", "conv_hr.weight", "conv_last.bias"):
        assert key in sd
    assert rrdbnet_config_from_state_dict(sd)["num_block"] == 23


def _real_esrgan_shapes(num_block: int, nf: int = 64, gc: int = 32, first_in: int = 3):
    shapes = {"conv_first.weight": (nf, first_in, 3, 3), "conv_first.bias": (nf,)}
    for b in range(num_block):
        for r in (1, 2, 3):
            for c in range(1, 6):
                cin, cout = nf + (c - 1) * gc, (gc if c < 5 else nf)
                shapes[f"body.{b}.rdb{r}.conv{c}.weight"] = (cout, cin, 3, 3)
                shapes[f"body.{b}.rdb{r}.conv{c}.bias"] = (cout,)
    for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        shapes[f"{name}.weight"], shapes[f"{name}.bias"] = (nf, nf, 3, 3), (nf,)
    shapes["conv_last.weight"], shapes["conv_last.bias"] = (3, nf, 3, 3), (3,)
    return shapes


@pytest.mark.parametrize("first_in,scale", [(3, 4), (12, 2)])
def test_real_esrgan_state_dict_loads_directly(first_in, scale):
    sd = _random_like(_real_esrgan_shapes(2, nf=16, gc=8, first_in=first_in))
    cfg = rrdbnet_config_from_state_dict(sd)
    assert cfg["scale"] == scale and cfg["num_block"] == 2
    net = RRDBNet(**cfg)
    net.load_state_dict(sd, strict=True)
    assert net.eval()(torch.zeros(1, 3, 8, 8)).shape == (1, 3, 8 * scale, 8 * scale)


def _old_esrgan_shapes(num_block: int, nf: int = 16, gc: int = 8):
    """The 2018 ESRGAN release: model.0 / model.1.sub.N.RDBk.convj.0 / model.1.sub.<N> / model.3,6,8,10."""
    shapes = {"model.0.weight": (nf, 3, 3, 3), "model.0.bias": (nf,)}
    for b in range(num_block):
        for r in (1, 2, 3):
            for c in range(1, 6):
                cin, cout = nf + (c - 1) * gc, (gc if c < 5 else nf)
                shapes[f"model.1.sub.{b}.RDB{r}.conv{c}.0.weight"] = (cout, cin, 3, 3)
                shapes[f"model.1.sub.{b}.RDB{r}.conv{c}.0.bias"] = (cout,)
    shapes[f"model.1.sub.{num_block}.weight"], shapes[f"model.1.sub.{num_block}.bias"] = (nf, nf, 3, 3), (nf,)
    for i in (3, 6, 8):
        shapes[f"model.{i}.weight"], shapes[f"model.{i}.bias"] = (nf, nf, 3, 3), (nf,)
    shapes["model.10.weight"], shapes["model.10.bias"] = (3, nf, 3, 3), (3,)
    return shapes


def test_old_esrgan_layouts_convert_and_load_strict():
    old = _random_like(_old_esrgan_shapes(3))
    new = convert.esrgan_old_to_rrdbnet(old)
    net = RRDBNet(**rrdbnet_config_from_state_dict(new))
    net.load_state_dict(new, strict=True)
    assert torch.equal(net.conv_body.weight, old["model.1.sub.3.weight"])
    assert torch.equal(net.body[2].rdb3.conv5.weight, old["model.1.sub.2.RDB3.conv5.0.weight"])
    assert torch.equal(net.conv_hr.bias, old["model.8.bias"])
    # the 2019 names of the same release
    renamed = {"model.0": "conv_first", "model.1.sub.3": "trunk_conv", "model.3": "upconv1", "model.6": "upconv2",
               "model.8": "HRconv", "model.10": "conv_last"}
    mid = {}
    for k, v in old.items():
        base, _, p = k.rpartition(".")
        if base in renamed:
            mid[f"{renamed[base]}.{p}"] = v
        else:
            mid[k.replace("model.1.sub.", "RRDB_trunk.").replace(".0.weight", ".weight").replace(".0.bias", ".bias")] = v
    net2 = RRDBNet(**rrdbnet_config_from_state_dict(convert.esrgan_old_to_rrdbnet(mid)))
    net2.load_state_dict(convert.esrgan_old_to_rrdbnet(mid), strict=True)
    x = torch.rand(1, 3, 6, 6) * 2 - 1
    assert torch.equal(net.eval()(x), net2.eval()(x))
    # Real-ESRGAN names pass straight through
    assert convert.esrgan_old_to_rrdbnet(new).keys() == new.keys()


def _srgan_pytorch_shapes(num_rcb: int, ch: int = 8, ups: int = 2, old_names: bool = False):
    """Lornatang SRGAN-PyTorch SRResNet: conv1.{0,1}, trunk.N.rcb.{0..4}, conv2.{0,1}, upsampling.N.upsample_block.{0,2}, conv3."""
    bn = lambda p: {f"{p}.weight": (ch,), f"{p}.bias": (ch,), f"{p}.running_mean": (ch,),  # noqa: E731
                    f"{p}.running_var": (ch,), f"{p}.num_batches_tracked": ()}
    c1, c2, c3 = ("conv_block1", "conv_block2", "conv_block3") if old_names else ("conv1", "conv2", "conv3")
    shapes = {f"{c1}.0.weight": (ch, 3, 9, 9), f"{c1}.0.bias": (ch,), f"{c1}.1.weight": (1,)}
    for i in range(num_rcb):
        shapes[f"trunk.{i}.rcb.0.weight"] = (ch, ch, 3, 3)
        shapes.update(bn(f"trunk.{i}.rcb.1"))
        shapes[f"trunk.{i}.rcb.2.weight"] = (1,)
        shapes[f"trunk.{i}.rcb.3.weight"] = (ch, ch, 3, 3)
        shapes.update(bn(f"trunk.{i}.rcb.4"))
    shapes[f"{c2}.0.weight"] = (ch, ch, 3, 3)
    shapes.update(bn(f"{c2}.1"))
    for i in range(ups):
        shapes[f"upsampling.{i}.upsample_block.0.weight"] = (4 * ch, ch, 3, 3)
        shapes[f"upsampling.{i}.upsample_block.0.bias"] = (4 * ch,)
        shapes[f"upsampling.{i}.upsample_block.2.weight"] = (1,)
    shapes[f"{c3}.weight"], shapes[f"{c3}.bias"] = (3, ch, 9, 9), (3,)
    return shapes


@pytest.mark.parametrize("ups,old_names", [(2, False), (1, False), (2, True)])
def test_srgan_pytorch_checkpoint_converts_and_loads_strict(ups, old_names):
    public = {"module." + k: v for k, v in _random_like(_srgan_pytorch_shapes(3, ups=ups, old_names=old_names)).items()}
    ours = convert.srgan_pytorch_to_srresnet(public)
    net = SRResNet(scale=2 ** ups, channels=8, num_blocks=3, io_range="0,1")
    net.load_state_dict(ours, strict=True)
    c1 = "conv_block1" if old_names else "conv1"
    assert torch.equal(net.head.weight, public[f"module.{c1}.0.weight"])
    assert torch.equal(net.blocks[2].bn2.running_var, public["module.trunk.2.rcb.4.running_var"])
    if not old_names:
        assert convert.srresnet_to_srgan_pytorch(ours).keys() == {k[7:] for k in public}


def test_published_srresnet_layout_on_meta_and_discriminator_conversion():
    with torch.device("meta"):
        full = SRResNet()
    public = _srgan_pytorch_shapes(16, ch=64, ups=2)
    converted_shapes = {}
    for key, shape in public.items():
        (ours,) = convert.srgan_pytorch_to_srresnet({key: torch.empty(shape)}).keys()
        converted_shapes[ours] = shape
    assert {k: tuple(v.shape) for k, v in full.state_dict().items()} == converted_shapes
    # the port's discriminator: features.{0,2,3,5,6,...,20,21} + classifier.{0,2}
    shapes, idx, prev = {}, 0, 3
    for i, w in enumerate([64, 64, 128, 128, 256, 256, 512, 512]):
        shapes[f"features.{idx}.weight"] = (w, prev, 3, 3)
        if i == 0:
            shapes[f"features.{idx}.bias"] = (w,)
            idx += 2
        else:
            for p in ("weight", "bias", "running_mean", "running_var"):
                shapes[f"features.{idx + 1}.{p}"] = (w,)
            shapes[f"features.{idx + 1}.num_batches_tracked"] = ()
            idx += 3
        prev = w
    shapes.update({"classifier.0.weight": (1024, 512 * 36), "classifier.0.bias": (1024,),
                   "classifier.2.weight": (1, 1024), "classifier.2.bias": (1,)})
    assert idx - 1 == 22  # the last LeakyReLU sits at features.22, as in the port
    with torch.device("meta"):
        d = SRGANDiscriminator()
    converted = convert.srgan_pytorch_to_discriminator({k: torch.empty(s, device="meta") for k, s in shapes.items()})
    d.load_state_dict(converted, strict=True, assign=True)


# ----------------------------------------------------------------------------- inference


def _tiny(scale=4, seed=0):
    torch.manual_seed(seed)
    net = SRResNet(scale=scale, channels=8, num_blocks=2)
    with torch.no_grad():  # non-trivial BN statistics so eval mode is not the identity
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return net.eval()


def _photo(w=70, h=52, mode="RGB"):
    from plugins.srgan.data import load_rgb

    a = load_rgb("skimage:coffee.png")[100:100 + h, 200:200 + w]
    img = Image.fromarray(np.ascontiguousarray(a))
    return img.convert(mode)


def test_tiled_matches_untiled_within_one_level():
    net = _tiny()
    img = _photo()
    whole = np.asarray(upscale(img, 4, net, tile=0), dtype=np.int16)
    tiled = np.asarray(upscale(img, 4, net, tile=24, overlap=8, pad=12), dtype=np.int16)
    assert whole.shape == tiled.shape == (52 * 4, 70 * 4, 3)
    assert np.abs(whole - tiled).max() <= 1
    # the blend is really used: several tiles and a non-trivial seam region
    calls = []
    sr_tensor_tiled(net, torch.zeros(1, 3, 52, 70), tile=24, overlap=8, pad=12, progress=lambda d, t: calls.append(t))
    assert calls[-1] == 3 * 4


def test_feathered_weights_partition_unity():
    from plugins.srgan.api import _feather

    w = _feather(10, 4, 0)
    assert w[0] < w[3] < 1 and w[4:].min() == 1
    # two overlapping ramps sum to 1 across the overlap
    assert np.allclose(_feather(8, 0, 4)[4:] + _feather(8, 4, 0)[:4], 1)


def test_alpha_is_upscaled_separately_and_reattached():
    net = _tiny()
    rgba = _photo(mode="RGBA")
    alpha = np.zeros((rgba.height, rgba.width), np.uint8)
    alpha[10:40, 5:50] = 255
    rgba.putalpha(Image.fromarray(alpha))
    out = upscale(rgba, 4, net, tile=0)
    assert out.mode == "RGBA" and out.size == (rgba.width * 4, rgba.height * 4)
    expected = Image.fromarray(alpha).resize(out.size, Image.BICUBIC)
    assert np.array_equal(np.asarray(out.getchannel("A")), np.asarray(expected))
    rgb_only = upscale(rgba.convert("RGB"), 4, net, tile=0)
    assert np.array_equal(np.asarray(out.convert("RGB")), np.asarray(rgb_only))
    assert upscale(_photo(mode="RGBA"), 4, net, tile=0).mode == "RGB"  # opaque alpha is dropped


def test_scales_and_model_scale_mismatch():
    img = _photo(20, 16)
    assert upscale(img, 2, _tiny(4), tile=0).size == (40, 32)  # x4 model, then antialiased /2
    assert upscale(img, 4, _tiny(2), tile=0).size == (80, 64)  # x2 model twice
    with pytest.raises(ValueError):
        upscale(img, 3, _tiny(4))


def test_api_takes_modules_not_names():
    with pytest.raises(TypeError, match="hub.get_model"):
        upscale(_photo(16, 16), 4, "srgan-srresnet-x4")


def test_hub_esrgan_offline_says_so_in_the_tab(monkeypatch, tmp_path):
    import gradio as gr

    import plugins.srgan.plugin as srgan_plugin
    from hub.testing import make_app

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.setenv("GANHUB_CACHE", str(tmp_path / "ganhub"))
    app = make_app([srgan_plugin], strict=True)
    [fn] = [f.fn for f in app.fns.values() if getattr(f, "api_name", None) == "srgan_upscale"]
    with pytest.raises(gr.Error, match="offline|HF_HUB_OFFLINE"):
        fn(_photo(16, 16), "srgan-realesrgan-x4plus", "4", False, 0, progress=None)


def test_embedded_srresnet_if_exported():
    from pathlib import Path

    import plugins.srgan.plugin as srgan_plugin
    from hub.testing import make_hub

    if not (Path(__file__).resolve().parents[1] / "plugins/srgan/weights/srgan-srresnet-x4.safetensors").is_file():
        pytest.skip("plugins/srgan/weights/srgan-srresnet-x4.safetensors not exported yet")
    net = make_hub([srgan_plugin], strict=True).models.get_model("srgan-srresnet-x4")
    out = upscale(_photo(24, 20), 4, net)
    assert out.size == (96, 80) and out.mode == "RGB"


# ----------------------------------------------------------------------------- metrics, data


def test_y_psnr_and_ssim():
    a = np.asarray(_photo(40, 40))
    b = np.clip(a.astype(np.int16) + 1, 0, 255).astype(np.uint8)
    assert psnr_y(a, a) == float("inf") and ssim_y(a, a) == pytest.approx(1.0)
    exact = a.max() < 255  # +1 on every channel moves Y by (65.481+128.553+24.966)/255
    if exact:
        assert psnr_y(a, b) == pytest.approx(10 * np.log10(255 ** 2 / (219.0 / 255) ** 2), abs=1e-6)
    noisy = np.clip(a + np.random.default_rng(0).normal(0, 20, a.shape), 0, 255).astype(np.uint8)
    assert psnr_y(noisy, a) < 30 and ssim_y(noisy, a) < 0.9


def test_held_out_photos_are_never_trained_on():
    from plugins.srgan.data import CropSampler, HELD_OUT, held_out_photos, training_photos

    train = training_photos()
    assert held_out_photos() and not set(HELD_OUT) & set(train)
    s = CropSampler(train[:3], crop=32, scale=4, seed=1)
    lr1, hr1 = s.batch(5, 2)
    lr2, hr2 = s.batch(5, 2)
    assert torch.equal(hr1, hr2) and lr1.shape == (2, 3, 8, 8) and hr1.shape == (2, 3, 32, 32)
    # LR is the antialiased bicubic reduction of HR (not a blur of something else)
    hr_img = Image.fromarray(((hr1[0].permute(1, 2, 0) + 1) * 127.5).round().byte().numpy())
    ref = np.asarray(hr_img.resize((8, 8), Image.BICUBIC), dtype=np.float32) / 127.5 - 1
    assert np.abs(lr1[0].permute(1, 2, 0).numpy() - ref).max() < 1e-5


# ----------------------------------------------------------------------------- training


def test_stage1_resume_is_exact_and_stage2_runs(tmp_path):
    from plugins.srgan.train import latest_checkpoint, main

    tiny = ["--channels", "8", "--blocks", "1", "--batch", "2", "--crop", "32", "--d-channels", "8",
            "--ckpt-every", "1000"]
    assert main(["--stage", "1", "--iters", "2", "--out", str(tmp_path / "a")] + tiny) == 0
    assert main(["--stage", "1", "--iters", "4", "--out", str(tmp_path / "a")] + tiny) == 0
    assert main(["--stage", "1", "--iters", "4", "--out", str(tmp_path / "b")] + tiny) == 0
    from safetensors.torch import load_file

    a = load_file(str(latest_checkpoint(tmp_path / "a/stage1") / "G.safetensors"))
    b = load_file(str(latest_checkpoint(tmp_path / "b/stage1") / "G.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert json.loads((latest_checkpoint(tmp_path / "a/stage1") / "state.json").read_text())["step"] == 4
    assert main(["--stage", "2", "--iters", "1", "--out", str(tmp_path / "a")] + tiny) == 0
    state = json.loads((latest_checkpoint(tmp_path / "a/stage2") / "state.json").read_text())
    assert state["step"] == 1 and state["init_from"] == "stage1/ckpt-00000004"  # hub.training: 8-digit step names
    assert state["loss_weights"] == {"adv": 1e-3, "tv": 2e-8, "vgg_rescale": 1 / 12.75, "vgg_layer": "relu5_4"}

    # the cache is lost: stage 1 goes on from exported weights, counting steps on from their metadata
    from safetensors.torch import save_file

    exported = tmp_path / "exported.safetensors"
    save_file(a, str(exported), metadata={"config": json.dumps({"scale": 4, "channels": 8, "num_blocks": 1}),
                                          "step": "4"})
    assert main(["--stage", "1", "--iters", "5", "--out", str(tmp_path / "c"), "--init-from", str(exported)] + tiny) == 0
    state = json.loads((latest_checkpoint(tmp_path / "c/stage1") / "state.json").read_text())
    assert state["step"] == 5 and state["init_from"] == "exported.safetensors (step 4)"
    wrong = tmp_path / "wrong.safetensors"
    save_file(a, str(wrong), metadata={"config": json.dumps({"scale": 4, "channels": 16, "num_blocks": 1})})
    assert main(["--stage", "1", "--iters", "5", "--out", str(tmp_path / "d"), "--init-from", str(wrong)] + tiny) == 2


@pytest.mark.parametrize("weight_id,builder", [("srgan-srresnet-x4-imagenet", "srresnet"), ("srgan-esrgan-x4", "rrdb")])
def test_manifest_converters_run_through_the_weight_store(tmp_path, weight_id, builder):
    """`ganhub weights convert ID` path: an upstream pickle in the public layout -> our safetensors -> the model."""
    from hub.weights import WeightStore, load_manifest
    from plugins.srgan.plugin import model_specs

    import dataclasses

    from hub.weights import WeightIntegrityError

    pinned = next(s for s in load_manifest(ROOT / "plugins" / "srgan" / "weights.yaml") if s.id == weight_id)
    if builder == "srresnet":
        public = {"epoch": 3, "best_psnr": 30.0, "state_dict": _random_like(_srgan_pytorch_shapes(2, ups=2))}
    else:
        public = _random_like(_old_esrgan_shapes(2))
    upstream = tmp_path / "upstream.pth"
    torch.save(public, upstream)
    if pinned.sha256:  # a random stand-in is not the pinned upstream file: refused before it is unpickled
        store = WeightStore(cache_dir=tmp_path / "hf", converted_dir=tmp_path / "pinned")
        store.add(pinned, plugin="srgan")
        with pytest.raises(WeightIntegrityError):
            store.convert(weight_id, source_file=upstream)
    store = WeightStore(cache_dir=tmp_path / "hf", converted_dir=tmp_path / "converted")
    store.add(dataclasses.replace(pinned, sha256=None), plugin="srgan")
    out = store.convert(weight_id, source_file=upstream)
    model_spec = next(s for s in model_specs() if s.weights == (weight_id,))
    net = model_spec.build({weight_id: out}).eval()
    assert net(torch.zeros(1, 3, 8, 8)).shape == (1, 3, 32, 32)


def test_passthrough_init_starts_as_an_interpolator():
    from plugins.srgan.models import passthrough_init_

    torch.manual_seed(0)
    net = passthrough_init_(SRResNet(scale=4, channels=8, num_blocks=2))
    for mode in ("eval", "train"):
        getattr(net, mode)()
        x = torch.full((2, 3, 12, 12), 0.3)
        x[:, 1] = -0.5  # a signed colour: both halves of the PReLU pair are exercised
        with torch.no_grad():
            y = net(x)
        # only the other (random) channels' 0.1-scaled tail weights add a little noise
        assert torch.allclose(y[:, :, 8:-8, 8:-8], x[:, :, :1, :1].expand(-1, -1, 32, 32), atol=0.02)
    ramp = torch.linspace(-1, 1, 16).view(1, 1, 1, 16).expand(1, 3, 16, 16).contiguous()
    with torch.no_grad():
        up = net.eval()(ramp)[0, 0, 20, 8:-8]
        ref = torch.nn.functional.interpolate(ramp, scale_factor=4, mode="bilinear")[0, 0, 20, 8:-8]
    assert (up - ref).abs().max() < 0.03  # an interpolator from the first step, not random-init noise
    assert (SRResNet(scale=4, channels=8, num_blocks=2).eval()(ramp)[0, 0, 20, 8:-8] - ref).abs().max() > 0.1


def test_grow_from_adds_identity_blocks_and_keeps_the_function():
    """--blocks larger than the --init-from file's: the grown net computes exactly the trained function."""
    from plugins.srgan.models import SRResNet
    from plugins.srgan.train import grow_from

    torch.manual_seed(0)
    small = SRResNet(scale=4, channels=8, num_blocks=2)
    with torch.no_grad():  # non-trivial BN statistics and gammas, as after training
        for m in small.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5); m.bias.uniform_(-0.1, 0.1)
                m.running_mean.uniform_(-0.1, 0.1); m.running_var.uniform_(0.5, 2)
    small.eval()
    cfg = dict(scale=4, channels=8, num_blocks=2)
    big = SRResNet(**dict(cfg, num_blocks=4))
    assert grow_from(big, small.state_dict(), cfg, dict(cfg, num_blocks=4)) is True
    big.eval()
    x = torch.rand(1, 3, 12, 12) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(big(x), small(x), atol=1e-6)
    # the added blocks still learn: their zeroed gamma gets a gradient
    big.train()
    big(x).square().mean().backward()
    assert big.blocks[3].bn2.weight.grad.abs().sum() > 0
    # a plain load, and configs that cannot match
    same = SRResNet(**cfg)
    assert grow_from(same, small.state_dict(), cfg, cfg) is False
    assert grow_from(SRResNet(scale=4, channels=16, num_blocks=4), small.state_dict(), cfg,
                     dict(cfg, channels=16, num_blocks=4)) is None
    assert grow_from(SRResNet(**dict(cfg, num_blocks=1)), small.state_dict(), cfg, dict(cfg, num_blocks=1)) is None
