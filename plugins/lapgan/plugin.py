"""LAPGAN (Denton et al. 2015): an 8x8 GAN draws a coarse emoji, then a conditional GAN per level of a
Laplacian pyramid adds the band-pass detail at 16, 32 and 64 px, without moving the coarser image.

Registration of the lapgan plugin: its weight, the ``lapgan-emoji64`` cascade, the tab and the trainer.
Cheap to import: no torch, no numpy, no gradio; builders, the tab and the trainer import on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from hub import Demo, ModelSpec, TrainerSpec, hookimpl
from plugins.lapgan.defaults import INTERFACE_LAPGAN, MODEL_NAME

MANIFEST = Path(__file__).with_name("weights.yaml")

#: The Space card (`ganhub spaces build --plugin lapgan`); the Demo is not heavy: one forward pass per request.
SPACE = {
    "emoji": "🔺",
    "short": "Coarse-to-fine emoji GANs on a Laplacian pyramid",
    "papers": ["Denton, Chintala, Szlam, Fergus, *Deep Generative Image Models using a Laplacian Pyramid of "
               "Adversarial Networks*, NeurIPS 2015, [arXiv:1506.05751](https://arxiv.org/abs/1506.05751)"],
    "limits": ["The embedded cascade is 64 px and was trained for half an hour of CPU time on emoji: it "
               "shows the technique, not photo quality. Every residual is projected onto the band-pass space "
               "(a choice beyond the paper), so the cascade keeps the 8x8 image exactly and only adds detail."],
    "tags": ["gan", "lapgan", "laplacian-pyramid", "emoji"],
    "license": "apache-2.0",
    "colors": ("yellow", "red"),
}


@hookimpl
def register_weights(register):
    register(str(MANIFEST))


def _build_model(paths: Mapping[str, Path]):
    from plugins.lapgan.api import build

    return build(paths)


@hookimpl
def register_models(register):
    register(ModelSpec(
        name=MODEL_NAME, family="lapgan", interface=INTERFACE_LAPGAN, build=_build_model, weights=(MODEL_NAME,),
        description="LAPGAN at 64 px on emoji: an 8x8 GAN, then residual GANs at 16, 32 and 64 px; "
                    "see plugins/lapgan/weights/lapgan-emoji64.md"))


def _build_tab(ctx):
    from plugins.lapgan.ui import build

    build(ctx)


@hookimpl
def register_demos(register):
    from hub.api import Budget

    register(Demo(
        id="lapgan", title="LAPGAN", build=_build_tab, order=85,
        description="Coarse-to-fine generation on a Laplacian pyramid (Denton et al. 2015): an 8x8 GAN, then "
                    "a residual GAN per level; see each level's upsampled image, residual and sum, redraw the "
                    "detail of one coarse image, or start from your own 8x8.",
        models=(MODEL_NAME,), space=SPACE,
        budgets={action: Budget(2, 1 << 28) for action in ("generate", "variations", "refine")}))


@hookimpl
def register_trainers(register):
    register(TrainerSpec(name="lapgan", main="plugins.lapgan.train:main",
                         help="the four LAPGAN levels on the emoji Laplacian pyramid; --export writes "
                              "plugins/lapgan/weights/lapgan-emoji64.*"))
