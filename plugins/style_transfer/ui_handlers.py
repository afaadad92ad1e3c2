"""Handlers of the Style-transfer tab: module-level, documented for the API page and MCP. They resolve model
names through the tab's context and run ``plugins.style_transfer.api``."""

from __future__ import annotations

import time

import gradio as gr

import hub.ui as kit

#: AdaIN model choices shown in the tab -> registered model names.
ADAIN_MODELS = {"AdaIN (embedded, trained here)": "adain-embedded", "AdaIN (public, ImageNet VGG)": "adain-public"}
#: The fast-style model the tab starts with: its strokes read as a painting at first sight, where the
#: embedded AdaIN lays a maze-like pattern over any photo (its decoder's own artefact, present even at alpha 0).
DEFAULT_FAST = "fast-style-starry-night"
MAX_HISTORY = 12  # results kept in a session's gallery, newest first


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



def _model_for(ctx, kind: str | None, adain_model: str, fast_model: str | None):
    from plugins.style_transfer.fast import load_model

    if kind == "fast":
        if fast_model not in fast_choices(ctx):
            raise gr.Error("Choose a fast-style model from the list (or train one: see its help).")
        return load_model(fast_model, ctx)
    if kind == "adain":
        return ctx.get_model(ADAIN_MODELS.get(adain_model, "adain-embedded"))
    return None


def run_style_transfer(ctx, content, style, style2, method: str, adain_model: str, alpha: float, mix: float,
                       color: str, steps: float, style_weight: float, size: float, history=None,
                       fast_model: str | None = None):
    """Restyle a photo in the look of a painting (or synthesise a texture), streaming the optimising methods.

    Args:
        content: the photo to restyle; not needed by the two texture methods.
        style: the style image (a painting) or texture sample; the fast method uses its own trained style.
        style2: optional second style, mixed in with weight `mix` (AdaIN, Gatys).
        method: "AdaIN", "Fast (Johnson et al.)", "Gatys", "Texture (Gram)" or "Texture (Efros-Leung)".
        adain_model: which AdaIN model, e.g. "AdaIN (embedded, trained here)".
        alpha: AdaIN content-style trade-off, 0 (content) to 1 (full style).
        mix: weight of the second style, 0-1.
        color: keep the photo's colours: "none", "luminance" or "histogram" (AdaIN; fast: any but none).
        steps: optimisation steps of Gatys and the Gram texture, 10-500.
        style_weight: weight of the style term of Gatys and the Gram texture.
        size: longest side of the result in pixels, 64-512.
        history: the session's earlier results (kept by the tab).
        fast_model: the fast-style model, e.g. fast-style-starry-night.
    """
    from hub.images import load_image, save_png
    from plugins.style_transfer import api

    if method not in api.METHODS:
        raise gr.Error(f"Choose a method among {', '.join(api.METHODS)}.")
    kind = api.METHODS[method]
    c = None if content is None else load_image(content, max_side=1024, what="content image")
    styles = [load_image(s, max_side=1024, what=what) for s, what in ((style, "style image"),
                                                                        (style2, "second style image")) if s is not None]
    model = _model_for(ctx, kind.model, adain_model, fast_model)
    try:
        run = api.transfer(method, c, styles, model, alpha=alpha, style_weights=[1 - mix, mix] if len(styles) == 2
                           else None, preserve_color=color, steps=steps, style_weight=style_weight, size=size)
    except (ValueError, TypeError) as exc:
        raise kit.user_error(exc) from None
    before, img, info, t0 = c if c is not None else styles[0], None, {}, time.perf_counter()
    for step, img, info in run:
        if kind.streams:
            status = f"step {step}: " + ", ".join(f"{k} {v:.4g}" for k, v in info.items())
            yield (kit.show(before.resize(img.size)), kit.show(img)), gr.skip(), None, status, gr.skip()
    history = [img] + list(history or [])[:MAX_HISTORY - 1]  # newest first, and shown
    name = fast_model if kind.model == "fast" else method
    yield ((kit.show(before.resize(img.size)), kit.show(img)), gr.Gallery(value=history, selected_index=0),
           save_png(img, "style_transfer"), f"{name}: done in {time.perf_counter() - t0:.2f} s.", history)


def compare_methods(ctx, content, style, fast_model: str, steps: float, size: float):
    """AdaIN (embedded), fast and Gatys on the same photo side by side, with each one's time.

    Args:
        content: the photo to restyle.
        style: style image for AdaIN and Gatys; empty: the fast model's own training style.
        fast_model: the fast-style model name.
        steps: Gatys steps, 10-500.
        size: longest side of the results in pixels, 64-512.
    """
    from hub.images import load_image
    from plugins.style_transfer import api

    c = load_image(kit.need(content, "a content image"), max_side=1024, what="content image")
    s = load_image(style, max_side=1024, what="style image") if style is not None else _fast_style_image(fast_model)
    *_, (_, fast_img, info) = api.fast_method(c, [], _model_for(ctx, "fast", "", fast_model), size=size)
    cells = [(fast_img, f"fast ({fast_model}): {info['seconds']:.2f} s")]
    if s is None:
        yield cells, "Upload a style image to compare with AdaIN and Gatys (this model's style is not bundled)."
        return
    *_, (_, ada, info) = api.adain_method(c, [s], ctx.get_model("adain-embedded"), size=size)
    cells.insert(0, (ada, f"AdaIN (embedded): {info['seconds']:.2f} s"))
    yield cells, "Gatys running..."
    t0 = time.perf_counter()
    for step, img, _ in api.gatys_method(c, [s], steps=steps, size=size, every=max(10, int(steps) // 5)):
        yield cells + [(img, f"Gatys: step {step}, {time.perf_counter() - t0:.1f} s")], f"Gatys step {step}/{int(steps)}"
    yield cells + [(img, f"Gatys ({int(steps)} steps): {time.perf_counter() - t0:.1f} s")], "Done."
