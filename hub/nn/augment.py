"""Differentiable augmentation (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient
GAN Training"): the same random colour / translation / cutout transforms are applied to real and
fake images before the discriminator, in both the D and the G step, so D cannot memorise a
small training set and gradients still flow to G through the transforms.

Defaults are the paper's: brightness +-0.5, saturation x[0, 2], contrast x[0.5, 1.5];
translation up to 1/8 of the image side (zero padding); one cutout square of half the side.
Images are NCHW in [-1, 1].
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

__all__ = ["DiffAugment", "diff_augment", "POLICIES"]


def _rand(x: torch.Tensor, generator: torch.Generator | None, *shape: int) -> torch.Tensor:
    return torch.rand(x.shape[0], *shape, generator=generator, device="cpu").to(x.device, x.dtype)


def rand_brightness(x, generator=None):
    return x + (_rand(x, generator, 1, 1, 1) - 0.5)


def rand_saturation(x, generator=None):
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (_rand(x, generator, 1, 1, 1) * 2) + mean


def rand_contrast(x, generator=None):
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - mean) * (_rand(x, generator, 1, 1, 1) + 0.5) + mean


def rand_translation(x, generator=None, ratio: float = 0.125):
    """Shift each image by an integer offset up to ratio*side, filling with zeros."""
    n, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    if sh == 0 and sw == 0:
        return x
    ty = torch.randint(-sh, sh + 1, (n, 1, 1), generator=generator).to(x.device)
    tx = torch.randint(-sw, sw + 1, (n, 1, 1), generator=generator).to(x.device)
    gy = torch.arange(h, device=x.device).view(1, h, 1) + ty + sh  # source row in the padded image
    gx = torch.arange(w, device=x.device).view(1, 1, w) + tx + sw
    padded = F.pad(x, [sw, sw, sh, sh])
    idx = torch.arange(n, device=x.device).view(n, 1, 1)
    return padded.permute(0, 2, 3, 1)[idx, gy, gx].permute(0, 3, 1, 2)


def rand_cutout(x, generator=None, ratio: float = 0.5):
    """Zero one square of side ratio*side at a random centre (it may hang over the edge)."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    cy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), generator=generator).to(x.device)
    cx = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), generator=generator).to(x.device)
    ys = torch.arange(h, device=x.device).view(1, h, 1)
    xs = torch.arange(w, device=x.device).view(1, 1, w)
    inside = ((ys - cy + ch // 2) >= 0) & ((ys - cy + ch // 2) < ch) & ((xs - cx + cw // 2) >= 0) & ((xs - cx + cw // 2) < cw)
    return x * (~inside).unsqueeze(1).to(x.dtype)


POLICIES = {
    "color": (rand_brightness, rand_saturation, rand_contrast),
    "translation": (rand_translation,),
    "cutout": (rand_cutout,),
}


def diff_augment(x: torch.Tensor, policy: str | Sequence[str] = "color,translation,cutout",
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply the named augmentations in order ("color", "translation", "cutout")."""
    names = [p.strip() for p in policy.split(",")] if isinstance(policy, str) else list(policy)
    for name in filter(None, names):
        if name not in POLICIES:
            raise ValueError(f"unknown DiffAugment policy {name!r}; choose from {sorted(POLICIES)}")
        for fn in POLICIES[name]:
            x = fn(x, generator)
    return x.contiguous()


class DiffAugment(torch.nn.Module):
    """Module form of :func:`diff_augment` (identity when ``policy`` is empty)."""

    def __init__(self, policy: str = "color,translation,cutout"):
        super().__init__()
        self.policy = policy

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return diff_augment(x, self.policy, generator) if self.policy else x
