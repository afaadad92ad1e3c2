"""The "Text to image" tab: thin Gradio wiring over ``plugins.text_to_image.api``."""

from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr

from hub.api import INTERFACE_TEXT_TO_IMAGE
from plugins.text_to_image.defaults import MAX_PROMPT_CHARS, MODEL_NAME

PREVIEW = 4  # 64 px samples are shown 4x larger, nearest neighbour, so the pixels stay honest

EXAMPLES = [
    "a woman with curly hair and dark skin tone",
    "red-haired man, light skin tone",
    "a bald person with medium skin tone",
    "a man with white hair and medium-dark skin tone",
    "a woman with red hair and dark skin tone",  # withheld from training: composition
    "grinning face with sweat",
    "woman running, medium skin tone",
    "a smiling face wearing sunglasses",
]


def _api():
    """The torch-backed API, imported at the first event (building the tab must not import torch)."""
    from plugins.text_to_image import api

    return api


def _big(images):
    from PIL import Image

    return [im.resize((im.width * PREVIEW, im.height * PREVIEW), Image.Resampling.NEAREST) for im in images]


def _truncation(value) -> float | None:
    return None if not value or float(value) <= 0 else float(value)


def _fail(exc: Exception) -> gr.Error:
    return gr.Error(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def build(ctx) -> None:
    heavy = dict(concurrency_id=ctx.heavy_concurrency_id, concurrency_limit=1)
    names = ctx.models_for(INTERFACE_TEXT_TO_IMAGE) or [MODEL_NAME]
    gr.Markdown(
        "Type a caption and get emoji from **GAN-INT-CLS** (Reed et al. 2016): a text encoder φ(t) "
        "conditions a DCGAN generator G(z, φ(t)), trained against a matching-aware discriminator. "
        "Free text works (unseen words encode by their spelling). Some combinations, such as red hair with "
        "dark skin tone or a woman with white hair, were never seen in training: they test composition."
    )
    model_name = gr.Dropdown(names, value=names[0], label="Model", visible=len(names) > 1)

    def model_of(name):
        return ctx.get_model(name or MODEL_NAME)

    with gr.Tab("Generate"):
        with gr.Row():
            with gr.Column():
                prompt = gr.Textbox(EXAMPLES[0], label="Prompt", lines=2, max_length=MAX_PROMPT_CHARS)
                gr.Examples(EXAMPLES, inputs=[prompt], label="Example prompts", api_visibility="private")
                with gr.Row():
                    seed = gr.Number(0, precision=0, label="Seed (image i uses seed + i)")
                    n = gr.Slider(1, 32, value=8, step=1, label="Batch N")
                truncation = gr.Slider(0, 3, value=0, step=0.1,
                                       label="Truncation: z from N(0,1) cut to [-t, t] (0 = off; lower = safer, less varied)")
                go = gr.Button("Generate", variant="primary")
            with gr.Column():
                gallery = gr.Gallery(label="Samples (PNG, 64 px shown x4)", columns=4, format="png", height=420)

    def on_generate(name, text, seed_v, n_v, trunc_v):
        try:
            images = _api().generate(text, n=int(n_v), seed=int(seed_v or 0), truncation=_truncation(trunc_v),
                                  model=model_of(name))
        except ValueError as exc:
            raise _fail(exc) from None
        return [(im, f"seed {int(seed_v or 0) + i}") for i, im in enumerate(_big(images))]

    go.click(on_generate, [model_name, prompt, seed, n, truncation], gallery,
             api_name=ctx.api_name("generate"), **heavy)
    prompt.submit(on_generate, [model_name, prompt, seed, n, truncation], gallery,
                  api_name=ctx.api_name("generate_submit"), **heavy)

    with gr.Tab("Interpolate"):
        with gr.Row():
            with gr.Column():
                prompt_a = gr.Textbox("a man with red hair and light skin tone", label="From")
                prompt_b = gr.Textbox("a bald man with dark skin tone", label="To")
                with gr.Row():
                    steps = gr.Slider(2, 16, value=8, step=1, label="Steps")
                    iseed = gr.Number(0, precision=0, label="Seed (one z for the whole strip)")
                itrunc = gr.Slider(0, 3, value=0, step=0.1, label="Truncation (0 = off)")
                igo = gr.Button("Interpolate", variant="primary")
            with gr.Column():
                strip = gr.Image(label="Strip (PNG)", format="png", type="pil")
                gif = gr.File(label="Animation (GIF)")

    def on_interpolate(name, a, b, steps_v, seed_v, trunc_v):
        try:
            frames = _api().interpolate(a, b, steps=int(steps_v), seed=int(seed_v or 0), truncation=_truncation(trunc_v),
                                     model=model_of(name))
        except ValueError as exc:
            raise _fail(exc) from None
        path = Path(tempfile.mkdtemp(prefix="ganhub-t2i-")) / "interpolation.gif"
        path.write_bytes(_api().gif_bytes(frames))
        return _api().strip_image(frames, scale=PREVIEW), str(path)

    igo.click(on_interpolate, [model_name, prompt_a, prompt_b, steps, iseed, itrunc], [strip, gif],
              api_name=ctx.api_name("interpolate"), **heavy)

    with gr.Tab("Style from image"):
        gr.Markdown("Upload an emoji-like image: the style encoder S(x) recovers its z (pose, framing, style), "
                    "and G renders **your** caption with it.")
        with gr.Row():
            with gr.Column():
                style_image = gr.Image(label="Style image", type="pil", image_mode="RGB", height=256)
                sprompt = gr.Textbox("a woman with blond hair and medium skin tone", label="New caption")
                sgo = gr.Button("Render in this style", variant="primary")
            with gr.Column():
                restyled = gr.Image(label="Result (PNG, 64 px shown x4)", format="png", type="pil", height=256)

    def on_restyle(name, image, text):
        if image is None:
            raise gr.Error("Please upload a style image first.")
        try:
            out = _api().restyle(text, image, model=model_of(name))
        except ValueError as exc:
            raise _fail(exc) from None
        return _big([out])[0]

    sgo.click(on_restyle, [model_name, style_image, sprompt], restyled, api_name=ctx.api_name("restyle"), **heavy)
