"""The "Sample" tab: a thin Gradio layer over ``plugins.stylegan2.sample``."""

from __future__ import annotations

from functools import partial

import gradio as gr

import hub.ui as kit
from hub.api import INTERFACE_LATENT_GENERATOR

LEAD = ("**Draw new images from a generator.** Each seed gives a different image; lower the truncation to get "
        "more typical, less varied ones, or borrow the pose, the features or the colours of a second seed.")
ABOUT = ("**ψ** (truncation) pulls the latent W towards the average (ψ=0: the mean image). **Style mixing** "
         "takes the coarse (4-8 px: pose, shape), middle (16-32 px: features) or fine (64 px and up: colour, "
         "texture) latents of W+ from a second seed (Karras et al. 2019, Sec. 3.1).")
PAPER = "Karras et al., *Analyzing and Improving the Image Quality of StyleGAN*, CVPR 2020, arXiv:1912.04958"
EXAMPLES = [["0-7", 0.7, "", "coarse"], ["0-7", 0.7, "5", "coarse"], ["0-7", 0.7, "5", "fine"],
            ["3, 10-12", 1.0, "", "coarse"], ["0-7", 0.0, "", "coarse"]]


def _mix_seed(text) -> int | None:
    """"" (or None) -> None: no mixing; otherwise a whole number of 0 or more."""
    text = "" if text is None else str(text).strip()
    if not text:
        return None
    if not text.isdigit():
        raise gr.Error(f"The mix seed {text!r} must be a whole number of 0 or more, or empty for no mixing.")
    return int(text)


def generate(ctx, model: str, seeds: str = "0-7", psi: float = 0.7, mix_seed: str = "", mix_group: str = "coarse"):
    """Draw one image per seed from a generator, optionally style-mixed with a second seed.

    Args:
        model: name of a registered LatentGenerator, e.g. stylegan2-emoji64.
        seeds: seeds to draw, e.g. "3", "0-7" or "1, 5, 9-11" (at most 64).
        psi: truncation ψ in [0, 1.5]; lower is more typical, 0 is the average image.
        mix_seed: optional second seed whose latents replace the chosen group; empty for no mixing.
        mix_group: which latents come from the mix seed: coarse (pose, shape), middle (features) or fine (colour).

    Returns:
        The samples (shown enlarged) with captions, and the grid of all samples as a PNG at true size.
    """
    from hub.images import save_png
    from plugins.stylegan2 import sample as api

    G = kit.generator(ctx, model)
    mix = _mix_seed(mix_seed)
    try:
        seed_list = api.parse_seeds(seeds)
        images = api.to_pils(api.sample(G, seed_list, float(psi), mix_seed=mix, mix_group=mix_group))
    except ValueError as exc:
        raise kit.user_error(exc) from None
    label = f"ψ={psi:g}" + (f", {mix_group} from seed {mix}" if mix is not None else "")
    shown = [(kit.show(im), f"seed {s}, {label}") for s, im in zip(seed_list, images)]
    return shown, save_png(api.grid(images), name=f"{model}-samples")


def build_sample_tab(ctx) -> None:
    models = ctx.models_for(INTERFACE_LATENT_GENERATOR)
    kit.intro(LEAD, ABOUT, PAPER)
    with gr.Row():
        with gr.Column(scale=1):
            model = kit.model_dropdown(ctx, label="Model")
            seeds = gr.Textbox("0-7", label="Seeds", info="e.g. 3, 0-7 or 1, 5, 9-11 (at most 64)")
            psi = gr.Slider(0.0, 1.5, value=0.7, step=0.05, label="Truncation ψ")
            with gr.Row():
                mix_seed = gr.Textbox("", label="Mix with seed (empty: no mixing)", max_length=12,
                                      placeholder="no mixing")
                group = gr.Radio(["coarse", "middle", "fine"], value="coarse", label="Latents from the mix seed")
            run = gr.Button("Generate", variant="primary")
        with gr.Column(scale=2):
            gallery = gr.Gallery(label="Samples", columns=4, format="png", object_fit="contain", height="auto")
            download = gr.File(label="Grid (PNG)")
    gr.Examples(EXAMPLES, [seeds, psi, mix_seed, group], label="Seeds, truncation and mixing",
                api_visibility="private")
    handler = partial(generate, ctx)
    handler.__doc__, handler.__name__ = generate.__doc__, generate.__name__  # the API page and MCP read it
    run.click(handler, [model, seeds, psi, mix_seed, group], [gallery, download],
              api_name=ctx.api_name("generate"), concurrency_id=ctx.heavy_concurrency_id)
    if models:
        kit.first_view(partial(generate, ctx, models[0]), [gallery, download])
