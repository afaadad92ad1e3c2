"""Quality and speed bars of the fast style models, as public functions (the benchmarks are thin CLIs).

Quality against the teacher: for a style and a held-out content photo (data.EVAL_CONTENT /
CONFIRM_CONTENT, never trained on), the fast output and a Gatys run at its default step count that
optimises the SAME loss (``fast.TEACHER``: VGG-16, relu2_2 content, Gram at relu1_2..relu4_3, tv) are
both measured by ``measure`` with the same VGG in float32, after both were rounded to 8-bit PNG pixels.
The bar: fast style loss and fast content loss each at most 1.5x Gatys's.

Speed: one fast forward at side x side against Gatys at the plugin's default settings (VGG-19, 200
steps) on the same content, in one process, one after the other.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterable, Sequence

import torch

#: Held-out content photos for the quality bar: two of EVAL_CONTENT (not aero3, a near-duplicate of the
#: training photo aero1) and one of CONFIRM_CONTENT.
HELDOUT = (("skimage", "chelsea.png"), ("opencv", "chicky_512.png"), ("opencv", "fruits.jpg"))
SIDE = 256
#: Training photos (plugins/style_transfer/data.py CONTENT_FILES) on which per-style loss weights are
#: chosen (train_fast.STYLE_SCALE), so that the held-out photos above stay unused by any choice.
TUNING = (("skimage", "astronaut.png"), ("opencv", "baboon.jpg"))


def measure(output, content, targets, vgg) -> dict[str, float]:
    """Unweighted content / style / tv losses of ``output`` (PIL) for ``content`` (PIL), float32."""
    from plugins.style_transfer.adain import _pil_to_tensor
    from plugins.style_transfer.fast import perceptual_losses

    y = _pil_to_tensor(output, None, multiple=1)
    c = _pil_to_tensor(content.resize(output.size), None, multiple=1)
    with torch.no_grad():
        losses = perceptual_losses(y, c, targets, vgg, bf16=False)
    return {k: float(v) for k, v in losses.items()}


def gatys_teacher(content, style, steps: int = 200, side: int = SIDE):
    """Gatys with the fast models' loss, default step count: (PIL image, seconds)."""
    from plugins.style_transfer.fast import TEACHER
    from plugins.style_transfer.gatys import gatys, run_to_end

    t0 = time.perf_counter()
    img, _ = run_to_end(gatys(content, style, steps=steps, every=steps, max_side=side, **TEACHER))
    return img, time.perf_counter() - t0


def teacher_runs(styles: Sequence[str], contents=HELDOUT, cache: Path | None = None, steps: int = 200,
                 log=print, side: int = SIDE) -> dict:
    """Run (or read from ``cache``) the Gatys teacher for every (style, content): {key: {png, seconds}}."""
    from PIL import Image

    from plugins.style_transfer import data
    from plugins.style_transfer.fast import BUILTIN_STYLES

    cache = Path(cache) if cache else None
    index_file = cache / "index.json" if cache else None
    index = json.loads(index_file.read_text()) if index_file and index_file.exists() else {}
    for where, name in contents:  # every style gets the first photo first
        for style in styles:
            style_img = Image.open(BUILTIN_STYLES[style].path()).convert("RGB")
            key = teacher_key(style, name, steps, side)
            if key in index and Path(index[key]["png"]).exists():
                continue
            content = data.eval_image(where, name, side)
            img, seconds = gatys_teacher(content, style_img, steps, side)
            png = (cache or Path(".")) / f"gatys-{key.replace('/', '-')}.png"
            png.parent.mkdir(parents=True, exist_ok=True)
            img.save(png)
            index[key] = {"png": str(png), "seconds": seconds}
            if index_file:
                index_file.write_text(json.dumps(index, indent=1))
            log(f"gatys {key}: {seconds:.0f} s")
    return index


def teacher_key(style: str, photo: str, steps: int, side: int = SIDE) -> str:
    """The teacher cache's key; sides other than SIDE (tuning runs) carry their side."""
    return f"{style}/{Path(photo).stem}/{steps}" + ("" if side == SIDE else f"/{side}")


def quality_table(styles: Sequence[str], models: dict, contents=HELDOUT, cache: Path | None = None,
                  steps: int = 200, log=print, side: int = SIDE) -> list[dict]:
    """One row per (style, content): fast and Gatys losses, their ratios and the fast forward time.

    models: {style: FastStyleModel}. Gatys images come from ``teacher_runs`` (cached)."""
    from PIL import Image

    from plugins.style_transfer import data
    from plugins.style_transfer.fast import BUILTIN_STYLES, fast_style, loss_network, style_targets

    index = teacher_runs(styles, contents, cache, steps, log, side)
    vgg = loss_network()
    rows = []
    for style in styles:
        targets = style_targets(Image.open(BUILTIN_STYLES[style].path()).convert("RGB"), vgg)
        for where, name in contents:
            content = data.eval_image(where, name, side)
            fast_img, fast_s = fast_style(content, models[style], max_side=side)
            entry = index[teacher_key(style, name, steps, side)]
            gatys_img = Image.open(entry["png"]).convert("RGB")
            f, g = measure(fast_img, content, targets, vgg), measure(gatys_img, content, targets, vgg)
            rows.append({"style": style, "content": name, "fast": f, "gatys": g,
                         "style_ratio": f["style"] / g["style"], "content_ratio": f["content"] / g["content"],
                         "fast_seconds": fast_s, "gatys_seconds": entry["seconds"],
                         "images": (content, gatys_img, fast_img)})
    return rows


def summarise(rows: Iterable[dict], bar: float = 1.5) -> dict[str, dict]:
    """Per style: mean losses and ratios (ratio of the means), and whether both are within ``bar``."""
    out: dict[str, dict] = {}
    for r in rows:
        s = out.setdefault(r["style"], {"n": 0, "fast_style": 0.0, "gatys_style": 0.0, "fast_content": 0.0,
                                        "gatys_content": 0.0})
        s["n"] += 1
        for k in ("style", "content"):
            s[f"fast_{k}"] += r["fast"][k]
            s[f"gatys_{k}"] += r["gatys"][k]
    for s in out.values():
        s["style_ratio"] = s["fast_style"] / s["gatys_style"]
        s["content_ratio"] = s["fast_content"] / s["gatys_content"]
        s["meets_bar"] = s["style_ratio"] <= bar and s["content_ratio"] <= bar
    return out


def grid(rows: Sequence[dict], path: Path, cell: int = 160) -> Path:
    """Content | Gatys | fast, one row per (style, content)."""
    from PIL import Image

    canvas = Image.new("RGB", (3 * cell, len(rows) * cell), "white")
    for i, r in enumerate(rows):
        for j, img in enumerate(r["images"]):
            canvas.paste(img.resize((cell, cell), Image.BICUBIC), (j * cell, i * cell))
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)
    return path


def speed(model, side: int = 512, gatys_steps: int = 200, repeats: int = 3, measured_steps: int | None = None,
          content=None, style=None) -> dict[str, float]:
    """Seconds of one fast forward (best of ``repeats``, after a warm-up) and of Gatys (plugin defaults,
    VGG-19) at side x side, run one after the other. ``measured_steps``: time that many Gatys steps and
    scale to ``gatys_steps`` (its steps all cost the same; the first one, which also builds the targets,
    is included)."""
    from PIL import Image

    from plugins.style_transfer import data
    from plugins.style_transfer.fast import fast_style
    from plugins.style_transfer.gatys import gatys, run_to_end

    content = content or data.eval_image("skimage", "chelsea.png", side)
    style = style or Image.open(data._path("opencv", "starry_night.jpg")).convert("RGB")
    fast_style(content, model, max_side=side)
    fast = min(fast_style(content, model, max_side=side)[1] for _ in range(repeats))
    n = measured_steps or gatys_steps
    t0 = time.perf_counter()
    run_to_end(gatys(content, style, steps=n, every=n, max_side=side))
    gatys_s = (time.perf_counter() - t0) * gatys_steps / n
    return {"side": side, "fast_seconds": fast, "gatys_seconds": gatys_s, "gatys_steps": gatys_steps,
            "gatys_steps_timed": n, "speedup": gatys_s / fast}
