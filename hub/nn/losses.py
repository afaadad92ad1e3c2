"""Losses shared by every plugin: pixel/perceptual/style/TV and the logistic GAN losses.

Feature dicts are what ``hub.nn.vgg.VGGFeatures`` returns ({layer: [N,C,H,W]}). Masks may be
[H,W], [N,H,W] or [N,1,H,W] (tensor or ndarray) in [0,1]; they are resized to each feature map
by area averaging (``hub.nn.adain.resize_mask``), so one image-size mask serves every layer.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import torch
import torch.nn.functional as F

from hub.nn.adain import mean_std, masked_mean_std, resize_mask

__all__ = [
    "gram_matrix",
    "masked_mse",
    "perceptual_loss",
    "style_loss",
    "mean_std_loss",
    "tv_loss",
    "nonsaturating_g_loss",
    "d_loss",
    "r1_penalty",
    "mode_seeking_loss",
]

Feats = Mapping[str, torch.Tensor]


def gram_matrix(feat: torch.Tensor, mask=None) -> torch.Tensor:
    """Gram matrix F F^T normalised by C*H*W: [N,C,H,W] -> [N,C,C].

    With a mask, features are weighted by it and the count H*W becomes the mask's sum, so a
    region's Gram is comparable with a whole image's.
    """
    n, c, h, w = feat.shape
    if mask is not None:
        m = resize_mask(mask, (h, w), feat.device).to(feat.dtype)
        flat = (feat * m).reshape(n, c, -1)
        count = m.reshape(m.shape[0], -1).sum(dim=1).clamp_min(1e-6).view(-1, 1, 1)
        return flat @ flat.transpose(1, 2) / (c * count)
    flat = feat.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def masked_mse(x: torch.Tensor, y: torch.Tensor, mask=None) -> torch.Tensor:
    """Mean squared error over the pixels weighted by ``mask`` (plain MSE without one)."""
    if mask is None:
        return F.mse_loss(x, y)
    m = resize_mask(mask, x.shape[-2:], x.device).to(x.dtype)
    sq = (x - y) ** 2 * m
    return sq.sum() / (m.expand_as(sq).sum().clamp_min(1e-6))


def _layer_weights(layers: Sequence[str], weights) -> dict[str, float]:
    if weights is None:
        return {l: 1.0 for l in layers}
    if isinstance(weights, Mapping):
        return {l: float(weights.get(l, 0.0)) for l in layers}
    return {l: float(w) for l, w in zip(layers, weights)}


def perceptual_loss(feats_a: Feats, feats_b: Feats, layers: Sequence[str] | None = None, mask=None,
                    weights=None) -> torch.Tensor:
    """Sum over layers of weight * masked MSE between feature maps (mask resized per layer)."""
    layers = list(layers) if layers is not None else list(feats_a)
    w = _layer_weights(layers, weights)
    return sum(w[l] * masked_mse(feats_a[l], feats_b[l], mask) for l in layers)


def style_loss(feats_a: Feats, target: Feats, layers: Sequence[str] | None = None, mask=None,
               weights=None, target_mask=None) -> torch.Tensor:
    """Gatys style loss: sum over layers of weight * mean squared difference of Gram matrices.

    ``target`` maps layers to feature maps or to precomputed Gram matrices ([N,C,C], e.g. a
    weighted average of several styles' Grams); the Gram of ``feats_a`` is taken over ``mask``,
    the target's over ``target_mask``. With our C*H*W normalisation, MSE over the C^2 entries is
    Gatys' E_l = 1/(4 N^2 M^2) sum (G - A)^2 up to a constant factor per layer.
    """
    layers = list(layers) if layers is not None else list(feats_a)
    w = _layer_weights(layers, weights)
    total = 0.0
    for l in layers:
        t = target[l]
        g_t = t if t.dim() == 3 else gram_matrix(t, target_mask)
        g_a = gram_matrix(feats_a[l], mask)
        total = total + w[l] * F.mse_loss(g_a, g_t.expand_as(g_a))
    return total


def mean_std_loss(feats_a: Feats, target: Feats, layers: Sequence[str] | None = None, mask=None,
                  weights=None, eps: float = 1e-5) -> torch.Tensor:
    """AdaIN style loss: sum over layers of ||mu(a) - mu(b)||^2 + ||sigma(a) - sigma(b)||^2 (mean
    over channels, as the authors' code does). ``target`` values may be (mean, std) tuples."""
    layers = list(layers) if layers is not None else list(feats_a)
    w = _layer_weights(layers, weights)
    total = 0.0
    for l in layers:
        a_mean, a_std = mean_std(feats_a[l], eps) if mask is None else masked_mean_std(feats_a[l], mask, eps)
        t = target[l]
        b_mean, b_std = t if isinstance(t, tuple) else mean_std(t, eps)
        total = total + w[l] * (F.mse_loss(a_mean, b_mean.expand_as(a_mean)) + F.mse_loss(a_std, b_std.expand_as(a_std)))
    return total


def tv_loss(x: torch.Tensor, p: int = 2) -> torch.Tensor:
    """Total variation: mean |dx|^p + mean |dy|^p (p=2 as Johnson et al.; p=1 anisotropic TV)."""
    dx = x[..., :, 1:] - x[..., :, :-1]
    dy = x[..., 1:, :] - x[..., :-1, :]
    if p == 1:
        return dx.abs().mean() + dy.abs().mean()
    return dx.pow(2).mean() + dy.pow(2).mean()


def nonsaturating_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating logistic generator loss: softplus(-D(G(z))), averaged."""
    return F.softplus(-fake_logits).mean()


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Logistic discriminator loss: softplus(-D(x)) + softplus(D(G(z))), averaged."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def r1_penalty(real_logits: torch.Tensor, real_images: torch.Tensor) -> torch.Tensor:
    """R1 = E ||grad_x D(x)||^2 over real images (multiply by gamma/2 outside).
    ``real_images`` must have requires_grad=True before D is run on them."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real_images, create_graph=True)
    return grad.pow(2).reshape(grad.shape[0], -1).sum(dim=1).mean()


def mode_seeking_loss(images_a: torch.Tensor, images_b: torch.Tensor, latents_a: torch.Tensor,
                      latents_b: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """MSGAN's term (Mao et al. 2019): 1 / (mean|G(a) - G(b)| / mean|a - b|).

    Small when images differ at least as much as the latents that made them; minimising it stops a
    generator from mapping different latents to one image (it is added to G's loss only).
    """
    ratio = (images_a - images_b).abs().mean() / (latents_a - latents_b).abs().mean()
    return 1.0 / (ratio + eps)
