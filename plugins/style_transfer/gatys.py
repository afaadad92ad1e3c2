"""Gatys, Ecker & Bethge (CVPR 2016) neural style transfer by image optimisation.

The image starts from the content photo and is optimised to match the content features at
conv4_2 and the Gram matrices of conv1_1 .. conv5_1 of the style(s). Layer names: the paper's
Caffe VGG applies its ReLUs in place, so its "conv4_2" blob is the rectified map, i.e. our
``relu4_2``; the defaults below use those rectified taps (pass ``conv*`` names for pre-ReLU).

Optimiser: **Adam** (lr 0.02 in [-1, 1] pixel units) by default, because it gives one cheap step
per yield for streaming; ``optimizer="lbfgs"`` runs the paper's L-BFGS (each yielded step is one
L-BFGS iteration of up to 20 function evaluations). Several styles are mixed by a weighted
average of their Gram matrices. ``gatys(...)`` is a generator of ``(step, PIL image, losses)``
every ``every`` steps: iterate to stream, stop iterating to cancel.

Loss weights: Grams are normalised by C*H*W (``hub.nn.losses.gram_matrix``) and compared by mean
squared error, so the paper's alpha/beta = 1e-3 does not carry over numerically. The defaults
(content 1, style 1e4 per ImageNet-free embedded VGG, equal 1/5 layer weights as in the paper)
were picked so that both terms fall together on the embedded network; with ImageNet VGG
(larger activations) lower the style weight. ``vgg_source("vgg19")`` says which one runs.
"""

from __future__ import annotations

import time
from typing import Iterator, Sequence

import torch

from hub.nn.losses import gram_matrix, perceptual_loss, style_loss, tv_loss
from hub.nn.precision import features_in, use_bf16
from hub.nn.vgg import vgg_features

CONTENT_LAYERS = ("relu4_2",)
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


def _to_tensor(img, max_side: int | None) -> torch.Tensor:
    from plugins.style_transfer.adain import _pil_to_tensor

    return _pil_to_tensor(img, max_side, multiple=1)


def target_grams(styles: Sequence[torch.Tensor], weights: Sequence[float] | None, vgg, layers,
                 bf16: bool = False) -> dict:
    """Weighted average of the styles' Gram matrices per layer (multi-style mixing)."""
    w = torch.ones(len(styles)) if weights is None else torch.as_tensor(weights, dtype=torch.float32)
    if len(w) != len(styles) or (w < 0).any() or w.sum() <= 0:
        raise ValueError("style weights must be non-negative, one per style, not all zero")
    w = w / w.sum()
    grams: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for wk, s in zip(w, styles):
            feats = features_in(vgg, s, bf16)
            for l in layers:
                grams[l] = grams.get(l, 0) + float(wk) * gram_matrix(feats[l])
    return grams


def optimise_image(
    x0: torch.Tensor,
    vgg,
    style_targets: dict,
    style_layers: Sequence[str],
    content_targets: dict | None = None,
    content_layers: Sequence[str] = (),
    content_weight: float = 1.0,
    style_weight: float = 1e4,
    tv_weight: float = 0.0,
    layer_weights: Sequence[float] | None = None,
    steps: int = 200,
    optimizer: str = "adam",
    lr: float = 0.02,
    every: int = 10,
    bf16: bool = False,
) -> Iterator[tuple[int, torch.Tensor, dict]]:
    """Core loop shared by style transfer and texture synthesis: yields (step, image, losses).

    bf16: run the VGG passes under bfloat16 autocast (image, Grams, losses and Adam stay float32).
    """
    x = x0.clone().requires_grad_(True)
    lw = list(layer_weights) if layer_weights is not None else [1.0 / len(style_layers)] * len(style_layers)
    losses: dict[str, float] = {}

    def closure():
        opt.zero_grad(set_to_none=True)
        feats = features_in(vgg, x, bf16)
        ls = style_loss(feats, style_targets, style_layers, weights=lw)
        total = style_weight * ls
        losses["style"] = ls.item()
        if content_targets is not None and content_weight > 0:
            lc = perceptual_loss(feats, content_targets, content_layers)
            total = total + content_weight * lc
            losses["content"] = lc.item()
        if tv_weight > 0:
            lt = tv_loss(x)
            total = total + tv_weight * lt
            losses["tv"] = lt.item()
        total.backward()
        losses["total"] = total.item()
        return total

    if optimizer == "adam":
        opt = torch.optim.Adam([x], lr=lr)
    elif optimizer == "lbfgs":
        opt = torch.optim.LBFGS([x], lr=1.0, max_iter=20, history_size=50, line_search_fn="strong_wolfe")
    else:
        raise ValueError("optimizer must be 'adam' or 'lbfgs'")
    t0 = time.time()
    for step in range(1, steps + 1):
        opt.step(closure)
        with torch.no_grad():
            x.clamp_(-1, 1)
        if step % every == 0 or step == steps:
            yield step, x.detach().clone(), dict(losses, seconds=time.time() - t0)


def gatys(
    content,
    styles,
    style_weights: Sequence[float] | None = None,
    content_weight: float = 1.0,
    style_weight: float = 1e4,
    tv_weight: float = 0.0,
    steps: int = 200,
    optimizer: str = "adam",
    lr: float = 0.02,
    max_side: int = 256,
    style_side: int | None = None,
    every: int = 10,
    content_layers: Sequence[str] = CONTENT_LAYERS,
    style_layers: Sequence[str] = STYLE_LAYERS,
    pool: str = "max",
    init: str = "content",
    precision: str = "auto",
    arch: str = "vgg19",
) -> Iterator[tuple[int, "object", dict]]:
    """Stream Gatys style transfer: yields (step, PIL image, losses) every ``every`` steps.

    content / styles: images (PIL, path, ndarray); style_weights mixes several styles' Grams;
    init: "content" (default, as asked) or "noise" (the paper's white-noise start).
    precision: "auto" runs VGG in bfloat16 where the hardware does it natively (about 1.5x faster per
    step on an AVX512-BF16 CPU), else float32; "fp32" or "bf16" force one.
    arch: the loss network, "vgg19" (the paper's) or "vgg16" (Johnson et al.'s, with their layers: the
    teacher of the fast feed-forward models, see plugins/style_transfer/fast.py).
    """
    from plugins.style_transfer.adain import _tensor_to_pil

    if not isinstance(styles, (list, tuple)):
        styles = [styles]
    if not styles:
        raise ValueError("give at least one style image")
    vgg = vgg_features(arch, tuple(dict.fromkeys(list(content_layers) + list(style_layers))), pool=pool)
    c = _to_tensor(content, max_side)
    s = [_to_tensor(im, style_side or max_side) for im in styles]
    bf16 = use_bf16(precision, c.device)
    grams = target_grams(s, style_weights, vgg, style_layers, bf16)
    with torch.no_grad():
        content_targets = {l: f for l, f in features_in(vgg, c, bf16).items() if l in content_layers}
    if init not in ("content", "noise"):
        raise ValueError("init must be 'content' or 'noise'")
    x0 = c if init == "content" else torch.randn(c.shape, generator=torch.Generator().manual_seed(0)) * 0.1
    for step, x, losses in optimise_image(x0, vgg, grams, style_layers, content_targets, content_layers,
                                          content_weight, style_weight, tv_weight, None, steps, optimizer,
                                          lr, every, bf16):
        yield step, _tensor_to_pil(x), losses


def run_to_end(stream):
    """Consume a (step, image, losses) generator; return the last image and the loss history."""
    last, history = None, []
    for step, image, losses in stream:
        last = image
        history.append((step, losses))
    return last, history
