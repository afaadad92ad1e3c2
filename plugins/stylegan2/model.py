"""StyleGAN2 generator and discriminator (Karras et al. 2020, "Analyzing and Improving the Image
Quality of StyleGAN"), written for GAN Hub.

Parameter names and shapes follow the widely used rosinality/stylegan2-pytorch checkpoints
(``style.N``, ``input.input``, ``conv1.*``, ``to_rgb1.*``, ``convs.N.*``, ``to_rgbs.N.*``,
``noises.noise_N``; their ``latent_avg`` becomes our ``w_avg`` buffer), so the public FFHQ,
cat, church and car generators load after ``plugins.stylegan2.convert``. The forward pass
reproduces theirs: equalised learning rate everywhere, weight (de)modulation, transposed
3x3 conv + [1,3,3,1] FIR blur for upsampling, FIR upsampling of the skip-style RGB output.

Modulated convolutions use the "non-fused" form (scale input channels by the style, one
shared convolution, scale output channels by the demodulation coefficient). It is exactly
equivalent to per-sample weights and much faster on CPU, where grouped convs are slow.

Synthesis layers are numbered 0..num_layers-1 (layer 0: the 3x3 conv on the 4x4 constant);
layer i reads ``ws[:, i]`` and the toRGB that follows layer 2k reads ``ws[:, 2k+1]``,
so ``num_ws = num_layers + 1`` (18 / 17 at 1024 px).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F

SQRT2 = math.sqrt(2.0)


def rosinality_channels(size: int, channel_multiplier: int = 2) -> dict[int, int]:
    """The channel table of rosinality / NVIDIA config-f, up to ``size``."""
    table = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * channel_multiplier,
             128: 128 * channel_multiplier, 256: 64 * channel_multiplier,
             512: 32 * channel_multiplier, 1024: 16 * channel_multiplier}
    return {r: c for r, c in table.items() if r <= size}


def make_kernel(k: Sequence[float]) -> torch.Tensor:
    """Separable FIR filter [k]x[k], normalised to sum 1."""
    k = torch.tensor(k, dtype=torch.float32)
    k = k[None, :] * k[:, None]
    return k / k.sum()


def upfirdn2d(x: torch.Tensor, kernel: torch.Tensor, up: int = 1, down: int = 1,
              pad: tuple[int, int] = (0, 0)) -> torch.Tensor:
    """Upsample by zero insertion, pad, FIR-filter (depthwise), downsample: plain PyTorch."""
    n, c, h, w = x.shape
    if up > 1:
        x = F.pad(x.reshape(n, c, h, 1, w, 1), [0, up - 1, 0, 0, 0, up - 1]).reshape(n, c, h * up, w * up)
    x = F.pad(x, [pad[0], pad[1], pad[0], pad[1]])
    weight = kernel.flip([0, 1]).to(x.dtype)[None, None].repeat(c, 1, 1, 1)
    x = F.conv2d(x, weight, groups=c)
    return x[:, :, ::down, ::down] if down > 1 else x


def fused_leaky_relu(x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Bias, leaky ReLU(0.2), gain sqrt(2) (keeps the activation variance, as in StyleGAN2)."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return F.leaky_relu(x + bias.view(shape), 0.2) * SQRT2


class PixelNorm(nn.Module):
    def forward(self, x):
        return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + 1e-8)


class EqualLinear(nn.Module):
    """Linear layer with equalised learning rate: weights N(0,1)/lr_mul, scaled at run time."""

    def __init__(self, in_dim, out_dim, bias=True, bias_init=0.0, lr_mul=1.0, activation=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim).div_(lr_mul))
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init))) if bias else None
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul = lr_mul
        self.activation = activation

    def forward(self, x):
        bias = self.bias * self.lr_mul if self.bias is not None else None
        if self.activation:
            return fused_leaky_relu(F.linear(x, self.weight * self.scale), bias)
        return F.linear(x, self.weight * self.scale, bias)


class EqualConv2d(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_ch)) if bias else None
        self.scale = 1 / math.sqrt(in_ch * kernel_size ** 2)
        self.stride, self.padding = stride, padding

    def forward(self, x):
        return F.conv2d(x, self.weight * self.scale, self.bias, stride=self.stride, padding=self.padding)


class FusedLeakyReLU(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return fused_leaky_relu(x, self.bias)


class Blur(nn.Module):
    """FIR low-pass after a transposed conv (gain factor^2) or before a strided conv."""

    def __init__(self, kernel, pad, upsample_factor=1):
        super().__init__()
        self.register_buffer("kernel", make_kernel(kernel) * upsample_factor ** 2)
        self.pad = pad

    def forward(self, x):
        return upfirdn2d(x, self.kernel, pad=self.pad)


class Upsample(nn.Module):
    """2x FIR upsampling of the RGB skip path."""

    def __init__(self, kernel, factor=2):
        super().__init__()
        self.register_buffer("kernel", make_kernel(kernel) * factor ** 2)
        p = len(kernel) - factor
        self.pad, self.factor = ((p + 1) // 2 + factor - 1, p // 2), factor

    def forward(self, x):
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)


class ModulatedConv2d(nn.Module):
    """Conv whose input channels are scaled by an affine map of w; output optionally demodulated."""

    def __init__(self, in_ch, out_ch, kernel_size, style_dim, demodulate=True, upsample=False,
                 blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        self.in_ch, self.out_ch, self.kernel_size = in_ch, out_ch, kernel_size
        self.demodulate, self.upsample = demodulate, upsample
        if upsample:  # transposed conv gives 2H+1; the 4-tap blur with pad (1, 1) brings it to 2H
            p = (len(blur_kernel) - 2) - (kernel_size - 1)
            self.blur = Blur(blur_kernel, pad=((p + 1) // 2 + 1, p // 2 + 1), upsample_factor=2)
        self.scale = 1 / math.sqrt(in_ch * kernel_size ** 2)
        self.padding = kernel_size // 2
        self.weight = nn.Parameter(torch.randn(1, out_ch, in_ch, kernel_size, kernel_size))
        self.modulation = EqualLinear(style_dim, in_ch, bias_init=1.0)

    def _weight_sq(self) -> torch.Tensor:
        """sum_k W[o, i, k]^2 (unscaled); cached at inference, where weights do not change."""
        if torch.is_grad_enabled() and self.weight.requires_grad:
            return self.weight[0].square().sum((2, 3))
        key = (self.weight.data_ptr(), self.weight._version, self.weight.device)
        if getattr(self, "_wsq_key", None) != key:
            self._wsq = self.weight[0].detach().square().sum((2, 3))
            self._wsq_key = key
        return self._wsq

    def forward(self, x, w):
        batch = x.shape[0]
        # the equalised-lr scale is folded into the style (cheap, [N, in]) instead of the weight
        style = self.modulation(w) * self.scale  # [N, in]
        weight = self.weight[0]  # [out, in, k, k]
        x = x * style.view(batch, -1, 1, 1)
        if self.upsample:
            x = F.conv_transpose2d(x, weight.transpose(0, 1), stride=2)
            x = self.blur(x)
        else:
            x = F.conv2d(x, weight, padding=self.padding)
        if self.demodulate:  # 1/||W_oi * s_i||: the per-sample weight's output-channel norm
            dcoefs = style.square() @ self._weight_sq().t()  # [N, out]
            x = x * (dcoefs + 1e-8).rsqrt().view(batch, -1, 1, 1)
        return x


class NoiseInjection(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))  # learned per-layer noise strength

    def forward(self, x, noise):
        return x + self.weight * noise


class ConstantInput(nn.Module):
    def __init__(self, channels, size=4):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, batch):
        return self.input.expand(batch, -1, -1, -1)


class StyledConv(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size, style_dim, upsample=False, blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, out_ch, kernel_size, style_dim, upsample=upsample,
                                    blur_kernel=blur_kernel)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(out_ch)

    def forward(self, x, w, noise):
        return self.activate(self.noise(self.conv(x, w), noise))


class ToRGB(nn.Module):
    def __init__(self, in_ch, style_dim, upsample=True, blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        if upsample:
            self.upsample = Upsample(blur_kernel)
        self.conv = ModulatedConv2d(in_ch, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x, w, skip=None):
        out = self.conv(x, w) + self.bias
        return out if skip is None else out + self.upsample(skip)


class Generator(nn.Module):
    """StyleGAN2 generator (config-f skip architecture); implements ``hub.api.LatentGenerator``.

    ``Generator(1024, 512, 8, channel_multiplier=2)`` is config-f. For small models pass
    ``channels={res: width}`` explicitly. ``z_dim == w_dim == style_dim`` as in the paper.
    """

    def __init__(self, size: int, style_dim: int = 512, n_mlp: int = 8, channel_multiplier: int = 2,
                 channels: dict[int, int] | None = None, blur_kernel=(1, 3, 3, 1), lr_mlp: float = 0.01):
        super().__init__()
        self.size = self.resolution = size
        self.style_dim = self.z_dim = self.w_dim = style_dim
        self.n_mlp, self.lr_mlp = n_mlp, lr_mlp
        self.channels = {int(k): int(v) for k, v in (channels or rosinality_channels(size, channel_multiplier)).items()}
        self.style = nn.Sequential(PixelNorm(), *[
            EqualLinear(style_dim, style_dim, lr_mul=lr_mlp, activation=True) for _ in range(n_mlp)])

        self.log_size = int(math.log2(size))
        assert 2 ** self.log_size == size and size >= 8, "size must be a power of two >= 8"
        ch = self.channels
        self.input = ConstantInput(ch[4])
        self.conv1 = StyledConv(ch[4], ch[4], 3, style_dim, blur_kernel=blur_kernel)
        self.to_rgb1 = ToRGB(ch[4], style_dim, upsample=False)
        self.convs, self.to_rgbs, self.noises = nn.ModuleList(), nn.ModuleList(), nn.Module()
        in_ch = ch[4]
        for i in range(3, self.log_size + 1):
            out_ch = ch[2 ** i]
            self.convs.append(StyledConv(in_ch, out_ch, 3, style_dim, upsample=True, blur_kernel=blur_kernel))
            self.convs.append(StyledConv(out_ch, out_ch, 3, style_dim, blur_kernel=blur_kernel))
            self.to_rgbs.append(ToRGB(out_ch, style_dim, blur_kernel=blur_kernel))
            in_ch = out_ch

        self.num_layers = (self.log_size - 2) * 2 + 1
        self.num_ws = self.n_latent = self.num_layers + 1
        self.layer_resolutions = tuple(2 ** ((i + 5) // 2) for i in range(self.num_layers))
        for i, res in enumerate(self.layer_resolutions):  # the constant noise maps used by default
            self.noises.register_buffer(f"noise_{i}", torch.randn(1, 1, res, res))
        self.register_buffer("w_avg", torch.zeros(style_dim))  # rosinality's latent_avg

    # -- config ------------------------------------------------------------------------------
    def config(self) -> dict:
        return dict(size=self.size, style_dim=self.style_dim, n_mlp=self.n_mlp, lr_mlp=self.lr_mlp,
                    channels={str(k): v for k, v in self.channels.items()})

    # -- Z -> W ------------------------------------------------------------------------------
    def mapping(self, z: torch.Tensor, truncation_psi: float = 1.0) -> torch.Tensor:
        w = self.style(z)
        if truncation_psi != 1:
            w = self.w_avg.lerp(w, truncation_psi)
        return w

    def truncate(self, ws: torch.Tensor, psi: float) -> torch.Tensor:
        return ws if psi == 1 else self.w_avg.lerp(ws, psi)

    @torch.no_grad()
    def update_w_avg(self, w: torch.Tensor, beta: float = 0.995) -> None:
        """Track the mean of W during training (StyleGAN2-ADA's w_avg_beta)."""
        self.w_avg.copy_(w.detach().mean(0).lerp(self.w_avg, beta))

    @torch.no_grad()
    def mean_latent(self, n: int = 4096, seed: int = 0) -> torch.Tensor:
        z = torch.randn(n, self.z_dim, generator=torch.Generator().manual_seed(seed)).to(self.w_avg.device)
        return self.style(z).mean(0)

    def broadcast(self, w: torch.Tensor) -> torch.Tensor:
        """W [N, w_dim] -> W+ [N, num_ws, w_dim]; W+ passes through."""
        return w.unsqueeze(1).expand(-1, self.num_ws, -1) if w.ndim == 2 else w

    def mix(self, ws_a: torch.Tensor, ws_b: torch.Tensor, layers: Sequence[int] | range) -> torch.Tensor:
        """Style mixing: W+ of ``a`` with the latents at indices ``layers`` taken from ``b``."""
        ws = self.broadcast(ws_a).clone()
        idx = torch.as_tensor(list(layers), dtype=torch.long, device=ws.device)
        ws[:, idx] = self.broadcast(ws_b)[:, idx]
        return ws

    # -- noise -------------------------------------------------------------------------------
    def make_noise(self, batch: int = 1, generator: torch.Generator | None = None) -> list[torch.Tensor]:
        dev = self.w_avg.device
        return [torch.randn(batch, 1, r, r, generator=generator).to(dev) for r in self.layer_resolutions]

    def stored_noise(self) -> list[torch.Tensor]:
        return [getattr(self.noises, f"noise_{i}") for i in range(self.num_layers)]

    # -- W+ -> image -------------------------------------------------------------------------
    def synthesis(self, ws: torch.Tensor, noise: Sequence[torch.Tensor] | None = None,
                  activation_edit: Callable[[int, torch.Tensor], torch.Tensor] | None = None,
                  return_activations: bool = False, randomize_noise: bool = False):
        """W+ [N, num_ws, w_dim] (or W [N, w_dim]) -> image [N, 3, H, W] in about [-1, 1].

        ``noise``: one map per layer (None: the stored constant maps; ``randomize_noise``
        draws fresh ones, as in training). ``activation_edit(i, act)`` returns the tensor that
        replaces layer i's output (after noise and activation) before it feeds on.
        """
        ws = self.broadcast(ws)
        if ws.shape[1] != self.num_ws:
            raise ValueError(f"expected {self.num_ws} latents, got {ws.shape[1]}")
        batch = ws.shape[0]
        if noise is None:
            noise = self.make_noise(batch) if randomize_noise else self.stored_noise()
        acts: list[torch.Tensor] = []

        def emit(i, x):
            if activation_edit is not None:
                x = activation_edit(i, x)
            if return_activations:
                acts.append(x)
            return x

        x = emit(0, self.conv1(self.input(batch), ws[:, 0], noise[0]))
        skip = self.to_rgb1(x, ws[:, 1])
        for k, (up_conv, conv, to_rgb) in enumerate(zip(self.convs[::2], self.convs[1::2], self.to_rgbs)):
            i = 2 * k + 1
            x = emit(i, up_conv(x, ws[:, i], noise[i]))
            x = emit(i + 1, conv(x, ws[:, i + 1], noise[i + 1]))
            skip = to_rgb(x, ws[:, i + 2], skip)
        return (skip, acts) if return_activations else skip

    def forward(self, z: torch.Tensor, truncation_psi: float = 1.0, noise=None, randomize_noise: bool = False):
        """Z [N, z_dim] -> image (convenience: mapping + synthesis)."""
        return self.synthesis(self.mapping(z, truncation_psi), noise=noise, randomize_noise=randomize_noise)


# ------------------------------------------------------------------------------------------
# Discriminator (residual architecture, minibatch standard deviation)
# ------------------------------------------------------------------------------------------
class ConvLayer(nn.Sequential):
    """[blur] -> equalised conv (stride 2 when downsampling) -> [bias + leaky ReLU]."""

    def __init__(self, in_ch, out_ch, kernel_size, downsample=False, blur_kernel=(1, 3, 3, 1),
                 bias=True, activate=True):
        layers: list[nn.Module] = []
        if downsample:
            p = (len(blur_kernel) - 2) + (kernel_size - 1)
            layers.append(Blur(blur_kernel, pad=((p + 1) // 2, p // 2)))
            stride, padding = 2, 0
        else:
            stride, padding = 1, kernel_size // 2
        layers.append(EqualConv2d(in_ch, out_ch, kernel_size, stride, padding, bias=bias and not activate))
        if activate:
            layers.append(FusedLeakyReLU(out_ch))
        super().__init__(*layers)


class ResBlock(nn.Module):
    def __init__(self, in_ch, out_ch, blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        self.conv1 = ConvLayer(in_ch, in_ch, 3)
        self.conv2 = ConvLayer(in_ch, out_ch, 3, downsample=True, blur_kernel=blur_kernel)
        self.skip = ConvLayer(in_ch, out_ch, 1, downsample=True, blur_kernel=blur_kernel, activate=False, bias=False)

    def forward(self, x):
        return (self.conv2(self.conv1(x)) + self.skip(x)) / SQRT2


class Discriminator(nn.Module):
    """StyleGAN2 ResNet discriminator; returns one logit per image (higher = more real)."""

    def __init__(self, size: int, channel_multiplier: int = 2, channels: dict[int, int] | None = None,
                 blur_kernel=(1, 3, 3, 1), stddev_group: int = 4):
        super().__init__()
        self.size = size
        ch = self.channels = {int(k): int(v) for k, v in (channels or rosinality_channels(size, channel_multiplier)).items()}
        log_size = int(math.log2(size))
        convs: list[nn.Module] = [ConvLayer(3, ch[size], 1)]
        in_ch = ch[size]
        for i in range(log_size, 2, -1):
            convs.append(ResBlock(in_ch, ch[2 ** (i - 1)], blur_kernel))
            in_ch = ch[2 ** (i - 1)]
        self.convs = nn.Sequential(*convs)
        self.stddev_group, self.stddev_feat = stddev_group, 1
        self.final_conv = ConvLayer(in_ch + 1, ch[4], 3)
        self.final_linear = nn.Sequential(EqualLinear(ch[4] * 4 * 4, ch[4], activation=True), EqualLinear(ch[4], 1))

    def config(self) -> dict:
        return dict(size=self.size, channels={str(k): v for k, v in self.channels.items()},
                    stddev_group=self.stddev_group)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.convs(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.convs(x)
        n, c, h, w = out.shape
        group = min(n, self.stddev_group)
        while n % group:  # groups must tile the batch
            group -= 1
        std = out.view(group, -1, self.stddev_feat, c // self.stddev_feat, h, w)
        std = (std.var(0, unbiased=False) + 1e-8).sqrt().mean([2, 3, 4], keepdim=True).squeeze(2)
        out = torch.cat([out, std.repeat(group, 1, h, w)], 1)
        out = self.final_conv(out)
        return self.final_linear(out.flatten(1))


# The embedded 64 px model, sized for this 2-core CPU (benchmarks/stylegan2_speed.py): G forward
# well under 20 ms/image; 4 mapping layers (the paper has 8, StyleGAN2-ADA uses 2 for small sets);
# D at half G's width from 8 px up, which roughly halves the cost of a training step.
EMOJI64_G = dict(size=64, style_dim=256, n_mlp=4, channels={4: 256, 8: 256, 16: 128, 32: 64, 64: 32})
EMOJI64_D = dict(size=64, channels={4: 256, 8: 128, 16: 64, 32: 32, 64: 16})


def build_generator(config: dict) -> Generator:
    cfg = dict(config)
    if "channels" in cfg and cfg["channels"] is not None:
        cfg["channels"] = {int(k): int(v) for k, v in cfg["channels"].items()}
    return Generator(**cfg)


def build_discriminator(config: dict) -> Discriminator:
    cfg = dict(config)
    if "channels" in cfg and cfg["channels"] is not None:
        cfg["channels"] = {int(k): int(v) for k, v in cfg["channels"].items()}
    return Discriminator(**cfg)
