"""Train the StyleGAN2 generator/discriminator pair (resumable), and export embedded weights.

    python -m plugins.stylegan2.train                 # train (or resume) stylegan2-emoji64
    python -m plugins.stylegan2.train --export        # write plugins/stylegan2/weights/stylegan2-emoji64*.{safetensors,png,md}
    ganhub train stylegan2 ...                        # same arguments

Recipe (StyleGAN2 / StyleGAN2-ADA "auto"/"cifar" settings, scaled to 64 px and a small set):
* non-saturating logistic loss; Adam lr 0.002 (DiffAugment's StyleGAN2 setting), betas (0, 0.99),
  batch 16;
* lazy R1 on reals every 16 D steps, gamma 1.0: the low-shot DiffAugment runs use gamma 10 at
  256 px, which the res^2 scaling of the ADA heuristic makes 0.6 at 64 px; rounded up because a
  first run with gamma 0.1 (ADA's 0.0002*res^2/batch heuristic) gave an over-sharp D (logits +-5)
  and a raw G oscillating far from its EMA. The penalty shares the D step's forward pass, scaled by
  the interval;
* DiffAugment color,translation,cutout on reals and fakes in every D/G evaluation, plus x-flips
  of the reals (non-leaking: mirrored emoji are emoji);
* style mixing with probability 0.9; fresh noise per sample; w_avg tracked with beta 0.995;
* EMA generator, half-life 10*batch/32 kimg with a 5 % ramp-up (ADA);
* path-length regularisation is skipped: it needs a double backward through G every 4
  steps (about +40 % G cost) for smoother W, which this CPU cannot afford; the cost is noted
  in the model card;
* to save a G forward per iteration the D step reuses the fake batch of the preceding G step;
* optional, not in StyleGAN2: ``--mode-seeking`` adds MSGAN's term (Mao et al. 2019) between the two
  halves of G's batch, on 8x8 block means. Every run without it (R1 gamma 0.05-10, lr 0.00125-0.002,
  fp32, a 2x wider D, no augmentation, mapping lr multiplier 1) collapsed to one template within
  ~5 kimg; on full-resolution pixels the term was met with speckle instead of new layouts.

Checkpoints and run control are the training kit's (``hub.training``): ``<out>/ckpt-<step>/`` holds
``G``, ``D``, ``G_ema`` and ``rng`` safetensors, ``optim.pt`` and ``state.json``; the last three are kept,
and the same command resumes (a checkpoint of the layout before the kit, ``ckpt_<step>/model.safetensors``,
resumes too, with fresh Adam moments). A ``STOP`` file in ``--out``, ``--minutes`` or SIGTERM checkpoint
and stop. ``--export`` goes through ``hub.training.export_embedded``; the card is ``card_template.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from hub.nn.augment import diff_augment
from hub.nn.losses import mode_seeking_loss
from hub.nn.training import place_for_training
from hub.training import (RunControl, add_common_args, atomic_write, cache_dir, export_embedded, latest_checkpoint,
                          load_checkpoint, psnr, render_card, save_checkpoint)
from hub.weights import sha256_file
from plugins.stylegan2.model import (EMOJI64_D, EMOJI64_G, Generator, build_discriminator,
                                     build_generator)

WEIGHTS_DIR = Path(__file__).resolve().with_name("weights")  # this plugin's embedded weights
MANIFEST = Path(__file__).resolve().with_name("weights.yaml")
CARD_TEMPLATE = Path(__file__).resolve().with_name("card_template.md")
D_CARD_TEMPLATE = Path(__file__).resolve().with_name("discriminator_card_template.md")
WEIGHT_ID = "stylegan2-emoji64"
DEFAULT_OUT = cache_dir(WEIGHT_ID)

TINY_G = dict(size=16, style_dim=32, n_mlp=2, channels={4: 32, 8: 16, 16: 8})
TINY_D = dict(size=16, channels={4: 32, 8: 16, 16: 8})
CONFIGS = {"emoji64": (EMOJI64_G, EMOJI64_D), "tiny": (TINY_G, TINY_D)}


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="ganhub train stylegan2", description=__doc__.split("\n\n")[0])
    add_common_args(p, WEIGHT_ID, steps=None, every=None, threads=2)
    p.add_argument("--config", choices=sorted(CONFIGS), default="emoji64")
    p.add_argument("--data", choices=["emoji", "random"], default="emoji", help="'random' only for smoke tests")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--d-width", type=float, default=1.0,
                   help="fresh runs only: multiply the discriminator's channels (capped at 512)")
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--r1-gamma", type=float, default=1.0)
    p.add_argument("--r1-every", type=int, default=16)
    p.add_argument("--mixing", type=float, default=0.9)
    p.add_argument("--mode-seeking", type=float, default=0.0,
                   help="weight of MSGAN's mode-seeking term between the two halves of G's batch (0 = off; "
                        "not in StyleGAN2: added because unconditional runs here collapsed to one template)")
    p.add_argument("--aug", default="color,translation,cutout", help="DiffAugment policy ('' = none)")
    p.add_argument("--no-xflip", action="store_true")
    p.add_argument("--ema-kimg", type=float, default=None, help="EMA half-life (default 10*batch/32)")
    p.add_argument("--ema-rampup", type=float, default=0.05)
    p.add_argument("--kimg", type=float, default=10_000, help="stop after this many thousand real images")
    p.add_argument("--precision", choices=["bf16", "fp32"], default="bf16",
                   help="autocast the G/D passes to bfloat16 (35 %% faster G step on this AVX512-BF16 CPU); "
                        "weights, optimiser, EMA and losses stay float32")
    p.add_argument("--log-every", type=int, default=20)
    p.add_argument("--sample-every", type=int, default=250)
    p.add_argument("--ckpt-minutes", type=float, default=5.0, help="checkpoint every N minutes (and every --every steps)")
    p.add_argument("--keep", type=int, default=3)
    p.add_argument("--init-from", type=Path, default=None,
                   help="with no checkpoint in --out: start from exported weights in this folder (e.g. weights/): "
                        "G and its EMA from the EMA generator, D from the discriminator, the image count from "
                        "their metadata; Adam moments start afresh. Lets training go on when the cache is lost")
    p.add_argument("--reset-g-to-ema", action="store_true",
                   help="one-off when resuming: restart the raw generator (and its Adam state) from the EMA weights")
    p.add_argument("--export", action="store_true", help="export the latest checkpoint to weights/ and exit")
    p.add_argument("--export-dir", type=Path, default=WEIGHTS_DIR)
    p.add_argument("--no-manifest", action="store_true",
                   help="with --export: write into --export-dir without rehashing the plugin's weights.yaml")
    p.add_argument("--diversity-samples", type=int, default=1000, help="with --export: classifier samples (0 = skip)")
    p.add_argument("--export-which", choices=["ema", "raw"], default="ema",
                   help="with --export: the EMA generator (default) or the raw one")
    p.add_argument("--describe", default="", help="with --export: an honest description of the grid for the card")
    return p.parse_args(argv)


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------
def load_training_images(kind: str, size: int, seed: int) -> torch.Tensor:
    """All training images as one float tensor [N, 3, size, size] in [-1, 1] (fits in memory)."""
    if kind == "random":  # coloured discs on white: a stand-in with structure, for smoke tests
        g = torch.Generator().manual_seed(seed)
        n = 64
        yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
        r = 0.4 + 0.4 * torch.rand(n, 1, 1, generator=g)
        disc = ((yy ** 2 + xx ** 2)[None] < r ** 2).float()[:, None]
        colour = torch.rand(n, 3, 1, 1, generator=g) * 2 - 1
        return disc * colour + (1 - disc)
    from plugins.emoji.dataset import ensure_emoji_dataset, load_emoji_arrays

    ensure_emoji_dataset(resolution=size)
    arrays, _meta = load_emoji_arrays(resolution=size, split="train")
    return torch.from_numpy(np.ascontiguousarray(arrays)).permute(0, 3, 1, 2).float().div(127.5).sub(1)


# ---------------------------------------------------------------------------------------------
# checkpoints
# ---------------------------------------------------------------------------------------------
NETS = ("G", "D", "G_ema")


def resume_point(out: Path) -> Path | None:
    """The checkpoint a run in ``out`` resumes from: the kit's latest, else the newest of the layout before
    the kit (``ckpt_<step>/model.safetensors``, complete when its state.json exists)."""
    ckpt = latest_checkpoint(out)
    if ckpt is None and out.is_dir():
        old = sorted((d for d in out.glob("ckpt_*") if (d / "state.json").is_file()), key=lambda d: int(d.name[5:]))
        ckpt = old[-1] if old else None
    return ckpt


def load_checkpoint_models(ckpt: Path, device="cpu"):
    """(G, D, G_ema, state) from a checkpoint folder, without optimiser state."""
    state = json.loads((ckpt / "state.json").read_text())
    nets = {"G": build_generator(state["g_config"]), "D": build_discriminator(state["d_config"]),
            "G_ema": build_generator(state["g_config"])}
    if (ckpt / "model.safetensors").is_file():  # the layout before the kit: one file, names prefixed "G." ...
        from safetensors.torch import load_file

        tensors = load_file(str(ckpt / "model.safetensors"))
        for name, net in nets.items():
            net.load_state_dict({k[len(name) + 1:]: v for k, v in tensors.items() if k.startswith(name + ".")})
    else:
        load_checkpoint(ckpt, nets)
    return tuple(net.to(device) for net in nets.values()) + (state,)


def _adam(net: torch.nn.Module, lr: float) -> torch.optim.Adam:
    """StyleGAN2's optimiser for G and D: Adam, betas (0, 0.99), eps 1e-8."""
    return torch.optim.Adam(net.parameters(), lr=lr, betas=(0.0, 0.99), eps=1e-8)


# ---------------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------------
def make_grid(images: torch.Tensor, nrow: int = 8):
    from PIL import Image

    x = ((images.clamp(-1, 1) + 1) * 127.5).round().byte().cpu()
    n, c, h, w = x.shape
    ncol = math.ceil(n / nrow)
    grid = torch.full((c, ncol * h, nrow * w), 255, dtype=torch.uint8)
    for i in range(n):
        r, k = divmod(i, nrow)
        grid[:, r * h:(r + 1) * h, k * w:(k + 1) * w] = x[i]
    return Image.fromarray(grid.permute(1, 2, 0).numpy())


@torch.no_grad()
def sample_grid(g_ema: Generator, seed: int = 1234, n: int = 64, psi: float = 0.7):
    z = torch.randn(n, g_ema.z_dim, generator=torch.Generator().manual_seed(seed)).to(g_ema.w_avg.device)
    was = g_ema.training
    g_ema.eval()
    img = torch.cat([g_ema(z[i:i + 16], truncation_psi=psi) for i in range(0, n, 16)])
    g_ema.train(was)
    return make_grid(img)


def mixed_ws(G: Generator, batch: int, prob: float, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """W+ for a batch with style mixing (prob) and the plain W of the first latent (for w_avg).

    The random draws come from the CPU generator ``gen`` on any device, so a run's stream is the
    same on CPU and GPU."""
    dev = G.w_avg.device
    z = torch.randn(2, batch, G.z_dim, generator=gen).to(dev)
    w = G.mapping(z.flatten(0, 1)).view(2, batch, -1)
    ws = w[0].unsqueeze(1).repeat(1, G.num_ws, 1)
    if prob > 0:
        cut = torch.randint(1, G.num_ws, (batch,), generator=gen)
        cut = torch.where(torch.rand(batch, generator=gen) < prob, cut, torch.full_like(cut, G.num_ws))
        later = (torch.arange(G.num_ws)[None, :] >= cut[:, None]).to(dev)  # [N, num_ws]
        ws = torch.where(later[..., None], w[1].unsqueeze(1).expand_as(ws), ws)
    return ws, w[0]


def train(args) -> int:
    torch.set_num_threads(args.threads)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    g_cfg, d_cfg = CONFIGS[args.config]
    if args.d_width != 1.0:  # a fresh run's D channels x this factor (a resumed run keeps its checkpoint's)
        d_cfg = dict(d_cfg, channels={k: min(512, max(1, round(v * args.d_width))) for k, v in d_cfg["channels"].items()})
    torch.manual_seed(args.seed)
    state = dict(step=0, nimg=0, cpu_seconds=0.0, wall_seconds=0.0,
                 args={k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                 command=" ".join(["python -m plugins.stylegan2.train"] + sys.argv[1:]), history=[])

    # what this invocation trains with: one entry of state["history"] per change (the card's schedule)
    from hub.models import choose_device

    device = choose_device(args.device)
    settings = dict(lr=args.lr, r1_gamma=args.r1_gamma, precision=args.precision, batch=args.batch,
                    threads=args.threads, mode_seeking=args.mode_seeking, device=device.type)
    ckpt = None if args.fresh else resume_point(out)
    gen = torch.Generator().manual_seed(args.seed)
    if ckpt is not None:
        G, D, G_ema, saved = load_checkpoint_models(ckpt)
        opt_g, opt_d = _adam(G, args.lr), _adam(D, args.lr)
        rng: dict = {}
        # moments restored (none from the layout before the kit), this command's lr kept
        load_checkpoint(ckpt, {"rng": rng} if (ckpt / "rng.safetensors").is_file() else {}, {"G": opt_g, "D": opt_d},
                        keep_lr=True)
        if "torch" in rng:
            torch.set_rng_state(rng["torch"])
        state.update({k: saved[k] for k in ("step", "nimg", "cpu_seconds", "cuda_seconds", "wall_seconds", "history") if k in saved})
        gen.manual_seed(args.seed + state["step"])  # a fresh but reproducible stream after resuming
        print(f"resumed from {ckpt} at step {state['step']} ({state['nimg'] / 1000:.1f} kimg)", flush=True)
        if args.reset_g_to_ema:
            G.load_state_dict(G_ema.state_dict())
            opt_g = _adam(G, args.lr)
            print("generator reset to its EMA weights", flush=True)
        state["history"].append(dict(settings, step=state["step"], reset_g_to_ema=bool(args.reset_g_to_ema)))
    elif args.init_from is not None:
        G, D, G_ema, saved = init_from_export(args.init_from)
        opt_g, opt_d = _adam(G, args.lr), _adam(D, args.lr)
        state.update(saved)  # counters and the exported run's schedule
        gen.manual_seed(args.seed + state["step"])
        state["history"].append(dict(settings, step=state["step"], init_from=str(args.init_from)))
        print(f"initialised from the exported weights in {args.init_from} at step {state['step']} "
              f"({state['nimg'] / 1000:.1f} kimg; optimiser moments start afresh)", flush=True)
    else:  # built only here: a resumed or initialised run takes its networks from the file
        G, D, G_ema = build_generator(g_cfg), build_discriminator(d_cfg), build_generator(g_cfg)
        G_ema.load_state_dict(G.state_dict())
        opt_g, opt_d = _adam(G, args.lr), _adam(D, args.lr)
        state["history"] = [dict(settings, step=0)]
        print(f"starting fresh in {out}", flush=True)
    G_ema.eval().requires_grad_(False)
    state.update(g_config=G.config(), d_config=D.config())  # the networks trained, not this command's flags

    place_for_training(device, (G, D, G_ema), (opt_g, opt_d))
    reals = load_training_images(args.data, G.size, args.seed).to(device)
    print(f"data: {reals.shape[0]} training images at {G.size} px; G {sum(p.numel() for p in G.parameters()) / 1e6:.2f} M "
          f"params, D {sum(p.numel() for p in D.parameters()) / 1e6:.2f} M params; threads {torch.get_num_threads()}; "
          f"device {device}", flush=True)
    batch = args.batch
    ema_kimg = args.ema_kimg if args.ema_kimg is not None else 10 * batch / 32
    samples_dir = out / "samples"
    samples_dir.mkdir(exist_ok=True)
    metrics_path = out / "metrics.jsonl"

    control = RunControl(out, args.steps, args.minutes, every=args.every, every_minutes=args.ckpt_minutes)

    def checkpoint():
        control.add_time(state, device.type)  # the GPU's time is its wall time; the card states CPU and GPU hours apart
        path = save_checkpoint(out, state["step"], {"G": G, "D": D, "G_ema": G_ema, "rng": {"torch": torch.get_rng_state()}},
                               {"G": opt_g, "D": opt_d}, state, keep=args.keep)
        print(f"checkpoint {path}", flush=True)
        return path

    t_log = time.time()
    steps_at_log = state["step"]
    acc = {"g": 0.0, "d": 0.0, "real": 0.0, "fake": 0.0, "r1": 0.0, "ms": 0.0, "n": 0}
    n_real = reals.shape[0]

    def amp():
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16")

    G.train(), D.train()
    while control.running(state["step"]) and state["nimg"] < args.kimg * 1000:
        step = state["step"]
        # ---- G step: non-saturating loss on D(aug(G(w))) -------------------------------------
        D.requires_grad_(False)
        with amp():
            ws, w_plain = mixed_ws(G, batch, args.mixing, gen)
            fake = G.synthesis(ws, noise=G.make_noise(batch, gen))
            logits_fake = D(diff_augment(fake, args.aug, gen)).float()
        loss_g = F.softplus(-logits_fake).mean()
        if args.mode_seeking > 0:
            # MSGAN between the two halves of the batch (independent draws). Measured on 8x8 block means:
            # on full-resolution pixels the generator met the term with speckle instead of new layouts.
            half = batch // 2
            coarse = F.avg_pool2d(fake.float(), G.size // 8)
            loss_ms = mode_seeking_loss(coarse[:half], coarse[half:2 * half],
                                        w_plain[:half].float(), w_plain[half:2 * half].float())
            loss_g = loss_g + args.mode_seeking * loss_ms
            acc["ms"] += loss_ms.item()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        G.update_w_avg(w_plain.float())
        D.requires_grad_(True)

        # ---- D step: logistic loss (+ lazy R1 on the real images) ----------------------------
        idx = torch.randint(0, n_real, (batch,), generator=gen)
        real = reals[idx.to(device)]
        if not args.no_xflip:
            flip = (torch.rand(batch, generator=gen) < 0.5).to(device)
            real = torch.where(flip[:, None, None, None], real.flip(3), real)
        do_r1 = args.r1_gamma > 0 and step % args.r1_every == 0
        real = real.detach().requires_grad_(do_r1)
        with amp():
            logits_real = D(diff_augment(real, args.aug, gen)).float()
            logits_fake = D(diff_augment(fake.detach(), args.aug, gen)).float()
        loss_d = F.softplus(logits_fake).mean() + F.softplus(-logits_real).mean()
        r1 = torch.zeros((), device=device)
        if do_r1:
            (grad,) = torch.autograd.grad(logits_real.sum(), real, create_graph=True)
            r1 = grad.square().sum([1, 2, 3]).mean()
            loss_d = loss_d + r1 * (args.r1_gamma / 2) * args.r1_every
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()

        # ---- EMA generator --------------------------------------------------------------------
        state["nimg"] += batch
        ema_nimg = min(ema_kimg * 1000, state["nimg"] * args.ema_rampup) if args.ema_rampup else ema_kimg * 1000
        beta = 0.5 ** (batch / max(ema_nimg, 1e-8))
        with torch.no_grad():
            for p_ema, p in zip(G_ema.parameters(), G.parameters()):
                p_ema.lerp_(p, 1 - beta)
            for b_ema, b in zip(G_ema.buffers(), G.buffers()):
                b_ema.copy_(b)
        state["step"] = step = step + 1

        acc["g"] += loss_g.item(); acc["d"] += loss_d.item(); acc["n"] += 1
        acc["real"] += logits_real.mean().item(); acc["fake"] += logits_fake.mean().item()
        if do_r1:
            acc["r1"] = r1.item()
        if step % args.log_every == 0:
            now = time.time()
            its = (step - steps_at_log) / max(now - t_log, 1e-9)
            n = max(acc["n"], 1)
            rec = dict(step=step, kimg=round(state["nimg"] / 1000, 3), loss_g=acc["g"] / n, loss_d=acc["d"] / n,
                       d_real=acc["real"] / n, d_fake=acc["fake"] / n, r1=acc["r1"], ms=acc["ms"] / n, it_s=its, img_s=its * batch,
                       time=time.strftime("%H:%M:%S"))
            print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in rec.items()), flush=True)
            with open(metrics_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
            state["last_speed"] = dict(it_s=its, img_s=its * batch)
            t_log, steps_at_log = now, step
            acc = {k: 0.0 for k in acc} | {"n": 0}
        if step % args.sample_every == 0:
            grid = sample_grid(G_ema)
            grid.save(samples_dir / f"step_{step:07d}.png")
            atomic_write(samples_dir / "latest.png", lambda tmp: grid.save(tmp, format="PNG"))
        if control.checkpoint_due(step):
            checkpoint()
    checkpoint()
    print(f"stopped at step {state['step']} ({state['nimg'] / 1000:.1f} kimg; {control.reason or 'kimg'})", flush=True)
    return 0


# ---------------------------------------------------------------------------------------------
# export
# ---------------------------------------------------------------------------------------------
@torch.no_grad()
def classifier_diversity(g: Generator, n: int = 1000, psi: float = 1.0, seed: int = 7) -> dict | None:
    """Label distribution of the attribute classifier over n samples (None if it is not trained yet)."""
    from plugins.emoji.classifier import EMBEDDED as path

    if not path.is_file():
        return None
    from plugins.emoji.classifier import load_classifier

    clf = load_classifier(path)
    gen = torch.Generator().manual_seed(seed)
    counts: dict[str, dict[str, int]] = {k: {c: 0 for c in v} for k, v in clf.attributes.items()}
    for i in range(0, n, 50):
        img = g(torch.randn(min(50, n - i), g.z_dim, generator=gen), truncation_psi=psi)
        for k, v in clf.predict(img).items():
            for c in v.tolist():
                counts[k][clf.attributes[k][c]] += 1
    return counts


def _auto_description(sample_std: float, real_std: float, kimg: float) -> str:
    """Used when --describe is not given: what the numbers say, and a request to look at the grid."""
    ratio = sample_std / real_std if real_std == real_std and real_std > 0 else float("nan")
    verdict = ("the samples are still far less varied than the data (partial mode collapse)" if ratio < 0.6 else
               "the samples vary about as much as the data" if ratio > 0.85 else
               "the samples vary less than the data")
    return (f"Automatic note at {kimg:.1f} kimg (no one has described this grid by eye yet): by the pixel-spread "
            f"measure below, {verdict}. Look at the grid before trusting it.")


def _schedule(state: dict) -> str:
    """The hyperparameter history of a run, in words (from state.json)."""
    hist = state.get("history") or []
    parts = []
    if not hist or hist[0]["step"] > 0:
        parts.append(f"steps 0-{hist[0]['step'] if hist else state['step']}: settings not recorded")
    keys = ("lr", "r1_gamma", "precision", "threads", "mode_seeking", "batch", "device")
    segments: list[dict] = []  # resumes with unchanged settings continue the segment before them
    for h in hist:
        if segments and all(h.get(k) == segments[-1].get(k) for k in keys) and not h.get("reset_g_to_ema"):
            continue
        segments.append(dict(h))
    for i, h in enumerate(segments):
        end = segments[i + 1]["step"] if i + 1 < len(segments) else state["step"]
        parts.append(f"steps {h['step']}-{end}: lr {h['lr']}, R1 gamma {h['r1_gamma']}, {h['precision']}"
                     + (f", {h['threads']} thread{'s' if h['threads'] != 1 else ''}" if h.get("threads") else "")
                     + (f", batch {h['batch']}" if h.get("batch") else "")
                     + (f", on {h['device']}" if h.get("device") not in (None, "cpu") else "")
                     + (f", mode-seeking term {h['mode_seeking']} (MSGAN, on 8x8 block means; not in StyleGAN2)"
                        if h.get("mode_seeking") else "")
                     + (" (raw G restarted from its EMA weights)" if h.get("reset_g_to_ema") else "")
                     + (f" (initialised from the export in {h['init_from']})" if h.get("init_from") else ""))
    return "; ".join(parts)


def _resume_flags(state: dict) -> str:
    """The command-line settings of the run's last segment that differ from the defaults."""
    last = (state.get("history") or [{}])[-1]
    defaults = parse_args([])
    flags = [(f"--{key.replace('_', '-')}", last[key]) for key in ("lr", "r1_gamma", "mode_seeking", "precision", "batch", "threads")
             if key in last and last[key] != getattr(defaults, key)]
    return "".join(f" {flag} {value:g}" if isinstance(value, float) else f" {flag} {value}" for flag, value in flags)


def init_from_export(folder: Path):
    """(G, D, G_ema, counters) from an export (``--export``): G and G_ema both start from the EMA weights."""
    from safetensors import safe_open

    from plugins.stylegan2.convert import load_discriminator, load_generator

    g_path, d_path = folder / f"{WEIGHT_ID}.safetensors", folder / f"{WEIGHT_ID}-discriminator.safetensors"
    for path in (g_path, d_path):
        if not path.is_file():
            raise SystemExit(f"--init-from: {path} is missing (export with `python -m plugins.stylegan2.train --export`)")
    G_ema = load_generator(g_path)
    G = load_generator(g_path).train().requires_grad_(True)
    D = load_discriminator(d_path).train().requires_grad_(True)
    with safe_open(str(g_path), "pt") as f:
        meta = dict(f.metadata() or {})
    nimg = int(meta["nimg"]) if "nimg" in meta else int(float(meta.get("kimg", 0)) * 1000)
    counters = dict(step=int(meta.get("step", 0)), nimg=nimg, history=json.loads(meta.get("history", "[]")),
                    cpu_seconds=float(meta.get("cpu_seconds", 0.0)), wall_seconds=float(meta.get("wall_seconds", 0.0)))
    return G, D, G_ema, counters


def export(args) -> int:
    """Latest checkpoint -> weights/: EMA generator (fp16 when it keeps PSNR >= 45 dB), discriminator,
    8x8 psi=0.7 grid, model cards; the plugin's weights.yaml rehashed. Safe while training runs (read only)."""
    torch.set_num_threads(min(args.threads, 2))
    ckpt = resume_point(args.out)
    if ckpt is None:
        print(f"no checkpoint in {args.out}; train first", file=sys.stderr)
        return 1
    G_raw, D, G_ema, state = load_checkpoint_models(ckpt)
    if args.export_which == "raw":
        G_ema = G_raw
    G_ema.eval()
    # into the plugin's weights (rehashing weights.yaml), or into a folder to look at first
    where = (dict(manifest=MANIFEST) if not args.no_manifest and args.export_dir.resolve() == WEIGHTS_DIR
             else dict(folder=args.export_dir))
    kimg = state["nimg"] / 1000
    info = {"step": str(state["step"]), "kimg": f"{kimg:.1f}", "nimg": str(state["nimg"]), "checkpoint": ckpt.name,
            "cpu_seconds": f"{state.get('cpu_seconds', 0.0):.0f}", "wall_seconds": f"{state.get('wall_seconds', 0.0):.0f}",
            "history": json.dumps(state.get("history") or [])}

    # fp16 only if the images stay practically identical
    z = torch.randn(64, G_ema.z_dim, generator=torch.Generator().manual_seed(1234))
    g32 = {k: v.detach().float() if v.is_floating_point() else v for k, v in G_ema.state_dict().items()}
    g16 = {k: v.half() if v.is_floating_point() else v for k, v in g32.items()}
    rounded = build_generator(G_ema.config())
    rounded.load_state_dict({k: v.float() for k, v in g16.items()})
    with torch.no_grad():
        ref = G_ema(z, truncation_psi=0.7).clamp(-1, 1)
        out16 = rounded.eval()(z, truncation_psi=0.7).clamp(-1, 1)
        fp16_psnr = float(psnr(out16.reshape(1, -1), ref.reshape(1, -1)))
    g_dtype = "float16" if fp16_psnr >= 45 else "float32"
    d_path = export_embedded(f"{WEIGHT_ID}-discriminator", {k: v.detach().float() for k, v in D.state_dict().items()},
                             render_card(D_CARD_TEMPLATE), **where,
                             metadata={"config": json.dumps(D.config()), "format": "ganhub-stylegan2-d", **info})

    # diversity without an Inception net: per-pixel std across 64 samples vs across 64 real train images
    with torch.no_grad():
        sample_std = G_ema(z, truncation_psi=1.0).clamp(-1, 1).std(0).mean().item()
    try:
        reals = load_training_images("emoji" if G_ema.size == 64 else "random", G_ema.size, 0)
        pick = torch.randperm(reals.shape[0], generator=torch.Generator().manual_seed(0))[:64]
        real_std = reals[pick].std(0).mean().item()
    except Exception:  # noqa: BLE001 (the dataset may be absent where weights are exported)
        real_std = float("nan")
    speed = state.get("last_speed", {})
    diversity = classifier_diversity(G_ema, n=args.diversity_samples) if args.diversity_samples > 0 else None
    last = (state.get("history") or [{}])[-1]

    def card(g_path: Path) -> str:
        return render_card(
            CARD_TEMPLATE, step=state["step"], kimg=kimg, cpu_h=state.get("cpu_seconds", 0) / 3600,
            wall_h=state.get("wall_seconds", 0) / 3600, g_dtype=g_dtype, fp16_psnr=fp16_psnr,
            g_size=g_path.stat().st_size / 1e6, d_size=d_path.stat().st_size / 1e6, g_sha=sha256_file(g_path),
            d_sha=sha256_file(d_path), it_s=speed.get("it_s", float("nan")), img_s=speed.get("img_s", float("nan")),
            g_cfg=json.dumps(G_ema.config()), d_cfg=json.dumps(D.config()), ckpt=ckpt.name,
            date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            diversity=("\n".join(f"- {k}: " + ", ".join(f"{c} {n}" for c, n in v.items()) for k, v in diversity.items())
                       if diversity else "- (the attribute classifier was not available at export time)"),
            which="EMA" if args.export_which == "ema" else "raw (non-EMA)", schedule=_schedule(state),
            num_ws=G_ema.num_ws, precision=last.get("precision", "bf16"), threads=last.get("threads", "?"),
            sample_std=sample_std, real_std=real_std, resume_flags=_resume_flags(state), n_div=args.diversity_samples,
            description=args.describe or _auto_description(sample_std, real_std, kimg))

    g_path = export_embedded(WEIGHT_ID, g16 if g_dtype == "float16" else g32, card, **where,
                             metadata={"config": json.dumps(G_ema.config()), "format": "ganhub-stylegan2", **info})
    atomic_write(g_path.with_suffix(".png"), lambda tmp: sample_grid(G_ema).save(tmp, format="PNG"))
    for path in (g_path, d_path):
        print(f"{path.stem}: sha256 {sha256_file(path)} size {path.stat().st_size}")
    print(f"exported {ckpt.name} (step {state['step']}, {kimg:.1f} kimg) -> {g_path.parent}; G {g_dtype}, "
          f"fp16 PSNR {fp16_psnr:.1f} dB" + ("; weights.yaml rehashed" if "manifest" in where else ""))
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.export:
        return export(args)
    return train(args)


if __name__ == "__main__":
    sys.exit(main())
