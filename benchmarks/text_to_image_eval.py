"""Command line of ``plugins.text_to_image.evaluate``: the compositional evaluation of text-to-image,
judged by the embedded emoji attribute classifier (seen / withheld / held-out combinations and their bars
are described there).

    python benchmarks/text_to_image_eval.py [--samples 32] [--weights plugins/text_to_image/weights/text-to-image-emoji64.safetensors]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from plugins.text_to_image.evaluate import evaluate, format_table

WEIGHTS = Path(__file__).resolve().parents[1] / "plugins" / "text_to_image" / "weights" / "text-to-image-emoji64.safetensors"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", type=Path, default=WEIGHTS)
    p.add_argument("--samples", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--truncation", type=float, default=None, help="z from N(0,1) cut to [-t, t]; default off")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    from plugins.text_to_image.api import TextToImageModel

    model = TextToImageModel.from_file(args.weights)
    print(format_table(evaluate(model, args.samples, truncation=args.truncation)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
