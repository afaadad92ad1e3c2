"""Image -> W+ encoder for a StyleGAN2 generator (iGAN's encoder method, Zhu et al. 2016, and the start of its hybrid method).

A residual CNN (StyleGAN2-D-like blocks without the stddev layer) reads the image at the
generator's resolution; heads read three feature levels, like pSp's map2style split
(Richardson et al. 2021): coarse latents from the 4x4 features, middle from 8x8 / 16x16, fine
from 32x32. Each head predicts an offset from ``w_avg``, so an untrained encoder returns the
average latent and training starts from a sensible image. Output: W+ [N, num_ws, w_dim].

Interface ``LatentEncoder``: ``encoder(x)`` with x float NCHW RGB in [-1, 1] of any size.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F


def _groups_by_resolution(ws_res: Sequence[int]) -> dict[str, list[int]]:
    n = len(ws_res)
    groups = {"coarse": [i for i, r in enumerate(ws_res) if r <= 8],
              "middle": [i for i, r in enumerate(ws_res) if 16 <= r <= 32],
              "fine": [i for i, r in enumerate(ws_res) if r >= 64]}
    if not groups["fine"]:  # generators below 64 px: the last latents are the fine ones
        groups["fine"] = [n - 1]
        groups["middle"] = [i for i in groups["middle"] if i != n - 1]
    return groups


class ResDown(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cin, 3, padding=1)
        self.conv2 = nn.Conv2d(cin, cout, 3, stride=2, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1, stride=2, bias=False)

    def forward(self, x):
        y = F.leaky_relu(self.conv1(x), 0.2)
        y = F.leaky_relu(self.conv2(y), 0.2)
        return (y + self.skip(x)) / math.sqrt(2)


class Head(nn.Module):
    """Features [N, C, r, r] -> offsets for ``n_ws`` latents: strided convs to 4x4, then linear."""

    def __init__(self, channels, res, n_ws, w_dim, hidden=256):
        super().__init__()
        layers: list[nn.Module] = []
        while res > 4:
            layers += [nn.Conv2d(channels, channels, 3, stride=2, padding=1), nn.LeakyReLU(0.2)]
            res //= 2
        self.down = nn.Sequential(*layers)
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(channels * 16, hidden), nn.LeakyReLU(0.2),
                                nn.Linear(hidden, n_ws * w_dim))
        nn.init.zeros_(self.fc[-1].weight)  # start at w_avg
        nn.init.zeros_(self.fc[-1].bias)
        self.n_ws, self.w_dim = n_ws, w_dim

    def forward(self, x):
        return self.fc(self.down(x)).view(x.shape[0], self.n_ws, self.w_dim)


class Encoder(nn.Module):
    """``Encoder(resolution, num_ws, w_dim, ws_resolutions)``: image -> W+ = w_avg + offsets."""

    def __init__(self, resolution: int = 64, num_ws: int = 10, w_dim: int = 256,
                 ws_resolutions: Sequence[int] | None = None,
                 channels: dict[int, int] | None = None, offset_scale: float = 1.0):
        super().__init__()
        self.resolution, self.num_ws, self.w_dim = resolution, num_ws, w_dim
        log = int(math.log2(resolution))
        if ws_resolutions is None:
            ws_resolutions = [2 ** ((i + 5) // 2) for i in range(num_ws - 1)] + [resolution]
        self.ws_resolutions = [int(r) for r in ws_resolutions]
        default = {2 ** i: min(256, max(32, 16 * resolution // 2 ** i)) for i in range(2, log + 1)}  # 32..256
        ch = {int(k): int(v) for k, v in (channels or default).items()}
        self.channels = ch
        self.offset_scale = offset_scale
        self.stem = nn.Conv2d(3, ch[resolution], 3, padding=1)
        self.blocks = nn.ModuleList(ResDown(ch[2 ** i], ch[2 ** (i - 1)]) for i in range(log, 2, -1))
        self.groups = _groups_by_resolution(self.ws_resolutions)
        # which feature level each group reads: coarse 4 px, middle 16 px, fine 32 px (or the largest)
        self.taps = {"coarse": 4, "middle": min(16, resolution // 2), "fine": min(32, resolution // 2)}
        self.heads = nn.ModuleDict({g: Head(ch[self.taps[g]], self.taps[g], len(idx), w_dim)
                                    for g, idx in self.groups.items() if idx})
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def config(self) -> dict:
        return dict(resolution=self.resolution, num_ws=self.num_ws, w_dim=self.w_dim,
                    ws_resolutions=self.ws_resolutions, channels={str(k): v for k, v in self.channels.items()},
                    offset_scale=self.offset_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (self.resolution, self.resolution):
            x = F.interpolate(x, size=(self.resolution, self.resolution), mode="bilinear", antialias=True,
                              align_corners=False)
        h = F.leaky_relu(self.stem(x), 0.2)
        feats = {h.shape[-1]: h}
        for block in self.blocks:
            h = block(h)
            feats[h.shape[-1]] = h
        ws = self.w_avg.expand(x.shape[0], self.num_ws, -1).clone()
        for g, head in self.heads.items():
            ws[:, self.groups[g]] = ws[:, self.groups[g]] + self.offset_scale * head(feats[self.taps[g]])
        return ws


def encoder_for(G, **kwargs) -> Encoder:
    """An encoder shaped for generator ``G`` (its w_avg copied in)."""
    res = list(G.layer_resolutions)
    ws_res = (res + [res[-1]] * G.num_ws)[:G.num_ws]
    enc = Encoder(G.resolution, G.num_ws, G.w_dim, ws_res, **kwargs)
    with torch.no_grad():
        enc.w_avg.copy_(G.w_avg)
    return enc


def encoder_metadata(enc: Encoder, extra: dict | None = None) -> dict[str, str]:
    """The safetensors metadata of an encoder file: its config (``load_encoder`` rebuilds from it) and ``extra``."""
    return {"config": json.dumps(enc.config()), "format": "ganhub-stylegan2-encoder",
            **{k: str(v) for k, v in (extra or {}).items()}}


def save_encoder(enc: Encoder, path: str | Path, dtype: torch.dtype = torch.float32, extra: dict | None = None) -> None:
    from safetensors.torch import save_file

    from hub.training import atomic_write

    tensors = {k: v.detach().to(dtype).contiguous().cpu() for k, v in enc.state_dict().items()}
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=encoder_metadata(enc, extra)))


def load_encoder(path: str | Path, device: str | torch.device = "cpu") -> Encoder:
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    if "config" not in meta:
        raise ValueError(f"{Path(path).name} has no encoder config in its metadata")
    cfg = json.loads(meta["config"])
    cfg["channels"] = {int(k): v for k, v in cfg["channels"].items()}
    enc = Encoder(**cfg)
    enc.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()}, strict=True)
    return enc.to(device).eval().requires_grad_(False)
