"""StyleGAN2: the GAN prior of GAN Hub (model plugin + the "Sample" tab + the ``stylegan2`` trainer).

Models (interface ``LatentGenerator`` unless noted):
* ``stylegan2-emoji64`` — embedded, trained here on the emoji-faces set (plugins/stylegan2/weights/stylegan2-emoji64.md);
  companions ``stylegan2-emoji64-discriminator`` (interface ``Discriminator``: image -> realism logit),
  ``stylegan2-emoji64-encoder`` (interface ``LatentEncoder``: image -> W+) and
  ``emoji-attribute-classifier`` (interface ``AttributeClassifier``, registered by the emoji plugin);
* ``stylegan2-ffhq-1024``, ``stylegan2-cat-256``, ``stylegan2-church-256``, ``stylegan2-car-512`` — the
  public NVIDIA config-f generators in rosinality's layout on the Hugging Face Hub; run
  ``ganhub weights convert <id>`` once (pickle -> safetensors), then they load like the embedded one.

Importing this package imports neither torch nor gradio; builders do the work on first use.
Its weight entries live in ``plugins/stylegan2/weights.yaml``, the embedded files in ``weights/`` beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from hub import Demo, ModelSpec, TrainerSpec, hookimpl
from hub.api import INTERFACE_DISCRIMINATOR, INTERFACE_LATENT_ENCODER, INTERFACE_LATENT_GENERATOR

FAMILY = "stylegan2"

EMOJI = "stylegan2-emoji64"
EMOJI_D = "stylegan2-emoji64-discriminator"
EMOJI_E = "stylegan2-emoji64-encoder"
CLASSIFIER = "emoji-attribute-classifier"

#: (model name = weight id, description) of the public rosinality-format generators.
HUB_GENERATORS = (
    ("stylegan2-ffhq-1024", "NVIDIA StyleGAN2 config-f, FFHQ faces 1024 px (rosinality layout; convert first)"),
    ("stylegan2-cat-256", "NVIDIA StyleGAN2 config-f, LSUN Cat 256 px (rosinality layout; convert first)"),
    ("stylegan2-church-256", "NVIDIA StyleGAN2 config-f, LSUN Church 256 px (rosinality layout; convert first)"),
    ("stylegan2-car-512", "NVIDIA StyleGAN2 config-f, LSUN Car 512 px (rosinality layout; convert first)"),
)


#: The card of this plugin's generated Space (``ganhub spaces build``).
SPACE = dict(
    emoji="🎲", short="StyleGAN2 samples: seeds, truncation, style mixing",
    tags=["stylegan2", "image-generation"],
    papers=["Karras et al., *Analyzing and Improving the Image Quality of StyleGAN*, CVPR 2020, "
            "[arXiv:1912.04958](https://arxiv.org/abs/1912.04958)"],
    limits=["The embedded generator is 64 px and trained on CPU on emoji faces: it shows the technique, "
            "not photo quality. The public NVIDIA generators are non-commercial and need "
            "`ganhub weights convert ID` once (pickle → safetensors)."],
)


def _build_generator(weight_id: str):
    def build(paths: Mapping[str, Path]):
        from plugins.stylegan2.convert import load_generator

        return load_generator(paths[weight_id])

    return build


def _build_discriminator(paths: Mapping[str, Path]):
    from plugins.stylegan2.convert import load_discriminator

    return load_discriminator(paths[EMOJI_D])


def _build_encoder(paths: Mapping[str, Path]):
    from plugins.stylegan2.encoder import load_encoder

    return load_encoder(paths[EMOJI_E])


@hookimpl
def register_weights(register):
    register(str(Path(__file__).with_name("weights.yaml")))


@hookimpl
def register_models(register):
    register(ModelSpec(
        name=EMOJI, family=FAMILY, interface=INTERFACE_LATENT_GENERATOR, build=_build_generator(EMOJI),
        weights=(EMOJI,),
        description="StyleGAN2 64 px trained on CPU on emoji faces (embedded); see plugins/stylegan2/weights/stylegan2-emoji64.md",
        related={"discriminator": EMOJI_D, "encoder": EMOJI_E, "classifier": CLASSIFIER,
                 "directions": "stylegan2-emoji64-directions"}))
    register(ModelSpec(
        name=EMOJI_D, family=FAMILY, interface=INTERFACE_DISCRIMINATOR, build=_build_discriminator,
        weights=(EMOJI_D,),
        description="The ResNet discriminator of stylegan2-emoji64 (realism logit; the -λ·D(G(w)) term)"))
    register(ModelSpec(
            name=EMOJI_E, family=FAMILY, interface=INTERFACE_LATENT_ENCODER, build=_build_encoder,
            weights=(EMOJI_E,),
            description="Image -> W+ encoder for stylegan2-emoji64 (offsets from w_avg); see plugins/stylegan2/weights/stylegan2-emoji64-encoder.md"))
    for name, description in HUB_GENERATORS:
        register(ModelSpec(name=name, family=FAMILY, interface=INTERFACE_LATENT_GENERATOR,
                           build=_build_generator(name), weights=(name,), description=description))


@hookimpl
def register_demos(register):
    from hub.api import Budget

    def build(ctx):
        from plugins.stylegan2.ui import build_sample_tab

        build_sample_tab(ctx)

    register(Demo(id="stylegan2_sample", title="Sample", build=build, order=10,
                  description="Random samples from a StyleGAN2: seeds, truncation ψ, style mixing by layer range.",
                  models=(f"interface:{INTERFACE_LATENT_GENERATOR}",), space=SPACE,
                  budgets={"generate": Budget(5, 1 << 29)}))  # at most 64 seeds, one forward pass


@hookimpl
def register_trainers(register):
    register(TrainerSpec(name="stylegan2", main="plugins.stylegan2.train:main",
                         help="train (or resume) the StyleGAN2 emoji model; --export writes weights/"))
    if not (Path(__file__).parent / "train_encoder.py").is_file():
        return
    register(TrainerSpec(name="stylegan2-encoder", main="plugins.stylegan2.train_encoder:main",
                         help="train the image -> W+ encoder of stylegan2-emoji64 with G frozen"))
