"""LAPGAN networks (Denton et al. 2015) and the Laplacian pyramid they live on, at 64 px emoji size.

The pyramid has four levels, k = 3 (8x8), 2 (16x16), 1 (32x32), 0 (64x64):

* ``downsample`` d is 2x2 box averaging (the blur-and-decimate of the paper, reduced to its box form),
* ``upsample`` u is bilinear upsampling corrected so that ``d(u(x)) == x`` exactly,
* the band-pass image of level k is ``h_k = I_k - u(I_{k+1})``; since ``d(u(x)) = x`` every real
  band-pass image has ``d(h_k) = 0``.

Generated residuals are projected onto that band-pass space (``project_bandpass``: ``h - nearest(d(h))``,
the orthogonal projection onto the kernel of d), so ``d(u(I_{k+1}) + h_k) == I_{k+1}`` holds by
construction: the cascade adds detail and never moves the coarser image. This is a deliberate choice
beyond the paper (whose generators may change the low-pass content); ``plugins.lapgan.evaluate``
measures what it keeps.

Networks, scaled from the paper's CIFAR-10 / LSUN setups to a 2-core CPU:

* level 3, ``CoarseGenerator`` / ``CoarseDiscriminator``: the paper's coarse model is a fully connected
  GAN on 8x8 (G: two ReLU layers of 1200 units; D: ReLU + dropout); here 512 units, z 64-d.
* levels 2..0, ``ResidualGenerator``: the paper's conditional generators are 3-layer convnets that see the
  upsampled coarse image with the noise z as an extra colour plane; here 4 conv layers (3x3) of width
  64 / 48 / 32 at 16 / 32 / 64 px, two noise planes, output projected onto the band-pass space.
* ``ResidualDiscriminator``: the paper's D_k sees ``l_k + h_k`` (the low-pass image added to the real or
  generated residual) through two conv layers and a linear layer; here a 3x3 conv and stride-2 4x4 convs
  down to 4x4, then linear, with spectral normalisation (Miyato et al. 2018; not in the paper, it keeps
  short CPU runs stable).
* Class conditioning (the paper's class-conditional variant): a one-hot vector of skin tone (6) and kind
  (3), fed to the MLPs as extra inputs and to the convnets as constant planes. All zeros means
  "unconditional" (the trainer drops labels at random so both work).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

#: Resolutions of the pyramid, coarsest first (level 3, 2, 1, 0).
RESOLUTIONS = (8, 16, 32, 64)
#: Conditioning classes: skin tone (plugins.emoji.dataset.SKIN_TONES) then kind (KINDS).
SKIN_TONE_CLASSES = 6
KIND_CLASSES = 3
COND_DIM = SKIN_TONE_CLASSES + KIND_CLASSES
Z_DIM = 64
NOISE_PLANES = 2
GENERATOR_WIDTHS = {16: 64, 32: 48, 64: 32}
DISCRIMINATOR_WIDTHS = {16: 32, 32: 32, 64: 32}


# ---- the pyramid ------------------------------------------------------------------------------

def downsample(x: torch.Tensor) -> torch.Tensor:
    """d: 2x2 box average, [N, C, H, W] -> [N, C, H/2, W/2]."""
    return F.avg_pool2d(x, 2)


def _nearest(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="nearest")


def project_bandpass(h: torch.Tensor) -> torch.Tensor:
    """The orthogonal projection onto the band-pass space {h : d(h) = 0}: subtract each 2x2 block's mean."""
    return h - _nearest(downsample(h))


def upsample(x: torch.Tensor) -> torch.Tensor:
    """u: bilinear x2 with its block means corrected to ``x``, so that ``downsample(upsample(x)) == x``."""
    smooth = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    return project_bandpass(smooth) + _nearest(x)


def fit_range(image: torch.Tensor, coarse: torch.Tensor, iterations: int = 30) -> torch.Tensor:
    """``image`` clamped to [-1, 1] with every 2x2 block's mean kept at ``coarse`` (so ``d`` of the result
    is still ``coarse``): each block is shifted by the t that solves mean(clamp(block + t)) = its coarse
    value, found by bisection (the mean is monotone in t). A plain clamp would move the coarser image
    wherever the detail overshoots white or black; ``coarse`` must lie in [-1, 1]."""
    n, c, h, w = image.shape
    blocks = image.reshape(n, c, h // 2, 2, w // 2, 2)
    target = coarse.clamp(-1, 1)[:, :, :, None, :, None]
    lo = -1 - blocks.amax(dim=(3, 5), keepdim=True)  # every pixel at -1: mean -1
    hi = 1 - blocks.amin(dim=(3, 5), keepdim=True)   # every pixel at 1: mean 1
    for _ in range(iterations):
        mid = (lo + hi) / 2
        too_low = (blocks + mid).clamp(-1, 1).mean(dim=(3, 5), keepdim=True) < target
        lo, hi = torch.where(too_low, mid, lo), torch.where(too_low, hi, mid)
    fitted = (blocks + (lo + hi) / 2).clamp(-1, 1)
    # the bisection leaves an error below (hi - lo) / 2**iterations; one last mean correction removes it
    # where the block is not saturated
    fitted = fitted + (target - fitted.mean(dim=(3, 5), keepdim=True))
    return fitted.clamp(-1, 1).reshape(n, c, h, w)


def gaussian_pyramid(image: torch.Tensor, levels: int = 3) -> list[torch.Tensor]:
    """``[I_0, I_1, ..., I_levels]``, finest first; ``I_{k+1} = d(I_k)``."""
    out = [image]
    for _ in range(levels):
        out.append(downsample(out[-1]))
    return out


def laplacian_pyramid(image: torch.Tensor, levels: int = 3) -> tuple[list[torch.Tensor], torch.Tensor]:
    """``([h_0, ..., h_{levels-1}], I_levels)``: band-pass images finest first, and the coarsest image."""
    g = gaussian_pyramid(image, levels)
    return [g[k] - upsample(g[k + 1]) for k in range(levels)], g[-1]


def reconstruct(bands: list[torch.Tensor], coarse: torch.Tensor) -> torch.Tensor:
    """Inverse of ``laplacian_pyramid``: ``I_k = u(I_{k+1}) + h_k`` from the coarsest up."""
    x = coarse
    for h in reversed(bands):
        x = upsample(x) + h
    return x


def condition_vector(skin_tone: torch.Tensor | None, kind: torch.Tensor | None, n: int) -> torch.Tensor:
    """One-hot [n, COND_DIM]; a label of -1 (or None) leaves its part zero (unconditional)."""
    out = torch.zeros(n, COND_DIM)
    for labels, offset, classes in ((skin_tone, 0, SKIN_TONE_CLASSES), (kind, SKIN_TONE_CLASSES, KIND_CLASSES)):
        if labels is None:
            continue
        labels = torch.as_tensor(labels, dtype=torch.long).reshape(-1).expand(n)
        keep = (labels >= 0) & (labels < classes)
        rows = torch.nonzero(keep).reshape(-1)
        out[rows, offset + labels[rows]] = 1.0
    return out


# ---- level 3: the coarse GAN ------------------------------------------------------------------

class CoarseGenerator(nn.Module):
    """G_3(z, c) -> 8x8 image in [-1, 1] (tanh)."""

    def __init__(self, z_dim: int = Z_DIM, hidden: int = 512, cond_dim: int = COND_DIM, resolution: int = 8):
        super().__init__()
        self.z_dim, self.hidden, self.cond_dim, self.resolution = z_dim, hidden, cond_dim, resolution
        self.net = nn.Sequential(
            nn.Linear(z_dim + cond_dim, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, 3 * resolution * resolution), nn.Tanh())

    def config(self) -> dict:
        return {"z_dim": self.z_dim, "hidden": self.hidden, "cond_dim": self.cond_dim, "resolution": self.resolution}

    def forward(self, z: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        r = self.resolution
        return self.net(torch.cat([z, cond], 1)).view(-1, 3, r, r)


class CoarseDiscriminator(nn.Module):
    """D_3(x, c) -> logit; fully connected with dropout, as the paper's coarse D."""

    def __init__(self, hidden: int = 512, cond_dim: int = COND_DIM, resolution: int = 8, dropout: float = 0.2):
        super().__init__()
        d_in = 3 * resolution * resolution + cond_dim
        self.net = nn.Sequential(
            spectral_norm(nn.Linear(d_in, hidden)), nn.LeakyReLU(0.2, inplace=True), nn.Dropout(dropout),
            spectral_norm(nn.Linear(hidden, hidden // 2)), nn.LeakyReLU(0.2, inplace=True), nn.Dropout(dropout),
            spectral_norm(nn.Linear(hidden // 2, 1)))

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x.flatten(1), cond], 1)).squeeze(1)


# ---- levels 2..0: conditional residual GANs ---------------------------------------------------

def _planes(cond: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return cond[:, :, None, None].expand(-1, -1, like.shape[2], like.shape[3])


class ResidualGenerator(nn.Module):
    """G_k(z_k, l_k, c) -> band-pass residual h_k at the resolution of l_k = u(I_{k+1}).

    ``z`` is ``[N, NOISE_PLANES, H, W]`` (noise planes beside the colour planes, as in the paper).
    """

    def __init__(self, width: int = 64, cond_dim: int = COND_DIM, noise_planes: int = NOISE_PLANES, layers: int = 4):
        super().__init__()
        self.width, self.cond_dim, self.noise_planes, self.layers = width, cond_dim, noise_planes, layers
        blocks, cin = [], 3 + noise_planes + cond_dim
        for _ in range(layers - 1):
            blocks += [nn.Conv2d(cin, width, 3, 1, 1), nn.ReLU(inplace=True)]
            cin = width
        blocks.append(nn.Conv2d(cin, 3, 3, 1, 1))
        self.net = nn.Sequential(*blocks)

    def config(self) -> dict:
        return {"width": self.width, "cond_dim": self.cond_dim, "noise_planes": self.noise_planes, "layers": self.layers}

    def forward(self, z: torch.Tensor, low: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return project_bandpass(self.net(torch.cat([low, z, _planes(cond, low)], 1)))


class ResidualDiscriminator(nn.Module):
    """D_k(l_k + h_k, c) -> logit: stride-2 convs from the input size down to 4x4, then linear."""

    def __init__(self, resolution: int, width: int = 32, cond_dim: int = COND_DIM):
        super().__init__()
        blocks = [spectral_norm(nn.Conv2d(3 + cond_dim, width, 3, 1, 1)), nn.LeakyReLU(0.2, inplace=True)]
        cin, size = width, resolution
        while size > 4:
            cout = min(cin * 2, 4 * width)
            blocks += [spectral_norm(nn.Conv2d(cin, cout, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)]
            cin, size = cout, size // 2
        self.features = nn.Sequential(*blocks)
        self.head = spectral_norm(nn.Linear(cin * 16, 1))

    def forward(self, image: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        f = self.features(torch.cat([image, _planes(cond, image)], 1))
        return self.head(f.flatten(1)).squeeze(1)


class LAPGAN(nn.Module):
    """The cascade: ``coarse`` (G_3) and ``refiners[str(res)]`` (G_2, G_1, G_0 at 16, 32, 64 px)."""

    def __init__(self, coarse: CoarseGenerator | None = None, refiners: dict[int, ResidualGenerator] | None = None):
        super().__init__()
        self.coarse = coarse or CoarseGenerator()
        refiners = refiners or {r: ResidualGenerator(GENERATOR_WIDTHS[r]) for r in RESOLUTIONS[1:]}
        self.refiners = nn.ModuleDict({str(r): g for r, g in refiners.items()})
        self.resolutions = (self.coarse.resolution, *sorted(int(r) for r in self.refiners))

    def config(self) -> dict:
        return {"coarse": self.coarse.config(), "refiners": {r: g.config() for r, g in self.refiners.items()}}

    @classmethod
    def from_config(cls, config: dict) -> "LAPGAN":
        return cls(CoarseGenerator(**config["coarse"]),
                   {int(r): ResidualGenerator(**c) for r, c in config["refiners"].items()})
