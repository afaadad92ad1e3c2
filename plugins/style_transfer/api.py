"""Style transfer, the Python API: one function per method over loaded modules, and ``METHODS``, the registry
the tab (and any caller) picks a method from by its name.

Every method is a generator of ``(step, PIL image, info)``: the optimisations (Gatys, Gram texture) and
Efros-Leung yield every few steps, so a caller can stream and stop; the feed-forward ones (AdaIN, fast)
yield once. They share one signature so that ``transfer(method, content, styles, model, **params)`` can
run any of them; a parameter a method does not use is ignored.

    from hub import get_model
    from plugins.style_transfer.api import transfer
    *_, (step, image, info) = transfer("AdaIN", "photo.png", ["starry.png"], get_model("adain-embedded"), alpha=0.8)

The models are loaded modules, never names: an ``AdaINModel`` for AdaIN, a ``FastStyleModel`` for the fast
method (one network per style, so it ignores ``styles``); Gatys and the textures load their VGG themselves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

__all__ = ["Method", "METHODS", "transfer", "adain_method", "fast_method", "gatys_method", "gram_texture_method",
           "efros_leung_method"]

Steps = Iterator[tuple[int, Any, dict]]


def adain_method(content, styles: Sequence, model, *, alpha: float = 1.0, style_weights=None,
                 preserve_color: str | None = None, size: int = 256, **_) -> Steps:
    """AdaIN (Huang & Belongie 2017): one pass; ``alpha`` trades content for style, ``preserve_color``
    None | "luminance" | "histogram"; ``style_weights`` mixes several styles."""
    from plugins.style_transfer.adain import adain

    t0 = time.perf_counter()
    out = adain(content, list(styles), alpha=float(alpha), style_weights=style_weights,
                preserve_color=None if preserve_color in (None, "none") else preserve_color, model=model,
                max_side=int(size))
    yield 1, out, {"seconds": time.perf_counter() - t0}


def fast_method(content, styles: Sequence, model, *, size: int = 256, preserve_color: str | None = None, **_) -> Steps:
    """Fast feed-forward style (Johnson et al. 2016): one pass of the style's own network (``styles`` unused)."""
    from plugins.style_transfer.fast import fast_style

    out, seconds = fast_style(content, model, max_side=int(size), preserve_color=preserve_color not in (None, "none"))
    yield 1, out, {"seconds": seconds}


def gatys_method(content, styles: Sequence, model=None, *, style_weights=None, steps: int = 200,
                 style_weight: float = 1e4, size: int = 256, every: int = 10, **_) -> Steps:
    """Gatys et al. (2016): optimise the image itself against VGG-19 content and Gram targets; yields every
    ``every`` steps."""
    from plugins.style_transfer.gatys import gatys

    yield from gatys(content, list(styles), style_weights=style_weights, steps=int(steps),
                     style_weight=float(style_weight), max_side=int(size), every=int(every))


def gram_texture_method(content, styles: Sequence, model=None, *, steps: int = 200, style_weight: float = 1e4,
                        size: int = 256, **_) -> Steps:
    """Gram-matrix texture synthesis (Gatys et al. 2015) from the first style image, from noise."""
    from plugins.style_transfer.texture import gram_texture

    yield from gram_texture(styles[0], int(size), steps=int(steps), style_weight=float(style_weight))


def efros_leung_method(content, styles: Sequence, model=None, *, size: int = 64, **_) -> Steps:
    """Non-parametric texture synthesis (Efros & Leung 1999), at most 128 px: it copies sample pixels."""
    from plugins.style_transfer.texture import efros_leung

    yield from efros_leung(styles[0], min(int(size), 128))


@dataclass(frozen=True)
class Method:
    """A style-transfer method: its function and what it needs."""

    run: Callable[..., Steps]
    content: bool  # needs a content photo
    style: bool  # needs a style image (or texture sample)
    model: str | None  # the module it takes: "adain", "fast" or None (loads its own VGG)
    streams: bool  # yields intermediate images (an optimisation or a scanline synthesis)


METHODS: dict[str, Method] = {
    "AdaIN": Method(adain_method, content=True, style=True, model="adain", streams=False),
    "Fast (Johnson et al.)": Method(fast_method, content=True, style=False, model="fast", streams=False),
    "Gatys": Method(gatys_method, content=True, style=True, model=None, streams=True),
    "Texture (Gram)": Method(gram_texture_method, content=False, style=True, model=None, streams=True),
    "Texture (Efros-Leung)": Method(efros_leung_method, content=False, style=True, model=None, streams=True),
}


def transfer(method: str, content=None, styles: Sequence = (), model=None, **params) -> Steps:
    """Run ``method`` (a key of ``METHODS``): a generator of (step, PIL image, info). ValueError with a plain
    sentence when the method is unknown or an image or module it needs is missing."""
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}: choose among {', '.join(METHODS)}.")
    m = METHODS[method]
    if m.content and content is None:
        raise ValueError(f"{method} needs a content image.")
    if m.style and not styles:
        raise ValueError(f"{method} needs a style image (or a texture sample).")
    if m.model and (model is None or isinstance(model, str)):
        raise TypeError(f"{method} needs a loaded {m.model} model, not {model!r}")
    return m.run(content, list(styles), model, **params)
