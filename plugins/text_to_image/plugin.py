"""Text to image: GAN-INT-CLS (Reed et al., ICML 2016) on emoji captions.

Model plugin and technique plugin at once: it registers ``text-to-image-emoji64`` (interface
``TextToImage``: text encoder φ + generator G(z, φ(t)) + style encoder S(x), one embedded file),
the "Text to image" tab and the ``text_to_image`` trainer. Python API: ``plugins.text_to_image.api``
(``generate``, ``interpolate``, ``restyle``). Importing this package loads neither torch nor gradio.
Its weight entry lives in ``plugins/text_to_image/weights.yaml``, the embedded file in ``weights/`` beside it.
"""

from __future__ import annotations

from pathlib import Path

from hub import Demo, ModelSpec, TrainerSpec, hookimpl, steps_gpu_seconds

from hub.api import INTERFACE_TEXT_TO_IMAGE
from plugins.text_to_image.defaults import MODEL_NAME


#: The card of this plugin's generated Space (``ganhub spaces build``).
SPACE = dict(
    emoji="💬", short="GAN-INT-CLS text-to-image on emoji",
    tags=["text-to-image", "gan-cls"],
    papers=["Reed et al., *Generative Adversarial Text to Image Synthesis*, ICML 2016, "
            "[arXiv:1605.05396](https://arxiv.org/abs/1605.05396)"],
    limits=["Trained on a small emoji caption set at 64 px: it follows the caption vocabulary of "
            "that set only."],
)


def _build_model(paths):
    from plugins.text_to_image.api import build

    return build(paths)


@hookimpl
def register_weights(register):
    register(str(Path(__file__).with_name("weights.yaml")))


@hookimpl
def register_models(register):
    register(ModelSpec(
        name=MODEL_NAME,
        family="gan-cls",
        interface=INTERFACE_TEXT_TO_IMAGE,
        build=_build_model,
        weights=(MODEL_NAME,),
        description="GAN-INT-CLS at 64 px trained on emoji captions (text encoder, G, style encoder S); "
                    "see plugins/text_to_image/weights/text-to-image-emoji64.md",
        related={"classifier": "emoji-attribute-classifier"},
    ))


def _build_tab(ctx):
    from plugins.text_to_image.ui import build

    build(ctx)


@hookimpl
def register_demos(register):
    from hub.api import Budget

    register(Demo(
        id="text_to_image",
        title="Text to image",
        build=_build_tab,
        order=80,
        description="Type a caption, get emoji (GAN-INT-CLS): batches by seed with truncation, "
                    "interpolation between two prompts, and 'style from image' through the style encoder S(x).",
        models=(f"interface:{INTERFACE_TEXT_TO_IMAGE}",),
        gpu_seconds={"interpolate": steps_gpu_seconds("steps")},
        budgets={action: Budget(5, 1 << 29) for action in ("generate", "generate_submit", "interpolate", "restyle")},
        space=SPACE,
    ))


@hookimpl
def register_trainers(register):
    register(TrainerSpec(name="text_to_image", main="plugins.text_to_image.train:main",
                         help="text encoder (joint embedding), then GAN-INT-CLS + style encoder; --export writes "
                              "plugins/text_to_image/weights/text-to-image-emoji64.*"))
