"""Style transfer plugin: AdaIN (fast), Gatys (optimisation) and texture synthesis (Gram, Efros-Leung).

Models: ``adain-embedded`` (offline: VGG-19 encoder trained here from a seeded random VGG-19 + its decoder) and
``adain-public`` (the authors' ImageNet ``vgg_normalised`` + decoder, after ``ganhub weights convert
adain-public-vgg`` and ``ganhub weights convert adain-public-decoder``; unavailable offline until then).
Python API: ``plugins.style_transfer.adain.adain``, ``plugins.style_transfer.gatys.gatys``,
``plugins.style_transfer.texture.synthesize_texture``. Importing this package is light.
"""

from __future__ import annotations

from hub import Demo, ModelSpec, TrainerSpec, hookimpl

INTERFACE_STYLE = "StyleTransfer"


def _build_embedded(paths):
    from plugins.style_transfer.adain import build_embedded

    return build_embedded(paths)


def _build_public(paths):
    from plugins.style_transfer.adain import build_public

    return build_public(paths)


def _train_main(argv):
    from plugins.style_transfer.train import main

    return main(argv)


def _build_tab(ctx):
    from plugins.style_transfer.ui import build

    build(ctx)


@hookimpl
def register_models(register):
    register(ModelSpec(
        name="adain-embedded", family="adain", interface=INTERFACE_STYLE, build=_build_embedded,
        weights=("vgg19-random", "adain-embedded-encoder", "adain-embedded-decoder"), offline=True,
        description="AdaIN: VGG-19 to relu4_1 trained here from a seeded-random VGG-19, + its decoder"))
    register(ModelSpec(
        name="adain-public", family="adain", interface=INTERFACE_STYLE, build=_build_public,
        weights=("adain-public-vgg", "adain-public-decoder"), offline=False,
        description="AdaIN (public, ImageNet VGG): the authors' vgg_normalised + decoder (pytorch-AdaIN), "
                    "converted once with `ganhub weights convert adain-public-vgg` / `... adain-public-decoder`"))


@hookimpl
def register_trainers(register):
    register(TrainerSpec(name="adain", main=_train_main, help="train / --export the embedded AdaIN decoder (--train-encoder: and its encoder)"))


@hookimpl
def register_demos(register):
    register(Demo(id="style_transfer", title="Style transfer", build=_build_tab, order=70,
                  description="AdaIN, Gatys and texture synthesis", models=("adain-embedded", "adain-public")))
