"""Super-resolution speed and memory on this CPU.

    python benchmarks/srgan_speed.py [--threads 2] [--models srgan-srresnet-x4,published-srresnet]

Prints, per model: seconds for 256x256 -> 1024x1024 (the < 5 s bar), seconds per output megapixel and the
peak resident memory (ru_maxrss of a fresh subprocess; tracemalloc cannot see torch) for a 512x512 ->
2048x2048 upscale run tiled (tile 256 LR px, as the app does). "published-srresnet" is the 16 x 64
architecture with random weights (speed only); "rrdbnet" the 23-block ESRGAN net (random weights, speed only).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _model(name: str):
    import torch

    from plugins.srgan.models import RRDBNet, SRResNet

    torch.manual_seed(0)
    if name == "published-srresnet":
        return SRResNet().eval()
    if name == "rrdbnet":
        return RRDBNet().eval()
    from hub import get_model

    return get_model(name)


def child(name: str, size: int, tile: int, repeats: int, threads: int) -> None:
    import torch
    from PIL import Image

    from plugins.srgan.api import upscale

    torch.set_num_threads(threads)
    net = _model(name)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rng = __import__("numpy").random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype="uint8"))
    upscale(img.crop((0, 0, 64, 64)), 4, net, tile=0)  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = upscale(img, 4, net, tile=tile)
        times.append(time.perf_counter() - t)
    print(json.dumps({"model": name, "in": size, "out": out.width, "tile": tile, "best_s": min(times),
                      "times": times, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "rss_after_load_mb": rss_before / 1024}))


def run(name: str, size: int, tile: int, repeats: int, threads: int) -> dict:
    cmd = [sys.executable, __file__, "--child", name, str(size), str(tile), str(repeats), "--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        return {"model": name, "error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--child", nargs=4)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--models", default="srgan-srresnet-x4,srgan-srgan-x4,published-srresnet")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    if a.child:
        name, size, tile, repeats = a.child
        child(name, int(size), int(tile), int(repeats), a.threads)
        return
    print(f"threads {a.threads}; load average {open('/proc/loadavg').read().split()[:3]} (shared CPU: noisy)")
    print("| model | 256->1024 (s) | 512->2048 tiled (s) | s / output MP | peak RSS 2048^2 (MB) |")
    print("|---|---|---|---|---|")
    for name in a.models.split(","):
        small = run(name, 256, 0, a.repeats, a.threads)
        if "error" in small:
            print(f"| {name} | unavailable: {small['error']} | | | |")
            continue
        big = run(name, 512, 256, max(1, a.repeats - 1), a.threads)
        mp = big["out"] ** 2 / 1e6
        print(f"| {name} | {small['best_s']:.2f} | {big['best_s']:.2f} | {big['best_s'] / mp:.2f} | "
              f"{big['peak_rss_mb']:.0f} (after load {big['rss_after_load_mb']:.0f}) |", flush=True)


if __name__ == "__main__":
    main()
