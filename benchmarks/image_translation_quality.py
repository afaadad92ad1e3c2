"""Held-out quality of the embedded Pix2Pix and CycleGAN against their baselines (the figures of the cards).

    python benchmarks/image_translation_quality.py                  # both
    python benchmarks/image_translation_quality.py --pix2pix        # or --cyclegan
    python benchmarks/image_translation_quality.py --grids /tmp/grids   # also write the sample grids

Pix2Pix: PSNR / SSIM of edges -> emoji on every held-out Noto emoji, against the mean training emoji
and the nearest training emoji by edge map (bar: beat both on PSNR). CycleGAN: cycle PSNR each way,
G(Noto) vs the real Twemoji and F(Twemoji) vs the real Noto of the same held-out code points beside
the identity mapping (bar: closer than identity on PSNR and SSIM), and the share of translations a
domain classifier trained on the train splits labels as the target style (bar: at least 90 %).
See ``plugins/image_translation/evaluate.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
WEIGHTS = REPO / "plugins" / "image_translation" / "weights"


def _row(name: str, d: dict) -> str:
    return f"  {name:46s} {d['psnr']:6.2f} dB  SSIM {d['ssim']:.4f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pix2pix", action="store_true")
    p.add_argument("--cyclegan", action="store_true")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--grids", type=Path, default=None)
    p.add_argument("--json", type=Path, default=None, help="also write every figure here")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    both = not (args.pix2pix or args.cyclegan)
    from plugins.image_translation import evaluate as E
    from plugins.image_translation.api import build_cyclegan, build_pix2pix

    ok, figures = True, {}
    if args.grids:
        args.grids.mkdir(parents=True, exist_ok=True)
    if args.pix2pix or both:
        m = build_pix2pix(WEIGHTS / "pix2pix-edges2emoji64.safetensors").eval()
        r = E.evaluate_pix2pix(m)
        print(f"Pix2Pix edges -> emoji, {r['heldout_images']} held-out images ({r['heldout_bases']} base emoji):")
        for key, name in (("model_flip_average", "model as api.translate (flip-averaged)"),
                          ("model", "model, one forward pass"), ("model_noise_seed0", "model, one pass, noise seed 0"),
                          ("mean_train_emoji", "baseline: mean training emoji"),
                          ("nearest_train_by_edges", "baseline: nearest training emoji by edges")):
            print(_row(name, r[key]))
        base = max(r["mean_train_emoji"]["psnr"], r["nearest_train_by_edges"]["psnr"])
        beats = r["model_flip_average"]["psnr"] > base
        print(f"  bar (PSNR above both baselines): {'PASS' if beats else 'FAIL'} as api.translate runs it; "
              f"{'PASS' if r['model']['psnr'] > base else 'FAIL'} for one forward pass")
        ok &= beats
        figures["pix2pix"] = {k: v for k, v in r.items() if not k.startswith("_")}
        if args.grids:
            E.pix2pix_grid(r).save(args.grids / "pix2pix_heldout.png")
            E.sketch_grid(m).save(args.grids / "pix2pix_sketches.png")
    if args.cyclegan or both:
        m = build_cyclegan([WEIGHTS / "cyclegan-noto-twemoji64.safetensors"]).eval()
        r = E.evaluate_cyclegan(m)
        c = r["classifier"]
        print(f"CycleGAN Noto <-> Twemoji, {r['heldout_pairs']} held-out code points ({r['heldout_bases']} base emoji):")
        print(_row("cycle F(G(x)) vs Noto x", r["cycle_noto"]) + f"   (G(x) vs x: {r['translation_moved_noto']['psnr']:.2f} dB)")
        print(_row("cycle G(F(y)) vs Twemoji y", r["cycle_twemoji"]) + f"   (F(y) vs y: {r['translation_moved_twemoji']['psnr']:.2f} dB)")
        print(_row("G(Noto) vs true Twemoji", r["G_noto_vs_true_twemoji"]))
        print(_row("  identity: Noto vs true Twemoji", r["identity_noto_vs_true_twemoji"]))
        print(_row("F(Twemoji) vs true Noto", r["F_twemoji_vs_true_noto"]))
        print(_row("  identity: Twemoji vs true Noto", r["identity_twemoji_vs_true_noto"]))
        print(f"  domain classifier on real held-out: Noto {100 * c['real_noto_as_noto']:.1f} %, "
              f"Twemoji {100 * c['real_twemoji_as_twemoji']:.1f} % correct")
        print(f"  G(Noto) labelled Twemoji: {100 * c['G_noto_as_twemoji']:.1f} % (identity {100 * c['identity_noto_as_twemoji']:.1f} %); "
              f"F(Twemoji) labelled Noto: {100 * c['F_twemoji_as_noto']:.1f} % (identity {100 * c['identity_twemoji_as_noto']:.1f} %)")
        closer = all(r[a][k] > r[b][k] for a, b in (("G_noto_vs_true_twemoji", "identity_noto_vs_true_twemoji"),
                                                     ("F_twemoji_vs_true_noto", "identity_twemoji_vs_true_noto"))
                     for k in ("psnr", "ssim"))
        styled = min(c["G_noto_as_twemoji"], c["F_twemoji_as_noto"]) >= 0.9
        print(f"  bars: closer to the truth than identity (PSNR and SSIM, both ways): {'PASS' if closer else 'FAIL'}; "
              f"classifier >= 90 % target style both ways: {'PASS' if styled else 'FAIL'}")
        ok &= closer and styled
        figures["cyclegan"] = {k: v for k, v in r.items() if not k.startswith("_")}
        if args.grids:
            E.cyclegan_grid(r).save(args.grids / "cyclegan_heldout.png")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
