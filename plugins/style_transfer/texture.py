"""Texture synthesis: Gram-matrix (Gatys, Ecker & Bethge, NeurIPS 2015) and the non-parametric
scanline method with an L-shaped causal neighbourhood (Efros & Leung 1999 / Wei & Levoy 2000,
the "local-based method" of the lecture).

* ``gram_texture(sample, size, ...)``: optimise white noise of ANY output size so that its
  Gram matrices at relu1_1 .. relu5_1 match the sample's (Grams are size-independent because
  they are normalised by C*H*W). A generator of (step, PIL, losses).
* ``efros_leung(sample, size, ...)``: start from white noise drawn from the sample's pixels,
  visit pixels in scanline order, compare each pixel's L-shaped causal neighbourhood (the
  rows above and the pixels to the left inside a w x w window, toroidal borders) with every
  neighbourhood of the sample by Gaussian-weighted SSD, and copy the centre of a random match
  within (1 + eps) of the best. Vectorised: all sample neighbourhoods are one matrix, so each
  output pixel is a single matrix-vector distance (a 64x64 output from a 32x32 sample takes
  about a second). ``synthesize_texture(method=...)`` dispatches to either.
"""

from __future__ import annotations

import time
from typing import Iterator

import numpy as np
import torch

from hub.nn.precision import use_bf16
from hub.nn.vgg import vgg_features
from plugins.style_transfer.gatys import STYLE_LAYERS, optimise_image, target_grams


def _size(size) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    h, w = size
    return int(h), int(w)


def gram_texture(
    sample,
    size=256,
    steps: int = 200,
    style_weight: float = 1e4,
    lr: float = 0.05,
    every: int = 10,
    sample_side: int = 256,
    layers=STYLE_LAYERS,
    seed: int = 0,
    optimizer: str = "adam",
    pool: str = "avg",
    precision: str = "auto",
) -> Iterator[tuple[int, "object", dict]]:
    """Gram-based synthesis from noise to ``size`` (int or (H, W)); yields (step, PIL, losses).

    Gatys et al. (2015) replace max- by average-pooling for synthesis (default here).
    precision: as in ``gatys`` (bfloat16 VGG passes where the hardware has it natively)."""
    from plugins.style_transfer.adain import _pil_to_tensor, _tensor_to_pil

    h, w = _size(size)
    if not (16 <= h <= 2048 and 16 <= w <= 2048):
        raise ValueError("texture size must be between 16 and 2048 pixels")
    vgg = vgg_features("vgg19", tuple(layers), pool=pool)
    s = _pil_to_tensor(sample, sample_side, multiple=1)
    bf16 = use_bf16(precision, s.device)
    grams = target_grams([s], None, vgg, layers, bf16)
    g = torch.Generator().manual_seed(seed)
    x0 = (s.mean(dim=(2, 3), keepdim=True) + 0.3 * torch.randn(1, 3, h, w, generator=g)).clamp(-1, 1)
    for step, x, losses in optimise_image(x0, vgg, grams, layers, style_weight=style_weight, steps=steps,
                                          optimizer=optimizer, lr=lr, every=every, bf16=bf16):
        yield step, _tensor_to_pil(x), losses


def _l_offsets(window: int) -> np.ndarray:
    """(dy, dx) of the causal L-shaped neighbourhood of a window x window square (centre excluded)."""
    r = window // 2
    return np.array([(dy, dx) for dy in range(-r, 1) for dx in range(-r, r + 1) if dy < 0 or dx < 0])


def _gaussian(offsets: np.ndarray, window: int) -> np.ndarray:
    sigma = window / 6.4  # Efros & Leung's kernel width
    return np.exp(-(offsets ** 2).sum(1) / (2 * sigma ** 2))


def efros_leung(
    sample,
    size=64,
    window: int = 9,
    eps: float = 0.1,
    seed: int = 0,
    every_rows: int = 4,
    max_sample_side: int = 64,
    passes: int = 2,
) -> Iterator[tuple[int, "object", dict]]:
    """Scanline non-parametric synthesis; yields (rows done over all passes, PIL, info) every
    ``every_rows`` rows. ``window`` is the neighbourhood square (odd), ``eps`` the match tolerance."""
    from PIL import Image

    from plugins.style_transfer.io import load_rgb

    if window < 3 or window % 2 == 0:
        raise ValueError("window must be an odd number >= 3")
    img = load_rgb(sample)
    if max(img.size) > max_sample_side:
        img.thumbnail((max_sample_side, max_sample_side), Image.BICUBIC)
    src = np.asarray(img, dtype=np.float32) / 255.0
    sh, sw = src.shape[:2]
    h, w = _size(size)
    if not (4 <= h <= 512 and 4 <= w <= 512):
        raise ValueError("Efros-Leung output must be between 4 and 512 pixels per side (it is a small-image baseline)")
    offsets = _l_offsets(window)
    weights = np.repeat(_gaussian(offsets, window), 3).astype(np.float32)
    # every sample position's L-neighbourhood (toroidal sample), one row each: [sh*sw, K*3]
    ys, xs = np.mgrid[0:sh, 0:sw]
    ny = (ys.reshape(-1, 1) + offsets[:, 0]) % sh
    nx = (xs.reshape(-1, 1) + offsets[:, 1]) % sw
    bank = src[ny, nx].reshape(sh * sw, -1)
    centres = src.reshape(-1, 3)
    # expand ||b - n||^2 w = (b^2 w) - 2 b (n w) + (n^2 w): one mat-vec per pixel
    bank_sq = (bank ** 2 * weights).sum(1)
    rs = np.random.RandomState(seed)
    out = centres[rs.randint(0, len(centres), size=h * w)].reshape(h, w, 3).copy()  # white noise from the sample
    from hub.nn.stop import check_stop

    t0, done = time.time(), 0
    # pass 1 reads wrapped-around noise in the first rows' neighbourhoods; pass 2 (Wei & Levoy)
    # revisits every pixel with a fully synthesised neighbourhood and removes that seam of noise
    for y in (yy for _ in range(passes) for yy in range(h)):
        oy = (y + offsets[:, 0]) % h
        for x in range(w):
            n = out[oy, (x + offsets[:, 1]) % w].reshape(-1)
            d = bank_sq - 2.0 * (bank @ (n * weights))
            best = d.min()
            spread = abs(best + (n ** 2 * weights).sum())  # the true minimum SSD
            candidates = np.flatnonzero(d <= best + eps * spread + 1e-7)
            out[y, x] = centres[candidates[rs.randint(len(candidates))]]
        done += 1
        check_stop()  # no torch module runs here: Stop is checked once a row (hub.nn.stop)
        if done % every_rows == 0 or done == h * passes:
            yield done, Image.fromarray((out * 255).round().clip(0, 255).astype(np.uint8)), {
                "rows": done, "of": h * passes, "seconds": time.time() - t0}


def synthesize_texture(sample, size=128, method: str = "gram", **kwargs):
    """Public API: a (step, PIL, info) generator for ``method`` "gram" or "efros_leung"."""
    if method == "gram":
        return gram_texture(sample, size, **kwargs)
    if method in ("efros_leung", "efros-leung", "nonparametric"):
        return efros_leung(sample, size, **kwargs)
    raise ValueError("method must be 'gram' or 'efros_leung'")
