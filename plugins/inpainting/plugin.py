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


def _fill_budget(w_steps=0, noise_steps=0, grow=None, blur_sigma=None, **others):
    """What a fill costs (``Demo.budgets``): the steps, times the fills of one batch, plus growing and
    blurring the mask (M_blur+), whose cost grows with the square of the grow and blur radii. The
    mask is at the generator's resolution, counted at 1024 px (the largest StyleGAN2) so that the
    bound holds for any generator."""
    from hub.api import BASE_SECONDS, OPTIMISATION_MEMORY, SECONDS_PER_NOISE_STEP, SECONDS_PER_W_STEP, Budget

    side, fills = 1024.0, max(1.0, float(others.get("count") or 1))  # count: the fills of "Variations"
    grow, sigma = abs(float(grow or 0)), abs(float(blur_sigma or 0))
    padded = side + 6 * sigma + 2  # a separable blur of radius 3 sigma on the replicate-padded mask
    steps = float(w_steps or 0) * SECONDS_PER_W_STEP + float(noise_steps or 0) * SECONDS_PER_NOISE_STEP
    seconds = (BASE_SECONDS + fills * steps
               + side * side * (2 * grow + 1) ** 2 / 1e9 + padded * padded * (6 * sigma + 1) / 1e9)
    return Budget(seconds, fills * OPTIMISATION_MEMORY + 12 * padded * padded)


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
        gpu_seconds={"inpaint": steps_gpu_seconds("w_steps", "noise_steps"),
                     "variations": steps_gpu_seconds("w_steps", "noise_steps", times=("count",))},
        budgets={"inpaint": _fill_budget, "variations": _fill_budget},
        space=SPACE,
    ))
