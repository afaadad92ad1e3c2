"""Train the embedded SRResNet (stage 1, MSE) and SRGAN (stage 2), resumable and seeded; export them.

    python -m plugins.srgan.train --stage 1            # SRResNet, MSE, Adam 1e-4 (paper)
    python -m plugins.srgan.train --stage 2            # SRGAN from the latest stage-1 weights
    python -m plugins.srgan.train --export             # plugins/srgan/weights/srgan-*.safetensors + cards + manifest

Paper defaults (Ledig et al. 2017, Sec. 3.2): 96x96 HR crops, batch 16, bicubic x4 LR, Adam beta1 0.9,
lr 1e-4; stage 2: content = MSE of VGG19 phi_5,4 (relu5_4) features rescaled by 1/12.75,
adversarial weight 1e-3 (-log D(G(x))), TV weight 2e-8. The paper trains 10^6 SRResNet iterations
and 10^5 + 10^5 SRGAN iterations on ImageNet on a GPU; here the iteration counts are what fits a
1-thread CPU in about an hour per stage (``--minutes``), and the generator is narrower/shallower
(``--channels``/``--blocks``; the published 64x16 stays the default architecture for converted weights).

Checkpoints and run control are the training kit's (``hub.training``):
``~/.cache/ganhub/train/srgan/stage{1,2}/ckpt-STEP/``, ``latest.json`` pointing to the newest. ``touch
.../stageN/STOP``, ``--minutes`` or SIGTERM checkpoint and exit (a STOP file left from an earlier run is
removed when a run starts). The export (``plugins/srgan/export.py``) goes through ``export_embedded``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from hub.training import LossLog, RunControl, add_common_args, latest_checkpoint, load_checkpoint, log, save_checkpoint
from plugins.srgan.checkpoints import CACHE, load_generator


def parse(argv):
    p = argparse.ArgumentParser(prog="ganhub train srgan", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(p, "srgan", steps=10**6, every=None)
    p.set_defaults(out=CACHE)  # GANHUB_SRGAN_TRAIN_DIR still names the run folder of older runs
    p.add_argument("--iters", dest="steps", type=int, help=argparse.SUPPRESS)  # the flag's name before the kit
    p.add_argument("--stage", type=int, choices=(1, 2), default=1)
    p.add_argument("--export", action="store_true", help="write weights/ files and cards from the latest checkpoints")
    p.add_argument("--channels", type=int, default=32, help="generator width (published: 64)")
    p.add_argument("--blocks", type=int, default=8, help="residual blocks (published: 16)")
    p.add_argument("--d-channels", type=int, default=32, help="discriminator base width (published: 64)")
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--crop", type=int, default=96, help="HR crop (paper: 96)")
    p.add_argument("--batch", type=int, default=None, help="batch (paper 16; stage-2 default 8 on CPU)")
    p.add_argument("--lr", type=float, default=1e-4, help="Adam lr (paper 1e-4)")
    p.add_argument("--ckpt-every", type=float, default=240.0, help="seconds between checkpoints (and every --every steps)")
    p.add_argument("--adv-weight", type=float, default=1e-3)
    p.add_argument("--tv-weight", type=float, default=2e-8)
    p.add_argument("--vgg-rescale", type=float, default=1 / 12.75, help="phi_5,4 features are multiplied by this")
    p.add_argument("--vgg-layer", default="relu5_4")
    p.add_argument("--init", choices=("random", "passthrough"), default="random",
                   help="stage-1 init: PyTorch default (paper) or models.passthrough_init_ (starts as an interpolator)")
    p.add_argument("--init-from", type=Path, default=None,
                   help="stage 1 with no checkpoint in --out: start G from exported weights (e.g. "
                        "plugins/srgan/weights/srgan-srresnet-x4.safetensors), counting steps on from its metadata; Adam starts afresh")
    return p.parse_args(argv)


# ----------------------------------------------------------------------------- monitoring


def held_out_monitor(scale: int, crop: int = 192):
    """Centre crops of the held-out photos (LR, HR tensors): logged only, never used to pick a checkpoint."""
    import numpy as np
    import torch
    from PIL import Image

    from plugins.srgan.data import bicubic_down, held_out_photos, load_rgb

    lrs, hrs = [], []
    for key in held_out_photos():
        a = load_rgb(key)
        h, w = a.shape[:2]
        y, x = (h - crop) // 2, (w - crop) // 2
        hr = Image.fromarray(a[y:y + crop, x:x + crop])
        hrs.append(np.asarray(hr))
        lrs.append(np.asarray(bicubic_down(hr, scale)))
    t = lambda v: torch.from_numpy(np.stack(v)).permute(0, 3, 1, 2).float().div(127.5).sub(1)  # noqa: E731
    return t(lrs), t(hrs)


def monitor_psnr(model, lr, hr, scale) -> tuple[float, float]:
    """Mean Y-PSNR (shave = scale) of the model and of bicubic on the monitor crops."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    from plugins.srgan.metrics import psnr_y

    def ypsnr(a, b):
        to_uint8 = lambda t: ((t.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()  # noqa: E731
        return float(np.mean([psnr_y(x, y, scale) for x, y in zip(to_uint8(a), to_uint8(b))]))

    was_training = model.training
    model.eval()
    with torch.no_grad():
        sr = model(lr)
        bic = F.interpolate(lr, scale_factor=scale, mode="bicubic", align_corners=False)
    model.train(was_training)
    return ypsnr(sr, hr), ypsnr(bic, hr)


# ----------------------------------------------------------------------------- training


def grow_from(G, tensors: dict, src_cfg: dict, g_cfg: dict) -> bool | None:
    """Load an exported SRResNet into ``G``, which may have more residual blocks (same width and scale).

    Returns False for a plain load, True when blocks were added, None when the configs cannot match.
    Added blocks go after the trained ones with their last BN's gamma at zero (the zero-init residual of
    Goyal et al. 2017), so the grown network starts as exactly the trained function and training only
    adds capacity: a CPU-budget way to deepen the embedded model towards the published 16 blocks.
    """
    import torch

    if src_cfg == g_cfg:
        G.load_state_dict(tensors, strict=True)
        return False
    same = all(src_cfg.get(k) == g_cfg.get(k) for k in g_cfg if k != "num_blocks")
    if not same or src_cfg.get("num_blocks", 0) > g_cfg["num_blocks"]:
        return None
    missing, unexpected = G.load_state_dict(tensors, strict=False)
    old = src_cfg["num_blocks"]
    allowed = {k for k in G.state_dict() if k.startswith("blocks.") and int(k.split(".")[1]) >= old}
    if unexpected or set(missing) - allowed:
        return None
    with torch.no_grad():
        for block in list(G.blocks)[old:]:
            block.bn2.weight.zero_()
    return True


def train(args) -> int:
    import torch
    import torch.nn.functional as F

    from hub.nn.training import place_for_training
    from plugins.srgan.data import CropSampler, dataset_fingerprint, training_photos
    from plugins.srgan.models import SRGANDiscriminator, SRResNet

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    stage_dir = args.out / f"stage{args.stage}"
    stage_dir.mkdir(parents=True, exist_ok=True)
    (stage_dir / "STOP").unlink(missing_ok=True)
    batch = args.batch or (16 if args.stage == 1 else 8)
    keys = training_photos()
    sampler = CropSampler(keys, crop=args.crop, scale=args.scale, seed=args.seed + 1000 * args.stage)
    g_cfg = dict(scale=args.scale, channels=args.channels, num_blocks=args.blocks)
    d_cfg = dict(channels=args.d_channels, image_size=args.crop)

    G = SRResNet(**g_cfg)
    if args.stage == 1 and args.init == "passthrough":
        from plugins.srgan.models import passthrough_init_

        passthrough_init_(G)
    modules = {"G": G}
    opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(0.9, 0.999))
    optimizers = {"G": opt_g}
    if args.stage == 2:
        from hub.nn import losses
        from hub.nn.vgg import vgg_features, vgg_source

        D = SRGANDiscriminator(**d_cfg)
        modules["D"] = D
        optimizers["D"] = torch.optim.Adam(D.parameters(), lr=args.lr, betas=(0.9, 0.999))
        vgg = vgg_features("vgg19", (args.vgg_layer,))
        vgg_desc = vgg_source("vgg19")
    step, elapsed, cpu_elapsed, init_from = 0, 0.0, 0.0, None
    lr_history: list[list] = []
    ckpt = None if args.fresh else latest_checkpoint(stage_dir)
    if ckpt is not None:
        state = load_checkpoint(ckpt, modules, optimizers, keep_lr=True)  # --lr on a resumed run takes effect now
        step, elapsed, cpu_elapsed = state["step"], state["elapsed_s"], state.get("cpu_s", 0.0)
        init_from = state.get("init_from")
        lr_history = state.get("lr_history", [[0, state["lr"]]])
        print(f"resumed from {ckpt} at step {step}", flush=True)
    elif args.stage == 1 and args.init_from is not None:
        from safetensors import safe_open
        from safetensors.torch import load_file

        with safe_open(str(args.init_from), "pt") as f:
            meta = dict(f.metadata() or {})
        src_cfg = json.loads(meta.get("config", "{}"))
        grown = grow_from(G, load_file(str(args.init_from)), src_cfg, g_cfg)
        if grown is None:
            print(f"{args.init_from} has config {src_cfg}, not {g_cfg} (only --blocks may grow)", file=sys.stderr)
            return 2
        step = int(meta.get("step", 0))
        # the exported run's cost and schedule carry over, so the card keeps counting the whole run
        cpu_elapsed, elapsed = float(meta.get("cpu_s", 0.0)), float(meta.get("elapsed_s", 0.0))
        lr_history = json.loads(meta.get("lr_history", "[]"))
        init_from = f"{args.init_from.name} (step {step})"
        if grown:
            init_from += f", grown from {src_cfg['num_blocks']} to {g_cfg['num_blocks']} blocks at step {step}"
        print(f"stage 1 starts from the exported {args.init_from} at step {step}", flush=True)
    elif args.stage == 2:
        src = latest_checkpoint(args.out / "stage1")
        if src is None:
            print("stage 2 needs a stage-1 checkpoint: run --stage 1 first", file=sys.stderr)
            return 2
        G1, cfg1 = load_generator(src)
        if any(cfg1.get(k) != v for k, v in g_cfg.items()):
            print(f"stage-1 generator config {cfg1} differs from {g_cfg}", file=sys.stderr)
            return 2
        G.load_state_dict(G1.state_dict())
        init_from = f"stage1/{src.name}"
        print(f"stage 2 starts from {src}", flush=True)

    if not lr_history or lr_history[-1][1] != args.lr:
        lr_history.append([step, args.lr])
    device = place_for_training(args.device, list(modules.values()) + ([vgg] if args.stage == 2 else []),
                                optimizers.values())
    mon_lr, mon_hr = (t.to(device) for t in held_out_monitor(args.scale))
    print(f"stage {args.stage}: {len(keys)} training photos (fingerprint {dataset_fingerprint(keys)}), "
          f"G {g_cfg} ({sum(p.numel() for p in G.parameters())} params), batch {batch}, lr {args.lr}"
          + (f", VGG: {vgg_desc}" if args.stage == 2 else "") + f", device {device}", flush=True)
    G.train()
    t_start, cpu_start = time.time(), time.process_time()
    control = RunControl(stage_dir, args.steps, args.minutes, every=args.every, every_minutes=args.ckpt_every / 60)
    loss_log = LossLog(seconds=60)

    def checkpoint():
        run_s = time.time() - t_start
        state = {"step": step, "elapsed_s": elapsed + run_s, "cpu_s": cpu_elapsed + time.process_time() - cpu_start,
                 "stage": args.stage, "batch": batch, "lr": args.lr, "lr_history": lr_history,
                 "seed": args.seed, "crop": args.crop, "init": args.init if args.stage == 1 else None,
                 "photos": len(keys), "fingerprint": dataset_fingerprint(keys), "init_from": init_from,
                 "loss_weights": {"adv": args.adv_weight, "tv": args.tv_weight, "vgg_rescale": args.vgg_rescale,
                                  "vgg_layer": args.vgg_layer} if args.stage == 2 else None,
                 "vgg": vgg_desc if args.stage == 2 else None,
                 "config": {"G": g_cfg, **({"D": d_cfg} if args.stage == 2 else {})},
                 "monitor_psnr": monitor_psnr(G, mon_lr, mon_hr, args.scale)}
        path = save_checkpoint(stage_dir, step, modules, optimizers, state)
        log(f"checkpoint {path} (held-out centre crops: model {state['monitor_psnr'][0]:.2f} dB, "
            f"bicubic {state['monitor_psnr'][1]:.2f} dB)")

    while control.running(step):
        lr_img, hr_img = (t.to(device) for t in sampler.batch(step, batch))
        if args.stage == 1:
            sr = G(lr_img)
            loss = F.mse_loss(sr, hr_img)
            opt_g.zero_grad(set_to_none=True)
            loss.backward()
            opt_g.step()
            parts = {"mse": loss.item()}
        else:
            D, opt_d = modules["D"], optimizers["D"]
            sr = G(lr_img)
            # discriminator: log D(HR) + log(1 - D(G(LR)))
            d_real, d_fake = D(hr_img), D(sr.detach())
            loss_d = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                      + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            # generator: VGG54 content + 1e-3 * (-log D(G(LR))) + 2e-8 * TV
            feats_sr = vgg(sr)[args.vgg_layer] * args.vgg_rescale
            with torch.no_grad():
                feats_hr = vgg(hr_img)[args.vgg_layer] * args.vgg_rescale
            content = F.mse_loss(feats_sr, feats_hr)
            d_out = D(sr)
            adv = F.binary_cross_entropy_with_logits(d_out, torch.ones_like(d_out))
            tv = losses.tv_loss(sr, p=2)
            loss = content + args.adv_weight * adv + args.tv_weight * tv
            opt_g.zero_grad(set_to_none=True)
            loss.backward()
            opt_g.step()
            parts = {"content": content.item(), "adv": adv.item(), "d": loss_d.item(),
                     "mse": F.mse_loss(sr.detach(), hr_img).item()}
        step += 1
        loss_log.add(parts)
        if loss_log.due() or step == args.steps:
            log(loss_log.line(step, args.lr) + f" | {(elapsed + time.time() - t_start) / 60:.1f} min")
            loss_log.reset()
        if control.checkpoint_due(step):
            checkpoint()
    checkpoint()
    log(f"stopped at step {step} ({control.reason})")
    return 0


def main(argv=None) -> int:
    args = parse(sys.argv[1:] if argv is None else list(argv))
    if args.export:
        from plugins.srgan.export import export

        return export(args)
    return train(args)


if __name__ == "__main__":
    sys.exit(main())
