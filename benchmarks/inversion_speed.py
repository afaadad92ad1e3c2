"""Inversion speed and reconstruction quality on held-out emoji (the inversion quality bars).

Prints:
  * steps/s of W+ (MSE + VGG-16 perceptual) and of noise (Mk_n) optimisation, batch 1, this CPU;
  * time (and steps) to a 30 dB reconstruction of one held-out emoji (W+ then noise);
  * PSNR medians over N held-out emoji: W+ alone, and W+ then noise (images inverted in batches:
    Adam's per-parameter step makes each image's optimisation independent of the others');
  * hybrid (encoder then W+) vs optimisation: steps the hybrid needs to reach the optimisation's
    final PSNR, median over the images (bar: at most half), when the model has an encoder.

    python benchmarks/inversion_speed.py                                  # the registered model, defaults
    python benchmarks/inversion_speed.py --checkpoint latest --n 50 --steps 200 --noise-steps 100
    python benchmarks/inversion_speed.py --baseline /tmp/inv_base.json --encoder CANDIDATE.safetensors
    (--baseline: keep the optimisation figures of this generator and settings in a JSON file and reuse
    them on the next run: the W+ and noise runs from w_avg are deterministic and take most of the time,
    so a new encoder is judged in the time of its hybrid run)
    (--checkpoint: a training folder checkpoint of plugins.stylegan2.train instead of the embedded weights)
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import statistics
import time
from pathlib import Path

import torch


from hub.nn import inversion as inv


def load_generator(args):
    """(G, encoder or None, description)."""
    if args.checkpoint == "random":  # the embedded architecture, untrained: for speed figures only
        from plugins.stylegan2.model import EMOJI64_G, build_generator

        torch.manual_seed(0)
        G = build_generator(EMOJI64_G).eval().requires_grad_(False)
        with torch.no_grad():
            G.w_avg.copy_(G.mean_latent(1024))
        return G, None, "RANDOMLY INITIALISED emoji64 architecture (speed only)"
    if args.checkpoint:
        from plugins.stylegan2.train import DEFAULT_OUT, latest_checkpoint, load_checkpoint_models

        ckpt = latest_checkpoint(DEFAULT_OUT) if args.checkpoint == "latest" else Path(args.checkpoint)
        if ckpt is None:
            raise SystemExit("no training checkpoint found")
        _, _, G, state = load_checkpoint_models(ckpt)
        G = G.eval().requires_grad_(False)
        return G, None, f"training checkpoint {ckpt} (step {state.get('step', '?')})"
    from hub.plugins import get_model, related_model

    G = get_model(args.model, device="cpu")
    try:
        enc = related_model(args.model, "encoder", device="cpu")
    except Exception as exc:  # weights not there yet
        enc = None
        print(f"(encoder unavailable: {exc})")
    return G, enc, f"registered model {args.model}"


def heldout(G, n):
    from plugins.emoji.dataset import load_emoji_arrays

    images, _ = load_emoji_arrays(int(G.resolution), split="heldout")
    x = torch.from_numpy(images[:n]).permute(0, 3, 1, 2).float().div(127.5).sub(1)
    return x


def run_batched(G, x, cfg, batch, encoder=None, every=10, goals=None):
    """Invert x in batches -> (final per-image PSNR list, per-image PSNR curves {step: [N]}).

    ``goals`` (one PSNR per image): stop a batch as soon as every image in it has reached its goal
    (the curves then end there; the finals are the PSNRs at that step)."""
    finals, curves = [], {}
    for i in range(0, len(x), batch):
        xb = x[i : i + batch]
        run = inv.Inversion(G, xb, inv.InversionConfig(cfg.phases, cfg.init, cfg.init_range, every, cfg.seed),
                            encoder=encoder)
        reached = None
        for step, img, _ in run:
            now = inv.psnr(img, xb).tolist()
            curves.setdefault(step, []).extend(now)
            if goals is not None:
                reached = now
                if all(p >= g for p, g in zip(now, goals[i : i + batch])):
                    run.close()
                    break
        finals.extend(run.result.psnrs if run.result is not None else reached)
    return finals, curves


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="stylegan2-emoji64")
    ap.add_argument("--checkpoint", default=None, help="'latest' or a checkpoint folder of plugins.stylegan2.train, or 'random' (untrained, for speed)")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--steps", type=int, default=inv.scale_steps(5000))
    ap.add_argument("--noise-steps", type=int, default=inv.scale_steps(3000))
    ap.add_argument("--noise-lr", type=float, default=5.0)
    ap.add_argument("--perceptual", type=float, default=1.0)
    ap.add_argument("--batch", type=int, default=25)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--speed-steps", type=int, default=30)
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="JSON file that keeps the optimisation figures for this generator and settings")
    ap.add_argument("--encoder", type=Path, default=None, help="an encoder safetensors file instead of the model's")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    G, encoder, desc = load_generator(args)
    print(f"generator: {desc}; {G.resolution} px, num_ws {G.num_ws}; torch threads {args.threads}")
    if args.encoder:
        from plugins.stylegan2.encoder import load_encoder

        encoder = load_encoder(args.encoder)
        print(f"encoder: {args.encoder}")
    from hub.nn.vgg import vgg_source

    print(f"VGG-16: {vgg_source('vgg16')}")
    x = heldout(G, args.n)
    print(f"held-out emoji: {len(x)}")

    # --- speed, batch 1 --------------------------------------------------------------------
    one = x[:1]
    for name in () if args.skip_speed else ("W+ (MSE + perceptual)", "W+ (MSE only)", "noise Mk_n"):
        print_speed(G, one, name, args)

    if args.skip_quality:
        return 0
    cfg = inv.reconstruction_config(args.steps, args.noise_steps, perceptual=args.perceptual)
    cfg = inv.InversionConfig(tuple(dataclasses.replace(p, lr=args.noise_lr) if p.variable == "noise" else p
                                    for p in cfg.phases))
    key = {"generator": generator_fingerprint(G), "n": len(x), "steps": args.steps,
           "noise_steps": args.noise_steps, "noise_lr": args.noise_lr, "perceptual": args.perceptual}
    cached = load_baseline(args.baseline, key)
    if cached:
        print(f"optimisation figures: reused from {args.baseline} (same generator tensors and settings)")
        finals_w, finals_wn, t_wn = cached["finals_w"], cached["finals_wn"], cached["seconds"]
    else:
        time_to_30db(G, one, cfg)
        # One W+ -> noise run gives both figures: noise starts from the W+ result, so the W+-alone
        # PSNR is the curve at step --steps (the same numbers as a W+-only run, checked to the bit).
        t0 = time.perf_counter()
        finals_wn, curve = run_batched(G, x, cfg, args.batch)
        t_wn = time.perf_counter() - t0
        finals_w = curve[args.steps]
        if args.baseline:
            args.baseline.write_text(json.dumps({"key": key, "finals_w": finals_w, "finals_wn": finals_wn,
                                                 "seconds": t_wn}) + "\n")
    report_quality(finals_w, finals_wn, t_wn, args)
    if encoder is None:
        print("hybrid vs optimisation: skipped (no encoder available for this model)")
        return 0
    report_hybrid(G, x, cfg, encoder, finals_w, args)
    return 0


def generator_fingerprint(G) -> str:
    """sha256 over the generator's tensors (names, shapes, values): which network made the figures."""
    h = hashlib.sha256()
    for name, t in sorted(G.state_dict().items()):
        h.update(f"{name}{tuple(t.shape)}{t.dtype}".encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def load_baseline(path: Path | None, key: dict) -> dict | None:
    if not path or not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return None
    return data if data.get("key") == key else None


def print_speed(G, one, name, args) -> None:
    phase = {"W+ (MSE + perceptual)": inv.phase_wl(args.speed_steps, perceptual=args.perceptual),
             "W+ (MSE only)": inv.phase_wl(args.speed_steps, perceptual=0.0),
             "noise Mk_n": inv.phase_mkn(args.speed_steps, lr=args.noise_lr)}[name]
    phases = (phase,) if phase.variable != "noise" else (inv.phase_wl(1, perceptual=0.0), phase)
    cpu0 = time.process_time()
    res = inv.invert(G, one, inv.InversionConfig(phases=phases, yield_every=10 ** 6))
    cpu = time.process_time() - cpu0
    hist = [h for h in res.history if h["phase"] == len(phases) - 1]
    dt = hist[-1]["time"] - hist[0]["time"]
    print(f"speed  {name:24s} {(len(hist) - 1) / dt:7.2f} steps/s wall, {len(res.history) / cpu:6.2f} steps per "
          f"CPU-second ({G.resolution} px, batch 1; load average {os.getloadavg()[0]:.1f})")


def time_to_30db(G, one, cfg) -> None:
    t0 = time.perf_counter()
    res = inv.invert(G, one, inv.InversionConfig(cfg.phases, yield_every=10 ** 6))
    hit = next((h for h in res.history if h["psnr"] >= 30.0), None)
    if hit:
        print(f"time to 30 dB (image 0, W+ then noise): {hit['time']:.1f} s at step {int(hit['step'])}")
    else:
        print(f"time to 30 dB: not reached in {len(res.history)} steps ({time.perf_counter() - t0:.1f} s); "
              f"final PSNR {res.psnr:.2f} dB")


def report_quality(finals_w, finals_wn, t_wn, args) -> None:
    print(f"PSNR median over {len(finals_w)} held-out emoji, W+ alone ({args.steps} steps): "
          f"{statistics.median(finals_w):.2f} dB (bar 24)")
    print(f"PSNR median, W+ then noise ({args.steps} + {args.noise_steps} steps, noise lr {args.noise_lr}): "
          f"{statistics.median(finals_wn):.2f} dB (bar 30; Image2StyleGAN++ reports 39-45 dB at 1024 px; "
          f"{t_wn:.0f} s for both)")
    print(f"  quartiles W+: {[round(q, 2) for q in statistics.quantiles(finals_w, n=4)]}, "
          f"W+noise: {[round(q, 2) for q in statistics.quantiles(finals_wn, n=4)]}")


def report_hybrid(G, x, cfg, encoder, finals_w, args) -> None:
    """Steps the hybrid (encoder, then the same W+ phase) needs to reach each image's optimisation PSNR."""
    enc_cfg = inv.InversionConfig(phases=(), init="encoder")
    finals_enc, _ = run_batched(G, x, enc_cfg, args.batch, encoder=encoder)
    hyb_cfg = inv.InversionConfig(cfg.phases[:1], init="encoder")
    finals_h, curve_h = run_batched(G, x, hyb_cfg, args.batch, encoder=encoder, goals=finals_w)
    steps_sorted = sorted(curve_h)
    ratios = []
    for i, goal in enumerate(finals_w):
        reached = next((s for s in steps_sorted if curve_h[s][i] >= goal), None)
        ratios.append((reached if reached is not None else float("inf")) / args.steps)
    frac_half = sum(r <= 0.5 for r in ratios) / len(ratios)
    print(f"encoder alone: median PSNR {statistics.median(finals_enc):.2f} dB")
    print(f"hybrid (encoder + W+ steps, stopped when every image had reached the optimisation's final PSNR, "
          f"at most {args.steps}): median PSNR {statistics.median(finals_h):.2f} dB at step {max(curve_h)}")
    print(f"hybrid steps to reach the optimisation's final PSNR / optimisation steps: median "
          f"{statistics.median(ratios):.2f} (bar <= 0.5); {100 * frac_half:.0f}% of images within half")


if __name__ == "__main__":
    raise SystemExit(main())
