"""The "Drag" tab: click handle/target pairs on a generated (or uploaded-latent) image and drag.

Thin Gradio wiring over ``plugins.drag_editing.api`` / ``hub.nn.drag``. The run streams every step
with the points drawn where the tracker has them; Stop cancels it (the generator is closed).
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import gradio as gr

from hub import INTERFACE_LATENT_GENERATOR

SCALE = 4  # 64 px shown at 256 px (nearest neighbour)


def _api():
    from plugins.drag_editing import api

    return api


def new_image(ctx, model: str, seed: float, latent_file: Any):
    """Draw a sample (or load an uploaded latent) and clear the points.

    Args:
        model: name of a registered LatentGenerator.
        seed: integer seed of the sample, 0..2**31-1 (ignored when a latent file is given).
        latent_file: optional GAN Hub latent (.safetensors), e.g. from the inversion tab; a PTI file
            also brings its tuned generator.
    """
    if model not in ctx.models_for(INTERFACE_LATENT_GENERATOR):
        raise gr.Error(f"Unknown model {model!r}.")
    if seed is None or not math.isfinite(seed) or not 0 <= seed < 2 ** 31:
        raise gr.Error("Seed must be a whole number between 0 and 2147483647.")
    G = ctx.get_model(model)
    if latent_file:
        from hub.nn.latents import LatentFileError
        from hub.nn.pti import load_pti

        try:
            latent, G_used = load_pti(latent_file, G)
        except LatentFileError as exc:
            raise gr.Error(str(exc)) from None
        latent = {"ws": latent["ws"][:1], "noise": None if latent["noise"] is None else [n[:1] for n in latent["noise"]],
                  "generator": G_used}
    else:
        latent = _api().sample(G, int(seed))
    img = _api().render(latent.get("generator", G), latent)
    return latent, [], _api().preview(img, [], [], SCALE), img


def add_point(points: list, base, evt: gr.SelectData):
    """Record a click: clicks alternate handle, target, handle, target...

    Args:
        points: the clicks so far, as (x, y) in model pixels.
        base: the current image tensor (the preview is redrawn from it).
    """
    if base is None:
        raise gr.Error("Draw a sample first.")
    size = int(base.shape[-1])
    x, y = evt.index[0] / SCALE, evt.index[1] / SCALE
    points = list(points or []) + [(min(size - 1.0, max(0.0, float(int(x)))), min(size - 1.0, max(0.0, float(int(y)))))]
    h, t = _api().parse_points(points)
    if len(points) % 2:
        h = h + [points[-1]]
    return points, _api().preview(base, h, t, SCALE)


def _mask(size: int, handles, targets, radius: float):
    import torch

    if radius <= 0:
        return None
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    m = torch.zeros(size, size)
    for p in list(handles) + list(targets):
        m = torch.maximum(m, (((xx - p[0]) ** 2 + (yy - p[1]) ** 2) <= radius ** 2).float())
    return m


def run_drag(ctx, model: str, latent: dict, points: list, radius: float, max_steps: float):
    """Drag every handle onto its target, streaming the image with the tracked points.

    Args:
        model: name of a registered LatentGenerator.
        latent: the current latent (from "New image").
        points: clicks, handle then target for each pair.
        radius: pixels around the points that may move (0 = the whole image may move).
        max_steps: at most this many steps, 1..1000.
    """
    if not latent:
        raise gr.Error("Draw a sample first.")
    if not (math.isfinite(radius) and 0 <= radius <= 64 and math.isfinite(max_steps) and 1 <= max_steps <= 1000):
        raise gr.Error("Radius must be 0-64 px and steps 1-1000.")
    handles, targets = _api().parse_points(points or [])
    if not handles:
        raise gr.Error("Click a handle point, then its target (at least one pair).")
    G = latent.get("generator") or ctx.get_model(model)
    size = int(G.resolution)
    run = _api().drag_stream(G, latent, handles, targets, _mask(size, handles, targets, radius),
                             max_steps=int(max_steps))
    for step in run:
        if step.image is not None:
            status = f"step {step.step}: farthest handle {step.losses['distance']:.1f} px from its target"
            yield _api().preview(step.image, step.handles, step.targets, SCALE), status, gr.skip(), gr.skip(), \
                gr.skip(), gr.skip()
    res = run.result
    from hub.images import save_png

    new_latent = dict(res.latent(), generator=latent.get("generator"))
    verdict = "every handle reached its target" if res.reached else "stopped before every handle arrived"
    # the dragged code becomes the current one, so the next pair continues from it
    yield (_api().preview(res.image, [], [], SCALE), f"{res.steps} steps, {res.seconds:.1f} s: {verdict}.",
           save_png(res.image, "drag"), new_latent, [], res.image)


def build(ctx) -> None:
    models = ctx.models_for(INTERFACE_LATENT_GENERATOR)
    latent, points, base = gr.State(None), gr.State([]), gr.State(None)
    with gr.Row():
        model = gr.Dropdown(models, value=models[0] if models else None, label="Generator")
        seed = gr.Number(3, precision=0, label="Seed")
        latent_file = gr.File(label="…or a latent / PTI file (.safetensors)", file_types=[".safetensors"])
    new = gr.Button("New image")
    with gr.Row():
        canvas = gr.Image(label="Click a handle, then its target (repeat for more pairs)", interactive=False,
                          type="pil", height=256)
        with gr.Column():
            radius = gr.Slider(0, 32, value=10, step=1, label="Region allowed to move (px around the points; 0 = all)")
            max_steps = gr.Slider(1, 1000, value=200, step=1, label="Max steps")
            with gr.Row():
                go, stop, clear = gr.Button("Drag", variant="primary"), gr.Button("Stop"), gr.Button("Clear points")
            status = gr.Markdown()
            png = gr.File(label="Result (PNG)")
    new.click(partial(new_image, ctx), [model, seed, latent_file], [latent, points, canvas, base],
              api_name=ctx.api_name("new_image"))
    canvas.select(add_point, [points, base], [points, canvas], api_name=False)
    clear.click(lambda b: ([], _api().preview(b, [], [], SCALE) if b is not None else None), [base], [points, canvas],
                api_name=False)
    ev = go.click(partial(run_drag, ctx), [model, latent, points, radius, max_steps],
                  [canvas, status, png, latent, points, base], api_name=ctx.api_name("drag"),
                  concurrency_id=ctx.heavy_concurrency_id)
    stop.click(None, None, None, cancels=[ev], api_name=False)
