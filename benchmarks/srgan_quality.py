"""Held-out quality of the embedded SR models: per-image PSNR/SSIM (x4, Y channel, 4 px border shaved).

    python benchmarks/srgan_quality.py [--figure plugins/srgan/weights/srgan-srgan-x4.png] [--models srgan-srresnet-x4,srgan-srgan-x4]

Bicubic vs the embedded SRResNet vs the embedded SRGAN on the photos held out from training
(plugins/srgan/data.py:HELD_OUT); LR = antialiased bicubic /4 of each photo. Also saves a crop comparison PNG.
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    import torch

    from plugins.srgan.evaluate import crop_figure, evaluate, markdown_table
    from hub import get_model
    from hub.weights import WeightUnavailable

    p = argparse.ArgumentParser()
    p.add_argument("--models", default="srgan-srresnet-x4,srgan-srgan-x4")
    p.add_argument("--figure", default=str(ROOT / "benchmarks/srgan_crops.png"))
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    nets = {}
    for name in a.models.split(","):
        try:
            nets[name] = get_model(name)
        except WeightUnavailable as exc:
            print(f"{name}: {exc}")
    rows = evaluate(nets)
    print(markdown_table(rows))
    fig = crop_figure(nets)
    fig.save(a.figure)
    print(f"crop comparison: {a.figure}")


if __name__ == "__main__":
    main()
