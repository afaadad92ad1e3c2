"""Registration of the ``pixelart`` plugin: its weights (a fixed palette) and its tab.

Cheap to import: no numpy, no gradio; the tab's module is imported when the app builds it. This is
exactly the shape of the built-in plugins (``plugins/<name>/plugin.py`` with its own ``weights.yaml``).
"""

from __future__ import annotations

from pathlib import Path

from hub import Demo, hookimpl

PALETTE_ID = "pixelart-pico8-palette"

#: The card of this plugin's generated Space (``ganhub spaces build --plugin pixelart``).
SPACE = dict(
    emoji="👾", short="Pixel art: block averaging and palette quantisation",
    tags=["pixel-art", "image-processing"], papers=[],
    limits=["Not a GAN: a small, real third-party plugin that shows the plugin path end to end."])


@hookimpl
def register_weights(register):
    register(str(Path(__file__).with_name("weights.yaml")))


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
        description="Block averaging + k-means or PICO-8 palette quantisation (+ optional Floyd–Steinberg dithering)",
        space=SPACE,
    ))
