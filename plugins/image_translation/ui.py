"""The "Image translation" tab: a Pix2Pix sub-tab and a CycleGAN sub-tab, thin layers over ``api``."""

from __future__ import annotations

from typing import Any

import gradio as gr

from plugins.image_translation.defaults import INTERFACE_CYCLEGAN, INTERFACE_PIX2PIX

#: the direction names each known CycleGAN model offers (any other model: AtoB / BtoA)
DIRECTIONS = {"cyclegan-noto-twemoji64": ["noto2twemoji", "twemoji2noto"], "cyclegan-horse2zebra": ["horse2zebra"]}
MODES = ("Draw a sketch", "Upload a line drawing", "Edges of an uploaded image")


def _composite(editor_value: Any):
    """The drawing of a ``gr.Sketchpad`` / ``gr.ImageEditor`` value (dict with ``composite``), or None."""
    if editor_value is None:
        return None
    if isinstance(editor_value, dict):
        img = editor_value.get("composite")
        if img is None:
            layers = editor_value.get("layers") or []
            img = layers[-1] if layers else None
        return img
    return editor_value


def _has_ink(img) -> bool:
    from plugins.image_translation.sketch import as_rgb_array

    return bool((as_rgb_array(img).min(axis=2) < 160).any())


def run_pix2pix(mode: str, drawing: Any, upload: Any, model_name: str, n: int = 4, seed: int = 0):
    """-> (the line map the model saw, [outputs], markdown). Used by the tab and callable from tests."""
    import time

    from plugins.image_translation.api import samples

    if not model_name:
        raise gr.Error("Choose a model (no Pix2Pix model is registered).")
    if mode == MODES[0]:
        image = _composite(drawing)
        if image is None or not _has_ink(image):
            raise gr.Error("Draw something on the sketchpad first (dark strokes on the white canvas).")
        source = "lines"
    else:
        if upload is None:
            raise gr.Error("Upload an image first.")
        image = upload
        source = "lines" if mode == MODES[1] else "edges"
    t0 = time.perf_counter()
    try:
        lines, outs = samples(model_name, image, int(n), source=source, seed=int(seed))
    except Exception as exc:  # a missing or unconverted weight, a bad file
        raise gr.Error(str(exc)) from None
    dt = time.perf_counter() - t0
    info = (f"**{model_name}**: {len(outs)} output{'s' if len(outs) != 1 else ''} from dropout noise seeds "
            f"{int(seed)}..{int(seed) + len(outs) - 1} in {dt:.2f} s. Above: the {lines.width}x{lines.height} line map "
            f"the model saw; results are {outs[0].width}x{outs[0].height}, shown enlarged.")
    return _enlarge(lines), [_enlarge(o) for o in outs], info


def _enlarge(img, size: int = 256):
    """Nearest-neighbour enlargement for display: a 64 px result stays crisp instead of blurred by the browser."""
    from PIL import Image

    if img is None or img.width >= size:
        return img
    k = size // img.width
    return img.resize((img.width * k, img.height * k), Image.Resampling.NEAREST)


def run_cyclegan(image: Any, model_name: str, direction: str):
    """-> (input as the model saw it, translation, reconstruction or None, markdown)."""
    import time

    from hub.images import to_pil
    from plugins.image_translation.api import _cycle_input, cycle, load_model, parse_direction

    if image is None:
        raise gr.Error("Upload an image first.")
    if not model_name:
        raise gr.Error("Choose a model (no CycleGAN model is registered).")
    try:
        m = load_model(model_name)
        t0 = time.perf_counter()
        fake, rec = cycle(m, image, direction)
        dt = time.perf_counter() - t0
    except Exception as exc:  # an unknown direction, a missing or unconverted weight
        raise gr.Error(str(exc)) from None
    seen = to_pil(_cycle_input(m, image).cpu())
    a, b = m.domains
    src, dst = (a, b) if parse_direction(m, direction) else (b, a)
    info = f"**{model_name}** {src} -> {dst} ({m.resolution} px) in {dt:.2f} s."
    if rec is None:
        info += f" This model has no {dst} -> {src} generator, so no cycle reconstruction."
    else:
        import numpy as np

        from hub.training import psnr
        from plugins.image_translation.evaluate import to_tensor_batch

        p = float(psnr(to_tensor_batch(np.asarray(rec)[None]), to_tensor_batch(np.asarray(seen)[None]))[0])
        info += f" Cycle reconstruction {src} -> {dst} -> {src}: {p:.2f} dB PSNR against the input."
    return _enlarge(seen), _enlarge(fake), _enlarge(rec), info


def _examples():
    """A few held-out emoji of each style for the CycleGAN sub-tab (PIL), when the sets are built."""
    try:
        import numpy as np
        from PIL import Image

        from plugins.emoji.dataset import dataset_dir as noto_dir
        from plugins.emoji.twemoji import dataset_dir as tw_dir

        out = []
        for folder in (noto_dir(64), tw_dir(64)):
            if not (folder / "images.npy").is_file():
                return []
            images = np.load(folder / "images.npy", mmap_mode="r")
            import json

            meta = [json.loads(line) for line in open(folder / "meta.jsonl", encoding="utf-8")]
            held = [i for i, m in enumerate(meta) if m["split"] == "heldout"][:40:10]
            out.append([Image.fromarray(np.array(images[i])) for i in held])
        return out
    except Exception:
        return []


def build(ctx) -> None:
    p2p_models = ctx.models_for(INTERFACE_PIX2PIX)
    cg_models = ctx.models_for(INTERFACE_CYCLEGAN)
    gr.Markdown("Image-to-image translation. **Pix2Pix** (Isola et al. 2017) learns from paired examples (here: "
                "line maps -> emoji); **CycleGAN** (Zhu et al. 2017) from two unpaired sets (here: Noto Color "
                "Emoji and Twemoji), with a second generator mapping back and a cycle loss tying the two.")
    with gr.Tab("Pix2Pix: sketch -> emoji"):
        with gr.Row():
            with gr.Column(scale=1):
                mode = gr.Radio(list(MODES), value=MODES[0], label="Input")
                pad = gr.Sketchpad(label="Sketch: pick the brush on the left, draw black strokes (a face works best)", type="pil",
                                   image_mode="RGBA", canvas_size=(384, 384), height=420, format="png",
                                   brush=gr.Brush(default_size=10, colors=["#000000"], color_mode="fixed"))
                upload = gr.Image(label="Image (a line drawing, or any picture for its edges)", type="pil",
                                  image_mode="RGBA", sources=["upload", "clipboard"], format="png", visible=False)
                model = gr.Dropdown(p2p_models, value=p2p_models[0] if p2p_models else None, label="Model")
                with gr.Row():
                    n = gr.Slider(1, 8, value=4, step=1, label="Outputs (dropout noise samples)")
                    seed = gr.Number(0, precision=0, label="Seed")
                go = gr.Button("Translate", variant="primary")
            with gr.Column(scale=1):
                seen = gr.Image(label="Line map the model saw", type="pil", format="png", height=200)
                gallery = gr.Gallery(label="Outputs", columns=4, height=260, format="png")
                info = gr.Markdown()

        def switch(m):
            return gr.update(visible=m == MODES[0]), gr.update(visible=m != MODES[0])

        mode.change(switch, mode, [pad, upload], api_visibility="private")
        go.click(run_pix2pix, [mode, pad, upload, model, n, seed], [seen, gallery, info],
                 api_name=ctx.api_name("pix2pix"), concurrency_id=ctx.heavy_concurrency_id)
    with gr.Tab("CycleGAN: Noto <-> Twemoji"):
        with gr.Row():
            with gr.Column(scale=1):
                photo = gr.Image(label="Image", type="pil", image_mode="RGBA", sources=["upload", "clipboard"],
                                 format="png", height=260)
                cg_model = gr.Dropdown(cg_models, value=cg_models[0] if cg_models else None, label="Model")
                first = DIRECTIONS.get(cg_models[0] if cg_models else "", ["AtoB", "BtoA"])
                direction = gr.Radio(first, value=first[0], label="Direction")
                run = gr.Button("Translate", variant="primary")
            with gr.Column(scale=2):
                with gr.Row():
                    cg_seen = gr.Image(label="Input (as the model saw it)", type="pil", format="png", height=200)
                    fake = gr.Image(label="Translation", type="pil", format="png", height=200)
                    rec = gr.Image(label="Cycle reconstruction", type="pil", format="png", height=200)
                cg_info = gr.Markdown()
        examples = _examples()
        if examples:
            gr.Examples([[im, "noto2twemoji"] for im in examples[0]] + [[im, "twemoji2noto"] for im in examples[1]],
                        [photo, direction], label="Held-out emoji (Noto, then Twemoji)",
                        api_name=ctx.api_name("load_example"))

        def directions(name):
            choices = DIRECTIONS.get(name, ["AtoB", "BtoA"])
            return gr.update(choices=choices, value=choices[0])

        cg_model.change(directions, cg_model, direction, api_visibility="private")
        run.click(run_cyclegan, [photo, cg_model, direction], [cg_seen, fake, rec, cg_info],
                  api_name=ctx.api_name("cyclegan"), concurrency_id=ctx.heavy_concurrency_id)
