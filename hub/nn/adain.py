"""Adaptive instance normalisation (Huang & Belongie 2017) and its masked variants.

AdaIN(x, y) = sigma(y) * (x - mu(x)) / sigma(x) + mu(y), statistics per sample and channel over
space. Statistics are the biased (population) ones plus ``eps`` inside the square root, so the
masked variants reduce exactly to the unmasked ones for an all-ones mask.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

__all__ = ["mean_std", "adain", "masked_mean_std", "masked_adain", "resize_mask"]

Stats = tuple[torch.Tensor, torch.Tensor]


def mean_std(feat: torch.Tensor, eps: float = 1e-5) -> Stats:
    """Channel mean and std over space: ([N,C,1,1], [N,C,1,1])."""
    n, c = feat.shape[:2]
    flat = feat.reshape(n, c, -1)
    mean = flat.mean(dim=2)
    std = (flat.var(dim=2, unbiased=False) + eps).sqrt()
    return mean.view(n, c, 1, 1), std.view(n, c, 1, 1)


def adain(content_feat: torch.Tensor, style_feat: torch.Tensor | Stats, eps: float = 1e-5) -> torch.Tensor:
    """AdaIN(content, style). ``style_feat`` is a feature map or precomputed ``mean_std`` stats
    (the style-encoding cache passes stats, so a cached style costs nothing)."""
    s_mean, s_std = style_feat if isinstance(style_feat, tuple) else mean_std(style_feat, eps)
    c_mean, c_std = mean_std(content_feat, eps)
    return (content_feat - c_mean) / c_std * s_std + s_mean


def resize_mask(mask, size: Sequence[int], device=None) -> torch.Tensor:
    """Any mask ([H,W] / [N,H,W] / [N,1,H,W], tensor or ndarray, values in [0,1]) -> [N,1,h,w]
    float at feature size ``size`` (area averaging, so soft edges stay soft)."""
    m = torch.as_tensor(mask, dtype=torch.float32, device=device)
    if m.dim() == 2:
        m = m[None, None]
    elif m.dim() == 3:
        m = m[:, None]
    size = tuple(int(s) for s in size)
    if tuple(m.shape[-2:]) != size:
        m = F.interpolate(m, size=size, mode="area") if m.shape[-1] >= size[-1] else F.interpolate(
            m, size=size, mode="bilinear", align_corners=False)
    return m


def masked_mean_std(feat: torch.Tensor, mask, eps: float = 1e-5) -> Stats:
    """Channel mean/std over the pixels weighted by ``mask`` (resized to the feature size)."""
    m = resize_mask(mask, feat.shape[-2:], feat.device).to(feat.dtype)
    total = m.sum(dim=(2, 3), keepdim=True).clamp_min(1e-6)
    mean = (feat * m).sum(dim=(2, 3), keepdim=True) / total
    var = ((feat - mean) ** 2 * m).sum(dim=(2, 3), keepdim=True) / total
    return mean, (var + eps).sqrt()


def masked_adain(
    content_feat: torch.Tensor,
    style_feats: Sequence[torch.Tensor | Stats],
    masks: Sequence,
    eps: float = 1e-5,
) -> torch.Tensor:
    """Spatial control: region k of the content (soft mask k) gets style k's statistics.

    Each region is normalised with its own (masked) content statistics, as in the paper's
    spatial control; where the masks sum to less than 1 the content features show through.
    """
    if len(style_feats) != len(masks):
        raise ValueError("masked_adain needs one mask per style")
    out = torch.zeros_like(content_feat)
    cover = torch.zeros_like(content_feat[:, :1])
    for style, mask in zip(style_feats, masks):
        m = resize_mask(mask, content_feat.shape[-2:], content_feat.device).to(content_feat.dtype)
        s_mean, s_std = style if isinstance(style, tuple) else mean_std(style, eps)
        c_mean, c_std = masked_mean_std(content_feat, m, eps)
        out = out + m * ((content_feat - c_mean) / c_std * s_std + s_mean)
        cover = cover + m
    return out + (1 - cover).clamp_min(0) * content_feat
