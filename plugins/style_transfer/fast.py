"""Fast feed-forward style transfer (Johnson, Alahi & Fei-Fei, ECCV 2016): one network per style.

``fast_style(content, model)`` stylises a photo in a single forward pass of a ``TransformerNet``
(plugins/style_transfer/fast_models.py). Models:

* embedded ``fast-style-<name>`` for the four BUILTIN_STYLES, trained here (train_fast.py) against the
  embedded seeded-random VGG-16 (``vgg16-random``; ImageNet VGG cannot be downloaded on the machine that
  trained them); see plugins/style_transfer/weights/fast-style-*.md;
* the PyTorch examples' public ``candy``, ``mosaic``, ``rain_princess``, ``udnie`` (ImageNet VGG-16,
  MS-COCO), after ``ganhub weights convert fast-style-public-<name> --from <name>.pth``;
* your own, made by ``ganhub train fast-style --style IMAGE`` into ``$GANHUB_CACHE/fast-style/``.

``fast_catalog.list_models()`` lists every one found. The loss (``LOSS``, ``perceptual_losses``) is the one the
trainer minimises and the quality benchmark measures; Gatys (``gatys(..., **TEACHER)``) optimises the
same loss per image and is the teacher the fast models are compared with.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import torch

from hub.nn.losses import gram_matrix, perceptual_loss, style_loss, tv_loss
from hub.nn.precision import features_in
from plugins.style_transfer.fast_catalog import user_models

PLUGIN = Path(__file__).resolve().parent
EMBEDDED_DIR = PLUGIN / "weights"
ARCH = "vgg16"
CONTENT_LAYERS = ("relu2_2",)
STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
#: Loss weights (images in [-1,1]; Grams normalised by C*H*W; style = mean over the four layers).
#: Chosen on the embedded VGG-16 so that a Gatys run visibly takes the style (at 1e4, the plugin's
#: VGG-19 default, the style loss on these layers barely moves in 200 steps).
LOSS = {"content": 1.0, "style": 5e5, "tv": 1.0}
#: Style images are measured at this longest side (as Gatys's default max_side 256).
STYLE_SIDE = 256
#: Gatys run with the fast models' own loss: the teacher of the quality benchmark.
TEACHER = dict(arch=ARCH, content_layers=CONTENT_LAYERS, style_layers=STYLE_LAYERS, content_weight=LOSS["content"],
               style_weight=LOSS["style"], tv_weight=LOSS["tv"], style_side=STYLE_SIDE)


@dataclass(frozen=True)
class BuiltinStyle:
    where: str  # "skimage" | "opencv" (plugins/style_transfer/data.py paths)
    file: str
    title: str

    def path(self) -> Path:
        from plugins.style_transfer.data import _path

        return _path(self.where, self.file)


#: The four embedded styles: the packaged artwork-like images.
BUILTIN_STYLES: dict[str, BuiltinStyle] = {
    "starry-night": BuiltinStyle("opencv", "starry_night.jpg", "Van Gogh, The Starry Night (opencv-doc)"),
    "graffiti": BuiltinStyle("opencv", "graf3.png", "graffiti wall, Oxford affine set graf3 (opencv-doc)"),
    "skimage-logo": BuiltinStyle("skimage", "logo.png", "scikit-image logo illustration (scikit-image)"),
    "painted-shapes": BuiltinStyle("opencv", "pic3.png", "brush-painted outlines pic3 (opencv-doc)"),
}
#: The PyTorch examples' public models (pytorch/examples fast_neural_style saved_models).
PUBLIC_STYLES = ("candy", "mosaic", "rain_princess", "udnie")


def loss_network(device=None):
    from hub.nn.vgg import vgg_features

    return vgg_features(ARCH, tuple(dict.fromkeys(CONTENT_LAYERS + STYLE_LAYERS)), device=device)


def style_targets(style_img, vgg, bf16: bool = False, side: int = STYLE_SIDE) -> dict[str, torch.Tensor]:
    """The style image's Gram matrices ([1,C,C]) at STYLE_LAYERS, the image at longest side ``side``."""
    from plugins.style_transfer.adain import _pil_to_tensor

    s = _pil_to_tensor(style_img, side, multiple=1).to(next(vgg.parameters()).device)
    with torch.no_grad():
        feats = features_in(vgg, s, bf16)
        return {l: gram_matrix(feats[l]) for l in STYLE_LAYERS}


def perceptual_losses(y: torch.Tensor, content: torch.Tensor, targets: Mapping[str, torch.Tensor], vgg,
                      bf16: bool = False, weights: Mapping[str, float] = LOSS) -> dict[str, torch.Tensor]:
    """Johnson et al.'s losses of outputs ``y`` for photos ``content`` (both [N,3,H,W] in [-1,1]):
    content (relu2_2 MSE), style (mean Gram MSE over STYLE_LAYERS, as Gatys's ``optimise_image``), tv,
    and their weighted total."""
    with torch.no_grad():
        fc = features_in(vgg, content, bf16)
    fy = features_in(vgg, y, bf16)
    n = y.shape[0]
    lc = perceptual_loss(fy, fc, CONTENT_LAYERS)
    ls = style_loss(fy, {l: g.expand(n, -1, -1) for l, g in targets.items()}, STYLE_LAYERS,
                    weights=[1.0 / len(STYLE_LAYERS)] * len(STYLE_LAYERS))
    lt = tv_loss(y)
    total = weights["content"] * lc + weights["style"] * ls + weights["tv"] * lt
    return {"content": lc, "style": ls, "tv": lt, "total": total}


# ----------------------------------------------------------------------------------------------- models


@dataclass
class FastStyleModel:
    """A loaded transformation network and where it came from."""

    name: str
    net: torch.nn.Module
    source: str = ""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.stylize(x)


def load_file(path: Path, name: str, source: str) -> FastStyleModel:
    """The fast-style model in one safetensors file (embedded, trained by you, or a benchmark's folder)."""
    from safetensors.torch import load_file as read_tensors

    from plugins.style_transfer.fast_models import load_transformer

    return FastStyleModel(name, load_transformer(read_tensors(str(path))), source)


_load_file = load_file  # the name fast.py's callers and tests already use


def build_model(paths: Mapping[str, Path], name: str, source: str) -> FastStyleModel:
    """ModelSpec builder: the one weight file of ``paths``."""
    (path,) = paths.values()
    return _load_file(Path(path), name, source)


def load_model(name: str, ctx) -> FastStyleModel:
    """The fast-style model called ``name``: the user's own from their folder (``ganhub train fast-style``),
    a registered one through the tab's context (``ctx.get_model``, or a hub's ``models``)."""
    users = user_models()
    if name in users:
        return _load_file(users[name], name, f"trained by you: {users[name]}")
    return ctx.get_model(name)


def fast_style(content, model: FastStyleModel, max_side: int | None = 512, preserve_color: bool = False,
               precision: str = "auto"):
    """Stylise ``content`` (PIL / path / array) with ``model``: returns (PIL image, seconds of the forward).

    precision: "auto" runs the convolutions in bfloat16 where the hardware does it natively (as Gatys's
    VGG passes), else float32; "fp32" / "bf16" force one."""
    from hub.nn.precision import use_bf16
    from plugins.style_transfer.adain import _pil_to_tensor, _tensor_to_pil

    x = _pil_to_tensor(content, max_side, multiple=4)
    dev = next(model.net.parameters()).device
    bf16 = use_bf16(precision, dev)
    t0 = time.perf_counter()
    with torch.no_grad(), torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
        y = model(x.to(dev)).float()
    seconds = time.perf_counter() - t0
    if preserve_color:
        return _luminance_transfer(_tensor_to_pil(x), _tensor_to_pil(y)), seconds
    return _tensor_to_pil(y), seconds


def _luminance_transfer(content, stylised):
    """Keep the content's colours (YCbCr chroma) with the stylised luminance (Gatys et al. 2017)."""
    from PIL import Image

    y = stylised.convert("YCbCr").split()[0]
    _, cb, cr = content.resize(stylised.size).convert("YCbCr").split()
    return Image.merge("YCbCr", (y, cb, cr)).convert("RGB")
