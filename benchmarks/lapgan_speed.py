"""LAPGAN speed on this CPU: milliseconds per 64 px image at batch 1 (bar: < 50 ms), and training steps/s.

    python benchmarks/lapgan_speed.py [--threads 1] [--runs 30] [--weights plugins/lapgan/weights/lapgan-emoji64.safetensors]
    python benchmarks/lapgan_speed.py --train-steps 5      # also: trainer steps/s (every level once per step)

Times ``plugins.lapgan.api.sample(model, 1, seed)``: the 8x8 GAN and the three residual levels, with the
range fit, median of ``--runs`` after a warm-up; wall clock and this process's CPU time (on a shared
machine the CPU time is the cost without the other jobs' load). Also batch 16 per image, and each
level's share.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", type=Path, default=REPO / "plugins" / "lapgan" / "weights" / "lapgan-emoji64.safetensors")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--train-steps", type=int, default=0, help="also time this many trainer steps (batch 32)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    from plugins.lapgan.api import load_lapgan
    from plugins.lapgan.evaluate import ms_per_image

    model = load_lapgan(args.weights)
    print(f"threads {args.threads}, weights {args.weights.name}, median of {args.runs} runs, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    one = ms_per_image(model, 1, args.runs)
    ok = "PASS" if one["wall"] < 50 else "FAIL"
    print(f"sample(model, 1): {one['wall']:7.2f} ms/image wall, {one['cpu']:.2f} ms CPU   (bar < 50 ms: {ok})")
    batch = ms_per_image(model, 16, max(5, args.runs // 5))
    print(f"sample(model, 16): {batch['wall']:6.2f} ms/image wall, {batch['cpu']:.2f} ms CPU")
    previous = 0.0
    for levels, res in ((0, 8), (1, 16), (2, 32), (3, 64)):
        t = ms_per_image(model, 1, args.runs, levels=levels)["cpu"]
        print(f"  up to {res:2d} px: {t:6.2f} ms CPU (+{t - previous:.2f})")
        previous = t
    if args.train_steps:
        from plugins.lapgan.train import Trainer

        with tempfile.TemporaryDirectory() as out:
            trainer = Trainer(Path(out), device="cpu", log=lambda m: None)
            trainer.step()
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(args.train_steps):
                trainer.step()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"training: {args.train_steps / wall:.3f} steps/s wall, {args.train_steps / cpu:.3f} steps per CPU second "
              f"(batch 32; one step updates every level)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
