"""GAN-INT-CLS (Reed et al., ICML 2016) at 64 px: generator G(z, φ(t)), matching-aware D, style encoder S.

Architecture as in the paper (DCGAN backbone): in G the text embedding φ(t) is compressed
by a fully connected layer + leaky ReLU to 128 dims and concatenated with z (100-d) before
the first transposed convolution; in D, after the 4x4 stage, the same kind of compressed
φ(t) is replicated spatially, concatenated depth-wise, and a 1x1 conv + 4x4 conv give the
score. Widths are DCGAN's ngf = ndf = 64 scaled by ``width`` (default 32 for a shared
2-core CPU; the paper's code used ngf 128 / ndf 64).

The losses (``d_loss_cls``, ``g_loss_int``) follow Algorithm 1:
  L_D = log s_r + (log(1 - s_w) + log(1 - s_f)) / 2     (maximised)
  L_G = log s_f  (+ the same on interpolated text for GAN-INT, β = 0.5)
written as minimised softplus terms (the non-saturating form of G's loss, as in the paper).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from hub.nn.losses import d_loss, nonsaturating_g_loss

Z_DIM = 100
COND_DIM = 128


class Generator(nn.Module):
    def __init__(self, text_dim: int = 256, z_dim: int = Z_DIM, cond_dim: int = COND_DIM, width: int = 32):
        super().__init__()
        self.text_dim, self.z_dim, self.cond_dim, self.width = text_dim, z_dim, cond_dim, width
        self.resolution = 64
        self.cond = nn.Sequential(nn.Linear(text_dim, cond_dim), nn.LeakyReLU(0.2))
        w = width
        self.net = nn.Sequential(
            nn.ConvTranspose2d(z_dim + cond_dim, w * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(w * 8), nn.ReLU(True),  # 4
            nn.ConvTranspose2d(w * 8, w * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(w * 4), nn.ReLU(True),  # 8
            nn.ConvTranspose2d(w * 4, w * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(w * 2), nn.ReLU(True),  # 16
            nn.ConvTranspose2d(w * 2, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(True),  # 32
            nn.ConvTranspose2d(w, 3, 4, 2, 1), nn.Tanh(),  # 64
        )
        dcgan_init(self)

    def config(self) -> dict:
        return dict(text_dim=self.text_dim, z_dim=self.z_dim, cond_dim=self.cond_dim, width=self.width)

    def forward(self, z: torch.Tensor, text_emb: torch.Tensor) -> torch.Tensor:
        h = torch.cat([z, self.cond(text_emb)], 1)
        return self.net(h[:, :, None, None])


class Discriminator(nn.Module):
    """Matching-aware D: (image, φ(t)) -> logit that the image is real AND matches the text."""

    def __init__(self, text_dim: int = 256, cond_dim: int = COND_DIM, width: int = 32):
        super().__init__()
        self.text_dim, self.cond_dim, self.width = text_dim, cond_dim, width
        w = width
        self.image = nn.Sequential(
            nn.Conv2d(3, w, 4, 2, 1), nn.LeakyReLU(0.2, True),  # 32
            nn.Conv2d(w, w * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(w * 2), nn.LeakyReLU(0.2, True),  # 16
            nn.Conv2d(w * 2, w * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(w * 4), nn.LeakyReLU(0.2, True),  # 8
            nn.Conv2d(w * 4, w * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(w * 8), nn.LeakyReLU(0.2, True),  # 4
        )
        self.cond = nn.Sequential(nn.Linear(text_dim, cond_dim), nn.LeakyReLU(0.2, True))
        self.joint = nn.Sequential(
            nn.Conv2d(w * 8 + cond_dim, w * 8, 1, 1, 0, bias=False), nn.BatchNorm2d(w * 8), nn.LeakyReLU(0.2, True),
            nn.Conv2d(w * 8, 1, 4, 1, 0),
        )
        dcgan_init(self)

    def config(self) -> dict:
        return dict(text_dim=self.text_dim, cond_dim=self.cond_dim, width=self.width)

    def score(self, h: torch.Tensor, text_emb: torch.Tensor) -> torch.Tensor:
        """Logits from 4x4 image features ``h = self.image(x)`` and text; lets one image pass serve two texts."""
        c = self.cond(text_emb)[:, :, None, None].expand(-1, -1, h.shape[2], h.shape[3])
        return self.joint(torch.cat([h, c], 1)).flatten()

    def forward(self, x: torch.Tensor, text_emb: torch.Tensor) -> torch.Tensor:
        return self.score(self.image(x), text_emb)


class StyleEncoder(nn.Module):
    """S(x) -> z: inverts G's noise input, trained with ||z - S(G(z, φ(t)))||²."""

    def __init__(self, z_dim: int = Z_DIM, width: int = 32):
        super().__init__()
        self.z_dim, self.width = z_dim, width
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(3, w, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(w, w * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(w * 2), nn.LeakyReLU(0.2, True),
            nn.Conv2d(w * 2, w * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(w * 4), nn.LeakyReLU(0.2, True),
            nn.Conv2d(w * 4, w * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(w * 8), nn.LeakyReLU(0.2, True),
        )
        self.head = nn.Linear(w * 8 * 16, z_dim)
        dcgan_init(self)

    def config(self) -> dict:
        return dict(z_dim=self.z_dim, width=self.width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.net(x).flatten(1))


def dcgan_init(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights N(0, 0.02), BN scale N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def mismatched(text_emb: torch.Tensor, fits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """"Wrong text" for each row: another row's embedding whose text does not describe this row's image.

    ``fits[i, j]`` is True where text j also describes image i (the same emoji drawn twice, or a
    generic paraphrase that fits both). A random permutation, then rows that landed on a fitting
    text are rolled by one until none does (given up after n tries, e.g. a batch of one emoji).
    """
    n = len(text_emb)
    perm = torch.randperm(n, generator=generator)
    rows = torch.arange(n)
    for _ in range(n):
        clash = fits[rows, perm]
        if not clash.any():
            break
        perm = torch.where(clash, perm.roll(1), perm)
    return text_emb[perm]


def interpolated(text_emb: torch.Tensor, beta: float = 0.5, generator: torch.Generator | None = None) -> torch.Tensor:
    """GAN-INT: β t1 + (1 - β) t2 for t2 a shuffled copy of the batch (β = 0.5 in the paper)."""
    perm = torch.randperm(len(text_emb), generator=generator)
    return beta * text_emb + (1.0 - beta) * text_emb[perm]


def d_loss_cls(s_real_right: torch.Tensor, s_real_wrong: torch.Tensor, s_fake_right: torch.Tensor) -> torch.Tensor:
    """GAN-CLS discriminator loss (to minimise): -[log s_r + (log(1 - s_w) + log(1 - s_f)) / 2].

    Built from the hub's logistic loss: the average of (real-right vs real-wrong) and
    (real-right vs fake-right) is exactly the paper's weighting.
    """
    return 0.5 * (d_loss(s_real_right, s_real_wrong) + d_loss(s_real_right, s_fake_right))


def g_loss_int(s_fake_right: torch.Tensor, s_fake_interp: torch.Tensor | None = None) -> torch.Tensor:
    """Non-saturating G loss -log s_f, plus the GAN-INT term on interpolated text when given."""
    loss = nonsaturating_g_loss(s_fake_right)
    if s_fake_interp is not None:
        loss = loss + nonsaturating_g_loss(s_fake_interp)
    return loss


def truncated_normal(shape: tuple[int, ...], truncation: float | None, generator: torch.Generator) -> torch.Tensor:
    """N(0, 1) samples restricted to [-truncation, truncation] by the inverse CDF (None: untruncated).

    Deterministic for a given generator state: one uniform draw per value, no rejection loop.
    """
    if truncation is None or truncation <= 0 or not math.isfinite(truncation):
        return torch.randn(shape, generator=generator)
    lo = 0.5 * (1.0 + math.erf(-truncation / math.sqrt(2.0)))
    u = lo + (1.0 - 2.0 * lo) * torch.rand(shape, generator=generator, dtype=torch.float64)
    return torch.special.ndtri(u).float()
