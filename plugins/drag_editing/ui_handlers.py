"""The Drag tab's handlers: module-level functions over ``plugins.drag_editing.api``.

The first parameter of each public handler is the tab's context (bound by ``ui.py``); the others are
described in its ``Args:`` block (the API page and the MCP tool read these). The image being dragged
lives in two places: a ``gr.State`` (the latent, with the generator to render it: a PTI latent's tuned
one) for the clicks, and a latent file, which the session sends to the other editing tabs and which
any tab's latent file replaces. Points are text, "x,y -> x,y; ..." in model pixels, so that examples
and API callers can give them; clicks on the image write that text.
"""

from __future__ import annotations

import math
from typing import Any

import gradio as gr

from hub import INTERFACE_LATENT_GENERATOR
from hub.ui import PREVIEW_SIZE, open_latent, show, user_error, write_edit, write_latent

#: the example the tab opens with: a sample, one handle dragged to its target for a few steps; the
#: points as fractions of the image side (22,40 -> 22,46 at 64 px: a leg of seed 15's figure, down)
FIRST_VIEW = dict(seed=15, points=((0.35, 0.635), (0.35, 0.73)), radius=10, max_steps=30)


def _api():
    from plugins.drag_editing import api

    return api


def scale_of(size: int) -> int:
    """How many screen pixels one model pixel takes in the canvas (nearest neighbour)."""
    return max(1, PREVIEW_SIZE // int(size))


def parse_points_text(text: str | None) -> list[tuple[float, float]]:
    """``api.points_from_text`` with a plain sentence for text it cannot read."""
    try:
        return _api().points_from_text(text)
    except ValueError as exc:
        raise user_error(exc) from None


def _current(ctx, model: str, seed: Any, latent_file: str | None) -> dict:
    """{"ws", "noise", "generator"}: the latent of ``latent_file`` (with its tuned generator for PTI) or the sample of ``seed``."""
    if model not in ctx.models_for(INTERFACE_LATENT_GENERATOR):
        raise gr.Error(f"Unknown model {model!r}.")
    G = ctx.get_model(model)
    if latent_file:
        latent, G_used = open_latent(G, latent_file, "to drag")
        noise = None if latent["noise"] is None else [n[:1] for n in latent["noise"]]
        return {"ws": latent["ws"][:1], "noise": noise, "generator": G_used}
    if seed is None or not math.isfinite(seed) or not 0 <= seed < 2 ** 31:
        raise gr.Error("Seed must be a whole number between 0 and 2147483647.")
    return dict(_api().sample(G, int(seed)), generator=G)


def _preview(image, points):
    h, t = _api().parse_points(points)
    if len(points) % 2:
        h = h + [points[-1]]
    return _api().preview(image, h, t, scale_of(image.shape[-1]))


def new_image(ctx, model: str, seed: float = 15, latent_file: str | None = None):
    """Draw a sample (or load a latent file) to drag, and clear the points.

    Args:
        model: name of a registered LatentGenerator.
        seed: integer seed of the sample, 0..2**31-1 (ignored when a latent file is given).
        latent_file: optional GAN Hub latent (.safetensors), e.g. from another editing tab; a PTI file
            also brings its tuned generator.
    """
    latent = _current(ctx, model, seed, latent_file)
    img = _api().render(latent["generator"], latent)
    path = latent_file or write_latent(latent["generator"], latent, model, f"sample_{int(seed)}")
    return latent, "", _preview(img, []), img, path


def load_file(ctx, model: str, latent_file: str | None):
    """A latent file arrived (upload, or the editing session): it becomes the image to drag (private)."""
    if not latent_file:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    latent = _current(ctx, model, 0, latent_file)
    img = _api().render(latent["generator"], latent)
    return latent, "", _preview(img, []), img


def add_point(points: str, base, evt: gr.SelectData):
    """Record a click: clicks alternate handle, target, handle, target... (private)."""
    if base is None:
        raise gr.Error("Draw a sample first.")
    size, scale = int(base.shape[-1]), scale_of(base.shape[-1])
    x, y = (min(size - 1.0, max(0.0, float(int(v / scale)))) for v in evt.index[:2])
    pts = parse_points_text(points) + [(x, y)]
    return _api().points_to_text(pts), _preview(base, pts)


def clear_points(base):
    """No points; the image without marks (private)."""
    return "", (_preview(base, []) if base is not None else None)


def paint_on(base):
    """The current image, enlarged and without marks, into the region painter (private)."""
    if base is None:
        raise gr.Error("Draw a sample first.")
    return _preview(base, [])


def run_drag(ctx, model: str, points: str, radius: float = 10, max_steps: float = 200, seed: float = 15,
             latent_file: str | None = None, region: Any = None, latent: dict | None = None):
    """Drag every handle point onto its target point, streaming the image with the points as they move.

    Args:
        model: name of a registered LatentGenerator.
        points: handle -> target pairs in model pixels, e.g. "22,40 -> 22,46; 10,12 -> 10,20".
        radius: pixels around the points that may move (0 = the whole image may move).
        max_steps: at most this many steps, 1..1000 (it stops earlier once every handle arrived).
        seed: seed of the sample to drag when no image is loaded yet.
        latent_file: latent file (.safetensors) to drag when no image is loaded yet; a PTI file brings its tuned generator.
        region: optional painted image (an image editor value): where painted, the image may move; it replaces radius.
        latent: the image on the canvas (the tab's state; API callers leave it out).
    """
    if not (math.isfinite(radius) and 0 <= radius <= 64 and math.isfinite(max_steps) and 1 <= max_steps <= 1000):
        raise gr.Error("Radius must be 0-64 px and steps 1-1000.")
    handles, targets = _api().parse_points(parse_points_text(points))
    if not handles:
        raise gr.Error("Click a handle point, then its target (at least one pair).")
    latent = latent or _current(ctx, model, seed, latent_file)
    G = latent["generator"]
    before = _api().render(G, latent)
    mask = _api().mask_from_editor(region, int(G.resolution))
    mask = _api().region_mask(int(G.resolution), handles, targets, radius) if mask is None else mask
    run = _api().drag_stream(G, latent, handles, targets, mask, max_steps=int(max_steps))
    skip = (gr.skip(),) * 5
    try:
        for step in run:
            if step.image is not None:
                status = f"step {step.step}: farthest handle {step.losses['distance']:.1f} px from its target"
                yield _api().preview(step.image, step.handles, step.targets, scale_of(G.resolution)), status, *skip
    except ValueError as exc:  # a point outside the image, say: a sentence, not a traceback
        raise user_error(exc) from None
    finally:
        run.close()
    res = run.result
    if res is None:
        yield gr.skip(), "Stopped before the first step.", *skip
        return
    new_latent = dict(res.latent(), generator=G)
    verdict = "every handle reached its target" if res.reached else "stopped before every handle arrived"
    # the dragged code becomes the current one (its file carries a PTI delta along), so the next pair continues from it
    path = write_edit(G, new_latent, model, "drag")
    from hub.images import to_pil

    yield (_preview(res.image, []), f"{res.steps} steps, {res.seconds:.1f} s: {verdict}.",
           (show(to_pil(before)), show(to_pil(res.image))), new_latent, "", res.image, path)


def first_view(ctx, model: str | None):
    """The tab's opening state: ``FIRST_VIEW``'s sample dragged a few steps, before/after on screen."""
    ex = FIRST_VIEW
    size = int(ctx.get_model(model).resolution)
    points = _api().points_to_text([(round(fx * (size - 1)), round(fy * (size - 1))) for fx, fy in ex["points"]])
    *_, last = run_drag(ctx, model, points, ex["radius"], ex["max_steps"], ex["seed"])
    canvas, status, pair, latent, _, base, path = last
    return canvas, f"Example: {status} Click your own points, or press Drag again.", pair, latent, base, path
