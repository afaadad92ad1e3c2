"""LAPGAN quality bars on the held-out emoji: Fréchet distances, coarse preservation, band-pass energy.

    python benchmarks/lapgan_quality.py [--samples 1000] [--threads 1] [--no-stylegan2]
        [--weights plugins/lapgan/weights/lapgan-emoji64.safetensors] [--detail-strength S]
    python benchmarks/lapgan_quality.py --fid-only --detail-strength S --seeds 0 1 [--samples N] [--also 0]
        [--layer penultimate|stage2]
    python benchmarks/lapgan_quality.py --validate 0,0.25,0.5,0.75,1 --seeds 0 1 [--samples N]

Feature space: the emoji attribute classifier's penultimate layer (``AttributeClassifier.embed``, 256-d,
plugins/emoji/weights/emoji-attribute-classifier.safetensors). Fréchet distance to the held-out emoji of:
LAPGAN samples; the no-refinement baseline (the same 8x8 samples upsampled bicubically); the embedded
StyleGAN2 (``hub.get_model("stylegan2-emoji64")``, psi 1); and two references (train-split emoji; the
held-out emoji's own 8x8, bicubic). Then the "start from your own coarse image" bars: the output's 8x8
against the input's (mean absolute error, 1/255; bar 2) and band-pass energy against bicubic upsampling.
These are the figures ``ganhub train lapgan --export`` writes into the model card.

``--detail-strength S`` adds LAPGAN with every level's generated residual scaled by S (same z, same 8x8
images; S = 1 is the paper's cascade, always reported too). ``--fid-only`` prints just the Fréchet distances
(LAPGAN at S, at 1 and at each ``--also`` strength, the baseline, StyleGAN2) for each of ``--seeds``, to see
their spread, in the ``--layer`` feature space (``stage2``: the classifier's 16x16 stage, which sees detail).
``--validate`` chooses S WITHOUT the held-out emoji: Fréchet distance to a seeded validation subset of
the TRAINING emoji (``--val-size``, default 400), for the baseline and LAPGAN at each listed strength,
for each of ``--seeds``.
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
    p.add_argument("--detail-strength", type=float, default=None,
                   help="also measure LAPGAN with each generated residual scaled by this (1 = the paper's)")
    p.add_argument("--fid-only", action="store_true", help="only the Fréchet distances, for each of --seeds")
    p.add_argument("--validate", type=str, default=None,
                   help="comma-separated strengths: choose one on a validation subset of the TRAIN emoji")
    p.add_argument("--seeds", type=int, nargs="+", default=None, help="seeds for --fid-only / --validate")
    p.add_argument("--also", type=float, nargs="*", default=[], help="more detail strengths for --fid-only (e.g. 0)")
    p.add_argument("--val-size", type=int, default=400)
    p.add_argument("--layer", choices=("penultimate", "stage2"), default="penultimate",
                   help="feature space of --fid-only / --validate (stage2: the classifier's 16x16 stage, which sees detail)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.validate is not None:
        return validate(args)
    if args.fid_only:
        return fid_only(args)
    from plugins.lapgan.api import load_lapgan
    from plugins.lapgan.evaluate import card_figures

    stylegan2 = None
    if not args.no_stylegan2:
        import hub

        stylegan2 = hub.get_model("stylegan2-emoji64")
    f = card_figures(load_lapgan(args.weights), n_generated=args.samples, seed=args.seed, stylegan2=stylegan2,
                     log=lambda m: None, detail_strength=args.detail_strength)
    print(f"Fréchet distance to {f['n_heldout']} held-out emoji ({f['n_generated']} generated; classifier penultimate layer)")
    rows = [("LAPGAN samples (detail x1, paper)", f["fid_lapgan"]), ("no refinement: same 8x8, bicubic", f["fid_baseline"]),
            ("stylegan2-emoji64 (psi 1)", f.get("fid_stylegan2", float("nan"))),
            ("reference: train-split emoji", f["fid_train"]), ("held-out 8x8, bicubic", f["fid_heldout_bicubic"]),
            ("held-out 8x8, LAPGAN levels (default s)", f["fid_heldout_refined"])]
    second = {"LAPGAN samples (detail x1, paper)": "fid2_lapgan", "no refinement: same 8x8, bicubic": "fid2_baseline",
              "stylegan2-emoji64 (psi 1)": "fid2_stylegan2", "reference: train-split emoji": "fid2_train",
              "held-out 8x8, bicubic": "fid2_heldout_bicubic", "held-out 8x8, LAPGAN levels (default s)": "fid2_heldout_refined"}
    if "fid_lapgan_s" in f:
        name = f"LAPGAN samples, detail x{f['detail_strength']:g}"
        rows.insert(0, (name, f["fid_lapgan_s"]))
        second[name] = "fid2_lapgan_s"
    print(f"  {'':36s} {'penultimate':>11s} {'stage 2':>8s}")
    for name, value in rows:
        print(f"  {name:36s} {value:11.2f} {f.get(second[name], float('nan')):8.3f}")
    print(f"LAPGAN beats the no-refinement baseline (penultimate): "
          f"{'PASS' if f['fid_lapgan'] < f['fid_baseline'] else 'FAIL'} ({f['fid_baseline'] - f['fid_lapgan']:+.2f}); "
          f"stage 2: {'PASS' if f['fid2_lapgan'] < f['fid2_baseline'] else 'FAIL'} "
          f"({f['fid2_baseline'] - f['fid2_lapgan']:+.3f})")
    if "fid_lapgan_s" in f:
        print(f"LAPGAN detail x{f['detail_strength']:g} beats the no-refinement baseline (penultimate): "
              f"{'PASS' if f['fid_lapgan_s'] < f['fid_baseline'] else 'FAIL'} "
              f"({f['fid_baseline'] - f['fid_lapgan_s']:+.2f}); stage 2: {f['fid2_baseline'] - f['fid2_lapgan_s']:+.3f}")
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


def _strength_rows(model, judge, reference, n: int, seed: int, strengths, layer: str = "penultimate") -> dict[str, float]:
    """Fréchet distances to ``reference`` features: the baseline and LAPGAN at each strength, all from
    the same ``n`` 8x8 samples and z (``seed``)."""
    from plugins.lapgan.evaluate import classifier_features, frechet_distance, lapgan_and_baseline_samples

    out = {}
    for s in strengths:
        lap, base = lapgan_and_baseline_samples(model, n, seed, detail_strength=s)
        if "baseline" not in out:
            out["baseline"] = frechet_distance(classifier_features(judge, base, layer=layer), reference)
        out[f"{s:g}"] = frechet_distance(classifier_features(judge, lap, layer=layer), reference)
    return out


def validate(args) -> int:
    """Choose the detail strength on a validation subset of the TRAINING emoji (no held-out image used)."""
    import numpy as np

    from plugins.emoji.dataset import load_emoji_arrays
    from plugins.lapgan.api import load_lapgan
    from plugins.lapgan.evaluate import classifier_features, load_judge

    strengths = [float(v) for v in args.validate.split(",")]
    seeds = args.seeds or [args.seed]
    train, _ = load_emoji_arrays(64, "train")
    pick = np.sort(np.random.default_rng(12345).permutation(len(train))[:args.val_size])
    val = torch.from_numpy(train[pick]).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
    judge, model = load_judge(), load_lapgan(args.weights)
    reference = classifier_features(judge, val, layer=args.layer)
    print(f"VALIDATION (train split, {len(val)} emoji, rng 12345; no held-out image): Fréchet distance, "
          f"{args.layer} features, {args.samples} generated per figure")
    results = {seed: _strength_rows(model, judge, reference, args.samples, seed, strengths, args.layer) for seed in seeds}
    names = ["baseline"] + [f"{s:g}" for s in strengths]
    print(f"  {'':24s} " + " ".join(f"{'seed ' + str(s):>9s}" for s in seeds) + f" {'mean':>8s}")
    for name in names:
        vals = [results[s][name] for s in seeds]
        label = "no refinement (bicubic)" if name == "baseline" else f"LAPGAN detail x{name}"
        print(f"  {label:24s} " + " ".join(f"{v:9.2f}" for v in vals) + f" {np.mean(vals):8.2f}")
    best = min(names[1:], key=lambda k: np.mean([results[s][k] for s in seeds]))
    print(f"chosen detail strength (lowest mean): {best}")
    return 0


def fid_only(args) -> int:
    """Held-out Fréchet distances only: LAPGAN at --detail-strength and at 1, the baseline, StyleGAN2."""
    import numpy as np

    from plugins.lapgan.api import load_lapgan
    from plugins.lapgan.evaluate import (classifier_features, frechet_distance, heldout_images, load_judge,
                                         stylegan2_samples)

    seeds = args.seeds or [args.seed]
    strengths = sorted({1.0, *([args.detail_strength] if args.detail_strength is not None else []), *args.also})
    judge, model = load_judge(), load_lapgan(args.weights)
    held = heldout_images()
    reference = classifier_features(judge, held, layer=args.layer)
    stylegan2 = None
    if not args.no_stylegan2:
        import hub

        stylegan2 = hub.get_model("stylegan2-emoji64")
    print(f"HELD-OUT: Fréchet distance to {len(held)} held-out emoji, {args.layer} features, "
          f"{args.samples} generated per figure")
    results = {}
    for seed in seeds:
        results[seed] = _strength_rows(model, judge, reference, args.samples, seed, strengths, args.layer)
        if stylegan2 is not None:
            sg = stylegan2_samples(stylegan2, args.samples, seed)
            results[seed]["stylegan2"] = frechet_distance(classifier_features(judge, sg, layer=args.layer), reference)
    names = [f"{s:g}" for s in strengths[::-1]] + ["baseline"] + (["stylegan2"] if stylegan2 is not None else [])
    print(f"  {'':30s} " + " ".join(f"{'seed ' + str(s):>9s}" for s in seeds) + f" {'mean':>8s}")
    for name in names:
        vals = [results[s][name] for s in seeds]
        label = {"baseline": "no refinement (bicubic)", "stylegan2": "stylegan2-emoji64 (psi 1)"}.get(
            name, f"LAPGAN detail x{name}")
        print(f"  {label:30s} " + " ".join(f"{v:9.2f}" for v in vals) + f" {np.mean(vals):8.2f}")
    for name in names[:len(strengths)]:
        margins = [results[s]["baseline"] - results[s][name] for s in seeds]
        print(f"baseline - LAPGAN detail x{name}: " + ", ".join(f"{m:+.2f}" for m in margins))
    return 0


if __name__ == "__main__":
    sys.exit(main())
