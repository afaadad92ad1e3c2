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


@hookimpl
def register_demos(register):
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
        space=SPACE,
    ))
