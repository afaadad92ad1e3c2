"""GAN-prior inpainting (Image2StyleGAN++): fill a hole drawn with the brush or made of transparent
pixels, from the encoder's code of the Telea-filled image (when the model has an encoder), from w_avg
or from random starts ("Variations"), beside OpenCV's Telea / Navier-Stokes.

Technique plugin: one tab, no models; every ``LatentGenerator`` works in it. The Python API is
``plugins.inpainting.api``. Importing this package loads neither torch nor gradio.
"""

from __future__ import annotations

from hub import Demo, INTERFACE_LATENT_GENERATOR, hookimpl, steps_gpu_seconds


#: The card of this plugin's generated Space (``ganhub spaces build``).
SPACE = dict(
    emoji="🩹", short="GAN-prior image completion (inpainting)",
    tags=["inpainting", "gan-inversion", "stylegan2"],
    papers=["Yeh et al., *Semantic Image Inpainting with Deep Generative Models*, CVPR 2017, "
            "[arXiv:1607.07539](https://arxiv.org/abs/1607.07539)",
            "Abdal, Qin, Wonka, *Image2StyleGAN++: How to Edit the Embedded Images?*, CVPR 2020, "
            "[arXiv:1911.11544](https://arxiv.org/abs/1911.11544)"],
    limits=["The hole is filled with what the generator knows: content outside its domain cannot be "
            "completed; large holes give plausible, not faithful, content."],
)


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
        models=(f"interface:{INTERFACE_LATENT_GENERATOR}", "vgg19", "vgg16"),
        heavy=True,
        gpu_seconds={"inpaint": steps_gpu_seconds("w_", "n_"), "variations": steps_gpu_seconds("w_", "n_", times=("k_",))},
        space=SPACE,
    ))
