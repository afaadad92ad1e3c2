"""The Pixel art tab: a thin layer over ``ganhub_example.pixelart.pixelate``."""

from __future__ import annotations

import gradio as gr

from hub import load_image


def build(ctx) -> None:
    gr.Markdown("Averages the image over square blocks, then reduces it to a small palette found by "
                "k-means; dithering spreads the quantisation error (Floyd–Steinberg).")
    with gr.Row():
        source = gr.Image(type="pil", label="Image", elem_id="pixelart-input")
        result = gr.Image(type="pil", label="Pixel art", format="png", elem_id="pixelart-output")
    with gr.Row():
        pixel_size = gr.Slider(2, 32, value=8, step=1, label="Pixel size")
        colors = gr.Slider(2, 64, value=16, step=1, label="Colours")
        dither = gr.Checkbox(value=False, label="Floyd–Steinberg dithering")
    run = gr.Button("Pixelate", variant="primary", elem_id="pixelart-run")

    def handler(image, pixel_size, colors, dither):
        from ganhub_example.pixelart import pixelate

        if image is None:
            raise gr.Error("Upload an image first.")
        picture = load_image(image, max_side=2048)
        try:
            return pixelate(picture, int(pixel_size), int(colors), dither=bool(dither))
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc

    run.click(handler, [source, pixel_size, colors, dither], result, api_name=ctx.api_name("pixelate"),
              concurrency_id=ctx.heavy_concurrency_id)
