"""Super-resolution, the Python API: tiled with overlap and feathered blending, alpha kept, x2/x4, any module.

``upscale(image, scale, model)`` takes a loaded ``SuperResolver`` module (the tab, the Space and the
tests resolve the name through the hub first) and returns a PIL image; ``upscale_detailed`` adds the
time and tile count; ``fit_input`` brings a photo over the size limit down to it (resize or crop).

Tiling: the LR image is cut into ``tile``x``tile`` cores stepping by ``tile - overlap``; each core is run with
``pad`` extra LR pixels of context on every side (cropped away afterwards, so convolution borders never
show), and neighbouring cores are blended with linear (feathered) weights across their ``overlap``.
Memory is bounded by the tile size plus the output image itself, for any input size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from PIL import Image

#: The model the tab offers first (offline, embedded); the API itself takes modules only.
DEFAULT_MODEL = "srgan-srresnet-x4"
SCALES = (2, 4)


@dataclass
class UpscaleResult:
    image: Image.Image
    seconds: float
    model: str
    tiles: int


def _feather(n: int, left: int, right: int) -> np.ndarray:
    """1-D blend weights: ramps of length ``left``/``right`` (0 where there is no neighbour), 1 elsewhere."""
    w = np.ones(n, dtype=np.float32)
    if left > 0:
        w[:left] = (np.arange(left, dtype=np.float32) + 0.5) / left
    if right > 0:
        w[n - right:] = np.minimum(w[n - right:], ((np.arange(right, dtype=np.float32) + 0.5) / right)[::-1])
    return w


def _starts(size: int, tile: int, step: int) -> list[int]:
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, step))
    starts.append(size - tile)
    return sorted(set(starts))


def sr_tensor_tiled(net, x, tile: int = 256, overlap: int = 16, pad: int = 24,
                    progress: Callable[[int, int], None] | None = None):
    """Run ``net`` (LR [1,3,h,w] in [-1,1] -> [1,3,h*s,w*s]) tile by tile; returns the blended output tensor.

    ``tile`` <= 0 (or an image smaller than a tile) runs the whole image at once.
    """
    import torch

    _, c, h, w = x.shape
    s = int(getattr(net, "scale", 4))
    if tile <= 0 or (h <= tile and w <= tile):
        with torch.no_grad():
            out = net(x)
        if progress:
            progress(1, 1)
        return out
    overlap = min(overlap, tile // 2)
    step = tile - overlap
    ys, xs = _starts(h, tile, step), _starts(w, tile, step)
    out = torch.zeros(1, c, h * s, w * s)
    weight = torch.zeros(1, 1, h * s, w * s)
    total, done = len(ys) * len(xs), 0
    for iy, y0 in enumerate(ys):
        for ix, x0 in enumerate(xs):
            y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
            py0, px0 = max(0, y0 - pad), max(0, x0 - pad)
            py1, px1 = min(h, y1 + pad), min(w, x1 + pad)
            with torch.no_grad():
                sr = net(x[:, :, py0:py1, px0:px1])
            core = sr[:, :, (y0 - py0) * s:(y1 - py0) * s, (x0 - px0) * s:(x1 - px0) * s]
            # feather only where a neighbour overlaps this core
            top = (ys[iy - 1] + tile - y0) * s if iy > 0 else 0
            bottom = (y1 - ys[iy + 1]) * s if iy + 1 < len(ys) else 0
            left = (xs[ix - 1] + tile - x0) * s if ix > 0 else 0
            right = (x1 - xs[ix + 1]) * s if ix + 1 < len(xs) else 0
            wy = _feather(core.shape[2], max(0, top), max(0, bottom))
            wx = _feather(core.shape[3], max(0, left), max(0, right))
            wt = torch.from_numpy(np.outer(wy, wx))[None, None]
            out[:, :, y0 * s:y1 * s, x0 * s:x1 * s] += core.float().cpu() * wt
            weight[:, :, y0 * s:y1 * s, x0 * s:x1 * s] += wt
            done += 1
            if progress:
                progress(done, total)
    return out / weight.clamp_min(1e-8)


# ----------------------------------------------------------------------------- the API


def _module(model: Any):
    if isinstance(model, str) or not callable(model):
        raise TypeError(f"model must be a loaded super-resolution module, not {model!r}: resolve a name with "
                        "hub.get_model(name) (or ctx.get_model in a tab) first")
    return model


def fit_input(image: Image.Image, max_side: int, how: str = "resize") -> tuple[Image.Image, str]:
    """``image`` brought to at most ``max_side`` px on its longest side, and a sentence saying what was done
    ("" when it already fits). how: "resize" (the whole photo, Lanczos) or "crop" (its centre, at full detail)."""
    w, h = image.size
    if max(w, h) <= max_side:
        return image, ""
    if how == "crop":
        cw, ch = min(w, max_side), min(h, max_side)
        left, top = (w - cw) // 2, (h - ch) // 2
        out = image.crop((left, top, left + cw, top + ch))
        return out, (f"The photo is {w}x{h}: its centre {cw}x{ch} was cropped to fit the {max_side} px limit "
                     f"(choose 'Resize' to keep the whole photo).")
    k = max_side / max(w, h)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    out = image.resize(size, Image.Resampling.LANCZOS)
    return out, (f"The photo is {w}x{h}: it was resized to {size[0]}x{size[1]} to fit the {max_side} px limit "
                 f"(choose 'Crop' to keep full detail in its centre).")


def upscale_detailed(image: Any, scale: int, model: Any, *, tile: int = 256,
                     overlap: int = 16, pad: int = 24, max_side: int | None = None,
                     progress: Callable[[int, int], None] | None = None) -> UpscaleResult:
    """``upscale`` plus timing and tile count (what the tab shows)."""
    import torch

    from hub.images import to_pil, to_tensor

    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, not {scale}")
    if isinstance(image, Image.Image):
        img = image
    else:
        from hub.images import load_image_rgba

        img = load_image_rgba(image, max_side=max_side)
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    rgba = img.convert("RGBA") if has_alpha else None
    rgb = img.convert("RGB")
    if has_alpha and np.asarray(rgba)[..., 3].min() == 255:
        has_alpha = False
    net = _module(model)
    native = int(getattr(net, "scale", 4))
    t0 = time.perf_counter()
    out_size = (rgb.width * scale, rgb.height * scale)
    current, tiles = rgb, 0
    counter = {"n": 0}

    def prog(done, total):
        counter["n"] = total
        if progress:
            progress(done, total)

    reached = 1
    with torch.inference_mode():
        while reached < scale:  # x2 model asked for x4: run it twice
            device = next(net.parameters()).device if any(True for _ in net.parameters()) else torch.device("cpu")
            y = sr_tensor_tiled(net, to_tensor(current).to(device), tile=tile, overlap=overlap, pad=pad,
                                progress=prog)
            tiles += counter["n"]
            current = to_pil(y)
            reached *= native
    if current.size != out_size:  # x4 model asked for x2: antialiased bicubic reduction of its output
        current = current.resize(out_size, Image.BICUBIC)
    if has_alpha:  # alpha is not an image the model knows: bicubic, then re-attached
        alpha = rgba.getchannel("A").resize(out_size, Image.BICUBIC)
        current = current.convert("RGBA")
        current.putalpha(alpha)
    return UpscaleResult(current, time.perf_counter() - t0, type(net).__name__, tiles)


def upscale(image: Any, scale: int, model: Any, **kwargs) -> Image.Image:
    """Upscale ``image`` (PIL/path/array/bytes; RGB or RGBA) by ``scale`` (2 or 4) with ``model``.

    ``model``: a loaded ``SuperResolver``, an ``nn.Module`` mapping [-1,1] LR to [-1,1] SR with a ``scale``
    attribute (e.g. ``hub.get_model("srgan-srresnet-x4")``). Keyword arguments:
    ``tile``/``overlap``/``pad`` (LR pixels), ``max_side``, ``progress(done, total)``.
    Returns PIL RGB, or RGBA when the input has transparency (alpha upscaled with bicubic).
    """
    return upscale_detailed(image, scale, model, **kwargs).image


def bicubic(image: Image.Image, scale: int) -> Image.Image:
    """The "before" of the comparison: plain bicubic at the same output size."""
    return image.resize((image.width * scale, image.height * scale), Image.BICUBIC)


def degrade(image: Image.Image, scale: int = 4) -> Image.Image:
    """The paper's LR: antialiased bicubic downscale by ``scale`` (size cropped to a multiple of it)."""
    from plugins.srgan.data import bicubic_down, crop_to_multiple

    return bicubic_down(crop_to_multiple(image.convert("RGB"), scale), scale)
