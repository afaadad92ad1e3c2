"""Image loading for the style-transfer API: the hub's validated loader."""

from __future__ import annotations


def load_rgb(source, max_side: int | None = None):
    """PIL / path / ndarray / bytes / gradio file -> PIL RGB (``hub.images.load_image``)."""
    from PIL import Image

    if isinstance(source, Image.Image) and max_side is None:
        return source.convert("RGB")
    from hub.images import load_image

    return load_image(source, max_side=max_side)
