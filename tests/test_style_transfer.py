"""style_transfer: AdaIN controls + cache, Gatys loss decreases, texture synthesis, registration."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from hub.nn.adain import mean_std
from plugins.style_transfer.adain import AdaINModel, AdaINStylizer, Decoder, build_embedded, embedded_encoder, match_color
from plugins.style_transfer.gatys import gatys
from plugins.style_transfer.texture import efros_leung, gram_texture


def img(seed, size=32):
    rs = np.random.RandomState(seed)
    small = (rs.rand(4, 4, 3) * 255).astype(np.uint8)
    return Image.fromarray(small).resize((size, size), Image.BICUBIC)


def t(im):
    return torch.from_numpy(np.asarray(im, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1)[None]


def test_adain_stylizer_controls_and_cache():
    torch.manual_seed(0)  # a random decoder: its output must not depend on what ran before
    model = AdaINModel(embedded_encoder(), Decoder(width=0.125)).eval()
    st = AdaINStylizer(model)
    c, s1, s2 = t(img(0)), t(img(1)), t(img(2))
    out = st(c, [s1])
    assert out.shape == c.shape and out.abs().max() <= 1
    st(t(img(3)), [s1])
    assert st.hits == 1  # second content with the same style reuses the style encoding
    mixed = st(c, [s1, s2], style_weights=[0.5, 0.5])
    assert not torch.allclose(mixed, out)
    mask = np.zeros((32, 32), np.float32)
    mask[:, :16] = 1
    assert st(c, [s1, s2], masks=[mask, 1 - mask]).shape == c.shape
    lum = st(c, [s1], preserve_color="luminance")
    assert lum.shape == c.shape
    # alpha=0 decodes the content's own features
    a0 = model.decoder(model.encode(c)["relu4_1"]).clamp(-1, 1)
    assert torch.allclose(st(c, [s1], alpha=0.0), a0, atol=1e-5)


def test_match_color_moves_style_stats_to_content():
    c, s = t(img(0)), t(img(1)) * 0.3
    m = match_color(s, c)
    assert torch.allclose(m.mean(dim=(2, 3)), c.mean(dim=(2, 3)), atol=0.05)


def test_embedded_model_builds_from_repo_weights():
    """The repo's pair loads together: the decoder with its trained encoder, not the random VGG-19."""
    from plugins.style_transfer.adain import embedded_from_files

    model = embedded_from_files()
    random = embedded_encoder().state_dict()
    assert any(not torch.equal(v, random[k]) for k, v in model.encoder.state_dict().items())
    with torch.no_grad():
        out = model(t(img(0)), t(img(1)))
    assert out.shape == (1, 3, 32, 32) and torch.isfinite(out).all()


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_gatys_loss_decreases_and_streams(precision):
    hist = [losses["total"] for _, im, losses in gatys(img(0, 48), [img(1, 48), img(2, 48)], style_weights=[1, 1],
                                                         steps=12, every=3, max_side=48, precision=precision)]
    assert len(hist) == 4 and hist[-1] < hist[0]


def test_bf16_vgg_passes_stay_close_to_fp32():
    """The bf16 path changes only the convolution precision: its features track the float32 ones."""
    from hub.nn.precision import features_in, use_bf16
    from hub.nn.vgg import vgg_features

    assert use_bf16("bf16") and not use_bf16("fp32")
    with pytest.raises(ValueError):
        use_bf16("fp16")
    vgg = vgg_features("vgg19", ("relu2_1", "relu4_2"))
    x = t(img(0, 64))
    ref, low = features_in(vgg, x, False), features_in(vgg, x, True)
    for k in ref:
        assert low[k].dtype == torch.float32
        rel = (low[k] - ref[k]).norm() / ref[k].norm()
        assert rel < 0.05, (k, rel.item())


def test_gram_texture_any_size_and_efros_leung():
    last = None
    for step, im, losses in gram_texture(img(1, 32), (40, 24), steps=4, every=2, sample_side=32):
        last = im
    assert last.size == (24, 40)
    src = img(5, 16)
    frames = list(efros_leung(src, 12, window=5, every_rows=6))
    out = np.asarray(frames[-1][1])
    assert out.shape == (12, 12, 3)
    colours = {tuple(p) for p in np.asarray(src).reshape(-1, 3)}
    assert all(tuple(p) in colours for p in out.reshape(-1, 3))  # non-parametric: copies sample pixels


def test_plugin_registers():
    from hub.testing import make_hub
    import plugins.style_transfer.plugin as plugin

    hub = make_hub([plugin], strict=True)
    assert "adain-embedded" in hub.models.names()


def test_adain_trainer_resumes_and_records_its_schedule(tmp_path, monkeypatch):
    """Two short runs: the second resumes the first; a changed setting opens a new schedule segment."""
    from hub.training import latest_checkpoint
    from plugins.style_transfer import train as adain_train

    monkeypatch.setattr(adain_train, "CKPT_DIR", tmp_path)
    common = ["--batch", "1", "--crop", "32", "--log-every", "1", "--threads", "1"]
    assert adain_train.main(common + ["--steps", "2"]) == 0
    state = json.loads((latest_checkpoint(tmp_path) / "state.json").read_text())
    assert state["step"] == 2 and [seg["from_step"] for seg in state["schedule"]] == [0]
    assert adain_train.main(common + ["--steps", "3", "--identity-weight", "1"]) == 0
    state = json.loads((latest_checkpoint(tmp_path) / "state.json").read_text())
    assert state["step"] == 3 and [seg["identity_weight"] for seg in state["schedule"]] == [0.0, 1.0]
    assert state["schedule"][1]["from_step"] == 2 and state["identity_ema"] > 0


def test_adain_trainer_resumes_a_run_folder_of_the_earlier_layout(tmp_path, monkeypatch):
    """A run folder with decoder.safetensors, optimizer.pt and state.json in the folder itself (earlier
    versions) resumes at its step; the new checkpoints go to the kit's ckpt-<step>/ folders."""
    import shutil

    from hub.training import latest_checkpoint
    from plugins.style_transfer import train as adain_train

    common = ["--batch", "1", "--crop", "32", "--log-every", "1", "--threads", "1"]
    monkeypatch.setattr(adain_train, "CKPT_DIR", tmp_path / "new")
    assert adain_train.main(common + ["--steps", "2"]) == 0
    ckpt, old = latest_checkpoint(tmp_path / "new"), tmp_path / "old"
    old.mkdir()
    shutil.copy(ckpt / "decoder.safetensors", old / "decoder.safetensors")
    shutil.copy(ckpt / "state.json", old / "state.json")
    torch.save(torch.load(ckpt / "optim.pt", weights_only=True)["opt"], old / "optimizer.pt")
    monkeypatch.setattr(adain_train, "CKPT_DIR", old)
    assert adain_train.main(common + ["--steps", "3"]) == 0
    state = json.loads((latest_checkpoint(old) / "state.json").read_text())
    assert latest_checkpoint(old).name == "ckpt-00000003" and state["step"] == 3 and state["images"] == 3


@pytest.mark.parametrize("term", ["identity", "laplacian"])
def test_adain_extra_terms_are_added_only_when_weighted(term):
    """Weight 0 (the default) is exactly the paper's objective; a weight adds that term, and only it."""
    from plugins.style_transfer.adain import Decoder, embedded_encoder
    from plugins.style_transfer.train import adain_losses

    torch.manual_seed(0)
    enc, dec = embedded_encoder().eval(), Decoder()
    c, s = torch.rand(1, 3, 32, 32) * 2 - 1, torch.rand(1, 3, 32, 32) * 2 - 1
    total, lc, ls, lid, llap = adain_losses(enc, dec, c, s)
    assert lid.item() == 0 and llap.item() == 0 and torch.allclose(total, lc + 10 * ls)
    total, lc, ls, lid, llap = adain_losses(enc, dec, c, s, **{f"{term}_weight": 2.0})
    added, absent = (lid, llap) if term == "identity" else (llap, lid)
    assert added.item() > 0 and absent.item() == 0 and torch.allclose(total, lc + 10 * ls + 2 * added)


def test_laplacian_of_pooled_sees_steps_not_flats_or_ramps():
    from plugins.style_transfer.train import laplacian_of_pooled

    # a flat image and a linear ramp have no coarse edges; a step does
    ramp = torch.linspace(-1, 1, 32).view(1, 1, 1, 32).expand(1, 3, 32, 32)
    assert laplacian_of_pooled(torch.full((1, 3, 32, 32), 0.3)).abs().max() < 1e-6
    assert laplacian_of_pooled(ramp)[..., 1:-1].abs().max() < 1e-5
    step = (torch.arange(32) >= 16).float().view(1, 1, 1, 32).expand(1, 3, 32, 32)
    assert laplacian_of_pooled(step).abs().max() > 0.5


def test_adain_held_out_images_are_never_training_images():
    """Evaluation images are never training files; a scene shared with training only where declared."""
    from plugins.style_transfer import data

    def stem(name):  # motorcycle_left/right, aero1/aero3 and leuvenA/B are near-duplicates of one scene
        base = name.rsplit(".", 1)[0].lower()
        return base.rstrip("0123456789").removesuffix("_left").removesuffix("_right").rstrip("ablr")

    train_files = {n for _, n in data.CONTENT_FILES + data.STYLE_FILES}
    train = {stem(n) for n in train_files}
    for held_out in (data.EVAL_CONTENT, data.CONFIRM_CONTENT, data.EVAL_STYLE):
        names = {n for _, n in held_out}
        assert not names & train_files
        # a shared scene is allowed only where it is declared (and the cards say so)
        shared = {n for n in names if stem(n) in train}
        assert shared == {n for n in names if n in data.NEAR_DUPLICATES_OF_TRAINING}
    assert all(v in train_files for v in data.NEAR_DUPLICATES_OF_TRAINING.values())
    assert not {n for _, n in data.CONFIRM_CONTENT} & set(data.NEAR_DUPLICATES_OF_TRAINING)
    assert not {n for _, n in data.EVAL_CONTENT} & {n for _, n in data.CONFIRM_CONTENT}


def test_adain_batches_from_worker_processes_match_the_in_loop_batches():
    """The DataLoader's workers take steps in turn; the batches and their order are those of the loop."""
    from itertools import islice

    from plugins.style_transfer.train import _batch_loader

    inline = list(islice(iter(_batch_loader(3, 5, 2, 32, workers=0)), 4))
    pooled = list(islice(iter(_batch_loader(3, 5, 2, 32, workers=2)), 4))
    for (c1, s1), (c2, s2) in zip(inline, pooled):
        assert torch.equal(c1, c2) and torch.equal(s1, s2)
    assert not torch.equal(inline[0][0], inline[1][0])


def test_adain_trainer_checkpoints_when_terminated(tmp_path, terminate_when_training):
    """SIGTERM (a session ending) finishes the step and writes a checkpoint the next run resumes."""
    rc, out = terminate_when_training(["plugins.style_transfer.train", "--crop", "32", "--batch", "1",
                                       "--log-every", "1", "--ckpt-every", "100000"], "step 2 ",
                                      env={"GANHUB_CACHE": str(tmp_path)})
    from hub.training import latest_checkpoint

    assert rc == 0 and "signal 15: checkpointed at step" in out
    ckpt = latest_checkpoint(tmp_path / "train" / "adain")
    state = json.loads((ckpt / "state.json").read_text())
    assert state["step"] >= 2 and (ckpt / "decoder.safetensors").is_file()


def test_adain_losses_train_the_encoder_only_with_a_loss_network():
    """With a loss network the encoder gets gradients (identity and style), the loss network none."""
    from plugins.style_transfer.adain import Decoder, embedded_encoder
    from plugins.style_transfer.train import adain_losses

    torch.manual_seed(0)
    enc, judge, dec = embedded_encoder().requires_grad_(True), embedded_encoder().requires_grad_(False), Decoder(width=0.25)
    c, s = torch.rand(1, 3, 32, 32) * 2 - 1, torch.rand(1, 3, 32, 32) * 2 - 1
    total, lc, ls, lid, _ = adain_losses(enc, dec, c, s, identity_weight=1.0, loss_network=judge)
    total.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in enc.parameters())
    assert all(p.grad is None for p in judge.parameters())
    assert all(p.requires_grad for p in enc.parameters())  # left trainable after the held content pass
    # the re-encoding of the output is held: the content term's gradient on the encoder is the one it
    # has when a frozen copy re-encodes the output against a detached t (only the t -> g(t) path)
    import copy

    from hub.nn.adain import adain

    held = copy.deepcopy(enc).requires_grad_(False)
    _, lc, _, _, _ = adain_losses(enc, dec, c, s, loss_network=judge)
    got = torch.autograd.grad(lc, list(enc.parameters()))
    t_ = adain(enc(c)["relu4_1"], enc(s)["relu4_1"])
    ref = torch.nn.functional.mse_loss(held(dec(t_))["relu4_1"], t_.detach())
    want = torch.autograd.grad(ref, list(enc.parameters()))
    assert all(torch.allclose(a, b, rtol=1e-4, atol=1e-8) for a, b in zip(got, want))


def test_adain_trainer_trains_the_encoder_and_keeps_it_with_its_decoder(tmp_path, monkeypatch):
    """--train-encoder checkpoints an encoder that moved from the random VGG; a later run without the
    flag resumes with that encoder, frozen; build_embedded loads the pair."""
    from safetensors.torch import load_file

    from hub.training import latest_checkpoint
    from plugins.style_transfer import train as adain_train
    from plugins.style_transfer.adain import build_embedded, embedded_encoder

    monkeypatch.setattr(adain_train, "CKPT_DIR", tmp_path)
    common = ["--batch", "1", "--crop", "32", "--log-every", "1", "--threads", "1", "--identity-weight", "1"]
    assert adain_train.main(common + ["--steps", "2", "--train-encoder", "--encoder-lr", "1e-3"]) == 0
    trained = load_file(str(latest_checkpoint(tmp_path) / "encoder.safetensors"))
    random = embedded_encoder().state_dict()
    assert any(not torch.equal(trained[k], random[k]) for k in trained)
    assert adain_train.main(common + ["--steps", "3"]) == 0
    ckpt = latest_checkpoint(tmp_path)
    assert ckpt.name == "ckpt-00000003"
    again = load_file(str(ckpt / "encoder.safetensors"))
    assert all(torch.equal(trained[k], again[k]) for k in trained)
    state = json.loads((ckpt / "state.json").read_text())
    assert [seg["train_encoder"] for seg in state["schedule"]] == [True, False]
    model = build_embedded({"adain-embedded-decoder": ckpt / "decoder.safetensors",
                            "adain-embedded-encoder": ckpt / "encoder.safetensors"})
    assert all(torch.equal(model.encoder.state_dict()[k], trained[k]) for k in trained)


def test_adain_export_averages_the_last_snapshots_of_the_pair(tmp_path, monkeypatch):
    """--snapshot-every keeps weights; --export --average-last K writes the element-wise mean of the last K
    snapshots' decoders and encoders (the same steps for both), says which steps, and rehashes them."""
    import re

    from safetensors import safe_open
    from safetensors.torch import load_file

    from hub.training import latest_checkpoint
    from hub.weights import sha256_file
    from plugins.style_transfer import train as adain_train

    run, repo = tmp_path / "run", tmp_path / "repo"
    (repo / "weights").mkdir(parents=True)
    real = adain_train.MANIFEST.read_text()  # read before MANIFEST is patched below
    monkeypatch.setattr(adain_train, "CKPT_DIR", run)
    monkeypatch.setattr(adain_train, "MANIFEST", repo / "weights.yaml")
    monkeypatch.setattr(adain_train, "EXPORT", repo / "weights" / "adain-embedded-decoder.safetensors")
    monkeypatch.setattr(adain_train, "EXPORT_ENCODER", repo / "weights" / "adain-embedded-encoder.safetensors")
    monkeypatch.setattr(adain_train, "CARD", repo / "weights" / "adain-embedded-decoder.md")
    entries = [m.group(0) for m in re.finditer(r"^- id: adain-embedded-(?:decoder|encoder)\n(?:  .*\n)+", real, re.M)]
    assert len(entries) == 2
    (repo / "weights.yaml").write_text("weights:\n" + "".join(entries))
    (repo / "weights" / "adain-embedded-decoder.md").write_text("<!-- train-status -->old<!-- /train-status -->")
    common = ["--batch", "1", "--crop", "32", "--threads", "1", "--log-every", "1", "--train-encoder",
              "--encoder-lr", "1e-3", "--lr", "1e-3", "--snapshot-every", "2"]
    assert adain_train.main(common + ["--steps", "6"]) == 0
    snaps = sorted((run / "snapshots").iterdir())
    assert [p.name for p in snaps] == ["step_0000002", "step_0000004", "step_0000006"]
    assert adain_train.main(["--export", "--average-last", "9"]) == 1  # not that many: nothing written
    assert adain_train.main(["--export", "--average-last", "2"]) == 0
    for name, exported in (("decoder", adain_train.EXPORT), ("encoder", adain_train.EXPORT_ENCODER)):
        a, b = (load_file(str(p / f"{name}.safetensors")) for p in snaps[1:])
        got = load_file(str(exported))
        assert any(not torch.equal(a[k], b[k]) for k in a)  # the two snapshots differ, so the mean is a test
        assert all(torch.allclose(got[k], (a[k] + b[k]) / 2, atol=1e-7) for k in a)
        with safe_open(str(exported), "pt") as f:
            meta = f.metadata()
        assert json.loads(meta["averaged_steps"]) == [4, 6] and meta["step"] == "6"
        assert sha256_file(exported) in (repo / "weights.yaml").read_text()
    assert "the average of the snapshots at steps 4, 6" in adain_train.CARD.read_text()
    # a plain export is the checkpoint itself, unaveraged
    assert adain_train.main(["--export"]) == 0
    for name, exported in (("decoder", adain_train.EXPORT), ("encoder", adain_train.EXPORT_ENCODER)):
        ckpt, got = load_file(str(latest_checkpoint(run) / f"{name}.safetensors")), load_file(str(exported))
        assert all(torch.equal(got[k], ckpt[k]) for k in ckpt)
        with safe_open(str(exported), "pt") as f:
            assert "averaged_steps" not in f.metadata()
    assert "Exported from step 6 " in adain_train.CARD.read_text()


# ---- the API's method registry and the tab -------------------------------------------------------------------


def test_method_registry_takes_modules_and_matches_the_tab():
    from plugins.style_transfer import api, ui
    from plugins.style_transfer.adain import adain

    assert list(api.METHODS) == ui.METHODS
    img = Image.new("RGB", (32, 32), (90, 120, 200))
    with pytest.raises(ValueError, match="Unknown method"):
        api.transfer("Oil paint", img, [img])
    with pytest.raises(ValueError, match="content image"):
        api.transfer("Gatys", None, [img])
    with pytest.raises(TypeError, match="loaded adain model"):
        api.transfer("AdaIN", img, [img], "adain-embedded")
    with pytest.raises(TypeError, match="hub.get_model"):
        adain(img, img, model="adain-embedded")
    model = AdaINModel(embedded_encoder(), Decoder(width=0.05))
    [(step, out, info)] = list(api.transfer("AdaIN", img, [img], model, size=32, steps=999))  # unused params ignored
    assert step == 1 and out.size == (32, 32) and info["seconds"] >= 0
    frames = list(api.transfer("Texture (Efros-Leung)", None, [img.resize((8, 8))], size=8))
    assert frames[-1][1].size == (8, 8)


def _tab_app():
    from hub.testing import make_app
    import plugins.style_transfer.plugin as plugin

    return make_app([plugin], strict=True)


def test_results_gallery_shows_the_newest_result():
    app = _tab_app()
    [run] = [f.fn for f in app.fns.values() if getattr(f, "api_name", None) == "style_transfer_run"]
    red, blue = Image.new("RGB", (64, 64), (200, 30, 30)), Image.new("RGB", (64, 64), (30, 30, 200))
    *_, first = run(red, None, None, "Fast (Johnson et al.)", "", 1.0, 0.5, "none", 10, 1e4, 64, [],
                    "fast-style-starry-night")
    *_, second = run(blue, None, None, "Fast (Johnson et al.)", "", 1.0, 0.5, "none", 10, 1e4, 64, first[-1],
                     "fast-style-starry-night")
    gallery, history = second[1], second[-1]
    assert len(history) == 2 and history[1] is first[-1][0]
    newest = np.asarray(Image.open(second[2]).convert("RGB"))
    assert np.array_equal(np.asarray(history[0]), newest)  # the newest result first ...
    assert gallery.selected_index == 0  # ... and selected, so it is the one in view


def test_tab_opens_on_the_fast_method_with_a_rendered_result():
    app = _tab_app()
    [method] = [b for b in app.blocks.values() if getattr(b, "label", None) == "Method"]
    assert method.value == "Fast (Johnson et al.)"
    # hub.ui.first_view: the page-load event computes the tab's result (then applies it to the outputs)
    views = [f.fn() for f in app.fns.values() if any(t[1] == "load" for t in f.targets)]
    views = [v for v in views if isinstance(v, tuple) and len(v) == 5]
    assert len(views) == 1
    (before, after), gallery, png, info, history = views[0]
    assert before.size == after.size == (256, 256) and Image.open(png).size == (256, 256)
    assert "fast-style-starry-night" in info and len(history) == 1
