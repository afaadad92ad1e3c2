"""style_transfer, fast feed-forward method (Johnson et al. 2016): network, public layout, trainer, tab."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from plugins.style_transfer.convert import fast_neural_style_to_transformer
from plugins.style_transfer.fast_models import TransformerNet, load_transformer, widths_of

PLUGIN = Path(__file__).resolve().parents[1] / "plugins" / "style_transfer"


def public_layout_state(seed: int = 0, running_stats: bool = True) -> dict[str, torch.Tensor]:
    """A random state dict with the exact keys and shapes of pytorch/examples fast_neural_style's
    TransformerNet, written out here from its layer list (not from our module)."""
    g = torch.Generator().manual_seed(seed)
    convs = [("conv1", 3, 32, 9), ("conv2", 32, 64, 3), ("conv3", 64, 128, 3)]
    norms = [("in1", 32), ("in2", 64), ("in3", 128)]
    for i in range(1, 6):
        convs += [(f"res{i}.conv1", 128, 128, 3), (f"res{i}.conv2", 128, 128, 3)]
        norms += [(f"res{i}.in1", 128), (f"res{i}.in2", 128)]
    convs += [("deconv1", 128, 64, 3), ("deconv2", 64, 32, 3), ("deconv3", 32, 3, 9)]
    norms += [("in4", 64), ("in5", 32)]
    sd = {}
    for name, cin, cout, k in convs:
        sd[f"{name}.conv2d.weight"] = torch.randn(cout, cin, k, k, generator=g) * 0.05
        sd[f"{name}.conv2d.bias"] = torch.randn(cout, generator=g) * 0.05
    for name, c in norms:
        sd[f"{name}.weight"] = 1 + 0.1 * torch.randn(c, generator=g)
        sd[f"{name}.bias"] = 0.1 * torch.randn(c, generator=g)
        if running_stats:  # what the published .pth files carry from an older torch
            sd[f"{name}.running_mean"] = torch.randn(c, generator=g)
            sd[f"{name}.running_var"] = torch.rand(c, generator=g) + 0.5
    return sd


def test_network_layout_and_shapes():
    net = TransformerNet().eval()
    keys = set(net.state_dict())
    assert {"conv1.conv2d.weight", "res1.conv1.conv2d.weight", "res5.in2.bias", "deconv1.conv2d.weight",
            "deconv3.conv2d.bias", "in5.weight"} <= keys
    assert net.conv1.conv2d.kernel_size == (9, 9) and net.deconv3.conv2d.kernel_size == (9, 9)
    assert net.conv2.conv2d.stride == (2, 2) and net.conv3.conv2d.stride == (2, 2)
    with torch.no_grad():
        assert net(torch.rand(1, 3, 32, 48) * 255).shape == (1, 3, 32, 48)
        y = net.stylize(torch.rand(2, 3, 30, 21) * 2 - 1)  # odd sizes: padded to a multiple of 4, cropped back
    assert y.shape == (2, 3, 30, 21) and y.min() >= -1 and y.max() <= 1
    assert widths_of(TransformerNet((8, 16, 24)).state_dict()) == (8, 16, 24)


def test_public_layout_loads_strictly_after_dropping_running_stats():
    sd = public_layout_state()
    with pytest.raises(RuntimeError, match="running_mean"):  # the stale IN buffers are why a converter is needed
        TransformerNet().load_state_dict(sd, strict=True)
    converted = fast_neural_style_to_transformer(sd)
    assert not any("running" in k for k in converted)
    assert len(converted) == len(sd) - 2 * 15  # 15 InstanceNorm layers, two buffers each
    net = load_transformer(converted)  # strict=True inside
    assert all(torch.equal(net.state_dict()[k], sd[k]) for k in converted)
    with torch.no_grad():
        assert torch.isfinite(net.stylize(torch.zeros(1, 3, 16, 16))).all()
    # files saved by a newer torch (no running stats) and DataParallel prefixes convert too
    assert fast_neural_style_to_transformer({f"module.{k}": v for k, v in public_layout_state(1, False).items()})


def test_converter_rejects_other_layouts():
    sd = public_layout_state()
    del sd["res3.conv2.conv2d.weight"]
    with pytest.raises(KeyError, match="res3.conv2.conv2d.weight"):
        fast_neural_style_to_transformer(sd)
    sd = public_layout_state()
    sd["conv1.conv2d.weight"] = torch.zeros(16, 3, 9, 9)
    with pytest.raises(ValueError, match="conv1.conv2d.weight"):
        fast_neural_style_to_transformer(sd)


def test_manifest_entries_and_registration():
    from hub.testing import make_hub
    from hub.weights import WeightStore, load_manifest
    import plugins.style_transfer.plugin as plugin

    specs = {s.id: s for s in load_manifest(PLUGIN / "weights.yaml")}
    for name in ("candy", "mosaic", "rain-princess", "udnie"):
        spec = specs[f"fast-style-public-{name}"]
        assert spec.format == "pickle" and spec.converter == "plugins.style_transfer.convert:fast_neural_style_to_transformer"
    for style in plugin.FAST_EMBEDDED:
        spec = specs[f"fast-style-{style}"]
        assert spec.embedded and Path(spec.embedded).parent == PLUGIN / "weights"
    store = WeightStore()
    store.add_manifest(PLUGIN / "weights.yaml", plugin="style_transfer")
    for style in plugin.FAST_EMBEDDED:  # committed files match their digests
        assert store.spec(f"fast-style-{style}").sha256
    failures = [s for s in store.verify() if s.path is not None and s.message != "ok"]
    assert not failures, failures
    hub = make_hub([plugin], strict=True)
    names = hub.models.names()
    assert "fast-style-starry-night" in names and "fast-style-public-candy" in names and "adain-embedded" in names


def test_embedded_models_load_and_stylise():
    from plugins.style_transfer.fast import BUILTIN_STYLES, EMBEDDED_DIR, _load_file, fast_style

    photo = Image.fromarray((np.random.RandomState(0).rand(40, 52, 3) * 255).astype(np.uint8))
    for style in BUILTIN_STYLES:  # every embedded style is committed, at the published width
        model = _load_file(EMBEDDED_DIR / f"fast-style-{style}.safetensors", style, "embedded")
        assert widths_of(model.net.state_dict()) == (32, 64, 128)
        out, seconds = fast_style(photo, model, max_side=None)
        assert out.size == (52, 40) and seconds > 0
        assert np.asarray(out).std() > 5  # not a flat image


def test_losses_match_gram_definition_and_teacher_uses_them():
    from plugins.style_transfer.fast import LOSS, TEACHER, loss_network, perceptual_losses, style_targets

    vgg = loss_network()
    style = Image.fromarray((np.random.RandomState(1).rand(32, 32, 3) * 255).astype(np.uint8))
    targets = style_targets(style, vgg)
    x = torch.from_numpy(np.asarray(style, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
    same = perceptual_losses(x, x, targets, vgg)
    assert float(same["content"]) == 0 and float(same["style"]) < 1e-10  # the style image itself
    y = (x * 0.2).requires_grad_(True)
    losses = perceptual_losses(y, x, targets, vgg)
    losses["total"].backward()
    assert float(losses["style"].detach()) > 0 and y.grad.abs().sum() > 0
    assert TEACHER["style_weight"] == LOSS["style"] and TEACHER["arch"] == "vgg16"


def test_trainer_runs_resumes_and_exports(tmp_path, monkeypatch):
    from hub.training import latest_checkpoint
    from plugins.style_transfer import train_fast
    from plugins.style_transfer.fast_catalog import list_models, user_models

    monkeypatch.setenv("GANHUB_CACHE", str(tmp_path))
    style = tmp_path / "My Style.png"
    Image.fromarray((np.random.RandomState(2).rand(40, 40, 3) * 255).astype(np.uint8)).save(style)
    args = ["--style", str(style), "--size", "32", "--batch", "1", "--widths", "4,8,8", "--no-progress",
            "--warm-start", "3"]
    assert train_fast.main(args + ["--steps", "2"]) == 0
    assert list((tmp_path / "train" / "fast-style").glob("_identity-4-8-8-32-1-0-3/model.safetensors"))
    state = json.loads((latest_checkpoint(tmp_path / "train" / "fast-style" / "my-style") / "state.json").read_text())
    assert state["step"] == 2 and len(state["history"]) == 1
    first = (tmp_path / "fast-style" / "my-style.safetensors").read_bytes()
    assert train_fast.main(args + ["--steps", "3"]) == 0  # resumes at step 2
    state = json.loads((latest_checkpoint(tmp_path / "train" / "fast-style" / "my-style") / "state.json").read_text())
    assert state["step"] == 3 and [h["step"] for h in state["history"]] == [2, 3]
    assert (tmp_path / "fast-style" / "my-style.safetensors").read_bytes() != first
    assert "fast-style-user-my-style" in user_models() and "fast-style-user-my-style" in list_models()
    with pytest.raises(SystemExit):  # other settings on the same run folder are refused, not mixed
        train_fast.main(["--style", str(style), "--size", "48", "--widths", "4,8,8", "--steps", "4", "--no-progress"])


def test_trainer_stops_on_a_stop_file_and_resumes_an_older_run_folder(tmp_path, monkeypatch):
    from hub.training import latest_checkpoint
    from plugins.style_transfer import train_fast

    monkeypatch.setenv("GANHUB_CACHE", str(tmp_path))
    style = tmp_path / "style.png"
    Image.fromarray((np.random.RandomState(4).rand(40, 40, 3) * 255).astype(np.uint8)).save(style)
    small = dict(size=32, batch=1, widths=(4, 8, 8), progress=False, warm_start_steps=0, log=lambda m: None)
    run = train_fast.ckpt_dir("s")
    run.mkdir(parents=True)
    (run / "STOP").touch()
    stopped = train_fast.train_one(style, "s", steps=3, **small)
    assert stopped["step"] == 0 and stopped["stopped"] == "STOP file" and "export" not in stopped
    assert not (run / "STOP").exists() and latest_checkpoint(run).name == "ckpt-00000000"
    done = train_fast.train_one(style, "s", steps=3, **small)
    assert done["step"] == 3 and Path(done["export"]).is_file()
    # a run folder in the layout of earlier versions (files in the folder itself) resumes where it was
    ckpt, old = latest_checkpoint(run), train_fast.ckpt_dir("old")
    old.mkdir()
    (old / "model.safetensors").write_bytes((ckpt / "model.safetensors").read_bytes())
    torch.save(torch.load(ckpt / "optim.pt", weights_only=True)["opt"], old / "optimizer.pt")
    (old / "state.json").write_text((ckpt / "state.json").read_text())
    more = train_fast.train_one(style, "old", steps=5, **small)
    assert more["step"] == 5 and [h["step"] for h in more["history"]] == [3, 5]
    assert latest_checkpoint(old).name == "ckpt-00000005"


def test_trainer_continues_a_finished_model_with_scaled_loss_weights(tmp_path, monkeypatch):
    from safetensors.torch import load_file

    from plugins.style_transfer import train_fast
    from plugins.style_transfer.fast import BUILTIN_STYLES, LOSS

    monkeypatch.setenv("GANHUB_CACHE", str(tmp_path))
    style = tmp_path / "style.png"
    Image.fromarray((np.random.RandomState(3).rand(40, 40, 3) * 255).astype(np.uint8)).save(style)
    small = dict(size=32, batch=1, widths=(4, 8, 8), progress=False, warm_start_steps=0, log=lambda m: None)
    done = train_fast.train_one(style, "base", steps=2, **small)
    shipped = Path(done["export"])
    more = train_fast.train_one(style, "more", steps=4, style_scale=3.0, tv_scale=0.5, init_from=shipped, **small)
    assert more["step"] == 4 and [h["step"] for h in more["history"]] == [4]  # 2 shipped + 2 new
    cfg = more["config"]
    assert cfg["init_from"]["steps"] == 2 and cfg["init_from"]["file"] == shipped.name
    assert cfg["loss"]["style"] == 3.0 * LOSS["style"] and cfg["loss"]["content"] == LOSS["content"]
    assert cfg["loss"]["tv"] == 0.5 * LOSS["tv"]
    assert "--style-scale 3 --tv-scale 0.5 " in train_fast.builtin_commands("graffiti", cfg, 4)
    # continuing a model that was itself scaled: the flags stay factors on fast.LOSS, not on that model
    again = {**cfg, "loss": {**LOSS, "style": 2.0 * LOSS["style"], "tv": 0.5 * LOSS["tv"]},
             "init_from": {**cfg["init_from"], "config": cfg}}
    card = train_fast.builtin_commands("graffiti", again, 6)
    assert "--style-scale 2 --tv-scale 0.5 " in card and "the style weight x2 of `fast.LOSS` (it was x3)" in card
    assert "--steps 4 --size 32 --style-scale" in card  # a crop side other than the CLI's default is a flag
    prose = next(line for line in card.splitlines() if line.startswith("Continued from"))
    assert "total-variation" not in prose  # unchanged from the model continued, so not named as a change
    resumed = train_fast.train_one(style, "more", steps=5, style_scale=3.0, tv_scale=0.5, init_from=shipped, **small)
    assert resumed["step"] == 5 and resumed["config"]["init_from"] == cfg["init_from"]  # its history survives a resume
    a, b = load_file(str(shipped)), load_file(str(more["export"]))
    assert set(a) == set(b) and any(not torch.equal(a[k], b[k]) for k in a)
    assert set(train_fast.STYLE_SCALE) <= set(BUILTIN_STYLES)


def test_trainer_is_registered_as_ganhub_train_fast_style():
    from hub.testing import make_hub
    import plugins.style_transfer.plugin as plugin

    hub = make_hub([plugin], strict=True)
    assert "fast-style" in hub.trainers


def test_tab_lists_fast_models_and_runs_fast_method(tmp_path, monkeypatch):
    from plugins.style_transfer import ui_handlers
    from plugins.style_transfer.fast import FastStyleModel

    monkeypatch.setenv("GANHUB_CACHE", str(tmp_path))
    net = TransformerNet((4, 8, 8)).eval()

    class Ctx:
        def models_for(self, interface):
            return ["fast-style-test"] if interface == "FastStyleTransfer" else []

        def get_model(self, name):
            return FastStyleModel(name, net)

    monkeypatch.setattr(ui_handlers, "fast_choices", lambda ctx: ["fast-style-test"])
    photo = Image.fromarray((np.random.RandomState(3).rand(24, 24, 3) * 255).astype(np.uint8))
    outs = list(ui_handlers.run_style_transfer(Ctx(), photo, None, None, "Fast (Johnson et al.)", "", 1, 0.5, "none",
                                               10, 1e4, 64, [], "fast-style-test"))
    (before, after), gallery, png, info, history = outs[-1]
    assert history[0].size == (24, 24) and len(history) == 1 and "fast-style-test" in info
    assert Image.open(png).size == (24, 24) and after.size == before.size


def test_tab_builds_in_the_app():
    import gradio as gr

    from hub.testing import make_app
    import plugins.style_transfer.plugin as plugin

    app = make_app([plugin], strict=True)
    assert isinstance(app, gr.Blocks)
    params = app.get_api_info()["named_endpoints"]["/style_transfer_run"]["parameters"]
    assert params[-1]["label"] == "Fast-style model" and params[-1]["parameter_has_default"]  # old clients still call it
    assert [p["label"] for p in params][:4] == ["Content", "Style", "Second style (optional)", "Method"]


def test_public_pth_converts_through_the_weight_store_and_builds(tmp_path):
    """`ganhub weights convert fast-style-public-candy --from candy.pth` on a file of the exact layout."""
    from hub.weights import WeightStore
    from plugins.style_transfer.fast import build_model

    pth = tmp_path / "candy.pth"
    sd = public_layout_state(5)
    torch.save(sd, pth)
    store = WeightStore(cache_dir=tmp_path / "hf", converted_dir=tmp_path / "converted")
    store.add_manifest(PLUGIN / "weights.yaml", plugin="style_transfer")
    out = store.convert("fast-style-public-candy", source_file=pth)
    model = build_model({"fast-style-public-candy": out}, "fast-style-public-candy", "public")
    assert torch.equal(model.net.res2.conv1.conv2d.weight, sd["res2.conv1.conv2d.weight"])
    assert store.resolve("fast-style-public-candy", download=False) == out


def test_quality_photos_are_held_out():
    from plugins.style_transfer import data
    from plugins.style_transfer.fast_evaluate import HELDOUT

    assert not set(HELDOUT) & set(data.CONTENT_FILES)
    assert set(HELDOUT) <= set(data.EVAL_CONTENT) | set(data.CONFIRM_CONTENT)
    assert all(name not in data.NEAR_DUPLICATES_OF_TRAINING for _, name in HELDOUT)
    from plugins.style_transfer.fast_evaluate import TUNING

    assert set(TUNING) <= set(data.CONTENT_FILES)  # loss weights are chosen on training photos only
