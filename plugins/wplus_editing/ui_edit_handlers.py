"""The W+ editing tab's edit handlers (morph, mixing, transfer, truncation, scribbles): module-level
functions over ``plugins.wplus_editing.api``, wired by ``ui_edits.py``.

As in ``ui_handlers``: the first parameter is the tab's context, the others are described in each
``Args:`` block. Slot A is the latent being edited: a PTI latent renders through its tuned generator
(``hub.ui.open_latent``), and the edited latent keeps the delta (``hub.ui.write_edit``).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from hub.ui import PREVIEW_SIZE, load_slot, open_latent, parse_rows, related_model, show, user_error, write_edit
from hub.ui import generator as get_generator
from plugins.wplus_editing.ui_handlers import _api, _render


def morph(ctx, model: str, latent_a: str, latent_b: str, t: float = 0.5):
    """The image at t on the straight line from latent A to latent B.

    Args:
        model: name of a registered LatentGenerator.
        latent_a: latent file of slot A.
        latent_b: latent file of slot B.
        t: position between A (0) and B (1).
    """
    G = get_generator(ctx, model)
    a, G_a = open_latent(G, latent_a, "A")
    return show(_api().morph(G_a, a, load_slot(G, latent_b, "B"), float(t)))


def morph_gif(ctx, model: str, latent_a: str, latent_b: str, frames: float = 16):
    """An animated GIF morphing A into B and back.

    Args:
        model: name of a registered LatentGenerator.
        latent_a: latent file of slot A.
        latent_b: latent file of slot B.
        frames: frames from A to B (2-48).
    """
    G = get_generator(ctx, model)
    a, G_a = open_latent(G, latent_a, "A")
    fr = _api().morph_frames(G_a, a, load_slot(G, latent_b, "B"), int(frames), bounce=True)
    path = _api().save_gif(fr, scale=max(1, PREVIEW_SIZE // fr[0].width))
    return path, path


def mix(ctx, model: str, latent_a: str, latent_b: str, group: str = "fine", rows: str = ""):
    """Style mixing: A with some of B's W+ rows.

    Args:
        model: name of a registered LatentGenerator.
        latent_a: latent file of slot A (the base).
        latent_b: latent file of slot B (gives the rows).
        group: coarse (pose, shape), middle (features) or fine (colours, texture) rows from B.
        rows: optional explicit rows such as "0-3, 8", overriding group.
    """
    G = get_generator(ctx, model)
    a, G_a = open_latent(G, latent_a, "A")
    layers = parse_rows(rows, G) if (rows or "").strip() else group
    out = _api().mix(G, a, load_slot(G, latent_b, "B"), layers)
    return (_render(G_a, a), _render(G_a, out)), write_edit(G_a, out, model, "mixed")


def transfer(ctx, model: str, latent_a: str, latent_b: str, latent_c: str, lam: float = 1.0, rows: str = ""):
    """Attribute transfer A + λ (C − B): the change from B to C applied to A.

    Args:
        model: name of a registered LatentGenerator.
        latent_a: latent file of slot A (receives the change).
        latent_b: latent file of slot B (before the change, e.g. neutral).
        latent_c: latent file of slot C (after the change, e.g. smiling).
        lam: strength λ of the change.
        rows: W+ rows the change applies to ("" = all; "coarse", "0-4, 8").
    """
    G = get_generator(ctx, model)
    a, G_a = open_latent(G, latent_a, "A")
    out = _api().transfer(a, load_slot(G, latent_b, "B"), load_slot(G, latent_c, "C"), float(lam),
                          parse_rows(rows, G))
    return (_render(G_a, a), _render(G_a, out)), write_edit(G_a, out, model, "transfer")


def truncate(ctx, model: str, latent_a: str, psi: float = 0.7):
    """Truncation: pull A towards the generator's mean face.

    Args:
        model: name of a registered LatentGenerator.
        latent_a: latent file of slot A.
        psi: 1 keeps A, 0 gives the mean face, negative values go past it.
    """
    G = get_generator(ctx, model)
    a, G_a = open_latent(G, latent_a, "A")
    out = _api().truncate(G, a, float(psi))
    return (_render(G_a, a), _render(G_a, out)), write_edit(G_a, out, model, "truncated")


def load_canvas(ctx, model: str, latent_a: str):
    """A's image, enlarged, as the painting canvas (private: wiring only)."""
    G = get_generator(ctx, model)
    a, G_a = open_latent(G, latent_a, "A")
    return show(_api().render_pil(G_a, a), 320)


def scribble_edit(ctx, model: str, latent_a: str, canvas: Any, steps: float = 200, lr: float = 0.01,
                  lambda_latent: float = 0.1, lambda_realism: float = 0.0, preserve: float = 0.0, rows: str = ""):
    """Paint colour strokes on A's image; the latent moves until the image takes their colours (iGAN).

    Args:
        model: name of a registered LatentGenerator.
        latent_a: latent file of slot A (the start).
        canvas: the painted canvas (A's image with colour strokes).
        steps: optimisation steps.
        lr: Adam learning rate.
        lambda_latent: λ₁, weight of the pull towards A's latent.
        lambda_realism: λ₂, weight of the discriminator's realism score (needs the model's discriminator).
        preserve: weight of keeping the image outside the strokes unchanged.
        rows: W+ rows that may move ("" = all; "middle" = Image2StyleGAN++'s rows 4-6 of 18).
    """
    from hub.images import scribbles_from_editor, to_pil

    G = get_generator(ctx, model)
    start, G_a = open_latent(G, latent_a, "A")
    _, colours, mask = scribbles_from_editor(canvas, what="canvas")
    target, m = downsample_strokes(colours, mask, int(G.resolution))
    disc = related_model(ctx, model, "discriminator") if float(lambda_realism) else None
    if float(lambda_realism) and disc is None:
        raise gr.Error(f"{model} has no discriminator available; set λ₂ to 0.")
    try:
        run = _api().constrained_edit(G_a, start, target, m, steps=int(steps), lr=float(lr),
                                      lam_latent=float(lambda_latent), lam_realism=float(lambda_realism),
                                      discriminator=disc, layers=parse_rows(rows, G), preserve=float(preserve))
    except ValueError as exc:
        raise user_error(exc) from None
    try:
        for step, im, losses in run:
            yield show(to_pil(im)), f"step {step}/{int(steps)} · stroke MSE {losses.get('mse', 0):.4f}", None
    finally:
        run.close()
    res = run.result
    if res is None:
        yield gr.update(), "Stopped before any result.", None
        return
    yield show(to_pil(res.image)), "done" if res.completed else "stopped", write_edit(G_a, res, model, "igan_edit")


def downsample_strokes(colours, mask, size: int):
    """Canvas strokes -> (colour target [1,3,size,size] in [-1,1], mask [size,size]) by area averaging,
    colours premultiplied by the mask so that stroke edges keep their colour."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    m = torch.from_numpy(np.asarray(mask, np.float32))[None, None]
    c = torch.from_numpy(np.asarray(colours, np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
    m_small = F.interpolate(m, size=(size, size), mode="area")
    c_small = F.interpolate(c * m, size=(size, size), mode="area") / m_small.clamp_min(1e-6)
    if float(m_small.max()) <= 0:
        raise gr.Error("Paint at least one stroke on the canvas.")
    return c_small.clamp(-1, 1), m_small[0, 0].numpy()
