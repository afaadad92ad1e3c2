"""The Style-transfer tab: layout and wiring. The handlers are in ``ui_handlers``, the methods in ``api``.

It opens on the fast method with the bundled cat photo in Van Gogh's style already rendered; AdaIN, Gatys
and the two texture methods are one click away, with a side-by-side comparison of AdaIN, fast and Gatys.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import gradio as gr

import hub.ui as kit
from plugins.style_transfer.ui_handlers import (ADAIN_MODELS, DEFAULT_FAST, compare_methods, fast_choices,  # noqa: F401
                                                run_style_transfer)

EXAMPLES = Path(__file__).parent / "examples"
CONTENT, STYLE = str(EXAMPLES / "content_chelsea.png"), str(EXAMPLES / "style_starry_night.png")
#: The method names of ``api.METHODS`` (listed here so that building the tab imports no torch).
METHODS = ["AdaIN", "Fast (Johnson et al.)", "Gatys", "Texture (Gram)", "Texture (Efros-Leung)"]
FAST = METHODS[1]
FAST_HELP = ("One network per style, one forward pass (the uploaded style is not used). Add yours: "
             "`ganhub train fast-style --style my_style.jpg` (about 20 CPU-minutes, resumable), then Refresh. "
             "Public ones: `ganhub weights convert fast-style-public-candy --from candy.pth` (pytorch/examples).")
LEAD = ("**Repaint a photo in the style of a painting**, or grow a texture from a sample. The fast method "
        "answers in a fraction of a second; Gatys optimises the picture itself and takes minutes.")
ABOUT = ("**AdaIN** matches the mean and spread of each VGG feature channel of the photo to the painting's, then "
         "decodes (any style, one pass; *alpha* blends back to the photo). **Fast** is one network trained per "
         "style (Johnson et al. 2016). **Gatys** optimises the image so its VGG Gram matrices match the "
         "painting's. **Texture (Gram)** does the same from noise; **Efros-Leung** copies pixels whose "
         "neighbourhoods match. Offline the VGG is the embedded seeded random one, and the embedded AdaIN "
         "(trained here from it) draws a maze-like pattern over any photo: the fast models are the better "
         "first look.")
PAPER = ("Huang & Belongie, *Arbitrary Style Transfer in Real-time with AdaIN*, ICCV 2017, arXiv:1703.06868; "
         "Johnson et al., *Perceptual Losses for Real-Time Style Transfer*, ECCV 2016, arXiv:1603.08155; "
         "Gatys et al., *Image Style Transfer Using CNNs*, CVPR 2016")



def _inputs(ctx) -> dict:
    with gr.Row():
        content = gr.Image(CONTENT, label="Content", type="pil")
        style = gr.Image(STYLE, label="Style", type="pil")
        style2 = gr.Image(label="Second style (optional)", type="pil")
    with gr.Row():
        method = gr.Radio(METHODS, value=FAST, label="Method")
        found = fast_choices(ctx)
        fast_model = gr.Dropdown(found, value=DEFAULT_FAST if DEFAULT_FAST in found else (found or [None])[0],
                                 label="Fast-style model", info=FAST_HELP)
        refresh = gr.Button("Refresh model list", size="sm")
    with gr.Accordion("AdaIN, Gatys and texture settings", open=False):
        with gr.Row():
            alpha = gr.Slider(0, 1, value=1.0, step=0.05, label="AdaIN alpha (content-style trade-off)")
            mix = gr.Slider(0, 1, value=0.5, step=0.05, label="Weight of the second style")
            color = gr.Radio(["none", "luminance", "histogram"], value="none", label="Colour preservation")
            registered = set(ctx.models_for("StyleTransfer"))
            choices = [label for label, name in ADAIN_MODELS.items() if name in registered]
            adain_model = gr.Dropdown(choices, value=choices[0] if choices else None, label="AdaIN model",
                                      info="The public one needs `ganhub weights convert adain-public-vgg` and "
                                           "`ganhub weights convert adain-public-decoder` once (internet).")
        with gr.Row():
            steps = gr.Slider(10, 500, value=200, step=10, label="Steps (Gatys / Gram texture)")
            style_weight = gr.Number(value=1e4, minimum=0, maximum=1e12, label="Style weight (Gatys / Gram)")
    size = gr.Slider(64, 512, value=256, step=32, label="Size (px)")
    refresh.click(lambda: gr.Dropdown(choices=fast_choices(ctx)), None, fast_model, api_visibility="private")
    return dict(content=content, style=style, style2=style2, method=method, adain_model=adain_model, alpha=alpha,
                mix=mix, color=color, steps=steps, style_weight=style_weight, size=size, fast_model=fast_model)


def _outputs() -> dict:
    with gr.Row():
        run, stop, compare = gr.Button("Run", variant="primary"), gr.Button("Stop"), gr.Button("Compare AdaIN / fast / Gatys")
    with gr.Row():
        result = kit.before_after("Content | result")
        gallery = gr.Gallery(label="Results (newest first)", format="png", columns=4, selected_index=0)
    info = gr.Markdown()
    download = gr.File(label="PNG")
    side_by_side = gr.Gallery(label="AdaIN | fast | Gatys, with times", format="png", columns=3)
    return dict(run=run, stop=stop, compare=compare, result=result, gallery=gallery, info=info, download=download,
                side_by_side=side_by_side, history=gr.State([]))


def build(ctx) -> None:
    kit.intro(LEAD, ABOUT, PAPER)
    i, o = _inputs(ctx), _outputs()
    inputs = [i[k] for k in ("content", "style", "style2", "method", "adain_model", "alpha", "mix", "color", "steps",
                             "style_weight", "size")] + [o["history"], i["fast_model"]]
    outputs = [o["result"], o["gallery"], o["download"], o["info"], o["history"]]
    event = o["run"].click(kit.bind(ctx, run_style_transfer), inputs, outputs, api_name=ctx.api_name("run"),
                           concurrency_id=ctx.heavy_concurrency_id)
    cmp = o["compare"].click(kit.bind(ctx, compare_methods), [i[k] for k in ("content", "style", "fast_model", "steps", "size")],
                             [o["side_by_side"], o["info"]], api_visibility="private",
                             concurrency_id=ctx.heavy_concurrency_id)
    kit.stop_button(o["stop"], event, cmp)
    gr.Examples([[CONTENT, STYLE, FAST], [str(EXAMPLES / "content_fruits.png"), str(EXAMPLES / "style_graf3.png"), "AdaIN"],
                 [str(EXAMPLES / "content_fruits.png"), STYLE, "Gatys"], [None, str(EXAMPLES / "style_graf3.png"), "Texture (Gram)"]],
                [i["content"], i["style"], i["method"]], label="Bundled photos and paintings", api_visibility="private")
    if i["fast_model"].value:
        first = partial(run_style_transfer, ctx, CONTENT, STYLE, None, FAST, "", 1.0, 0.5, "none", 200, 1e4, 256, [],
                        i["fast_model"].value)
        kit.first_view(lambda: list(first())[-1], outputs)
