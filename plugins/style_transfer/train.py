"""Train the embedded AdaIN decoder, and with --train-encoder its VGG-19 encoder (started from the
embedded seeded random VGG-19, which then only measures the style loss).

Loss (Huang & Belongie 2017): L = ||f(g(t)) - t||^2 + lambda * sum_{relu1_1..relu4_1}
(||mu(f_l(g(t))) - mu(f_l(s))||^2 + ||sigma(...) - sigma(...)||^2), t = AdaIN(f(c), f(s)),
lambda = 10; Adam lr 1e-4 with the authors' decay lr / (1 + 5e-5 * step). The paper trains
160k steps of batch 8 at 256^2 on MS-COCO x WikiArt; we train on CPU with small batches of
offline package photos x (textures + procedural styles) (plugins/style_transfer/data.py).
``--identity-weight w`` adds w * ||g(f(c)) - c||^2 (not in the paper; see ``adain_losses``).
``--train-encoder`` trains f too (not in the paper, whose f is a fixed ImageNet VGG; ImageNet VGG
cannot be downloaded here, and the random one loses the content's layout).

    nice -n 10 python -m plugins.style_transfer.train            # train / resume
    python -m plugins.style_transfer.train --export             # latest checkpoint -> weights/
    python -m plugins.style_transfer.train --export --average-last 4   # mean of the last 4 snapshots

Checkpoints (the training kit's ``save_checkpoint``, every --ckpt-every seconds and --every steps, the
newest two kept) live in ~/.cache/ganhub/train/adain/ckpt-<step>/: decoder.safetensors + state.json +
optim.pt (+ encoder.safetensors once the encoder trains: from then on every run of that folder uses it).
A run folder written by earlier versions (those files in the folder itself, optimizer.pt) still resumes.
``--snapshot-every N`` also keeps weight-only copies in snapshots/step_N/, which ``--export
--average-last K`` averages (see ``average_snapshots``); a checkpoint holds the same weight files, so
the averaging reads both alike. The run stops through the training kit's ``RunControl`` (``--steps``,
``--max-seconds``, a ``STOP`` file in the run folder, removed once it has stopped the run, SIGTERM) and
exports through ``hub.training.export_embedded``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Sequence

import torch
import torch.utils.data

from hub.nn.training import place_for_training
from hub.training import (RunControl, add_common_args, atomic_write, export_embedded, latest_checkpoint,
                          load_checkpoint, save_checkpoint)
from hub.weights import sha256_file

CKPT_DIR = Path(os.environ.get("GANHUB_CACHE", Path.home() / ".cache" / "ganhub")) / "train" / os.environ.get(
    "GANHUB_ADAIN_RUN", "adain")  # another run name keeps side-by-side trials apart
#: The plugin's own manifest and where it puts the embedded weights and card (the export rewrites those
#: entries' sha256 through export_embedded).
MANIFEST = Path(__file__).resolve().with_name("weights.yaml")
EXPORT = MANIFEST.parent / "weights" / "adain-embedded-decoder.safetensors"
EXPORT_ENCODER = MANIFEST.parent / "weights" / "adain-embedded-encoder.safetensors"
CARD = MANIFEST.parent / "weights" / "adain-embedded-decoder.md"


def last_checkpoint(run: Path) -> Path | None:
    """The folder with the newest decoder + state of ``run``: the kit's latest checkpoint, else the run
    folder itself when an earlier version of this trainer wrote its single-slot checkpoint there."""
    ckpt = latest_checkpoint(run)
    if ckpt is not None:
        return ckpt
    return run if (run / "decoder.safetensors").is_file() and (run / "state.json").is_file() else None


def laplacian_of_pooled(x, pool: int = 4):
    """The 3x3 Laplacian of the image average-pooled by ``pool`` (Li et al. 2017, "Laplacian-steered
    neural style transfer"): the coarse structure (edges, outlines) that a style should not erase."""
    import torch
    import torch.nn.functional as F

    k = torch.tensor([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]], device=x.device, dtype=x.dtype)
    small = F.avg_pool2d(x, pool)
    return F.conv2d(F.pad(small, (1, 1, 1, 1), mode="replicate"), k.expand(x.shape[1], 1, 3, 3), groups=x.shape[1])


def adain_losses(encoder, decoder, content, style, style_weight: float = 10.0, identity_weight: float = 0.0,
                 laplacian_weight: float = 0.0, loss_network=None):
    """(total, content loss, style loss, identity loss, laplacian loss) of one batch.

    With identity_weight 0 this is exactly the paper's objective. identity_weight > 0 adds
    ||g(f(c)) - c||^2 on pixels (not in the paper): the decoder must also invert the encoder's own
    features. The paper's ImageNet VGG makes relu4_1 content loss enough to keep edges and colour;
    with the embedded random VGG it was not (edge SSIM 0.07, alpha=0 reconstruction 11.6 dB at
    step 899), so this anchor is offered for that encoder. laplacian_weight > 0 adds Li et al.'s
    (2017) ||L(pool4(g(t))) - L(pool4(c))||^2 on the stylised output (not in AdaIN): with the random
    encoder the decoder filled outputs with maze-like strokes that the random features could not
    tell from content, and this term keeps the content's coarse outlines.

    loss_network: None -> the encoder is frozen and also measures style (the paper). A frozen network
    -> the ENCODER TRAINS too (its own relu4_1 is the AdaIN space, and the identity term teaches it to
    keep what the decoder needs to redraw edges), while the style statistics are measured by this fixed
    network, as the paper's fixed VGG measures them: a trainable network that also judged style could
    redefine style away. The content loss ||f(g(t)) - t||^2 stays in the encoder's space; the encoder's
    weights are held while it re-encodes the output and t is detached there, so the encoder cannot
    lower that term by moving its own space (it still learns through t -> g(t)).
    """
    import torch
    import torch.nn.functional as F

    from hub.nn.adain import adain, mean_std
    from plugins.style_transfer.adain import STYLE_LAYERS

    if loss_network is None:
        with torch.no_grad():
            fc = encoder(content)["relu4_1"]
            fs = encoder(style)
            target = adain(fc, fs["relu4_1"])
        out = decoder(target)
        fo = encoder(out)
        loss_c = F.mse_loss(fo["relu4_1"], target)
    else:
        fc = encoder(content)["relu4_1"]
        target = adain(fc, encoder(style)["relu4_1"])
        out = decoder(target)
        encoder.requires_grad_(False)  # held: re-encoding the output does not move the encoder
        loss_c = F.mse_loss(encoder(out)["relu4_1"], target.detach())
        encoder.requires_grad_(True)
        with torch.no_grad():
            fs = loss_network(style)
        fo = loss_network(out)
    loss_s = 0.0
    for layer in STYLE_LAYERS:
        (mo, so), (ms, ss) = mean_std(fo[layer]), mean_std(fs[layer])
        loss_s = loss_s + F.mse_loss(mo, ms) + F.mse_loss(so, ss)
    total = loss_c + style_weight * loss_s
    loss_id = torch.zeros(())
    if identity_weight > 0:
        loss_id = F.mse_loss(decoder(fc), content)
        total = total + identity_weight * loss_id
    loss_lap = torch.zeros((), device=content.device)
    if laplacian_weight > 0:
        loss_lap = F.mse_loss(laplacian_of_pooled(out), laplacian_of_pooled(content))
        total = total + laplacian_weight * loss_lap
    return total, loss_c, loss_s, loss_id, loss_lap


class _Batches(torch.utils.data.IterableDataset):
    """(content, style) batches for steps start, start+1, ...; batch i depends only on (seed, i).

    Iterated through a DataLoader with worker processes, so building crops and procedural styles
    (about 40 ms a batch at 256 px on one core) overlaps the GPU's training step.
    """

    def __init__(self, seed: int, start: int, batch: int, crop: int):
        self.seed, self.start, self.batch, self.crop = seed, start, batch, crop

    def __iter__(self):
        import numpy as np

        from plugins.style_transfer import data

        info = torch.utils.data.get_worker_info()
        worker, stride = (info.id, info.num_workers) if info is not None else (0, 1)
        step = self.start + worker  # the DataLoader takes from its workers in turn, so steps stay in order
        while True:
            rs = np.random.RandomState((self.seed * 1_000_003 + step) % 2**32)
            yield data.content_batch(self.batch, self.crop, rs), data.style_batch(self.batch, self.crop, rs)
            step += stride


def _batch_loader(seed: int, start: int, batch: int, crop: int, workers: int):
    source = _Batches(seed, start, batch, crop)
    if workers <= 0:
        return source
    return torch.utils.data.DataLoader(source, batch_size=None, num_workers=workers, prefetch_factor=4,
                                       pin_memory=torch.cuda.is_available())


def train(args) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    from plugins.style_transfer.adain import Decoder, embedded_encoder

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    from hub.models import choose_device

    device = choose_device(args.device)
    # CPU and GPU time are kept apart, so the card can say which trained what.
    seconds_key = "seconds" if device.type == "cpu" else f"{device.type}_seconds"
    run = Path(args.out)
    run.mkdir(parents=True, exist_ok=True)
    resume = None if args.fresh else last_checkpoint(run)
    # A checkpoint with a trained encoder keeps it (its decoder only works with that encoder), frozen
    # unless --train-encoder; the fixed random VGG then measures style (see adain_losses).
    encoder_file = resume / "encoder.safetensors" if resume is not None else None
    if encoder_file is not None and encoder_file.exists():
        encoder = embedded_encoder(load_file(str(encoder_file)))
    elif args.train_encoder and args.init_encoder:
        encoder = embedded_encoder(load_file(args.init_encoder))
    else:
        encoder = embedded_encoder()
    trained_encoder = args.train_encoder or (encoder_file is not None and encoder_file.exists())
    loss_network = embedded_encoder().eval().requires_grad_(False) if trained_encoder else None
    encoder.train(args.train_encoder).requires_grad_(args.train_encoder)
    decoder = Decoder()
    groups = [{"params": decoder.parameters(), "lr": args.lr, "base_lr": args.lr}]
    if args.train_encoder:
        groups.append({"params": encoder.parameters(), "lr": args.encoder_lr, "base_lr": args.encoder_lr})
    opt = torch.optim.Adam(groups)
    state = {"step": 0, "images": 0, "seconds": 0.0, "loss_ema": None}
    if resume is not None:
        state.update(load_checkpoint(resume, {"decoder": decoder}))
        # the optimiser by hand: its groups change when the encoder joins or leaves it
        saved = None
        if (resume / "optim.pt").exists():
            saved = torch.load(resume / "optim.pt", map_location="cpu", weights_only=True)["opt"]
        elif (resume / "optimizer.pt").exists():  # the earlier single-slot layout
            saved = torch.load(resume / "optimizer.pt", map_location="cpu", weights_only=True)
        if saved is not None:
            if len(saved["param_groups"]) == len(opt.param_groups):
                opt.load_state_dict(saved)
                for group, base in zip(opt.param_groups, (args.lr, args.encoder_lr)):
                    group["base_lr"] = base  # this run's lr settings, not the saved ones
            else:  # the encoder joins (or leaves) the optimiser: Adam's moments start afresh
                print("optimiser groups changed (--train-encoder): Adam state starts afresh", flush=True)
        print(f"resumed at step {state['step']} ({state['images']} images, {state['seconds'] / 3600:.2f} h)", flush=True)
    elif args.init_from:
        # Continue an exported decoder (its metadata carries the step count, so the lr decay and the
        # card's totals continue too); Adam's moments start afresh.
        from safetensors import safe_open

        init = Path(args.init_from)
        if not init.is_file():
            raise SystemExit(f"--init-from: no file {init}")
        decoder.load_state_dict({k: v.float() for k, v in load_file(str(init)).items()})
        with safe_open(str(init), "pt") as f:
            meta = f.metadata() or {}
        state.update(step=int(meta.get("step", 0)), images=int(meta.get("images", 0)),
                     seconds=float(meta.get("cpu_hours", 0)) * 3600, cuda_seconds=float(meta.get("gpu_hours", 0)) * 3600,
                     loss_ema=json.loads(meta["loss_ema"]) if meta.get("loss_ema") else None,
                     schedule=json.loads(meta["schedule"]) if meta.get("schedule") else [])
        print(f"initialised from {init} (step {state['step']}, {state['images']} images)", flush=True)
    state.setdefault(seconds_key, 0.0)
    place_for_training(device, tuple(m for m in (encoder, decoder, loss_network) if m is not None), (opt,))
    torch.backends.cudnn.benchmark = device.type == "cuda"  # fixed crop size: cuDNN may pick its fastest convolutions
    print(f"device {device}", flush=True)

    def save_weights(folder: Path):
        """decoder (+ the encoder while it trains), then state.json: each file replaced atomically."""
        for name, net in (("decoder", decoder), ("encoder", encoder if args.train_encoder else None)):
            if net is not None:
                atomic_write(folder / f"{name}.safetensors", lambda p, net=net: save_file(
                    {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}, str(p)))
        atomic_write(folder / "state.json", lambda p: p.write_text(json.dumps(state, indent=1)))

    def checkpoint():
        # a trained encoder travels with every checkpoint, trained or frozen: the decoder belongs to it
        nets = {"decoder": decoder, **({"encoder": encoder} if trained_encoder else {})}
        save_checkpoint(run, state["step"], nets, {"opt": opt}, state, keep=2)

    def snapshot():
        # weights only (no optimiser), kept for --export --average-last: one step's weights carry the
        # noise of its last few small batches, and an average of late snapshots smooths it
        folder = run / "snapshots" / f"step_{state['step']:07d}"
        folder.mkdir(parents=True, exist_ok=True)
        save_weights(folder)

    # One record per run segment, so the card can state exactly which settings trained which steps.
    setting = {"lr": args.lr, "batch": args.batch, "crop": args.crop, "style_weight": args.style_weight,
               "identity_weight": args.identity_weight, "laplacian_weight": args.laplacian_weight,
               "device": device.type, "threads": args.threads if device.type == "cpu" else None,
               "train_encoder": args.train_encoder,
               "encoder_lr": args.encoder_lr if args.train_encoder else 0.0}
    schedule = state.setdefault("schedule", [])
    defaults = {"device": "cpu", "laplacian_weight": 0.0, "train_encoder": False, "encoder_lr": 0.0, "threads": 1}
    if not schedule or {k: schedule[-1].get(k, defaults.get(k)) for k in setting} != setting:
        schedule.append({"from_step": state["step"], **setting})
    t_log, n_log = time.time(), 0
    batches = iter(_batch_loader(args.seed, state["step"], args.batch, args.crop, args.workers))
    # SIGTERM (a session ending), Ctrl-C, a STOP file or --max-seconds: finish the step, checkpoint
    minutes = args.minutes if args.minutes else (args.max_seconds / 60 if args.max_seconds else None)
    control = RunControl(run, args.steps, minutes, every=args.every, every_minutes=args.ckpt_every / 60)
    while control.running(state["step"]):
        step = state["step"]
        content, style = (t.to(device, non_blocking=True) for t in next(batches))
        for group in opt.param_groups:  # the authors' inverse-time decay
            group["lr"] = group["base_lr"] / (1 + args.lr_decay * step)
        t0 = time.time()
        loss, loss_c, loss_s, loss_id, loss_lap = adain_losses(encoder, decoder, content, style, args.style_weight,
                                                               args.identity_weight, args.laplacian_weight,
                                                               loss_network)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()  # so the seconds below are the step's, not the launch's
        state[seconds_key] += time.time() - t0
        state["step"] += 1
        state["images"] += args.batch
        v = [loss.item(), loss_c.item(), loss_s.item()]
        ema = state["loss_ema"]
        state["loss_ema"] = v if ema is None else [0.98 * e + 0.02 * x for e, x in zip(ema, v)]
        if args.identity_weight > 0:
            prev = state.get("identity_ema")
            state["identity_ema"] = loss_id.item() if prev is None else 0.98 * prev + 0.02 * loss_id.item()
        if args.laplacian_weight > 0:
            prev = state.get("laplacian_ema")
            state["laplacian_ema"] = loss_lap.item() if prev is None else 0.98 * prev + 0.02 * loss_lap.item()
        n_log += 1
        if state["step"] % args.log_every == 0:
            dt = time.time() - t_log
            e = state["loss_ema"]
            ident = f" identity {state['identity_ema']:.4f}" if args.identity_weight > 0 else ""
            ident += f" laplacian {state['laplacian_ema']:.5f}" if args.laplacian_weight > 0 else ""
            print(f"step {state['step']} images {state['images']} loss {v[0]:.4f} (ema {e[0]:.4f} content {e[1]:.4f} "
                  f"style {e[2]:.4f}{ident}) {n_log / dt:.3f} it/s {n_log * args.batch / dt:.2f} img/s", flush=True)
            t_log, n_log = time.time(), 0
        if args.snapshot_every and state["step"] % args.snapshot_every == 0:
            snapshot()
        if control.checkpoint_due(state["step"]):
            checkpoint()
    checkpoint()
    if control.reason == "STOP file":  # it stops this run only: the same command resumes
        (run / "STOP").unlink(missing_ok=True)
    print(f"signal {control.stop.signal}: checkpointed at step {state['step']}" if control.stop else
          f"done ({control.reason})", flush=True)


def average_snapshots(folders: Sequence[Path]) -> tuple[dict, dict | None, dict, list[int]]:
    """The uniform average of snapshot folders' decoders (and encoders), the newest one's state, and
    the folders' steps.

    Weight averaging along one run (Polyak averaging; SWA, Izmailov et al. 2018) is sound here because
    the snapshots are late points of a single trajectory and neither network has batch norm. The
    encoder and decoder are averaged over the same snapshots, so the pair still belongs together."""
    from safetensors.torch import load_file

    if not folders:
        raise ValueError("no snapshots to average")
    with_encoder = {(f / "encoder.safetensors").exists() for f in folders}
    if len(with_encoder) != 1:
        raise ValueError("some snapshots have a trained encoder and some do not: they cannot be averaged")

    def mean(name):
        parts = [load_file(str(f / name)) for f in folders]
        if any(p.keys() != parts[0].keys() for p in parts):
            raise ValueError(f"the snapshots' {name} hold different tensors")
        return {k: (sum(p[k].double() for p in parts) / len(parts)).float() for k in parts[0]}

    states = [json.loads((f / "state.json").read_text()) for f in folders]
    return (mean("decoder.safetensors"), mean("encoder.safetensors") if with_encoder.pop() else None,
            max(states, key=lambda st: st["step"]), [st["step"] for st in states])


def export(average_last: int = 1, run: Path | None = None) -> int:
    """Copy the latest checkpoint's decoder (and trained encoder, if any) to weights/ (fp32
    safetensors), refresh manifest + card. average_last > 1: the average of the last that many
    snapshots (--snapshot-every) instead of the checkpoint."""
    run = Path(run) if run is not None else CKPT_DIR
    # The checkpoint folder and a snapshot folder hold the same files, so both go through
    # average_snapshots (the "average" of the checkpoint alone is the checkpoint, exactly).
    if average_last > 1:
        folders = sorted((run / "snapshots").glob("step_*"))[-average_last:]
        if len(folders) < average_last:
            print(f"--average-last {average_last}: only {len(folders)} snapshots in {run / 'snapshots'}",
                  file=sys.stderr)
            return 1
    else:
        ckpt = last_checkpoint(run)
        if ckpt is None:
            print(f"no checkpoint in {run}", file=sys.stderr)
            return 1
        folders = [ckpt]
    tensors, encoder, state_json, steps = average_snapshots(folders)
    averaged_steps = steps if average_last > 1 else []
    has_encoder = encoder is not None
    meta = {"step": str(state_json["step"]), "images": str(state_json["images"]),
            "cpu_hours": f"{state_json['seconds'] / 3600:.3f}",
            "gpu_hours": f"{state_json.get('cuda_seconds', 0.0) / 3600:.3f}",
            "encoder": ("adain-embedded-encoder (trained from vgg19-random, same step)"
                        if has_encoder else "vgg19-random (hub.nn.vgg embedded)"),
            "loss_ema": json.dumps(state_json.get("loss_ema")),
            "schedule": json.dumps(state_json.get("schedule") or [])}
    if averaged_steps:
        meta["averaged_steps"] = json.dumps(averaged_steps)
    exported = (f"the average of the snapshots at steps {', '.join(map(str, averaged_steps))}"
                if averaged_steps else f"step {meta['step']}")
    status = (f"<!-- train-status -->\nExported from {exported} ({meta['images']} image pairs, "
              f"{meta['cpu_hours']} CPU wall-hours (threads per segment in the schedule)"
              + (f" and {meta['gpu_hours']} GPU-hours" if float(meta["gpu_hours"]) > 0 else "")
              + f"), loss EMA (total, content, style) = "
              f"{meta['loss_ema']}.\n<!-- /train-status -->")

    def card(path: Path) -> str:
        """The card written by hand, with only its train-status block replaced (a missing card stays empty)."""
        card_path = path.with_suffix(".md")
        text = card_path.read_text() if card_path.exists() else ""
        return re.sub(r"<!-- train-status -->.*?<!-- /train-status -->", lambda _: status, text, flags=re.S)

    # the plugin's manifest names both files; the encoder's card is written by hand and stays as it is
    out = export_embedded("adain-embedded-decoder", {k: v.float() for k, v in tensors.items()}, card, MANIFEST,
                          metadata=meta)
    if has_encoder:
        # the decoder belongs to this encoder: both leave the checkpoint (or the average) together
        export_embedded("adain-embedded-encoder", {k: v.float() for k, v in encoder.items()}, card, MANIFEST,
                        metadata={**meta, "encoder": "this file"})
    sha, size = sha256_file(out), out.stat().st_size
    print(f"exported {out.name} step={meta['step']} images={meta['images']} sha256={sha} size={size}"
          + (f" averaged over steps {averaged_steps}" if averaged_steps else ""))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ganhub train adain", description=__doc__.split("\n\n")[0])
    add_common_args(p, "adain", steps=160_000, every=None)
    p.set_defaults(out=CKPT_DIR)  # GANHUB_ADAIN_RUN names side-by-side trials; read when called
    p.add_argument("--export", action="store_true", help="export the latest checkpoint to weights/ and exit")
    p.add_argument("--average-last", type=int, default=1, metavar="K",
                   help="with --export: export the weight average of the last K snapshots instead")
    p.add_argument("--snapshot-every", type=int, default=0, metavar="STEPS",
                   help="also keep the weights every STEPS steps in <run>/snapshots/ (for --average-last; 0 = off)")
    p.add_argument("--batch", type=int, default=4, help="pairs per step (paper: 8)")
    p.add_argument("--crop", type=int, default=256, help="crop size (paper: 256)")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--lr-decay", type=float, default=5e-5)
    p.add_argument("--style-weight", type=float, default=10.0, help="lambda (paper: 10)")
    p.add_argument("--identity-weight", type=float, default=0.0,
                   help="weight of the pixel identity loss ||g(f(c)) - c||^2 (not in the paper; 0 = the paper's objective)")
    p.add_argument("--laplacian-weight", type=float, default=0.0,
                   help="weight of Li et al.'s Laplacian loss on the 4x-pooled output vs content (not in AdaIN)")
    p.add_argument("--workers", type=int, default=0,
                   help="processes that build batches ahead of the training step (0 = in the training loop)")
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--ckpt-every", type=float, default=240.0, help="seconds between checkpoints (and every --every steps)")
    p.add_argument("--init-from", metavar="SAFETENSORS",
                   help="start from an exported decoder (e.g. plugins/style_transfer/weights/adain-embedded-decoder.safetensors) "
                        "when there is no checkpoint to resume")
    p.add_argument("--train-encoder", action="store_true",
                   help="also train the encoder (from the embedded random VGG-19, or --init-encoder); style is then "
                        "measured by the fixed random VGG-19 (not in the paper, whose encoder is ImageNet VGG)")
    p.add_argument("--encoder-lr", type=float, default=1e-4, help="the encoder's Adam lr with --train-encoder")
    p.add_argument("--init-encoder", metavar="SAFETENSORS",
                   help="with --train-encoder and no checkpoint encoder: start from this encoder file")
    p.add_argument("--max-seconds", type=float, default=0, help="stop (with a checkpoint) after this wall time "
                                                                     "(--minutes in seconds)")
    args = p.parse_args(list(argv) if argv is not None else None)
    if args.export:
        return export(args.average_last, args.out)
    train(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
