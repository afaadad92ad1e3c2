"""Image2StyleGAN++ applications on held-out emoji: quality figures and seconds per application.

* crossover: PSNR to A outside the blurred mask (bar >= 28 dB), PSNR to B inside vs PSNR(A, B) inside
  (must rise), seam gradient energy along the mask border vs naive pasting;
* scribbles: how far the mean colour inside the strokes moves from the original towards the stroke
  colour (projection; bar >= 0.5) and PSNR to the original outside the strokes (bar >= 25 dB);
* local style, feature transfer, reconstruction, inpainting (one fill from w_avg, and 4 variations
  in one batch): seconds (and a simple figure each);
* seconds per application at the given step scale (1.0 = defaults; with --step-scale s < 1 the
  default-settings time is also extrapolated per stage as measured_seconds / s), with the load
  average beside them (the 2-core machine is shared with a training job: figures move with the load).

Threads: 1 by default. With other processes keeping both cores busy, 2 OpenMP threads measured 5-15x
slower per step than 1 (threads wait for each other at every op); pass --threads 2 on an idle machine.

    python benchmarks/i2s_plusplus_apps.py                               # every app, defaults, 3 pairs
    python benchmarks/i2s_plusplus_apps.py --apps crossover,scribbles --pairs 2
    python benchmarks/i2s_plusplus_apps.py --apps local_style,features,reconstruct --step-scale 0.2
    python benchmarks/i2s_plusplus_apps.py --profile     # where one W_l / Mk_n step spends its time
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

APPS = ("crossover", "scribbles", "local_style", "features", "reconstruct", "inpainting")


def arr(t):
    from hub.images import to_pil

    return np.asarray(to_pil(t))


def profile_steps(G, repeats: int = 15) -> None:
    """Milliseconds (best of 3 rounds of ``repeats``) of the parts of one W_l and one Mk_n step."""
    import torch

    from hub.nn import inversion as inv
    from hub.nn.losses import masked_mse, perceptual_loss

    R = int(G.resolution)
    feats = inv.default_features(torch.device("cpu"))
    x = torch.rand(1, 3, R, R, generator=torch.Generator().manual_seed(0)) * 2 - 1
    known = torch.ones(1, 1, R, R)
    known[..., R // 3:2 * R // 3, R // 3:2 * R // 3] = 0
    with torch.no_grad():
        fx = feats(x)
    ws = G.w_avg.reshape(1, 1, -1).repeat(1, G.num_ws, 1).clone().requires_grad_(True)
    noise = G.make_noise(1, torch.Generator().manual_seed(0))
    noise_var = [n.clone().requires_grad_(True) for n in noise]

    def g_forward():
        with torch.no_grad():
            G.synthesis(ws, noise=noise)

    def g_backward():
        G.synthesis(ws, noise=noise).mean().backward()

    def vgg_backward():
        xi = x.clone().requires_grad_(True)
        perceptual_loss(feats(xi), fx, inv.PERCEPTUAL_LAYERS, mask=known).backward()

    def mse_backward():
        xi = x.clone().requires_grad_(True)
        masked_mse(xi, -x, known).backward()

    def w_l_step():
        img = G.synthesis(ws, noise=noise)
        (masked_mse(img, x, known) + perceptual_loss(feats(img), fx, inv.PERCEPTUAL_LAYERS, mask=known)).backward()

    def mk_n_step():
        img = G.synthesis(ws.detach(), noise=noise_var)
        (masked_mse(img, x, known) + masked_mse(img, x, 1 - known)).backward()

    parts = [("G forward (no grad)", g_forward), ("G forward + backward", g_backward),
             ("VGG-16 to conv3_3 + perceptual, fwd + bwd", vgg_backward), ("masked MSE, fwd + bwd", mse_backward),
             ("W_l step (G + VGG + MSE)", w_l_step), ("Mk_n step (G + 2 MSE)", mk_n_step)]
    for name, fn in parts:
        fn()
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            for _ in range(repeats):
                fn()
            best = min(best, (time.perf_counter() - t) / repeats)
        print(f"  {name:42s} {best * 1000:8.2f} ms", flush=True)


class Bench:
    """What every application's measurement shares: the model, the held-out pairs, the step scale and
    the clock (``secs``: seconds per run; ``per_step``: fixed seconds, seconds per step, steps run)."""

    def __init__(self, G, encoder, pairs, step_scale: float):
        from plugins.i2s_plusplus import api

        self.G, self.encoder, self.pairs, self.scale, self.api = G, encoder, pairs, step_scale, api
        self.R = int(G.resolution)
        self.secs: dict[str, list[float]] = {}
        self.per_step: dict[str, list[tuple[float, float, int]]] = {}
        # a lower-face region (mouth) at 64 px, scaled with the resolution
        self.region = np.zeros((self.R, self.R), np.float32)
        self.region[int(self.R * 0.56):int(self.R * 0.86), int(self.R * 0.25):int(self.R * 0.75)] = 1

    def st(self, n: int) -> int:
        """``n`` default steps at this step scale (at least 1 unless 0)."""
        return max(1, int(round(n * self.scale))) if n else 0

    def timed(self, name, gen):
        t = time.perf_counter()
        res = self.api.Run(gen).run()
        total = time.perf_counter() - t
        self.secs.setdefault(name, []).append(total)
        # optimisation time = sum over stages of the engine's per-stage clock (it restarts each stage)
        opt, last = 0.0, 0.0
        for h in res.history:
            if h["time"] < last:
                opt += last
            last = h["time"]
        opt += last
        n = len(res.history)
        self.per_step.setdefault(name, []).append((total - opt, opt / max(n, 1), n))
        return res


def crossover(b: Bench) -> None:
    from plugins.inpainting.api import psnr_in  # the hub's PSNR over a region of two 8-bit images

    api, rows = b.api, []
    steps = b.st(api.CROSSOVER_STEPS)
    for a, c in b.pairs:
        res = b.timed("crossover", api.crossover(b.G, a, c, b.region, w_steps=steps, noise_steps=steps,
                                                 yield_every=1000))
        mb = res.extras["mask_blur"][0, 0].cpu().numpy()
        out, A, B = arr(res.image), np.asarray(a), np.asarray(c)
        outside, inside = mb < 0.01, b.region >= 0.5
        ta, tb = api.image_tensor(b.G, a), api.image_tensor(b.G, c)
        paste = api.naive_paste(ta, tb, res.extras["mask"])
        rows.append(dict(out_a=psnr_in(out, A, outside), in_b=psnr_in(out, B, inside), a_b=psnr_in(A, B, inside),
                         seam=api.seam_energy(res.image, res.extras["mask"]),
                         seam_paste=api.seam_energy(paste, res.extras["mask"]),
                         seam_a=api.seam_energy(ta, res.extras["mask"])))
        r = rows[-1]
        print(f"crossover: PSNR to A outside {r['out_a']:.2f} dB | inside: to B {r['in_b']:.2f} dB vs A-B "
              f"{r['a_b']:.2f} dB | seam energy {r['seam']:.4f} (naive paste {r['seam_paste']:.4f}, A alone "
              f"{r['seam_a']:.4f}) | {b.secs['crossover'][-1]:.1f} s", flush=True)
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    print(f"CROSSOVER median: outside PSNR to A {med['out_a']:.2f} dB (bar >= 28); inside to B {med['in_b']:.2f} "
          f"dB vs A-B {med['a_b']:.2f} dB (must rise); seam {med['seam']:.4f} vs paste {med['seam_paste']:.4f}")


def scribbles(b: Bench) -> None:
    from plugins.inpainting.api import psnr_in

    api, R, rows = b.api, b.R, []
    red = np.array([229, 57, 53], np.float64)  # the palette's red
    for a, _ in b.pairs:
        strokes = np.zeros((R, R), np.float32)
        strokes[int(R * 0.62):int(R * 0.72), int(R * 0.3):int(R * 0.7)] = 1  # a red mouth-wide bar
        colours = np.zeros((R, R, 3), np.uint8)
        colours[strokes > 0] = red.astype(np.uint8)
        res = b.timed("scribbles", api.scribble_edit(
            b.G, a, colours, strokes, encoder=b.encoder, embed_steps=b.st(api.EMBED_STEPS),
            w_steps=b.st(api.APP_STEPS), noise_steps=b.st(api.SCRIBBLE_NOISE_STEPS), yield_every=1000))
        out, A = arr(res.image).astype(np.float64), np.asarray(a, np.float64)
        inside = strokes >= 0.5
        c0, c1 = A[inside].mean(0), out[inside].mean(0)
        moved = float(np.dot(c1 - c0, red - c0) / max(np.dot(red - c0, red - c0), 1e-6))
        rows.append(dict(moved=moved, outside=psnr_in(out, A, ~inside)))
        print(f"scribbles: colour moved {moved:.2f} of the way to the stroke colour | PSNR outside the strokes "
              f"{rows[-1]['outside']:.2f} dB | rows {list(res.extras['rows'])} | {b.secs['scribbles'][-1]:.1f} s",
              flush=True)
    print(f"SCRIBBLES median: moved {statistics.median(r['moved'] for r in rows):.2f} (bar >= 0.5); outside "
          f"PSNR {statistics.median(r['outside'] for r in rows):.2f} dB (bar >= 25)")


def local_style(b: Bench) -> None:
    from plugins.inpainting.api import psnr_in

    api, region = b.api, b.region
    for a, c in b.pairs:
        res = b.timed("local_style", api.local_style(
            b.G, a, c, region, encoder=b.encoder, embed_steps=b.st(api.EMBED_STEPS), w_steps=b.st(api.APP_STEPS),
            noise_steps=b.st(api.APP_STEPS), yield_every=1000))
        out, A = arr(res.image), np.asarray(a)
        print(f"local style: PSNR to image 1 outside the region {psnr_in(out, A, region < 0.5):.2f} dB, inside "
              f"{psnr_in(out, A, region >= 0.5):.2f} dB | {b.secs['local_style'][-1]:.1f} s", flush=True)


def features(b: Bench) -> None:
    from plugins.inpainting.api import psnr_in

    api, region = b.api, b.region
    for a, c in b.pairs:
        res = b.timed("features", api.feature_transfer(b.G, a, c, region, embed_steps=b.st(api.EMBED_STEPS),
                                                       yield_every=1000))
        out, r1 = arr(res.image), arr(res.extras["image_1"])
        print(f"feature transfer (layer {res.extras['layer']}): change vs image 1's embedding, PSNR outside "
              f"{psnr_in(out, r1, region < 0.5):.2f} dB, inside {psnr_in(out, r1, region >= 0.5):.2f} dB | "
              f"{b.secs['features'][-1]:.1f} s", flush=True)


def reconstruct(b: Bench) -> None:
    api = b.api
    for a, _ in b.pairs[:1]:
        res = b.timed("reconstruct", api.reconstruct(b.G, a, w_steps=b.st(api.RECONSTRUCT_W_STEPS),
                                                     noise_steps=b.st(api.RECONSTRUCT_NOISE_STEPS), yield_every=1000))
        print(f"reconstruction: PSNR {res.extras['psnr']:.2f} dB | {b.secs['reconstruct'][-1]:.1f} s", flush=True)


def inpainting(b: Bench) -> None:
    from plugins.inpainting import api

    R = b.R
    hole = np.zeros((R, R), np.float32)  # a centred square covering 14% of the image
    hole[int(R * 0.31):int(R * 0.69), int(R * 0.31):int(R * 0.69)] = 1
    kw = dict(w_steps=b.st(api.W_STEPS), noise_steps=b.st(api.NOISE_STEPS), yield_every=1000)
    for a, _ in b.pairs:
        res = b.timed("inpainting", api.inpaint(b.G, a, hole, **kw))
        h = hole >= 0.5
        gan, telea = res.extras["composite"], api.classical_inpaint(a, hole, "telea")
        print(f"inpainting: PSNR in the hole {api.psnr_in(gan, a, h):.2f} dB (Telea "
              f"{api.psnr_in(telea, a, h):.2f} dB), max abs diff outside "
              f"{api.max_abs_outside(gan, a, h)} | {b.secs['inpainting'][-1]:.1f} s", flush=True)
    for a, _ in b.pairs[:1]:
        t = time.perf_counter()
        fills = api.variations(b.G, a, hole, n=4, **kw)
        b.secs["inpainting x4"] = [time.perf_counter() - t]
        b.per_step["inpainting x4"] = [(0.0, b.secs["inpainting x4"][0] / (kw["w_steps"] + kw["noise_steps"]),
                                        kw["w_steps"] + kw["noise_steps"])]
        print(f"inpainting variations: {len(fills)} fills in one batch | {b.secs['inpainting x4'][0]:.1f} s",
              flush=True)


def report_seconds(b: Bench) -> None:
    print("\nseconds per application (median; bar < 60 s at 64 px):")
    for name, v in b.secs.items():
        med = statistics.median(v)
        fixed = statistics.median(f for f, _, _ in b.per_step[name])
        sps = statistics.median(q for _, q, _ in b.per_step[name])
        steps = b.per_step[name][0][2]
        extra = ""
        if b.scale != 1.0:
            default_steps = int(round(steps / b.scale))
            extra = f"; at default steps ({default_steps}) ~{fixed + sps * default_steps:.0f} s extrapolated"
        print(f"  {name:13s} {med:7.1f} s for {steps} steps (fixed {fixed:.1f} s + {sps:.3f} s/step){extra}"
              f"{'  OVER 60 s' if med >= 60 else ''}")


MEASURE = {"crossover": crossover, "scribbles": scribbles, "local_style": local_style, "features": features,
           "reconstruct": reconstruct, "inpainting": inpainting}
assert tuple(MEASURE) == APPS


def _load_average() -> str:
    import os

    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="stylegan2-emoji64")
    p.add_argument("--apps", default=",".join(APPS))
    p.add_argument("--pairs", type=int, default=3, help="image pairs per application")
    p.add_argument("--step-scale", type=float, default=1.0)
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (see the docstring)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-encoder", action="store_true", help="embed from w_avg even where the model has an encoder")
    p.add_argument("--profile", action="store_true", help="time the parts of one W_l / Mk_n step and stop")
    args = p.parse_args(argv)

    import os

    import torch
    from PIL import Image

    torch.set_num_threads(args.threads)
    print(f"threads {torch.get_num_threads()}; load average at start {_load_average()} "
          f"(1/5/15 min, {os.cpu_count()} CPUs)", flush=True)
    from hub import get_model
    from hub.plugins import related_model
    from plugins.emoji.dataset import load_emoji_arrays
    from plugins.i2s_plusplus import api
    from plugins.inpainting import api as inpainting_api

    G = get_model(args.model)
    # the tabs embed from the model's encoder when it has one; so does this benchmark
    encoder = None if args.no_encoder else related_model(args.model, "encoder")
    print(f"embeddings start from: {'the encoder' if encoder is not None else 'w_avg'}")
    R = int(G.resolution)
    if args.profile:
        print(f"one optimisation step at {R} px, best of 3 x 15:")
        profile_steps(G)
        print(f"load average at the end {_load_average()}")
        return 0
    images, meta = load_emoji_arrays(R, "heldout")
    order = np.random.default_rng(args.seed).permutation(len(images))
    pairs = [(Image.fromarray(images[order[2 * k]]), Image.fromarray(images[order[2 * k + 1]]))
             for k in range(args.pairs)]
    print(f"model {args.model} ({R} px, num_ws {G.num_ws}); {args.pairs} held-out pairs; step scale "
          f"{args.step_scale} (defaults: crossover {api.CROSSOVER_STEPS}+{api.CROSSOVER_STEPS}, scribbles "
          f"{api.EMBED_STEPS}+{api.APP_STEPS}+{api.SCRIBBLE_NOISE_STEPS}, local style "
          f"{api.EMBED_STEPS}+{api.APP_STEPS}+{api.APP_STEPS}, feature transfer {api.EMBED_STEPS}, reconstruction "
          f"{api.RECONSTRUCT_W_STEPS}+{api.RECONSTRUCT_NOISE_STEPS}, inpainting {inpainting_api.W_STEPS}+"
          f"{inpainting_api.NOISE_STEPS})")
    bench = Bench(G, encoder, pairs, args.step_scale)
    apps = [a.strip() for a in args.apps.split(",") if a.strip()]
    for name in APPS:
        if name in apps:
            MEASURE[name](bench)
    report_seconds(bench)
    print(f"load average at the end {_load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
