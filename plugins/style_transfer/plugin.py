"""Style transfer plugin: AdaIN (arbitrary style, feed-forward), fast feed-forward style transfer (Johnson
et al. 2016, one network per style), Gatys (optimisation) and texture synthesis (Gram, Efros-Leung).

Models: ``adain-embedded`` (offline: VGG-19 encoder trained here from a seeded random VGG-19 + its decoder) and
``adain-public`` (the authors' ImageNet ``vgg_normalised`` + decoder, after ``ganhub weights convert
adain-public-vgg`` and ``ganhub weights convert adain-public-decoder``; unavailable offline until then).
Fast style: ``fast-style-<style>`` (four styles trained here against the embedded VGG-16; weights in
plugins/style_transfer/weights.yaml), ``fast-style-public-<name>`` (the PyTorch examples' candy, mosaic,
rain_princess, udnie after ``ganhub weights convert``), and your own from ``ganhub train fast-style --style IMG``.
Python API: ``plugins.style_transfer.api`` (``transfer(method, content, styles, model, **params)`` over
the ``METHODS`` registry, one function per method, taking loaded modules). Importing this package is light.
"""

from __future__ import annotations

from pathlib import Path

from hub import Demo, ModelSpec, TrainerSpec, hookimpl, steps_gpu_seconds

from plugins.style_transfer.defaults import FAST_EMBEDDED, FAST_PUBLIC, INTERFACE_FAST_STYLE, INTERFACE_STYLE

MANIFEST = Path(__file__).with_name("weights.yaml")


#: The card of this plugin's generated Space (``ganhub spaces build``).
SPACE = dict(
    emoji="🖌️", short="AdaIN and Gatys style transfer, texture synthesis",
    tags=["style-transfer", "adain", "texture-synthesis"],
    papers=["Huang, Belongie, *Arbitrary Style Transfer in Real-time with AdaIN*, ICCV 2017, "
            "[arXiv:1703.06868](https://arxiv.org/abs/1703.06868)",
            "Gatys, Ecker, Bethge, *Image Style Transfer Using Convolutional Neural Networks*, CVPR 2016",
            "Gatys, Ecker, Bethge, *Texture Synthesis Using CNNs*, NeurIPS 2015, "
            "[arXiv:1505.07376](https://arxiv.org/abs/1505.07376)"],
    limits=["Offline there is no ImageNet VGG: Gatys and texture synthesis use the embedded seeded random "
            "VGG, and AdaIN an encoder trained here from it on a few dozen photos. Styles transfer colour "
            "and texture statistics, with weaker structure than the paper's."],
)


def _build_embedded(paths):
    from plugins.style_transfer.adain import build_embedded

    return build_embedded(paths)


def _build_public(paths):
    from plugins.style_transfer.adain import build_public

    return build_public(paths)


def _fast_builder(name: str, source: str):
    def build(paths):
        from plugins.style_transfer.fast import build_model

        return build_model(paths, name, source)

    return build


def _build_tab(ctx):
    from plugins.style_transfer.ui import build

    build(ctx)


@hookimpl
def register_weights(register):
    register(str(MANIFEST))


@hookimpl
def register_models(register):
    for style in FAST_EMBEDDED:
        name = f"fast-style-{style}"
        register(ModelSpec(
            name=name, family="fast-style", interface=INTERFACE_FAST_STYLE, weights=(name,),
            build=_fast_builder(name, "embedded, trained here against the embedded random VGG-16"),
            description=f"Fast style transfer (Johnson et al. 2016) for '{style}', trained here; see its card"))
    for style in FAST_PUBLIC:
        name = f"fast-style-public-{style}"
        register(ModelSpec(
            name=name, family="fast-style", interface=INTERFACE_FAST_STYLE, weights=(name,),
            build=_fast_builder(name, "public: pytorch/examples fast_neural_style (ImageNet VGG-16, MS-COCO)"),
            description=f"Fast style '{style}' of the PyTorch examples (ImageNet VGG-16), after "
                        f"`ganhub weights convert {name} --from {style.replace('-', '_')}.pth`"))
    register(ModelSpec(
        name="adain-embedded", family="adain", interface=INTERFACE_STYLE, build=_build_embedded,
        weights=("vgg19-random", "adain-embedded-encoder", "adain-embedded-decoder"),
        description="AdaIN: VGG-19 to relu4_1 trained here from a seeded-random VGG-19, + its decoder"))
    register(ModelSpec(
        name="adain-public", family="adain", interface=INTERFACE_STYLE, build=_build_public,
        weights=("adain-public-vgg", "adain-public-decoder"),
        description="AdaIN (public, ImageNet VGG): the authors' vgg_normalised + decoder (pytorch-AdaIN), "
                    "converted once with `ganhub weights convert adain-public-vgg` / `... adain-public-decoder`"))


@hookimpl
def register_trainers(register):
    register(TrainerSpec(name="fast-style", main="plugins.style_transfer.train_fast:main",
                         help="train a fast feed-forward style model from your style image: --style IMAGE (resumable)"))
    register(TrainerSpec(name="adain", main="plugins.style_transfer.train:main", help="train / --export the embedded AdaIN decoder (--train-encoder: and its encoder)"))


def _run_budget(method=None, steps=200, size=256, **_):
    """What a style transfer costs (``Demo.budgets``): Gatys and the Gram texture run VGG-19 forward and
    backward once per step, ~0.5 s at 256 px on the reference CPU (0.22 s with bf16 on an idle
    machine, the AdaIN card; ~3 s under load, issue 26), growing with the pixels; the feed-forward
    methods are one pass. Efros-Leung (at most 128 px) is not measured: a generous minute."""
    from hub.api import BASE_SECONDS, Budget

    area = (float(size or 256) / 256) ** 2
    if method in ("Gatys", "Texture (Gram)"):
        return Budget(BASE_SECONDS + float(steps or 0) * 0.5 * area, (0.6 + area) * (1 << 30))
    if method == "Texture (Efros-Leung)":
        return Budget(60, 1 << 29)
    return Budget(BASE_SECONDS + 2 * area, (0.6 + 0.5 * area) * (1 << 30))


@hookimpl
def register_demos(register):
    register(Demo(id="style_transfer", title="Style transfer", build=_build_tab, order=70,
                  description="AdaIN, fast (Johnson et al.), Gatys and texture synthesis",
                  models=("adain-embedded", "adain-public", f"interface:{INTERFACE_FAST_STYLE}", "vgg19", "vgg16"),
                  heavy=True, gpu_seconds={"run": steps_gpu_seconds("steps")}, space=SPACE,
                  budgets={"run": _run_budget}))
