"""Components every technique tab shares."""

from __future__ import annotations

import gradio as gr

from hub.api import INTERFACE_LATENT_GENERATOR

#: Pixels a result is shown at: the 64 px models are enlarged with nearest neighbour for display
#: (the downloaded PNG keeps the true size).
PREVIEW_SIZE = 256
FAST, PAPER = "Fast (default, fits < 60 s on CPU)", "Paper (slow)"
#: Brush radius in image pixels for painting on the 64 px models' pictures: about an eye (Gradio's own
#: default covers a whole 64 px face).
FINE_BRUSH_PX = 3


def model_dropdown(ctx, interface: str = INTERFACE_LATENT_GENERATOR, label: str = "Generator") -> gr.Dropdown:
    """Every registered model of ``interface``, the offline default first."""
    names = ctx.models_for(interface)
    return gr.Dropdown(names, value=names[0] if names else None, label=label,
                       info=f"Every registered {interface} works here." if names else
                       f"No {interface} is registered (is its plugin enabled?)")


def show(img, size: int = PREVIEW_SIZE):
    """PIL at display size: an image smaller than ``size`` on its longer side is enlarged by a whole
    factor with nearest neighbour (so the pixels stay honest and the shape is kept); the downloaded
    PNG keeps the true size."""
    from PIL import Image

    if img is None:
        return None
    factor = size // max(img.width, img.height)
    return img if factor < 2 else img.resize((img.width * factor, img.height * factor), Image.NEAREST)


def bind(ctx, fn):
    """``fn`` with the tab's context bound as its first argument, keeping its name and docstring:
    the API page and the MCP tool description read them (a bare ``functools.partial`` hides both)."""
    import functools

    bound = functools.partial(fn, ctx)
    bound.__doc__, bound.__name__ = fn.__doc__, fn.__name__
    return bound


def png(img, name: str) -> str:
    """A PNG file of ``img`` for download (exact pixels)."""
    from hub.images import save_png

    return save_png(img, name)


def mask_editor(label: str, brush_colours=("#ff00ff",), brush_px: int | None = None) -> gr.ImageEditor:
    """An editor whose painted layers' alpha is the mask (RGBA, PIL). ``brush_px``: the brush radius in
    image pixels (``FINE_BRUSH_PX`` for 64 px pictures); None: Gradio's own, scaled to the picture."""
    brush = gr.Brush(colors=list(brush_colours), color_mode="defaults", default_size=brush_px or "auto")
    return gr.ImageEditor(label=label, type="pil", image_mode="RGBA", height=320, format="png",
                          sources=("upload", "clipboard"), layers=False, transforms=(), brush=brush)


def steps_slider(value: int, label: str, maximum: int = 2000, step: int = 10) -> gr.Slider:
    return gr.Slider(0, maximum, value=value, step=step, label=label)


def step_preset(sliders: list, fast: list[int], paper: list[int]) -> gr.Radio:
    """A "Fast / Paper (slow)" switch that sets the step sliders: the defaults scaled for a CPU, or the
    paper's own counts (minutes to tens of minutes per edit on a CPU)."""
    preset = gr.Radio([FAST, PAPER], value=FAST, label="Step counts",
                      info="Paper: the published counts " + " + ".join(str(v) for v in paper) + ".")
    preset.change(lambda v: [gr.update(value=n) for n in (paper if v == PAPER else fast)], preset, sliders,
                  api_visibility="private")
    return preset


def loss_frame(history: list[dict], keys=("total", "mse", "perceptual", "mse2", "style", "latent")):
    """A long-format frame (step, loss, term) of an optimisation's history, for ``gr.LinePlot``."""
    import pandas as pd

    rows = [{"step": int(h["step"]), "loss": float(h[k]), "term": k}
            for h in history for k in keys if k in h]
    return pd.DataFrame(rows or [{"step": 0, "loss": 0.0, "term": "total"}])


def intro(lead: str, about: str = "", paper: str | None = None) -> None:
    """A tab's first line in everyday words, then the paper's notation in a closed "About" accordion."""
    gr.Markdown(lead)
    if about or paper:
        with gr.Accordion("About this technique", open=False):
            gr.Markdown(about + (f"\n\nPaper: {paper}" if paper else ""))


def before_after(label: str = "Before / after") -> gr.ImageSlider:
    """A before/after slider for actions that change an image; feed it ``(show(before), show(after))``.
    ``max_height`` keeps the whole picture in view (without it Gradio 6 fills the box's width and crops
    the picture's top and bottom)."""
    height = PREVIEW_SIZE + 64
    return gr.ImageSlider(label=label, type="pil", format="png", height=height, max_height=height)
