"""The networks of Pix2Pix and CycleGAN, laid out so that the official PyTorch checkpoints load strictly.

* ``UNetGenerator`` (Pix2Pix, Isola et al. 2017): the encoder-decoder with skips, C64-C128-C256-C512-...,
  each decoder layer taking the concatenation of the previous one and its mirror encoder layer;
  dropout (p 0.5) in the first decoder layers is the generator's only noise. Built recursively from
  ``UNetBlock`` (down, inner block, up), so its ``state_dict`` keys are those of
  junyanz/pytorch-CycleGAN-and-pix2pix's ``netG``: ``model.model.0.weight`` (the outermost down
  conv), ``model.model.1.model.1.weight`` (the next one down), ... The number of downsamplings
  sets the bottleneck: ``num_downs`` = log2(resolution) reaches 1x1 (8 at 256 px, 6 at 64 px).
* ``ResNetGenerator`` (CycleGAN, Zhu et al. 2017; Johnson et al. 2016): c7s1-64, d128, d256, R256 x n,
  u128, u64, c7s1-3, reflection padding, one flat ``nn.Sequential`` (keys ``model.1.weight``,
  ``model.10.conv_block.1.weight`` ...).
* ``PatchDiscriminator``: the PatchGAN C64-C128-...(stride 2) then two stride-1 4x4 convs; ``n_layers``
  3 is the paper's 70x70 patch, 2 a 34x34 patch, 1 a 16x16 patch (``receptive_field``).
* ``ImagePool``: the 50-image history buffer of Shrivastava et al. that CycleGAN's discriminators read.

Norms: ``"batch"`` (Pix2Pix's published models) or ``"instance"`` (CycleGAN's: no affine, no running
statistics, hence no state-dict entries). With batch norm the convs before a norm carry no bias, as upstream.
"""

from __future__ import annotations

import random
import re
from typing import Any, Mapping

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = [
    "UNetGenerator", "UNetBlock", "ResNetGenerator", "ResNetBlock", "PatchDiscriminator", "NoiseDropout",
    "ImagePool", "receptive_field", "unet_config_from_state_dict", "resnet_config_from_state_dict",
    "generator_from_state_dict", "empty_generator_for", "layout_mismatch", "set_dropout_noise",
]


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be batch, instance or none, not {kind!r}")


class NoiseDropout(nn.Dropout):
    """Dropout that can stay on in eval mode (``noise = True``): Pix2Pix's test-time noise source.

    It has no parameters, so it sits where upstream's ``nn.Dropout`` sits without changing any key.
    """

    noise: bool = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.dropout(x, self.p, self.training or self.noise, self.inplace)


def set_dropout_noise(model: nn.Module, on: bool) -> int:
    """Turn test-time dropout noise on or off in every ``NoiseDropout``; returns how many there are."""
    n = 0
    for m in model.modules():
        if isinstance(m, NoiseDropout):
            m.noise = on
            n += 1
    return n


class UNetBlock(nn.Module):
    """One level of the U-Net: ``x -> cat(x, up(inner(down(x))))`` (the outermost level returns ``up(...)``)."""

    def __init__(self, outer: int, inner: int, submodule: nn.Module | None = None, *, in_channels: int | None = None,
                 outermost: bool = False, innermost: bool = False, norm: str = "batch", dropout: bool = False):
        super().__init__()
        self.outermost = outermost
        bias = norm != "batch"
        cin = outer if in_channels is None else in_channels
        down_conv = nn.Conv2d(cin, inner, 4, stride=2, padding=1, bias=bias)
        if outermost:
            layers = [down_conv, submodule,
                      nn.ReLU(True), nn.ConvTranspose2d(inner * 2, outer, 4, stride=2, padding=1), nn.Tanh()]
        elif innermost:
            layers = [nn.LeakyReLU(0.2, True), down_conv,
                      nn.ReLU(True), nn.ConvTranspose2d(inner, outer, 4, stride=2, padding=1, bias=bias), _norm(norm, outer)]
        else:
            layers = [nn.LeakyReLU(0.2, True), down_conv, _norm(norm, inner), submodule,
                      nn.ReLU(True), nn.ConvTranspose2d(inner * 2, outer, 4, stride=2, padding=1, bias=bias),
                      _norm(norm, outer)]
            if dropout:
                layers.append(NoiseDropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.model(x)
        return y if self.outermost else torch.cat([x, y], 1)


class UNetGenerator(nn.Module):
    """Pix2Pix's U-Net. ``dropout_levels``: how many decoder levels just above the innermost one drop
    out (upstream: the ``num_downs - 5`` extra 8*ngf levels, with ``use_dropout``; the paper: the first
    three decoder layers). Input and output in [-1, 1]."""

    def __init__(self, in_channels: int = 3, out_channels: int = 3, num_downs: int = 8, ngf: int = 64,
                 norm: str = "batch", dropout_levels: int | None = None):
        super().__init__()
        if num_downs < 5:
            raise ValueError("num_downs must be at least 5 (C64-C128-C256-C512 plus the innermost level)")
        self.config = dict(in_channels=in_channels, out_channels=out_channels, num_downs=num_downs, ngf=ngf,
                           norm=norm, dropout_levels=num_downs - 5 if dropout_levels is None else dropout_levels)
        n_drop = self.config["dropout_levels"]
        # (outer, inner) channel pairs from the innermost level outwards
        widths = [(ngf * 8, ngf * 8)] * (num_downs - 4) + [(ngf * 4, ngf * 8), (ngf * 2, ngf * 4), (ngf, ngf * 2)]
        block = None
        for level, (outer, inner) in enumerate(widths):
            block = UNetBlock(outer, inner, block, innermost=level == 0, norm=norm,
                              dropout=0 < level <= n_drop)
        self.model = UNetBlock(out_channels, ngf, block, in_channels=in_channels, outermost=True, norm=norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class ResNetBlock(nn.Module):
    def __init__(self, dim: int, norm: str = "instance", dropout: bool = False):
        super().__init__()
        bias = norm != "batch"
        layers: list[nn.Module] = [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), _norm(norm, dim), nn.ReLU(True)]
        if dropout:
            layers.append(NoiseDropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), _norm(norm, dim)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResNetGenerator(nn.Module):
    """CycleGAN's generator: c7s1-ngf, d(2ngf), d(4ngf), R(4ngf) x n_blocks, u(2ngf), u(ngf), c7s1-out, tanh."""

    def __init__(self, in_channels: int = 3, out_channels: int = 3, ngf: int = 64, n_blocks: int = 9,
                 norm: str = "instance", dropout: bool = False):
        super().__init__()
        self.config = dict(in_channels=in_channels, out_channels=out_channels, ngf=ngf, n_blocks=n_blocks,
                           norm=norm, dropout=dropout)
        bias = norm != "batch"
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, ngf, 7, bias=bias), _norm(norm, ngf),
                                   nn.ReLU(True)]
        for mult in (1, 2):  # d128, d256
            layers += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=bias),
                       _norm(norm, ngf * mult * 2), nn.ReLU(True)]
        layers += [ResNetBlock(ngf * 4, norm, dropout) for _ in range(n_blocks)]
        for mult in (4, 2):  # u128, u64
            layers += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1, bias=bias),
                       _norm(norm, ngf * mult // 2), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class PatchDiscriminator(nn.Module):
    """PatchGAN: one realness score per ``receptive_field(n_layers)``-pixel patch (raw logits / LSGAN scores)."""

    def __init__(self, in_channels: int = 6, ndf: int = 64, n_layers: int = 3, norm: str = "batch"):
        super().__init__()
        self.config = dict(in_channels=in_channels, ndf=ndf, n_layers=n_layers, norm=norm)
        bias = norm != "batch"
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2 ** n, 8)
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=stride, padding=1, bias=bias), _norm(norm, ndf * mult),
                       nn.LeakyReLU(0.2, True)]
        layers.append(nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)
        self.receptive_field = receptive_field(n_layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def receptive_field(n_layers: int) -> int:
    """Receptive field in pixels of one output of ``PatchDiscriminator(n_layers=...)``: 16, 34, 70, 142 ..."""
    kernels_strides = [(4, 2)] * n_layers + [(4, 1), (4, 1)]
    rf = 1
    for k, s in reversed(kernels_strides):
        rf = rf * s + (k - s)
    return rf


class ImagePool:
    """History of generated images (Shrivastava et al. 2017): with probability 1/2 the discriminator sees
    a stored older fake instead of the new one, which is stored in its place. ``size`` 0 passes through.

    ``query(images, rng)`` takes the ``random.Random`` to draw from, so that a trainer can seed it by
    step; ``images`` is the buffer (a tensor, saved in checkpoints)."""

    def __init__(self, size: int = 50):
        self.size = size
        self.images: list[torch.Tensor] = []

    def query(self, images: torch.Tensor, rng: random.Random) -> torch.Tensor:
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif rng.random() < 0.5:
                i = rng.randrange(self.size)
                out.append(self.images[i].clone())
                self.images[i] = image.clone()
            else:
                out.append(image)
        return torch.cat(out, 0)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"images": torch.cat(self.images, 0) if self.images else torch.zeros(0)}

    def load_state_dict(self, state: Mapping[str, torch.Tensor], strict: bool = True) -> None:
        t = state.get("images")
        self.images = [x.unsqueeze(0).clone() for x in t] if t is not None and t.numel() else []


# ---------------------------------------------------------------------------------------------
# Configs read off a state dict (our files and the converted upstream ones alike)

def unet_config_from_state_dict(sd: Mapping[str, torch.Tensor]) -> dict[str, Any]:
    """``UNetGenerator`` kwargs for a state dict in the upstream layout (dropout levels are not stored:
    upstream's default ``num_downs - 5``, or the ``config`` metadata of our files, decides them)."""
    convs = sum(1 for k, v in sd.items() if k.endswith(".weight") and v.dim() == 4)  # a down and an up conv per level
    first = sd["model.model.0.weight"]
    last = sd["model.model.3.weight"]  # the outermost ConvTranspose2d: [2 * ngf, out, 4, 4]
    norm = "batch" if any(k.endswith("running_mean") for k in sd) else "instance"
    return dict(in_channels=int(first.shape[1]), out_channels=int(last.shape[1]), num_downs=convs // 2,
                ngf=int(first.shape[0]), norm=norm)


def resnet_config_from_state_dict(sd: Mapping[str, torch.Tensor]) -> dict[str, Any]:
    blocks = {int(m[1]) for k in sd if (m := re.match(r"model\.(\d+)\.conv_block\.", k))}
    first = sd["model.1.weight"]
    last_index = max(int(m[1]) for k in sd if (m := re.match(r"model\.(\d+)\.weight$", k)))
    norm = "batch" if any(k.endswith("running_mean") for k in sd) else "instance"
    return dict(in_channels=int(first.shape[1]), out_channels=int(sd[f"model.{last_index}.weight"].shape[0]),
                ngf=int(first.shape[0]), n_blocks=len(blocks), norm=norm)


def empty_generator_for(sd: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None) -> nn.Module:
    """The U-Net or ResNet generator (unloaded) whose layout this state dict has; ``metadata`` (our
    files' safetensors metadata) may add the ``config`` that the shapes do not tell (dropout)."""
    import json

    meta = dict(metadata or {})
    if "model.model.0.weight" in sd:
        cfg = unet_config_from_state_dict(sd)
        if "config" in meta:
            cfg.update(json.loads(meta["config"]))
        return UNetGenerator(**cfg)
    if "model.1.weight" in sd:
        cfg = resnet_config_from_state_dict(sd)
        if "config" in meta:
            cfg.update(json.loads(meta["config"]))
        return ResNetGenerator(**cfg)
    raise KeyError("neither a U-Net (model.model.0.weight) nor a ResNet (model.1.weight) generator state dict")


def layout_mismatch(net: nn.Module, sd: Mapping[str, torch.Tensor]) -> str:
    """"" when ``sd`` has exactly ``net``'s keys and shapes, else what differs (a strict load's check,
    without copying: it works on meta tensors too)."""
    ours = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    theirs = {k: tuple(v.shape) for k, v in sd.items()}
    missing, unexpected = sorted(set(ours) - set(theirs)), sorted(set(theirs) - set(ours))
    shapes = sorted(k for k in set(ours) & set(theirs) if ours[k] != theirs[k])
    parts = [f"{name}: {keys[:4]}{' ...' if len(keys) > 4 else ''}" for name, keys in
             (("missing", missing), ("unexpected", unexpected), ("other shapes", shapes)) if keys]
    return "; ".join(parts)


def generator_from_state_dict(sd: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None) -> nn.Module:
    """Build the U-Net or ResNet generator this state dict is for and load it strictly."""
    net = empty_generator_for(sd, metadata)
    net.load_state_dict(dict(sd), strict=True)
    return net
