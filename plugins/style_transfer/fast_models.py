"""The image transformation network of Johnson, Alahi & Fei-Fei (ECCV 2016), with instance norm.

Layout (the paper's supplementary Table 1, with Ulyanov et al.'s 2016 instance normalisation, which
the authors adopted in their released code): conv 9x9 stride 1 -> conv 3x3 stride 2 -> conv 3x3
stride 2 -> five residual blocks (two 3x3 convs each, IN, ReLU between, no ReLU after the sum) ->
two nearest x2 upsamplings each followed by a 3x3 conv (Odena et al.'s fix for checkerboard
artefacts, instead of the paper's fractionally-strided convs) -> conv 9x9 stride 1. Every conv is
reflection padded. Widths default to the published 32-64-128.

Module and parameter names follow the PyTorch examples' ``fast_neural_style`` ``TransformerNet``
(``conv1.conv2d.weight``, ``in1.weight``, ``res1.conv1.conv2d.weight``, ``deconv1.conv2d.weight``,
``deconv3.conv2d.bias`` ...), so its published ``candy`` / ``mosaic`` / ``rain_princess`` / ``udnie``
state dicts load with ``strict=True`` once their stale InstanceNorm running-stat keys are dropped
(``plugins.style_transfer.convert.fast_neural_style_to_transformer``).

Pixel convention: the public models take and return RGB in [0, 255]; so does ``net.body`` here (the
``TransformerNet`` itself) and so do the models trained here, so one layout serves both.
``TransformerNet.stylize(x)`` takes and returns the hub's [-1, 1].
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

PUBLISHED_WIDTHS = (32, 64, 128)


class ConvLayer(nn.Module):
    """Reflection pad + conv (key ``conv2d``), optionally after a nearest-neighbour upsampling."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, upsample: int | None = None):
        super().__init__()
        self.upsample = upsample
        self.pad = nn.ReflectionPad2d(kernel // 2)
        self.conv2d = nn.Conv2d(cin, cout, kernel, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = nn.functional.interpolate(x, scale_factor=self.upsample, mode="nearest")
        return self.conv2d(self.pad(x))


def _norm(c: int) -> nn.InstanceNorm2d:
    # affine, no running stats (the public checkpoints were saved by an older torch that kept
    # running_mean/var buffers in InstanceNorm2d; they were never used in eval and are dropped)
    return nn.InstanceNorm2d(c, affine=True, track_running_stats=False)


class ResidualBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.conv1, self.in1 = ConvLayer(c, c, 3), _norm(c)
        self.conv2, self.in2 = ConvLayer(c, c, 3), _norm(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.in1(self.conv1(x)))
        return x + self.in2(self.conv2(y))


class TransformerNet(nn.Module):
    """Johnson et al.'s transformation network; ``forward`` maps [0,255] RGB to [0,255] RGB."""

    def __init__(self, widths: Sequence[int] = PUBLISHED_WIDTHS, blocks: int = 5):
        super().__init__()
        a, b, c = (int(w) for w in widths)
        self.widths, self.blocks = (a, b, c), blocks
        self.conv1, self.in1 = ConvLayer(3, a, 9), _norm(a)
        self.conv2, self.in2 = ConvLayer(a, b, 3, stride=2), _norm(b)
        self.conv3, self.in3 = ConvLayer(b, c, 3, stride=2), _norm(c)
        for i in range(1, blocks + 1):
            setattr(self, f"res{i}", ResidualBlock(c))
        self.deconv1, self.in4 = ConvLayer(c, b, 3, upsample=2), _norm(b)
        self.deconv2, self.in5 = ConvLayer(b, a, 3, upsample=2), _norm(a)
        self.deconv3 = ConvLayer(a, 3, 9)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.in1(self.conv1(x)))
        y = torch.relu(self.in2(self.conv2(y)))
        y = torch.relu(self.in3(self.conv3(y)))
        for i in range(1, self.blocks + 1):
            y = getattr(self, f"res{i}")(y)
        y = torch.relu(self.in4(self.deconv1(y)))
        y = torch.relu(self.in5(self.deconv2(y)))
        return self.deconv3(y)

    def stylize(self, x: torch.Tensor) -> torch.Tensor:
        """[N,3,H,W] in [-1,1] -> stylised, same range (clamped). Any H, W (odd sizes are padded
        to a multiple of 4 by reflection and cropped back)."""
        h, w = x.shape[-2:]
        ph, pw = (-h) % 4, (-w) % 4
        if ph or pw:
            x = nn.functional.pad(x, (0, pw, 0, ph), mode="reflect")
        y = self.forward((x + 1) * 127.5)[..., :h, :w]
        return (y / 127.5 - 1).clamp(-1, 1)


def init_for_training(net: TransformerNet) -> TransformerNet:
    """Start a network to be trained: default conv init, the output conv's bias at mid-grey (127.5)
    so the first outputs sit inside [0, 255]."""
    with torch.no_grad():
        net.deconv3.conv2d.bias.fill_(127.5)
    return net


def widths_of(state: dict) -> tuple[int, int, int]:
    """The (a, b, c) widths of a TransformerNet state dict."""
    return (int(state["conv1.conv2d.weight"].shape[0]), int(state["conv2.conv2d.weight"].shape[0]),
            int(state["conv3.conv2d.weight"].shape[0]))


def load_transformer(state: dict) -> TransformerNet:
    """A strict-loaded, frozen, eval TransformerNet at the widths the state dict has."""
    net = TransformerNet(widths_of(state))
    net.load_state_dict(state, strict=True)
    return net.eval().requires_grad_(False)
