"""The "Text to image" tab: layout and wiring; the handlers are in ``ui_handlers``, the work in ``api``."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import gradio as gr

import hub.ui as kit
from hub.api import INTERFACE_TEXT_TO_IMAGE
from plugins.text_to_image.defaults import MAX_PROMPT_CHARS, MODEL_NAME
from plugins.text_to_image.ui_handlers import generate_images, interpolate_prompts, restyle_image

EXAMPLE_DIR = Path(__file__).parent / "examples"
LEAD = ("**Type a caption, get emoji.** Describe a face or a person (hair, skin tone, expression) and press "
        "Enter; blend two captions, or render a caption in the pose and style of an emoji you upload.")
ABOUT = ("GAN-INT-CLS: a text encoder φ(t) conditions a DCGAN generator G(z, φ(t)), trained against a "
         "matching-aware discriminator; a style encoder S(x) recovers z from an image. Free text works (unseen "
         "words encode by their spelling). Some combinations, such as red hair with dark skin tone or a woman "
         "with white hair, were never seen in training: they test composition.")
PAPER = "Reed et al., *Generative Adversarial Text to Image Synthesis*, ICML 2016, arXiv:1605.05396"
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
INTERPOLATIONS = [["a man with red hair and light skin tone", "a bald man with dark skin tone"],
                  ["grinning face with sweat", "a woman with curly hair and dark skin tone"]]


def _bound(fn, ctx):
    """``fn`` with the tab's context bound, keeping its docstring (the API page and MCP read it)."""
    bound = partial(fn, ctx)
    bound.__doc__, bound.__name__ = fn.__doc__, fn.__name__
    return bound


def _generate_tab(ctx, model, heavy: dict) -> None:
    with gr.Row():
        with gr.Column():
            prompt = gr.Textbox(EXAMPLES[0], label="Prompt", lines=1, max_lines=1, max_length=MAX_PROMPT_CHARS,
                                info="Press Enter to generate.")
            with gr.Row():
                seed = gr.Number(0, precision=0, label="Seed (image i uses seed + i)")
                n = gr.Slider(1, 32, value=8, step=1, label="Batch N")
            truncation = gr.Slider(0, 3, value=0, step=0.1,
                                   label="Truncation: z from N(0,1) cut to [-t, t] (0 = off; lower = safer, less varied)")
            go = gr.Button("Generate", variant="primary")
            gr.Examples(EXAMPLES, inputs=[prompt], label="Example prompts", api_visibility="private")
        gallery = gr.Gallery(label="Samples (PNG, 64 px shown enlarged)", columns=4, format="png", height=420)
    inputs, handler = [model, prompt, seed, n, truncation], _bound(generate_images, ctx)
    go.click(handler, inputs, gallery, api_name=ctx.api_name("generate"), **heavy)
    prompt.submit(handler, inputs, gallery, api_name=ctx.api_name("generate_submit"), **heavy)
    kit.first_view(partial(generate_images, ctx, model.value, EXAMPLES[0]), gallery)


def _interpolate_tab(ctx, model, heavy: dict) -> None:
    with gr.Row():
        with gr.Column():
            prompt_a = gr.Textbox(INTERPOLATIONS[0][0], label="From", lines=1, max_lines=1, max_length=MAX_PROMPT_CHARS)
            prompt_b = gr.Textbox(INTERPOLATIONS[0][1], label="To", lines=1, max_lines=1, max_length=MAX_PROMPT_CHARS)
            with gr.Row():
                steps = gr.Slider(2, 16, value=8, step=1, label="Steps")
                seed = gr.Number(0, precision=0, label="Seed (one z for the whole strip)")
            truncation = gr.Slider(0, 3, value=0, step=0.1, label="Truncation (0 = off)")
            go = gr.Button("Interpolate", variant="primary")
            gr.Examples(INTERPOLATIONS, [prompt_a, prompt_b], label="Example pairs", api_visibility="private")
        with gr.Column():
            strip = gr.Image(label="Strip (PNG, shown x4)", format="png", type="pil")
            gif = gr.File(label="Animation (GIF)")
    go.click(_bound(interpolate_prompts, ctx), [model, prompt_a, prompt_b, steps, seed, truncation], [strip, gif],
             api_name=ctx.api_name("interpolate"), **heavy)
    kit.first_view(partial(interpolate_prompts, ctx, model.value, *INTERPOLATIONS[0]), [strip, gif])


def _restyle_tab(ctx, model, heavy: dict) -> None:
    gr.Markdown("Upload an emoji-like image: its pose, framing and style are kept, and **your** caption is drawn.")
    with gr.Row():
        with gr.Column():
            image = gr.Image(label="Style image", type="pil", image_mode="RGB", height=256)
            prompt = gr.Textbox("a woman with blond hair and medium skin tone", label="New caption", lines=1,
                                max_lines=1, max_length=MAX_PROMPT_CHARS)
            go = gr.Button("Render in this style", variant="primary")
            examples = [[str(p), "a woman with blond hair and medium skin tone"] for p in sorted(EXAMPLE_DIR.glob("*.png"))]
            if examples:
                gr.Examples(examples, [image, prompt], label="Held-out emoji", api_visibility="private")
        result = gr.Image(label="Result (PNG, 64 px shown enlarged)", format="png", type="pil", height=256)
    go.click(_bound(restyle_image, ctx), [model, image, prompt], result, api_name=ctx.api_name("restyle"), **heavy)
    prompt.submit(_bound(restyle_image, ctx), [model, image, prompt], result, api_visibility="private", **heavy)
    if examples:
        kit.first_view(partial(restyle_image, ctx, model.value, *examples[0]), result)


def build(ctx) -> None:
    heavy = dict(concurrency_id=ctx.heavy_concurrency_id, concurrency_limit=1)
    names = ctx.models_for(INTERFACE_TEXT_TO_IMAGE) or [MODEL_NAME]
    kit.intro(LEAD, ABOUT, PAPER)
    model = gr.Dropdown(names, value=names[0], label="Model", visible=len(names) > 1)
    with gr.Tab("Generate"):
        _generate_tab(ctx, model, heavy)
    with gr.Tab("Interpolate"):
        _interpolate_tab(ctx, model, heavy)
    with gr.Tab("Style from image"):
        _restyle_tab(ctx, model, heavy)
