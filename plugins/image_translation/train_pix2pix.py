"""Train the embedded edges -> emoji Pix2Pix, resumably and seeded; ``--export`` ships it.

    ganhub train pix2pix --threads 2 --minutes 40        # ~/.cache/ganhub/train/pix2pix/
    ganhub train pix2pix --export                        # plugins/image_translation/weights/pix2pix-edges2emoji64.*

Pairs: every emoji of the Noto "train" split (held-out bases are never read) and a line map drawn from
it afresh at each step by ``sketch.training_edges`` (Canny with jittered thresholds and blur, 1-3 px
strokes, a small affine and elastic warp, strokes dropped at random), both flipped together half the
time. Objective (Isola et al. 2017, eq. 4): ``G* = arg min_G max_D L_cGAN(G, D) + 100 * L1(G)``, the
discriminator seeing (line map, emoji) pairs, its loss halved, the generator's adversarial term the
non-saturating ``-log D(x, G(x))``. Adam lr 2e-4, betas (0.5, 0.999), constant for the first half of
``--steps`` and then decayed linearly to zero, as upstream's ``--n_epochs``/``--n_epochs_decay``.

Scaled to 64 px and a CPU: the U-Net has 6 downsamplings (64 px -> 1x1, as 8 do at 256 px) and
``--ngf 32`` (published 64): C32-C64-C128-C256-C256-C256 down, dropout 0.5 in the two decoder levels
above the innermost one (published: three); batch norm, batch 16 (published 1-4). The PatchGAN has
``--n-layers 2``: a 34x34 receptive field, 53 % of the 64 px image (the paper's 70x70 is 27 % of 256 px;
the 16x16 patch that keeps that fraction judged only texture in the paper's own ablation), 14x14
patches. Every random draw of step k comes from generators seeded with (seed, k), so a resumed run
is the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence

from plugins.image_translation.defaults import lr_at

PLUGIN_DIR = Path(__file__).resolve().parent
MANIFEST = PLUGIN_DIR / "weights.yaml"


def parse(argv: Sequence[str]) -> argparse.Namespace:
    from hub.training import add_common_args

    p = argparse.ArgumentParser(prog="ganhub train pix2pix", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(p, "pix2pix", steps=7000, every=500)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--ngf", type=int, default=32, help="generator base width (published 64)")
    p.add_argument("--ndf", type=int, default=32, help="discriminator base width (published 64)")
    p.add_argument("--num-downs", type=int, default=6, help="U-Net levels: log2(resolution) reaches 1x1")
    p.add_argument("--dropout-levels", type=int, default=2)
    p.add_argument("--n-layers", type=int, default=2, help="PatchGAN depth: 1, 2, 3 = 16, 34, 70 px patches")
    p.add_argument("--lambda-l1", type=float, default=100.0)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--beta1", type=float, default=0.5)
    p.add_argument("--decay-from", type=float, default=0.5, help="fraction of --steps after which lr decays linearly")
    p.add_argument("--resolution", type=int, default=64)
    p.add_argument("--export", action="store_true", help="write the embedded weights, card and grid from the latest checkpoint")
    return p.parse_args(list(argv))


def make_batch(images, step: int, seed: int, batch: int):
    """(line maps [B,1,H,W], emoji [B,3,H,W]) in [-1, 1] for ``step``: a function of (seed, step) alone."""
    import numpy as np
    import torch

    from plugins.image_translation.sketch import to_input, training_edges

    rng = np.random.default_rng([seed, step])
    idx = rng.integers(0, len(images), batch)
    lines, targets = [], []
    for i in idx:
        img = images[i]
        if rng.random() < 0.5:
            img = img[:, ::-1]
        img = np.ascontiguousarray(img)
        lines.append(training_edges(img, rng))
        targets.append(img)
    x = to_input(np.stack(lines))
    y = torch.from_numpy(np.stack(targets)).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
    return x, y


def build_nets(args):
    from plugins.image_translation.models import PatchDiscriminator, UNetGenerator

    G = UNetGenerator(1, 3, args.num_downs, args.ngf, "batch", args.dropout_levels)
    D = PatchDiscriminator(1 + 3, args.ndf, args.n_layers, "batch")
    return G, D


def train(args) -> int:
    import numpy as np
    import torch
    import torch.nn.functional as F

    from hub.training import RunControl, log, save_checkpoint
    from hub.training.loop import GANLoop, NetworkMismatch, resume_run
    from plugins.emoji.dataset import load_emoji_arrays
    from plugins.image_translation.sketch import edges, to_input

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "STOP").unlink(missing_ok=True)
    images, _ = load_emoji_arrays(args.resolution, "train")
    G, D = build_nets(args)
    betas = (args.beta1, 0.999)
    opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=args.lr, betas=betas)
    torch.manual_seed(args.seed)
    for m in list(G.modules()) + list(D.modules()):  # upstream's init: N(0, 0.02), norms N(1, 0.02)
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                torch.nn.init.zeros_(m.bias)
        elif isinstance(m, torch.nn.BatchNorm2d):
            torch.nn.init.normal_(m.weight, 1.0, 0.02)
            torch.nn.init.zeros_(m.bias)
    config = {"G": G.config, "D": D.config, "batch": args.batch, "lambda_l1": args.lambda_l1, "lr": args.lr,
              "betas": list(betas), "steps": args.steps, "decay_from": args.decay_from, "seed": args.seed,
              "resolution": args.resolution, "train_images": int(len(images))}
    try:
        run = resume_run(out, {"G": G, "D": D}, {"G": opt_g, "D": opt_d}, steps=args.steps, config=config,
                         networks=("G", "D"), fresh=args.fresh)
    except NetworkMismatch as exc:
        print(exc, file=sys.stderr)
        return 2
    step, cpu_s, wall_s, history, schedule = run.step, run.cpu_s, run.wall_s, run.history, run.schedule
    # a fixed monitor: 32 held-out edge maps (logged only; nothing is chosen by it)
    held, _ = load_emoji_arrays(args.resolution, "heldout")
    mon = np.random.default_rng(123).choice(len(held), min(32, len(held)), replace=False)
    mon_x = to_input(np.stack([edges(held[i]) for i in mon]))
    mon_y = torch.from_numpy(held[mon]).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)

    cpu0, wall0 = time.process_time(), time.time()

    def checkpoint() -> None:
        G.eval()
        with torch.no_grad():
            mon_l1 = (G(mon_x) - mon_y).abs().mean().item()
        G.train()
        history.append({"step": step, "monitor_l1": round(mon_l1, 5), **loop.losses.means()})
        state = {"cpu_s": cpu_s + time.process_time() - cpu0, "wall_s": wall_s + time.time() - wall0,
                 "threads": args.threads, "config": config, "history": history, "schedule": schedule}
        path = save_checkpoint(out, step, {"G": G, "D": D}, {"G": opt_g, "D": opt_d}, state)
        log(f"checkpoint {path} (held-out monitor L1 {mon_l1:.4f})")

    loop = GANLoop(RunControl(out, args.steps, args.minutes), args.every, checkpoint)
    G.train()
    D.train()
    while loop.running(step):
        lr = lr_at(step, args.steps, args.lr, args.decay_from)
        for opt in (opt_g, opt_d):
            for group in opt.param_groups:
                group["lr"] = lr
        x, y = make_batch(images, step, args.seed, args.batch)
        torch.manual_seed(args.seed * 1_000_003 + step)  # dropout masks of this step
        fake = G(x)
        # D: real pairs -> 1, fake pairs -> 0, halved (upstream's 0.5 * (real + fake))
        d_real = D(torch.cat([x, y], 1))
        d_fake = D(torch.cat([x, fake.detach()], 1))
        loss_d = 0.5 * (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                        + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # G: fool D + lambda * L1
        d_out = D(torch.cat([x, fake], 1))
        adv = F.binary_cross_entropy_with_logits(d_out, torch.ones_like(d_out))
        l1 = (fake - y).abs().mean()
        loss_g = adv + args.lambda_l1 * l1
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        step += 1
        loop.after_step(step, lr, {"d": loss_d.item(), "g_adv": adv.item(), "l1": l1.item()})
    loop.finish(step)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.export:
        from plugins.image_translation.export import export_pix2pix

        return export_pix2pix(args.out)
    return train(args)


if __name__ == "__main__":
    sys.exit(main())
