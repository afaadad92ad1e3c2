"""StyleGAN2 model plugin: protocol, latents, activations, noise, rosinality layout, converter, augment, training."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
import torch

from hub.api import LatentGenerator
from hub.nn.augment import diff_augment
from plugins.stylegan2.convert import (convert_rosinality, infer_generator_config, load_generator, save_generator,
                                       to_rosinality)
from plugins.stylegan2.model import Discriminator, Generator

TINY = dict(size=16, style_dim=32, n_mlp=2, channels={4: 32, 8: 16, 16: 8})
REPO_MANIFEST = __import__("pathlib").Path(__file__).resolve().parents[1] / "plugins" / "stylegan2" / "weights.yaml"


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One intra-op thread: on a shared 2-core machine two spinning OpenMP threads cost far more than they give."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def G():
    torch.manual_seed(0)
    g = Generator(**TINY).eval()
    with torch.no_grad():  # trained models have non-zero noise strength and a w_avg away from 0
        for name, p in g.named_parameters():
            if name.endswith("noise.weight"):
                p.fill_(0.3)
        g.w_avg.copy_(g.mean_latent(256))
    return g.requires_grad_(False)


def test_protocol_and_shapes(G):
    assert isinstance(G, LatentGenerator)
    assert (G.resolution, G.z_dim, G.w_dim, G.num_layers, G.num_ws) == (16, 32, 32, 5, 6)
    assert list(G.layer_resolutions) == [4, 8, 8, 16, 16]
    z = torch.randn(3, G.z_dim)
    w = G.mapping(z)
    assert w.shape == (3, 32) and G.w_avg.shape == (32,)
    img = G.synthesis(w)
    assert img.shape == (3, 3, 16, 16)
    ws = G.broadcast(w)
    assert ws.shape == (3, G.num_ws, 32)
    torch.testing.assert_close(G.synthesis(ws), img)
    noise = G.make_noise(3)
    assert [tuple(n.shape) for n in noise] == [(3, 1, r, r) for r in G.layer_resolutions]
    with pytest.raises(ValueError):
        G.synthesis(ws[:, :-1])


def test_mapping_network_layout():
    g = Generator(**TINY)
    assert type(g.style[0]).__name__ == "PixelNorm"
    assert [k for k in g.state_dict() if k.startswith("style.")] == ["style.1.weight", "style.1.bias",
                                                                      "style.2.weight", "style.2.bias"]
    assert g.style[1].lr_mul == 0.01  # published mapping lr multiplier
    assert math.isclose(g.style[1].scale, 0.01 / math.sqrt(32))


def test_truncation_psi_zero_gives_w_avg_image(G):
    z = torch.randn(4, G.z_dim)
    w0 = G.mapping(z, truncation_psi=0.0)
    torch.testing.assert_close(w0, G.w_avg.expand(4, -1))
    img = G.synthesis(w0)
    ref = G.synthesis(G.w_avg[None])
    torch.testing.assert_close(img, ref.expand(4, -1, -1, -1))
    half = G.mapping(z, truncation_psi=0.5)
    torch.testing.assert_close(half, G.w_avg + 0.5 * (G.mapping(z) - G.w_avg))


def test_style_mixing_by_layer_range(G):
    wa, wb = G.mapping(torch.randn(2, G.z_dim)).chunk(2)
    img_a, acts_a = G.synthesis(wa, return_activations=True)
    img_b = G.synthesis(wb)
    torch.testing.assert_close(G.synthesis(G.mix(wa, wb, range(0))), img_a)
    torch.testing.assert_close(G.synthesis(G.mix(wa, wb, range(G.num_ws))), img_b)
    k = 3  # fine layers from b: layers before k only see a's latents
    mixed, acts_m = G.synthesis(G.mix(wa, wb, range(k, G.num_ws)), return_activations=True)
    for i in range(k):
        torch.testing.assert_close(acts_m[i], acts_a[i])
    assert not torch.allclose(acts_m[k], acts_a[k])
    assert not torch.allclose(mixed, img_a) and not torch.allclose(mixed, img_b)


def test_activation_edit_reads_replaces_and_returns(G):
    ws = G.broadcast(G.mapping(torch.randn(2, G.z_dim)))
    img, acts = G.synthesis(ws, return_activations=True)
    assert [a.shape[-1] for a in acts] == list(G.layer_resolutions)
    assert [a.shape[1] for a in acts] == [32, 16, 16, 8, 8]
    seen = []

    def identity(i, x):
        seen.append((i, tuple(x.shape)))
        return x

    torch.testing.assert_close(G.synthesis(ws, activation_edit=identity), img)
    assert [i for i, _ in seen] == list(range(G.num_layers))

    def zero_layer_2(i, x):
        return torch.zeros_like(x) if i == 2 else x

    img2, acts2 = G.synthesis(ws, activation_edit=zero_layer_2, return_activations=True)
    assert torch.count_nonzero(acts2[2]) == 0
    torch.testing.assert_close(acts2[1], acts[1])
    assert not torch.allclose(img2, img)

    # masked spatial copy from sample 1 into sample 0 at layer 3 (what I2S++ builds on)
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., :, 8:] = 1

    def paste(i, x):
        if i != 3:
            return x
        out = x.clone()
        out[0] = x[0] * (1 - mask[0]) + x[1] * mask[0]
        return out

    _, acts3 = G.synthesis(ws, activation_edit=paste, return_activations=True)
    torch.testing.assert_close(acts3[3][0, :, :, 8:], acts[3][1, :, :, 8:])
    torch.testing.assert_close(acts3[3][0, :, :, :8], acts[3][0, :, :, :8])


def test_noise_determinism(G):
    w = G.mapping(torch.randn(2, G.z_dim))
    torch.testing.assert_close(G.synthesis(w), G.synthesis(w))  # stored constant noise by default
    n1 = G.make_noise(2, torch.Generator().manual_seed(5))
    n2 = G.make_noise(2, torch.Generator().manual_seed(5))
    torch.testing.assert_close(G.synthesis(w, noise=n1), G.synthesis(w, noise=n2))
    n3 = G.make_noise(2, torch.Generator().manual_seed(6))
    assert not torch.allclose(G.synthesis(w, noise=n1), G.synthesis(w, noise=n3))
    assert not torch.allclose(G.synthesis(w, randomize_noise=True), G.synthesis(w, randomize_noise=True))


def rosinality_layout(size, style_dim, n_mlp, channel_multiplier=2):
    """Key -> shape of rosinality/stylegan2-pytorch's Generator state dict, written out independently."""
    ch = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * channel_multiplier, 128: 128 * channel_multiplier,
          256: 64 * channel_multiplier, 512: 32 * channel_multiplier, 1024: 16 * channel_multiplier}
    out = {}
    for i in range(1, n_mlp + 1):
        out[f"style.{i}.weight"] = (style_dim, style_dim)
        out[f"style.{i}.bias"] = (style_dim,)

    def styled(prefix, cin, cout, up):
        out[f"{prefix}.conv.weight"] = (1, cout, cin, 3, 3)
        if up:
            out[f"{prefix}.conv.blur.kernel"] = (4, 4)
        out[f"{prefix}.conv.modulation.weight"] = (cin, style_dim)
        out[f"{prefix}.conv.modulation.bias"] = (cin,)
        out[f"{prefix}.noise.weight"] = (1,)
        out[f"{prefix}.activate.bias"] = (cout,)

    def to_rgb(prefix, cin, up):
        if up:
            out[f"{prefix}.upsample.kernel"] = (4, 4)
        out[f"{prefix}.conv.weight"] = (1, 3, cin, 1, 1)
        out[f"{prefix}.conv.modulation.weight"] = (cin, style_dim)
        out[f"{prefix}.conv.modulation.bias"] = (cin,)
        out[f"{prefix}.bias"] = (1, 3, 1, 1)

    out["input.input"] = (1, ch[4], 4, 4)
    styled("conv1", ch[4], ch[4], False)
    to_rgb("to_rgb1", ch[4], False)
    log_size = int(math.log2(size))
    n_layers = (log_size - 2) * 2 + 1
    for i in range(n_layers):
        r = 2 ** ((i + 5) // 2)
        out[f"noises.noise_{i}"] = (1, 1, r, r)
    cin = ch[4]
    for j, i in enumerate(range(3, log_size + 1)):
        cout = ch[2 ** i]
        styled(f"convs.{2 * j}", cin, cout, True)
        styled(f"convs.{2 * j + 1}", cout, cout, False)
        to_rgb(f"to_rgbs.{j}", cout, True)
        cin = cout
    return out


def test_config_f_1024_layout_loads_strict():
    layout = rosinality_layout(1024, 512, 8, 2)
    with torch.device("meta"):  # shape-only: no 120 MB of weights
        g = Generator(1024, 512, 8, channel_multiplier=2)
    ours = {k: tuple(v.shape) for k, v in g.state_dict().items()}
    assert ours.pop("w_avg") == (512,)
    assert ours == layout
    assert (g.num_layers, g.num_ws) == (17, 18)
    state = {k: torch.empty(s, device="meta") for k, s in layout.items()}
    state["w_avg"] = torch.empty(512, device="meta")
    g.load_state_dict(state, strict=True, assign=True)
    bad = dict(state)
    bad["convs.3.conv.weight"] = torch.empty(1, 512, 512, 3, 1, device="meta")
    with pytest.raises(RuntimeError):
        g.load_state_dict(bad, strict=True, assign=True)


def test_converter_round_trip_and_real_layout_load():
    torch.manual_seed(1)
    layout = rosinality_layout(32, 64, 2, 1)  # small rosinality config: all 512-wide -> shrink via a real G
    g_ref = Generator(32, 64, 2, channels={4: 16, 8: 16, 16: 8, 32: 8})
    with torch.no_grad():
        for name, p in g_ref.named_parameters():
            if name.endswith("noise.weight"):
                p.fill_(0.2)
        g_ref.w_avg.normal_()
    ckpt = to_rosinality(g_ref.state_dict())
    assert set(ckpt["g_ema"]) == set(layout) and "w_avg" not in ckpt["g_ema"]
    ckpt["g"] = {"unused": torch.zeros(1)}  # upstream files carry more entries
    converted = convert_rosinality(ckpt)
    assert infer_generator_config(converted)["channels"] == {4: 16, 8: 16, 16: 8, 32: 8}
    g2 = Generator(**infer_generator_config(converted))
    g2.load_state_dict(converted, strict=True)
    z = torch.randn(2, 64)
    with torch.no_grad():
        torch.testing.assert_close(g2(z, truncation_psi=0.7), g_ref(z, truncation_psi=0.7))
        # without latent_avg, w_avg is the mean of 4096 mapped samples
        no_avg = convert_rosinality(ckpt["g_ema"])
        torch.testing.assert_close(no_avg["w_avg"], g_ref.mean_latent(4096), atol=1e-5, rtol=0)


def test_save_load_generator_fp16(tmp_path, G):
    path = tmp_path / "g.safetensors"
    save_generator(G, path, torch.float16)
    g2 = load_generator(path)
    assert g2.config() == G.config()
    z = torch.randn(2, G.z_dim)
    torch.testing.assert_close(g2(z), G(z), atol=2e-2, rtol=0)
    with pytest.raises(ValueError):
        load_generator(tmp_path / "g.pt")


def test_discriminator_shapes_and_stddev_groups():
    d = Discriminator(32, channels={4: 32, 8: 16, 16: 8, 32: 8})
    for n in (1, 3, 4, 6, 8):
        assert d(torch.randn(n, 3, 32, 32)).shape == (n, 1)
    x = torch.randn(4, 3, 32, 32, requires_grad=True)
    (g,) = torch.autograd.grad(d(x).sum(), x, create_graph=True)  # R1 needs a double backward
    g.square().sum().backward()


def test_diff_augment_shapes_gradients_and_determinism():
    x = torch.rand(4, 3, 16, 16, requires_grad=True) * 2 - 1
    for policy in ("color", "translation", "cutout", "color,translation,cutout"):
        y = diff_augment(x, policy, torch.Generator().manual_seed(0))
        assert y.shape == x.shape
        assert not torch.allclose(y, x)
        y2 = diff_augment(x, policy, torch.Generator().manual_seed(0))
        torch.testing.assert_close(y, y2)
        (grad,) = torch.autograd.grad(y.square().sum(), x)
        assert grad.abs().sum() > 0
    # translation moves content; cutout zeroes a half-side square
    img = torch.zeros(1, 1, 16, 16)
    img[..., 8, 8] = 1
    moved = [diff_augment(img, "translation", torch.Generator().manual_seed(s)) for s in range(8)]
    assert any(m[..., 8, 8].item() == 0 for m in moved) and all(m.sum() <= 1 for m in moved)
    ones = torch.ones(2, 3, 16, 16)
    cut = diff_augment(ones, "cutout", torch.Generator().manual_seed(0))
    assert ((cut == 0).float().mean(dim=(1, 2, 3)) > 0).all()
    with pytest.raises(ValueError):
        diff_augment(ones, "rotate")


def test_d_width_scales_a_fresh_discriminator_and_resume_keeps_it(tmp_path):
    from plugins.stylegan2 import train

    out = tmp_path / "wide"
    common = ["--config", "tiny", "--data", "random", "--out", str(out), "--threads", "1", "--batch", "4",
              "--sample-every", "100"]
    assert train.main(common + ["--steps", "1", "--d-width", "2"]) == 0
    wide = json.loads((train.latest_checkpoint(out) / "state.json").read_text())["d_config"]["channels"]
    base = {str(k): v for k, v in train.CONFIGS["tiny"][1]["channels"].items()}
    assert wide == {k: min(512, 2 * v) for k, v in base.items()}
    assert train.main(common + ["--steps", "2"]) == 0  # resumed: the checkpoint's D, not the default width
    assert json.loads((train.latest_checkpoint(out) / "state.json").read_text())["d_config"]["channels"] == wide


def test_resume_from_a_checkpoint_without_its_optimiser(tmp_path):
    """A checkpoint carried without optim.pt (to a rented GPU, say) resumes its weights and counters;
    Adam starts afresh, and the run's history records the device."""
    from plugins.stylegan2 import train

    out = tmp_path / "run"
    common = ["--config", "tiny", "--data", "random", "--out", str(out), "--threads", "1", "--batch", "4",
              "--sample-every", "100", "--device", "cpu"]
    assert train.main(common + ["--steps", "2"]) == 0
    ckpt = train.latest_checkpoint(out)
    (ckpt / "optim.pt").unlink()
    g_before, _, _, _ = train.load_checkpoint_models(ckpt)
    assert train.main(common + ["--steps", "3"]) == 0
    g_after, _, _, state = train.load_checkpoint_models(train.latest_checkpoint(out))
    assert state["step"] == 3 and state["nimg"] == 12
    assert any(not torch.equal(a, b) for a, b in zip(g_before.parameters(), g_after.parameters()))
    assert [h["device"] for h in state["history"]] == ["cpu", "cpu"]


def test_mode_seeking_changes_the_generator_update_and_is_recorded(tmp_path):
    """--mode-seeking adds MSGAN's term to G's loss: same seed, same data, a different generator."""
    from plugins.stylegan2 import train

    def run(name, extra):
        out = tmp_path / name
        assert train.main(["--config", "tiny", "--data", "random", "--out", str(out), "--threads", "1",
                           "--batch", "4", "--sample-every", "100", "--steps", "2", "--aug", ""] + extra) == 0
        g, _, _, state = train.load_checkpoint_models(train.latest_checkpoint(out))
        return g, state

    g_plain, s_plain = run("plain", [])
    g_ms, s_ms = run("ms", ["--mode-seeking", "1"])
    g_again, _ = run("plain_again", [])
    assert all(torch.equal(a, b) for a, b in zip(g_plain.parameters(), g_again.parameters()))  # seeded
    assert any(not torch.equal(a, b) for a, b in zip(g_plain.parameters(), g_ms.parameters()))
    assert s_plain["history"][0]["mode_seeking"] == 0.0 and s_ms["history"][0]["mode_seeking"] == 1.0


def test_mode_seeking_loss_rewards_diverse_images():
    from hub.nn.losses import mode_seeking_loss

    z_a, z_b = torch.zeros(4, 8), torch.ones(4, 8)
    same = torch.zeros(4, 3, 8, 8)
    assert mode_seeking_loss(same, same + 0.5, z_a, z_b) < mode_seeking_loss(same, same + 0.1, z_a, z_b)


def test_training_smoke_resume_and_export(tmp_path):
    from plugins.stylegan2 import train

    out = tmp_path / "run"
    common = ["--config", "tiny", "--data", "random", "--out", str(out), "--threads", "1", "--log-every", "1",
              "--sample-every", "2", "--batch", "4"]
    assert train.main(common + ["--steps", "2"]) == 0
    ckpt = train.latest_checkpoint(out)
    assert ckpt.name == "ckpt-00000002"
    state = json.loads((ckpt / "state.json").read_text())
    assert state["step"] == 2 and state["nimg"] == 8
    assert (out / "samples" / "latest.png").is_file()
    _, _, g_ema2, _ = train.load_checkpoint_models(ckpt)
    assert train.main(common + ["--steps", "3"]) == 0  # same command + a later stop: resumes
    ckpt3 = train.latest_checkpoint(out)
    state3 = json.loads((ckpt3 / "state.json").read_text())
    assert ckpt3.name == "ckpt-00000003" and state3["step"] == 3 and state3["nimg"] == 12
    g3, _, g_ema3, _ = train.load_checkpoint_models(ckpt3)
    assert any(not torch.equal(a, b) for a, b in zip(g_ema2.parameters(), g_ema3.parameters()))
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [1, 2, 3] and all(r["img_s"] > 0 for r in lines)

    dest = tmp_path / "weights"
    assert train.main(["--export", "--out", str(out), "--export-dir", str(dest), "--no-manifest",
                       "--diversity-samples", "0"]) == 0
    g = load_generator(dest / "stylegan2-emoji64.safetensors")
    assert isinstance(g, LatentGenerator) and g.resolution == 16
    assert (dest / "stylegan2-emoji64.png").is_file() and "kimg" in (dest / "stylegan2-emoji64.md").read_text()
    from plugins.stylegan2.convert import load_discriminator

    d = load_discriminator(dest / "stylegan2-emoji64-discriminator.safetensors")
    assert d(torch.zeros(2, 3, 16, 16)).shape == (2, 1)

    # the cache is lost: training goes on from the exported weights, counting on from their image count
    out2 = tmp_path / "run2"
    common2 = [a if a != str(out) else str(out2) for a in common]
    assert train.main(common2 + ["--steps", "4", "--init-from", str(dest)]) == 0
    state4 = json.loads((train.latest_checkpoint(out2) / "state.json").read_text())
    assert state4["step"] == 4 and state4["nimg"] == 16 and state4["history"][-1]["init_from"] == str(dest)
    assert state4["history"][0]["step"] == 0  # the exported run's schedule carries over into the card
    _, d4, _, _ = train.load_checkpoint_models(train.latest_checkpoint(out2))
    assert not torch.equal(next(d4.parameters()), next(d.parameters()))  # D trained on from the export


def test_plugin_import_is_light_and_registers():
    code = ("import sys, plugins.stylegan2.plugin as p; assert 'torch' not in sys.modules, 'torch imported';"
            "specs=[]; p.register_models(specs.append); names=[s.name for s in specs];"
            "assert 'stylegan2-emoji64' in names and 'stylegan2-ffhq-1024' in names, names;"
            "demos=[]; p.register_demos(demos.append); assert demos[0].id == 'stylegan2_sample';"
            "tr=[]; p.register_trainers(tr.append); assert tr[0].name == 'stylegan2';"
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_weights_convert_rosinality_pickle_through_the_store(tmp_path):
    """`ganhub weights convert` path: weights-only torch.load of a rosinality file -> our safetensors -> loads."""
    from hub.api import WeightSpec
    from hub.weights import WeightStore

    torch.manual_seed(2)
    g = Generator(**TINY)
    with torch.no_grad():
        g.w_avg.normal_()
    upstream = tmp_path / "stylegan2-tiny-config-f.pt"
    torch.save({**to_rosinality(g.state_dict()), "d": {"convs.0.0.weight": torch.zeros(1)}}, upstream)
    manifest = [e for e in __import__("yaml").safe_load(open(REPO_MANIFEST))["weights"] if e["id"] == "stylegan2-ffhq-1024"]
    assert manifest and manifest[0]["format"] == "pickle" and manifest[0]["source"]["repo_id"]
    store = WeightStore(converted_dir=tmp_path / "converted")
    store.add(WeightSpec(id="stylegan2-tiny", filename=upstream.name, repo_id="example/none", format="pickle",
                         converter=manifest[0]["converter"]))
    out = store.convert("stylegan2-tiny", source_file=upstream)
    g2 = load_generator(out)
    z = torch.randn(2, g.z_dim)
    with torch.no_grad():
        torch.testing.assert_close(g2(z), g.eval()(z))
        # the store hands the converter the whole checkpoint too, so upstream's latent_avg is w_avg exactly
        assert torch.equal(g2.w_avg, g.w_avg)


def test_stylegan2_trainer_checkpoints_when_terminated(tmp_path, terminate_when_training):
    """SIGTERM (a session ending) finishes the step and checkpoints, so a background run is never lost."""
    from plugins.stylegan2 import train

    out = tmp_path / "run"
    rc, text = terminate_when_training(["plugins.stylegan2.train", "--config", "tiny", "--data", "random", "--out",
                                        str(out), "--threads", "1", "--batch", "4", "--sample-every", "1000",
                                        "--log-every", "1", "--ckpt-minutes", "1000"], "step=2 ")
    assert rc == 0 and "signal 15: checkpointing and stopping" in text
    assert json.loads((train.latest_checkpoint(out) / "state.json").read_text())["step"] >= 2
