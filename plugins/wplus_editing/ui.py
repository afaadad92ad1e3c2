"""The "Inversion & W+ editing" tab: layout and wiring over ``plugins.wplus_editing.ui_handlers``.

Latents travel between the sub-tabs as safetensors files in three slots (A, B, C), so the user can
download any of them and upload it again later, here or in any other editing tab; the session row
sends slot A to every other editing tab in one click.
"""

from __future__ import annotations

import functools

import gradio as gr

from hub.ui import bind, first_view, intro, model_dropdown, session_row, step_preset, steps_slider, stop_button
from plugins.wplus_editing import ui_edits
from plugins.wplus_editing import ui_handlers as h
from plugins.wplus_editing.ui_edits import examples

LEAD = ("**Turn an image into the generator's code, then edit the code**: blend two faces, give one face "
        "another's pose or colours, move a change (neutral → smiling) from one pair of faces onto a third, or "
        "paint colours on a face. The codes sit in slots A, B, C as files you can download and upload again.")
ABOUT = (
    "Inversion finds the W+ code (one 512-d style per synthesis layer) whose image matches yours: "
    "Image2StyleGAN's W+ optimisation (Adam, lr 0.01, MSE + VGG-16 perceptual loss, 5000 steps; ours / 5), then "
    "Image2StyleGAN++'s noise optimisation Mk_n (lr 5, 3000 / 5 steps); or a trained encoder, or the encoder then "
    "optimisation (iGAN's hybrid). **PTI** (Pivotal Tuning Inversion) optimises a pivot code w_p, then tunes the "
    "generator's weights so that G(w_p) is your image (L2 + perceptual; the paper: lr 3e-4, 350 steps; here by "
    "default the pivot starts from the encoder's guess and 100 steps tune at lr 2e-3): images far from the "
    "model's style reconstruct, and edits still edit; the tuned weights travel as a delta in the latent file.\n\n"
    "Edits: morph (1 − t) w_A + t w_B; style mixing (rows of A's W+ from B: coarse 4-8 px, middle 16-32 px, fine 64 px "
    "and up); transfer w_A + λ (w_C − w_B); truncation w_avg + ψ (w − w_avg); iGAN's constrained edit "
    "v* = argmin U(G(v)) + λ₁‖v − v₀‖² − λ₂ D(G(v)), U = the colour of your strokes.\n\n"
    "Papers: Abdal et al., Image2StyleGAN (ICCV 2019, https://arxiv.org/abs/1904.03189) and Image2StyleGAN++ "
    "(CVPR 2020, https://arxiv.org/abs/1911.11544); Zhu et al., iGAN (ECCV 2016, https://arxiv.org/abs/1609.03552); "
    "Roich et al., Pivotal Tuning (ACM TOG 2022, https://arxiv.org/abs/2106.05744).")
FAST_STEPS, PAPER_STEPS = [150, 150, 100], [1000, 600, 350]


def build(ctx) -> None:
    heavy = dict(concurrency_id=ctx.heavy_concurrency_id, concurrency_limit=1)
    intro(LEAD, ABOUT)
    model = model_dropdown(ctx)
    with gr.Row():
        slots = [gr.File(label=f"Latent {s}", file_types=[".safetensors"], type="filepath", height=90) for s in h.SLOTS]
    session_row(model, slots[0], "W+ editing (slot A)")
    stops: list = []
    with gr.Tab("Invert"):
        inv_btn, rand_btn, shown = _invert_tab(ctx, model, slots, heavy, stops)
    with gr.Tab("Morph A → B"):
        edits = ui_edits.morph_tab(ctx, model, slots, heavy)
    with gr.Tab("Style mixing"):
        edits += ui_edits.mix_tab(ctx, model, slots, heavy)
    with gr.Tab("Transfer & truncation"):
        edits += ui_edits.transfer_tab(ctx, model, slots, heavy)
    with gr.Tab("Scribble edit (iGAN)"):
        edits += ui_edits.scribble_tab(ctx, model, slots, heavy, stops)
    for button, event in stops:
        stop_button(button, event)
    gr.on([inv_btn.click, rand_btn.click] + [s.change for s in slots], functools.partial(h.clear_edits, len(edits)),
          None, edits, api_visibility="private", show_progress="hidden")
    first_view(lambda: h.first_view(ctx, model.value), shown)


def _invert_tab(ctx, model, slots, heavy, stops):
    from plugins.wplus_editing.defaults import INIT_CHOICES, METHODS, TAB_TUNING_LR

    with gr.Row():
        with gr.Column():
            image = gr.Image(label="Image to invert", type="pil", image_mode="RGB", height=256)
            method = gr.Radio(list(METHODS), value="optimisation", label="Method",
                              info="optimisation from the mean face; encoder alone (instant); hybrid = encoder then "
                                   "optimisation; pti = a pivot optimised from the encoder's guess (where the model "
                                   "has an encoder), then the generator is tuned to your image")
            with_noise = gr.Checkbox(True, label="Then optimise the noise maps (sharper; not used by pti)")
            into = gr.Radio(list(h.SLOTS), value="A", label="Store the latent in slot")
            steps = steps_slider(FAST_STEPS[0], "Latent steps (pti: the pivot's; paper 5000 / 5, pti 450 / 5)", 3000)
            noise_steps = steps_slider(FAST_STEPS[1], "Noise steps (paper 3000 / 5)", 3000)
            tuning_steps = steps_slider(FAST_STEPS[2], "Generator tuning steps (pti; paper 350)", 1000)
            step_preset([steps, noise_steps, tuning_steps], FAST_STEPS, PAPER_STEPS)
            space, advanced = _invert_advanced(INIT_CHOICES)
            with gr.Accordion("PTI", open=False):
                tuning_lr = gr.Number(TAB_TUNING_LR, minimum=1e-6, maximum=0.1,
                                      label="Generator tuning lr (paper 3e-4 for its 350 steps; 2e-3 suits "
                                            "the fast step counts)")
            with gr.Row():
                run_btn, stop_btn = gr.Button("Invert", variant="primary"), gr.Button("Stop")
        with gr.Column():
            recon = gr.Image(label="Reconstruction", format="png", type="pil", height=256)
            status = gr.Markdown()
            plot = gr.LinePlot(x="step", y="loss", color="term", label="Loss", height=220)
            latent_out = gr.File(label="Latent (.safetensors; with pti, the generator's delta too)")
    examples([[str(h.EXAMPLES / f), m] for f, m in (("neutral_face.png", "hybrid"), ("man_beard.png", "pti"),
                                                      ("woman_red_hair.png", "optimisation"))], [image, method],
              "Held-out emoji")
    event = run_btn.click(bind(ctx, h.invert), [model, image, method, with_noise, into, space, steps, noise_steps,
                                                 *advanced, tuning_steps, tuning_lr],
                          [recon, status, plot, latent_out, *slots], api_name=ctx.api_name("invert"), **heavy)
    stops.append((stop_btn, event))
    with gr.Row():
        seed = gr.Number(0, precision=0, label="Random sample seed")
        psi = gr.Slider(0, 1, value=0.7, step=0.05, label="psi")
        rand_btn = gr.Button("Random sample into the slot above")
    examples([[0, 0.7], [7, 1.0]], [seed, psi], "Samples")
    rand_btn.click(bind(ctx, h.random_sample), [model, seed, psi, into], [recon, status, latent_out, *slots],
                   api_name=ctx.api_name("random_sample"), **heavy)
    return run_btn, rand_btn, [image, recon, status, latent_out, *slots]


def _invert_advanced(init_choices):
    """The optimisation's other settings in a closed accordion: (space, the rest in ``h.invert``'s order)."""
    with gr.Accordion("Advanced", open=False):
        space = gr.Radio(["w+", "w", "z"], value="w+", label="Latent space (pti: w or w+)")
        lr = gr.Number(0.01, label="Adam lr (Image2StyleGAN 0.01)")
        noise_lr = gr.Number(5.0, label="Noise lr (Image2StyleGAN++ Mk_n: 5)")
        mse = gr.Number(1.0, label="MSE weight (paper 1e-5, normalised to 1)")
        perceptual = gr.Number(1.0, label="Perceptual weight, VGG-16 conv1_1..conv3_3 (paper 1e-5 -> 1)")
        latent_weight = gr.Number(0.0, label="Latent L2 ||w - w0||^2 weight")
        noise_reg = gr.Number(0.0, label="Noise regulariser weight (StyleGAN2 autocorrelation)")
        init = gr.Radio(list(init_choices), value="w_avg", label="Start (optimisation; pti on a model without encoder)")
        seed = gr.Number(0, precision=0, label="Seed")
        every = gr.Slider(1, 100, value=10, step=1, label="Preview every N steps")
        cont = gr.File(label="Continue from a latent (.safetensors)", file_types=[".safetensors"], type="filepath")
    return space, [lr, noise_lr, mse, perceptual, latent_weight, noise_reg, init, seed, every, cont]
