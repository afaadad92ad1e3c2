"""Image loading for the style-transfer API: the hub's validated loader when present."""

from __future__ import annotations

import numpy as np


def load_rgb(source, max_side: int | None = None):
    """PIL / path / ndarray / bytes / gradio file -> PIL RGB (via ``hub.images.load_image``)."""
    from PIL import Image

    if isinstance(source, Image.Image) and max_side is None:
        return source.convert("RGB")
    try:
        from hub.images import load_image
    except ImportError:  # core not available: minimal local fallback
        if isinstance(source, np.ndarray):
            arr = source if source.dtype == np.uint8 else (np.clip(source, 0, 1) * 255).astype(np.uint8)
            img = Image.fromarray(arr).convert("RGB")
        elif isinstance(source, Image.Image):
            img = source.convert("RGB")
        else:
            img = Image.open(source).convert("RGB")
        if max_side and max(img.size) > max_side:
            img.thumbnail((max_side, max_side), Image.BICUBIC)
        return img
    return load_image(source, max_side=max_side)
