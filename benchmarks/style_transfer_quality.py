"""Style-transfer quality on the held-out pairs (4 contents x 2 styles, never trained on), plus the card's grid.

    python benchmarks/style_transfer_quality.py [--size 256] [--model adain-embedded] [--gatys-steps 30] [--grid]

Contents chelsea, fruits, squirrel, aero3 x styles starry_night, graf3 (``plugins/style_transfer/data.py``
EVAL_CONTENT / EVAL_STYLE), centre-cropped squares of ``--size`` px. ``--contents confirm`` swaps in a
second held-out set (chicky_512, licenseplate_motion, ihc, retina: CONFIRM_CONTENT) that was never used to
choose a checkpoint. Per pair, AdaIN at alpha = 1:

* ``style ratio``: D(out, style) / D(out, content), D = sum over relu1_1..relu4_1 of the mean squared
  difference of the channel means plus that of the channel stds, in the model's OWN encoder (the
  training objective's space). < 1: the output's statistics sit closer to the style's (bar).
  ``(random)``: the same ratio in the fixed seeded random VGG-19, which measures the style loss when the
  encoder itself is trained (adain-embedded); printed at the end.
* ``Lab moved``: 1 - EMD(out, style) / EMD(content, style); EMD = earth mover's distance between the
  pixel colours in CIELAB (Delta E units), exact on 2048 seeded random pixels per image (optimal
  assignment, ``scipy.optimize.linear_sum_assignment``; 2 draws averaged). The fraction of the
  content-to-style colour distance the output closed; bar >= 0.5. An independent judge: no network.
* ``edge SSIM``: SSIM between the edge maps of output and content; edge map = Sobel magnitude of the
  grey image smoothed by a Gaussian of sigma 2 px (object contours, not brush texture), each divided by
  its own 99th percentile and clipped to 1 (so a global contrast change is not counted). Bar >= 0.5.
* ``a=0 RMSE`` / ``PSNR``: alpha = 0 output vs the content ([0, 1] units) = the decoder's
  reconstruction error f -> g(f(c)); ``a=0 == recon`` checks that alpha = 0 adds nothing to it.
* ``Gatys``: total loss at the first and last of ``--gatys-steps`` Adam steps at 128 px (streamed every
  10 steps), and whether every streamed value is below the previous one.

``--grid`` also writes the 4 contents x 4 styles grid (the 2 held-out styles, opencv's graf1 and a
held-out procedural style, seed 10**6) to weights/<model>.png for the model card.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")


def to_tensor(img):
    import torch

    return torch.from_numpy(np.asarray(img, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1)[None].contiguous()


def to_unit(x) -> np.ndarray:
    """[1,3,H,W] in [-1, 1] -> HWC float64 in [0, 1]."""
    return ((x[0].detach().float().clamp(-1, 1).permute(1, 2, 0).numpy().astype(np.float64)) + 1) / 2


def stats_distance(encoder, a, b) -> float:
    import torch
    import torch.nn.functional as F

    from hub.nn.adain import mean_std

    with torch.inference_mode():
        fa, fb = encoder(a), encoder(b)
        total = 0.0
        for layer in LAYERS:
            (ma, sa), (mb, sb) = mean_std(fa[layer]), mean_std(fb[layer])
            total += float(F.mse_loss(ma, mb) + F.mse_loss(sa, sb))
    return total


def lab_emd(a: np.ndarray, b: np.ndarray, n: int = 2048, draws: int = 2, seed: int = 0) -> float:
    """Exact EMD between n random pixels of each image in CIELAB (mean matched Delta E)."""
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist
    from skimage.color import rgb2lab

    la, lb = rgb2lab(a).reshape(-1, 3), rgb2lab(b).reshape(-1, 3)
    rs = np.random.RandomState(seed)
    out = []
    for _ in range(draws):
        pa = la[rs.choice(len(la), min(n, len(la)), replace=False)]
        pb = lb[rs.choice(len(lb), min(n, len(lb)), replace=False)]
        cost = cdist(pa, pb)
        rows, cols = linear_sum_assignment(cost)
        out.append(cost[rows, cols].mean())
    return float(np.mean(out))


def edge_map(img: np.ndarray) -> np.ndarray:
    from skimage.color import rgb2gray
    from skimage.filters import gaussian, sobel

    e = sobel(gaussian(rgb2gray(img), sigma=2))
    return np.clip(e / max(np.percentile(e, 99), 1e-8), 0, 1)


def edge_ssim(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    return float(structural_similarity(edge_map(a), edge_map(b), data_range=1.0))


def load_model(name: str, decoder: Path | None = None, encoder: Path | None = None):
    if name == "adain-embedded":
        from plugins.style_transfer.adain import embedded_from_files

        return embedded_from_files(decoder, encoder)
    from hub import get_model

    return get_model(name)


def grid_styles(size: int):
    """The grid's 4 styles: (label, PIL)."""
    from PIL import Image

    from plugins.style_transfer import data

    styles = [(name.split(".")[0], data.eval_image(where, name, size)) for where, name in data.EVAL_STYLE]
    styles.append(("graf1 (train)", data.eval_image("opencv", "graf1.png", size)))
    proc = data.procedural_style(size, np.random.RandomState(10 ** 6))
    styles.append(("procedural 10^6", Image.fromarray(((proc + 1) * 127.5).clip(0, 255).astype(np.uint8))))
    return styles


def write_grid(model, out: Path, size: int = 256, cell: int = 160) -> Path:
    """4 contents x 4 styles: first row the styles, first column the contents."""
    from PIL import Image, ImageDraw

    from plugins.style_transfer import data
    from hub.images import to_pil
    from plugins.style_transfer.adain import AdaINStylizer

    stylizer = AdaINStylizer(model)
    contents = [(name.split(".")[0], data.eval_image(where, name, size)) for where, name in data.EVAL_CONTENT]
    styles = grid_styles(size)
    pad = 2
    canvas = Image.new("RGB", (5 * (cell + pad) + pad, 5 * (cell + pad) + pad), "white")
    draw = ImageDraw.Draw(canvas)

    def put(img, r, c, label=None):
        x, y = pad + c * (cell + pad), pad + r * (cell + pad)
        canvas.paste(img.resize((cell, cell), Image.LANCZOS), (x, y))
        if label:
            draw.rectangle([x, y, x + 7 * len(label) + 4, y + 13], fill="black")
            draw.text((x + 2, y + 1), label, fill="white")

    draw.text((pad + 8, pad + cell // 2 - 12), f"{getattr(model, 'name', 'adain')}\nalpha = 1, {size} px", fill="black")
    for j, (label, s) in enumerate(styles, start=1):
        put(s, 0, j, label)
    for i, (label, c) in enumerate(contents, start=1):
        put(c, i, 0, label)
        for j, (_, s) in enumerate(styles, start=1):
            put(to_pil(stylizer(to_tensor(c), [to_tensor(s)])), i, j)
    out.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(out, optimize=True)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--model", default="adain-embedded")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--gatys-steps", type=int, default=30, help="0 skips Gatys")
    p.add_argument("--contents", choices=("eval", "confirm"), default="eval",
                   help="eval: chelsea, fruits, squirrel, aero3 (EVAL_CONTENT); confirm: a second held-out set "
                        "never used to choose a checkpoint (CONFIRM_CONTENT)")
    p.add_argument("--grid", action="store_true", help="also write weights/<model>.png (4 x 4 grid)")
    p.add_argument("--decoder", type=Path, default=None,
                   help="with adain-embedded: judge this decoder file (a training trial) instead of weights/")
    p.add_argument("--encoder", type=Path, default=None,
                   help="with --decoder: the trained encoder that decoder belongs to (else the random VGG-19)")
    args = p.parse_args(argv)

    import torch

    from plugins.style_transfer import data
    from plugins.style_transfer.adain import AdaINStylizer

    torch.set_num_threads(args.threads)
    model = load_model(args.model, args.decoder, args.encoder)
    stylizer = AdaINStylizer(model)
    content_files = data.CONFIRM_CONTENT if args.contents == "confirm" else data.EVAL_CONTENT
    contents = [(n.split(".")[0][:10], data.eval_image(w, n, args.size)) for w, n in content_files]
    styles = [(n.split(".")[0], data.eval_image(w, n, args.size)) for w, n in data.EVAL_STYLE]
    print(f"model {args.model}, {args.size} px, held-out pairs ({args.contents} contents); bars: style ratio < 1, Lab moved >= 0.5, "
          "edge SSIM >= 0.5")
    head = (f"{'content':<10} {'style':<13} {'style ratio':>11} {'EMD c-s':>8} {'EMD o-s':>8} {'Lab moved':>9} "
            f"{'edge SSIM':>9} {'a=0 RMSE':>9} {'a=0 PSNR':>9} {'a=0 edge':>9} {'a=0==recon':>10}")
    print(head)
    rows, random_ratios = [], []
    from plugins.style_transfer.adain import embedded_encoder

    random_vgg = embedded_encoder().eval()
    # a=0 edge: the edge SSIM of the reconstruction itself, about the ceiling of the stylised one's
    recon_cache: dict[str, tuple[float, float, float, bool]] = {}
    for cname, cimg in contents:
        c = to_tensor(cimg)
        cu = to_unit(c)
        if cname not in recon_cache:
            a0 = stylizer(c, [to_tensor(styles[0][1])], alpha=0.0)
            with torch.inference_mode():
                recon = model.decoder(model.encode(c.contiguous(memory_format=stylizer.memory_format))["relu4_1"])
                recon = recon.clamp(-1, 1)
            err = to_unit(a0) - cu
            rmse = float(np.sqrt((err ** 2).mean()))
            recon_cache[cname] = (rmse, 20 * np.log10(1 / max(rmse, 1e-12)), edge_ssim(to_unit(a0), cu),
                                  bool(torch.allclose(a0, recon, atol=1e-4)))
        rmse, psnr, edge0, same = recon_cache[cname]
        for sname, simg in styles:
            s = to_tensor(simg)
            out = stylizer(c, [s], alpha=1.0)
            ratio = stats_distance(model.encoder, out, s) / stats_distance(model.encoder, out, c)
            random_ratios.append(stats_distance(random_vgg, out, s) / stats_distance(random_vgg, out, c))
            ou, su = to_unit(out), to_unit(s)
            emd_cs, emd_os = lab_emd(cu, su), lab_emd(ou, su)
            moved = 1 - emd_os / emd_cs
            ssim = edge_ssim(ou, cu)
            rows.append((ratio, moved, ssim, rmse, psnr, edge0))
            print(f"{cname:<10} {sname:<13} {ratio:>11.3f} {emd_cs:>8.2f} {emd_os:>8.2f} {moved:>9.3f} {ssim:>9.3f} "
                  f"{rmse:>9.4f} {psnr:>8.2f}dB {edge0:>9.3f} {str(same):>10}")
    m = np.mean(np.asarray(rows), axis=0)
    print(f"{'MEAN':<24} {m[0]:>11.3f} {'':>8} {'':>8} {m[1]:>9.3f} {m[2]:>9.3f} {m[3]:>9.4f} {m[4]:>8.2f}dB "
          f"{m[5]:>9.3f}")
    worst = np.asarray(rows)
    print(f"bars: style ratio < 1 in {int((worst[:, 0] < 1).sum())}/{len(rows)} pairs (mean {'met' if m[0] < 1 else 'NOT met'}); "
          f"Lab moved >= 0.5 in {int((worst[:, 1] >= 0.5).sum())}/{len(rows)} (mean {'met' if m[1] >= 0.5 else 'NOT met'}); "
          f"edge SSIM >= 0.5 in {int((worst[:, 2] >= 0.5).sum())}/{len(rows)} (mean {'met' if m[2] >= 0.5 else 'NOT met'})")
    print(f"style ratio in the fixed random VGG-19: mean {np.mean(random_ratios):.3f}, < 1 in "
          f"{sum(r < 1 for r in random_ratios)}/{len(random_ratios)} pairs")

    if args.gatys_steps:
        from plugins.style_transfer.gatys import gatys

        print(f"\nGatys ({args.gatys_steps} Adam steps at 128 px, total loss streamed every 10 steps):")
        for cname, cimg in contents:
            for sname, simg in styles:
                t = time.perf_counter()
                hist = [l["total"] for _, _, l in gatys(cimg, simg, steps=args.gatys_steps, every=10, max_side=128)]
                mono = all(b < a for a, b in zip(hist, hist[1:]))
                print(f"{cname:<10} {sname:<13} {hist[0]:.4g} -> {hist[-1]:.4g} ({hist[-1] / hist[0]:.2f}x) "
                      f"decreasing at every stream: {mono}  {time.perf_counter() - t:.1f} s")
    if args.grid:
        # the grid sits beside the model card of the weight it shows (weights/<weight id>.png)
        name = "adain-embedded-decoder" if args.model == "adain-embedded" else f"{args.model}-grid"
        out = write_grid(model, ROOT / "plugins" / "style_transfer" / "weights" / f"{name}.png", args.size)
        print(f"\nwrote {out.relative_to(ROOT)} ({out.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
