"""The "Image translation" tab: a Pix2Pix sub-tab and a CycleGAN sub-tab, thin layers over ``ui_handlers``."""

from __future__ import annotations

from functools import partial

import gradio as gr

import hub.ui as kit
from plugins.image_translation.defaults import INTERFACE_CYCLEGAN, INTERFACE_PIX2PIX
from plugins.image_translation.ui_handlers import (DIRECTIONS, MODES, directions_of, heldout_examples, run_cyclegan,
                                                   run_pix2pix, sketch_examples)

__all__ = ["build", "run_pix2pix", "run_cyclegan", "MODES", "DIRECTIONS"]

LEAD = ("**Turn one kind of picture into another.** Draw a face and get an emoji, or redraw an emoji in another "
        "emoji font's style and back again.")
ABOUT = ("**Pix2Pix** learns from paired examples (here: line maps -> emoji): a U-Net generator with a PatchGAN "
         "discriminator and an L1 loss; dropout is its noise, so several outputs differ slightly. **CycleGAN** "
         "learns from two unpaired sets (here: Noto Color Emoji and Twemoji): G: X -> Y and F: Y -> X with LSGAN "
         "losses and a cycle loss |F(G(x)) - x| tying the two. Model cards in plugins/image_translation/weights/.")
PAPER = ("Isola et al., *Image-to-Image Translation with Conditional Adversarial Networks*, CVPR 2017; Zhu et al., "
         "*Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks*, ICCV 2017")


def _default(models: list[str]):
    return models[0] if models else None


def first_pix2pix(ctx, model_name: str, drawing):
    return run_pix2pix(ctx, MODES[1], None, drawing, model_name, 4, 0)


def first_cyclegan(ctx, model_name: str, image):
    return run_cyclegan(ctx, image, model_name, directions_of(model_name)[0])


def _pix2pix_tab(ctx, models: list[str]) -> None:
    sketches = sketch_examples()
    with gr.Row():
        with gr.Column(scale=1):
            mode = gr.Radio(list(MODES), value=MODES[0], label="Input")
            pad = gr.Sketchpad(label="Sketch: pick the brush on the left, draw black strokes (a face works best)",
                               type="pil", image_mode="RGBA", canvas_size=(384, 384), height=420, format="png",
                               brush=gr.Brush(default_size=10, colors=["#000000"], color_mode="fixed"))
            upload = gr.Image(label="Image (a line drawing, or any picture for its edges)", type="pil",
                              image_mode="RGBA", sources=["upload", "clipboard"], format="png", visible=False)
            model = gr.Dropdown(models, value=_default(models), label="Model")
            with gr.Row():
                n = gr.Slider(1, 8, value=4, step=1, label="Outputs (dropout noise samples)")
                seed = gr.Number(0, precision=0, minimum=0, label="Seed")
            go = gr.Button("Translate", variant="primary")
            gr.Examples([[MODES[1], s] for s in sketches], [mode, upload],
                        label="Script-drawn sketches (upload mode)", api_visibility="private")
        with gr.Column(scale=1):
            seen = gr.Image(label="Line map the model saw", type="pil", format="png", height=200)
            gallery = gr.Gallery(label="Outputs", columns=4, height=260, format="png")
            info = gr.Markdown()
    mode.change(lambda m: (gr.update(visible=m == MODES[0]), gr.update(visible=m != MODES[0])), mode, [pad, upload],
                api_visibility="private")
    go.click(kit.bind(ctx, run_pix2pix), [mode, pad, upload, model, n, seed], [seen, gallery, info],
             api_name=ctx.api_name("pix2pix"), concurrency_id=ctx.heavy_concurrency_id)
    if models and sketches:
        kit.first_view(partial(first_pix2pix, ctx, models[0], sketches[0]), [seen, gallery, info])


def _cyclegan_tab(ctx, models: list[str]) -> None:
    noto, twemoji = heldout_examples()
    with gr.Row():
        with gr.Column(scale=1):
            photo = gr.Image(noto[0] if noto else None, label="Image", type="pil", image_mode="RGBA",
                             sources=["upload", "clipboard"], format="png", height=260)
            model = gr.Dropdown(models, value=_default(models), label="Model")
            first = directions_of(_default(models))
            direction = gr.Radio(first, value=first[0], label="Direction")
            run = gr.Button("Translate", variant="primary")
        with gr.Column(scale=2):
            with gr.Row():
                slider = kit.before_after("Input (as the model saw it) / translation")
                rec = gr.Image(label="Cycle reconstruction (translated back)", type="pil", format="png")
            info = gr.Markdown()
    if noto:
        gr.Examples([[im, "noto2twemoji"] for im in noto] + [[im, "twemoji2noto"] for im in twemoji],
                    [photo, direction], label="Held-out emoji (Noto, then Twemoji)",
                    api_name=ctx.api_name("load_example"))
    model.change(lambda name: gr.update(choices=directions_of(name), value=directions_of(name)[0]), model,
                 direction, api_visibility="private")
    run.click(kit.bind(ctx, run_cyclegan), [photo, model, direction], [slider, rec, info],
              api_name=ctx.api_name("cyclegan"), concurrency_id=ctx.heavy_concurrency_id)
    if models and noto:
        kit.first_view(partial(first_cyclegan, ctx, models[0], noto[0]), [slider, rec, info])


def build(ctx) -> None:
    kit.intro(LEAD, ABOUT, PAPER)
    with gr.Tab("Pix2Pix: sketch -> emoji"):
        _pix2pix_tab(ctx, ctx.models_for(INTERFACE_PIX2PIX))
    with gr.Tab("CycleGAN: Noto <-> Twemoji"):
        _cyclegan_tab(ctx, ctx.models_for(INTERFACE_CYCLEGAN))
