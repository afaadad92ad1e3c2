"""SRResNet, the SRGAN discriminator (Ledig et al. 2017) and RRDBNet (ESRGAN, Wang et al. 2018).

Every generator here maps an image in ``[-1, 1]`` (NCHW RGB) to an image ``scale`` times larger,
also in ``[-1, 1]``. Upstream checkpoints that work in ``[0, 1]`` (Real-ESRGAN, the public SRGAN
PyTorch ports) set ``io_range="0,1"``: the conversion happens inside ``forward`` so the weights
stay exactly as published.

Parameter names:
* ``SRResNet``/``SRGANDiscriminator`` use our own names; ``plugins.srgan.convert`` maps the public
  SRGAN-PyTorch checkpoints onto them.
* ``RRDBNet`` uses the names of the public ESRGAN / Real-ESRGAN safetensors (``conv_first``,
  ``body.N.rdb1.conv1`` ... ``conv_last``) so those files load with ``strict=True`` as they are.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def _to_model_range(x: torch.Tensor, io_range: str) -> torch.Tensor:
    return (x + 1) * 0.5 if io_range == "0,1" else x


def _from_model_range(y: torch.Tensor, io_range: str) -> torch.Tensor:
    return y * 2 - 1 if io_range == "0,1" else y


# ----------------------------------------------------------------------------- SRResNet


class ResidualBlock(nn.Module):
    """conv3x3-BN-PReLU-conv3x3-BN plus identity (the paper's Fig. 4 block, k3n64s1)."""

    def __init__(self, channels: int):
        super().__init__()
        # bias is redundant before BN
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.act = nn.PReLU()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        return x + self.bn2(self.conv2(self.act(self.bn1(self.conv1(x)))))


class SubPixelUpsample(nn.Module):
    """conv3x3 (C -> 4C), PixelShuffle(2), PReLU: one x2 step (Shi et al. 2016)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels * 4, 3, padding=1)
        self.shuffle = nn.PixelShuffle(2)
        self.act = nn.PReLU()

    def forward(self, x):
        return self.act(self.shuffle(self.conv(x)))


class SRResNet(nn.Module):
    """The SRResNet / SRGAN generator.

    Published configuration (the default): 9x9 head conv + PReLU, 16 residual blocks of 64
    channels, conv3x3 + BN, a global skip from the head, log2(scale) sub-pixel x2 upsamplers
    with PReLU, and a 9x9 tail conv to RGB. ``channels``/``num_blocks`` shrink it for the CPU
    embedded model (the model card says which).
    """

    def __init__(self, scale: int = 4, channels: int = 64, num_blocks: int = 16,
                 in_channels: int = 3, io_range: str = "-1,1"):
        super().__init__()
        if scale not in (2, 4, 8):
            raise ValueError(f"SRResNet scale must be 2, 4 or 8, not {scale}")
        self.scale, self.channels, self.num_blocks, self.io_range = scale, channels, num_blocks, io_range
        self.head = nn.Conv2d(in_channels, channels, 9, padding=4)
        self.head_act = nn.PReLU()
        self.blocks = nn.Sequential(*[ResidualBlock(channels) for _ in range(num_blocks)])
        self.body_conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.body_bn = nn.BatchNorm2d(channels)
        self.upsample = nn.Sequential(*[SubPixelUpsample(channels) for _ in range(int(math.log2(scale)))])
        self.tail = nn.Conv2d(channels, in_channels, 9, padding=4)

    def forward(self, x):
        x = _to_model_range(x, self.io_range)
        feat = self.head_act(self.head(x))
        feat = feat + self.body_bn(self.body_conv(self.blocks(feat)))
        y = self.tail(self.upsample(feat))
        return _from_model_range(y, self.io_range)

    @property
    def receptive_radius(self) -> int:
        """Receptive-field radius in input pixels (head 4 + 2 per block + 1 body + 1 per upsampler + tail)."""
        n_up = len(self.upsample)
        return 4 + 2 * self.num_blocks + 1 + sum(1 for _ in range(n_up)) + math.ceil(4 / self.scale)


# ----------------------------------------------------------------------------- SRGAN discriminator


class SRGANDiscriminator(nn.Module):
    """The SRGAN discriminator: 8 conv3x3 layers 64->512 (stride 2 every second layer),
    BN after all but the first, LeakyReLU(0.2), dense 1024, LeakyReLU, dense 1.

    Returns the logit (the sigmoid lives in the BCE-with-logits loss). ``channels`` is the
    width of the first layer (64 published); ``image_size`` (96 published) fixes the dense input.
    """

    def __init__(self, channels: int = 64, image_size: int = 96, in_channels: int = 3):
        super().__init__()
        widths = [channels, channels, channels * 2, channels * 2, channels * 4, channels * 4,
                  channels * 8, channels * 8]
        layers, prev = [], in_channels
        for i, width in enumerate(widths):
            block = nn.Sequential()
            block.add_module("conv", nn.Conv2d(prev, width, 3, stride=1 + (i % 2), padding=1, bias=i == 0))
            if i > 0:
                block.add_module("bn", nn.BatchNorm2d(width))
            block.add_module("act", nn.LeakyReLU(0.2, inplace=True))
            layers.append(block)
            prev = width
        self.features = nn.Sequential(*layers)
        final = image_size // 16
        self.dense1 = nn.Linear(prev * final * final, 1024)
        self.dense_act = nn.LeakyReLU(0.2, inplace=True)
        self.dense2 = nn.Linear(1024, 1)
        self.image_size = image_size

    def forward(self, x):
        if x.shape[-2:] != (self.image_size, self.image_size):
            raise ValueError(f"SRGAN discriminator expects {self.image_size}x{self.image_size} crops")
        h = self.features(x).flatten(1)
        return self.dense2(self.dense_act(self.dense1(h)))


# ----------------------------------------------------------------------------- RRDBNet (ESRGAN)


class ResidualDenseBlock(nn.Module):
    """Five densely connected conv3x3 (growth ``num_grow_ch``), residual scaled by 0.2."""

    def __init__(self, num_feat: int = 64, num_grow_ch: int = 32):
        super().__init__()
        g = num_grow_ch
        self.conv1 = nn.Conv2d(num_feat, g, 3, 1, 1)
        self.conv2 = nn.Conv2d(num_feat + g, g, 3, 1, 1)
        self.conv3 = nn.Conv2d(num_feat + 2 * g, g, 3, 1, 1)
        self.conv4 = nn.Conv2d(num_feat + 3 * g, g, 3, 1, 1)
        self.conv5 = nn.Conv2d(num_feat + 4 * g, num_feat, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x):
        x1 = self.lrelu(self.conv1(x))
        x2 = self.lrelu(self.conv2(torch.cat((x, x1), 1)))
        x3 = self.lrelu(self.conv3(torch.cat((x, x1, x2), 1)))
        x4 = self.lrelu(self.conv4(torch.cat((x, x1, x2, x3), 1)))
        x5 = self.conv5(torch.cat((x, x1, x2, x3, x4), 1))
        return x + 0.2 * x5


class RRDB(nn.Module):
    """Residual-in-residual dense block: three dense blocks, outer residual scaled by 0.2."""

    def __init__(self, num_feat: int = 64, num_grow_ch: int = 32):
        super().__init__()
        self.rdb1 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb2 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb3 = ResidualDenseBlock(num_feat, num_grow_ch)

    def forward(self, x):
        return x + 0.2 * self.rdb3(self.rdb2(self.rdb1(x)))


class RRDBNet(nn.Module):
    """ESRGAN's generator: 23 RRDBs, 64 features, growth 32; two nearest x2 + conv upsamplers.

    For ``scale`` 2 (or 1) the input is pixel-unshuffled first, as the Real-ESRGAN x2 weights
    expect (so ``conv_first`` sees 12 (or 48) channels). Works in [0, 1] like the public weights.
    """

    def __init__(self, scale: int = 4, num_feat: int = 64, num_block: int = 23, num_grow_ch: int = 32,
                 num_in_ch: int = 3, num_out_ch: int = 3, io_range: str = "0,1"):
        super().__init__()
        if scale not in (1, 2, 4):
            raise ValueError(f"RRDBNet scale must be 1, 2 or 4, not {scale}")
        self.scale, self.io_range = scale, io_range
        first_in = num_in_ch * {4: 1, 2: 4, 1: 16}[scale]
        self.conv_first = nn.Conv2d(first_in, num_feat, 3, 1, 1)
        self.body = nn.Sequential(*[RRDB(num_feat, num_grow_ch) for _ in range(num_block)])
        self.conv_body = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(num_feat, num_out_ch, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x):
        x = _to_model_range(x, self.io_range)
        if self.scale < 4:
            x = F.pixel_unshuffle(x, 4 // self.scale)
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        feat = self.lrelu(self.conv_up1(F.interpolate(feat, scale_factor=2, mode="nearest")))
        feat = self.lrelu(self.conv_up2(F.interpolate(feat, scale_factor=2, mode="nearest")))
        y = self.conv_last(self.lrelu(self.conv_hr(feat)))
        return _from_model_range(y, self.io_range)


def rrdbnet_config_from_state_dict(state_dict) -> dict:
    """Infer RRDBNet kwargs (scale, num_feat, num_block, num_grow_ch) from an RRDBNet-layout state dict."""
    first = state_dict["conv_first.weight"]
    num_feat, first_in = first.shape[0], first.shape[1]
    num_out_ch = state_dict["conv_last.weight"].shape[0]
    num_in_ch = num_out_ch
    scale = {1: 4, 4: 2, 16: 1}[first_in // num_in_ch]
    blocks = {int(k.split(".")[1]) for k in state_dict if k.startswith("body.")}
    num_grow_ch = state_dict["body.0.rdb1.conv1.weight"].shape[0]
    return dict(scale=scale, num_feat=num_feat, num_block=len(blocks), num_grow_ch=num_grow_ch,
                num_in_ch=num_in_ch, num_out_ch=num_out_ch)


def srresnet_config_from_state_dict(state_dict) -> dict:
    """Infer SRResNet kwargs from a state dict in our layout."""
    channels = state_dict["head.weight"].shape[0]
    blocks = {int(k.split(".")[1]) for k in state_dict if k.startswith("blocks.")}
    ups = {int(k.split(".")[1]) for k in state_dict if k.startswith("upsample.")}
    return dict(scale=2 ** len(ups), channels=channels, num_blocks=len(blocks))


def passthrough_init_(net: SRResNet) -> SRResNet:
    """Initialise an SRResNet so that it starts as a plain interpolator (a CPU-budget choice; the paper trains
    from a random init for 10^6 iterations).

    * Zero-init residual branches (Goyal et al. 2017): every block's last BN and the body BN get gamma = 0,
      so blocks and trunk start as identities and the global skip carries the head features.
    * Six head channels carry +RGB and -RGB (centre tap); since PReLU(x) - PReLU(-x) = (1 + a) x, each
      sub-pixel upsampler rebuilds the signed pair for all four sub-positions (nearest x2), and the 9x9 tail
      turns the pair into RGB with a separable quadratic B-spline (box4 * box4): a bilinear-quality start.
    The architecture is unchanged; other channels keep their random init (tail weights from them scaled 0.1).
    """
    c = net.channels
    if c < 6:
        raise ValueError("passthrough_init_ needs at least 6 channels")
    with torch.no_grad():
        for block in net.blocks:
            block.bn2.weight.zero_()
        net.body_bn.weight.zero_()
        net.head.weight[:6].zero_()
        net.head.bias[:6].zero_()
        for k in range(3):
            net.head.weight[k, k, 4, 4] = 1.0
            net.head.weight[k + 3, k, 4, 4] = -1.0
        a = float(net.head_act.weight.mean())
        for up in net.upsample:
            w, b = up.conv.weight, up.conv.bias
            w[:24].zero_()
            b[:24].zero_()
            w[:, :6] = 0.0  # the pair channels feed only their own copies
            for k in range(3):
                for s in range(4):
                    w[k * 4 + s, k, 1, 1] = 1.0 / (1 + a)
                    w[k * 4 + s, k + 3, 1, 1] = -1.0 / (1 + a)
                    w[(k + 3) * 4 + s, k, 1, 1] = -1.0 / (1 + a)
                    w[(k + 3) * 4 + s, k + 3, 1, 1] = 1.0 / (1 + a)
            a = float(up.act.weight.mean())
        box = torch.ones(4)
        spline = torch.nn.functional.conv1d(box.view(1, 1, 4), box.view(1, 1, 4), padding=3).flatten()  # 7 taps
        kernel = torch.zeros(9)
        kernel[1:8] = spline / spline.sum()
        k2 = torch.outer(kernel, kernel)
        net.tail.weight.mul_(0.1)
        net.tail.weight[:, :6].zero_()
        net.tail.bias.zero_()
        for k in range(3):
            net.tail.weight[k, k] = k2 / (1 + a)
            net.tail.weight[k, k + 3] = -k2 / (1 + a)
    return net
