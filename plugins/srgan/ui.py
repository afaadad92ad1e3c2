"""The Super-resolution tab: a thin layer over ``plugins.srgan.api``."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import gradio as gr

import hub.ui as kit
from hub.api import INTERFACE_SUPER_RESOLVER

EXAMPLES = Path(__file__).parent / "examples"
FIRST = str(EXAMPLES / "chelsea_crop.png")  # what the tab opens with, upscaled
#: Scale choices as strings: what the API documents (Literal['2', '4']) is what it accepts.
SCALES = ["2", "4"]
RESIZE, CROP = "Resize to fit", "Crop the centre"
LEAD = ("**Make a photo 2 or 4 times larger.** A neural network fills in detail that plain enlargement blurs: "
        "drag the slider to compare bicubic enlargement (left) with the model (right).")
ABOUT = ("SRResNet is trained for pixel accuracy (MSE, high PSNR); SRGAN adds a VGG feature loss and an "
         "adversarial loss for sharper, more photo-like texture (Ledig et al. 2017). Real-ESRGAN / ESRGAN "
         "weights from the Hugging Face Hub appear in the list when they can be had. Large photos run tile by "
         "tile with feathered seams. *Degrade then restore* shrinks the photo first, restores it and measures "
         "PSNR/SSIM against the original, as in the paper.")
PAPER = "Ledig et al., *Photo-Realistic Single Image Super-Resolution Using a GAN*, CVPR 2017, arXiv:1609.04802"


def max_input_side() -> int:
    """Longest input side the tab upscales (``GANHUB_SR_MAX_INPUT_SIDE``, default 1024 px); a larger photo is
    resized or cropped to it, as the user chooses, so it never costs minutes of CPU by surprise."""
    try:
        return max(16, int(os.environ.get("GANHUB_SR_MAX_INPUT_SIDE", "1024")))
    except ValueError:
        return 1024


def _metrics(out, before, original, model: str, scale: int) -> list[str]:
    from plugins.srgan.metrics import psnr_y, ssim_y

    rgb_out, rgb_bic = out.convert("RGB"), before.convert("RGB")
    p_m, s_m = psnr_y(rgb_out, original, scale), ssim_y(rgb_out, original, scale)
    p_b, s_b = psnr_y(rgb_bic, original, scale), ssim_y(rgb_bic, original, scale)
    return ["", "Degraded x{0} with antialiased bicubic, restored, compared with the original "
            "(Y channel, {0} px border shaved, as in the SR literature):".format(scale), "",
            "| | PSNR (dB) | SSIM |", "|---|---|---|",
            f"| bicubic | {p_b:.2f} | {s_b:.4f} |", f"| {model} | {p_m:.2f} | {s_m:.4f} |",
            "", "Paper, Set5 x4: bicubic 28.43 dB, SRResNet 32.05 dB, SRGAN 29.40 dB."]



def upscale_photo(ctx, photo, model: str, scale: str = "4", degrade_first: bool = False, tile: float = 256,
                  larger: str = RESIZE, progress=gr.Progress()):
    """Upscale a photo x2 or x4 and compare it with bicubic enlargement.

    Args:
        photo: the photo to upscale (PNG or JPEG; transparency is kept).
        model: name of a registered super-resolution model, e.g. srgan-srresnet-x4.
        scale: "2" or "4", how many times larger.
        degrade_first: shrink the photo by the scale first, restore it, and report PSNR/SSIM against the original.
        tile: tile size in input pixels (0 = the whole image at once).
        larger: what to do with a photo over the size limit: "Resize to fit" or "Crop the centre".

    Returns:
        (bicubic, model) pair for the slider, the full-resolution PNG, and a summary in Markdown.
    """
    from hub.images import load_image_rgba, save_png
    from plugins.srgan import api

    photo = kit.need(photo, "a photo to upscale")
    if not model:
        raise gr.Error("Choose a model (no super-resolution model is registered).")
    scale, how = int(scale), "crop" if larger == CROP else "resize"
    img = load_image_rgba(photo, max_side=None, what="photo")
    original = None
    if degrade_first:
        if min(img.size) < 16 * scale:
            raise gr.Error(f"'Degrade then restore' needs a photo at least {16 * scale} px on each side.")
        original, fitted = api.fit_input(img.convert("RGB"), max_input_side() * scale, how)
        original = original.crop((0, 0, original.width - original.width % scale, original.height - original.height % scale))
        img = api.degrade(original, scale)
    else:
        img, fitted = api.fit_input(img, max_input_side(), how)
    net = ctx.get_model(model)
    report = (lambda done, total: progress(done / max(total, 1), desc=f"tile {done}/{total}")) if progress else None
    result = api.upscale_detailed(img, scale, net, tile=int(tile), progress=report)
    out, before = result.image, api.bicubic(img, scale)
    if out.mode == "RGBA":
        before = before.convert("RGBA")
        before.putalpha(out.getchannel("A"))
    lines = [f"**{model}** x{scale}: {img.width}x{img.height} -> **{out.width}x{out.height}** "
             f"in **{result.seconds:.2f} s** ({result.tiles} tile{'s' if result.tiles != 1 else ''})"]
    lines += ["", fitted] if fitted else []
    if original is not None:
        lines += _metrics(out, before, original, model, scale)
    return (kit.show(before), kit.show(out)), save_png(out, name=f"upscaled_x{scale}"), "\n".join(lines)



def build(ctx) -> None:
    models = ctx.models_for(INTERFACE_SUPER_RESOLVER)
    kit.intro(LEAD, ABOUT, PAPER)
    with gr.Row():
        with gr.Column(scale=1):
            photo = gr.Image(FIRST if Path(FIRST).is_file() else None, label="Photo", type="pil", image_mode="RGBA",
                             sources=["upload", "clipboard"], format="png")
            model = kit.model_dropdown(ctx, INTERFACE_SUPER_RESOLVER, label="Model")
            scale = gr.Radio(SCALES, value="4", label="Scale")
            degrade_first = gr.Checkbox(False, label="Degrade then restore: downscale x scale first, restore, "
                                                     "show PSNR/SSIM against the original")
            larger = gr.Radio([RESIZE, CROP], value=RESIZE, label=f"Photos over {max_input_side()} px")
            with gr.Accordion("Advanced", open=False):
                tile = gr.Slider(0, 512, value=256, step=32, label="Tile size (input px; 0 = whole image)")
            with gr.Row():
                go, stop = gr.Button("Upscale", variant="primary"), gr.Button("Stop")
        with gr.Column(scale=2):
            slider = kit.before_after("bicubic | model")
            info = gr.Markdown()
            download = gr.File(label="Full-resolution PNG")
    examples = [[str(EXAMPLES / "chelsea_crop.png"), False], [str(EXAMPLES / "rocket_crop.png"), False],
                [str(EXAMPLES / "coffee.png"), True]]
    gr.Examples([e for e in examples if Path(e[0]).is_file()], [photo, degrade_first], label="Held-out photos",
                api_name=ctx.api_name("load_example"))
    event = go.click(kit.bind(ctx, upscale_photo), [photo, model, scale, degrade_first, tile, larger],
                     [slider, download, info], api_name=ctx.api_name("upscale"),
                     concurrency_id=ctx.heavy_concurrency_id, concurrency_limit=1)
    kit.stop_button(stop, event)
    if models:
        kit.first_view(partial(upscale_photo, ctx, FIRST, models[0], progress=None),
                       [slider, download, info])
