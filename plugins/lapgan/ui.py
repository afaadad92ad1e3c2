"""The "LAPGAN" tab: thin Gradio wiring of ``plugins.lapgan.ui_handlers`` on the tab kit ``hub.ui``."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import gradio as gr

import hub.ui as kit
from plugins.lapgan.ui_handlers import (ANY, KIND_CHOICES, SEED_MAX, SKIN_CHOICES, run_generate, run_refine,
                                        run_variations, with_model)

__all__ = ["build", "run_generate", "run_variations", "run_refine"]

EXAMPLES = Path(__file__).parent / "examples"
#: Display enlargement of the 64 px images (``hub.ui.show`` draws them at its PREVIEW_SIZE, nearest neighbour).
PREVIEW = kit.PREVIEW_SIZE // 64
LEAD = ("**Draw small emoji from coarse to fine.** A tiny 8x8 picture comes first; three more networks then add "
        "detail at 16, 32 and 64 pixels. You can also keep one coarse picture and redraw only its detail, or "
        "shrink your own picture to 8x8 and let the networks fill it back in.")
ABOUT = ("A Laplacian-pyramid GAN: an 8x8 GAN draws the coarse image Ĩ_3; at 16, 32 and 64 px a conditional GAN "
         "draws the band-pass residual h_k = G_k(z_k, u(Ĩ_k+1)) that is added to the upsampled coarser image, "
         "Ĩ_k = u(Ĩ_k+1) + h_k. Each residual is projected so that it never changes the coarser image. This tab adds "
         "a quarter of each generated residual (detail strength 0.25, chosen on training emoji; the paper's "
         "full residual is detail_strength=1 in the Python API). Trained "
         "on the emoji set; optionally class-conditioned on skin tone and kind. The model card "
         "(plugins/lapgan/weights/lapgan-emoji64.md) has the training run and the measured quality.")
PAPER = ("Denton, Chintala, Szlam & Fergus, *Deep Generative Image Models using a Laplacian Pyramid of "
         "Adversarial Networks*, NeurIPS 2015, arXiv:1506.05751")


def _seed(value: int, label: str) -> gr.Number:
    return gr.Number(value, precision=0, minimum=0, maximum=SEED_MAX, label=label)


def first_generate(ctx):
    return with_model(ctx, run_generate)(0, 8, ANY, ANY)


def first_variations(ctx):
    return with_model(ctx, run_variations)(0, 1, 8)


def first_refine(ctx, example: Path):
    return with_model(ctx, run_refine)(str(example), 0)


def _generate_tab(ctx, heavy) -> None:
    with gr.Row():
        with gr.Column():
            seed = _seed(0, "Seed")
            n = gr.Slider(1, 16, value=8, step=1, label="How many")
            skin = gr.Dropdown(SKIN_CHOICES, value=ANY, label="Skin tone (any = unconditional)")
            kind = gr.Dropdown(KIND_CHOICES, value=ANY, label="Kind")
            go = gr.Button("Generate", variant="primary")
            gr.Examples([[0, 8, ANY, ANY], [3, 8, "dark", "person"], [7, 8, "light", "face"]], [seed, n, skin, kind],
                        label="Try", api_visibility="private")
        with gr.Column(scale=2):
            gallery = gr.Gallery(label=f"Samples (64 px shown x{PREVIEW})", columns=4, format="png", height=420)
            figure = gr.Image(label="How image 0 was built: u(Ĩ_k+1) | residual h_k (grey = 0, x2) | sum Ĩ_k, "
                                    "at 16, 32, 64 px", type="pil", format="png")
            download = gr.File(label="Image 0 (64 px PNG)")
    go.click(with_model(ctx, run_generate), [seed, n, skin, kind], [gallery, figure, download],
             api_name=ctx.api_name("generate"), **heavy)
    kit.first_view(partial(first_generate, ctx), [gallery, figure, download])


def _variations_tab(ctx, heavy) -> None:
    with gr.Row():
        with gr.Column():
            coarse_seed = _seed(0, "Coarse seed (the 8x8 image)")
            seed = _seed(1, "Detail seed (z at 16, 32, 64 px)")
            n = gr.Slider(1, 16, value=8, step=1, label="Draws")
            go = gr.Button("Redraw the detail", variant="primary")
            gr.Examples([[0, 1, 8], [5, 2, 8], [12, 3, 8]], [coarse_seed, seed, n], label="Try",
                        api_visibility="private")
        with gr.Column(scale=2):
            gallery = gr.Gallery(label="The coarse image, then draws that share it", columns=5, format="png",
                                 height=420)
    go.click(with_model(ctx, run_variations), [coarse_seed, seed, n], gallery,
             api_name=ctx.api_name("variations"), **heavy)
    kit.first_view(partial(first_variations, ctx), gallery)


def _refine_tab(ctx, heavy) -> None:
    examples = sorted(EXAMPLES.glob("*.png"))
    with gr.Row():
        with gr.Column():
            image = gr.Image(examples[0] if examples else None, label="Your image (becomes 8x8)", type="pil",
                             image_mode="RGB", format="png", sources=["upload", "clipboard"], height=256)
            seed = _seed(0, "Seed")
            go = gr.Button("Fill in the detail", variant="primary")
            gr.Examples([[str(p)] for p in examples], [image], label="Held-out emoji (never trained on)",
                        api_visibility="private")
        with gr.Column(scale=2):
            with gr.Row():
                coarse = gr.Image(label="8x8", type="pil", format="png")
                slider = kit.before_after("Bicubic enlargement (no refinement) / LAPGAN")
            figure = gr.Image(label="Pyramid: u(Ĩ_k+1) | h_k | Ĩ_k", type="pil", format="png")
            info = gr.Markdown()
            download = gr.File(label="LAPGAN result (64 px PNG)")
    outputs = [coarse, slider, figure, info, download]
    go.click(with_model(ctx, run_refine), [image, seed], outputs, api_name=ctx.api_name("refine"), **heavy)
    if examples:
        kit.first_view(partial(first_refine, ctx, examples[0]), outputs)


def build(ctx) -> None:
    heavy = dict(concurrency_id=ctx.heavy_concurrency_id, concurrency_limit=1)
    kit.intro(LEAD, ABOUT, PAPER)
    with gr.Tab("Generate"):
        _generate_tab(ctx, heavy)
    with gr.Tab("Same coarse image, new detail"):
        _variations_tab(ctx, heavy)
    with gr.Tab("Start from your own coarse image"):
        _refine_tab(ctx, heavy)
