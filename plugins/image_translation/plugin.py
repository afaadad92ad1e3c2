"""Registration of the image_translation plugin: Pix2Pix (Isola et al. 2017) and CycleGAN (Zhu et al. 2017).

Weights (``weights.yaml``), the models (interfaces ``PairedTranslator`` for Pix2Pix generators and
``UnpairedTranslator`` for CycleGAN pairs), the "Image translation" tab with its two sub-tabs, and the
trainers ``ganhub train pix2pix`` and ``ganhub train cyclegan``. The Python API is
``plugins.image_translation.api`` (``translate``, ``samples``, ``edges``, ``cycle``).

Cheap to import: no torch, numpy or gradio; builders, the tab and the trainers import on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from hub import Demo, ModelSpec, TrainerSpec, hookimpl
from plugins.image_translation.defaults import (CYCLEGAN_EMBEDDED, INTERFACE_CYCLEGAN, INTERFACE_PIX2PIX,
                                                PIX2PIX_EMBEDDED)
MANIFEST = Path(__file__).with_name("weights.yaml")

#: The card of this plugin's generated Space (``ganhub spaces build``); not heavy: one forward pass.
SPACE = dict(
    emoji="✏️", short="Pix2Pix sketch to emoji, CycleGAN Noto <-> Twemoji",
    tags=["pix2pix", "cyclegan", "image-to-image"],
    papers=["Isola, Zhu, Zhou, Efros, *Image-to-Image Translation with Conditional Adversarial Networks*, "
            "CVPR 2017, [arXiv:1611.07004](https://arxiv.org/abs/1611.07004)",
            "Zhu, Park, Isola, Efros, *Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial "
            "Networks*, ICCV 2017, [arXiv:1703.10593](https://arxiv.org/abs/1703.10593)"],
    limits=["Both embedded models are 64 px and trained for about half an hour each on one CPU thread: "
            "hand-drawn sketches come out as rough yellow faces, and CycleGAN moves colours and outlines "
            "more than shapes. Public pix2pix/CycleGAN generators need `ganhub weights convert` first."])


@hookimpl
def register_weights(register):
    register(str(MANIFEST))


def _pix2pix(weight_id: str, resolution: int, source: str):
    def build(paths: Mapping[str, Path]):
        from plugins.image_translation.api import build_pix2pix

        return build_pix2pix(paths[weight_id], resolution, source, name=weight_id)

    return build


def _cyclegan(weight_ids: tuple[str, ...], resolution: int, domains: tuple[str, str], name: str):
    def build(paths: Mapping[str, Path]):
        from plugins.image_translation.api import build_cyclegan

        return build_cyclegan([paths[w] for w in weight_ids], resolution, domains, name=name)

    return build


def model_specs() -> list[ModelSpec]:
    return [
        ModelSpec(name=PIX2PIX_EMBEDDED, family="pix2pix", interface=INTERFACE_PIX2PIX,
                  build=_pix2pix(PIX2PIX_EMBEDDED, 64, "lines"), weights=(PIX2PIX_EMBEDDED,),
                  description="Embedded Pix2Pix: line drawing or edge map -> Noto-style emoji at 64 px; see "
                              "plugins/image_translation/weights/pix2pix-edges2emoji64.md"),
        ModelSpec(name=CYCLEGAN_EMBEDDED, family="cyclegan", interface=INTERFACE_CYCLEGAN,
                  build=_cyclegan((CYCLEGAN_EMBEDDED,), 64, ("noto", "twemoji"), CYCLEGAN_EMBEDDED),
                  weights=(CYCLEGAN_EMBEDDED,),
                  description="Embedded CycleGAN: Noto emoji <-> Twemoji at 64 px, trained unpaired; see "
                              "plugins/image_translation/weights/cyclegan-noto-twemoji64.md"),
        ModelSpec(name="cyclegan-horse2zebra", family="cyclegan", interface=INTERFACE_CYCLEGAN,
                  build=_cyclegan(("cyclegan-horse2zebra",), 256, ("horse", "zebra"), "cyclegan-horse2zebra"),
                  weights=("cyclegan-horse2zebra",),
                  description="CycleGAN horse -> zebra (official resnet_9blocks, 256 px; one direction, so no "
                              "reconstruction); run `ganhub weights convert cyclegan-horse2zebra` first"),
        *[_public_cyclegan(wid, domains, what) for wid, domains, what in PUBLIC_CYCLEGANS],
        ModelSpec(name="pix2pix-cityscapes-512x1024", family="pix2pix", interface=INTERFACE_PIX2PIX,
                  build=_pix2pix("pix2pix-cityscapes-512x1024", 256, "image"),
                  weights=("pix2pix-cityscapes-512x1024",),
                  description="Pix2Pix Cityscapes label map -> photo (third-party unet_256 trained with the official "
                              "code; run at 256 px, the paper's size); converted from its pinned pickle on first use"),
    ]


#: The official CycleGAN generators (resnet_9blocks, 256 px, one direction each) found on the Hub:
#: (weight id, (from, to) domains, what it does).
PUBLIC_CYCLEGANS = (
    ("cyclegan-apple2orange", ("apple", "orange"), "apple -> orange"),
    ("cyclegan-zebra2horse", ("zebra", "horse"), "zebra -> horse"),
    ("cyclegan-style-monet", ("photo", "monet"), "photo -> Monet painting"),
)


def _public_cyclegan(weight_id: str, domains: tuple[str, str], what: str) -> ModelSpec:
    return ModelSpec(name=weight_id, family="cyclegan", interface=INTERFACE_CYCLEGAN,
                     build=_cyclegan((weight_id,), 256, domains, weight_id), weights=(weight_id,),
                     description=f"CycleGAN {what} (official resnet_9blocks, 256 px; one direction, so no "
                                 f"reconstruction); see its manifest entry for how it converts")


@hookimpl
def register_models(register):
    for spec in model_specs():
        register(spec)


def _build_tab(ctx):
    from plugins.image_translation.ui import build

    build(ctx)


@hookimpl
def register_demos(register):
    from hub.api import Budget

    register(Demo(
        id="image_translation", title="Image translation", build=_build_tab, order=70,
        description="Pix2Pix (paired): draw a sketch, upload a line drawing or take the edges of a picture and "
                    "get an emoji, several from different dropout noise. CycleGAN (unpaired): Noto emoji <-> "
                    "Twemoji, the translation beside its cycle reconstruction.",
        models=(f"interface:{INTERFACE_PIX2PIX}", f"interface:{INTERFACE_CYCLEGAN}"), space=SPACE,
        budgets={"pix2pix": Budget(5, 1 << 29), "cyclegan": Budget(5, 1 << 29)}))


@hookimpl
def register_trainers(register):
    register(TrainerSpec(name="pix2pix", main="plugins.image_translation.train_pix2pix:main",
                         help="edges -> emoji Pix2Pix (U-Net + PatchGAN, cGAN + 100 L1); --export writes "
                              "plugins/image_translation/weights/pix2pix-edges2emoji64.*"))
    register(TrainerSpec(name="cyclegan", main="plugins.image_translation.train_cyclegan:main",
                         help="Noto <-> Twemoji CycleGAN (ResNet generators, LSGAN, cycle 10, identity 5); "
                              "--export writes plugins/image_translation/weights/cyclegan-noto-twemoji64.*"))
