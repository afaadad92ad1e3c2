"""StyleGAN2 speed on this machine: generator ms/image (batch 1 and 16) and training it/s, img/s.

    python benchmarks/stylegan2_speed.py                      # embedded stylegan2-emoji64, 2 threads
    python benchmarks/stylegan2_speed.py --train-steps 0      # inference only
    python benchmarks/stylegan2_speed.py --log ~/.cache/ganhub/train/stylegan2-emoji64/metrics.jsonl

Wall-clock figures depend on what else runs on the CPU; the script also prints process CPU
seconds, which are less sensitive to other jobs. The training step is the real one
(``plugins.stylegan2.train``: G step + D step, DiffAugment, lazy R1) on random stand-in images.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]


def time_generator(G, batch: int, repeats: int, bf16: bool = False) -> tuple[float, float]:
    """(median wall ms per image, CPU ms per image) of mapping + synthesis, no grad."""
    z = torch.randn(batch, G.z_dim)
    walls, cpus = [], []
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        G(z)  # warm-up
        for _ in range(repeats):
            w0, c0 = time.perf_counter(), time.process_time()
            G(z)
            walls.append((time.perf_counter() - w0) * 1000 / batch)
            cpus.append((time.process_time() - c0) * 1000 / batch)
    return statistics.median(walls), statistics.median(cpus)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--train-steps", type=int, default=10)
    p.add_argument("--weights", type=Path, default=REPO / "plugins" / "stylegan2" / "weights" / "stylegan2-emoji64.safetensors")
    p.add_argument("--log", type=Path, default=Path.home() / ".cache/ganhub/train/stylegan2-emoji64/metrics.jsonl",
                   help="training metrics.jsonl to summarise (if present)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    from plugins.stylegan2.model import EMOJI64_G, build_generator

    if args.weights.is_file():
        from plugins.stylegan2.convert import load_generator

        G, source = load_generator(args.weights), args.weights.name
    else:
        G, source = build_generator(EMOJI64_G).eval(), "EMOJI64_G (random init)"
    params = sum(p.numel() for p in G.parameters())
    print(f"generator: {source}, {G.resolution} px, {params / 1e6:.2f} M params, channels {G.config()['channels']}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for batch in (1, 16):
        for bf16 in (False, True):
            wall, cpu = time_generator(G, batch, args.repeats if batch == 1 else max(3, args.repeats // 3), bf16)
            print(f"G forward batch {batch:2d} {'bf16' if bf16 else 'fp32'}: {wall:6.1f} ms/image wall, "
                  f"{cpu:6.1f} ms/image CPU")

    if args.train_steps > 0:
        from plugins.stylegan2 import train

        for precision in ("bf16", "fp32"):
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "run"
                warm = ["--data", "random", "--out", str(out), "--threads", str(args.threads), "--log-every",
                        str(args.train_steps), "--sample-every", "100000", "--precision", precision]
                train.main(warm + ["--steps", "2"])  # start-up, first R1
                c0, w0 = time.process_time(), time.perf_counter()
                train.main(warm + ["--steps", str(2 + args.train_steps)])
                wall = time.perf_counter() - w0
                cpu = time.process_time() - c0
                print(f"training ({precision}, batch 16, 64 px, incl. resume/checkpoint overhead): "
                      f"{args.train_steps / wall:.3f} it/s, {16 * args.train_steps / wall:.1f} img/s wall; "
                      f"{cpu / args.train_steps:.2f} CPU s/it")

    if args.log.is_file():
        recs = [json.loads(line) for line in args.log.read_text().splitlines() if line.strip()]
        if recs:
            last = recs[-20:]
            print(f"training log {args.log}: step {recs[-1]['step']}, {recs[-1]['kimg']} kimg; last {len(last)} "
                  f"intervals: median {statistics.median(r['it_s'] for r in last):.3f} it/s, "
                  f"{statistics.median(r['img_s'] for r in last):.1f} img/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
