"""AdaIN style transfer (Huang & Belongie, ICCV 2017): encoder, mirrored decoder and the Python API.

Network: VGG-19 up to relu4_1 (frozen at run time) -> AdaIN(content, style) -> decoder mirroring the encoder
(nearest-neighbour upsampling instead of pooling, reflection padding, no normalisation layers),
trained with content loss ||f(g(t)) - t|| at the AdaIN target t and style loss on mu/sigma of
relu1_1..relu4_1 with lambda = 10 (the paper's values; see train.py).

Two encoders exist:
* ``embedded``: a ``hub.nn.vgg.VGGFeatures("vgg19")`` to relu4_1 trained here together with the
  embedded decoder (``adain-embedded-encoder``), starting from the seeded random VGG-19 that ships
  in the repo (which still measures style while training, as the paper's fixed VGG does).
* ``public``: the authors' ``vgg_normalised`` (a 1x1 colour conv, then VGG-19 with reflection
  padding, input in [0, 1]) with their decoder, converted from the Hub by convert.py
  (``ganhub weights convert adain-public-vgg`` and ``... adain-public-decoder``).

API: ``adain(content, styles, alpha=1.0, style_weights=None, preserve_color=None, masks=None)``
-> PIL image; ``AdaINStylizer`` keeps a style-encoding cache so a second content with the same
style pays only content encoder + decoder. It runs under ``torch.inference_mode`` with the model in
channels_last on CPU (its outputs are inference tensors: clone them to use them in autograd).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from hub.nn.adain import adain as adain_op
from hub.nn.adain import masked_adain, mean_std, resize_mask
from hub.nn.vgg import VGGFeatures

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")

# Decoder = encoder mirrored: (in, out) of each 3x3 conv, "up" = nearest x2 (the paper's table).
DECODER_LAYOUT = (
    (512, 256), "up",
    (256, 256), (256, 256), (256, 256), (256, 128), "up",
    (128, 128), (128, 64), "up",
    (64, 64), (64, 3),
)


class Decoder(nn.Module):
    """relu4_1 features -> image in [-1, 1] (unclamped while training). ``width`` scales every
    layer's channels (1.0 = the paper; tests use a tiny one)."""

    def __init__(self, width: float = 1.0):
        super().__init__()
        layers: list[nn.Module] = []
        n_convs = sum(1 for l in DECODER_LAYOUT if l != "up")
        k = 0
        for item in DECODER_LAYOUT:
            if item == "up":
                layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
                continue
            cin, cout = item
            first, last = k == 0, k == n_convs - 1
            cin = cin if first else max(8, int(cin * width))
            cout = cout if last else max(8, int(cout * width))
            layers += [nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3)]
            if not last:
                layers.append(nn.ReLU())
            k += 1
        self.net = nn.Sequential(*layers)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.net(t)


class PublicVGGEncoder(nn.Module):
    """The authors' ``vgg_normalised`` up to relu4_1, keys as in their PyTorch port (``net.N``).

    Input: our [-1, 1] RGB; the first 1x1 conv of the original expects [0, 1] RGB and does the
    BGR/mean handling itself. Taps relu1_1..relu4_1 like ``VGGFeatures``.
    """

    # (index in the original Sequential, kind, cin, cout); reflection pads precede 3x3 convs.
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 3, 1),
            nn.ReflectionPad2d(1), nn.Conv2d(3, 64, 3), nn.ReLU(),  # relu1_1 (index 3)
            nn.ReflectionPad2d(1), nn.Conv2d(64, 64, 3), nn.ReLU(),
            nn.MaxPool2d(2, 2, ceil_mode=True),
            nn.ReflectionPad2d(1), nn.Conv2d(64, 128, 3), nn.ReLU(),  # relu2_1 (10)
            nn.ReflectionPad2d(1), nn.Conv2d(128, 128, 3), nn.ReLU(),
            nn.MaxPool2d(2, 2, ceil_mode=True),
            nn.ReflectionPad2d(1), nn.Conv2d(128, 256, 3), nn.ReLU(),  # relu3_1 (17)
            nn.ReflectionPad2d(1), nn.Conv2d(256, 256, 3), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(256, 256, 3), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(256, 256, 3), nn.ReLU(),
            nn.MaxPool2d(2, 2, ceil_mode=True),
            nn.ReflectionPad2d(1), nn.Conv2d(256, 512, 3), nn.ReLU(),  # relu4_1 (30)
        )
        self.taps = {3: "relu1_1", 10: "relu2_1", 17: "relu3_1", 30: "relu4_1"}
        self.layers = STYLE_LAYERS

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h, out = (x + 1) * 0.5, {}
        for i, module in enumerate(self.net):
            h = module(h)
            if i in self.taps:
                out[self.taps[i]] = h
        return out


class PublicDecoder(Decoder):
    """The authors' decoder (same layout as ``Decoder``), trained to output [0, 1]."""

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.net(t) * 2 - 1


class AdaINModel(nn.Module):
    """Encoder (frozen) + decoder. ``forward(content, style, alpha)`` for a batch of pairs."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, name: str = "adain"):
        super().__init__()
        self.encoder, self.decoder, self.name = encoder, decoder, name
        self.encoder.requires_grad_(False)

    def encode(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.encoder(x)

    def forward(self, content: torch.Tensor, style: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
        c = self.encode(content)["relu4_1"]
        t = adain_op(c, self.encode(style)["relu4_1"])
        t = alpha * t + (1 - alpha) * c
        return self.decoder(t)


def embedded_encoder(state: Mapping[str, torch.Tensor] | None = None) -> VGGFeatures:
    """VGG-19 to relu4_1, never ImageNet weights: the embedded seeded random network, or with
    ``state`` the encoder trained from it (``adain-embedded-encoder``, see train.py --train-encoder)."""
    return VGGFeatures("vgg19", STYLE_LAYERS, weights=None if state is None else {k: v.float() for k, v in state.items()})


def build_embedded(paths: Mapping[str, "object"] | None = None, decoder_state=None) -> AdaINModel:
    """ModelSpec builder for ``adain-embedded``: paths["adain-embedded-decoder"] -> safetensors, and
    paths["adain-embedded-encoder"], when listed, the trained encoder that decoder belongs to."""
    from safetensors.torch import load_file

    encoder_path = (paths or {}).get("adain-embedded-encoder")
    encoder = embedded_encoder(load_file(str(encoder_path)) if encoder_path else None)
    decoder = Decoder()
    if decoder_state is None and paths:
        decoder_state = load_file(str(paths["adain-embedded-decoder"]))
    if decoder_state is not None:
        decoder.load_state_dict({k: v.float() for k, v in decoder_state.items()})
    return AdaINModel(encoder, decoder, "adain-embedded").eval()


def embedded_from_files(decoder=None, encoder=None) -> AdaINModel:
    """``adain-embedded`` straight from files, bypassing the weight store (benchmarks, training trials):
    by default the plugin's embedded pair; a trial ``decoder`` given alone runs on the random VGG-19."""
    from pathlib import Path

    weights = Path(__file__).resolve().with_name("weights")  # this plugin's embedded weights
    paths = {"adain-embedded-decoder": decoder or weights / "adain-embedded-decoder.safetensors"}
    if encoder or decoder is None:
        paths["adain-embedded-encoder"] = encoder or weights / "adain-embedded-encoder.safetensors"
    return build_embedded(paths)


def build_public(paths: Mapping[str, "object"]) -> AdaINModel:
    """ModelSpec builder for ``adain-public``: both files converted by ``ganhub weights convert``
    (plugins/style_transfer/convert.py), loaded strictly."""
    from safetensors.torch import load_file

    encoder, decoder = PublicVGGEncoder(), PublicDecoder()
    encoder.load_state_dict({k: v.float() for k, v in load_file(str(paths["adain-public-vgg"])).items()})
    decoder.load_state_dict({k: v.float() for k, v in load_file(str(paths["adain-public-decoder"])).items()})
    return AdaINModel(encoder, decoder, "adain-public").eval()


# ----------------------------------------------------------------------------------------------
# Colour preservation


def _rgb_to_yuv(x: torch.Tensor) -> torch.Tensor:
    m = torch.tensor([[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]],
                     dtype=x.dtype, device=x.device)
    return torch.einsum("ij,njhw->nihw", m, x)


def _yuv_to_rgb(x: torch.Tensor) -> torch.Tensor:
    m = torch.tensor([[1.0, 0.0, 1.13983], [1.0, -0.39465, -0.58060], [1.0, 2.03211, 0.0]],
                     dtype=x.dtype, device=x.device)
    return torch.einsum("ij,njhw->nihw", m, x)


def match_color(style: torch.Tensor, content: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Histogram matching by colour statistics (Gatys et al. 2017, 'Controlling perceptual factors'):
    affine map of the style's RGB so its mean and covariance equal the content's (the paper's
    recommended linear transfer, via the symmetric matrix square roots)."""
    def stats(x):
        flat = x.reshape(3, -1)
        mu = flat.mean(1, keepdim=True)
        cov = (flat - mu) @ (flat - mu).T / flat.shape[1] + eps * torch.eye(3, dtype=x.dtype, device=x.device)
        return flat, mu, cov

    def sqrtm(c, inverse=False):
        vals, vecs = torch.linalg.eigh(c)
        vals = vals.clamp_min(eps)
        return vecs @ torch.diag(vals.rsqrt() if inverse else vals.sqrt()) @ vecs.T

    out = []
    for s, c in zip(style, content.expand(len(style), -1, -1, -1)):
        fs, mus, covs = stats(s)
        _, muc, covc = stats(c)
        a = sqrtm(covc) @ sqrtm(covs, inverse=True)
        out.append((a @ (fs - mus) + muc).reshape(s.shape))
    return torch.stack(out).clamp(-1, 1)


def luminance_only(stylized: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Keep the stylised luminance, restore the content's chrominance (YUV; Gatys et al. 2017)."""
    y = _rgb_to_yuv((stylized + 1) * 0.5)
    c = _rgb_to_yuv((content + 1) * 0.5)
    if c.shape[-2:] != y.shape[-2:]:
        c = F.interpolate(c, size=y.shape[-2:], mode="bilinear", align_corners=False)
    return (_yuv_to_rgb(torch.cat([y[:, :1], c[:, 1:]], 1)) * 2 - 1).clamp(-1, 1)


# ----------------------------------------------------------------------------------------------
# The stylizer with a style-encoding cache


def _tensor_key(x: torch.Tensor) -> str:
    return hashlib.sha1(x.detach().cpu().contiguous().numpy().tobytes()).hexdigest()


class AdaINStylizer:
    """Runs an ``AdaINModel`` with the paper's controls and caches style statistics.

    The cache maps (style pixels, colour mode) -> relu4_1 (mean, std) of that style, so a second
    content with a cached style runs only the content encoder and the decoder.
    """

    def __init__(self, model: AdaINModel, cache_size: int = 16):
        self.model = model
        # channels_last lets oneDNN run the 3x3 convs without reordering every activation
        # (measured ~1.4x faster at 512^2 on CPU, benchmarks/style_transfer_speed.py).
        self.memory_format = torch.channels_last if self.device.type == "cpu" else torch.contiguous_format
        model.to(memory_format=self.memory_format)
        self.cache: OrderedDict[str, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
        self.cache_size = cache_size
        self.hits = 0

    @property
    def device(self) -> torch.device:
        return next(self.model.decoder.parameters()).device

    def style_stats(self, style: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        key = _tensor_key(style)
        if key in self.cache:
            self.hits += 1
            self.cache.move_to_end(key)
            return self.cache[key]
        with torch.inference_mode():
            stats = mean_std(self.model.encode(self._prepare(style))["relu4_1"])
        self.cache[key] = stats
        while len(self.cache) > self.cache_size:
            self.cache.popitem(last=False)
        return stats

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(self.device).contiguous(memory_format=self.memory_format)

    @torch.inference_mode()
    def __call__(
        self,
        content: torch.Tensor,
        styles: Sequence[torch.Tensor],
        alpha: float = 1.0,
        style_weights: Sequence[float] | None = None,
        masks: Sequence | None = None,
        preserve_color: str | None = None,
    ) -> torch.Tensor:
        """content [1,3,H,W], styles [[1,3,h,w], ...] in [-1, 1] -> [1,3,H,W] in [-1, 1].

        style_weights: interpolate the AdaIN targets of several styles (the paper's style
        interpolation); masks: one [H,W] mask per style for spatial control (then weights are
        ignored); preserve_color: None, "luminance" or "histogram".
        """
        if not styles:
            raise ValueError("give at least one style image")
        if preserve_color not in (None, "none", "luminance", "histogram"):
            raise ValueError("preserve_color must be None, 'luminance' or 'histogram'")
        content = self._prepare(content)
        if preserve_color == "histogram":
            styles = [match_color(s.to(self.device), content) for s in styles]
        stats = [self.style_stats(s) for s in styles]
        c = self.model.encode(content)["relu4_1"]
        if masks is not None:
            if len(masks) != len(styles):
                raise ValueError("spatial control needs one mask per style")
            t = masked_adain(c, stats, [resize_mask(m, c.shape[-2:], c.device) for m in masks])
        else:
            w = np.ones(len(styles)) if style_weights is None else np.asarray(style_weights, dtype=np.float64)
            if len(w) != len(styles) or (w < 0).any() or w.sum() <= 0:
                raise ValueError("style weights must be non-negative, one per style, not all zero")
            w = w / w.sum()
            t = sum(float(wk) * adain_op(c, st) for wk, st in zip(w, stats))
        t = alpha * t + (1 - alpha) * c
        out = self.model.decoder(t)
        if out.shape[-2:] != content.shape[-2:]:
            out = F.interpolate(out, size=content.shape[-2:], mode="bilinear", align_corners=False)
        out = out.clamp(-1, 1)
        if preserve_color == "luminance":
            out = luminance_only(out, content)
        return out.contiguous()


_stylizers: dict[int, AdaINStylizer] = {}


def get_stylizer(model: AdaINModel) -> AdaINStylizer:
    """One stylizer (and style cache) per loaded model."""
    if id(model) not in _stylizers:
        _stylizers[id(model)] = AdaINStylizer(model)
    return _stylizers[id(model)]


def _pil_to_tensor(img, max_side: int | None, multiple: int = 8) -> torch.Tensor:
    """PIL/path/array -> [1,3,H,W] in [-1,1], longest side <= max_side, sides multiples of 8
    (three poolings then three upsamplings must round-trip). Resized here (bicubic), converted by
    ``hub.images.to_tensor``."""
    from PIL import Image

    from hub.images import to_tensor
    from plugins.style_transfer.io import load_rgb

    img = load_rgb(img)
    w, h = img.size
    scale = min(1.0, max_side / max(w, h)) if max_side else 1.0
    w, h = max(multiple, round(w * scale / multiple) * multiple), max(multiple, round(h * scale / multiple) * multiple)
    if (w, h) != img.size:
        img = img.resize((w, h), Image.BICUBIC)
    return to_tensor(img).contiguous()


def _tensor_to_pil(x: torch.Tensor):
    """[1,3,H,W] in [-1, 1] -> PIL RGB (``hub.images.to_pil``)."""
    from hub.images import to_pil

    return to_pil(x)


def adain(
    content,
    styles,
    alpha: float = 1.0,
    style_weights: Sequence[float] | None = None,
    preserve_color: str | None = None,
    masks: Sequence | None = None,
    *,
    model: AdaINModel,
    max_side: int = 512,
    style_side: int | None = None,
):
    """AdaIN style transfer -> PIL RGB.

    content: image (PIL, path, ndarray); styles: one image or a list; alpha in [0, 1] is the
    content-style trade-off (1 = full style, the paper's default); style_weights mixes several
    styles; preserve_color: None | "luminance" | "histogram"; masks: one [H,W] array per style
    (spatial control, e.g. from ``hub.images.mask_from_editor``); model: a loaded ``AdaINModel``
    (e.g. ``hub.get_model("adain-embedded")``; names are resolved by the caller).
    """
    if not isinstance(styles, (list, tuple)):
        styles = [styles]
    if not 0.0 <= alpha <= 1.0:
        raise ValueError("alpha must lie in [0, 1]")
    if isinstance(model, str) or not (hasattr(model, "encode") and hasattr(model, "decoder")):
        raise TypeError(f"model must be a loaded AdaINModel, not {model!r}: resolve a name with "
                        "hub.get_model(name) (or ctx.get_model in a tab) first")
    c = _pil_to_tensor(content, max_side)
    s = [_pil_to_tensor(x, style_side or max_side) for x in styles]
    out = get_stylizer(model)(c, s, alpha=alpha, style_weights=style_weights, masks=masks,
                              preserve_color=preserve_color)
    return _tensor_to_pil(out)
