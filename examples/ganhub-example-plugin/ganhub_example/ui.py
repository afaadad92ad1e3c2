"""The Pixel art tab: a thin layer over ``ganhub_example.pixelart.pixelate``."""

from __future__ import annotations

import gradio as gr

from hub import load_image

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

    def handler(image, pixel_size, colors, dither, palette=PALETTES[0]):
        return pixelate_handler(ctx, image, pixel_size, colors, dither, palette)

    run.click(handler, [source, pixel_size, colors, dither, palette], result, api_name=ctx.api_name("pixelate"),
              concurrency_id=ctx.heavy_concurrency_id)
