"""Train the emoji attribute classifier on the TRAIN split only; evaluate on the held-out emoji.

    nohup nice -n 10 ganhub train emoji-classifier > ~/.cache/ganhub/train/classifier/log.txt 2>&1 &
    ganhub train emoji-classifier --export    # latest checkpoint -> plugins/emoji/weights/ + card + sha256

Seeded and resumable: the same command continues from ~/.cache/ganhub/train/classifier/. Checkpoints,
run control (``--steps --minutes``, a ``STOP`` file, signals) and the export are the training kit's
(``hub.training``); the card is ``classifier_card_template.md``.

Augmentation. The classifier judges GENERATED images, so besides flips, small affine jitter and mild
brightness/contrast/saturation jitter (never hue: skin tone and hair colour are the labels) it sees
GAN-like damage: Gaussian blur, down-then-up sampling, pixel noise and noise on the white background.
Labels that are undefined for an image (-1) are masked out of the loss; hair types are oversampled
(they are 5 x 12 images among ~1,700).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F

from hub.training import (RunControl, add_common_args, export_embedded, latest_checkpoint, load_checkpoint,
                          render_card, save_checkpoint)
from hub.weights import sha256_file
from plugins.emoji.classifier import WEIGHT_ID, AttributeClassifier, load_classifier, metadata_for

MANIFEST = Path(__file__).with_name("weights.yaml")  # the emoji plugin's own
CARD_TEMPLATE = Path(__file__).with_name("classifier_card_template.md")
LOSS_WEIGHTS = {"skin_tone": 1.0, "hair": 1.0, "gender": 1.0, "kind": 0.5, "smiling": 0.5,
                "glasses": 0.3, "beard": 0.5, "headwear": 0.5}


# ---------------------------------------------------------------------------------------------
# Data

def load_split(split: str, resolution: int = 64):
    """(images float [N,3,H,W] in [-1,1], {attr: LongTensor [N]}, meta) for a split."""
    from plugins.emoji.dataset import ATTRIBUTES, load_emoji_arrays, label_vector

    images, meta = load_emoji_arrays(resolution, split)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1.0).contiguous()
    vecs = [label_vector(m) for m in meta]
    labels = {a: torch.tensor([v[a] for v in vecs], dtype=torch.long) for a in ATTRIBUTES}
    return x, labels, meta


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of an image batch (replicated borders): a GAN-like softness."""
    radius = max(1, int(math.ceil(2.5 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = (k / k.sum()).to(x.device)
    c = x.shape[1]
    x = F.pad(x, (radius, radius, radius, radius), mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def augment(x: torch.Tensor, g: torch.Generator, damage: float = 1.0) -> torch.Tensor:
    """Flip, affine jitter, mild colour jitter (no hue), blur / down-up / noise like a GAN's output.

    ``damage`` scales how often blur and down-up resampling are applied (1: 40% and 25% of images)."""
    n, _, h, w = x.shape
    rand = lambda *s: torch.rand(*s, generator=g)  # noqa: E731
    flip = rand(n) < 0.5
    x = torch.where(flip.view(n, 1, 1, 1), x.flip(-1), x)
    # affine: scale 0.88-1.12, rotation +-6 degrees, translation +-6% (white border extends)
    s = 1.0 / (0.88 + 0.24 * rand(n))
    a = (rand(n) - 0.5) * math.radians(12)
    t = (rand(n, 2) - 0.5) * 0.12
    theta = torch.stack([torch.stack([s * torch.cos(a), -s * torch.sin(a), t[:, 0]], 1),
                         torch.stack([s * torch.sin(a), s * torch.cos(a), t[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    # colour: brightness +-0.05, contrast 0.92-1.08, saturation 0.9-1.1 (all hue-preserving)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * (0.92 + 0.16 * rand(n, 1, 1, 1)) + mean + (rand(n, 1, 1, 1) - 0.5) * 0.1
    grey = x.mean(1, keepdim=True)
    x = (x - grey) * (0.9 + 0.2 * rand(n, 1, 1, 1)) + grey
    # GAN-like damage on random subsets
    blur = rand(n) < 0.4 * damage
    if blur.any():
        x[blur] = gaussian_blur(x[blur], float(0.4 + 1.2 * rand(())))
    downup = rand(n) < 0.25 * damage
    if downup.any():
        size = int(h / (1.6 + 1.4 * float(rand(()))))
        small = F.interpolate(x[downup], size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        x[downup] = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    noisy = rand(n) < 0.3
    if noisy.any():
        x[noisy] = x[noisy] + torch.randn(x[noisy].shape, generator=g) * 0.04 * rand(int(noisy.sum()), 1, 1, 1)
    background = rand(n) < 0.3
    if background.any():
        xb = x[background]
        white = (xb.min(1, keepdim=True).values > 0.85).float()
        blotch = F.interpolate(torch.randn(xb.shape[0], 3, 8, 8, generator=g), size=(h, w), mode="bilinear",
                               align_corners=False)
        x[background] = xb - white * (blotch.abs() * 0.15 * rand(xb.shape[0], 1, 1, 1))
    return x.clamp(-1, 1)


# ---------------------------------------------------------------------------------------------
# Evaluation

def skin_within_one(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """Within one level: both toneless (0), or both toned (1..5) and at most one level apart."""
    return ((pred == 0) & (true == 0)) | ((pred > 0) & (true > 0) & ((pred - true).abs() <= 1))


@torch.no_grad()
def evaluate(model: AttributeClassifier, x: torch.Tensor, labels: dict[str, torch.Tensor],
             batch: int = 128, tta: bool = True) -> dict[str, dict]:
    """Per attribute: n, accuracy, per-class recall (+ skin tone within one level)."""
    model.eval()
    preds: dict[str, list] = {a: [] for a in model.attributes}
    for i in range(0, x.shape[0], batch):
        for a, p in model.predict(x[i:i + batch], tta=tta).items():
            preds[a].append(p)
    out = {}
    for a, classes in model.attributes.items():
        p, t = torch.cat(preds[a]), labels[a]
        m = t >= 0
        p, t = p[m], t[m]
        row = {"n": int(m.sum()), "accuracy": float((p == t).float().mean()) if m.any() else float("nan"),
               "recall": {c: (float((p[t == k] == k).float().mean()), int((t == k).sum()))
                          for k, c in enumerate(classes) if (t == k).any()}}
        if a == "skin_tone":
            row["within_one"] = float(skin_within_one(p, t).float().mean())
        out[a] = row
    return out


@torch.no_grad()
def per_base_misses(model: AttributeClassifier, x, labels, meta, attrs=("skin_tone", "hair", "gender")) -> str:
    """Markdown list: for each bar attribute, the held-out base emoji it gets wrong, and as what."""
    pred = model.predict(x)
    lines = []
    for a in attrs:
        names = model.attributes[a]
        wrong: dict[str, list] = {}
        for i, m in enumerate(meta):
            t, p = int(labels[a][i]), int(pred[a][i])
            if t < 0:
                continue
            ok = bool(skin_within_one(torch.tensor(p), torch.tensor(t))) if a == "skin_tone" else p == t
            entry = wrong.setdefault(m["base_name"], [0, 0, {}])
            entry[1] += 1
            if not ok:
                entry[0] += 1
                entry[2][names[p]] = entry[2].get(names[p], 0) + 1
        items = [f"{b} {w}/{n} (as {', '.join(f'{c} {k}' for c, k in got.items())})"
                 for b, (w, n, got) in sorted(wrong.items(), key=lambda kv: -kv[1][0]) if w]
        lines.append(f"- {a}: " + ("; ".join(items) if items else "none"))
    return "\n".join(lines)


def format_table(results: dict[str, dict]) -> str:
    lines = ["| attribute | images | accuracy | per-class recall (n) |", "|---|---:|---:|---|"]
    for a, r in results.items():
        acc = f"{100 * r['accuracy']:.1f}%"
        if "within_one" in r:
            acc = f"{100 * r['within_one']:.1f}% within ±1 ({acc} exact)"
        recall = ", ".join(f"{c} {100 * v:.0f}% ({n})" for c, (v, n) in r["recall"].items())
        lines.append(f"| {a} | {r['n']} | {acc} | {recall} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Checkpoints

def resume(run: Path, model, opt, g: torch.Generator) -> dict | None:
    """Load the newest checkpoint of ``run`` into the model, optimiser and both RNGs; its state, or None.

    A run of the layout before the training kit (``model.safetensors``, ``optim.pt`` and ``state.json``
    directly in the run folder) resumes too."""
    ckpt = latest_checkpoint(run)
    if ckpt is not None:
        rng: dict = {}
        state = load_checkpoint(ckpt, {"model": model, "rng": rng}, {"opt": opt})
    elif (run / "state.json").is_file() and (run / "model.safetensors").is_file():
        from safetensors.torch import load_file

        model.load_state_dict(load_file(str(run / "model.safetensors")))
        extra = torch.load(run / "optim.pt", weights_only=True)
        opt.load_state_dict(extra["opt"])
        rng = {"data": extra["rng"], "torch": extra["torch_rng"]}
        state = json.loads((run / "state.json").read_text())
    else:
        return None
    g.set_state(rng["data"])
    torch.set_rng_state(rng["torch"])
    return state


def load_trained(run: Path) -> tuple[AttributeClassifier, dict]:
    """The newest checkpointed classifier of ``run`` (either layout) and its state."""
    ckpt = latest_checkpoint(run)
    if ckpt is None:
        return load_classifier(run / "model.safetensors"), json.loads((run / "state.json").read_text())
    state = json.loads((ckpt / "state.json").read_text())
    model = AttributeClassifier(resolution=state["args"]["resolution"])
    load_checkpoint(ckpt, {"model": model})
    return model.eval(), state


# ---------------------------------------------------------------------------------------------
# The recipe's pieces (also used by benchmarks/classifier_gender_remedies.py)

def sampling_weights(labels: dict[str, torch.Tensor]) -> torch.Tensor:
    """Per-image sampling weight: the rare hair types (5 x 12 images among ~1,700) drawn 6x as often."""
    weights = torch.ones(labels["hair"].shape[0])
    weights[labels["hair"] > 0] = 6.0
    return weights


def class_weights(attributes: dict[str, list[str]], labels: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Inverse-sqrt-frequency class weights per attribute, mean 1 (undefined labels not counted)."""
    out = {}
    for a, classes in attributes.items():
        counts = torch.bincount(labels[a][labels[a] >= 0], minlength=len(classes)).float().clamp(min=1)
        w = (counts.sum() / counts).sqrt()
        out[a] = w / w.mean()
    return out


def learning_rate(step: int, base: float, steps: int, warmup: int) -> float:
    """Linear warm-up, then cosine decay to 0 at ``steps``."""
    if step < warmup:
        return base * (step + 1) / warmup
    return base * 0.5 * (1 + math.cos(math.pi * step / steps))


def attribute_loss(logits: dict[str, torch.Tensor], labels: dict[str, torch.Tensor],
                   class_w: dict[str, torch.Tensor]) -> torch.Tensor:
    """Weighted sum over attributes of class-weighted, label-smoothed cross-entropy; -1 labels masked."""
    loss = torch.zeros(())
    for a, out in logits.items():
        y = labels[a]
        if (y >= 0).any():
            loss = loss + LOSS_WEIGHTS[a] * F.cross_entropy(out, y, weight=class_w[a], ignore_index=-1,
                                                            label_smoothing=0.05)
    return loss


# ---------------------------------------------------------------------------------------------
# Training

def train(args) -> Path:
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    x, labels, meta = load_split("train", args.resolution)
    xh, lh, _ = load_split("heldout", args.resolution)
    assert all(m["split"] == "train" for m in meta)
    model = AttributeClassifier(resolution=args.resolution).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    run = Path(args.out)
    state = (None if args.fresh else resume(run, model, opt, g)) or {"step": 0, "train_seconds": 0.0}
    if state["step"]:
        print(f"resumed at step {state['step']}", flush=True)
    # the schedule follows the LATEST --steps; every (re)start is recorded for the model card
    flags = {k: v for k, v in vars(args).items() if k not in ("export", "fp16", "out", "fresh", "device", "minutes")}
    if "runs" not in state and state.get("args"):
        state["runs"] = [{"from_step": 0, **state["args"]}]
    state["args"] = flags
    state.setdefault("runs", []).append({"from_step": state["step"], **flags})

    sample_w = sampling_weights(labels)
    class_w = class_weights(model.attributes, labels)

    t_last, step_last = time.time(), state["step"]
    stop = min(args.steps, args.stop_at or args.steps)
    control = RunControl(run, stop, args.minutes, every=args.every)

    def checkpoint():
        save_checkpoint(run, state["step"], {"model": model, "rng": {"data": g.get_state(), "torch": torch.get_rng_state()}},
                        {"opt": opt}, state)

    while control.running(state["step"]):
        step = state["step"]
        lr = learning_rate(step, args.lr, args.steps, args.warmup)
        for group in opt.param_groups:
            group["lr"] = lr
        model.train()
        t0 = time.time()
        idx = torch.multinomial(sample_w, args.batch, replacement=True, generator=g)
        xb = augment(x[idx], g).contiguous(memory_format=torch.channels_last)
        logits = model(xb)
        loss = attribute_loss(logits, {a: t[idx] for a, t in labels.items()}, class_w)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        state["train_seconds"] += time.time() - t0
        state["step"] = step + 1
        if state["step"] % args.log_every == 0:
            now = time.time()
            print(f"step {state['step']}/{args.steps} loss {float(loss.detach()):.4f} lr {lr:.2e} "
                  f"{(state['step'] - step_last) / (now - t_last):.2f} it/s", flush=True)
            t_last, step_last = now, state["step"]
        if state["step"] % args.eval_every == 0 or state["step"] == args.steps:
            res = evaluate(model, xh, lh, tta=False)
            state["heldout"] = {a: {k: v for k, v in r.items() if k != "recall"} for a, r in res.items()}
            print(f"heldout @ {state['step']}: " + ", ".join(
                f"{a} {100 * r.get('within_one', r['accuracy']):.1f}" for a, r in res.items()), flush=True)
        if control.checkpoint_due(state["step"]):
            checkpoint()
    checkpoint()
    print(f"{'done' if state['step'] >= args.steps else 'stopped (' + control.reason + ')'}: {state['step']} steps, "
          f"{state['train_seconds'] / 3600:.3f} CPU hours of training", flush=True)
    return run


# ---------------------------------------------------------------------------------------------
# Export: plugins/emoji/weights/ + card + the plugin manifest's sha256

def export(args) -> None:
    model, state = load_trained(Path(args.out))
    xh, lh, meta_h = load_split("heldout", args.resolution)
    res = evaluate(model, xh, lh)
    res_single = evaluate(model, xh, lh, tta=False)
    misses = per_base_misses(model, xh, lh, meta_h)
    # the same held-out images, blurred like a GAN's output (sigma 1 px) -> robustness figure
    res_blur = evaluate(model, gaussian_blur(xh, 1.0), lh)
    xt, lt, _ = load_split("train", args.resolution)
    res_train = evaluate(model, xt, lt)

    dtype = torch.float16 if args.fp16 else torch.float32
    tensors = {k: (v.to(dtype) if v.is_floating_point() else v).contiguous() for k, v in model.state_dict().items()}
    from plugins.emoji.dataset import dataset_dir

    manifest_json = json.loads((dataset_dir(args.resolution) / "manifest.json").read_text())

    def card(path: Path) -> str:
        res_check = evaluate(load_classifier(path), xh, lh)  # what was written loads and scores the same
        return _card(state, res, res_single, res_blur, res_train, res_check, sha256_file(path), path.stat().st_size,
                     dtype, manifest_json, misses)

    out = export_embedded(WEIGHT_ID, tensors, card, MANIFEST, metadata=metadata_for(model, {
        "steps": str(state["step"]), "dataset_images_sha256": manifest_json["images_sha256"]}))
    print(format_table(res))
    print(f"wrote {out} ({out.stat().st_size} bytes, sha256 {sha256_file(out)}), its card and {MANIFEST}")


def _card(state, res, res_single, res_blur, res_train, res_check, sha, size, dtype, dm, misses) -> str:
    a = state["args"]
    runs = state.get("runs", [])
    history = "" if len(runs) <= 1 else "\n  Run history (resumed; the cosine schedule follows the latest `--steps`): " + "; ".join(
        f"from step {r['from_step']} with `--steps {r['steps']}`" for r in runs) + "."
    bar = {"skin_tone": res["skin_tone"]["within_one"], "gender": res["gender"]["accuracy"],
           "hair": res["hair"]["accuracy"]}
    same = all(abs(res_check[k]["accuracy"] - res[k]["accuracy"]) < 1e-6 for k in res)
    return render_card(
        CARD_TEMPLATE, a=a, dm=dm, state=state, history=history, epochs=state["step"] * a["batch"] / dm["train"],
        cpu_h=state["train_seconds"] / 3600, dtype_name=dtype_name(dtype), size=size, sha=sha,
        same="yes" if same else "NO", verdict="met" if all(v >= 0.9 for v in bar.values()) else "NOT met",
        bar_skin=100 * bar["skin_tone"], bar_gender=100 * bar["gender"], bar_hair=100 * bar["hair"],
        table=format_table(res), table_blur=format_table(res_blur), table_train=format_table(res_train),
        single_skin=100 * res_single["skin_tone"]["within_one"], single_gender=100 * res_single["gender"]["accuracy"],
        single_hair=100 * res_single["hair"]["accuracy"], misses=misses,
        train_gender=100 * res_train["gender"]["accuracy"], held_gender=100 * res["gender"]["accuracy"])


def dtype_name(dtype) -> str:
    return "fp16" if dtype == torch.float16 else "fp32"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ganhub train emoji-classifier", description=__doc__.split("\n\n")[0])
    add_common_args(p, "classifier", steps=2400, every=100)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--resolution", type=int, default=64)
    p.add_argument("--log-every", type=int, default=20)
    p.add_argument("--eval-every", type=int, default=200)
    p.add_argument("--stop-at", type=int, default=None,
                   help="checkpoint and stop at this step (the schedule still follows --steps); rerun to go on")
    p.add_argument("--export", action="store_true", help="write weights/ + card + manifest from the latest checkpoint")
    p.add_argument("--fp16", action="store_true", help="export fp16 instead of fp32")
    args = p.parse_args(list(argv) if argv is not None else None)
    torch.set_num_threads(args.threads)
    if args.export:
        export(args)
    else:
        train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
