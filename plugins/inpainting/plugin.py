"""GAN-prior inpainting (Image2StyleGAN++): fill a hole drawn with the brush or made of transparent
pixels, from the encoder's code of the Telea-filled image (when the model has an encoder), from w_avg
or from random starts ("Variations"), beside OpenCV's Telea / Navier-Stokes.

Technique plugin: one tab, no models; every ``LatentGenerator`` works in it. The Python API is
``plugins.inpainting.api``. Importing this package loads neither torch nor gradio.
"""

from __future__ import annotations

from hub import INTERFACE_LATENT_GENERATOR, Demo, hookimpl


def _build(ctx):
    from plugins.inpainting.ui import build

    build(ctx)


@hookimpl
def register_demos(register):
    register(Demo(
        id="inpainting",
        title="Inpainting (GAN prior)",
        build=_build,
        order=32,
        description="Image2StyleGAN++ inpainting: masked W+ (paper rows 1-9, 17-18) then noise, from the "
                    "encoder's code of the Telea-filled image, the mean face or N random starts, beside "
                    "OpenCV Telea / Navier-Stokes. Pixels outside the hole are returned untouched.",
        models=(f"interface:{INTERFACE_LATENT_GENERATOR}",),
    ))
