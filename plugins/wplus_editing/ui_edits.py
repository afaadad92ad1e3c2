"""The W+ editing tab's edit sub-tabs (morph, style mixing, transfer & truncation, scribbles): layout and
wiring over ``ui_edit_handlers``. Each builder returns the components that show an edit's result, so
that ``ui.build`` clears them when a new latent arrives."""

from __future__ import annotations

import gradio as gr

from hub.ui import before_after, bind, steps_slider
from plugins.wplus_editing import ui_edit_handlers as e


def examples(rows, inputs, label: str) -> None:
    """``gr.Examples`` that fill inputs only (never an API endpoint)."""
    gr.Examples(rows, inputs, label=label, api_visibility="private")


def morph_tab(ctx, model, slots, heavy) -> list:
    slot_a, slot_b, _ = slots
    with gr.Row():
        with gr.Column():
            t = gr.Slider(0, 1, value=0.5, step=0.01, label="t (0 = A, 1 = B): release to render")
            frames = gr.Slider(2, 48, value=16, step=1, label="GIF frames")
            gif_btn = gr.Button("Make GIF", variant="primary")
        image = gr.Image(label="Morph at t", format="png", type="pil", height=256)
        gif = gr.Image(label="Morph (animated GIF)", type="filepath", height=256)
    gif_file = gr.File(label="Download GIF")
    examples([[0.25, 8], [0.5, 16], [0.75, 24]], [t, frames], "Settings")
    t.release(bind(ctx, e.morph), [model, slot_a, slot_b, t], image, api_name=ctx.api_name("morph"), **heavy)
    gif_btn.click(bind(ctx, e.morph_gif), [model, slot_a, slot_b, frames], [gif, gif_file],
                  api_name=ctx.api_name("morph_gif"), **heavy)
    return [image, gif, gif_file]


def mix_tab(ctx, model, slots, heavy) -> list:
    slot_a, slot_b, _ = slots
    gr.Markdown("A keeps its code except the rows taken from B: **coarse** rows steer pose and shape, **middle** "
                "rows the features, **fine** rows the colours and texture.")
    with gr.Row():
        with gr.Column():
            group = gr.Radio(["coarse", "middle", "fine"], value="fine", label="Take from B")
            rows = gr.Textbox("", label="…or rows (e.g. 0-3, 8)", placeholder="overrides the choice above")
            mix_btn = gr.Button("Mix", variant="primary")
        result = before_after("A | A with B's styles")
        latent = gr.File(label="Mixed latent")
    examples([["coarse", ""], ["fine", ""], ["middle", "4-7"]], [group, rows], "Row choices")
    mix_btn.click(bind(ctx, e.mix), [model, slot_a, slot_b, group, rows], [result, latent],
                  api_name=ctx.api_name("mix"), **heavy)
    return [result, latent]


def transfer_tab(ctx, model, slots, heavy) -> list:
    slot_a, slot_b, slot_c = slots
    gr.Markdown("**A + λ (C − B)**: the change from B to C (say neutral → smiling) applied to A. Truncation pulls "
                "A towards the generator's mean face.")
    with gr.Row():
        with gr.Column():
            lam = gr.Slider(-2, 3, value=1.0, step=0.05, label="λ")
            rows = gr.Textbox("", label="Rows (empty = all)")
            tr_btn = gr.Button("Transfer", variant="primary")
            psi = gr.Slider(-1, 1.5, value=0.7, step=0.05, label="Truncation ψ (on A)")
            trunc_btn = gr.Button("Truncate")
        result = before_after("A | result")
        latent = gr.File(label="Result latent")
    examples([[1.0, ""], [0.5, "coarse"], [1.5, "fine"]], [lam, rows], "Transfer settings")
    examples([[0.7], [0.0]], [psi], "Truncation")
    tr_btn.click(bind(ctx, e.transfer), [model, slot_a, slot_b, slot_c, lam, rows], [result, latent],
                 api_name=ctx.api_name("transfer"), **heavy)
    trunc_btn.click(bind(ctx, e.truncate), [model, slot_a, psi], [result, latent],
                    api_name=ctx.api_name("truncate"), **heavy)
    return [result, latent]


def scribble_tab(ctx, model, slots, heavy, stop_events) -> list:
    slot_a = slots[0]
    gr.Markdown("Paint colours on A and the code moves until the image takes them (iGAN's constrained edit). "
                "Load A into the canvas, paint, run.")
    with gr.Row():
        with gr.Column():
            load_btn = gr.Button("Load latent A into the canvas")
            canvas = gr.ImageEditor(label="Paint colour strokes", type="pil", image_mode="RGB", height=320,
                                    brush=gr.Brush(colors=["#e53935", "#fdd835", "#43a047", "#1e88e5", "#8e24aa",
                                                           "#000000", "#ffffff", "#6d4c41"], color_mode="defaults",
                                                   default_size=6),
                                    sources=("upload", "clipboard"), layers=False)
            with gr.Accordion("Advanced", open=False):
                steps = steps_slider(200, "Steps (Image2StyleGAN++ 1000 / 5)", 1000)
                lr = gr.Number(0.01, label="Adam lr")
                lam1 = gr.Number(0.1, label="λ₁ latent L2")
                lam2 = gr.Number(0.0, label="λ₂ realism (needs the model's discriminator)")
                preserve = gr.Number(0.0, label="Keep the rest: MSE to the start outside the strokes (not in iGAN)")
                rows = gr.Textbox(value="", label="W+ rows that may move (empty = all; 'middle' = Image2StyleGAN++ 4-6/18)")
            with gr.Row():
                edit_btn, stop_btn = gr.Button("Edit", variant="primary"), gr.Button("Stop")
        with gr.Column():
            image = gr.Image(label="Edited", format="png", type="pil", height=256)
            status = gr.Markdown()
            latent = gr.File(label="Edited latent")
    examples([[100, ""], [200, "middle"]], [steps, rows], "Settings")
    load_btn.click(bind(ctx, e.load_canvas), [model, slot_a], canvas, api_visibility="private", **heavy)
    event = edit_btn.click(bind(ctx, e.scribble_edit), [model, slot_a, canvas, steps, lr, lam1, lam2, preserve, rows],
                           [image, status, latent], api_name=ctx.api_name("scribble_edit"), **heavy)
    stop_events.append((stop_btn, event))
    return [canvas, image, status, latent]
