"""The Pixel art tab: a thin layer over ``ganhub_example.pixelart.pixelate``."""

from __future__ import annotations

import gradio as gr

from hub import load_image
from hub.ui import bind, first_view  # the core tab kit

PALETTES = ("k-means of the image", "PICO-8 (16 colours)")


def pixelate_handler(ctx, image, pixel_size, colors, dither, palette=PALETTES[0]):
    """Pixel art of an uploaded image.

    Args:
        image: the picture to pixelate (any size up to 2048 px a side).
        pixel_size: the side of one art pixel, 2 to 32 image pixels.
        colors: how many colours the k-means palette has, 2 to 64 (ignored with a fixed palette).
        dither: spread the quantisation error (Floyd–Steinberg).
        palette: "k-means of the image" or the shipped "PICO-8 (16 colours)".
    """
    from ganhub_example.palettes import load_palette
    from ganhub_example.pixelart import pixelate
    from ganhub_example.plugin import PALETTE_ID

    if image is None:
        raise gr.Error("Upload an image first.")
    if palette not in PALETTES:
        raise gr.Error(f"Palette must be one of {', '.join(PALETTES)}.")
    for name, value, low, high in (("Pixel size", pixel_size, 2, 32), ("Colours", colors, 2, 64)):
        if not isinstance(value, (int, float)) or value != value or not low <= value <= high:
            raise gr.Error(f"{name} must be a number from {low} to {high}.")
    picture = load_image(image, max_side=2048)
    fixed = load_palette(ctx.weight_path(PALETTE_ID)) if palette == PALETTES[1] else None
    try:
        return pixelate(picture, int(pixel_size), int(colors), dither=bool(dither), palette=fixed)
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc


def example_picture(side: int = 192):
    """A colourful picture drawn in code (the tab's first view; the package ships no photos)."""
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:side, 0:side] / (side - 1)
    ring = np.exp(-((np.hypot(x - 0.5, y - 0.5) - 0.3) ** 2) / 0.004)
    rgb = np.stack([x, y, 1 - x * y], -1) * (1 - ring[..., None]) + ring[..., None] * np.array([1.0, 0.85, 0.1])
    return Image.fromarray((rgb * 255).astype(np.uint8))


def build(ctx) -> None:
    gr.Markdown("Averages the image over square blocks, then reduces it to a small palette, found by "
                "k-means or the shipped PICO-8 one; dithering spreads the quantisation error (Floyd–Steinberg).")
    with gr.Row():
        source = gr.Image(type="pil", label="Image", elem_id="pixelart-input")
        result = gr.Image(type="pil", label="Pixel art", format="png", elem_id="pixelart-output")
    with gr.Row():
        pixel_size = gr.Slider(2, 32, value=8, step=1, label="Pixel size")
        colors = gr.Slider(2, 64, value=16, step=1, label="Colours")
        dither = gr.Checkbox(value=False, label="Floyd–Steinberg dithering")
        palette = gr.Radio(list(PALETTES), value=PALETTES[0], label="Palette")
    run = gr.Button("Pixelate", variant="primary", elem_id="pixelart-run")

    run.click(bind(ctx, pixelate_handler), [source, pixel_size, colors, dither, palette], result,
              api_name=ctx.api_name("pixelate"), concurrency_id=ctx.heavy_concurrency_id)

    def opening():
        picture = example_picture()
        return picture, pixelate_handler(ctx, picture, 8, 16, False)

    first_view(opening, [source, result])  # the tab opens with its example already rendered
