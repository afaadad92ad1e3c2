"""The Image2StyleGAN++ tab's local-edit handlers (scribbles, local style transfer, feature transfer), as
``ui_handlers``: the context first, the tab's inputs described in ``Args:``, an optional latent to start from."""

from __future__ import annotations

import gradio as gr

from hub.ui import editor_mask, finished, need, parse_indices, png, related_model, show, start_from, stream, with_before
from plugins.i2s_plusplus.defaults import APP_STEPS, EMBED_STEPS, SCRIBBLE_NOISE_STEPS
from plugins.i2s_plusplus.ui_handlers import _api, edit_outputs


def scribbles(ctx, model: str, photo, rows: str = "", embed_steps: float = EMBED_STEPS, w_steps: float = APP_STEPS,
              noise_steps: float = SCRIBBLE_NOISE_STEPS, mse_outside: float = 1.0, mse_strokes: float = 1.0, perceptual: float = 1.0,
              noise_lr: float = 5.0, seed: float = 0, latent: str | None = None, progress=gr.Progress()):
    """Repaint part of a photo from rough colour strokes: the generator redraws it as a plausible image.

    Args:
        model: name of a registered LatentGenerator (e.g. stylegan2-emoji64).
        photo: image editor value: the photo with colour strokes painted on its layer.
        rows: W+ rows that move, e.g. "2-3" (empty: the paper's middle rows 4-6 of 18, scaled).
        embed_steps: steps that first embed the photo (skipped when starting from latent).
        w_steps: latent steps towards the strokes (paper 1000).
        noise_steps: noise map steps (paper 1000).
        mse_outside: weight of the pixel loss to the photo outside the strokes.
        mse_strokes: weight of the pixel loss to the stroke colours.
        perceptual: weight of the perceptual loss outside the strokes.
        noise_lr: Adam learning rate of the noise maps (paper 5).
        seed: random seed.
        latent: optional latent file (.safetensors) of the photo: the edit starts from it, without embedding.
    """
    from hub.images import scribbles_from_editor

    if photo is None or (isinstance(photo, dict) and photo.get("background") is None):
        raise gr.Error("Upload a photo into the editor first.")
    bg, colours, strokes = scribbles_from_editor(photo, what="photo")
    if float(strokes.max()) <= 0:
        raise gr.Error("Paint at least one colour stroke on the photo.")
    G, start, bg = start_from(ctx, model, latent, bg, "a photo")
    gen = _api().scribble_edit(G, bg, colours, strokes, rows=parse_indices(rows, G.num_ws, "W+ rows"),
                               embed_steps=int(embed_steps), w_steps=int(w_steps), noise_steps=int(noise_steps),
                               mse=float(mse_outside), mse2=float(mse_strokes), perceptual=float(perceptual),
                               noise_lr=float(noise_lr), seed=int(seed or 0), init_latent=start,
                               encoder=related_model(ctx, model, "encoder"))
    yield from with_before(show(bg), stream(gen, progress, lambda res: edit_outputs(
        G, model, bg, res, "scribble_edit", f"W+ rows {list(res.extras['rows'])} moved"), 2))


def local_style(ctx, model: str, image_1, style_image, style_weight: float = 0.05, rows: str = "",
                embed_steps: float = EMBED_STEPS, w_steps: float = APP_STEPS, noise_steps: float = APP_STEPS,
                mse_outside: float = 1.0,
                perceptual: float = 1.0, noise_lr: float = 5.0, seed: float = 0, latent: str | None = None,
                progress=gr.Progress()):
    """Give a painted region of an image the colours and texture of another image; the rest stays.

    Args:
        model: name of a registered LatentGenerator (e.g. stylegan2-emoji64).
        image_1: image editor value: the image, with the region to restyle painted on its layer.
        style_image: the image whose style (VGG-16 conv3_3 Gram matrix) the region takes.
        style_weight: weight of the style loss (paper 5e-7 beside MSE 1e-5, normalised: 0.05).
        rows: W+ rows that move, e.g. "0-4" (empty: all).
        embed_steps: steps that first embed image 1 (skipped when starting from latent).
        w_steps: steps of the masked style optimisation M_st (paper 1000).
        noise_steps: noise map steps (paper 1000).
        mse_outside: weight of the pixel loss to image 1 outside the region.
        perceptual: weight of the perceptual loss outside the region.
        noise_lr: Adam learning rate of the noise maps (paper 5).
        seed: random seed.
        latent: optional latent file (.safetensors) of image 1: the edit starts from it, without embedding.
    """
    bg, mask = editor_mask(image_1, "image 1")
    G, start, bg = start_from(ctx, model, latent, bg, "image 1")
    gen = _api().local_style(G, bg, need(style_image, "the style image"), mask,
                             rows=parse_indices(rows, G.num_ws, "W+ rows"), embed_steps=int(embed_steps),
                             w_steps=int(w_steps), noise_steps=int(noise_steps), style_weight=float(style_weight),
                             mse=float(mse_outside), perceptual=float(perceptual), noise_lr=float(noise_lr),
                             seed=int(seed or 0), init_latent=start, encoder=related_model(ctx, model, "encoder"))
    yield from with_before(show(bg), stream(gen, progress, lambda res: edit_outputs(
        G, model, bg, res, "local_style", "the region took the style image's texture"), 2))


def feature_transfer(ctx, model: str, image_1=None, image_2=None, layer: float | None = None, mode: str = "spatial",
                     alpha: float = 0.5, channels: str = "", embed_steps: float = EMBED_STEPS, noise_steps: float = 0,
                     seed: float = 0, latent: str | None = None, progress=gr.Progress()):
    """Copy a feature (a mouth, eyes, hair) from a painted region of image 2 into image 1.

    Args:
        model: name of a registered LatentGenerator (e.g. stylegan2-emoji64).
        image_1: the base image (may be empty when latent is given: its image is used).
        image_2: image editor value: image 2, with the region whose features to copy painted on its layer.
        layer: synthesis layer whose activations are copied (empty: the paper's layer 4 of 18, scaled).
        mode: spatial (copy under the mask, the paper's best), average (blend by alpha) or channel.
        alpha: image 1's share when mode is average.
        channels: channels to copy when mode is channel, e.g. "0-63".
        embed_steps: W+ steps that embed the images (both in one batch).
        noise_steps: noise map steps per image after the embedding.
        seed: random seed.
        latent: optional latent file (.safetensors) of image 1: its embedding is skipped.
    """
    from hub.images import to_pil

    bg, mask = editor_mask(image_2, "image 2")
    G, start, img1 = start_from(ctx, model, latent, image_1, "image 1")
    if layer not in (None, "") and not 0 <= int(layer) < G.num_layers:
        raise gr.Error(f"Layer {int(layer)} does not exist: this generator has layers 0-{G.num_layers - 1}.")
    chosen = parse_indices(channels, 4096, "Channels") if mode == "channel" else None
    if mode == "channel" and not chosen:
        raise gr.Error("Channel-wise copy needs channels, e.g. 0-63.")
    gen = _api().feature_transfer(G, img1, bg, mask, layer=None if layer in (None, "") else int(layer), mode=mode,
                                  alpha=float(alpha), channels=chosen, embed_steps=int(embed_steps),
                                  noise_steps=int(noise_steps), seed=int(seed or 0), latent_1=start)

    def finish(res):
        note = finished(res, f"activations copied at layer {res.extras['layer']} "
                             f"({G.layer_resolutions[res.extras['layer']]} px)")
        return ((show(img1), show(res.pil)), note, png(res.pil, "feature_transfer"),
                show(to_pil(res.extras["image_1"]), 128), show(to_pil(res.extras["image_2"]), 128))

    yield from with_before(show(img1), stream(gen, progress, finish, 3))
