"""Train the embedded Noto emoji <-> Twemoji CycleGAN on unpaired images, resumably and seeded; ``--export`` ships it.

    python -m plugins.emoji.twemoji --resolution 64      # the Twemoji set, once
    ganhub train cyclegan --threads 1 --minutes 40       # ~/.cache/ganhub/train/cyclegan/
    ganhub train cyclegan --export                       # plugins/image_translation/weights/cyclegan-noto2twemoji64.*

Domains: X = the Noto set's "train" split, Y = the Twemoji set's "train" split (held-out base emoji of
either are never read). Unpaired: at step k the X batch and the Y batch are drawn by two independent
generators, seeded (seed, k, 0) and (seed, k, 1), each image flipped on its own coin, so no pairing by
code point (or by anything else) reaches the losses; the correspondence is read only by the evaluation.

Objective (Zhu et al. 2017): LSGAN adversarial terms for G: X -> Y (against D_Y) and F: Y -> X (against
D_X), cycle consistency ``10 * (|F(G(x)) - x|_1 + |G(F(y)) - y|_1)``, identity ``0.5 * 10 * (|G(y) - y|_1 +
|F(x) - x|_1)``; each discriminator's loss halved and fed from a 50-image pool of past fakes; Adam lr
2e-4, betas (0.5, 0.999), constant for the first half of ``--steps``, then linear decay to zero.

Scaled to 64 px and a shared 2-core CPU: ResNet generators c7s1-16, d32, d64, R64 x 6, u32, u16, c7s1-3
(``--ngf 16 --blocks 6``; published 64 wide with 6 blocks at 128 px and 9 at 256 px; ngf 32 cost 3x the
CPU per step, too few steps in the budget), instance norm, batch 4 (published 1); PatchGAN discriminators ``--ndf 32 --n-layers 2`` (34x34 patches; the paper's
70x70 at 256 px). Every random draw of step k is seeded by (seed, k), so a resumed run is the same run.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Sequence

WEIGHT_IDS = {"G": "cyclegan-noto2twemoji64", "F": "cyclegan-twemoji2noto64"}


def parse(argv: Sequence[str]) -> argparse.Namespace:
    from hub.training import add_common_args

    p = argparse.ArgumentParser(prog="ganhub train cyclegan", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(p, "cyclegan", steps=1000, every=100)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--ngf", type=int, default=16, help="generator base width (published 64)")
    p.add_argument("--blocks", type=int, default=6, help="residual blocks (published 6 at 128 px, 9 at 256 px)")
    p.add_argument("--ndf", type=int, default=32)
    p.add_argument("--n-layers", type=int, default=2, help="PatchGAN depth: 1, 2, 3 = 16, 34, 70 px patches")
    p.add_argument("--lambda-cycle", type=float, default=10.0)
    p.add_argument("--lambda-identity", type=float, default=0.5, help="times lambda-cycle")
    p.add_argument("--pool", type=int, default=50)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--beta1", type=float, default=0.5)
    p.add_argument("--decay-from", type=float, default=0.5)
    p.add_argument("--resolution", type=int, default=64)
    p.add_argument("--d-warmup", type=int, default=0,
                   help="the first N steps update only the discriminators (for a warm start, whose fresh "
                        "discriminators would otherwise let the cycle and identity terms pull G and F back)")
    p.add_argument("--init-from-embedded", action="store_true",
                   help="a run with no checkpoint starts G and F from the shipped weights (discriminators and pools fresh)")
    p.add_argument("--export", action="store_true", help="write the embedded weights, cards and grid from the latest checkpoint")
    p.add_argument("--domain-classifier", type=Path, default=None,
                   help="with --export: a saved evaluate.DomainClassifier (safetensors) instead of training it again")
    return p.parse_args(list(argv))


def init_from_embedded(G, F_, path: Path) -> None:
    """Load the shipped pair (``G.*`` / ``F.*``, float16) into the generators, in float32."""
    from safetensors.torch import load_file

    tensors = load_file(str(path))
    for prefix, net in (("G.", G), ("F.", F_)):
        net.load_state_dict({k[len(prefix):]: v.float() for k, v in tensors.items() if k.startswith(prefix)}, strict=True)


def domain_batch(images, step: int, seed: int, domain: int, batch: int):
    """One domain's batch of step ``step``: its own generator (seed, step, domain), independent of the other's."""
    import numpy as np
    import torch

    rng = np.random.default_rng([seed, step, domain])
    idx = rng.integers(0, len(images), batch)
    flips = rng.random(batch) < 0.5
    out = np.stack([images[i][:, ::-1] if f else images[i] for i, f in zip(idx, flips)])
    return torch.from_numpy(np.ascontiguousarray(out)).permute(0, 3, 1, 2).float().div(127.5).sub(1.0), idx


def _sha256(path: Path) -> str:
    from hub.weights import sha256_file

    return sha256_file(path)


def build_nets(args):
    from plugins.image_translation.models import PatchDiscriminator, ResNetGenerator

    G = ResNetGenerator(3, 3, args.ngf, args.blocks, "instance")
    F_ = ResNetGenerator(3, 3, args.ngf, args.blocks, "instance")
    D_X = PatchDiscriminator(3, args.ndf, args.n_layers, "instance")
    D_Y = PatchDiscriminator(3, args.ndf, args.n_layers, "instance")
    return G, F_, D_X, D_Y


def train(args) -> int:
    import torch

    from hub.training import RunControl, log, save_checkpoint
    from hub.training.loop import GANLoop, NetworkMismatch, resume_run
    from plugins.emoji.dataset import load_emoji_arrays
    from plugins.emoji.twemoji import load_twemoji_arrays
    from plugins.image_translation.models import ImagePool
    from plugins.image_translation.defaults import lr_at

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "STOP").unlink(missing_ok=True)
    xs, _ = load_emoji_arrays(args.resolution, "train")
    ys, _ = load_twemoji_arrays(args.resolution, "train")
    torch.manual_seed(args.seed)
    G, F_, D_X, D_Y = build_nets(args)
    for net in (G, F_, D_X, D_Y):  # upstream's init: N(0, 0.02)
        for m in net.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                torch.nn.init.normal_(m.weight, 0.0, 0.02)
                if m.bias is not None:
                    torch.nn.init.zeros_(m.bias)
    betas = (args.beta1, 0.999)
    opt_g = torch.optim.Adam(list(G.parameters()) + list(F_.parameters()), lr=args.lr, betas=betas)
    opt_d = torch.optim.Adam(list(D_X.parameters()) + list(D_Y.parameters()), lr=args.lr, betas=betas)
    pool_x, pool_y = ImagePool(args.pool), ImagePool(args.pool)  # fakes of X (from F) and of Y (from G)
    modules = {"G": G, "F": F_, "D_X": D_X, "D_Y": D_Y, "pool_x": pool_x, "pool_y": pool_y}
    optimizers = {"G": opt_g, "D": opt_d}
    config = {"G": G.config, "F": F_.config, "D_X": D_X.config, "D_Y": D_Y.config, "batch": args.batch,
              "lambda_cycle": args.lambda_cycle, "lambda_identity": args.lambda_identity, "pool": args.pool,
              "lr": args.lr, "betas": list(betas), "steps": args.steps, "decay_from": args.decay_from, "seed": args.seed,
              "resolution": args.resolution, "train_images": {"X": int(len(xs)), "Y": int(len(ys))},
              "d_warmup": args.d_warmup}
    try:
        run = resume_run(out, modules, optimizers, steps=args.steps, config=config, networks=("G", "F", "D_X", "D_Y"),
                         fresh=args.fresh)
    except NetworkMismatch as exc:
        print(exc, file=sys.stderr)
        return 2
    step, cpu_s, wall_s, history, schedule = run.step, run.cpu_s, run.wall_s, run.history, run.schedule
    if run.state is not None and "init_from" in run.state["config"]:
        config["init_from"] = run.state["config"]["init_from"]
    elif run.state is None and args.init_from_embedded:
        shipped = Path(__file__).resolve().parent / "weights" / "cyclegan-noto-twemoji64.safetensors"
        init_from_embedded(G, F_, shipped)
        config["init_from"] = {"weights": shipped.name, "sha256": _sha256(shipped)}
        log(f"G and F warm-started from {shipped}")

    mse = torch.nn.functional.mse_loss
    l1 = torch.nn.functional.l1_loss

    def gan(pred, real: bool):
        return mse(pred, torch.ones_like(pred) if real else torch.zeros_like(pred))

    cpu0, wall0 = time.process_time(), time.time()

    def checkpoint() -> None:
        history.append({"step": step, **loop.losses.means()})
        state = {"cpu_s": cpu_s + time.process_time() - cpu0, "wall_s": wall_s + time.time() - wall0,
                 "threads": args.threads, "config": config, "history": history, "schedule": schedule}
        path = save_checkpoint(out, step, modules, optimizers, state)
        log(f"checkpoint {path}")

    loop = GANLoop(RunControl(out, args.steps, args.minutes), args.every, checkpoint)
    lam, lam_id = args.lambda_cycle, args.lambda_cycle * args.lambda_identity
    while loop.running(step):
        lr = lr_at(step, args.steps, args.lr, args.decay_from)
        for opt in (opt_g, opt_d):
            for group in opt.param_groups:
                group["lr"] = lr
        x, _ = domain_batch(xs, step, args.seed, 0, args.batch)
        y, _ = domain_batch(ys, step, args.seed, 1, args.batch)
        if step >= args.d_warmup:  # generators: adversarial + cycle + identity; the discriminators do not learn here
            for p in list(D_X.parameters()) + list(D_Y.parameters()):
                p.requires_grad_(False)
            fake_y, fake_x = G(x), F_(y)
            rec_x, rec_y = F_(fake_y), G(fake_x)
            adv_g, adv_f = gan(D_Y(fake_y), True), gan(D_X(fake_x), True)
            cyc = l1(rec_x, x) + l1(rec_y, y)
            idt = l1(G(y), y) + l1(F_(x), x) if lam_id > 0 else torch.zeros(())
            loss_g = adv_g + adv_f + lam * cyc + lam_id * idt
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
        else:  # --d-warmup: fresh discriminators learn the (fixed, warm-started) generators' fakes first
            with torch.no_grad():
                fake_y, fake_x = G(x), F_(y)
                adv_g, adv_f = gan(D_Y(fake_y), True), gan(D_X(fake_x), True)
                cyc = idt = torch.zeros(())
        for p in list(D_X.parameters()) + list(D_Y.parameters()):
            p.requires_grad_(True)
        # discriminators: real -> 1, pooled fakes -> 0, halved
        old_y = pool_y.query(fake_y, random.Random(f"{args.seed}-{step}-y"))
        old_x = pool_x.query(fake_x, random.Random(f"{args.seed}-{step}-x"))
        loss_dy = 0.5 * (gan(D_Y(y), True) + gan(D_Y(old_y), False))
        loss_dx = 0.5 * (gan(D_X(x), True) + gan(D_X(old_x), False))
        opt_d.zero_grad(set_to_none=True)
        (loss_dx + loss_dy).backward()
        opt_d.step()
        step += 1
        loop.after_step(step, lr, {"adv_G": adv_g.item(), "adv_F": adv_f.item(), "cycle": cyc.item(), "idt": idt.item(),
                                   "D_Y": loss_dy.item(), "D_X": loss_dx.item()})
    loop.finish(step)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.export:
        from plugins.image_translation.export import export_cyclegan

        return export_cyclegan(args.out, args.domain_classifier)
    return train(args)


if __name__ == "__main__":
    sys.exit(main())
