"""The LAPGAN tab's handlers: module-level functions over ``plugins.lapgan.api`` (the tab wires them).

Each takes the loaded cascade first; ``ui.build`` binds the registered model. Inputs arrive checked by
``hub.ui.validation`` (ranges of sliders and numbers, the dropdowns' choices); what is left here is what
only the handler can know (an empty upload).
"""

from __future__ import annotations

from typing import Any, Callable

import gradio as gr

import hub.ui as kit
from plugins.lapgan.defaults import MODEL_NAME

ANY = "any"
SKIN_CHOICES = [ANY, "none", "light", "medium-light", "medium", "medium-dark", "dark"]
KIND_CHOICES = [ANY, "face", "person", "multi-person"]
SEED_MAX = 2**31 - 1


def _api():
    """The torch-backed API, imported at the first event (building the tab must not import torch)."""
    from plugins.lapgan import api

    return api


def _shown(images, i: int = 0):
    """Image ``i`` of a [N, 3, H, W] batch, enlarged with nearest neighbour for display."""
    from hub.images import to_pil

    return kit.show(to_pil(images[i:i + 1]))


def with_model(ctx, handler: Callable) -> Callable:
    """``handler`` with the registered cascade bound as its first argument (docstring kept for the API page)."""
    def run(*args):
        return handler(ctx.get_model(MODEL_NAME), *args)

    run.__name__, run.__doc__ = handler.__name__, handler.__doc__
    return run


def plain_errors(handler: Callable) -> Callable:
    """The API's ValueErrors (a count or class out of range, a seed that is not a number) as a sentence."""
    import functools

    @functools.wraps(handler)
    def run(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except (ValueError, TypeError) as exc:
            raise kit.user_error(exc) from None

    run.__name__, run.__doc__ = handler.__name__, handler.__doc__
    return run


@plain_errors
def run_generate(model, seed: int = 0, n: int = 8, skin_tone: str = ANY, kind: str = ANY):
    """Draw new emoji and show how the first one was built, level by level.

    Args:
        model: the loaded LAPGAN cascade.
        seed: whole number 0..2**31-1; the same seed gives the same images.
        n: how many images, 1..16.
        skin_tone: "any" (unconditional) or a skin-tone class of the emoji labels.
        kind: "any", "face", "person" or "multi-person".
    """
    api = _api()
    result = api.sample(model, int(n), int(seed), skin_tone, kind)
    gallery = [(_shown(result.images, i), f"image {i}") for i in range(len(result.images))]
    return gallery, api.pyramid_figure(result), kit.png(_pil(result.images), "lapgan_sample")


@plain_errors
def run_variations(model, coarse_seed: int = 0, seed: int = 1, n: int = 8):
    """Keep one 8x8 coarse image and redraw the detail on top of it (the paper's figure).

    Args:
        model: the loaded LAPGAN cascade.
        coarse_seed: whole number 0..2**31-1 choosing the 8x8 image.
        seed: whole number 0..2**31-1 choosing the detail draws.
        n: how many draws, 1..16.
    """
    result = _api().variations(model, int(n), int(seed), int(coarse_seed))
    coarse = [(_shown(result.coarse), "the coarse image Ĩ_3 (8x8)")]
    return coarse + [(_shown(result.images, i), f"draw {i}") for i in range(len(result.images))]


@plain_errors
def run_refine(model, image: Any, seed: int = 0):
    """Shrink a picture to 8x8 and let the cascade fill in the detail.

    Args:
        model: the loaded LAPGAN cascade.
        image: any picture; it is centre-cropped to a square, resized to 64 px and box-averaged to 8x8.
        seed: whole number 0..2**31-1 for the detail draws.
    """
    from hub.images import load_image
    from plugins.lapgan.evaluate import bandpass_energy, coarse_preservation, quantize

    api = _api()
    pil = load_image(kit.need(image, "an image (any picture; it becomes 8x8)"), max_side=1024, what="image")
    coarse = api.to_coarse(pil)
    result = api.refine(model, coarse, 3, int(seed))
    bicubic = api.bicubic_baseline(coarse)
    kept = coarse_preservation(model, coarse, int(seed))
    text = (f"8x8 of the output vs your 8x8: mean absolute error **{kept['mean']:.2f}/255**. Band-pass energy "
            f"(detail above 8x8): LAPGAN **{bandpass_energy(quantize(result.images)):.4f}**, bicubic "
            f"**{bandpass_energy(quantize(bicubic)):.4f}**.")
    return (_shown(coarse), (_shown(bicubic), _shown(result.images)), api.pyramid_figure(result), text,
            kit.png(_pil(result.images), "lapgan_refined"))


def _pil(images):
    from hub.images import to_pil

    return to_pil(images[:1])
