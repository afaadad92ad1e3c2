"""Drag editing as plain functions over generators, latents and PIL images (no Gradio).

    from hub import get_model
    from plugins.drag_editing import api
    G = get_model("stylegan2-emoji64")
    latent = api.sample(G, seed=3)
    run = api.drag_stream(G, latent, handles=[(30, 40)], targets=[(36, 40)])
    for step in run: api.preview(step.image, step.handles, step.targets)
    edited = run.result.latent()
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import torch

from hub.nn import drag as D
from hub.nn.latents import to_w_plus

__all__ = ["sample", "render", "drag_stream", "preview", "parse_points", "points_from_text", "points_to_text",
           "region_mask", "mask_from_editor"]

_POINT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


def sample(G: Any, seed: int = 0, psi: float = 0.7) -> dict[str, Any]:
    """A generated image's latent: z ~ N(0, I) seeded -> mapping (truncation psi) -> W+."""
    from hub.nn.inversion import generator_device

    z = torch.randn(1, int(G.z_dim), generator=torch.Generator().manual_seed(int(seed))).to(generator_device(G))
    with torch.no_grad():
        return {"ws": to_w_plus(G.mapping(z, psi), int(G.num_ws)), "noise": None}


@torch.no_grad()
def render(G: Any, latent: dict[str, Any]) -> torch.Tensor:
    out = G.synthesis(latent["ws"], noise=latent.get("noise"))
    return out[0] if isinstance(out, tuple) else out


def drag_stream(G: Any, latent: dict[str, Any], handles: Sequence, targets: Sequence, mask: Any = None,
                **config: Any) -> D.Drag:
    """A streaming ``hub.nn.drag.Drag`` run; ``config`` fills ``hub.nn.drag.DragConfig``."""
    return D.drag(G, latent, handles, targets, mask, D.DragConfig(**config) if config else None)


def preview(image: torch.Tensor, handles: Sequence, targets: Sequence, scale: int = 4):
    """The image enlarged with the points drawn (red handles, blue targets)."""
    return D.draw_points(image, handles, targets, scale=scale)


def parse_points(points: Sequence[Sequence[float]]) -> tuple[list, list]:
    """Clicks in order h1, t1, h2, t2, ... -> (handles, targets); an odd last click is dropped."""
    pts = [(float(p[0]), float(p[1])) for p in points]
    return pts[0::2][: len(pts) // 2], pts[1::2]


def points_from_text(text: str | None) -> list[tuple[float, float]]:
    """"30,40 -> 36,40; 10,12 -> 10,20" -> [(30, 40), (36, 40), (10, 12), (10, 20)] (clicks in order, for
    ``parse_points``); a trailing lone handle ("30,40 ->") is kept. ValueError for anything else."""
    points = []
    for pair in (text or "").replace("\n", ";").split(";"):
        for part in pair.split("->"):
            if not part.strip():
                continue
            m = _POINT.match(part)
            if not m:
                raise ValueError(f"points {text!r}: write pairs like '30,40 -> 36,40; 10,12 -> 10,20' (x,y in pixels)")
            points.append((float(m.group(1)), float(m.group(2))))
    return points


def points_to_text(points: Sequence[Sequence[float]]) -> str:
    """The inverse of ``points_from_text``."""
    fmt = [f"{p[0]:g},{p[1]:g}" for p in points]
    pairs = [f"{fmt[i]} -> {fmt[i + 1]}" for i in range(0, len(fmt) - 1, 2)]
    return "; ".join(pairs + ([f"{fmt[-1]} ->"] if len(fmt) % 2 else []))


def region_mask(size: int, handles: Sequence, targets: Sequence, radius: float) -> torch.Tensor | None:
    """[size, size] mask (1 = may move) of the discs of ``radius`` px around every point; None for radius 0
    (the whole image may move)."""
    if radius <= 0:
        return None
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    m = torch.zeros(size, size)
    for p in list(handles) + list(targets):
        m = torch.maximum(m, (((xx - p[0]) ** 2 + (yy - p[1]) ** 2) <= radius ** 2).float())
    return m


def mask_from_editor(value: Any, size: int) -> torch.Tensor | None:
    """A ``gr.ImageEditor`` value (or an RGBA layer, PIL or array) -> [size, size] mask (1 = may move) of
    the painted pixels, or None when nothing is painted."""
    import numpy as np
    from PIL import Image

    from hub.images import mask_from_editor as editor_mask

    if value is None or (isinstance(value, dict) and value.get("background") is None):
        return None
    if isinstance(value, dict):
        mask = editor_mask(value, size=size, what="region")[1]
    else:
        img = value if isinstance(value, Image.Image) else Image.fromarray(np.asarray(value).astype(np.uint8))
        mask = np.asarray(img.convert("RGBA").resize((size, size), Image.BILINEAR))[..., 3].astype(np.float32) / 255
    return torch.from_numpy((mask > 0.5).astype(np.float32)) if mask.max() > 0.5 else None
