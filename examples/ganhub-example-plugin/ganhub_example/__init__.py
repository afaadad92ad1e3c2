"""GAN Hub plugin ``pixelart``: the hookimpls only (cheap to import; numpy loads on first use)."""

from __future__ import annotations

from hub import Demo, hookimpl

__version__ = "0.1.0"


def __getattr__(name):  # the Python API, imported on first touch
    if name in {"pixelate", "kmeans_palette", "quantize"}:
        from ganhub_example import pixelart

        return getattr(pixelart, name)
    raise AttributeError(name)


def _build_tab(ctx):
    from ganhub_example.ui import build

    build(ctx)


@hookimpl
def register_demos(register):
    register(Demo(
        id="pixelart",
        title="Pixel art",
        build=_build_tab,
        order=900,
        description="Block averaging + k-means palette quantisation (+ optional Floyd–Steinberg dithering)",
    ))
