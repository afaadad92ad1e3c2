"""Inpainting quality on held-out emoji: Image2StyleGAN++ GAN-prior fill vs OpenCV Telea (and NS).

For each held-out emoji (never seen in training) one hole covering 10-25% of the image: random
rectangles and free-form brush strokes alternate. Prints per-image PSNR inside the hole, the
medians, the win rate, the max abs difference outside the hole (must be 0) and seconds per image.

    python benchmarks/inpainting_eval.py                       # 50 images, defaults (~10-25 s each on 1 thread)
    python benchmarks/inpainting_eval.py --n 8                 # fewer images on a loaded machine
    python benchmarks/inpainting_eval.py --init w_avg          # the paper's start instead of En(Telea fill)

Threads: 1 by default (with other processes on both cores, 2 OpenMP threads run 5-15x slower).
The load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def rectangle_hole(rng: np.random.Generator, size: int) -> np.ndarray:
    while True:
        frac = rng.uniform(0.10, 0.25)
        aspect = rng.uniform(0.5, 2.0)
        h = int(round(np.sqrt(frac * size * size / aspect)))
        w = int(round(frac * size * size / max(h, 1)))
        if 4 <= h < size and 4 <= w < size:
            break
    top, left = rng.integers(0, size - h + 1), rng.integers(0, size - w + 1)
    m = np.zeros((size, size), np.float32)
    m[top:top + h, left:left + w] = 1
    return m


def freeform_hole(rng: np.random.Generator, size: int) -> np.ndarray:
    """Random brush strokes (random-walk polylines, width 3-7 px at 64 px) until 10-25% is covered."""
    import cv2

    target = rng.uniform(0.10, 0.25)
    m = np.zeros((size, size), np.uint8)
    while m.mean() / 255 < target:
        x, y = rng.integers(0, size, 2)
        width = int(rng.integers(3, 8) * size / 64)
        for _ in range(int(rng.integers(2, 6))):
            angle, length = rng.uniform(0, 2 * np.pi), rng.uniform(size / 10, size / 4)
            nx = int(np.clip(x + length * np.cos(angle), 0, size - 1))
            ny = int(np.clip(y + length * np.sin(angle), 0, size - 1))
            cv2.line(m, (int(x), int(y)), (nx, ny), 255, width)
            x, y = nx, ny
            if m.mean() / 255 >= 0.25:
                break
    if m.mean() / 255 > 0.25:  # one stroke too many: start again with a smaller budget
        return freeform_hole(rng, size)
    return (m > 0).astype(np.float32)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="stylegan2-emoji64")
    p.add_argument("--n", type=int, default=50)
    p.add_argument("--w-steps", type=int, default=None)
    p.add_argument("--noise-steps", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--init", choices=("encoder", "w_avg"), default="encoder",
                   help="start of W_l: the encoder of the Telea-filled image (the tab's default when the model "
                        "has an encoder) or the paper's w_avg")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--save", default="", help="folder for a contact sheet of the first results")
    args = p.parse_args(argv)

    import os

    import torch
    from PIL import Image

    torch.set_num_threads(args.threads)
    print(f"threads {torch.get_num_threads()}; load average at start {' '.join(f'{v:.2f}' for v in os.getloadavg())}",
          flush=True)
    from hub import get_model
    from plugins.emoji.dataset import load_emoji_arrays
    from plugins.inpainting import api

    G = get_model(args.model)
    encoder = None
    if args.init == "encoder":
        from hub.plugins import related_model

        encoder = related_model(args.model, "encoder")
        if encoder is None:
            raise SystemExit(f"{args.model} has no encoder; use --init w_avg")
    images, meta = load_emoji_arrays(int(G.resolution), "heldout")
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(images))[: args.n]
    kw = {}
    if args.w_steps is not None:
        kw["w_steps"] = args.w_steps
    if args.noise_steps is not None:
        kw["noise_steps"] = args.noise_steps
    rows = []
    sheet = []
    print(f"model {args.model} ({G.resolution} px, num_ws {G.num_ws}); {len(order)} held-out emoji; "
          f"W_l {kw.get('w_steps', api.W_STEPS)} + Mk_n {kw.get('noise_steps', api.NOISE_STEPS)} steps; start "
          f"{'En(Telea fill)' if encoder is not None else 'w_avg'}")
    print(f"{'#':>3} {'kind':9} {'cover':>6} {'GAN dB':>7} {'Telea':>7} {'NS':>7} {'out max':>7} {'sec':>6}  name")
    for k, i in enumerate(order):
        img = Image.fromarray(images[i])
        kind = "rectangle" if k % 2 == 0 else "free-form"
        hole = rectangle_hole(rng, img.width) if kind == "rectangle" else freeform_hole(rng, img.width)
        h = hole >= 0.5
        t = time.perf_counter()
        run = api.Run(api.inpaint(G, img, hole, yield_every=1000, init=args.init, encoder=encoder, **kw))
        res = run.run()
        sec = time.perf_counter() - t
        out = res.extras["composite"]
        telea, ns = api.classical_inpaint(img, hole, "telea"), api.classical_inpaint(img, hole, "ns")
        r = dict(kind=kind, cover=float(h.mean()), gan=api.psnr_in(out, img, h), telea=api.psnr_in(telea, img, h),
                 ns=api.psnr_in(ns, img, h), outside=max(api.max_abs_outside(out, img, h),
                                                         api.max_abs_outside(telea, img, h)), sec=sec)
        rows.append(r)
        print(f"{k:3d} {kind:9} {r['cover']:6.1%} {r['gan']:7.2f} {r['telea']:7.2f} {r['ns']:7.2f} {r['outside']:7d} "
              f"{sec:6.1f}  {meta[i].get('name', '')}", flush=True)
        if len(sheet) < 8:
            holey = np.asarray(img).copy()
            holey[h] = (255, 0, 255)
            sheet.append(np.concatenate([holey, np.asarray(out), np.asarray(telea), np.asarray(img)], 1))
    med = {k: statistics.median(r[k] for r in rows) for k in ("gan", "telea", "ns", "sec")}
    wins = sum(r["gan"] > r["telea"] for r in rows)
    print(f"\nmedian PSNR inside the hole: GAN {med['gan']:.2f} dB, Telea {med['telea']:.2f} dB, NS {med['ns']:.2f} dB "
          f"-> GAN - Telea = {med['gan'] - med['telea']:+.2f} dB (bar: >= +1 dB)")
    for kind in ("rectangle", "free-form"):
        sub = [r for r in rows if r["kind"] == kind]
        if sub:
            print(f"  {kind:9}: GAN {statistics.median(r['gan'] for r in sub):.2f} dB, "
                  f"Telea {statistics.median(r['telea'] for r in sub):.2f} dB over {len(sub)}")
    print(f"GAN beats Telea on {wins}/{len(rows)} images; max abs diff outside the hole over all: "
          f"{max(r['outside'] for r in rows)} (bar: 0); median seconds per image {med['sec']:.1f}")
    print(f"load average at the end {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if args.save and sheet:
        from pathlib import Path

        Path(args.save).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.concatenate(sheet, 0)).save(Path(args.save) / "inpainting_eval.png")
        print(f"sheet (hole | GAN | Telea | original): {Path(args.save) / 'inpainting_eval.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
