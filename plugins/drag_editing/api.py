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

from typing import Any, Sequence

import torch

from hub.nn import drag as D
from hub.nn.latents import to_w_plus

__all__ = ["sample", "render", "drag_stream", "preview", "parse_points", "mask_from_editor"]


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


def mask_from_editor(layers: Any, size: int) -> torch.Tensor | None:
    """A painted ImageEditor layer (RGBA array / PIL) -> [size, size] mask of the painted pixels, or None."""
    import numpy as np
    from PIL import Image

    if layers is None:
        return None
    img = layers if isinstance(layers, Image.Image) else Image.fromarray(np.asarray(layers).astype(np.uint8))
    alpha = np.asarray(img.convert("RGBA").resize((size, size), Image.BILINEAR))[..., 3].astype(np.float32) / 255
    return torch.from_numpy((alpha > 0.1).astype(np.float32)) if alpha.max() > 0.1 else None
