"""Fast style transfer speed on CPU: one forward at --side (batch 1) against Gatys at the plugin's defaults
(VGG-19, 200 Adam steps) on the same content, in one process (plugins.style_transfer.fast_evaluate.speed).

    python -m benchmarks.fast_style_speed                      # 512 px, Gatys timed over 10 steps, scaled to 200
    python -m benchmarks.fast_style_speed --gatys-timed-steps 200
    python -m benchmarks.fast_style_speed --train              # also training steps/s (128 px crops, batch 2)
"""

from __future__ import annotations

import argparse
import os
import time

import torch


def main(argv=None) -> int:
    from plugins.style_transfer.fast import BUILTIN_STYLES, EMBEDDED_DIR, FastStyleModel, load_file
    from plugins.style_transfer.fast_evaluate import speed
    from plugins.style_transfer.fast_models import TransformerNet

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--side", type=int, default=512)
    p.add_argument("--style", default="starry-night", choices=list(BUILTIN_STYLES))
    p.add_argument("--gatys-steps", type=int, default=200)
    p.add_argument("--gatys-timed-steps", type=int, default=10)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--train", action="store_true", help="also time training steps (one thread)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    path = EMBEDDED_DIR / f"fast-style-{args.style}.safetensors"
    model = load_file(path, args.style, "embedded") if path.exists() else FastStyleModel("random", TransformerNet().eval())
    print(f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
          f"model {model.name} (32-64-128)")
    r = speed(model, side=args.side, gatys_steps=args.gatys_steps, measured_steps=args.gatys_timed_steps)
    print(f"{r['side']} px: fast forward {r['fast_seconds'] * 1000:.0f} ms/image; Gatys {r['gatys_steps']} steps "
          f"{r['gatys_seconds']:.1f} s (timed over {r['gatys_steps_timed']} steps); speed-up {r['speedup']:.0f}x")
    if args.train:
        from plugins.style_transfer.train_fast import ckpt_dir, train_one
        import shutil
        import tempfile

        torch.set_num_threads(1)
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["GANHUB_CACHE"] = tmp
            t0, c0 = time.time(), time.process_time()
            state = train_one(BUILTIN_STYLES[args.style].path(), "bench", steps=10, warm_start_steps=0, progress=False,
                              export_to=os.path.join(tmp, "bench.safetensors"), log=lambda *_: None)
            print(f"training (128 px, batch 2, 1 thread): {state['step'] / (time.time() - t0):.2f} steps/s wall, "
                  f"{state['cpu_seconds'] / state['step']:.2f} CPU-s/step")
            shutil.rmtree(ckpt_dir("bench"), ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
