"""Pixel art: block averaging, then a k-means palette (k-means++ seeding), optional dithering.

All in numpy on the small (downscaled) image, so it is fast on a CPU.
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def kmeans_palette(pixels: np.ndarray, colors: int, *, iterations: int = 12, seed: int = 0,
                   sample: int = 20000) -> np.ndarray:
    """``colors`` RGB centres (float32 [k, 3]) of ``pixels`` ([N, 3], 0..255) by k-means.

    Seeding is k-means++ (each next centre drawn with probability proportional to the squared
    distance to the nearest chosen one); Lloyd iterations run on a random subsample of at most
    ``sample`` pixels. Empty clusters are re-seeded at the worst-fitted pixel.
    """
    rng = np.random.default_rng(seed)
    data = pixels.reshape(-1, 3).astype(np.float32)
    if len(data) > sample:
        data = data[rng.choice(len(data), sample, replace=False)]
    unique = np.unique(data, axis=0)
    k = int(min(colors, len(unique)))
    centres = [data[rng.integers(len(data))]]
    nearest = ((data - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        total = nearest.sum()
        index = rng.choice(len(data), p=nearest / total) if total > 0 else rng.integers(len(data))
        centres.append(data[index])
        nearest = np.minimum(nearest, ((data - data[index]) ** 2).sum(1))
    centres = np.stack(centres)
    for _ in range(iterations):
        distances = ((data[:, None, :] - centres[None]) ** 2).sum(-1)
        labels = distances.argmin(1)
        moved = centres.copy()
        for cluster in range(k):
            members = data[labels == cluster]
            if len(members):
                moved[cluster] = members.mean(0)
            else:
                moved[cluster] = data[distances.min(1).argmax()]
        if np.allclose(moved, centres, atol=0.5):
            centres = moved
            break
        centres = moved
    return centres.astype(np.float32)


def quantize(small: np.ndarray, palette: np.ndarray, *, dither: bool = False) -> np.ndarray:
    """Map every pixel of ``small`` ([H, W, 3]) to its nearest palette colour (uint8 [H, W, 3]).

    With ``dither``, Floyd–Steinberg diffuses each pixel's error to its unvisited neighbours
    (7/16 right, 3/16 down-left, 5/16 down, 1/16 down-right).
    """
    image = small.astype(np.float32)
    if not dither:
        labels = ((image[:, :, None, :] - palette[None, None]) ** 2).sum(-1).argmin(-1)
        return np.clip(np.rint(palette[labels]), 0, 255).astype(np.uint8)
    height, width, _ = image.shape
    out = np.empty_like(image)
    for y in range(height):
        for x in range(width):
            old = np.clip(image[y, x], 0, 255)
            new = palette[((palette - old) ** 2).sum(1).argmin()]
            out[y, x] = new
            error = old - new
            if x + 1 < width:
                image[y, x + 1] += error * 7 / 16
            if y + 1 < height:
                if x > 0:
                    image[y + 1, x - 1] += error * 3 / 16
                image[y + 1, x] += error * 5 / 16
                if x + 1 < width:
                    image[y + 1, x + 1] += error * 1 / 16
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def pixelate(image: Image.Image, pixel_size: int = 8, colors: int = 16, *, dither: bool = False,
             seed: int = 0, palette: np.ndarray | None = None) -> Image.Image:
    """Pixel-art version of ``image`` (same size, cropped to a multiple of ``pixel_size``).

    ``palette`` ([K, 3] RGB) quantises to those colours; without it, to ``colors`` found by k-means."""
    if pixel_size < 1 or colors < 1:
        raise ValueError("pixel_size and colors must be at least 1")
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    height, width = (rgb.shape[0] // pixel_size) * pixel_size, (rgb.shape[1] // pixel_size) * pixel_size
    if height == 0 or width == 0:
        raise ValueError(f"the image is smaller than one {pixel_size}×{pixel_size} pixel block")
    blocks = rgb[:height, :width].reshape(height // pixel_size, pixel_size, width // pixel_size, pixel_size, 3)
    small = blocks.mean(axis=(1, 3))  # the average colour of every block
    palette = kmeans_palette(small, colors, seed=seed) if palette is None else np.asarray(palette, np.float32)
    art = quantize(small, palette, dither=dither)
    return Image.fromarray(art.repeat(pixel_size, 0).repeat(pixel_size, 1), "RGB")
