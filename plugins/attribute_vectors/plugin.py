"""Attribute vectors: mean-difference latent directions (White 2016; Radford et al. 2016) (smiling, glasses, hair colour ...),
shipped precomputed per model, and label-free ones (SeFa, GANSpace) computed live for any generator,
applied with one slider per direction (in standard deviations) to an inverted photo or a random
sample; plus user-defined directions from two uploaded sets ("with" / "without").

Technique plugin: one tab, no models. Works with every ``LatentGenerator`` whose ModelSpec names
``related["directions"]`` (a weight id); the user-defined direction works with any generator.
API: ``plugins.attribute_vectors.api``; computing/exporting: ``plugins.attribute_vectors.directions``.
"""

from __future__ import annotations

from pathlib import Path

from hub import Demo, INTERFACE_LATENT_GENERATOR, TrainerSpec, hookimpl, steps_gpu_seconds



#: The card of this plugin's generated Space (``ganhub spaces build``).
SPACE = dict(
    emoji="🎚️", short="Latent attribute vectors as sliders",
    tags=["latent-space", "image-editing", "stylegan2"],
    papers=["White, *Sampling Generative Networks*, 2016, [arXiv:1609.04468](https://arxiv.org/abs/1609.04468)",
            "Radford, Metz, Chintala, *Unsupervised Representation Learning with Deep Convolutional GANs*, "
            "ICLR 2016, [arXiv:1511.06434](https://arxiv.org/abs/1511.06434)",
            "Shen & Zhou, *Closed-Form Factorization of Latent Semantics in GANs*, CVPR 2021, "
            "[arXiv:2007.06600](https://arxiv.org/abs/2007.06600)",
            "Härkönen et al., *GANSpace: Discovering Interpretable GAN Controls*, NeurIPS 2020, "
            "[arXiv:2004.02546](https://arxiv.org/abs/2004.02546)"],
    limits=["A mean-difference direction mixes correlated attributes (entanglement); labelled directions exist "
            "only for generators whose model names `related[\"directions\"]`; label-free ones work for every "
            "generator with StyleGAN2 modulation weights (SeFa) or a mapping network (GANSpace)."],
)


def _build(ctx):
    from plugins.attribute_vectors.ui import build

    build(ctx)


@hookimpl
def register_weights(register):
    register(str(Path(__file__).with_name("weights.yaml")))


def _sets_budget(with_images=None, without_images=None, steps=0, **_):
    """What a direction from two image sets costs (``Demo.budgets``): each image is inverted."""
    from hub.api import BASE_SECONDS, OPTIMISATION_MEMORY, SECONDS_PER_W_STEP, Budget

    images = len(with_images or ()) + len(without_images or ())
    return Budget(BASE_SECONDS + images * (1 + float(steps or 0) * SECONDS_PER_W_STEP), OPTIMISATION_MEMORY)


@hookimpl
def register_demos(register):
    from hub.api import SECONDS_PER_W_STEP as W, steps_budget

    register(Demo(
        id="attribute_vectors",
        title="Attribute vectors",
        build=_build,
        order=21,
        description="Sliders along attribute directions, labelled (mean latent with minus without the attribute) "
                    "or label-free (SeFa, GANSpace), in standard deviations, on an inverted image or a random "
                    "sample; define your own from two image sets.",
        models=(f"interface:{INTERFACE_LATENT_GENERATOR}", "vgg19", "vgg16"),
        heavy=True,
        gpu_seconds={"invert": steps_gpu_seconds("steps"), "direction_from_sets": steps_gpu_seconds("steps")},
        budgets={"invert": steps_budget(steps=W), "direction_from_sets": _sets_budget},
        space=SPACE,
    ))


@hookimpl
def register_trainers(register):
    register(TrainerSpec(name="attribute-directions", main="plugins.attribute_vectors.directions:main",
                         help="compute a generator's attribute directions (mean differences in W+) into weights/"))
