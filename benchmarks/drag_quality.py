"""Drag editing on held-out emoji: one scripted handle/target pair per image (4-10 px apart at 64 px).

Each image's latent is the encoder's W+ of a held-out emoji (the drag edits its reconstruction). The
handle is the strongest-edge pixel of the central region, the target a seeded 4-10 px away; the
painted region (may move) is a disc over both points. Reported: tracked handle within 2 px of the
target; the original 7x7 patch around the handle, found by template matching in the output (a judge
independent of the tracker), within 2 px of the target; PSNR outside the painted region; seconds.

    python -m benchmarks.drag_quality --n 30 --threads 1
    python -m benchmarks.drag_quality --n 16 --first 32 --every 6 --seed 1 --threads 1   # discovery set
"""

from __future__ import annotations

import argparse
import math
import statistics

import numpy as np
import torch


def load_models():
    from hub import get_model

    return get_model("stylegan2-emoji64"), get_model("stylegan2-emoji64-encoder")


def scripted_pair(image: torch.Tensor, rng: np.random.Generator) -> tuple[tuple[float, float], tuple[float, float]]:
    g = image[0].mean(0)
    e = torch.zeros_like(g)
    e[1:-1, 1:-1] = (g[2:, 1:-1] - g[:-2, 1:-1]).abs() + (g[1:-1, 2:] - g[1:-1, :-2]).abs()
    inner = torch.zeros_like(e)
    inner[16:48, 16:48] = 1
    idx = int((e * inner).argmax())
    hy, hx = divmod(idx, e.shape[1])
    length, angle = rng.uniform(4, 10), rng.uniform(0, 2 * math.pi)
    tx = float(np.clip(round(hx + length * math.cos(angle)), 4, 59))
    ty = float(np.clip(round(hy + length * math.sin(angle)), 4, 59))
    return (float(hx), float(hy)), (tx, ty)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--max-steps", type=int, default=150)
    ap.add_argument("--first", type=int, default=0, help="start at this held-out image")
    ap.add_argument("--every", type=int, default=1, help="take every k-th held-out image from --first on")
    ap.add_argument("--seed", type=int, default=0,
                    help="pair seed base (an image's pair uses seed [seed, its held-out index]); the evaluation "
                         "is --first 0 --seed 0, the discovery set for choosing settings --first 32 --every 6 "
                         "--seed 1 (no base emoji shared with the first 30)")
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--r1", type=int, default=None)
    ap.add_argument("--r2", type=int, default=None)
    ap.add_argument("--mask-weight", type=float, default=None)
    ap.add_argument("--image-mask-weight", type=float, default=None)
    ap.add_argument("--feature-layer", type=int, default=None)
    ap.add_argument("--track-layer", type=int, default=None)
    ap.add_argument("--rows", default=None, help="W+ rows that move, e.g. 0-3 (default: DragConfig's)")
    ap.add_argument("--stop-distance", type=float, default=None)
    ap.add_argument("--track-radius", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from hub.images import batch_to_tensor
    from hub.nn import drag as D
    from hub.nn.inversion import encode
    from plugins.emoji.dataset import load_emoji_arrays

    G, E = load_models()
    imgs, _ = load_emoji_arrays(64, "heldout")
    picked = imgs[args.first : args.first + args.n * args.every : args.every]
    x = batch_to_tensor(picked)
    ws = encode(E, x, G.num_ws)
    options = {"lr": args.lr, "r1": args.r1, "r2": args.r2, "mask_weight": args.mask_weight,
               "image_mask_weight": args.image_mask_weight,
               "feature_layer": args.feature_layer, "stop_distance": args.stop_distance,
               "track_radius": args.track_radius, "track_layer": args.track_layer,
               "layers": None if args.rows is None else tuple(
                   range(int(args.rows.split("-")[0]), int(args.rows.split("-")[-1]) + 1))}
    cfg = D.DragConfig(max_steps=args.max_steps, render_every=10 ** 6, yield_every=10 ** 6,
                       **{k: v for k, v in options.items() if v is not None})
    print(f"config: {cfg}", flush=True)
    tracked, matched, outside, secs, dists = [], [], [], [], []
    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    for i in range(len(x)):
        lat = {"ws": ws[i : i + 1], "noise": None}
        with torch.no_grad():
            before = G.synthesis(lat["ws"])
        index = args.first + i * args.every
        h, t = scripted_pair(before, np.random.default_rng([args.seed, index]))  # one seed per image
        mx, my, rad = (h[0] + t[0]) / 2, (h[1] + t[1]) / 2, math.dist(h, t) / 2 + 6
        mask = (((xx - mx) ** 2 + (yy - my) ** 2) <= rad ** 2).float()
        r = D.drag(G, lat, [h], [t], mask=mask, config=cfg).run()
        found = D.patch_match(before, r.image, h, radius=3, search=14)
        tracked.append(math.dist(r.handles[0], t) <= 2)
        matched.append(math.dist(found, t) <= 2)
        outside.append(D.outside_psnr(before, r.image, mask))
        secs.append(r.seconds)
        dists.append(math.dist(h, t))
        print(f"{i:2d} handle {h} -> target {t} ({dists[-1]:.1f} px): tracked {r.handles[0]} in {r.steps} steps, "
              f"template {found}, outside {outside[-1]:.1f} dB, {r.seconds:.1f} s", flush=True)
    n = len(tracked)
    print(f"tracked handle within 2 px of target: {sum(tracked)}/{n} = {100 * sum(tracked) / n:.0f} % (bar >= 80 %)")
    print(f"template match within 2 px of target: {sum(matched)}/{n} = {100 * sum(matched) / n:.0f} % (bar >= 60 %)")
    print(f"PSNR outside the painted region: median {statistics.median(outside):.1f} dB, min {min(outside):.1f} "
          f"({sum(o > 25 for o in outside)}/{n} above 25 dB)")
    print(f"seconds per drag: median {statistics.median(secs):.1f}, max {max(secs):.1f} (bar < 30)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
