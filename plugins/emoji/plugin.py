"""Registration of the emoji plugin: its weights, the attribute classifier model and its trainer.

Cheap to import: no torch, no numpy; builders and trainers import their modules on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from hub import DatasetSpec, ModelSpec, TrainerSpec, hookimpl
from hub.api import INTERFACE_ATTRIBUTE_CLASSIFIER
CLASSIFIER = "emoji-attribute-classifier"
MANIFEST = Path(__file__).with_name("weights.yaml")


@hookimpl
def register_weights(register):
    register(str(MANIFEST))


def _build_classifier(paths: Mapping[str, Path]):
    from plugins.emoji.classifier import build_classifier

    return build_classifier(paths)


@hookimpl
def register_models(register):
    # the classifier is the judge of edits and samples of every emoji generator
    register(ModelSpec(
        name=CLASSIFIER, family="emoji", interface=INTERFACE_ATTRIBUTE_CLASSIFIER, build=_build_classifier,
        weights=(CLASSIFIER,),
        description="Emoji attribute classifier (skin tone, hair, gender, ...): the judge of edits"))


@hookimpl
def register_trainers(register):
    register(TrainerSpec(name="emoji-classifier", main="plugins.emoji.train_classifier:main",
                         help="train the emoji attribute classifier; --export writes plugins/emoji/weights/"))


@hookimpl
def register_datasets(register):
    register(DatasetSpec(name="emoji", main="plugins.emoji.dataset:main",
                         help="emoji faces and people from Debian's Noto Color Emoji (--resolution 64)"))
