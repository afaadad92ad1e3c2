"""Train GAN-INT-CLS on the emoji captions, resumably; ``--export`` writes the embedded weights.

    python -m plugins.text_to_image.train                 # stage 1 (text encoder), then the GAN, until --steps
    python -m plugins.text_to_image.train --export        # plugins/text_to_image/weights/text-to-image-emoji64.{safetensors,png,md}
    ganhub train text_to_image ...                         # the same

Stage 1 trains the text encoder with the joint embedding (``train_text.py``) and freezes it.
Stage 2 is Algorithm 1 of Reed et al. with GAN-INT: each step D sees (real, right text),
(real, wrong text) and (fake, right text); G is trained on right and on interpolated (β = 0.5)
text; the style encoder S regresses z from detached fakes. Published defaults: Adam lr 2e-4,
β1 0.5, z 100-d, φ(t) compressed to 128-d; batch 64 in the paper, 32 here (a shared CPU gives
about 0.3 core, and updates matter more than batch size this early) and widths halved (32). DiffAugment (translation, cutout) on every
D input; its colour transforms are off because colour is what the text names (skin tone, hair).

Every random draw of step k comes from generators seeded with (seed, k), so a resumed run is the
same run. Checkpoints, run control (``--steps --minutes``, a ``STOP`` file, signals) and the export are
the training kit's (``hub.training``): checkpoints go to ``~/.cache/ganhub/train/text_to_image/`` every
``--ckpt-minutes``; the card is ``card_template.md``.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from hub.training import (LossLog, RunControl, add_common_args, atomic_write, cache_dir, export_embedded, latest_checkpoint,
                          load_checkpoint, log, render_card, save_checkpoint)
from hub.weights import sha256_file

DEFAULT_OUT = cache_dir("text_to_image")
WEIGHTS_DIR = Path(__file__).resolve().with_name("weights")  # this plugin's embedded weights
MANIFEST = Path(__file__).resolve().with_name("weights.yaml")
CARD_TEMPLATE = Path(__file__).resolve().with_name("card_template.md")
WEIGHT_ID = "text-to-image-emoji64"

#: Fixed prompts for sample grids and the model card (the last two name withheld combinations).
SAMPLE_PROMPTS = [
    "a man with curly hair and light skin tone",
    "a woman with blond hair and medium skin tone",
    "a person with white hair and medium-dark skin tone",
    "bald man, dark skin tone",
    "grinning face",
    "woman running, medium-light skin tone",
    "a woman with red hair and dark skin tone",
    "a woman with white hair and light skin tone",
]


class Trainer:
    """Holds G, D, S, EMA-G, optimisers, the data and the caption-embedding table; one ``step()`` per batch."""

    def __init__(self, out_dir: Path, *, batch: int = 32, lr: float = 2e-4, beta1: float = 0.5, width: int = 32,
                 seed: int = 0, portrait_share: float = 0.5, ema_decay: float = 0.999,
                 augment: str = "translation,cutout", text_steps: int = 1500, text_kwargs: dict | None = None,
                 mode_seeking: float = 0.0,
                 images: np.ndarray | None = None, meta: list[dict[str, Any]] | None = None, log=print):
        import torch

        from hub.nn.augment import DiffAugment
        from plugins.text_to_image.gan import Discriminator, Generator, StyleEncoder
        from plugins.text_to_image.train_text import captions_for, is_portrait, train_text_encoder, training_set

        self.out_dir, self.log = Path(out_dir), log
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.cfg = dict(batch=batch, lr=lr, beta1=beta1, width=width, seed=seed, portrait_share=portrait_share,
                        ema_decay=ema_decay, augment=augment, text_steps=text_steps, mode_seeking=mode_seeking)
        if images is None or meta is None:
            images, meta = training_set()
        self.meta = meta
        self.x_all = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
        self.portraits = [i for i, m in enumerate(meta) if is_portrait(m)]

        text_path = train_text_encoder(self.out_dir, steps=text_steps, seed=seed, images=images, meta=meta,
                                       encoder_kwargs=text_kwargs, log=log)
        self.text_encoder = load_text_encoder(text_path)
        # Frozen φ(t) for every caption of every image, computed once.
        self.pools = [captions_for(m) for m in meta]
        self.pool_sets = [set(p) for p in self.pools]
        flat = [c for p in self.pools for c in p]
        self.pool_start = np.cumsum([0] + [len(p) for p in self.pools])
        with torch.no_grad():
            self.text_table = torch.cat([self.text_encoder(flat[i:i + 512]) for i in range(0, len(flat), 512)])
        self.flat_captions = flat
        dim = self.text_encoder.embed_dim

        torch.manual_seed(seed)
        self.G, self.D, self.S = Generator(dim, width=width), Discriminator(dim, width=width), StyleEncoder(width=width)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        betas = (beta1, 0.999)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr, betas=betas)
        self.opt_s = torch.optim.Adam(self.S.parameters(), lr=lr, betas=betas)
        self.augment = DiffAugment(augment)
        self.step_count, self.cpu_seconds, self.last = 0, 0.0, {}
        self.schedule: list[dict] = []
        self.resume()
        # One record per run segment whose training settings differ, so the card can say which steps had which.
        setting = {k: self.cfg[k] for k in ("batch", "lr", "beta1", "augment", "mode_seeking")}
        if not self.schedule or {k: self.schedule[-1].get(k) for k in setting} != setting:
            self.schedule.append({"from_step": self.step_count, **setting})

    # ---- one training step ---------------------------------------------------------------
    def batch(self, step: int):
        import torch

        seed = self.cfg["seed"]
        rng = random.Random(seed * 1_000_003 + step)
        gen = torch.Generator().manual_seed(seed * 1_000_003 + step)
        from plugins.text_to_image.train_text import batch_indices

        idx = batch_indices(rng, self.portraits, len(self.meta), self.cfg["batch"], self.cfg["portrait_share"])
        cap_ids = [int(self.pool_start[i]) + rng.randrange(len(self.pools[i])) for i in idx]
        x = self.x_all[idx]
        x = torch.where(torch.rand(len(idx), 1, 1, 1, generator=gen) < 0.5, x.flip(-1), x)
        fits = torch.tensor([[self.flat_captions[c] in self.pool_sets[i] for c in cap_ids] for i in idx])
        return x, self.text_table[cap_ids], fits, gen

    def step(self) -> dict[str, float]:
        import torch
        import torch.nn.functional as F

        from hub.nn.losses import mode_seeking_loss
        from plugins.text_to_image.gan import Z_DIM, d_loss_cls, g_loss_int, interpolated, mismatched

        cpu0 = time.process_time()
        x, t_right, fits, gen = self.batch(self.step_count)
        n = len(x)
        t_wrong = mismatched(t_right, fits, gen)
        z = torch.randn(n, Z_DIM, generator=gen)

        # D: real+right -> 1, real+wrong -> 0, fake+right -> 0 (Algorithm 1, weights 1, 1/2, 1/2).
        fake = self.G(z, t_right)
        h_real = self.D.image(self.augment(x, gen))
        s_r, s_w = self.D.score(h_real, t_right), self.D.score(h_real, t_wrong)
        s_f = self.D(self.augment(fake.detach(), gen), t_right)
        loss_d = d_loss_cls(s_r, s_w, s_f)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()

        # G: fool D on right text, and on interpolated text (GAN-INT, beta = 0.5).
        t_int = interpolated(t_right, 0.5, gen)
        z_int = torch.randn(n, Z_DIM, generator=gen)
        fake_int = self.G(z_int, t_int)
        loss_g = g_loss_int(self.D(self.augment(fake, gen), t_right), self.D(self.augment(fake_int, gen), t_int))
        if self.cfg["mode_seeking"] > 0:
            # Mode seeking (Mao et al. 2019, MSGAN): two noises, same text; penalise images that differ
            # less than their noises do. Conditional GANs otherwise learn to ignore z.
            z2 = torch.randn(n, Z_DIM, generator=gen)
            fake2 = self.G(z2, t_right)
            loss_ms = mode_seeking_loss(fake, fake2, z, z2)
            loss_g = loss_g + self.cfg["mode_seeking"] * loss_ms
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()

        # S: ||z - S(G(z, phi(t)))||^2 on this step's fakes (G frozen for this loss).
        loss_s = F.mse_loss(self.S(fake.detach()), z)
        self.opt_s.zero_grad(set_to_none=True)
        loss_s.backward()
        self.opt_s.step()

        with torch.no_grad():  # EMA of G's weights (decay ramps up over early steps); BN stats copied
            d = min(self.cfg["ema_decay"], (1.0 + self.step_count) / (10.0 + self.step_count))
            for pe, p in zip(self.G_ema.parameters(), self.G.parameters()):
                pe.lerp_(p, 1.0 - d)
            for be, b in zip(self.G_ema.buffers(), self.G.buffers()):
                be.copy_(b)
        self.step_count += 1
        self.cpu_seconds += time.process_time() - cpu0
        self.last = {"loss_d": loss_d.item(), "loss_g": loss_g.item(), "loss_s": loss_s.item(),
                     "D(real,right)": torch.sigmoid(s_r).mean().item(), "D(real,wrong)": torch.sigmoid(s_w).mean().item(),
                     "D(fake,right)": torch.sigmoid(s_f).mean().item()}
        if self.cfg["mode_seeking"] > 0:
            self.last["ms_ratio"] = 1.0 / loss_ms.item() - 1e-5  # the image/noise distance ratio
        return self.last

    # ---- checkpoints (the training kit's) -------------------------------------------------------
    def networks(self) -> dict:
        return {"G": self.G, "D": self.D, "S": self.S, "G_ema": self.G_ema}

    def optimizers(self) -> dict:
        return {"g": self.opt_g, "d": self.opt_d, "s": self.opt_s}

    def save(self) -> Path:
        state = {"cpu_seconds": self.cpu_seconds, "config": self.cfg, "schedule": self.schedule,
                 "g_config": self.G.config(), "last": self.last, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        return save_checkpoint(self.out_dir, self.step_count, self.networks(), self.optimizers(), state)

    def resume(self) -> None:
        ckpt = latest_checkpoint(self.out_dir)
        if ckpt is not None:
            state = load_checkpoint(ckpt, self.networks(), self.optimizers())
        elif (self.out_dir / "ckpt.json").is_file():  # the layout before the kit: one file, names prefixed
            import torch
            from safetensors.torch import load_file

            state = json.loads((self.out_dir / "ckpt.json").read_text())
            tensors = load_file(str(self.out_dir / "ckpt.safetensors"))
            for prefix, m in self.networks().items():
                m.load_state_dict({k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")})
            saved = torch.load(self.out_dir / "ckpt_opt.pt", weights_only=True)
            for name, opt in self.optimizers().items():
                opt.load_state_dict(saved[name])
        else:
            return
        self.step_count, self.cpu_seconds = int(state["step"]), float(state["cpu_seconds"])
        # Checkpoints from before the schedule record: their settings were the saved config's.
        self.schedule = state.get("schedule") or [
            {"from_step": 0, "mode_seeking": 0.0, **{k: state["config"].get(k) for k in ("batch", "lr", "beta1", "augment")}}]
        self.log(f"resumed from step {self.step_count}")

    def sample_grid(self, path: Path, seeds: Sequence[int] = range(8)) -> None:
        from PIL import Image

        grid = render_grid(self.text_encoder, self.G_ema, SAMPLE_PROMPTS, seeds)
        Image.fromarray(grid).save(path)


def load_text_encoder(path: Path):
    from safetensors import safe_open
    from safetensors.torch import load_file

    from plugins.text_to_image.text_encoder import TextEncoder

    with safe_open(str(path), "pt") as fh:
        cfg = json.loads(fh.metadata()["config"])
    enc = TextEncoder(**cfg)
    enc.load_state_dict(load_file(str(path)))
    return enc.eval().requires_grad_(False)


def render_grid(text_encoder, G, prompts: Sequence[str], seeds: Sequence[int], truncation: float | None = None):
    """uint8 [rows*64, cols*64, 3]: one row per prompt, one column per seed (seed -> the same z in every row)."""
    import torch

    from plugins.text_to_image.gan import Z_DIM, truncated_normal

    with torch.no_grad():
        emb = text_encoder(list(prompts))
        z = torch.cat([truncated_normal((1, Z_DIM), truncation, torch.Generator().manual_seed(int(s))) for s in seeds])
        rows = [G(z, emb[i:i + 1].expand(len(seeds), -1)) for i in range(len(prompts))]
    x = torch.stack(rows)  # [P, S, 3, 64, 64]
    x = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 3, 1, 4, 2)  # P, H, S, W, C
    p, h, s, w, c = x.shape
    return x.reshape(p * h, s * w, c).numpy()


def train(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ganhub train text_to_image", description=__doc__.split("\n\n")[0])
    add_common_args(p, "text_to_image", steps=200_000, every=None)
    p.add_argument("--batch", type=int, default=32, help="paper 64; halved: twice the updates per CPU second")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--beta1", type=float, default=0.5)
    p.add_argument("--width", type=int, default=32, help="DCGAN base width (paper's code: 64/128)")
    p.add_argument("--text-steps", type=int, default=1500)
    p.add_argument("--portrait-share", type=float, default=0.5)
    p.add_argument("--augment", default="translation,cutout")
    p.add_argument("--mode-seeking", type=float, default=0.0,
                   help="weight of the mode-seeking term (MSGAN, Mao et al. 2019; not in Reed et al.); 0 = off")
    p.add_argument("--ckpt-minutes", type=float, default=4.0, help="checkpoint every N minutes (and every --every steps)")
    p.add_argument("--sample-every", type=int, default=250)
    p.add_argument("--export", action="store_true", help="write the embedded weights from the latest checkpoint")
    p.add_argument("--weights-dir", type=Path, default=WEIGHTS_DIR,
                   help="with --export: another folder writes there and leaves weights.yaml alone")
    p.add_argument("--eval-samples", type=int, default=16, help="samples per prompt for the card's eval table")
    args = p.parse_args(list(argv) if argv is not None else None)

    import torch

    torch.set_num_threads(args.threads)
    if args.export:
        export(args.out, args.weights_dir, eval_samples=args.eval_samples)
        return 0
    if args.fresh:
        raise SystemExit(f"--fresh: move {args.out} aside instead (it holds the trained text encoder too)")
    control = RunControl(args.out, args.steps, args.minutes, every=args.every, every_minutes=args.ckpt_minutes)
    tr = Trainer(args.out, batch=args.batch, lr=args.lr, beta1=args.beta1, width=args.width, seed=args.seed,
                 portrait_share=args.portrait_share, augment=args.augment, text_steps=args.text_steps,
                 mode_seeking=args.mode_seeking, log=log)
    (args.out / "samples").mkdir(exist_ok=True)
    losses = LossLog(seconds=60)
    while control.running(tr.step_count):
        losses.add(tr.step())
        k = tr.step_count
        if losses.due():
            log(losses.line(k, args.lr))
            losses.reset()
        if k % args.sample_every == 0:
            tr.sample_grid(args.out / "samples" / f"step{k:06d}.png")
        if control.checkpoint_due(k):
            tr.save()
    tr.save()
    log(f"stopped at step {tr.step_count} ({control.reason})")
    return 0


# ---- export ------------------------------------------------------------------------------------

def weights_file(text_encoder, G, S, step: int = 0) -> tuple[dict, dict[str, str]]:
    """The embedded file's fp16 tensors (``text.*``, ``G.*``, ``S.*``) and metadata (the configs)."""
    out = {}
    for prefix, m in (("text.", text_encoder), ("G.", G), ("S.", S)):
        for k, v in m.state_dict().items():
            out[prefix + k] = v.detach().half().contiguous() if v.is_floating_point() else v.detach().contiguous()
    config = {"text": text_encoder.config(), "G": G.config(), "S": S.config(), "step": step}
    return out, {"config": json.dumps(config)}


def save_weights(path: Path, text_encoder, G, S, step: int = 0) -> Path:
    """One fp16 safetensors file: ``text.*``, ``G.*``, ``S.*`` and the configs in its metadata."""
    from safetensors.torch import save_file

    tensors, metadata = weights_file(text_encoder, G, S, step)
    return atomic_write(path, lambda p: save_file(tensors, str(p), metadata=metadata))


def recalibrate_batchnorm(G, text_table, batches: int = 32, batch: int = 64, seed: int = 0) -> None:
    """Exact BN statistics for the EMA generator: average of batch stats over fresh (z, text) batches."""
    import torch

    from plugins.text_to_image.gan import Z_DIM

    gen = torch.Generator().manual_seed(seed)
    for m in G.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative moving average
    G.train()
    with torch.no_grad():
        for _ in range(batches):
            idx = torch.randint(len(text_table), (batch,), generator=gen)
            G(torch.randn(batch, Z_DIM, generator=gen), text_table[idx])
    G.eval()


def export(out_dir: Path = DEFAULT_OUT, weights_dir: Path = WEIGHTS_DIR, eval_samples: int = 16,
           manifest: Path | None = MANIFEST) -> Path:
    """Latest checkpoint -> weights/<id>.safetensors (text encoder + G_ema + S, fp16), .png grid, .md card."""
    import torch
    from PIL import Image

    from plugins.text_to_image.gan import Generator, StyleEncoder
    from plugins.text_to_image.train_text import captions_for, training_set

    out_dir, weights_dir = Path(out_dir), Path(weights_dir)
    ckpt = latest_checkpoint(out_dir)  # complete by construction: training writes the next one beside it
    if ckpt is None:
        raise SystemExit(f"no checkpoint in {out_dir}; train first")
    state = json.loads((ckpt / "state.json").read_text())
    text_info = json.loads((out_dir / "text_encoder.json").read_text())
    text_encoder = load_text_encoder(out_dir / "text_encoder.safetensors")
    g_cfg = state["g_config"]
    G = Generator(**g_cfg)
    S = StyleEncoder(z_dim=g_cfg["z_dim"], width=g_cfg["width"])
    load_checkpoint(ckpt, {"G_ema": G, "S": S})
    _, meta = training_set()
    with torch.no_grad():
        flat = [c for m in meta for c in captions_for(m)]
        table = torch.cat([text_encoder(flat[i:i + 512]) for i in range(0, len(flat), 512)])
    recalibrate_batchnorm(G, table)

    tensors, metadata = weights_file(text_encoder, G, S, step=state["step"])
    measured = {}

    def card(path: Path) -> str:
        # Reload exactly what the hub will load, so every figure is of the shipped file.
        from plugins.text_to_image.api import TextToImageModel

        model = TextToImageModel.from_file(path)
        grid = render_grid(model.text_encoder, model.G, SAMPLE_PROMPTS, range(8))
        atomic_write(path.with_suffix(".png"), lambda tmp: Image.fromarray(grid).save(tmp, format="PNG"))
        try:
            from plugins.text_to_image.evaluate import evaluate, format_table

            measured["eval_md"] = format_table(evaluate(model, samples_per_prompt=eval_samples))
        except Exception as exc:  # noqa: BLE001 - the card says why the table is missing
            measured["eval_md"] = f"(not measured: {type(exc).__name__}: {exc})"
        return card_text(state, text_info, measured["eval_md"], path.stat().st_size, sha256_file(path), len(meta))

    # The plugin manifest names weights/<id>.safetensors: a scratch export (another weights_dir) leaves it alone.
    into_plugin = manifest is not None and manifest.exists() and weights_dir.resolve() == (manifest.parent / "weights").resolve()
    path = export_embedded(WEIGHT_ID, tensors, card, metadata=metadata,
                           **(dict(manifest=manifest) if into_plugin else dict(folder=weights_dir)))
    print(f"{path}: {path.stat().st_size} bytes sha256 {sha256_file(path)} (step {state['step']}, "
          f"GAN {state['cpu_seconds'] / 3600:.2f} CPU h)")
    print(measured["eval_md"])
    return path


def card_text(state: dict, text_info: dict, eval_md: str, size: int, sha: str, n_train: int) -> str:
    """The model card (``card_template.md``) of an export."""
    cfg = state["config"]
    cpu_h = (state["cpu_seconds"] + text_info.get("cpu_seconds", 0.0)) / 3600
    segments = state.get("schedule") or [{"from_step": 0, **cfg}]
    schedule_md = "; ".join(
        f"from step {seg['from_step']}: lr {seg.get('lr')}, batch {seg.get('batch')}, "
        + (f"mode-seeking term weight {seg['mode_seeking']} (MSGAN, Mao et al. 2019: not in Reed et al.; added "
           f"because the generator had learnt to ignore z)" if seg.get("mode_seeking") else "the paper's losses only")
        for seg in segments) + "."
    return render_card(CARD_TEMPLATE, cfg=cfg, state=state, text_info=text_info,
                       recall=text_info.get("image_to_caption_recall@1", float("nan")), cpu_h=cpu_h,
                       schedule_md=schedule_md, saved_at=state.get("time", "?"), eval_md=eval_md, size=size, sha=sha,
                       n_train=n_train)


def main(argv: Sequence[str] | None = None) -> int:
    return train(argv)


if __name__ == "__main__":
    sys.exit(main())
