"""Image2StyleGAN++ local editing: improved reconstruction, crossover, scribble edits, local style
transfer and attribute-level feature transfer (masked W+, masked noise, masked style, activation
tensor operations). Inpainting is its own plugin (``plugins.inpainting``) built on the same blocks.

Technique plugin: one tab, no models; every ``LatentGenerator`` works in it. The Python API is
``plugins.i2s_plusplus.api``. Importing this package loads neither torch nor gradio.
"""

from __future__ import annotations

from hub import Demo, INTERFACE_LATENT_GENERATOR, hookimpl, steps_gpu_seconds


#: The card of this plugin's generated Space (``ganhub spaces build``).
SPACE = dict(
    emoji="🧩", short="Image2StyleGAN++: crossover, scribbles, local edits",
    tags=["gan-inversion", "image-editing", "stylegan2"],
    papers=["Abdal, Qin, Wonka, *Image2StyleGAN++: How to Edit the Embedded Images?*, CVPR 2020, "
            "[arXiv:1911.11544](https://arxiv.org/abs/1911.11544)"],
    limits=["Every edit is a masked optimisation in W+ and noise space: slow on CPU, and bounded by "
            "what the generator can draw."],
)


def _build(ctx):
    from plugins.i2s_plusplus.ui import build

    build(ctx)


@hookimpl
def register_demos(register):
    from hub.api import SECONDS_PER_NOISE_STEP as N, SECONDS_PER_W_STEP as W, steps_budget

    register(Demo(
        id="i2s_plusplus",
        title="Image2StyleGAN++ local edits",
        build=_build,
        order=30,
        description="Masked W+ and noise optimisation (Image2StyleGAN++): best-quality reconstruction, "
                    "crossover of two images under a mask, local edits from colour scribbles, local "
                    "style transfer and activation-tensor feature transfer.",
        models=(f"interface:{INTERFACE_LATENT_GENERATOR}", "vgg19", "vgg16"),
        heavy=True,
        gpu_seconds={"reconstruct": steps_gpu_seconds("w_steps", "noise_steps"),
                     "crossover": steps_gpu_seconds("w_steps", "noise_steps"),
                     "scribbles": steps_gpu_seconds("embed_steps", "w_steps", "noise_steps"),
                     "local_style": steps_gpu_seconds("embed_steps", "w_steps", "noise_steps"),
                     "feature_transfer": steps_gpu_seconds("embed_steps", "noise_steps")},
        # the style loss's Gram matrices cost about half a W+ step more; feature transfer embeds two images
        budgets={"reconstruct": steps_budget(w_steps=W, noise_steps=N), "crossover": steps_budget(w_steps=W, noise_steps=N),
                 "scribbles": steps_budget(embed_steps=W, w_steps=W, noise_steps=N),
                 "local_style": steps_budget(embed_steps=W, w_steps=1.5 * W, noise_steps=N),
                 "feature_transfer": steps_budget(embed_steps=2 * W, noise_steps=2 * N, memory_bytes=2 << 30)},
        space=SPACE,
    ))
