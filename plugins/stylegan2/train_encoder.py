"""Train the image -> W+ encoder of a frozen StyleGAN2 generator (resumable), and export it.

    python -m plugins.stylegan2.train_encoder                   # train/resume against weights/stylegan2-emoji64
    python -m plugins.stylegan2.train_encoder --export          # plugins/stylegan2/weights/stylegan2-emoji64-encoder.{safetensors,md}
    ganhub train stylegan2-encoder ...

Each step mixes two kinds of batch (generator frozen throughout):
* generated pairs: z -> w (psi ~ U(0.5, 1), style mixing with p 0.5) -> W+ -> x = G(W+) -> E(x) = W+';
  loss  w_weight * ||W+' - W+||^2  +  mse_weight * ||G(W+') - x||^2  (+ vgg_weight * VGG-16 perceptual
  through hub.nn.vgg when asked; off by default on CPU);
* real training-split emoji: image losses only, ||G(E(x)) - x||^2 (+ perceptual).
Adam lr 1e-4, betas (0.9, 0.999), batch 8 generated + 8 real. The encoder records the tensors sha256 of the
generator it was trained against (hub.weights.tensors_sha256): retrain it whenever the generator changes.

Checkpoints, run control (``--steps --minutes``, a ``STOP`` file, signals) and the export are the training
kit's (``hub.training``); the card is ``encoder_card_template.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from hub.nn.training import place_for_training
from hub.training import (RunControl, add_common_args, cache_dir, export_embedded, load_checkpoint, psnr, render_card,
                          save_checkpoint)
from hub.weights import sha256_file, tensors_sha256
from plugins.stylegan2.encoder import Encoder, encoder_for, encoder_metadata, load_encoder
from plugins.stylegan2.train import MANIFEST, WEIGHTS_DIR, load_training_images, resume_point

WEIGHT_ID = "stylegan2-emoji64-encoder"
DEFAULT_OUT = cache_dir(WEIGHT_ID)
CARD_TEMPLATE = Path(__file__).resolve().with_name("encoder_card_template.md")


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="ganhub train stylegan2-encoder", description=__doc__.split("\n\n")[0])
    add_common_args(p, WEIGHT_ID, steps=None, every=None)
    p.add_argument("--generator", type=Path, default=WEIGHTS_DIR / "stylegan2-emoji64.safetensors")
    p.add_argument("--data", choices=["emoji", "random"], default="emoji")
    p.add_argument("--batch", type=int, default=8, help="generated images per step (plus as many real ones)")
    p.add_argument("--real-batch", type=int, default=None, help="real images per step (default: --batch)")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--w-weight", type=float, default=1.0)
    p.add_argument("--mse-weight", type=float, default=1.0)
    p.add_argument("--vgg-weight", type=float, default=0.0)
    p.add_argument("--log-every", type=int, default=20)
    p.add_argument("--ckpt-minutes", type=float, default=5.0, help="checkpoint every N minutes (and every --every steps)")
    p.add_argument("--init-from", type=Path, default=None, metavar="SAFETENSORS",
                   help="with no checkpoint in --out: start from an exported encoder (e.g. weights/"
                        "stylegan2-emoji64-encoder.safetensors), counting on from its step; Adam starts afresh. "
                        "Adapting the last encoder to a generator that trained on is much cheaper than a new one")
    p.add_argument("--export", action="store_true")
    p.add_argument("--export-dir", type=Path, default=WEIGHTS_DIR)
    p.add_argument("--no-manifest", action="store_true",
                   help="with --export: write into --export-dir without rehashing the plugin's weights.yaml")
    p.add_argument("--eval-images", type=int, default=32, help="with --export: held-out images for the metrics")
    p.add_argument("--eval-steps", type=int, default=100, help="with --export: optimisation steps compared")
    return p.parse_args(argv)


def _load_g(path: Path):
    from plugins.stylegan2.convert import load_generator

    if not path.is_file():
        raise SystemExit(f"no generator at {path}; export one with `python -m plugins.stylegan2.train --export`")
    return load_generator(path)


def _sample_ws(G, n: int, gen: torch.Generator) -> torch.Tensor:
    """W+ of truncated (psi 0.5-1), half style-mixed samples; draws from the CPU generator ``gen``
    on any device, so a run's stream does not depend on where it trains."""
    dev = G.w_avg.device
    z = torch.randn(2, n, G.z_dim, generator=gen).to(dev)
    psi = (0.5 + 0.5 * torch.rand(2, n, 1, generator=gen)).to(dev)
    w = G.w_avg + psi * (G.mapping(z.flatten(0, 1)).view(2, n, -1) - G.w_avg)
    ws = w[0].unsqueeze(1).repeat(1, G.num_ws, 1)
    cut = torch.randint(1, G.num_ws, (n,), generator=gen)
    mix = torch.rand(n, generator=gen) < 0.5
    later = ((torch.arange(G.num_ws)[None] >= cut[:, None]) & mix[:, None]).to(dev)
    return torch.where(later[..., None], w[1].unsqueeze(1).expand_as(ws), ws)


def _perceptual(vgg, a, b):
    fa, fb = vgg(a), vgg(b)
    return sum(F.mse_loss(fa[k], fb[k]) for k in fa)


def train(args) -> int:
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    G = _load_g(args.generator)
    g_sha = tensors_sha256(args.generator)  # the network, not the file's bytes
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    E = encoder_for(G)
    opt = torch.optim.Adam(E.parameters(), lr=args.lr, betas=(0.9, 0.999))
    state = dict(step=0, nimg=0, cpu_seconds=0.0, generator=str(args.generator), generator_sha256=g_sha,
                 config=E.config())
    ckpt = None if args.fresh else resume_point(out)
    if ckpt is not None:
        saved = load_checkpoint_encoder(ckpt, E, opt)
        if saved.get("generator_sha256") != g_sha:
            print(f"note: {ckpt.name} was trained against another generator file; continuing from it anyway")
        with torch.no_grad():
            E.w_avg.copy_(G.w_avg)
        state.update(step=saved["step"], nimg=saved["nimg"], cpu_seconds=saved.get("cpu_seconds", 0.0))
        if "cuda_seconds" in saved:
            state["cuda_seconds"] = saved["cuda_seconds"]
        if saved.get("unrecorded_before_step"):
            state["unrecorded_before_step"] = saved["unrecorded_before_step"]
        print(f"resumed from {ckpt} at step {state['step']}", flush=True)
    elif args.init_from is not None:
        if not args.init_from.is_file():
            raise SystemExit(f"--init-from: no file {args.init_from}")
        from safetensors import safe_open

        with safe_open(str(args.init_from), framework="pt") as f:
            meta = f.metadata() or {}
        E.load_state_dict(load_encoder(args.init_from).state_dict(), strict=True)
        E.requires_grad_(True)
        with torch.no_grad():
            E.w_avg.copy_(G.w_avg)
        state.update(step=int(meta.get("step", 0)), nimg=int(meta.get("nimg", 0)),
                     cpu_seconds=float(meta.get("cpu_seconds", 0.0)))
        if "cpu_seconds" not in meta:
            # Older exports carried only the step: say so on the card rather than guess the time.
            state["unrecorded_before_step"] = state["step"]
        if meta.get("generator_sha256") != g_sha:
            print(f"note: {args.init_from.name} was trained against generator {meta.get('generator_sha256', '?')[:12]}; "
                  f"adapting it to {g_sha[:12]}", flush=True)
        print(f"starting from {args.init_from} at step {state['step']}", flush=True)
    gen = torch.Generator().manual_seed(args.seed + state["step"])
    device = place_for_training(args.device, (G, E), (opt,))
    reals = load_training_images(args.data, G.resolution, args.seed).to(device)
    real_batch = args.batch if args.real_batch is None else args.real_batch
    vgg = None
    if args.vgg_weight > 0:
        from hub.nn.vgg import vgg_features

        vgg = vgg_features("vgg16", layers=("relu1_2", "relu2_2", "relu3_3"), device=str(device))
    print(f"encoder {sum(p.numel() for p in E.parameters()) / 1e6:.2f} M params; generator {args.generator.name} "
          f"(sha256 {g_sha[:12]}); {reals.shape[0]} real images; device {device}", flush=True)

    t_log = time.time()
    acc = {"w": 0.0, "mse": 0.0, "real": 0.0, "n": 0}
    last_step_logged = state["step"]
    # a session ending (SIGTERM), Ctrl-C or a STOP file: finish the step, checkpoint, return
    control = RunControl(out, args.steps, args.minutes, every=args.every, every_minutes=args.ckpt_minutes)

    def checkpoint():
        control.add_time(state, device.type)  # GPU time is wall time, kept apart from the CPU hours on the card
        path = save_checkpoint(out, state["step"], {"E": E}, {"E": opt}, state, keep=3)
        print(f"checkpoint {path}", flush=True)

    E.train()
    while control.running(state["step"]):
        with torch.no_grad():
            ws = _sample_ws(G, args.batch, gen)
            x = G.synthesis(ws)
        ws_pred = E(x)
        loss_w = F.mse_loss(ws_pred, ws)
        recon = G.synthesis(ws_pred)
        loss_mse = F.mse_loss(recon, x)
        loss = args.w_weight * loss_w + args.mse_weight * loss_mse
        if vgg is not None:
            loss = loss + args.vgg_weight * _perceptual(vgg, recon, x)
        loss_real = torch.zeros((), device=device)
        if real_batch > 0:
            xr = reals[torch.randint(0, reals.shape[0], (real_batch,), generator=gen).to(device)]
            recon_r = G.synthesis(E(xr))
            loss_real = F.mse_loss(recon_r, xr)
            loss = loss + args.mse_weight * loss_real
            if vgg is not None:
                loss = loss + args.vgg_weight * _perceptual(vgg, recon_r, xr)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        state["step"] += 1
        state["nimg"] += args.batch + real_batch
        acc["w"] += loss_w.item(); acc["mse"] += loss_mse.item(); acc["real"] += loss_real.item(); acc["n"] += 1
        if state["step"] % args.log_every == 0:
            now = time.time()
            its = (state["step"] - last_step_logged) / max(now - t_log, 1e-9)
            n = acc["n"]
            print(f"step={state['step']} loss_w={acc['w'] / n:.4f} mse_gen={acc['mse'] / n:.4f} "
                  f"mse_real={acc['real'] / n:.4f} it_s={its:.3f} time={time.strftime('%H:%M:%S')}", flush=True)
            acc = {"w": 0.0, "mse": 0.0, "real": 0.0, "n": 0}
            t_log, last_step_logged = now, state["step"]
        if control.checkpoint_due(state["step"]):
            checkpoint()
    checkpoint()
    print(f"stopped at step {state['step']} ({control.reason})", flush=True)
    return 0


def load_checkpoint_encoder(ckpt: Path, E: Encoder, opt: torch.optim.Optimizer | None = None) -> dict:
    """Load a checkpoint into ``E`` (and Adam's moments into ``opt``, keeping this run's lr); return its state.

    A checkpoint of the layout before the training kit (``model.safetensors``, names prefixed ``E.``)
    loads too, with fresh Adam moments."""
    if (ckpt / "model.safetensors").is_file():
        from safetensors.torch import load_file

        E.load_state_dict({k[2:]: v for k, v in load_file(str(ckpt / "model.safetensors")).items()}, strict=True)
        return json.loads((ckpt / "state.json").read_text())
    return load_checkpoint(ckpt, {"E": E}, {"E": opt} if opt is not None else None, keep_lr=True)


def _psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return psnr(a.clamp(-1, 1), b.clamp(-1, 1))


def optimise_ws(G, x: torch.Tensor, ws0: torch.Tensor, steps: int, lr: float = 0.01) -> torch.Tensor:
    """Plain W+ optimisation (Adam on pixel MSE), the yardstick for "encoder then optimisation"."""
    ws = ws0.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([ws], lr=lr)
    for _ in range(steps):
        loss = F.mse_loss(G.synthesis(ws), x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return ws.detach()


def evaluate(G, E, images: torch.Tensor, steps: int) -> dict:
    with torch.no_grad():
        ws_e = E(images)
        p_enc = _psnr(G.synthesis(ws_e), images)
        p_avg = _psnr(G.synthesis(G.w_avg.expand(images.shape[0], G.num_ws, -1)), images)
    ws_opt_e = optimise_ws(G, images, ws_e, steps)
    ws_opt_a = optimise_ws(G, images, G.w_avg.expand(images.shape[0], G.num_ws, -1), steps)
    with torch.no_grad():
        p_opt_e = _psnr(G.synthesis(ws_opt_e), images)
        p_opt_a = _psnr(G.synthesis(ws_opt_a), images)
    return {"n": images.shape[0], "steps": steps, "psnr_w_avg": p_avg.mean().item(), "psnr_encoder": p_enc.mean().item(),
            "psnr_encoder_then_opt": p_opt_e.mean().item(), "psnr_w_avg_then_opt": p_opt_a.mean().item(),
            "encoder_then_opt_wins": float((p_opt_e > p_opt_a).float().mean().item())}


def export(args) -> int:
    torch.set_num_threads(args.threads)
    ckpt = resume_point(args.out)
    if ckpt is None:
        print(f"no encoder checkpoint in {args.out}", file=sys.stderr)
        return 1
    G = _load_g(args.generator)
    state = json.loads((ckpt / "state.json").read_text())
    cfg = dict(state["config"])
    cfg["channels"] = {int(k): v for k, v in cfg["channels"].items()}
    E = Encoder(**cfg)
    load_checkpoint_encoder(ckpt, E)
    E.eval().requires_grad_(False)
    g_sha = tensors_sha256(args.generator)  # the network, not the file's bytes
    with torch.no_grad():
        E.w_avg.copy_(G.w_avg)
    if args.data == "emoji":
        from plugins.emoji.dataset import load_emoji_arrays

        arr, _ = load_emoji_arrays(G.resolution, split="heldout")
        held = torch.from_numpy(arr).permute(0, 3, 1, 2).float().div(127.5).sub(1)
    else:
        held = load_training_images("random", G.resolution, 99)
    idx = torch.randperm(held.shape[0], generator=torch.Generator().manual_seed(0))[:args.eval_images]
    metrics = evaluate(G, E, held[idx], args.eval_steps)
    stale = "" if state.get("generator_sha256") == g_sha else (
        "\n**Warning:** trained against another generator file than the one evaluated here; retrain.\n")
    unrecorded = (f" (not counting steps 0-{state['unrecorded_before_step']}, whose images and time that export "
                  f"did not record)" if state.get("unrecorded_before_step") else "")

    def card(path: Path) -> str:
        return render_card(CARD_TEMPLATE, step=state["step"], kimg=state["nimg"] / 1000,
                           cpu_h=state.get("cpu_seconds", 0) / 3600, sha=sha256_file(path),
                           size=path.stat().st_size / 1e6, g_sha=g_sha, cfg=json.dumps(E.config()), stale=stale,
                           unrecorded=unrecorded, **metrics)

    # into the plugin's weights (rehashing weights.yaml), or into a folder to look at first
    where = (dict(manifest=MANIFEST) if not args.no_manifest and args.export_dir.resolve() == WEIGHTS_DIR
             else dict(folder=args.export_dir))
    extra = {"generator_sha256": g_sha, "step": state["step"], "nimg": state["nimg"],
             "cpu_seconds": state.get("cpu_seconds", 0.0)}
    path = export_embedded(WEIGHT_ID, {k: v.float() for k, v in E.state_dict().items()}, card, **where,
                           metadata=encoder_metadata(E, extra))
    print(json.dumps(metrics, indent=1))
    print(f"{WEIGHT_ID}: sha256 {sha256_file(path)} size {path.stat().st_size}")
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    return export(args) if args.export else train(args)


if __name__ == "__main__":
    sys.exit(main())
