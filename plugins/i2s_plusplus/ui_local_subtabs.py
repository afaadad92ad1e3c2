"""The Image2StyleGAN++ tab's local-edit sub-tabs: scribbles, local style transfer, feature transfer."""

from __future__ import annotations

import functools

import gradio as gr

from hub.ui import editor_value, steps_slider
from plugins.i2s_plusplus import defaults
from plugins.i2s_plusplus import ui_first_views as fv
from plugins.i2s_plusplus import ui_local_handlers as lh
from plugins.i2s_plusplus.ui_handlers import example
from plugins.i2s_plusplus.ui_subtabs import PALETTE, buttons, editor, image, results, steps, weights, wire

EMBED_LABEL = "Embedding steps (from the encoder when the model has one; paper: not given)"


def scribbles_tab(ctx, model, latent):
    gr.Markdown("Paint rough colour strokes on a photo; the generator redraws that part so it still looks like a "
                "real image (only the middle layers of its code move, then the fine detail is restored).")
    with gr.Row():
        with gr.Column():
            photo = editor("Photo: paint colour strokes", PALETTE)
            with gr.Accordion("Advanced", open=False):
                rows = gr.Textbox("", label="W+ rows that move (empty: the paper's 4–6 of 18, scaled)")
                e, w, n = steps("scribbles", [defaults.EMBED_STEPS, defaults.APP_STEPS, defaults.SCRIBBLE_NOISE_STEPS],
                                [EMBED_LABEL, "Latent steps, W_l", "Noise steps, Mk_n"])
                mse, mse2, p, nlr, seed = weights(("Pixel loss to the photo outside the strokes", 1.0),
                                                  ("Pixel loss to the stroke colours", 1.0),
                                                  ("Perceptual loss outside the strokes", 1.0))
            go, stop = buttons("Edit")
        out = results()
    wire(ctx, go, stop, "scribbles", lh.scribbles, [model, photo, rows, e, w, n, mse, mse2, p, nlr, seed, latent],
         out, latent, functools.partial(fv.scribbles, ctx, model.value),
         [[editor_value(example("face_b.png"), example("face_b_cheeks_layer.png"))]])
    return photo


def local_style_tab(ctx, model, latent):
    gr.Markdown("Paint on **image 1** the region to restyle; it takes the colours and texture of **image 2**, "
                "and the rest of image 1 stays as it is.")
    with gr.Row():
        with gr.Column():
            first = editor("Image 1: paint the region to restyle")
            style = image("Image 2 (style)")
            with gr.Accordion("Advanced", open=False):
                sw = gr.Number(0.05, label="Style weight (paper 5e-7 beside MSE 1e-5, normalised: 0.05)")
                rows = gr.Textbox("", label="W+ rows that move (empty: all)")
                e, w, n = steps("local_style", [defaults.EMBED_STEPS, defaults.APP_STEPS, defaults.APP_STEPS],
                                [EMBED_LABEL, "Style steps, M_st", "Noise steps, Mk_n"])
                mse, p, nlr, seed = weights(("Pixel loss to image 1 outside the region", 1.0),
                                            ("Perceptual loss outside the region", 1.0))
            go, stop = buttons("Transfer style")
        out = results()
    wire(ctx, go, stop, "local_style", lh.local_style, [model, first, style, sw, rows, e, w, n, mse, p, nlr, seed, latent],
         out, latent, functools.partial(fv.local_style, ctx, model.value),
         [[editor_value(example("face_b.png"), example("face_d_forehead_layer.png")), example("face_d.png")]])
    return first


def feature_transfer_tab(ctx, model, latent):
    gr.Markdown("Paint a feature on **image 2** (its mouth, its eyes): the generator draws **image 1** again "
                "with that feature copied in, at the level of its internal features rather than pixels.")
    with gr.Row():
        with gr.Column():
            first = image("Image 1 (base)")
            second = editor("Image 2: paint the feature to copy")
            with gr.Accordion("Advanced", open=False):
                layer = gr.Number(None, precision=0, label="Synthesis layer (empty: the paper's 4 of 18, scaled)")
                mode = gr.Radio(["spatial", "average", "channel"], value="spatial",
                                label="Operation (spatial copy is the paper's best)")
                alpha = gr.Slider(0, 1, value=0.5, step=0.05, label="Averaging: image 1's share")
                ch = gr.Textbox("", label="Channels for channel-wise copy (e.g. 0-63)")
                e = steps_slider(defaults.EMBED_STEPS, "Embedding steps (both images in one batch)")
                n = steps_slider(0, "Noise steps per image")
                seed = gr.Number(0, precision=0, label="Seed")
            go, stop = buttons("Transfer features")
        out = results("Image 1 embedded", "Image 2 embedded")
    wire(ctx, go, stop, "feature_transfer", lh.feature_transfer,
         [model, first, second, layer, mode, alpha, ch, e, n, seed, latent], out, None,
         functools.partial(fv.feature_transfer, ctx, model.value),
         [[example("face_b.png"), editor_value(example("face_c.png"), example("face_c_mouth_layer.png"))]])
    return first
