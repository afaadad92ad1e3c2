"""Train the four LAPGAN levels on the emoji Laplacian pyramid, resumably; ``--export`` ships them.

    ganhub train lapgan --threads 1 --minutes 75          # all four levels, interleaved, until --steps
    ganhub train lapgan --export                           # plugins/lapgan/weights/lapgan-emoji64.{safetensors,md,png}

As in the paper, every level is its own GAN trained on the pyramid of the real images: G_3/D_3 on the
8x8 images I_3, and G_k/D_k (k = 2, 1, 0) on the band-pass images h_k = I_k - u(I_{k+1}) given the real
low-pass image l_k = u(I_{k+1}); no level ever sees another level's samples. The levels are
independent, so one process trains them interleaved: every step is one D and one G update of each
level (``--coarse-updates`` of the cheap 8x8 GAN, default 6), and any checkpoint is a complete, if
younger, cascade. The 64 px level trains on random 32x32 crops (at even offsets, so the 2x2 blocks of
the pyramid stay aligned): its generator and discriminator are fully convolutional up to D's last
layer, and the crop quarters the cost of the largest level.

Published settings kept: the standard GAN objective (non-saturating G loss), z as noise planes beside
the colour planes, class conditioning by one-hot vectors; Adam (lr 2e-4, beta1 0.5: DCGAN's, which
LAPGAN's successors use) instead of the paper's SGD with momentum; batch 32; an EMA of each G (0.999,
warmed up) is what ships; the coarse D's dropout masks are seeded per step too. Labels are dropped
for a quarter of each batch so that the all-zero vector samples unconditionally. Training data: the
emoji "train" split only (held-out bases are never read), with random horizontal flips.

Every random draw of step k comes from a CPU generator seeded with (seed, level, k), so a resumed run
is the same run. Checkpoints go to ``~/.cache/ganhub/train/lapgan/`` through ``hub.training``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from pathlib import Path
from typing import Sequence

WEIGHT_ID = "lapgan-emoji64"
PLUGIN_DIR = Path(__file__).resolve().parent
MANIFEST = PLUGIN_DIR / "weights.yaml"
CARD_TEMPLATE = PLUGIN_DIR / "card_template.md"
LEVELS = (8, 16, 32, 64)
CROP_64 = 32
#: Settings a resumed run may change; ``state.json`` records from which step each took effect.
SCHEDULED = ("batch", "lr", "coarse_updates", "ema", "label_drop", "generated_low")


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def load_training_pyramid(images=None, meta=None):
    """The train split as tensors: ``{"I8": [N,3,8,8], "low16"/"h16", "low32"/"h32", "low64"/"h64", "cond": [N,9]}``."""
    import torch

    from plugins.emoji.dataset import label_vector, load_emoji_arrays
    from plugins.lapgan.models import condition_vector, gaussian_pyramid, upsample

    if images is None:
        images, meta = load_emoji_arrays(64, "train")
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
    g = gaussian_pyramid(x, 3)  # 64, 32, 16, 8
    data = {"I8": g[3]}
    for k, res in ((2, 16), (1, 32), (0, 64)):
        low = upsample(g[k + 1])
        data[f"low{res}"], data[f"h{res}"] = low, g[k] - low
    labels = [label_vector(m) for m in meta]
    skin = torch.tensor([lab["skin_tone"] for lab in labels])
    kind = torch.tensor([lab["kind"] for lab in labels])
    data["cond"] = torch.cat([condition_vector(skin[i:i + 1], kind[i:i + 1], 1) for i in range(len(labels))])
    return data


def torch_no_grad(fn):
    """``torch.no_grad()`` as a decorator without importing torch at module import (the CLI stays light)."""
    import functools

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        import torch

        with torch.no_grad():
            return fn(*args, **kwargs)
    return wrapped


class Trainer:
    """G, D, EMA-G and two Adam optimisers per level; ``step()`` updates every level once."""

    def __init__(self, out: Path, *, batch: int = 32, lr: float = 2e-4, beta1: float = 0.5, seed: int = 0,
                 ema: float = 0.999, label_drop: float = 0.25, coarse_updates: int = 6, generated_low: float = 0.0,
                 data=None, device=None, log=_log):
        import torch

        from hub.nn.training import place_for_training
        from plugins.lapgan.models import (DISCRIMINATOR_WIDTHS, GENERATOR_WIDTHS, CoarseDiscriminator,
                                           CoarseGenerator, ResidualDiscriminator, ResidualGenerator)

        self.out, self.log = Path(out), log
        self.cfg = {"batch": batch, "lr": lr, "beta1": beta1, "seed": seed, "ema": ema, "label_drop": label_drop,
                    "coarse_updates": coarse_updates, "generated_low": generated_low, "crop_64": CROP_64}
        torch.manual_seed(seed)
        self.G = {8: CoarseGenerator()}
        self.D = {8: CoarseDiscriminator()}
        for r in LEVELS[1:]:
            self.G[r] = ResidualGenerator(GENERATOR_WIDTHS[r])
            self.D[r] = ResidualDiscriminator(CROP_64 if r == 64 else r, DISCRIMINATOR_WIDTHS[r])
        self.G_ema = {r: copy.deepcopy(g).requires_grad_(False).eval() for r, g in self.G.items()}
        betas = (beta1, 0.999)
        self.opt_g = {r: torch.optim.Adam(g.parameters(), lr, betas=betas) for r, g in self.G.items()}
        self.opt_d = {r: torch.optim.Adam(d.parameters(), lr, betas=betas) for r, d in self.D.items()}
        self.device = place_for_training(device, [*self.G.values(), *self.D.values(), *self.G_ema.values()],
                                         [*self.opt_g.values(), *self.opt_d.values()])
        self.data = {k: v.to(self.device) for k, v in (data if data is not None else load_training_pyramid()).items()}
        self.n = len(self.data["cond"])
        self.step_count, self.seconds, self.cpu_seconds, self.last = 0, 0.0, 0.0, {}
        self.schedule = [{"from_step": 0, **{k: self.cfg[k] for k in SCHEDULED}}]
        self.init_from = None  # a weight file the generators started from (``init_from_embedded``)

    def init_from_embedded(self, path: Path) -> None:
        """Warm start: every G and its EMA from a shipped cascade; the discriminators and optimisers start
        fresh (the shipped file holds no D). The EMA then runs at its full decay from the first step, so
        that the fresh discriminators' first updates cannot drag it away from the shipped weights."""
        from plugins.lapgan.api import load_lapgan

        shipped = load_lapgan(path)
        for r in LEVELS:
            source = shipped.coarse if r == 8 else shipped.refiners[str(r)]
            self.G[r].load_state_dict(source.state_dict())
            self.G_ema[r].load_state_dict(source.state_dict())
        self.init_from = str(Path(path).name)
        self.log(f"generators and EMA warm-started from {path}")

    # ---- checkpoints -------------------------------------------------------------------------
    def modules(self) -> dict:
        out = {}
        for r in LEVELS:
            out.update({f"G{r}": self.G[r], f"D{r}": self.D[r], f"G{r}_ema": self.G_ema[r]})
        return out

    def optimizers(self) -> dict:
        return {**{f"G{r}": o for r, o in self.opt_g.items()}, **{f"D{r}": o for r, o in self.opt_d.items()}}

    def save(self):
        from hub.training import save_checkpoint

        return save_checkpoint(self.out, self.step_count, self.modules(), self.optimizers(),
                               {"seconds": self.seconds, "cpu_seconds": self.cpu_seconds, "config": self.cfg, "schedule": self.schedule,
                                "last": self.last, "init_from": self.init_from,
                                "threads": _threads(), "device": str(self.device),
                                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    def resume(self) -> bool:
        from hub.training import latest_checkpoint, load_checkpoint

        ckpt = latest_checkpoint(self.out)
        if ckpt is None:
            return False
        state = load_checkpoint(ckpt, self.modules(), self.optimizers())
        self.step_count, self.seconds = int(state["step"]), float(state.get("seconds", 0.0))
        self.cpu_seconds = float(state.get("cpu_seconds", 0.0))
        self.last = state.get("last", {})
        self.init_from = state.get("init_from")
        # runs from before the schedule record ran their first segment with the saved config and no EMA warm-up
        self.schedule = state.get("schedule") or [
            {"from_step": 0, "ema_warmup": False, **{k: state["config"].get(k) for k in SCHEDULED}}]
        now = {k: self.cfg[k] for k in SCHEDULED}
        if any(self.schedule[-1].get(k) != v for k, v in now.items()) or "ema_warmup" in self.schedule[-1]:
            self.schedule.append({"from_step": self.step_count, **now})
        self.log(f"resumed from {ckpt} (step {self.step_count})")
        return True

    # ---- one step ----------------------------------------------------------------------------
    def _batch(self, res: int, gen):
        import torch

        b = self.cfg["batch"]
        idx = torch.randint(self.n, (b,), generator=gen)
        flip = torch.rand(b, generator=gen) < 0.5
        keep = (torch.rand(b, generator=gen) >= self.cfg["label_drop"]).float()[:, None]
        cond = self.data["cond"][idx.to(self.device)] * keep.to(self.device)

        def pick(t):
            t = t[idx.to(self.device)]
            return torch.where(flip.to(self.device)[:, None, None, None], t.flip(-1), t)

        if res == 8:
            return pick(self.data["I8"]), None, cond, None
        low, h = pick(self.data[f"low{res}"]), pick(self.data[f"h{res}"])
        crop = None
        if res == 64:  # one even-offset crop per batch: the 2x2 blocks of the pyramid stay aligned
            oy, ox = crop = tuple((2 * torch.randint((64 - CROP_64) // 2 + 1, (2,), generator=gen)).tolist())
            low = low[:, :, oy:oy + CROP_64, ox:ox + CROP_64]
            h = h[:, :, oy:oy + CROP_64, ox:ox + CROP_64]
        return h, low, cond, crop

    def _fake(self, res: int, G, low, cond, gen):
        import torch

        from plugins.lapgan.models import NOISE_PLANES

        b = cond.shape[0]
        if res == 8:
            return G(torch.randn(b, G.z_dim, generator=gen).to(self.device), cond)
        z = torch.randn(b, NOISE_PLANES, *low.shape[2:], generator=gen).to(self.device)
        return G(z, low, cond)

    @torch_no_grad
    def _generated_low(self, res: int, cond, gen, crop):
        """u(Ĩ_{k+1}) for level ``res`` from the EMA cascade below it (G_3 and the coarser refiners), with the
        batch's labels: the low-pass images the level meets when the cascade samples, not the real ones."""
        import torch

        from plugins.lapgan.models import NOISE_PLANES, fit_range, upsample

        b = cond.shape[0]
        x = self.G_ema[8](torch.randn(b, self.G_ema[8].z_dim, generator=gen).to(self.device), cond)
        for r in LEVELS[1:LEVELS.index(res)]:
            low = upsample(x)
            z = torch.randn(b, NOISE_PLANES, r, r, generator=gen).to(self.device)
            x = fit_range(low + self.G_ema[r](z, low, cond), x)
        low = upsample(x)
        if crop is not None:
            oy, ox = crop
            low = low[:, :, oy:oy + CROP_64, ox:ox + CROP_64]
        return low

    def step(self) -> dict:
        import torch
        import torch.nn.functional as F

        t0, c0 = time.monotonic(), time.process_time()
        stats = {}
        torch.manual_seed(self.cfg["seed"] * 1_000_003 + self.step_count)  # the coarse D's dropout masks
        updates = [(li, res, rep) for li, res in enumerate(LEVELS)
                   for rep in range(self.cfg["coarse_updates"] if res == 8 else 1)]
        for li, res, rep in updates:
            gen = torch.Generator().manual_seed(
                self.cfg["seed"] * 1_000_003 + li * 100_003 + rep * 7_919 + self.step_count * 16)
            G, D = self.G[res], self.D[res]
            real, low, cond, crop = self._batch(res, gen)
            fake_low = low
            if res != 8 and self.cfg["generated_low"] > 0:
                # a share of the fakes refine the cascade's own coarser samples (see the module docstring)
                mine = (torch.rand(cond.shape[0], generator=gen) < self.cfg["generated_low"]).to(self.device)
                fake_low = torch.where(mine[:, None, None, None], self._generated_low(res, cond, gen, crop), low)
            real_image = real if res == 8 else low + real  # D_k sees l_k + h_k
            image = (lambda h: h) if res == 8 else (lambda h: fake_low + h)
            fake = self._fake(res, G, fake_low, cond, gen)
            d_real, d_fake = D(real_image, cond), D(image(fake.detach()), cond)
            loss_d = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
            self.opt_d[res].zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d[res].step()
            loss_g = F.softplus(-D(image(fake), cond)).mean()
            self.opt_g[res].zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_g[res].step()
            with torch.no_grad():
                # warm-up (decay (1 + t) / (10 + t) until it reaches cfg["ema"]): a short run's EMA would
                # otherwise still remember the initial weights
                decay = self.cfg["ema"] if self.init_from else min(self.cfg["ema"], (1 + self.step_count) / (10 + self.step_count))
                for pe, p in zip(self.G_ema[res].parameters(), G.parameters()):
                    pe.lerp_(p, 1 - decay)
            stats[f"d{res}"] = round(loss_d.item(), 3)
            stats[f"g{res}"] = round(loss_g.item(), 3)
        self.step_count += 1
        self.seconds += time.monotonic() - t0
        self.cpu_seconds += time.process_time() - c0
        self.last = stats
        return stats

    def cascade(self):
        """The EMA generators as a ``LAPGAN`` module (CPU copies)."""
        from plugins.lapgan.models import LAPGAN

        return LAPGAN(copy.deepcopy(self.G_ema[8]).cpu(),
                      {r: copy.deepcopy(self.G_ema[r]).cpu() for r in LEVELS[1:]}).eval()


def _threads() -> int:
    import torch

    return torch.get_num_threads()


def sample_grid(model, path: Path, n: int = 64, seed: int = 0) -> Path:
    """An 8x8 grid of samples (uint8 PNG), 64 px each."""
    import torch
    from PIL import Image

    from plugins.lapgan.api import sample

    with torch.no_grad():
        x = sample(model, n, seed).images
    cols = 8
    x = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    rows = (n + cols - 1) // cols
    grid = torch.full((3, rows * 64, cols * 64), 255, dtype=torch.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        grid[:, r * 64:(r + 1) * 64, c * 64:(c + 1) * 64] = x[i]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid.permute(1, 2, 0).numpy()).save(path)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    from hub.training import RunControl, add_common_args

    p = argparse.ArgumentParser(prog="ganhub train lapgan", description=__doc__.split("\n\n")[0])
    add_common_args(p, "lapgan", steps=20_000, every=200)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--coarse-updates", type=int, default=6,
                   help="updates of the 8x8 GAN per step (it costs ~1/60 of a step; the others get one)")
    p.add_argument("--generated-low", type=float, default=0.0,
                   help="share of each refiner's fakes drawn on the cascade's own coarser samples instead of the "
                        "real pyramid (0: the paper's independent levels)")
    p.add_argument("--init-from-embedded", action="store_true",
                   help="a run with no checkpoint starts its generators and EMA from the shipped weights "
                        "(discriminators fresh)")
    p.add_argument("--sample-every", type=int, default=500)
    p.add_argument("--export", action="store_true", help="write the embedded weights, card and grid from the latest checkpoint")
    p.add_argument("--eval-samples", type=int, default=1000, help="generated samples per Fréchet distance in the card")
    p.add_argument("--no-stylegan2", action="store_true", help="export without measuring stylegan2-emoji64")
    args = p.parse_args(list(argv) if argv is not None else None)

    import torch

    torch.set_num_threads(args.threads)
    if args.export:
        export(args.out, eval_samples=args.eval_samples, stylegan2=not args.no_stylegan2)
        return 0
    if args.fresh:
        import shutil

        for old in args.out.glob("ckpt-*"):
            shutil.rmtree(old, ignore_errors=True)
        (args.out / "latest.json").unlink(missing_ok=True)
    tr = Trainer(args.out, batch=args.batch, lr=args.lr, seed=args.seed, coarse_updates=args.coarse_updates,
                 generated_low=args.generated_low, device=args.device)
    if not tr.resume() and args.init_from_embedded:
        tr.init_from_embedded(PLUGIN_DIR / "weights" / f"{WEIGHT_ID}.safetensors")
    control = RunControl(args.out, args.steps, args.minutes)
    t0, s0 = time.monotonic(), tr.step_count
    while control.running(tr.step_count):
        stats = tr.step()
        k = tr.step_count
        if k % 25 == 0:
            rate = (k - s0) / (time.monotonic() - t0)
            _log(f"step {k} {rate:.3f} steps/s " + " ".join(f"{a} {b}" for a, b in stats.items()))
        if k % args.every == 0:
            tr.save()
        if k % args.sample_every == 0:
            sample_grid(tr.cascade(), args.out / "samples" / f"step{k:06d}.png")
    tr.save()
    _log(f"stopped at step {tr.step_count} ({control.reason}); {tr.seconds / 60:.1f} training minutes in all")
    return 0


# ---- export ------------------------------------------------------------------------------------

def read_latest(out: Path):
    """(LAPGAN of the EMA generators, state) from the latest checkpoint in ``out``."""
    from safetensors.torch import load_file

    from hub.training import latest_checkpoint
    from plugins.lapgan.models import LAPGAN

    for _ in range(5):  # a running trainer may replace the checkpoint meanwhile
        ckpt = latest_checkpoint(out)
        if ckpt is None:
            raise FileNotFoundError(f"no checkpoint in {out}; train first")
        try:
            state = json.loads((ckpt / "state.json").read_text())
            model = LAPGAN()
            model.coarse.load_state_dict(load_file(str(ckpt / "G8_ema.safetensors")))
            for r in LEVELS[1:]:
                model.refiners[str(r)].load_state_dict(load_file(str(ckpt / f"G{r}_ema.safetensors")))
            return model.eval(), state
        except FileNotFoundError:
            time.sleep(1)
    raise RuntimeError(f"could not read a whole checkpoint from {out}")


def schedule_text(state: dict) -> str:
    """The run's settings segment by segment, for the card."""
    segments = state.get("schedule") or [{"from_step": 0, **state["config"]}]
    warm_started = bool(state.get("init_from"))
    return "; ".join(f"from step {seg['from_step']}: batch {seg.get('batch')}, lr {seg.get('lr')}, "
                     f"{seg.get('coarse_updates')} updates of the 8x8 GAN per step, EMA {seg.get('ema')}"
                     + (" at full decay" if warm_started else
                        " without warm-up" if seg.get("ema_warmup") is False else " with warm-up")
                     + (f", {seg['generated_low']:.0%} of the refiners' fakes on generated coarse images"
                        if seg.get("generated_low") else "")
                     for seg in segments)


#: The run that made the weights a warm start (``--init-from-embedded``) continues: lapgan-emoji64 as
#: shipped at commit f59c04f (its card there has that run's own figures).
SHIPPED_RUN = ("`ganhub train lapgan --threads 1 --minutes 75 --steps 20000 --coarse-updates 3`, stopped at step 428 "
               "(a `STOP` file) and resumed as `ganhub train lapgan --threads 1 --minutes 55 --steps 20000 "
               "--coarse-updates 6`: 1873 steps in 74 minutes of wall clock, batch 32, lr 0.0002, every level on "
               "the real pyramid only (the paper's independent levels), EMA 0.999 (warmed up from step 428)")


def training_text(state: dict) -> str:
    """The card's Training section: the run's segments, what each level trained on, cost."""
    cfg = state["config"]
    hours = state.get("seconds", 0.0) / 3600
    cpu = state.get("cpu_seconds")
    cost = (f"{state['step']} steps in {hours * 60:.0f} minutes of wall clock ({hours:.2f} h, {state.get('threads', 1)} "
            f"thread, on a 2-core machine shared with several other jobs, load average 7 to 14"
            + (f"; {cpu / 3600:.2f} CPU hours of the training process" if cpu else "") + ")")
    low = cfg.get("generated_low", 0.0)
    lines = []
    if state.get("init_from"):
        lines.append(f"- First run (the weights shipped before, `{state['init_from']}`): {SHIPPED_RUN}.")
        lines.append(f"- This run: `ganhub train lapgan --threads 1 --steps 20000 --generated-low {low:g} "
                     f"--init-from-embedded` (checkpoints in `~/.cache/ganhub/train/lapgan/`), stopped by a `STOP` "
                     f"file, then `ganhub train lapgan --export`; seed {cfg['seed']}. It started every generator and "
                     f"its EMA from the shipped weights; the discriminators and optimisers started fresh, and the EMA "
                     f"ran at its full decay {cfg['ema']} from the first step. {cost}; checkpoint of "
                     f"{state.get('time', '?')}.")
    else:
        lines.append(f"- Command: `ganhub train lapgan --threads 1 --steps 20000 --generated-low {low:g}`, then "
                     f"`ganhub train lapgan --export`; seed {cfg['seed']}. {cost}; checkpoint of {state.get('time', '?')}.")
    if low > 0:
        lines.append(
            f"- **Beyond the paper:** the paper trains every level only on the pyramid of real images. Refiners trained "
            f"that way improved bicubic upsampling from the real 8x8s of held-out emoji (penultimate-layer distance "
            f"5.79 -> 5.35) but made the 8x8 GAN's own samples worse (17.95 -> 18.84, a little more with each level "
            f"added: 18.33, 18.78, 18.90): the refiners had never seen a generated coarse image. In this run "
            f"{low:.0%} of each refiner's fakes are drawn on the EMA cascade's own coarser samples (G_3, then the "
            f"coarser refiners, with the batch's labels) instead of the real low-pass images; D_k still sees the "
            f"real images as its real side, so G_k learns the detail that makes the cascade's own coarse images look "
            f"like emoji. The other fakes, and the real side, are the paper's.")
    lines.append(f"- Levels trained interleaved in one process: each step is one D and one G update of every level "
                 f"({cfg['coarse_updates']} of the cheap 8x8 GAN). The 64 px level trains on random {cfg['crop_64']}x"
                 f"{cfg['crop_64']} crops at even offsets.")
    lines.append(f"- Standard GAN loss (non-saturating G), Adam lr {cfg['lr']}, beta1 {cfg['beta1']}, batch "
                 f"{cfg['batch']}, EMA {cfg['ema']} of each G (shipped). Schedule: {schedule_text(state)}.")
    return "\n".join(lines)


def verdict(f: dict) -> str:
    """The card's plain sentence on the bar "LAPGAN beats the no-refinement baseline"."""
    samples = ("LAPGAN's samples beat the no-refinement baseline in the penultimate layer"
               if f["fid_lapgan"] < f["fid_baseline"] else
               "In the penultimate layer LAPGAN's samples do NOT beat the no-refinement baseline (the bar is missed): "
               "the detail the finer levels add to imperfect 8x8 samples costs more than it gains there")
    second = "beat" if f["fid2_lapgan"] < f["fid2_baseline"] else "do not beat"
    real = ("from the real 8x8 images of the held-out emoji the cascade beats bicubic upsampling in both feature "
            "spaces" if f["fid_heldout_refined"] < f["fid_heldout_bicubic"] and
            f["fid2_heldout_refined"] < f["fid2_heldout_bicubic"] else
            "from the real 8x8 images of the held-out emoji the cascade does not beat bicubic upsampling in both "
            "feature spaces")
    return f"{samples}; in the second-stage features they {second} it; {real}."


def _stylegan2():
    """The embedded StyleGAN2 at the same resolution, for the card's comparison (None when it cannot load)."""
    try:
        import hub

        return hub.get_model("stylegan2-emoji64")
    except Exception as exc:  # noqa: BLE001 - the card then says it was not measured
        _log(f"stylegan2-emoji64 not measured: {type(exc).__name__}: {exc}")
        return None


def export(out: Path, eval_samples: int = 1000, manifest: Path = MANIFEST, stylegan2: bool = True) -> Path:
    """Latest checkpoint -> the embedded weight, its card (with measured figures) and sample grid."""
    from hub.training import export_embedded, render_card
    from hub.weights import sha256_file
    from plugins.lapgan.api import load_lapgan
    from plugins.lapgan.evaluate import card_figures, ms_per_image

    model, state = read_latest(Path(out))
    tensors = model.state_dict()
    meta = {"config": json.dumps(model.config()), "step": str(state["step"])}
    dest = PLUGIN_DIR / "weights" / f"{WEIGHT_ID}.safetensors"
    # the tensors first (the card follows once the shipped file is measured; the file stays the same)
    export_embedded(WEIGHT_ID, tensors, "(being measured)\n", manifest, metadata=meta)
    shipped = load_lapgan(dest)
    sample_grid(shipped, dest.with_suffix(".png"))
    figures = card_figures(shipped, n_generated=eval_samples, stylegan2=_stylegan2() if stylegan2 else None, log=_log)
    fid_sg2, fid2_sg2 = figures.pop("fid_stylegan2", None), figures.pop("fid2_stylegan2", None)
    speed = ms_per_image(shipped)
    cpu = state.get("cpu_seconds")
    cpu_text = (f"{cpu / 3600:.2f} CPU hours of the training process" if cpu else
                "the training process's CPU time was not recorded by this run")
    card = render_card(CARD_TEMPLATE, verdict=verdict(figures), step=state["step"], minutes=state.get("seconds", 0.0) / 60,
                       hours=state.get("seconds", 0.0) / 3600, cpu_text=cpu_text, threads=state.get("threads", 1),
                       checkpoint_time=state.get("time", "?"), **state["config"], **figures,
                       fid_stylegan2="(not measured)" if fid_sg2 is None else f"{fid_sg2:.2f}",
                       fid2_stylegan2="(not measured)" if fid2_sg2 is None else f"{fid2_sg2:.2f}",
                       ms_wall=speed["wall"], ms_cpu=speed["cpu"], load=os.getloadavg()[0],
                       training=training_text(state), size=dest.stat().st_size, sha256=sha256_file(dest))
    export_embedded(WEIGHT_ID, tensors, card, manifest, metadata=meta)
    print(card)
    return dest


if __name__ == "__main__":
    sys.exit(main())
