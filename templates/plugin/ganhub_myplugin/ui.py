"""The tab: thin. Components, one event with a namespaced api name, errors as gr.Error."""

from __future__ import annotations

import gradio as gr

from hub import load_image


def build(ctx) -> None:
    with gr.Row():
        source = gr.Image(type="pil", label="Image")
        result = gr.Image(type="pil", label="Result", format="png")  # PNG: exact pixels
    levels = gr.Slider(2, 16, value=4, step=1, label="Levels per channel")
    run = gr.Button("Posterize", variant="primary")

    def handler(image, levels):
        from ganhub_myplugin.technique import posterize

        if image is None:
            raise gr.Error("Upload an image first.")
        return posterize(load_image(image), int(levels))

    run.click(handler, [source, levels], result,
              api_name=ctx.api_name("posterize"),          # -> "myplugin_posterize"
              concurrency_id=ctx.heavy_concurrency_id)     # heavy work shares one queue slot
