"""The "Attribute vectors" tab: layout and wiring over ``plugins.attribute_vectors.ui_handlers``."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from types import SimpleNamespace

import gradio as gr

import hub.ui as kit
from plugins.attribute_vectors import ui_handlers as h
from plugins.attribute_vectors.defaults import SLIDER_SIGMAS as S

EXAMPLES = Path(__file__).parent / "examples"
LEAD = ("**Change one thing about a face: skin tone, hair, a smile, or a direction the model found by itself.** "
        "Start from a random face, your own image or a latent from another tab, then move the sliders. "
        "One slider step is one standard deviation of the faces the model knows, so ±3 stays a face.")
ABOUT = ("*Labelled* directions are attribute vectors (White 2016): the mean W+ latent of training faces with the "
         "attribute minus the mean of those without it. *Label-free* directions need no labels: SeFa (Shen & Zhou "
         "2021) takes the eigenvectors of the style (modulation) weights of the chosen layers; GANSpace (Härkönen "
         "et al. 2020) the principal components of sampled W codes. Every direction d is scaled so that a step of 1 "
         "moves w by σ·d/|d|, σ the standard deviation of the training codes' projection on d.")
PAPER = ("White, *Sampling Generative Networks*, 2016 (arXiv:1609.04468); Shen & Zhou, *Closed-Form Factorization of "
         "Latent Semantics in GANs*, CVPR 2021 (arXiv:2007.06600); Härkönen et al., *GANSpace*, NeurIPS 2020 "
         "(arXiv:2004.02546)")


def build_start(ctx, ui) -> None:
    """The start face: a random sample, an inverted image, or a latent file (and the session row)."""
    with gr.Tab("Random face"):
        ui.seed = gr.Number(h.FIRST_SEED, precision=0, label="Seed")
        ui.psi = gr.Slider(0, 1, value=0.7, step=0.05, label="Truncation ψ (lower: closer to the average face)")
        ui.sample_btn = gr.Button("New face", variant="primary")
    with gr.Tab("Your image"):
        ui.photo = gr.Image(label="Image (centre-cropped to a square)", type="pil", image_mode="RGB", height=200)
        ui.inv_steps = gr.Slider(0, 2000, value=400, step=20, label="Optimisation steps (0: the encoder alone)")
        with gr.Row():
            ui.invert_btn, ui.stop_btn = gr.Button("Find its latent", variant="primary"), gr.Button("Stop")
        examples = [str(p) for p in sorted(EXAMPLES.glob("*.png"))]
        if examples:
            gr.Examples([[p] for p in examples], [ui.photo], label="Held-out emoji",
                        api_name=ctx.api_name("load_example"))
    ui.latent_file = gr.File(label="Start latent (.safetensors): upload one from any editing tab",
                             file_types=[".safetensors"], type="filepath", height=90)
    kit.session_row(ui.model, ui.latent_file, label="Attribute vectors")
    ui.start_img = gr.Image(label="Start", format="png", type="pil", height=256, interactive=False)
    ui.start_attrs = gr.Markdown()


def build_sliders(ctx, ui, names: list[str]) -> None:
    """The sliders (labelled directions, then kept label-free ones), the rows they move, Apply."""
    ui.sliders = []
    with gr.Group():
        for i in range(h.MAX_SLIDERS):
            ui.sliders.append(gr.Slider(-S, S, value=0, step=0.1, label=names[i] if i < len(names) else f"d{i}",
                                        visible=i < len(names)))
    ui.custom_alpha = gr.Slider(-S, S, value=0, step=0.1, label="custom (your direction, below)")
    with gr.Row():
        ui.layers = gr.Radio(["all", "coarse", "middle", "fine"], value="all", label="Rows that move")
        ui.rows = gr.Textbox(label="…or rows (e.g. 4-9)", value="")
    ui.apply_btn = gr.Button("Apply", variant="primary")


def build_labelfree(ctx, ui) -> None:
    """Label-free directions: pick method, rows and component, see a row along it, keep it as a slider."""
    gr.Markdown("Directions the model found without labels. Pick one and see the start face along it.")
    with gr.Row():
        ui.method = gr.Radio(list(h.METHODS), value=next(iter(h.METHODS)), label="Method")
        ui.lf_layers = gr.Textbox("all", label="Rows (all, coarse, middle, fine, or e.g. 0-3)")
        ui.component = gr.Slider(0, 9, value=0, step=1, label="Component (0 changes most)")
    ui.row_btn = gr.Button("Show the row", variant="primary")
    ui.row = gr.Gallery(label="−3σ … +3σ", columns=7, height=200, object_fit="contain", format="png")
    ui.row_status = gr.Markdown()
    with gr.Row():
        ui.keep_name = gr.Textbox(label="Name it (e.g. 'wider smile')", max_length=40)
        ui.keep_btn = gr.Button("Keep as a slider")
    gr.Examples([[m, r, c] for m, r, c in [(next(iter(h.METHODS)), "coarse", 0), (list(h.METHODS)[1], "all", 1),
                                           (next(iter(h.METHODS)), "4-9", 2)]],
                [ui.method, ui.lf_layers, ui.component], label="Try", api_name=ctx.api_name("labelfree_example"))


def build_sets(ctx, ui) -> None:
    """A user's own direction from two image sets."""
    with gr.Accordion("Your own direction from two image sets", open=False):
        with gr.Row():
            ui.with_set = gr.File(label="Images WITH the attribute", file_count="multiple", file_types=["image"])
            ui.without_set = gr.File(label="Images WITHOUT it", file_count="multiple", file_types=["image"])
        ui.set_steps = gr.Slider(0, 1000, value=200, step=20, label="Optimisation steps per set (0: encoder alone)")
        ui.set_btn = gr.Button("Compute direction")
        ui.set_status = gr.Markdown()
        ui.set_file = gr.File(label="Direction (.safetensors)")


def build(ctx) -> None:
    ui = SimpleNamespace()
    kit.intro(LEAD, ABOUT, PAPER)
    ui.model = kit.model_dropdown(ctx)
    first = ui.model.value if isinstance(ui.model.value, str) else None
    names, meta = h.labelled_directions(ctx, first)
    ui.source = gr.Markdown(h.source_text(meta))
    ui.start_path, ui.custom_dir, ui.kept = gr.State(None), gr.State(None), gr.State({})
    with gr.Row():
        with gr.Column():
            build_start(ctx, ui)
        with gr.Column():
            with gr.Tab("Sliders"):
                build_sliders(ctx, ui, names)
            with gr.Tab("Find directions (label-free)"):
                build_labelfree(ctx, ui)
            ui.result = kit.before_after("Start | edited")
            ui.result_attrs = gr.Markdown()
            with gr.Row():
                ui.result_file = gr.File(label="Edited latent")
                ui.use_edit_btn = gr.Button("Start from this edit", size="sm")
    build_sets(ctx, ui)
    wire(ctx, ui)
    if first:
        kit.first_view(partial(h.first_row, ctx, first),
                       [ui.start_img, ui.start_attrs, ui.start_path, ui.latent_file, ui.row, ui.row_status])


def wire(ctx, ui) -> None:
    heavy = dict(concurrency_id=ctx.heavy_concurrency_id, concurrency_limit=1)
    private = dict(api_visibility="private")
    start = [ui.start_img, ui.start_attrs, ui.start_path, ui.latent_file, ui.result, ui.result_attrs, ui.result_file]
    ui.model.change(kit.bind(ctx, h.change_model), ui.model, [ui.source, ui.kept, *ui.sliders], **private)
    ui.sample_btn.click(kit.bind(ctx, h.sample_face), [ui.model, ui.seed, ui.psi], start,
                        api_name=ctx.api_name("sample"), **heavy)
    inv = ui.invert_btn.click(kit.bind(ctx, h.invert_photo), [ui.model, ui.photo, ui.inv_steps], start,
                              api_name=ctx.api_name("invert"), **heavy)
    kit.stop_button(ui.stop_btn, inv)
    ui.latent_file.change(kit.bind(ctx, h.load_latent_file), [ui.model, ui.latent_file, ui.start_path],
                          [ui.start_img, ui.start_attrs, ui.start_path, ui.result, ui.result_attrs, ui.result_file],
                          **private, **heavy)
    ui.use_edit_btn.click(h.use_edit, ui.result_file, ui.latent_file, **private)
    ui.apply_btn.click(kit.bind(ctx, h.apply_sliders),
                       [ui.model, ui.start_path, ui.layers, ui.rows, ui.custom_dir, ui.custom_alpha, ui.kept,
                        *ui.sliders], [ui.result, ui.result_attrs, ui.result_file], api_name=ctx.api_name("apply"),
                       **heavy)
    ui.row_btn.click(kit.bind(ctx, h.row_along), [ui.model, ui.start_path, ui.method, ui.lf_layers, ui.component],
                     [ui.row, ui.row_status], api_name=ctx.api_name("labelfree_row"), **heavy)
    ui.keep_btn.click(kit.bind(ctx, h.keep_component),
                      [ui.model, ui.method, ui.lf_layers, ui.component, ui.keep_name, ui.kept],
                      [ui.kept, ui.row_status, *ui.sliders], **private)
    ui.set_btn.click(kit.bind(ctx, h.direction_from_sets), [ui.model, ui.with_set, ui.without_set, ui.set_steps],
                     [ui.custom_dir, ui.set_status, ui.set_file], api_name=ctx.api_name("direction_from_sets"),
                     **heavy)
