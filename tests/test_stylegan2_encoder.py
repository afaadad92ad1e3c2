"""Image -> W+ encoder: shapes, starts at w_avg, learns, resumable training and export."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

from plugins.stylegan2.convert import save_generator
from plugins.stylegan2.encoder import encoder_for, load_encoder, save_encoder
from plugins.stylegan2.model import Generator

TINY = dict(size=16, style_dim=32, n_mlp=2, channels={4: 32, 8: 16, 16: 8})


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One intra-op thread: on a shared 2-core machine two spinning OpenMP threads cost far more than they give."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def tiny_g():
    torch.manual_seed(0)
    g = Generator(**TINY).eval()
    with torch.no_grad():
        g.w_avg.copy_(g.mean_latent(256))
    return g.requires_grad_(False)


def test_encoder_shapes_start_and_any_size(tmp_path):
    G = tiny_g()
    E = encoder_for(G)
    assert E.groups == {"coarse": [0, 1, 2], "middle": [3, 4], "fine": [5]}
    for size in (16, 40):
        ws = E(torch.randn(3, 3, size, size))
        assert ws.shape == (3, G.num_ws, G.w_dim)
        torch.testing.assert_close(ws, G.w_avg.expand(3, G.num_ws, -1))  # zero-initialised offsets
    path = tmp_path / "e.safetensors"
    with torch.no_grad():
        for p in E.parameters():
            p.add_(0.01 * torch.randn_like(p))
    save_encoder(E, path)
    E2 = load_encoder(path)
    x = torch.randn(2, 3, 16, 16)
    torch.testing.assert_close(E2(x), E(x))


def test_encoder_learns_generated_latents():
    from plugins.stylegan2.train_encoder import _sample_ws

    G = tiny_g()
    E = encoder_for(G)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        ws_eval = _sample_ws(G, 16, gen)
        x_eval = G.synthesis(ws_eval)
        w_before = F.mse_loss(E(x_eval), ws_eval).item()
        img_before = F.mse_loss(G.synthesis(E(x_eval)), x_eval).item()
    opt = torch.optim.Adam(E.parameters(), lr=1e-3)
    for _ in range(40):
        with torch.no_grad():
            ws = _sample_ws(G, 16, gen)
            x = G.synthesis(ws)
        loss = F.mse_loss(E(x), ws) + F.mse_loss(G.synthesis(E(x)), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():  # held-out generated images: reconstruction improves, latents get closer
        w_after = F.mse_loss(E(x_eval), ws_eval).item()
        img_after = F.mse_loss(G.synthesis(E(x_eval)), x_eval).item()
    assert img_after < 0.7 * img_before, (img_before, img_after)
    assert w_after < 0.95 * w_before, (w_before, w_after)


def test_train_encoder_resume_and_export(tmp_path):
    from plugins.stylegan2 import train_encoder

    g_path = tmp_path / "g.safetensors"
    save_generator(tiny_g(), g_path)
    out = tmp_path / "enc"
    common = ["--generator", str(g_path), "--out", str(out), "--data", "random", "--batch", "2", "--log-every", "1"]
    assert train_encoder.main(common + ["--steps", "2"]) == 0
    assert json.loads((out / "ckpt-00000002" / "state.json").read_text())["step"] == 2
    assert train_encoder.main(common + ["--steps", "3"]) == 0
    assert (out / "ckpt-00000003").is_dir()
    dest = tmp_path / "w"
    assert train_encoder.main(common + ["--export", "--export-dir", str(dest), "--no-manifest", "--eval-images", "4",
                                        "--eval-steps", "2"]) == 0
    E = load_encoder(dest / "stylegan2-emoji64-encoder.safetensors")
    assert E(torch.zeros(1, 3, 16, 16)).shape == (1, 6, 32)
    card = (dest / "stylegan2-emoji64-encoder.md").read_text()
    assert "encoder alone" in card and "PSNR" in card


def test_train_encoder_init_from_export_counts_on(tmp_path):
    """--init-from continues from an exported encoder (cache lost) with its weights, step and CPU time."""
    from safetensors import safe_open

    from plugins.stylegan2 import train_encoder

    g_path = tmp_path / "g.safetensors"
    save_generator(tiny_g(), g_path)
    common = ["--generator", str(g_path), "--data", "random", "--batch", "2", "--log-every", "1"]
    first, dest = tmp_path / "enc1", tmp_path / "w"
    assert train_encoder.main(common + ["--out", str(first), "--steps", "3"]) == 0
    assert train_encoder.main(common + ["--out", str(first), "--export", "--export-dir", str(dest), "--no-manifest",
                                        "--eval-images", "2", "--eval-steps", "1"]) == 0
    exported = dest / "stylegan2-emoji64-encoder.safetensors"
    with safe_open(str(exported), framework="pt") as f:
        meta = f.metadata()
    assert meta["step"] == "3" and meta["nimg"] == "12" and float(meta["cpu_seconds"]) > 0

    second = tmp_path / "enc2"
    assert train_encoder.main(common + ["--out", str(second), "--init-from", str(exported), "--steps", "3"]) == 0
    # Already at step 3: no training step ran, so the checkpoint holds exactly the exported weights.
    state = json.loads((second / "ckpt-00000003" / "state.json").read_text())
    assert state["step"] == 3 and state["nimg"] == 12 and state["cpu_seconds"] >= float(meta["cpu_seconds"])
    from safetensors.torch import load_file

    ckpt = load_file(str(second / "ckpt-00000003" / "E.safetensors"))
    ref = load_file(str(exported))
    assert all(torch.equal(ckpt[k], v) for k, v in ref.items() if k != "w_avg")
    assert train_encoder.main(common + ["--out", str(second), "--steps", "5"]) == 0
    assert json.loads((second / "ckpt-00000005" / "state.json").read_text())["nimg"] == 20


def test_train_encoder_checkpoints_when_terminated(tmp_path, terminate_when_training):
    """SIGTERM (a session ending) finishes the step and writes a checkpoint, like the other trainers."""
    g_path = tmp_path / "g.safetensors"
    save_generator(tiny_g(), g_path)
    out = tmp_path / "enc"
    rc, text = terminate_when_training(["plugins.stylegan2.train_encoder", "--generator", str(g_path), "--out",
                                        str(out), "--data", "random", "--batch", "2", "--log-every", "1",
                                        "--ckpt-minutes", "1000"], "step=2 ")
    assert rc == 0 and "signal 15: checkpointing and stopping" in text
    ckpts = sorted(out.glob("ckpt-*"))
    assert ckpts and json.loads((ckpts[-1] / "state.json").read_text())["step"] >= 2
