"""LAPGAN quality bars on the held-out emoji: Fréchet distances, coarse preservation, band-pass energy.

    python benchmarks/lapgan_quality.py [--samples 1000] [--threads 1] [--no-stylegan2]
        [--weights plugins/lapgan/weights/lapgan-emoji64.safetensors]

Feature space: the emoji attribute classifier's penultimate layer (``AttributeClassifier.embed``, 256-d,
plugins/emoji/weights/emoji-attribute-classifier.safetensors). Fréchet distance to the held-out emoji of:
LAPGAN samples; the no-refinement baseline (the same 8x8 samples upsampled bicubically); the embedded
StyleGAN2 (``hub.get_model("stylegan2-emoji64")``, psi 1); and two references (train-split emoji; the
held-out emoji's own 8x8, bicubic). Then the "start from your own coarse image" bars: the output's 8x8
against the input's (mean absolute error, 1/255; bar 2) and band-pass energy against bicubic upsampling.
These are the figures ``ganhub train lapgan --export`` writes into the model card.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", type=Path, default=REPO / "plugins" / "lapgan" / "weights" / "lapgan-emoji64.safetensors")
    p.add_argument("--samples", type=int, default=1000, help="generated images per Fréchet distance")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-stylegan2", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    from plugins.lapgan.api import load_lapgan
    from plugins.lapgan.evaluate import card_figures

    stylegan2 = None
    if not args.no_stylegan2:
        import hub

        stylegan2 = hub.get_model("stylegan2-emoji64")
    f = card_figures(load_lapgan(args.weights), n_generated=args.samples, seed=args.seed, stylegan2=stylegan2,
                     log=lambda m: None)
    print(f"Fréchet distance to {f['n_heldout']} held-out emoji ({f['n_generated']} generated; classifier penultimate layer)")
    rows = [("LAPGAN samples", f["fid_lapgan"]), ("no refinement: same 8x8, bicubic", f["fid_baseline"]),
            ("stylegan2-emoji64 (psi 1)", f.get("fid_stylegan2", float("nan"))),
            ("reference: train-split emoji", f["fid_train"]), ("held-out 8x8, bicubic", f["fid_heldout_bicubic"]),
            ("held-out 8x8, LAPGAN levels", f["fid_heldout_refined"])]
    second = {"LAPGAN samples": "fid2_lapgan", "no refinement: same 8x8, bicubic": "fid2_baseline",
              "stylegan2-emoji64 (psi 1)": "fid2_stylegan2", "reference: train-split emoji": "fid2_train",
              "held-out 8x8, bicubic": "fid2_heldout_bicubic", "held-out 8x8, LAPGAN levels": "fid2_heldout_refined"}
    print(f"  {'':36s} {'penultimate':>11s} {'stage 2':>8s}")
    for name, value in rows:
        print(f"  {name:36s} {value:11.2f} {f.get(second[name], float('nan')):8.3f}")
    print(f"LAPGAN beats the no-refinement baseline (penultimate): "
          f"{'PASS' if f['fid_lapgan'] < f['fid_baseline'] else 'FAIL'} ({f['fid_baseline'] - f['fid_lapgan']:+.2f}); "
          f"stage 2: {'PASS' if f['fid2_lapgan'] < f['fid2_baseline'] else 'FAIL'} "
          f"({f['fid2_baseline'] - f['fid2_lapgan']:+.3f})")
    ok = "PASS" if f["coarse_mae_max"] < 2 else "FAIL"
    print(f"coarse kept: 8x8 MAE mean {f['coarse_mae_mean']:.3f}/255, max {f['coarse_mae_max']:.3f}/255 "
          f"(noise inputs: max {f['coarse_mae_noise_max']:.3f})  (bar < 2/255: {ok})")
    ok = "PASS" if f["energy_refined"] > f["energy_bicubic"] else "FAIL"
    print(f"band-pass energy: LAPGAN {f['energy_refined']:.5f}, bicubic {f['energy_bicubic']:.5f}, "
          f"real {f['energy_real']:.5f}, samples {f['energy_samples']:.5f}  (LAPGAN > bicubic: {ok})")
    print(f"class-conditional samples read back as asked: skin tone {f['cond_skin_tone']:.0%} (chance 17%), "
          f"kind {f['cond_kind']:.0%} (chance 33%)")
    print(f"pixel std over 16 draws of z for one coarse image: {f['variation_std']:.2f}/255")
    return 0


if __name__ == "__main__":
    sys.exit(main())
