"""Held-out evaluation (PSNR/SSIM, Y channel, border shaved by the scale) and the crop comparison figure."""

from __future__ import annotations

from typing import Mapping

import numpy as np
from PIL import Image, ImageDraw

from plugins.srgan.data import bicubic_down, crop_to_multiple, held_out_photos, load_rgb
from plugins.srgan.metrics import psnr_y, ssim_y


def held_out_pairs(scale: int = 4) -> list[tuple[str, Image.Image, Image.Image]]:
    """(key, HR, LR) for every held-out photo: HR cropped to a multiple of ``scale``, LR = antialiased bicubic."""
    out = []
    for key in held_out_photos():
        hr = crop_to_multiple(Image.fromarray(load_rgb(key)), scale)
        out.append((key, hr, bicubic_down(hr, scale)))
    return out


def evaluate(models: Mapping[str, object], scale: int = 4, tile: int = 0) -> list[dict]:
    """Rows {image, method, psnr, ssim} for bicubic and each model (name -> module) on the held-out photos."""
    from plugins.srgan.infer import upscale

    rows = []
    for key, hr, lr in held_out_pairs(scale):
        outputs = {"bicubic": lr.resize(hr.size, Image.BICUBIC)}
        for name, net in models.items():
            outputs[name] = upscale(lr, scale, net, tile=tile)
        for method, img in outputs.items():
            rows.append({"image": key, "method": method, "psnr": psnr_y(img, hr, scale),
                         "ssim": ssim_y(img, hr, scale)})
    return rows


def summary(rows: list[dict]) -> dict[str, tuple[float, float]]:
    methods = dict.fromkeys(r["method"] for r in rows)
    return {m: (float(np.mean([r["psnr"] for r in rows if r["method"] == m])),
                float(np.mean([r["ssim"] for r in rows if r["method"] == m]))) for m in methods}


def markdown_table(rows: list[dict]) -> str:
    methods = list(dict.fromkeys(r["method"] for r in rows))
    images = list(dict.fromkeys(r["image"] for r in rows))
    lines = ["| image | " + " | ".join(f"{m} PSNR / SSIM" for m in methods) + " |",
             "|---|" + "---|" * len(methods)]
    for im in images:
        cells = []
        for m in methods:
            r = next(r for r in rows if r["image"] == im and r["method"] == m)
            cells.append(f"{r['psnr']:.2f} / {r['ssim']:.4f}")
        lines.append(f"| {im} | " + " | ".join(cells) + " |")
    mean = summary(rows)
    lines.append("| **mean** | " + " | ".join(f"**{mean[m][0]:.2f} / {mean[m][1]:.4f}**" for m in methods) + " |")
    return "\n".join(lines)


# (photo, HR crop box centre as fractions, crop side in HR pixels): textured regions
CROPS = (("opencv:baboon.jpg", (0.5, 0.78), 128), ("skimage:chelsea.png", (0.35, 0.45), 128),
         ("opencv:butterfly.jpg", (0.5, 0.5), 128))


def crop_figure(models: Mapping[str, object], scale: int = 4, zoom: int = 2) -> Image.Image:
    """Rows of crops: HR | bicubic | each model, enlarged ``zoom`` x (nearest) with labels."""
    from plugins.srgan.infer import upscale

    pairs = {k: (hr, lr) for k, hr, lr in held_out_pairs(scale)}
    columns = ["original (HR)", "bicubic"] + list(models)
    rows = []
    for key, (fx, fy), side in CROPS:
        if key not in pairs:
            continue
        hr, lr = pairs[key]
        cx, cy = int(hr.width * fx) // scale * scale, int(hr.height * fy) // scale * scale
        box_hr = (max(0, cx - side // 2), max(0, cy - side // 2))
        box_hr = (min(box_hr[0], hr.width - side) // scale * scale, min(box_hr[1], hr.height - side) // scale * scale)
        # upscale a LR window with context so the crop sees no image border effects
        ctx = 16
        lx0, ly0 = max(0, box_hr[0] // scale - ctx), max(0, box_hr[1] // scale - ctx)
        lx1 = min(lr.width, (box_hr[0] + side) // scale + ctx)
        ly1 = min(lr.height, (box_hr[1] + side) // scale + ctx)
        lr_win = lr.crop((lx0, ly0, lx1, ly1))
        off = ((box_hr[0] - lx0 * scale), (box_hr[1] - ly0 * scale))
        tiles = [hr.crop((*box_hr, box_hr[0] + side, box_hr[1] + side))]
        tiles.append(lr_win.resize((lr_win.width * scale, lr_win.height * scale), Image.BICUBIC)
                     .crop((*off, off[0] + side, off[1] + side)))
        for net in models.values():
            sr = upscale(lr_win, scale, net, tile=0)
            tiles.append(sr.crop((*off, off[0] + side, off[1] + side)))
        rows.append([t.resize((side * zoom, side * zoom), Image.NEAREST) for t in tiles])
    cell, label_h, gap = CROPS[0][2] * zoom, 22, 4
    fig = Image.new("RGB", (len(columns) * (cell + gap) + gap, label_h + len(rows) * (cell + gap) + gap), "white")
    draw = ImageDraw.Draw(fig)
    for j, name in enumerate(columns):
        draw.text((gap + j * (cell + gap) + 4, 4), name, fill="black")
    for i, row in enumerate(rows):
        for j, tile in enumerate(row):
            fig.paste(tile, (gap + j * (cell + gap), label_h + i * (cell + gap)))
    return fig
