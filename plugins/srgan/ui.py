"""The Super-resolution tab: a thin layer over ``plugins.srgan.infer.upscale``."""

from __future__ import annotations

import os
from pathlib import Path

import gradio as gr

EXAMPLES = Path(__file__).parent / "examples"
INTERFACE = "SuperResolver"


def max_input_side() -> int:
    """Longest input side the tab accepts (``GANHUB_SR_MAX_INPUT_SIDE``, default 1024 px): bigger inputs get a
    clear message instead of minutes of CPU. Below it any size runs tiled, with progress."""
    try:
        return max(16, int(os.environ.get("GANHUB_SR_MAX_INPUT_SIDE", "1024")))
    except ValueError:
        return 1024


def run_upscale(image, model_name: str, scale: int, degrade_first: bool, tile: int,
                progress: gr.Progress | None = None):
    """-> (slider pair (bicubic, model), PNG path, markdown). Used by the tab and callable from tests."""
    from hub.images import load_image_rgba, save_png
    from plugins.srgan.infer import ModelUnavailable, bicubic, degrade, upscale_detailed
    from plugins.srgan.metrics import psnr_y, ssim_y

    if image is None:
        raise gr.Error("Upload a photo to upscale.")
    if not model_name:
        raise gr.Error("Choose a model (no super-resolution model is registered).")
    scale = int(scale)
    img = load_image_rgba(image, max_side=None, what="photo")
    original = None
    if degrade_first:
        if min(img.size) < 16 * scale:
            raise gr.Error(f"'Degrade then restore' needs a photo at least {16 * scale} px on each side.")
        original = img.convert("RGB")
        w, h = original.size
        original = original.crop((0, 0, w - w % scale, h - h % scale))
        img = degrade(original, scale)
    limit = max_input_side()
    if max(img.size) > limit:
        raise gr.Error(f"The input is {img.width}x{img.height}; this tab upscales inputs up to {limit} px on the "
                       f"longest side (output {limit * scale} px). Crop or downscale it, tick 'degrade then "
                       f"restore', or raise GANHUB_SR_MAX_INPUT_SIDE.")

    def report(done, total):
        if progress is not None:
            progress(done / max(total, 1), desc=f"tile {done}/{total}")

    try:
        result = upscale_detailed(img, scale, model_name, tile=int(tile), progress=report)
    except ModelUnavailable as exc:
        raise gr.Error(str(exc)) from None
    out = result.image
    before = bicubic(img, scale)
    if out.mode == "RGBA":
        before = before.convert("RGBA")
        before.putalpha(out.getchannel("A"))
    lines = [f"**{model_name}** x{scale}: {img.width}x{img.height} -> **{out.width}x{out.height}** "
             f"in **{result.seconds:.2f} s** ({result.tiles} tile{'s' if result.tiles != 1 else ''})"]
    if original is not None:
        rgb_out, rgb_bic = out.convert("RGB"), before.convert("RGB")
        p_m, s_m = psnr_y(rgb_out, original, scale), ssim_y(rgb_out, original, scale)
        p_b, s_b = psnr_y(rgb_bic, original, scale), ssim_y(rgb_bic, original, scale)
        lines += ["", "Degraded x{0} with antialiased bicubic, restored, compared with the original "
                  "(Y channel, {0} px border shaved, as in the SR literature):".format(scale), "",
                  "| | PSNR (dB) | SSIM |", "|---|---|---|",
                  f"| bicubic | {p_b:.2f} | {s_b:.4f} |", f"| {model_name} | {p_m:.2f} | {s_m:.4f} |",
                  "", "Paper, Set5 x4: bicubic 28.43 dB, SRResNet 32.05 dB, SRGAN 29.40 dB."]
    path = save_png(out, name=f"upscaled_x{scale}")
    return (before, out), path, "\n".join(lines)


def build(ctx) -> None:
    models = ctx.models_for(INTERFACE)
    gr.Markdown("Upscale a photo x2 or x4 (Ledig et al. 2017: SRResNet for PSNR, SRGAN for texture; "
                "Real-ESRGAN/ESRGAN weights from the Hub when available). Drag the slider to compare bicubic "
                "(left) with the model (right) at the same size. Large images run tile by tile.")
    with gr.Row():
        with gr.Column(scale=1):
            photo = gr.Image(label="Photo", type="pil", image_mode="RGBA", sources=["upload", "clipboard"],
                             format="png")
            model = gr.Dropdown(models, value=models[0] if models else None, label="Model")
            scale = gr.Radio([2, 4], value=4, label="Scale")
            degrade_first = gr.Checkbox(False, label="Degrade then restore: downscale x scale first, restore, "
                                                     "show PSNR/SSIM against the original")
            with gr.Accordion("Advanced", open=False):
                tile = gr.Slider(0, 512, value=256, step=32, label="Tile size (input px; 0 = whole image)")
            with gr.Row():
                go = gr.Button("Upscale", variant="primary")
                stop = gr.Button("Stop")
        with gr.Column(scale=2):
            slider = gr.ImageSlider(label="bicubic | model", type="pil", format="png")
            info = gr.Markdown()
            download = gr.File(label="Full-resolution PNG")
    examples = [[str(EXAMPLES / "chelsea_crop.png"), False], [str(EXAMPLES / "rocket_crop.png"), False],
                [str(EXAMPLES / "coffee.png"), True]]
    gr.Examples([e for e in examples if Path(e[0]).is_file()], [photo, degrade_first], label="Held-out photos",
                api_name=ctx.api_name("load_example"))

    def handler(image, model_name, scale_, degrade_, tile_, progress=gr.Progress()):
        return run_upscale(image, model_name, scale_, degrade_, tile_, progress)

    event = go.click(handler, [photo, model, scale, degrade_first, tile], [slider, download, info],
                     api_name=ctx.api_name("upscale"), concurrency_id=ctx.heavy_concurrency_id, concurrency_limit=1)
    stop.click(None, None, None, cancels=[event], api_visibility="private")
