"""The face judge of the new user's path (``plugins.emoji.face_judge``): what it reads as a face or
person among held-out people emoji, held-out other emoji, fresh junk and the embedded generator's output.

    python -m benchmarks.face_judge [--retrain]
"""

from __future__ import annotations

import argparse

import torch


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--retrain", action="store_true", help="train again instead of reading the cached judge")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from hub import get_model
    from plugins.emoji.face_judge import judge_figures, load_judge

    figures = judge_figures(load_judge(args.retrain), get_model("stylegan2-emoji64"), get_model("stylegan2-emoji64-encoder"))
    for name, (n, said, truth) in figures.items():
        print(f"{name:55s} n={n:5d}  read as face/person {100 * said:5.1f} %  (correct {100 * (said if truth else 1 - said):5.1f} %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
