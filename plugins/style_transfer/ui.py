"""The thin Style-transfer tab: content/style uploads, method chooser, controls, streaming + Stop."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).parent / "examples"
#: AdaIN model choices shown in the tab -> registered model names.
ADAIN_MODELS = {"AdaIN (embedded, trained here)": "adain-embedded", "AdaIN (public, ImageNet VGG)": "adain-public"}


def build(ctx) -> None:
    import gradio as gr

    from hub.images import load_image, save_png
    from plugins.style_transfer import INTERFACE_STYLE

    with gr.Row():
        content = gr.Image(label="Content", type="pil")
        style = gr.Image(label="Style", type="pil")
        style2 = gr.Image(label="Second style (optional)", type="pil")
    with gr.Row():
        method = gr.Radio(["AdaIN", "Gatys", "Texture (Gram)", "Texture (Efros-Leung)"], value="AdaIN", label="Method")
        alpha = gr.Slider(0, 1, value=1.0, step=0.05, label="AdaIN alpha (content-style trade-off)")
        mix = gr.Slider(0, 1, value=0.5, step=0.05, label="Weight of the second style")
        color = gr.Radio(["none", "luminance", "histogram"], value="none", label="Colour preservation (AdaIN)")
        registered = set(ctx.models_for(INTERFACE_STYLE))
        choices = [label for label, name in ADAIN_MODELS.items() if name in registered]
        adain_model = gr.Dropdown(choices, value=choices[0] if choices else None, label="AdaIN model",
                                  info="The public one needs `ganhub weights convert adain-public-vgg` and "
                                       "`ganhub weights convert adain-public-decoder` once (internet).")
    with gr.Row():
        steps = gr.Slider(10, 500, value=200, step=10, label="Steps (Gatys / Gram texture)")
        style_weight = gr.Number(value=1e4, label="Style weight (Gatys / Gram)")
        size = gr.Slider(64, 512, value=256, step=32, label="Size (px)")
    run = gr.Button("Run", variant="primary")
    stop = gr.Button("Stop")
    result = gr.Image(label="Result", format="png", type="pil")
    gallery = gr.Gallery(label="Results", format="png")
    download = gr.File(label="PNG")
    info = gr.Markdown()

    def go(content_img, style_img, style2_img, method, adain_label, alpha, mix, color, steps, style_weight, size,
           history):
        history = list(history or [])
        if style_img is None:
            raise gr.Error("Upload a style (or texture sample) image.")
        s = [load_image(style_img, max_side=1024, what="style image")]
        w = [1.0]
        if style2_img is not None:
            s.append(load_image(style2_img, max_side=1024, what="second style image"))
            w = [1 - mix, mix]
        if method in ("AdaIN", "Gatys") and content_img is None:
            raise gr.Error("Upload a content image.")
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

    state = gr.State([])
    event = run.click(go, [content, style, style2, method, adain_model, alpha, mix, color, steps, style_weight, size,
                           state],
                      [result, gallery, download, info], api_name=ctx.api_name("run"),
                      concurrency_id=ctx.heavy_concurrency_id)
    event.then(lambda g: g, gallery, state, api_visibility="private")
    stop.click(None, None, None, cancels=[event], api_name=ctx.api_name("stop"))
    ex = sorted(EXAMPLES.glob("content_*.png")), sorted(EXAMPLES.glob("style_*.png"))
    if ex[0] and ex[1]:
        gr.Examples([[str(c), str(s)] for c, s in zip(ex[0], ex[1])], [content, style], api_visibility="private")
