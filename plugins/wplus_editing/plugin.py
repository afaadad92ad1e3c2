"""W+ editing: invert a photo into a StyleGAN-like generator, then morph, mix, transfer, truncate,
and edit it with colour scribbles (iGAN's constrained edit).

Technique plugin: it registers one tab and no models; every ``LatentGenerator`` registered by any
plugin appears in its model list. The Python API lives in ``plugins.wplus_editing.api``; the
engine in ``hub.nn.inversion``. Importing this package loads neither torch nor gradio.
"""

from __future__ import annotations

from hub import Demo, INTERFACE_LATENT_GENERATOR, hookimpl, steps_gpu_seconds



#: The card of this plugin's generated Space (``ganhub spaces build``).
SPACE = dict(
    emoji="🪄", short="GAN inversion into W+ and latent editing",
    tags=["gan-inversion", "image-editing", "stylegan2"],
    papers=["Abdal, Qin, Wonka, *Image2StyleGAN: How to Embed Images Into the StyleGAN Latent Space?*, "
            "ICCV 2019, [arXiv:1904.03189](https://arxiv.org/abs/1904.03189)",
            "Zhu et al., *Generative Visual Manipulation on the Natural Image Manifold* (iGAN), ECCV 2016, "
            "[arXiv:1609.03552](https://arxiv.org/abs/1609.03552)"],
    limits=["Inversion is an optimisation: on CPU it takes tens of seconds; photos far from the "
            "generator's domain (emoji faces for the embedded model) invert poorly."],
)


def _build(ctx):
    from plugins.wplus_editing.ui import build

    build(ctx)


def _invert_budget(method="optimisation", with_noise=True, steps=0, noise_steps=0, tuning_steps=0, **_):
    """What an inversion costs (``Demo.budgets``): the encoder alone runs no optimisation steps; PTI's
    tuning steps cost about a W+ step each, and it runs no noise phase."""
    from hub.api import BASE_SECONDS, OPTIMISATION_MEMORY, SECONDS_PER_NOISE_STEP, SECONDS_PER_W_STEP, Budget

    if method == "encoder":
        return Budget(BASE_SECONDS, OPTIMISATION_MEMORY)
    if method == "pti":
        return Budget(BASE_SECONDS + (float(steps or 0) + float(tuning_steps or 0)) * SECONDS_PER_W_STEP,
                      OPTIMISATION_MEMORY)
    steps = float(steps or 0) * SECONDS_PER_W_STEP + (float(noise_steps or 0) * SECONDS_PER_NOISE_STEP if with_noise else 0)
    return Budget(BASE_SECONDS + steps, OPTIMISATION_MEMORY)


@hookimpl
def register_demos(register):
    from hub.api import SECONDS_PER_W_STEP as W, Budget, steps_budget

    register(Demo(
        id="wplus_editing",
        title="Inversion & W+ editing",
        build=_build,
        order=20,
        description="Invert an image (optimisation, encoder, hybrid or PTI; W+ then noise), morph two "
                    "images, mix coarse/middle/fine styles, transfer expressions, truncate, and "
                    "edit with colour scribbles (iGAN). Latents download as safetensors.",
        models=(f"interface:{INTERFACE_LATENT_GENERATOR}", "vgg19", "vgg16"),
        heavy=True,
        gpu_seconds={"invert": steps_gpu_seconds("steps", "noise_steps", "tuning_steps"),
                     "scribble_edit": steps_gpu_seconds("steps")},
        budgets={"invert": _invert_budget, "scribble_edit": steps_budget(steps=W),
                 "morph_gif": Budget(10, 1 << 29)},
        space=SPACE,
    ))
