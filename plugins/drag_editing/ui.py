"""The "Drag" tab: click handle/target pairs on a generated (or uploaded-latent) image and drag.

Layout and wiring over ``plugins.drag_editing.ui_handlers`` (the run itself is ``hub.nn.drag``). The run
streams every few steps with the points drawn where the tracker has them; Stop ends it.
"""

from __future__ import annotations

import gradio as gr

from hub.ui import before_after, bind, first_view, intro, mask_editor, model_dropdown, session_row, stop_button
from plugins.drag_editing import ui_handlers as h

LEAD = ("**Move part of a picture by dragging it**: click a point on the image (red), then where it should go "
        "(blue), and press Drag. The generator redraws the picture with that part moved, keeping the rest.")
ABOUT = (
    "DragGAN optimises the image's W+ code. Each step does *motion supervision*: the features F of a synthesis "
    "layer in a small patch Ω₁(p_i, r₁) around each handle p_i are pulled one pixel towards its target t_i, "
    "L = Σ_i Σ_{q ∈ Ω₁} ‖F(q + d_i) − sg(F(q))‖₁ with d_i = (t_i − p_i)/‖t_i − p_i‖ and sg a stop-gradient, plus "
    "λ ‖(F − F₀)·(1 − M)‖₁ that keeps the region outside the mask M; then *point tracking* moves p_i to the "
    "nearest neighbour of its first feature f_i = F₀(p_i) in Ω₂(p_i, r₂). Only the first W+ rows move (paper: 6 of "
    "18). The paper's r₁ = 3 and r₂ = 12 px at 512 px scale with the resolution, never below 2 "
    "and 3 px (64 px).\n\n"
    "Paper: Pan et al., Drag Your GAN: Interactive Point-based Manipulation on the Generative Image Manifold, "
    "SIGGRAPH 2023, https://arxiv.org/abs/2305.10973")


def build(ctx) -> None:
    latent, base = gr.State(None), gr.State(None)
    intro(LEAD, ABOUT)
    with gr.Row():
        model = model_dropdown(ctx)
        seed = gr.Number(h.FIRST_VIEW["seed"], precision=0, label="Seed")
        latent_file = gr.File(label="Latent being dragged (.safetensors; upload one from any editing tab)",
                              file_types=[".safetensors"], type="filepath", height=90)
    session_row(model, latent_file, "Drag")
    new = gr.Button("New sample from the seed")
    with gr.Row():
        canvas = gr.Image(label="Click a handle, then its target (repeat for more pairs)", interactive=False, elem_id="drag-canvas",
                          type="pil", height=h.PREVIEW_SIZE + 40)
        with gr.Column():
            points = gr.Textbox(label="Points: handle -> target (x,y in model pixels; clicks write them)",
                                placeholder="22,40 -> 22,46; 10,12 -> 10,20")
            radius = gr.Slider(0, 32, value=10, step=1, label="Region allowed to move (px around the points; 0 = all)")
            max_steps = gr.Slider(1, 1000, value=200, step=1, label="At most this many steps (about 0.1 s each at 64 px)")
            with gr.Row():
                go, stop, clear = gr.Button("Drag", variant="primary"), gr.Button("Stop"), gr.Button("Clear points")
            status = gr.Markdown()
    with gr.Accordion("Paint the region that may move (optional; replaces the circles above)", open=False):
        paint = gr.Button("Paint on the current image", size="sm")
        region = mask_editor("Region that may move", brush_colours=("#00c853",))
    pair = before_after("Before | after the drag")
    gr.Examples([[15, "22,40 -> 22,46", 10, 120], [8, "46,36 -> 52,36", 10, 200], [0, "30,10 -> 30,4; 30,54 -> 30,58", 8, 200]],
                [seed, points, radius, max_steps], label="Examples (seed, points, region, steps): then press Drag",
                api_visibility="private")
    _wire(ctx, dict(model=model, seed=seed, latent_file=latent_file, new=new, canvas=canvas, points=points,
                    radius=radius, max_steps=max_steps, go=go, stop=stop, clear=clear, status=status, pair=pair,
                    latent=latent, base=base, paint=paint, region=region))


def _wire(ctx, c: dict) -> None:
    private = dict(api_visibility="private", show_progress="hidden")
    c["new"].click(bind(ctx, h.new_image), [c["model"], c["seed"], c["latent_file"]],
                   [c["latent"], c["points"], c["canvas"], c["base"], c["latent_file"]],
                   api_name=ctx.api_name("new_image"))
    c["latent_file"].change(bind(ctx, h.load_file), [c["model"], c["latent_file"]],
                            [c["latent"], c["points"], c["canvas"], c["base"]], **private)
    c["canvas"].select(h.add_point, [c["points"], c["base"]], [c["points"], c["canvas"]], **private)
    c["clear"].click(h.clear_points, c["base"], [c["points"], c["canvas"]], **private)
    c["paint"].click(h.paint_on, c["base"], c["region"], **private)
    outputs = [c["canvas"], c["status"], c["pair"], c["latent"], c["points"], c["base"], c["latent_file"]]
    event = c["go"].click(bind(ctx, h.run_drag), [c["model"], c["points"], c["radius"], c["max_steps"], c["seed"],
                                                   c["latent_file"], c["region"], c["latent"]],
                          outputs, api_name=ctx.api_name("drag"), concurrency_id=ctx.heavy_concurrency_id)
    stop_button(c["stop"], event)
    first_view(lambda: h.first_view(ctx, c["model"].value),
               [c["canvas"], c["status"], c["pair"], c["latent"], c["base"], c["latent_file"]])
