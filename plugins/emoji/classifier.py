"""Emoji attribute classifier: the judge that measures edits and samples of the emoji generators.

A small VGG-style CNN (one 3x3 conv at 64 px, then 4 stages of a stride-2 and a stride-1 3x3 conv,
each with BatchNorm and SiLU, widths 24-48-96-192-256, global average pooling; ~115 MMAC per image) with one linear head per attribute of ``plugins.emoji.dataset.ATTRIBUTES``:
skin tone (6), hair (6), gender (4), smiling, glasses, beard, headwear (2 each) and kind (3).
Input: float NCHW RGB in [-1, 1]; any size is resized (antialiased) to 64 px first.
Trained by ``plugins/emoji/train_classifier.py``; card in weights/emoji-attribute-classifier.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

import torch
import torch.nn as nn
import torch.nn.functional as F

WEIGHT_ID = "emoji-attribute-classifier"
#: The embedded weights (registered in plugins/emoji/weights.yaml).
EMBEDDED = Path(__file__).resolve().with_name("weights") / f"{WEIGHT_ID}.safetensors"
DEFAULT_CONFIG = {"resolution": 64, "widths": [24, 48, 96, 192, 256], "dropout": 0.2}


def _attributes() -> dict[str, list[str]]:
    from plugins.emoji.dataset import ATTRIBUTES

    return {k: list(v) for k, v in ATTRIBUTES.items()}


def conv_bn(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    """The classifier's building block: 3x3 conv (no bias), BatchNorm, SiLU."""
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.SiLU(inplace=True))


class AttributeClassifier(nn.Module):
    """``forward(x) -> {attr: logits [N, classes]}``; ``predict(x) -> {attr: LongTensor [N]}``."""

    def __init__(self, attributes: Mapping[str, list[str]] | None = None, resolution: int = 64,
                 widths: list[int] | tuple[int, ...] = (24, 48, 96, 192, 256), dropout: float = 0.2):
        super().__init__()
        self.attributes = {k: list(v) for k, v in (attributes or _attributes()).items()}
        self.resolution = resolution
        self.config = {"resolution": resolution, "widths": list(widths), "dropout": dropout}
        layers, cin = [], 3
        for i, w in enumerate(widths):  # 64 -> 64, 32, 16, 8, 4; one conv at full size keeps it cheap
            layers += [conv_bn(cin, w)] if i == 0 else [conv_bn(cin, w, 2), conv_bn(w, w)]
            cin = w
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict({k: nn.Linear(cin, len(v)) for k, v in self.attributes.items()})

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (self.resolution, self.resolution):
            x = F.interpolate(x, size=(self.resolution, self.resolution), mode="bilinear",
                              antialias=True, align_corners=False)
        return self.features(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.dropout(self.embed(x))
        return {k: head(h) for k, head in self.heads.items()}

    @torch.no_grad()
    def probabilities(self, x: torch.Tensor, tta: bool = True) -> dict[str, torch.Tensor]:
        """Softmax per attribute; ``tta`` averages the image and its mirror (no label depends on
        left/right, and the average is steadier on generated images)."""
        probs = {k: v.softmax(1) for k, v in self.forward(x).items()}
        if tta:
            for k, v in self.forward(x.flip(-1)).items():
                probs[k] = 0.5 * (probs[k] + v.softmax(1))
        return probs

    @torch.no_grad()
    def predict(self, x: torch.Tensor, tta: bool = True) -> dict[str, torch.Tensor]:
        """Class index per attribute, LongTensor [N] each (see ``probabilities`` for ``tta``)."""
        return {k: v.argmax(1) for k, v in self.probabilities(x, tta).items()}

    @torch.no_grad()
    def predict_names(self, x: torch.Tensor, tta: bool = True) -> list[dict[str, str]]:
        """Per image: attribute -> class name (handy in notebooks and benchmarks)."""
        pred = self.predict(x, tta)
        n = x.shape[0]
        return [{k: self.attributes[k][int(v[i])] for k, v in pred.items()} for i in range(n)]


def metadata_for(model: AttributeClassifier, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    meta = {"config": json.dumps(model.config), "attributes": json.dumps(model.attributes)}
    meta.update(extra or {})
    return meta


def load_classifier(path: str | Path, device: str | torch.device = "cpu") -> AttributeClassifier:
    """Build from a safetensors file whose metadata holds ``config`` and ``attributes``."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata() or {}
    config = json.loads(meta.get("config", json.dumps(DEFAULT_CONFIG)))
    attributes = json.loads(meta["attributes"]) if "attributes" in meta else None
    model = AttributeClassifier(attributes, **config)
    state = {k: v.float() for k, v in load_file(str(path), device="cpu").items()}
    model.load_state_dict(state, strict=True)
    return model.to(device).eval()


def build_classifier(paths: Mapping[str, Path]) -> AttributeClassifier:
    """ModelSpec builder: ``paths[WEIGHT_ID]`` is the verified safetensors file."""
    return load_classifier(paths[WEIGHT_ID])
