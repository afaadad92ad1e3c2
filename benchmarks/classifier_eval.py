"""Held-out accuracy of the emoji attribute classifier (the judge of the emoji generators).

    python benchmarks/classifier_eval.py [--weights plugins/emoji/weights/emoji-attribute-classifier.safetensors]

Prints, per attribute, accuracy on the HELD-OUT emoji (whole base emoji never trained on): clean, blurred
with a 1 px Gaussian (GAN-like softness) and at 32 px upsampled back (a low-resolution generator), plus
forward time per image on this CPU.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[1]

from plugins.emoji.classifier import WEIGHT_ID, load_classifier
from plugins.emoji.train_classifier import gaussian_blur, evaluate, format_table, load_split


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", default=str(REPO / "plugins" / "emoji" / "weights" / f"{WEIGHT_ID}.safetensors"))
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load_classifier(args.weights)
    x, labels, meta = load_split("heldout")
    print(f"held-out: {len(meta)} images of {len({m['base_name'] for m in meta})} base emoji; weights {args.weights}\n")
    print("## clean\n" + format_table(evaluate(model, x, labels)) + "\n")
    print("## Gaussian blur sigma 1 px\n" + format_table(evaluate(model, gaussian_blur(x, 1.0), labels)) + "\n")
    low = F.interpolate(F.interpolate(x, size=32, mode="bilinear", antialias=True), size=64, mode="bilinear")
    print("## 32 px, upsampled\n" + format_table(evaluate(model, low, labels)) + "\n")
    with torch.no_grad():
        for batch in (1, 16):
            xb = x[:batch]
            model(xb)
            t = time.perf_counter()
            reps = 20
            for _ in range(reps):
                model(xb)
            dt = (time.perf_counter() - t) / reps / batch
            print(f"forward: {1000 * dt:.2f} ms/image at batch {batch} ({args.threads} thread)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
