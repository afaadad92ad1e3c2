"""The Inpainting tab's handlers: module-level functions over ``plugins.inpainting.api``.

Each public handler's first parameter is the tab's context (bound by ``ui.py``); the others are the tab's
inputs, described in its ``Args:`` block (the API page and the MCP tool read these). The hole is what is
painted on the editor's layer; with nothing painted, the transparent pixels enclosed by the picture (never
the transparent background around an emoji). A fill starts from the tab's latent file when the picture is
that latent's image, and writes the filled latent back, so it can be sent on.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np

from hub.ui import (finished, latent_to_inputs, parse_indices, png, related_model, show, start_from, stream, with_before,
                    write_edit)
from plugins.inpainting import defaults

EXAMPLES = Path(__file__).parent / "examples"
START_ENCODER = "encoder of the Telea-filled image"
START_W_AVG = "w_avg (paper)"
HOLE_COLOUR = (255, 0, 255)
TAB = "inpainting"


def _api():
    """The torch-backed API, imported at the first event (building the tab must not import torch)."""
    from plugins.inpainting import api

    return api


def read(ctx, model: str, image, latent: str | None = None):
    """(generator, latent to start from or None, the picture, hole [H,W]) of the editor value ``image``."""
    if image is None or (isinstance(image, dict) and image.get("background") is None):
        raise gr.Error("Upload an image into the editor first.")
    img, hole = _api().hole_from_editor(image)
    if float(hole.max()) < 0.5:
        raise gr.Error("No hole: paint over the region to fill (or upload a PNG with a transparent hole in it).")
    if img.width != img.height:
        raise gr.Error(f"The image is {img.width}x{img.height}; crop it to a square (the generator is square).")
    G, start, img = start_from(ctx, model, latent, img, "an image")
    return G, start, img, hole


def marked(img, hole):
    """The picture with its hole painted in magenta: the "before" of the before/after slider."""
    from PIL import Image

    arr = np.asarray(img.convert("RGB")).copy()
    arr[np.asarray(hole) >= 0.5] = HOLE_COLOUR
    return Image.fromarray(arr, "RGB")


def options(G, rows: str, grow, blur_sigma, mse, perceptual, mse_hole, noise_lr, w_steps, noise_steps) -> dict:
    return dict(rows=parse_indices(rows, G.num_ws, "W+ rows"), grow=None if grow in (None, "") else int(grow),
                sigma=None if blur_sigma in (None, "") else float(blur_sigma), mse=float(mse),
                perceptual=float(perceptual), mse2=float(mse_hole), noise_lr=float(noise_lr), w_steps=int(w_steps),
                noise_steps=int(noise_steps))


#: The settings both actions share, in their Args: blocks (``with_fill_args``).
FILL_ARGS = """        model: name of a registered LatentGenerator (e.g. stylegan2-emoji64).
        image: image editor value: the picture with the hole painted on its layer (or a PNG whose hole is transparent).
        w_steps: latent steps of the masked optimisation W_l (paper 200).
        noise_steps: noise map steps of Mk_n (paper 1000).
        rows: W+ rows that move, e.g. "0-4, 8-9" (empty: the paper's 1-9 and 17-18 of 18, scaled).
        grow: pixels the hole grows by for the loss mask (empty: resolution / 32).
        blur_sigma: blur of the grown hole's edge in pixels (empty: resolution / 32).
        mse: weight of the pixel loss on the known pixels.
        perceptual: weight of the perceptual loss on the known pixels.
        mse_hole: weight that keeps the hole near the latent stage's fill in the noise stage (paper 1e-4, normalised 10).
        noise_lr: Adam learning rate of the noise maps (paper 5)."""


def with_fill_args(fn):
    """``fn`` with ``FILL_ARGS`` in place of the ``{fill_args}`` line of its docstring (the API / MCP description)."""
    fn.__doc__ = fn.__doc__.replace("{fill_args}", FILL_ARGS)
    return fn


@with_fill_args
def inpaint(ctx, model: str, image, w_steps: float = defaults.W_STEPS, noise_steps: float = defaults.NOISE_STEPS,
            rows: str = "", grow: float | None = None, blur_sigma: float | None = None, mse: float = 1.0,
            perceptual: float = 1.0, mse_hole: float = defaults.MSE2_WEIGHT, noise_lr: float = 5.0,
            baseline: str = "telea", seed: float = 0, start: str = START_ENCODER, latent: str | None = None,
            progress=gr.Progress()):
    """Fill a hole in a picture with what the generator would draw there; the rest stays exactly as it was.

    Args:
{fill_args}
        baseline: classical fill shown beside it: telea or ns (OpenCV).
        seed: random seed.
        start: where the latent starts: "encoder of the Telea-filled image" or "w_avg (paper)".
        latent: optional latent file (.safetensors) of this picture to start from (used when the picture is its image).
    """
    G, first, img, hole = read(ctx, model, image, latent)
    encoder = related_model(ctx, model, "encoder") if start != START_W_AVG and first is None else None
    start_note = "start: the latent file" if first is not None else \
        "start: En(Telea fill)" if encoder is not None else "start: w_avg"
    try:
        classical = _api().classical_inpaint(img, hole, baseline)
    except ValueError as exc:
        raise gr.Error(str(exc)) from None
    gen = _api().inpaint(G, img, hole, seed=int(seed or 0), encoder=encoder, init_latent=first,
                         **options(G, rows, grow, blur_sigma, mse, perceptual, mse_hole, noise_lr, w_steps, noise_steps))
    before = show(marked(img, hole))

    def finish(res):
        comp = res.extras["composite"]
        note = finished(res, f"{int((hole >= 0.5).sum())} hole pixels filled; the rest is the input's · {start_note}")
        return (before, show(comp)), note, show(classical), png(comp, "inpainted"), write_edit(G, res, model, "inpainted", tab=TAB)

    yield (before, before), "running…", show(classical), gr.update(), gr.update()
    yield from with_before(before, stream(gen, progress, finish, 3))


@with_fill_args
def variations(ctx, model: str, image, w_steps: float = defaults.W_STEPS, noise_steps: float = defaults.NOISE_STEPS,
               rows: str = "", grow: float | None = None, blur_sigma: float | None = None, mse: float = 1.0,
               perceptual: float = 1.0, mse_hole: float = defaults.MSE2_WEIGHT, noise_lr: float = 5.0,
               count: float = defaults.VARIATIONS, init_range: float = defaults.INIT_RANGE, seed: float = 0,
               progress=gr.Progress()):
    """Fill the hole several ways at once, each fill from a different random start.

    Args:
{fill_args}
        count: how many fills (optimised together as one batch).
        init_range: each fill starts at w_avg + U[-r, r] (paper r = 0.4).
        seed: random seed of the starts.
    """
    G, _, img, hole = read(ctx, model, image)
    gen = _api().variations_stream(G, img, hole, int(count), init_range=float(init_range), seed=int(seed or 0),
                                   **options(G, rows, grow, blur_sigma, mse, perceptual, mse_hole, noise_lr, w_steps,
                                             noise_steps))
    before = show(marked(img, hole))

    def finish(results):
        fills = [show(r.extras["composite"], 128) for r in results]
        note = finished(results[0], f"{len(fills)} fills from w_avg + U[-{init_range}, {init_range}]")
        return (before, show(results[0].extras["composite"])), note, fills

    yield from with_before(before, stream(gen, progress, finish, 1))


def latent_to_editor(ctx, model: str, latent: str | None):
    """The latent's image into the editor (the session row's latent, or a fill: paint the next hole on it)."""
    return latent_to_inputs(ctx, model, latent, 0, 1, tab=TAB)[0]
