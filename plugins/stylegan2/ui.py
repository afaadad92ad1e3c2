"""The "Sample" tab: a thin Gradio layer over ``plugins.stylegan2.sample``."""

from __future__ import annotations

import gradio as gr

from hub.api import INTERFACE_LATENT_GENERATOR

DISPLAY = 256  # px: 64 px samples are enlarged with nearest neighbour, so pixels stay honest


def _enlarge(img):
    from PIL import Image

    return img if img.width >= DISPLAY else img.resize((DISPLAY, DISPLAY * img.height // img.width), Image.NEAREST)


def build_sample_tab(ctx) -> None:
    models = ctx.models_for(INTERFACE_LATENT_GENERATOR)
    gr.Markdown("Draw samples from a StyleGAN2. **ψ** pulls W towards the average (ψ=0: the mean emoji). "
                "**Style mixing** takes the coarse (pose, shape), middle (features) or fine (colour, texture) "
                "latents from a second seed.")
    with gr.Row():
        with gr.Column(scale=1):
            model = gr.Dropdown(models, value=models[0] if models else None, label="Model")
            seeds = gr.Textbox("0-7", label="Seeds", info="e.g. 3, 0-7 or 1, 5, 9-11 (at most 64)")
            psi = gr.Slider(0.0, 1.5, value=0.7, step=0.05, label="Truncation ψ")
            with gr.Row():
                mix_seed = gr.Number(None, precision=0, label="Mix with seed (empty: no mixing)")
                group = gr.Radio(["coarse", "middle", "fine"], value="coarse", label="Latents from the mix seed")
            run = gr.Button("Generate", variant="primary")
        with gr.Column(scale=2):
            gallery = gr.Gallery(label="Samples", columns=4, format="png", object_fit="contain", height="auto")
            download = gr.File(label="Grid (PNG)")

    def generate(model_name, seeds_text, psi_value, mix, mix_group):
        from hub.images import save_png
        from plugins.stylegan2 import sample as api

        if not model_name:
            raise gr.Error("No generator is registered; enable the stylegan2 plugin or add a LatentGenerator.")
        try:
            seed_list = api.parse_seeds(seeds_text)
        except ValueError as exc:
            raise gr.Error(str(exc)) from None
        G = ctx.get_model(model_name)
        mix = None if mix is None or mix == "" else int(mix)
        if mix is not None and mix < 0:
            raise gr.Error("The mix seed must be a whole number of 0 or more.")
        try:
            images = api.to_pils(api.sample(G, seed_list, float(psi_value), mix_seed=mix, mix_group=mix_group))
        except ValueError as exc:
            raise gr.Error(str(exc)) from None
        label = f"ψ={psi_value:g}" + (f", {mix_group} from seed {mix}" if mix is not None else "")
        shown = [(_enlarge(im), f"seed {s}, {label}") for s, im in zip(seed_list, images)]
        return shown, save_png(api.grid(images), name=f"{model_name}-samples")

    run.click(generate, [model, seeds, psi, mix_seed, group], [gallery, download],
              api_name=ctx.api_name("generate"), concurrency_id=ctx.heavy_concurrency_id)
