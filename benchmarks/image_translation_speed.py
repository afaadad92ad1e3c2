"""Image translation speed on this CPU: ms per image at batch 1 (bar: < 1 s), and training iterations/s.

    python benchmarks/image_translation_speed.py [--threads 1] [--runs 20]
    python benchmarks/image_translation_speed.py --train-steps 5      # also: both trainers' iterations/s

Times the whole API call a user makes, from a picture to the result: ``api.translate`` of a 256 px
sketch with the embedded Pix2Pix (line map + U-Net), ``api.samples`` with 4 dropout samples, and
``api.cycle`` (G then F) with the embedded CycleGAN; median of ``--runs`` after a warm-up, wall clock
and this process's CPU time (on a shared machine the CPU time is the cost without the other jobs'
load). Training: the real trainers' steps at their default batch (Pix2Pix 16, CycleGAN 4) on the real
data, a fresh run in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
WEIGHTS = REPO / "plugins" / "image_translation" / "weights"


def _time(fn, runs: int) -> dict[str, float]:
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"wall": 1000 * statistics.median(wall), "cpu": 1000 * statistics.median(cpu)}


def _train_rate(module: str, steps: int, extra: list[str]) -> tuple[float, float]:
    import importlib

    main = importlib.import_module(module).main
    with tempfile.TemporaryDirectory() as out:
        main(["--steps", "1", "--out", out, "--threads", str(torch.get_num_threads())] + extra)  # warm-up + data
        t0, c0 = time.perf_counter(), time.process_time()
        main(["--steps", str(1 + steps), "--out", out, "--threads", str(torch.get_num_threads()),
              "--every", str(10 ** 6)] + extra)
        return steps / (time.perf_counter() - t0), steps / (time.process_time() - c0)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--train-steps", type=int, default=0)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    from plugins.image_translation.api import build_cyclegan, build_pix2pix, cycle, samples, translate
    from plugins.image_translation.sketch import hand_drawn_sketches

    print(f"threads {args.threads}, median of {args.runs} runs, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    drawing = hand_drawn_sketches(1)[0]
    p2p = build_pix2pix(WEIGHTS / "pix2pix-edges2emoji64.safetensors").eval()
    one = _time(lambda: translate(p2p, drawing), args.runs)
    ok = "PASS" if one["wall"] < 1000 else "FAIL"
    print(f"pix2pix translate (256 px sketch -> 64 px emoji): {one['wall']:7.2f} ms wall, {one['cpu']:.2f} ms CPU "
          f"(bar < 1000 ms: {ok})")
    four = _time(lambda: samples(p2p, drawing, 4), max(3, args.runs // 4))
    print(f"pix2pix samples x4: {four['wall']:7.2f} ms wall ({four['wall'] / 4:.2f} per output)")
    cg = build_cyclegan([WEIGHTS / "cyclegan-noto-twemoji64.safetensors"]).eval()
    from plugins.emoji.dataset import load_emoji_arrays

    emoji = load_emoji_arrays(64, "heldout")[0][0]
    tr = _time(lambda: translate(cg, emoji, "AtoB"), args.runs)
    cy = _time(lambda: cycle(cg, emoji, "AtoB"), args.runs)
    ok = "PASS" if cy["wall"] < 1000 else "FAIL"
    print(f"cyclegan translate (64 px): {tr['wall']:7.2f} ms wall, {tr['cpu']:.2f} ms CPU; "
          f"cycle (G then F): {cy['wall']:.2f} ms wall (bar < 1000 ms: {ok})")
    if args.train_steps:
        wall, cpu = _train_rate("plugins.image_translation.train_pix2pix", args.train_steps, [])
        print(f"pix2pix training: {wall:.3f} it/s wall, {cpu:.3f} it per CPU second (batch 16, 64 px)")
        wall, cpu = _train_rate("plugins.image_translation.train_cyclegan", args.train_steps, [])
        print(f"cyclegan training: {wall:.3f} it/s wall, {cpu:.3f} it per CPU second (batch 4 per domain, 64 px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
