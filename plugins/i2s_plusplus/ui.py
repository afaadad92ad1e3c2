"""The "Image2StyleGAN++ local edits" tab: layout and wiring over ``plugins.i2s_plusplus.api``.

Five sub-tabs (``ui_subtabs``, ``ui_local_subtabs``), each with its handler (``ui_handlers``,
``ui_local_handlers``), examples and a first view (``ui_first_views``). The tab keeps one latent file:
the session row puts a latent from another editing tab there, every edit starts from it when it edits
that latent's image, and writes its result back, so the result can be sent on.
"""

from __future__ import annotations

import functools

import gradio as gr

from hub.ui import intro, model_dropdown, session_row
from plugins.i2s_plusplus.ui_latent import latent_to_inputs
from plugins.i2s_plusplus import ui_local_subtabs as local
from plugins.i2s_plusplus import ui_subtabs as tabs

LEAD = ("**Edit part of a picture and let the generator make it whole again**: swap a mouth or the eyes between "
        "two faces without a seam, recolour a region with rough strokes, give a region another picture's "
        "texture, or copy a feature across. Outside what you paint, the picture stays as it was.")
ABOUT = (
    "Every edit embeds the picture in the generator's W+ space and optimises under a mask: masked W+ "
    "optimisation **W_l** (Adam, lr 0.01, MSE + VGG-16 perceptual loss, weights 1e-5, normalised here to 1), "
    "then masked noise optimisation **Mk_n** (lr 5), which restores the detail. *Reconstruction* is Algorithm 2 "
    "(W+ then noise, never jointly); *crossover* is Algorithm 3 (a blurred mask M_blur, W_l then Mk_n); "
    "*scribbles* move only the middle W+ rows (the paper's 4–6 of 18); *local style transfer* is **M_st** (the "
    "Gram matrix of VGG-16 conv3_3 inside the mask, weight 5e-7); *feature transfer* is the activation-tensor "
    "operation **I_att** at an early synthesis layer (the paper's layer 4 of 18: spatial copy, averaging or "
    "channel-wise copy).\n\n"
    "Scaled to this model: W+ rows and layers proportionally from the paper's 18; step counts divided by 10 "
    "for crossover, scribbles and local style, by 20 for reconstruction, so that each edit takes about a minute "
    "on a shared CPU. The *Paper* step preset under Advanced restores the published counts. Inpainting has its "
    "own tab.")
PAPER = ("Abdal, Qin, Wonka, *Image2StyleGAN++: How to Edit the Embedded Images?*, CVPR 2020, "
         "[arXiv:1911.11544](https://arxiv.org/abs/1911.11544)")


def build(ctx) -> None:
    intro(LEAD, ABOUT, PAPER)
    model = model_dropdown(ctx)
    latent = gr.File(label="Latent (.safetensors): edits of its image start from it; results are written here",
                     file_types=[".safetensors"], type="filepath", height=90)
    session_row(model, latent, "Image2StyleGAN++")
    with gr.Tab("Crossover"):
        crossover_a = tabs.crossover_tab(ctx, model, latent)
    with gr.Tab("Scribbles"):
        scribble_photo = local.scribbles_tab(ctx, model, latent)
    with gr.Tab("Local style transfer"):
        style_image = local.local_style_tab(ctx, model, latent)
    with gr.Tab("Feature transfer"):
        feature_image = local.feature_transfer_tab(ctx, model, latent)
    with gr.Tab("Reconstruction"):
        photo = tabs.reconstruct_tab(ctx, model, latent)
    images, editors = [photo, crossover_a, feature_image], [scribble_photo, style_image]
    latent.change(functools.partial(latent_to_inputs, ctx, n_images=len(images), n_editors=len(editors)),
                  [model, latent], images + editors, api_visibility="private", show_progress="hidden")
