"""Handlers of the "Text to image" tab: module-level, one per public action, each documented for the API page
and MCP. Model names are resolved through the tab's context; the work is ``plugins.text_to_image.api``."""

from __future__ import annotations

import hub.ui as kit
from plugins.text_to_image.defaults import MODEL_NAME


def _api():
    """The torch-backed API, imported at the first event (building the tab must not import torch)."""
    from plugins.text_to_image import api

    return api


def _truncation(value) -> float | None:
    return None if not value or float(value) <= 0 else float(value)


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ValueError as exc:
        raise kit.user_error(exc) from None


def generate_images(ctx, model: str, prompt: str, seed: float = 0, n: float = 8, truncation: float = 0):
    """Generate emoji for a caption.

    Args:
        model: name of a registered TextToImage model, e.g. text-to-image-emoji64.
        prompt: the caption, a few words such as "a woman with curly hair and dark skin tone".
        seed: seed of the first image; image i uses seed + i.
        n: how many images, 1-32.
        truncation: draw z from N(0, 1) cut to [-t, t]; 0 = off, lower = safer but less varied.
    """
    m = ctx.get_model(model or MODEL_NAME)
    images = _call(_api().generate, prompt, n=int(n), seed=int(seed or 0), truncation=_truncation(truncation), model=m)
    return [(kit.show(im), f"seed {int(seed or 0) + i}") for i, im in enumerate(images)]


def interpolate_prompts(ctx, model: str, prompt_a: str, prompt_b: str, steps: float = 8, seed: float = 0,
                        truncation: float = 0):
    """Blend two captions: one image per step from the first caption to the second, with the same z.

    Args:
        model: name of a registered TextToImage model.
        prompt_a: the caption at the start of the strip.
        prompt_b: the caption at the end of the strip.
        steps: number of frames, 2-16.
        seed: seed of the one z shared by the whole strip.
        truncation: draw z from N(0, 1) cut to [-t, t]; 0 = off.
    """
    from hub.images import output_folder

    m = ctx.get_model(model or MODEL_NAME)
    frames = _call(_api().interpolate, prompt_a, prompt_b, steps=int(steps), seed=int(seed or 0),
                   truncation=_truncation(truncation), model=m)
    gif = output_folder() / "interpolation.gif"
    gif.write_bytes(_api().gif_bytes(frames))
    return _api().strip_image(frames, scale=4), str(gif)


def restyle_image(ctx, model: str, image, prompt: str):
    """Render a caption in the pose and style of an emoji-like image (the style encoder recovers its z).

    Args:
        model: name of a registered TextToImage model.
        image: an emoji-like image whose pose, framing and style are kept.
        prompt: the new caption to render in that style.
    """
    image = kit.need(image, "a style image")
    return kit.show(_call(_api().restyle, prompt, image, model=ctx.get_model(model or MODEL_NAME)))
