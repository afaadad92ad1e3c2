"""The "Inpainting (GAN prior)" tab: layout and wiring over ``plugins.inpainting.ui_handlers``.

The GAN fill, the "Variations" gallery and OpenCV's classical fill are composited the same way: the
input's own pixels outside the hole, exactly. The tab keeps one latent file with the session row.
"""

from __future__ import annotations

import functools

import gradio as gr

from hub.ui import (FINE_BRUSH_PX, PREVIEW_SIZE, before_after, bind, editor_value, first_view, intro, mask_editor,
                    model_dropdown, quiet_progress, session_row, step_preset, stop_button)
from plugins.inpainting import ui_handlers as h

LEAD = ("**Paint over part of a picture and the generator fills it in**: a missing eye, a scratch, a covered "
        "mouth. Everything outside what you paint comes back exactly as it was; OpenCV's classical fill is "
        "shown beside it, and *Variations* gives several different fills at once.")
ABOUT = (
    "Image2StyleGAN++ inpainting: the hole is grown and blurred (**M_blur+**, resolution / 32 px each); masked "
    "W+ optimisation **W_l** moves only the paper's W+ rows 1–9 and 17–18 of 18 (scaled) to match the known "
    "pixels (MSE + VGG-16 perceptual loss), then masked noise optimisation **Mk_n** restores the detail while "
    "λ_mse2 keeps the hole near the W_l fill. The latent starts from the encoder's code of the picture with its "
    "hole filled by OpenCV Telea when the model has an encoder (the paper starts from the mean face w_avg, one "
    "click away under Advanced); *Variations* start from w_avg + U[−0.4, 0.4], all fills in one batch. Steps "
    "are the paper's 200 + 1000 divided by 5; the *Paper* step preset restores them.\n\n"
    "The hole is what you paint. With nothing painted, the transparent pixels enclosed by the picture are the "
    "hole; the transparent background around an emoji is background (white), never hole.")
PAPER = ("Abdal, Qin, Wonka, *Image2StyleGAN++: How to Edit the Embedded Images?*, CVPR 2020, "
         "[arXiv:1911.11544](https://arxiv.org/abs/1911.11544); Yeh et al., *Semantic Image Inpainting with Deep "
         "Generative Models*, CVPR 2017, [arXiv:1607.07539](https://arxiv.org/abs/1607.07539)")
FIRST_VIEW_STEPS = 10
NOTE = f"*Example, run with {FIRST_VIEW_STEPS} + {FIRST_VIEW_STEPS} steps; press Inpaint for the full run.* "


def build(ctx) -> None:
    from plugins.inpainting import defaults

    intro(LEAD, ABOUT, PAPER)
    model = model_dropdown(ctx)
    latent = gr.File(label="Latent (.safetensors): a fill of its image starts from it; fills are written here",
                     file_types=[".safetensors"], type="filepath", height=90)
    session_row(model, latent, "Inpainting")
    with gr.Row():
        with gr.Column():
            editor = mask_editor("Picture: paint the hole (or upload a PNG with a transparent hole)",
                                 brush_px=FINE_BRUSH_PX)
            w_steps, n_steps, advanced, (n_var, init_range, baseline, start, seed) = _advanced(defaults)
            with gr.Row():
                go, var_btn, stop_btn = gr.Button("Inpaint", variant="primary"), gr.Button("Variations"), gr.Button("Stop")
        with gr.Column():
            slider, status = before_after("hole | fill"), gr.Markdown()
            classical = gr.Image(label="OpenCV baseline", format="png", type="pil", height=PREVIEW_SIZE // 2 + 32)
            gallery = gr.Gallery(label="Variations", columns=4, height=200, format="png")
            out_file = gr.File(label="Result (PNG, true size)")
    examples = [[str(p)] for p in sorted(h.EXAMPLES.glob("*.png"))]
    gr.Examples(examples, [editor], label="Held-out emoji with holes", api_visibility="private")
    heavy = dict(concurrency_id=ctx.heavy_concurrency_id, concurrency_limit=1)
    common = [model, editor, w_steps, n_steps, *advanced]
    fill = go.click(bind(ctx, h.inpaint), common + [baseline, seed, start, latent],
                    [slider, status, classical, out_file, latent], api_name=ctx.api_name("inpaint"), **heavy)
    several = var_btn.click(bind(ctx, h.variations), common + [n_var, init_range, seed], [slider, status, gallery],
                            api_name=ctx.api_name("variations"), **heavy)
    stop_button(stop_btn, fill, several)
    latent.change(functools.partial(h.latent_to_editor, ctx), [model, latent], editor, api_visibility="private",
                  show_progress="hidden")
    first_view(functools.partial(_first_view, ctx, model.value, examples[0][0]),
               [editor, slider, status, classical, out_file])


def _advanced(defaults):
    """The Advanced accordion: (W_l steps, Mk_n steps, the fills' other settings in the handlers' order,
    (variations count, their start range, baseline, start, seed))."""
    with gr.Accordion("Advanced", open=False):
        w_steps = gr.Slider(0, 1000, value=defaults.W_STEPS, step=5, label="Latent steps, W_l (paper 200)")
        n_steps = gr.Slider(0, 2000, value=defaults.NOISE_STEPS, step=10, label="Noise steps, Mk_n (paper 1000)")
        step_preset([w_steps, n_steps], [defaults.W_STEPS, defaults.NOISE_STEPS],
                    [defaults.PAPER_W_STEPS, defaults.PAPER_NOISE_STEPS])
        rows = gr.Textbox("", label="W+ rows that move (empty: the paper's 1–9 + 17–18 of 18, scaled)")
        grow = gr.Number(None, precision=0, label="Grow the hole by px for the loss mask (empty: resolution / 32)")
        sigma = gr.Number(None, label="Blur sigma of the grown hole, px (empty: resolution / 32)")
        mse = gr.Number(1.0, label="Pixel loss on the known pixels (paper 1e-5 → 1)")
        perc = gr.Number(1.0, label="Perceptual loss on the known pixels (paper 1e-5 → 1)")
        mse2 = gr.Number(defaults.MSE2_WEIGHT, label="Noise stage: keep the hole near the W_l fill (paper 1e-4 → 10)")
        noise_lr = gr.Number(5.0, label="Noise Adam lr (paper 5)")
        n_var = gr.Slider(2, 8, value=defaults.VARIATIONS, step=1, label="Variations: number of fills (one batch)")
        init_range = gr.Number(defaults.INIT_RANGE, label="Variations: start w_avg + U[-r, r] (paper r = 0.4)")
        baseline = gr.Radio(["telea", "ns"], value="telea", label="Classical baseline (OpenCV)")
        start = gr.Radio([h.START_ENCODER, h.START_W_AVG], value=h.START_ENCODER, label="Start of W_l")
        seed = gr.Number(0, precision=0, label="Seed")
    return w_steps, n_steps, [rows, grow, sigma, mse, perc, mse2, noise_lr], (n_var, init_range, baseline, start, seed)


def _first_view(ctx, model: str, example: str) -> tuple:
    """The first example filled with a short run: (editor value, slider, status, baseline, PNG)."""
    value = editor_value(example)
    *_, last = h.inpaint(ctx, model, value, FIRST_VIEW_STEPS, FIRST_VIEW_STEPS, progress=quiet_progress)
    pair, status, classical, png, _latent = last
    return value, pair, NOTE + status, classical, png
