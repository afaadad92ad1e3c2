"""The "LAPGAN" tab: thin Gradio wiring over ``plugins.lapgan.api``."""

from __future__ import annotations

import math
from pathlib import Path

import gradio as gr

from plugins.lapgan.defaults import MODEL_NAME

EXAMPLES = Path(__file__).parent / "examples"
GRID = Path(__file__).parent / "weights" / f"{MODEL_NAME}.png"
PREVIEW = 3  # 64 px images shown 3x larger, nearest neighbour, so the pixels stay honest
ANY = "any"
SKIN_CHOICES = [ANY, "none", "light", "medium-light", "medium", "medium-dark", "dark"]
KIND_CHOICES = [ANY, "face", "person", "multi-person"]


def _api():
    """The torch-backed API, imported at the first event (building the tab must not import torch)."""
    from plugins.lapgan import api

    return api


def _int(value, low: int, high: int, what: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise gr.Error(f"{what} must be a number.") from None
    if not math.isfinite(number) or number != int(number) or not low <= number <= high:
        raise gr.Error(f"{what} must be a whole number from {low} to {high}.")
    return int(number)


def _choice(value, choices: list[str], what: str) -> str:
    if value not in choices:
        raise gr.Error(f"{what} must be one of: {', '.join(choices)}.")
    return value


def _big(t, scale: int = PREVIEW):
    from PIL import Image

    from hub.images import to_pil

    im = to_pil(t)
    return im.resize((im.width * scale, im.height * scale), Image.Resampling.NEAREST)


def run_generate(model, seed, n, skin_tone, kind):
    """Sample n images and show the pyramid of the first.

    Args:
        model: the loaded LAPGAN cascade.
        seed: whole number 0..2**31-1; the same seed gives the same images.
        n: how many images, 1..16.
        skin_tone: "any" (unconditional) or a skin-tone class of the emoji labels.
        kind: "any" or face / person / multi-person.
    """
    from hub.images import save_png

    api = _api()
    result = api.sample(model, _int(n, 1, 16, "N"), _int(seed, 0, 2**31 - 1, "Seed"),
                        _choice(skin_tone, SKIN_CHOICES, "Skin tone"), _choice(kind, KIND_CHOICES, "Kind"))
    gallery = [(_big(result.images[i:i + 1]), f"image {i}") for i in range(len(result.images))]
    return gallery, api.pyramid_figure(result), save_png(_big(result.images[:1], 1), "lapgan_sample")


def run_variations(model, coarse_seed, seed, n):
    """Fix one coarse image Ĩ_3 and redraw z at the finer levels (the paper's figure).

    Args:
        model: the loaded LAPGAN cascade.
        coarse_seed: whole number 0..2**31-1 choosing the 8x8 image.
        seed: whole number 0..2**31-1 choosing the detail draws.
        n: how many draws, 1..16.
    """
    api = _api()
    result = api.variations(model, _int(n, 1, 16, "N"), _int(seed, 0, 2**31 - 1, "Detail seed"),
                            _int(coarse_seed, 0, 2**31 - 1, "Coarse seed"))
    coarse = [(_big(result.coarse[:1], 8 * PREVIEW), "the coarse image Ĩ_3 (8x8)")]
    return coarse + [(_big(result.images[i:i + 1]), f"draw {i}") for i in range(len(result.images))]


def run_refine(model, image, seed):
    """Downsample an upload to 8x8 and let the cascade fill in the detail.

    Args:
        model: the loaded LAPGAN cascade.
        image: any picture; it is centre-cropped to a square, resized to 64 px and box-averaged to 8x8.
        seed: whole number 0..2**31-1 for the detail draws.
    """
    from hub.images import load_image, save_png
    from plugins.lapgan.evaluate import bandpass_energy, coarse_preservation, quantize

    if image is None:
        raise gr.Error("Upload an image first (any picture; it becomes 8x8).")
    api = _api()
    pil = load_image(image, max_side=1024, what="image")
    seed = _int(seed, 0, 2**31 - 1, "Seed")
    coarse = api.to_coarse(pil)
    result = api.refine(model, coarse, 3, seed)
    bicubic = api.bicubic_baseline(coarse)
    kept = coarse_preservation(model, coarse, seed)
    text = (f"8x8 of the output vs your 8x8: mean absolute error **{kept['mean']:.2f}/255**. Band-pass energy "
            f"(detail above 8x8): LAPGAN **{bandpass_energy(quantize(result.images)):.4f}**, bicubic "
            f"**{bandpass_energy(quantize(bicubic)):.4f}**.")
    return (_big(coarse, 8 * PREVIEW), _big(bicubic), _big(result.images), api.pyramid_figure(result), text,
            save_png(_big(result.images, 1), "lapgan_refined"))


def _generate_tab(ctx, heavy) -> None:
    with gr.Row():
        with gr.Column():
            seed = gr.Number(0, precision=0, label="Seed")
            n = gr.Slider(1, 16, value=8, step=1, label="N")
            skin = gr.Dropdown(SKIN_CHOICES, value=ANY, label="Skin tone (class-conditional; any = unconditional)")
            kind = gr.Dropdown(KIND_CHOICES, value=ANY, label="Kind")
            go = gr.Button("Generate", variant="primary")
        with gr.Column(scale=2):
            # first view: the model card's grid (seed 0), a file on disk, so building the tab stays instant
            gallery = gr.Gallery([str(GRID)] if GRID.is_file() else None, label="Samples (64 px shown x3)",
                                 columns=4, format="png", height=420)
            figure = gr.Image(label="Pyramid of image 0: u(Ĩ_k+1) | residual h_k (grey = 0, x2) | sum Ĩ_k, "
                                    "at 16, 32, 64 px", type="pil", format="png")
            download = gr.File(label="Image 0 (64 px PNG)")
    go.click(lambda *a: run_generate(ctx.get_model(MODEL_NAME), *a), [seed, n, skin, kind],
             [gallery, figure, download], api_name=ctx.api_name("generate"), **heavy)


def _variations_tab(ctx, heavy) -> None:
    with gr.Row():
        with gr.Column():
            coarse_seed = gr.Number(0, precision=0, label="Coarse seed (the 8x8 image)")
            seed = gr.Number(1, precision=0, label="Detail seed (z at 16, 32, 64 px)")
            n = gr.Slider(1, 16, value=8, step=1, label="Draws")
            go = gr.Button("Redraw the detail", variant="primary")
        with gr.Column(scale=2):
            gallery = gr.Gallery(label="The coarse image, then draws that share it", columns=5, format="png",
                                 height=420)
    go.click(lambda *a: run_variations(ctx.get_model(MODEL_NAME), *a), [coarse_seed, seed, n], gallery,
             api_name=ctx.api_name("variations"), **heavy)


def _refine_tab(ctx, heavy) -> None:
    with gr.Row():
        with gr.Column():
            image = gr.Image(label="Your image (becomes 8x8)", type="pil", image_mode="RGB", format="png",
                             sources=["upload", "clipboard"], height=256)
            seed = gr.Number(0, precision=0, label="Seed")
            go = gr.Button("Fill in the detail", variant="primary")
            gr.Examples([[str(p)] for p in sorted(EXAMPLES.glob("*.png"))], [image],
                        label="Held-out emoji (never trained on)", api_visibility="private")
        with gr.Column(scale=2):
            with gr.Row():
                coarse = gr.Image(label="8x8", type="pil", format="png")
                bicubic = gr.Image(label="bicubic (no refinement)", type="pil", format="png")
                refined = gr.Image(label="LAPGAN", type="pil", format="png")
            figure = gr.Image(label="Pyramid: u(Ĩ_k+1) | h_k | Ĩ_k", type="pil", format="png")
            info = gr.Markdown()
            download = gr.File(label="LAPGAN result (64 px PNG)")
    go.click(lambda *a: run_refine(ctx.get_model(MODEL_NAME), *a), [image, seed],
             [coarse, bicubic, refined, figure, info, download], api_name=ctx.api_name("refine"), **heavy)


def build(ctx) -> None:
    heavy = dict(concurrency_id=ctx.heavy_concurrency_id, concurrency_limit=1)
    gr.Markdown("**LAPGAN** (Denton et al. 2015): an 8x8 GAN draws the coarse image, then at 16, 32 and 64 px a "
                "conditional GAN draws the band-pass residual h_k = G_k(z_k, u(Ĩ_k+1)) that is added to the "
                "upsampled coarser image. Each residual is projected so that it never changes the coarser image.")
    with gr.Tab("Generate"):
        _generate_tab(ctx, heavy)
    with gr.Tab("Same coarse image, new detail"):
        _variations_tab(ctx, heavy)
    with gr.Tab("Start from your own coarse image"):
        _refine_tab(ctx, heavy)
