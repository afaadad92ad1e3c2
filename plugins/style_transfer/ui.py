"""The Style-transfer tab: uploads, method chooser (AdaIN, fast, Gatys, textures), streaming + Stop,
and a side-by-side comparison of AdaIN, fast and Gatys on one content with their times."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path

EXAMPLES = Path(__file__).parent / "examples"
#: AdaIN model choices shown in the tab -> registered model names.
ADAIN_MODELS = {"AdaIN (embedded, trained here)": "adain-embedded", "AdaIN (public, ImageNet VGG)": "adain-public"}
METHODS = ["AdaIN", "Fast (Johnson et al.)", "Gatys", "Texture (Gram)", "Texture (Efros-Leung)"]
FAST_HELP = ("One network per style, one forward pass (the uploaded style is not used). Add yours: "
             "`ganhub train fast-style --style my_style.jpg` (about 20 CPU-minutes, resumable), then Refresh. "
             "Public ones: `ganhub weights convert fast-style-public-candy --from candy.pth` (pytorch/examples).")


def fast_choices(ctx) -> list[str]:
    """Fast-style models found: registered ones whose weights are here, and the user's own."""
    from plugins.style_transfer.defaults import INTERFACE_FAST_STYLE
    from plugins.style_transfer.fast_catalog import list_models

    names = []
    for name in ctx.models_for(INTERFACE_FAST_STYLE):
        try:
            ctx.weight_path(name)  # embedded, or public once converted; a missing one is not offered
        except Exception:
            continue
        names.append(name)
    return list(list_models(names))


def _fast_style_image(fast_name: str | None):
    """The training image of an embedded fast-style model (a default style for Gatys/AdaIN), or None."""
    from PIL import Image

    from plugins.style_transfer.fast import BUILTIN_STYLES

    style = (fast_name or "").removeprefix("fast-style-")
    return Image.open(BUILTIN_STYLES[style].path()).convert("RGB") if style in BUILTIN_STYLES else None


def run_style_transfer(ctx, content_img, style_img, style2_img, method, adain_label, alpha, mix, color, steps,
                       style_weight, size, history, fast_model=None):
    """Run one method, streaming (image, gallery, PNG, info).

    Args:
        content_img: content photo (PIL); needed by AdaIN, fast and Gatys.
        style_img: style image or texture sample (PIL); not used by the fast method.
        style2_img: optional second style, mixed with weight ``mix`` (AdaIN, Gatys).
        method: one of METHODS.
        adain_label: AdaIN model label, a key of ADAIN_MODELS.
        alpha: AdaIN content-style trade-off in [0, 1].
        mix: weight of the second style in [0, 1].
        color: AdaIN colour preservation: none, luminance or histogram.
        steps: Gatys / Gram texture steps, 10-500.
        style_weight: Gatys / Gram style weight, finite and > 0.
        size: output size in pixels, 64-512.
        history: the gallery so far (session state).
        fast_model: the fast-style model name (method "Fast").
    """
    import math

    import gradio as gr

    from hub.images import load_image, save_png

    history = list(history or [])
    if method not in METHODS:
        raise gr.Error(f"Choose a method among {', '.join(METHODS)}.")
    for label, v, lo, hi in (("alpha", alpha, 0, 1), ("mix", mix, 0, 1), ("steps", steps, 10, 500),
                             ("size", size, 64, 512), ("style weight", style_weight, 1e-12, 1e12)):
        if v is None or not math.isfinite(float(v)) or not lo <= float(v) <= hi:
            raise gr.Error(f"The {label} must be a number between {lo:g} and {hi:g}.")
    if method != "Texture (Efros-Leung)" and method != "Texture (Gram)" and content_img is None:
        raise gr.Error("Upload a content image.")
    if method == "Fast (Johnson et al.)":
        from plugins.style_transfer.fast import fast_style, get_model

        if fast_model not in fast_choices(ctx):
            raise gr.Error("Choose a fast-style model from the list (or train one: see its help).")
        out, seconds = fast_style(load_image(content_img, max_side=1024, what="content image"),
                                  get_model(fast_model, ctx), max_side=int(size))
        history.append(out)
        yield out, history, save_png(out, "fast_style"), f"Fast style ({fast_model}): {seconds * 1000:.0f} ms."
        return
    if style_img is None:
        raise gr.Error("Upload a style (or texture sample) image.")
    s, w = [load_image(style_img, max_side=1024, what="style image")], [1.0]
    if style2_img is not None:
        s.append(load_image(style2_img, max_side=1024, what="second style image"))
        w = [1 - mix, mix]
    if method == "AdaIN":
        from plugins.style_transfer.adain import adain

        c = load_image(content_img, max_side=1024, what="content image")
        out = adain(c, s, alpha=alpha, style_weights=w, preserve_color=None if color == "none" else color,
                    model=ctx.get_model(ADAIN_MODELS.get(adain_label, "adain-embedded")), max_side=int(size))
        history.append(out)
        yield out, history, save_png(out, "adain"), "AdaIN done."
        return
    if method == "Gatys":
        from plugins.style_transfer.gatys import gatys

        stream = gatys(load_image(content_img, max_side=1024), s, style_weights=w, steps=int(steps),
                       style_weight=float(style_weight), max_side=int(size))
    elif method == "Texture (Gram)":
        from plugins.style_transfer.texture import gram_texture

        stream = gram_texture(s[0], int(size), steps=int(steps), style_weight=float(style_weight))
    else:
        from plugins.style_transfer.texture import efros_leung

        stream = efros_leung(s[0], min(int(size), 128))
    img = None
    for step, img, losses in stream:
        yield img, history, None, f"step {step}: " + ", ".join(f"{k} {v:.4g}" for k, v in losses.items())
    history.append(img)
    yield img, history, save_png(img, "style_transfer"), "Done."


def compare_methods(ctx, content_img, style_img, fast_model, steps, size):
    """AdaIN (embedded), fast and Gatys (plugin defaults) on the same content, with each one's time.

    Args:
        content_img: content photo (PIL).
        style_img: style image for AdaIN and Gatys (PIL); empty: the fast model's own training style.
        fast_model: the fast-style model name.
        steps: Gatys steps, 10-500.
        size: output size in pixels, 64-512.
    """
    import gradio as gr

    from hub.images import load_image
    from plugins.style_transfer.adain import adain
    from plugins.style_transfer.fast import fast_style, get_model
    from plugins.style_transfer.gatys import gatys

    if content_img is None:
        raise gr.Error("Upload a content image.")
    if fast_model not in fast_choices(ctx):
        raise gr.Error("Choose a fast-style model from the list.")
    if not (10 <= float(steps) <= 500 and 64 <= float(size) <= 512):
        raise gr.Error("Steps must be 10-500 and size 64-512.")
    c = load_image(content_img, max_side=1024, what="content image")
    style = load_image(style_img, max_side=1024, what="style image") if style_img is not None else _fast_style_image(fast_model)
    fast_img, fast_s = fast_style(c, get_model(fast_model, ctx), max_side=int(size))
    cells = [(fast_img, f"fast ({fast_model}): {fast_s:.2f} s")]
    if style is None:
        yield cells, "Upload a style image to compare with AdaIN and Gatys (this model's style is not bundled)."
        return
    t0 = time.perf_counter()
    ada = adain(c, [style], model=ctx.get_model("adain-embedded"), max_side=int(size))
    cells.insert(0, (ada, f"AdaIN (embedded): {time.perf_counter() - t0:.2f} s"))
    yield cells, "Gatys running..."
    t0 = time.perf_counter()
    for step, img, _ in gatys(c, [style], steps=int(steps), max_side=int(size), every=max(10, int(steps) // 5)):
        yield cells + [(img, f"Gatys: step {step}, {time.perf_counter() - t0:.1f} s")], f"Gatys step {step}/{int(steps)}"
    yield cells + [(img, f"Gatys ({int(steps)} steps): {time.perf_counter() - t0:.1f} s")], "Done."


def build(ctx) -> None:
    import gradio as gr

    with gr.Row():
        content = gr.Image(label="Content", type="pil")
        style = gr.Image(label="Style", type="pil")
        style2 = gr.Image(label="Second style (optional)", type="pil")
    with gr.Row():
        method = gr.Radio(METHODS, value="AdaIN", label="Method")
        alpha = gr.Slider(0, 1, value=1.0, step=0.05, label="AdaIN alpha (content-style trade-off)")
        mix = gr.Slider(0, 1, value=0.5, step=0.05, label="Weight of the second style")
        color = gr.Radio(["none", "luminance", "histogram"], value="none", label="Colour preservation (AdaIN)")
        registered = set(ctx.models_for("StyleTransfer"))
        choices = [label for label, name in ADAIN_MODELS.items() if name in registered]
        adain_model = gr.Dropdown(choices, value=choices[0] if choices else None, label="AdaIN model",
                                  info="The public one needs `ganhub weights convert adain-public-vgg` and "
                                       "`ganhub weights convert adain-public-decoder` once (internet).")
    with gr.Row():
        found = fast_choices(ctx)
        fast_model = gr.Dropdown(found, value=found[0] if found else None, label="Fast-style model", info=FAST_HELP)
        refresh = gr.Button("Refresh model list", size="sm")
        steps = gr.Slider(10, 500, value=200, step=10, label="Steps (Gatys / Gram texture)")
        style_weight = gr.Number(value=1e4, label="Style weight (Gatys / Gram)")
        size = gr.Slider(64, 512, value=256, step=32, label="Size (px)")
    with gr.Row():
        run, stop, compare = gr.Button("Run", variant="primary"), gr.Button("Stop"), gr.Button("Compare AdaIN / fast / Gatys")
    result = gr.Image(label="Result", format="png", type="pil")
    gallery = gr.Gallery(label="Results", format="png")
    side_by_side = gr.Gallery(label="AdaIN | fast | Gatys, with times", format="png", columns=3)
    download = gr.File(label="PNG")
    info = gr.Markdown()
    state = gr.State([])
    event = run.click(partial(run_style_transfer, ctx),
                      [content, style, style2, method, adain_model, alpha, mix, color, steps, style_weight, size,
                       state, fast_model],
                      [result, gallery, download, info], api_name=ctx.api_name("run"),
                      concurrency_id=ctx.heavy_concurrency_id)
    event.then(lambda g: g, gallery, state, api_visibility="private")
    cmp = compare.click(partial(compare_methods, ctx), [content, style, fast_model, steps, size], [side_by_side, info],
                        api_visibility="private", concurrency_id=ctx.heavy_concurrency_id)
    stop.click(None, None, None, cancels=[event, cmp], api_name=ctx.api_name("stop"))
    refresh.click(lambda: gr.Dropdown(choices=fast_choices(ctx)), None, fast_model, api_visibility="private")
    ex = sorted(EXAMPLES.glob("content_*.png")), sorted(EXAMPLES.glob("style_*.png"))
    if ex[0] and ex[1]:
        gr.Examples([[str(c), str(s)] for c, s in zip(ex[0], ex[1])], [content, style], api_visibility="private")
