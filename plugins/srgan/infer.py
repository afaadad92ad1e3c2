"""Super-resolution inference: tiled with overlap and feathered blending, alpha kept, x2/x4, any model.

``upscale(image, scale=4, model="srgan-srresnet-x4")`` is THE Python API (used by the tab, the Space and the tests).

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

DEFAULT_MODEL = "srgan-srresnet-x4"
SCALES = (2, 4)


class ModelUnavailable(RuntimeError):
    """A model whose weights cannot be had here (e.g. a Hub ESRGAN offline); the message says what to do."""


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


# ----------------------------------------------------------------------------- model lookup


def get_sr_model(model: Any):
    """A module (returned as is) or a registered model name -> an eval module with ``.scale``.

    Names go through ``hub.get_model`` (weights resolved and sha256-checked by the hub). A weight that
    cannot be had (a Hub ESRGAN offline) raises ``ModelUnavailable`` with a plain sentence.
    """
    if not isinstance(model, str):
        return model
    from hub.weights import WeightUnavailable

    try:
        from hub.plugins import get_model

        return get_model(model)
    except WeightUnavailable as exc:
        raise ModelUnavailable(f"The model '{model}' is not available offline: {exc}") from exc
    except KeyError as exc:
        raise ModelUnavailable(f"Unknown super-resolution model '{model}': {exc}") from exc


# ----------------------------------------------------------------------------- the API


def _to_tensor(rgb: Image.Image):
    import torch

    a = np.asarray(rgb, dtype=np.float32)
    return torch.from_numpy(a).permute(2, 0, 1)[None].div(127.5).sub(1)


def _to_pil(t) -> Image.Image:
    a = ((t[0].clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(a, "RGB")


def upscale_detailed(image: Any, scale: int = 4, model: Any = DEFAULT_MODEL, *, tile: int = 256,
                     overlap: int = 16, pad: int = 24, max_side: int | None = None,
                     progress: Callable[[int, int], None] | None = None) -> UpscaleResult:
    """``upscale`` plus timing and tile count (what the tab shows)."""
    import torch

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
    net = get_sr_model(model)
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
            y = sr_tensor_tiled(net, _to_tensor(current).to(device), tile=tile, overlap=overlap, pad=pad,
                                progress=prog)
            tiles += counter["n"]
            current = _to_pil(y)
            reached *= native
    if current.size != out_size:  # x4 model asked for x2: antialiased bicubic reduction of its output
        current = current.resize(out_size, Image.BICUBIC)
    if has_alpha:  # alpha is not an image the model knows: bicubic, then re-attached
        alpha = rgba.getchannel("A").resize(out_size, Image.BICUBIC)
        current = current.convert("RGBA")
        current.putalpha(alpha)
    return UpscaleResult(current, time.perf_counter() - t0, model if isinstance(model, str) else type(model).__name__,
                         tiles)


def upscale(image: Any, scale: int = 4, model: Any = DEFAULT_MODEL, **kwargs) -> Image.Image:
    """Upscale ``image`` (PIL/path/array/bytes; RGB or RGBA) by ``scale`` (2 or 4) with ``model``.

    ``model``: a registered name (``"srgan-srresnet-x4"``, ``"srgan-srgan-x4"``, ``"srgan-realesrgan-x4plus"``,
    ...) or an ``nn.Module`` mapping [-1,1] LR to [-1,1] SR with a ``scale`` attribute. Keyword arguments:
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
