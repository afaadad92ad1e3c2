"""The image-translation tab's handlers: module-level functions over ``plugins.image_translation.api``.

They take model names (any registered Pix2Pix / CycleGAN model) and return what the tab shows; inputs
arrive checked by ``hub.ui.validation``, so what is left here is what only the handler can know (an empty
sketch, a missing upload, a model that cannot be had).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

import hub.ui as kit

#: the direction names each known CycleGAN model offers (any other model: AtoB / BtoA)
DIRECTIONS = {"cyclegan-noto-twemoji64": ["noto2twemoji", "twemoji2noto"], "cyclegan-horse2zebra": ["horse2zebra"]}
MODES = ("Draw a sketch", "Upload a line drawing", "Edges of an uploaded image")


def directions_of(model_name: str) -> list[str]:
    return DIRECTIONS.get(model_name or "", ["AtoB", "BtoA"])


def _composite(editor_value: Any):
    """The drawing of a ``gr.Sketchpad`` / ``gr.ImageEditor`` value (dict with ``composite``), or None."""
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


def run_pix2pix(ctx, mode: str, drawing: Any, upload: Any, model_name: str, n: int = 4, seed: int = 0):
    """Turn a sketch or line drawing into an emoji, several times with different dropout noise.

    Args:
        mode: "Draw a sketch", "Upload a line drawing" or "Edges of an uploaded image".
        drawing: the sketchpad's value (used when mode is "Draw a sketch"): dark strokes on white.
        upload: a line drawing, or any picture whose edges the model should see (the other two modes).
        model_name: name of a registered Pix2Pix model, e.g. pix2pix-edges2emoji64.
        n: how many outputs, 1..8 (each with its own dropout noise seed).
        seed: whole number, the first dropout noise seed.

    Returns:
        (the line map the model saw, [outputs], summary in Markdown), enlarged for display.
    """
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
        image = kit.need(upload, "an image")
        source = "lines" if mode == MODES[1] else "edges"
    t0 = time.perf_counter()
    try:
        lines, outs = samples(ctx.get_model(model_name), image, int(n), source=source, seed=int(seed))
    except Exception as exc:  # a missing or unconverted weight, a bad file
        raise kit.user_error(exc) from None
    dt = time.perf_counter() - t0
    info = (f"**{model_name}**: {len(outs)} output{'s' if len(outs) != 1 else ''} from dropout noise seeds "
            f"{int(seed)}..{int(seed) + len(outs) - 1} in {dt:.2f} s. Above: the {lines.width}x{lines.height} line map "
            f"the model saw; results are {outs[0].width}x{outs[0].height}, shown enlarged.")
    return kit.show(lines), [kit.show(o) for o in outs], info


def run_cyclegan(ctx, image: Any, model_name: str, direction: str):
    """Translate an image to the other style, and back again (the cycle reconstruction).

    Args:
        image: the picture to translate (for the emoji model: a Noto or Twemoji emoji).
        model_name: name of a registered CycleGAN model, e.g. cyclegan-noto-twemoji64.
        direction: one of the model's directions, e.g. "noto2twemoji" or "twemoji2noto".

    Returns:
        (input as the model saw it, translation) for the before/after slider, the cycle reconstruction
        (None when the model has no way back), and a summary in Markdown.
    """
    import time

    from hub.images import to_pil
    from plugins.image_translation.api import _cycle_input, cycle, load_model, parse_direction

    image = kit.need(image, "an image")
    if not model_name:
        raise gr.Error("Choose a model (no CycleGAN model is registered).")
    try:
        m = load_model(ctx.get_model(model_name))
        t0 = time.perf_counter()
        fake, rec = cycle(m, image, direction)
        dt = time.perf_counter() - t0
    except Exception as exc:  # an unknown direction, a missing or unconverted weight
        raise kit.user_error(exc) from None
    seen = to_pil(_cycle_input(m, image).cpu())
    a, b = m.domains
    src, dst = (a, b) if parse_direction(m, direction) else (b, a)
    info = f"**{model_name}** {src} -> {dst} ({m.resolution} px) in {dt:.2f} s."
    if rec is None:
        info += f" This model has no {dst} -> {src} generator, so no cycle reconstruction."
    else:
        import numpy as np

        from hub.training import psnr
        from hub.images import batch_to_tensor

        p = float(psnr(batch_to_tensor(np.asarray(rec)[None]), batch_to_tensor(np.asarray(seen)[None]))[0])
        info += f" Cycle reconstruction {src} -> {dst} -> {src}: {p:.2f} dB PSNR against the input."
    return (kit.show(seen), kit.show(fake)), kit.show(rec), info


def heldout_examples() -> tuple[list, list]:
    """A few held-out emoji of each style (PIL): (Noto, Twemoji); empty lists when the sets are not built."""
    import json

    import numpy as np
    from PIL import Image

    from plugins.emoji.dataset import dataset_dir as noto_dir
    from plugins.emoji.twemoji import dataset_dir as tw_dir

    out = []
    for folder in (noto_dir(64), tw_dir(64)):
        if not (folder / "images.npy").is_file():
            return [], []
        images = np.load(folder / "images.npy", mmap_mode="r")
        with open(folder / "meta.jsonl", encoding="utf-8") as fh:
            meta = [json.loads(line) for line in fh]
        held = [i for i, m in enumerate(meta) if m["split"] == "heldout"][:40:10]
        out.append([Image.fromarray(np.array(images[i])) for i in held])
    return out[0], out[1]


def sketch_examples(n: int = 3) -> list:
    """Script-drawn face sketches (PIL), never an edge map of a real emoji."""
    from PIL import Image

    from plugins.image_translation.sketch import hand_drawn_sketches

    return [Image.fromarray(a) for a in hand_drawn_sketches(n)]
