"""The technique as a plain Python API (PIL in, PIL out): the tab, the tests and scripts call it."""

from __future__ import annotations

import numpy as np
from PIL import Image


def posterize(image: Image.Image, levels: int = 4) -> Image.Image:
    """Quantise each RGB channel to ``levels`` evenly spaced values (0 and 255 included)."""
    if not 2 <= levels <= 256:
        raise ValueError("levels must be between 2 and 256")
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    quantised = np.rint(rgb * (levels - 1)) / (levels - 1)
    return Image.fromarray(np.rint(quantised * 255).astype(np.uint8), "RGB")
