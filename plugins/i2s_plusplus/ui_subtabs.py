"""The Image2StyleGAN++ tab's sub-tabs (reconstruction, crossover; the local edits are in
``ui_local_subtabs``) and the pieces they share: layout and wiring over the handlers."""

from __future__ import annotations

import functools

import gradio as gr

from hub.ui import (FINE_BRUSH_PX, PREVIEW_SIZE, before_after, bind, first_view, mask_editor, step_preset,
                    steps_slider, stop_button)
from plugins.i2s_plusplus import defaults
from plugins.i2s_plusplus import ui_first_views as fv
from plugins.i2s_plusplus import ui_handlers as h

PALETTE = ["#e53935", "#fdd835", "#43a047", "#1e88e5", "#8e24aa", "#000000", "#ffffff", "#6d4c41"]


def editor(label: str, colours=("#ff00ff",)) -> gr.ImageEditor:
    """``hub.ui.mask_editor`` with a brush sized for 64 px images."""
    return mask_editor(label, colours, brush_px=FINE_BRUSH_PX)


def image(label: str) -> gr.Image:
    return gr.Image(label=label, type="pil", image_mode="RGB", height=PREVIEW_SIZE)


def buttons(label: str):
    with gr.Row():
        return gr.Button(label, variant="primary"), gr.Button("Stop")


def results(*extra_labels: str) -> list:
    """The result column: before/after slider, status, PNG, then small extra images."""
    with gr.Column():
        out = [before_after("before | after"), gr.Markdown(), gr.File(label="Result (PNG, true size)")]
        if extra_labels:
            with gr.Row():
                out += [gr.Image(label=x, format="png", type="pil", height=160) for x in extra_labels]
    return out


def steps(paper: str, fast: list[int], labels: list[str], maximum: int = 2000) -> list:
    """Step sliders with the Fast / Paper preset: the last counts the noise stage, the others the latent
    stage (``defaults.PAPER_STEPS[paper]``); a label that names its paper count keeps it."""
    counts = defaults.PAPER_STEPS[paper]
    published = [counts["w"]] * (len(fast) - 1) + [counts["noise"]]
    sliders = [steps_slider(v, label if "paper" in label else f"{label} (paper {n})", max(maximum, n))
               for v, label, n in zip(fast, labels, published)]
    step_preset(sliders, fast, published)
    return sliders


def weights(*labelled: tuple[str, float]) -> list:
    """Loss weights (number boxes), then the noise learning rate and the seed every edit takes."""
    return [gr.Number(v, label=label) for label, v in labelled] + [
        gr.Number(5.0, label="Noise Adam lr (paper 5)"), gr.Number(0, precision=0, label="Seed")]


def wire(ctx, go, stop_btn, action: str, fn, inputs: list, out: list, latent, first, examples: list) -> None:
    """The action's public event (``{plugin}_{action}``) with outputs ``out`` (the result column) and the
    edited latent into ``latent`` (after the first three; None: no latent), its Stop, its examples and its
    first view: ``first()`` (the first example, run short) fills the examples' inputs and ``out``."""
    outputs = out[:3] + ([latent] if latent is not None else []) + out[3:]
    event = go.click(bind(ctx, fn), inputs, outputs, api_name=ctx.api_name(action),
                     concurrency_id=ctx.heavy_concurrency_id, concurrency_limit=1)
    stop_button(stop_btn, event)
    shown = inputs[1:1 + len(examples[0])]
    gr.Examples(examples, shown, label="Examples", api_visibility="private")
    first_view(first, shown + out)


def reconstruct_tab(ctx, model, latent):
    gr.Markdown("Rebuild a photo as closely as the generator can: first its latent code, then the fine detail "
                "the code cannot hold. The result's latent goes to the *Latent* file above, for the other edits.")
    with gr.Row():
        with gr.Column():
            photo = image("Photo")
            with gr.Accordion("Advanced", open=False):
                w, n = steps("reconstruct", [defaults.RECONSTRUCT_W_STEPS, defaults.RECONSTRUCT_NOISE_STEPS],
                             ["Latent (W+) steps", "Noise steps"])
                p = gr.Number(1.0, label="Perceptual weight (paper 1e-5, normalised to 1)")
                start = gr.Radio(["encoder", "w_avg", "random"], value="encoder",
                                 label="Start (w_avg is the paper's; encoder: the model's encoder's guess)")
                seed = gr.Number(0, precision=0, label="Seed")
            go, stop = buttons("Reconstruct")
        out = results()
    wire(ctx, go, stop, "reconstruct", h.reconstruct, [model, photo, w, n, p, start, seed], out, latent,
         functools.partial(fv.reconstruct, ctx, model.value),
         [[h.example("face_a.png")], [h.example("face_d.png")]])
    return photo


def crossover_tab(ctx, model, latent):
    gr.Markdown("Paint on **image B** the part to take (a mouth, the eyes); it goes into **image A** with no "
                "visible seam. The hard cut-and-paste is shown beside it for comparison.")
    with gr.Row():
        with gr.Column():
            a = image("Image A (receives the part)")
            b = editor("Image B: paint the part to take")
            with gr.Accordion("Advanced", open=False):
                w, n = steps("crossover", [defaults.CROSSOVER_STEPS] * 2, ["Latent steps, W_l", "Noise steps, Mk_n"])
                sigma = gr.Number(None, label="Edge blur sigma in px (empty: resolution / 32)")
                mse_a, mse_b, p, nlr, seed = weights(("Pixel loss to A outside the part (paper 1e-5 → 1)", 1.0),
                                                     ("Pixel loss to B inside the part (paper 1e-5 → 1)", 1.0),
                                                     ("Perceptual loss to A outside (paper 1e-5 → 1)", 1.0))
            go, stop = buttons("Cross over")
        out = results("Hard paste (for comparison)")
    wire(ctx, go, stop, "crossover", h.crossover, [model, a, b, w, n, sigma, mse_a, mse_b, p, nlr, seed, latent],
         out, latent, functools.partial(fv.crossover, ctx, model.value),
         [[h.example("face_b.png"), h.editor_value(h.example("face_d.png"), h.example("face_d_mouth_layer.png"))],
          [h.example("face_a.png"), h.editor_value(h.example("face_c.png"), h.example("face_c_mouth_layer.png"))]])
    return a
