"""W+ editing: invert a photo into a StyleGAN-like generator, then morph, mix, transfer, truncate,
and edit it with colour scribbles (iGAN's constrained edit).

Technique plugin: it registers one tab and no models; every ``LatentGenerator`` registered by any
plugin appears in its model list. The Python API lives in ``plugins.wplus_editing.api``; the
engine in ``hub.nn.inversion``. Importing this package loads neither torch nor gradio.
"""

from __future__ import annotations

from hub import INTERFACE_LATENT_GENERATOR, Demo, hookimpl



def _build(ctx):
    from plugins.wplus_editing.ui import build

    build(ctx)


@hookimpl
def register_demos(register):
    register(Demo(
        id="wplus_editing",
        title="Inversion & W+ editing",
        build=_build,
        order=20,
        description="Invert an image (optimisation, encoder or hybrid; W+ then noise), morph two "
                    "images, mix coarse/middle/fine styles, transfer expressions, truncate, and "
                    "edit with colour scribbles (iGAN). Latents download as safetensors.",
        models=(f"interface:{INTERFACE_LATENT_GENERATOR}",),
    ))
