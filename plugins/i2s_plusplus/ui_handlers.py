"""The Image2StyleGAN++ tab's handlers (reconstruction, crossover, the latent's image): module-level functions
over ``plugins.i2s_plusplus.api``; the local edits' handlers are in ``ui_local_handlers``.

Each public handler's first parameter is the tab's context (bound by ``ui.py``); the others are the tab's
inputs, described in its ``Args:`` block (the API page and the MCP tool read these). An edit starts from
the tab's latent file when one is set (from the session row, or uploaded: a latent of the image being
edited, so its embedding is skipped) and writes the edited latent back, so it can be sent on.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from hub.ui import (editor_mask, finished, generator, need, png, related_model, show, start_from, stream, with_before,
                    write_edit)
from hub.ui import editor_value  # noqa: F401  (the sub-tabs' examples use h.editor_value)
from plugins.i2s_plusplus import defaults
from plugins.i2s_plusplus.ui_latent import TAB

EXAMPLES = Path(__file__).parent / "examples"


def _api():
    """The torch-backed API, imported at the first event (building the tab must not import torch)."""
    from plugins.i2s_plusplus import api

    return api


def example(name: str) -> str:
    return str(EXAMPLES / name)


def edit_outputs(G, model: str, before, res, name: str, note: str, tab: str = TAB) -> tuple:
    """(before/after pair, status, PNG file, latent file) of an application's result."""
    return ((show(before), show(res.pil)), finished(res, note), png(res.pil, name),
            write_edit(G, res, model, name, tab=tab))


def reconstruct(ctx, model: str, image, w_steps: float = defaults.RECONSTRUCT_W_STEPS,
                noise_steps: float = defaults.RECONSTRUCT_NOISE_STEPS, perceptual: float = 1.0,
                start: str = "encoder", seed: float = 0, progress=gr.Progress()):
    """Rebuild a photo as closely as the generator can: its latent code first, then the fine detail.

    Args:
        model: name of a registered LatentGenerator (e.g. stylegan2-emoji64).
        image: the photo to reconstruct (centre-cropped to a square, resized to the generator's size).
        w_steps: latent (W+) optimisation steps (paper 5000).
        noise_steps: noise map optimisation steps, after the latent (paper 3000).
        perceptual: weight of the VGG-16 perceptual loss beside the pixel MSE (paper 1e-5 each, normalised to 1).
        start: where the latent starts: w_avg (the mean face, the paper's), random, or encoder (the model's encoder's guess, when it has one).
        seed: random seed (for start = random).
    """
    G = generator(ctx, model)
    img = need(image, "an image")
    encoder = related_model(ctx, model, "encoder") if start == "encoder" else None
    init = "w_avg" if start == "encoder" and encoder is None else start  # a model without an encoder: the paper's
    gen = _api().reconstruct(G, img, w_steps=int(w_steps), noise_steps=int(noise_steps), perceptual=float(perceptual),
                             init=init, seed=int(seed or 0), encoder=encoder)
    note = "PSNR to the photo **{:.2f} dB**"
    yield from with_before(show(img), stream(gen, progress, lambda res: edit_outputs(
        G, model, img, res, "reconstruction", note.format(res.extras["psnr"])), 2))


def crossover(ctx, model: str, image_a=None, image_b=None, w_steps: float = defaults.CROSSOVER_STEPS,
              noise_steps: float = defaults.CROSSOVER_STEPS, blur_sigma: float | None = None,
              mse_a: float = 1.0, mse_b: float = 1.0, perceptual: float = 1.0, noise_lr: float = 5.0,
              seed: float = 0, latent: str | None = None, progress=gr.Progress()):
    """Put a painted region of image B into image A without a visible seam.

    Args:
        model: name of a registered LatentGenerator (e.g. stylegan2-emoji64).
        image_a: the image that receives the region (may be empty when latent is given: its image is used).
        image_b: image editor value of image B; the painted layer is the region to take.
        w_steps: latent (W+) steps of the masked optimisation W_l (paper 1000).
        noise_steps: noise map steps of the masked noise optimisation Mk_n (paper 1000).
        blur_sigma: blur of the region's edge in pixels (empty: resolution / 32).
        mse_a: weight of the pixel loss to A outside the region.
        mse_b: weight of the pixel loss to B inside the region.
        perceptual: weight of the perceptual loss to A outside the region.
        noise_lr: Adam learning rate of the noise maps (paper 5).
        seed: random seed.
        latent: optional latent file (.safetensors) of image A to start from (else the encoder's guess of A, or the mean face).
    """
    G, start, a_img = start_from(ctx, model, latent, image_a, "image A")
    b_img, mask = editor_mask(image_b, "image B")
    api = _api()
    gen = api.crossover(G, a_img, b_img, mask, w_steps=int(w_steps), noise_steps=int(noise_steps),
                        sigma=None if blur_sigma in (None, "") else float(blur_sigma), mse=float(mse_a),
                        mse2=float(mse_b), perceptual=float(perceptual), noise_lr=float(noise_lr),
                        seed=int(seed or 0), init_latent=start,
                        encoder=None if start is not None else related_model(ctx, model, "encoder"))

    def finish(res):
        from hub.images import to_pil

        paste = api.naive_paste(api.image_tensor(G, a_img), api.image_tensor(G, b_img), res.extras["mask"])
        note = (f"seam gradient energy **{api.seam_energy(res.image, res.extras['mask']):.4f}** "
                f"(hard paste {api.seam_energy(paste, res.extras['mask']):.4f})")
        return (*edit_outputs(G, model, a_img, res, "crossover", note), show(to_pil(paste)))

    yield from with_before(show(a_img), stream(gen, progress, finish, 3))
