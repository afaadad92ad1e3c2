"""Style-transfer speed on this CPU: AdaIN at 256^2 / 512^2, achieved GFLOP/s vs the matmul peak, Gatys.

    python benchmarks/style_transfer_speed.py [--threads 2] [--repeats 5] [--gatys-steps 200] [--model adain-embedded]

AdaIN figures (``AdaINStylizer``, tensors in and out, square content and style of the same size):

* ``new style``: a content with a style not in the cache = VGG-19 to relu4_1 on content AND style + decoder;
* ``cached style``: a second content with the same style = content encoder + decoder only;
* ``api``: the Python API ``adain(PIL, PIL)`` with a cached style, image conversions included.

FLOPs are counted by ``torch.utils.flop_counter.FlopCounterMode`` (2 per multiply-add, convolutions only:
pads, ReLUs, pools and AdaIN are negligible), for exactly the modules timed. The peak is the best of
a few fp32 ``torch.matmul`` of 2048x2048 matrices and 3x3 256->256 convolutions on the same thread count. Times are the best of
``--repeats`` runs (median printed too): the machine is shared, so the best run is the closest to what
the code costs. Bars: 512^2 < 3 s, 256^2 < 1 s; Gatys 200 steps at 256^2 < 60 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _timed(fn, repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def matmul_peak(n: int = 2048, repeats: int = 5) -> float:
    """Best fp32 GFLOP/s of an n x n matmul (2 n^3 FLOPs), or of a 3x3 256->256 convolution if that is faster.

    The convolution goes through oneDNN; on AMD CPUs torch.matmul's BLAS may take a slower path, so the
    matmul alone can understate what the convolutions in these networks reach.
    """
    import torch
    import torch.nn.functional as F

    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.matmul(a, b)  # warm-up (thread pool, caches)
    best, _ = _timed(lambda: torch.matmul(a, b), repeats)
    x, w = torch.randn(1, 256, 64, 64), torch.randn(256, 256, 3, 3)
    with torch.inference_mode():
        F.conv2d(x, w, padding=1)
        best_conv, _ = _timed(lambda: F.conv2d(x, w, padding=1), repeats)
    return max(2 * n ** 3 / best, 2 * 256 * 256 * 9 * 64 * 64 / best_conv) / 1e9


def count_flops(fn) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def load_model(name: str):
    if name == "adain-embedded":  # straight from the repo files: no weight store needed for a benchmark
        from plugins.style_transfer.adain import embedded_from_files

        return embedded_from_files()
    from hub import get_model

    return get_model(name)


def adain_speed(model, size: int, repeats: int) -> dict:
    import numpy as np
    import torch
    from PIL import Image

    from plugins.style_transfer.adain import AdaINStylizer, adain

    stylizer = AdaINStylizer(model)
    g = torch.Generator().manual_seed(size)
    content = torch.rand(1, 3, size, size, generator=g) * 2 - 1
    content2 = torch.rand(1, 3, size, size, generator=g) * 2 - 1
    style = torch.rand(1, 3, size, size, generator=g) * 2 - 1

    def new_style():
        stylizer.cache.clear()
        stylizer(content, [style])

    stylizer(content, [style])  # warm-up: oneDNN picks its kernels on the first call per shape
    best_new, med_new = _timed(new_style, repeats)
    stylizer(content, [style])  # style now cached
    hits = stylizer.hits
    best_cached, med_cached = _timed(lambda: stylizer(content2, [style]), repeats)
    assert stylizer.hits == hits + repeats, "the style encoding was not reused"

    rng = np.random.default_rng(size)
    pil_c = Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
    pil_s = Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
    adain(pil_c, pil_s, model=model, max_side=size)  # caches the style in the API's stylizer
    best_api, _ = _timed(lambda: adain(pil_c, pil_s, model=model, max_side=size), repeats)

    with torch.inference_mode():
        x = content.contiguous(memory_format=stylizer.memory_format)
        enc = count_flops(lambda: model.encode(x))
        feat = model.encode(x)["relu4_1"]
        dec = count_flops(lambda: model.decoder(feat))
    return {"size": size, "new_s": best_new, "new_median_s": med_new, "cached_s": best_cached,
            "cached_median_s": med_cached, "api_cached_s": best_api,
            "flops_new": 2 * enc + dec, "flops_cached": enc + dec, "enc_flops": enc, "dec_flops": dec}


def gatys_step_flops(size: int = 256) -> int:
    """FLOPs of one Gatys step: VGG-19 forward to relu5_1 + backward to the image (weights frozen)."""
    import torch

    from hub.nn.vgg import vgg_features
    from plugins.style_transfer.gatys import CONTENT_LAYERS, STYLE_LAYERS

    vgg = vgg_features("vgg19", tuple(dict.fromkeys(CONTENT_LAYERS + STYLE_LAYERS)))
    x = torch.zeros(1, 3, size, size, requires_grad=True)

    def step():
        feats = vgg(x)
        sum(f.square().mean() for f in feats.values()).backward()

    return count_flops(step)


def gatys_speed(steps: int, size: int = 256, precision: str = "auto") -> dict:
    from plugins.style_transfer.data import EVAL_CONTENT, EVAL_STYLE, eval_image
    from plugins.style_transfer.gatys import gatys, run_to_end
    from hub.nn.precision import use_bf16
    from hub.nn.vgg import vgg_source

    content, style = eval_image(*EVAL_CONTENT[0], size), eval_image(*EVAL_STYLE[0], size)
    t = time.perf_counter()
    _, history = run_to_end(gatys(content, style, steps=steps, every=max(1, steps // 4), max_side=size,
                                  precision=precision))
    seconds = time.perf_counter() - t
    return {"steps": steps, "size": size, "seconds": seconds, "flops_step": gatys_step_flops(size),
            "loss_first": history[0][1]["total"],
            "loss_last": history[-1][1]["total"], "vgg": vgg_source("vgg19"),
            "bf16": use_bf16(precision)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--sizes", default="256,512")
    p.add_argument("--gatys-steps", type=int, default=200, help="0 skips Gatys")
    p.add_argument("--model", default="adain-embedded")
    p.add_argument("--gatys-precision", choices=["auto", "fp32", "bf16"], default="auto",
                   help="Gatys VGG passes: auto = bfloat16 where the CPU has it natively (the API default)")
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    # The machine is shared: say how loaded it was, and measure the peak next to each figure.
    print(f"threads {args.threads}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs at start")
    model = load_model(args.model)
    bars = {256: 1.0, 512: 3.0}
    print(f"\nAdaIN ({args.model}), seconds best of {args.repeats} (median); peak = best fp32 of a 2048^2 matmul and a 3x3 conv "
          "measured just before")
    print(f"{'size':>6} {'new style s':>16} {'cached style s':>18} {'API cached s':>13} {'GFLOP new/cached':>17} "
          f"{'GFLOP/s':>8} {'peak':>6} {'of peak':>8}  bar")
    for size in (int(s) for s in args.sizes.split(",")):
        peak = matmul_peak()
        r = adain_speed(model, size, args.repeats)
        rate = r["flops_new"] / r["new_s"] / 1e9
        bar = bars.get(size)
        verdict = "" if bar is None else f"< {bar:g} s: {'met' if r['new_s'] < bar else 'NOT met'}"
        print(f"{size:>5}² {r['new_s']:>7.3f} ({r['new_median_s']:.3f}) {r['cached_s']:>9.3f} ({r['cached_median_s']:.3f}) "
              f"{r['api_cached_s']:>13.3f} {r['flops_new'] / 1e9:>8.1f}/{r['flops_cached'] / 1e9:<8.1f} "
              f"{rate:>8.1f} {peak:>6.1f} {rate / peak:>7.0%}  {verdict}")
    if args.gatys_steps:
        peak = matmul_peak()
        g = gatys_speed(args.gatys_steps, precision=args.gatys_precision)
        # The bar is 200 steps in 60 s: a shorter run is scaled to 200 steps (steps cost the same).
        per_200 = g["seconds"] * 200 / g["steps"]
        verdict = f"{'met' if per_200 < 60 else 'NOT met'}" + ("" if g["steps"] == 200 else f", {per_200:.1f} s per 200")
        need = g["flops_step"] * 200 / 60 / 1e9
        print(f"\nGatys {g['steps']} Adam steps at {g['size']}², VGG in {'bf16' if g['bf16'] else 'fp32'} "
              f"(--gatys-precision {args.gatys_precision}): {g['seconds']:.1f} s (< 60 s: {verdict}); "
              f"loss {g['loss_first']:.4g} -> {g['loss_last']:.4g}\n  {g['flops_step'] / 1e9:.1f} GFLOP per step "
              f"(forward to relu5_1 + backward to the image): {g['flops_step'] * g['steps'] / g['seconds'] / 1e9:.1f} "
              f"GFLOP/s achieved; 60 s would need {need:.0f} GFLOP/s (peak measured before: {peak:.1f})"
              f"\n  VGG-19: {g['vgg']}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
