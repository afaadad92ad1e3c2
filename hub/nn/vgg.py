"""VGG-16 / VGG-19 feature taps shared by style transfer, perceptual losses, inversion and SRGAN.

``VGGFeatures(arch, layers)`` returns ``{layer_name: activation}`` for an image in ``[-1, 1]``
(ImageNet mean/std normalisation happens inside). Layer names follow torchvision's layer order:
``conv{b}_{i}`` (before the ReLU), ``relu{b}_{i}`` (after it) and ``pool{b}``. Only the layers
up to the deepest requested one are built and run. Module keys match torchvision's
``features.{index}.weight`` so torchvision and timm checkpoints load with a key filter.

``vgg_features(arch, layers)`` is the cached, frozen module everyone should use. It resolves
the best weights available:

1. timm's ImageNet VGG (``timm/vgg19.tv_in1k`` / ``timm/vgg16.tv_in1k``, the original torchvision
   weights) when ``hub.weights`` can resolve them (HF cache or download);
2. otherwise the EMBEDDED feature network: seeded random VGG weights (random conv features carry
   texture statistics: Ustyuzhaninov et al. 2017, He et al. 2016). Each conv is drawn He-uniform
   from ``numpy.random.RandomState(seed + layer_index)`` (a generator numpy freezes forever, so the
   draw is bit-identical on every platform) and then rescaled per output channel, with a bias, so
   that its pre-activation has zero mean and unit std on a fixed set of offline photos
   (data-dependent init, LSUV-style). ``weights/{arch}-random.safetensors`` ships only those gains
   and biases plus the sha256 of every generated tensor, so the full network (conv5_4 included,
   as SRGAN needs) costs a few kB and is verified at load. See weights/vgg19-random.md.

``vgg_source(arch)`` says which of the two a process resolved to.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "ARCHS",
    "layer_names",
    "layer_channels",
    "VGGFeatures",
    "vgg_features",
    "vgg_source",
    "embedded_state_dict",
    "convert_timm_vgg",
    "IMAGENET_WEIGHT_IDS",
    "EMBEDDED_WEIGHT_IDS",
]

#: convs per block (torchvision configs "D" and "E").
ARCHS: dict[str, tuple[int, ...]] = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
WIDTHS = (64, 128, 256, 512, 512)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGENET_WEIGHT_IDS = {"vgg19": "vgg19-tv-in1k", "vgg16": "vgg16-tv-in1k"}
EMBEDDED_WEIGHT_IDS = {"vgg19": "vgg19-random", "vgg16": "vgg16-random"}
REPO_ROOT = Path(__file__).resolve().parents[2]


def _layout(arch: str) -> list[tuple[str, str, int, int]]:
    """[(name, kind, in_channels, out_channels)] in torchvision ``features`` order."""
    if arch not in ARCHS:
        raise ValueError(f"unknown VGG arch {arch!r}; choose one of {sorted(ARCHS)}")
    out, cin = [], 3
    for b, (n, width) in enumerate(zip(ARCHS[arch], WIDTHS), start=1):
        for i in range(1, n + 1):
            out.append((f"conv{b}_{i}", "conv", cin, width))
            out.append((f"relu{b}_{i}", "relu", width, width))
            cin = width
        out.append((f"pool{b}", "pool", cin, cin))
    return out


def layer_names(arch: str = "vgg19") -> list[str]:
    """Every tap name of ``arch`` in forward order (the index is torchvision's features index)."""
    return [name for name, *_ in _layout(arch)]


def layer_channels(arch: str, name: str) -> int:
    """Channels of the tap ``name``."""
    for n, _, _, cout in _layout(arch):
        if n == name:
            return cout
    raise KeyError(f"{arch} has no layer {name!r}")


class VGGFeatures(nn.Module):
    """VGG feature taps. ``forward(x)`` with x in [-1, 1], NCHW RGB -> {layer: tensor}.

    weights: None -> the embedded seeded random network (``embedded_state_dict``); or a state
    dict with torchvision/timm keys (``features.N.weight`` or ``N.weight``; others are ignored).
    pool: "max" (VGG) or "avg" (Gatys et al. 2016 report slightly nicer gradients with avg).
    """

    def __init__(
        self,
        arch: str = "vgg19",
        layers: Sequence[str] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1"),
        weights: Mapping[str, torch.Tensor] | None = None,
        pool: str = "max",
    ):
        super().__init__()
        if isinstance(layers, str):
            layers = (layers,)
        layout = _layout(arch)
        names = [n for n, *_ in layout]
        unknown = [l for l in layers if l not in names]
        if unknown or not layers:
            raise ValueError(f"{arch} has no layer(s) {unknown or '(none requested)'}; valid: {names}")
        if pool not in ("max", "avg"):
            raise ValueError("pool must be 'max' or 'avg'")
        self.arch, self.layers, self.pool = arch, tuple(layers), pool
        depth = max(names.index(l) for l in layers) + 1
        self.names = names[:depth]
        modules: list[nn.Module] = []
        for name, kind, cin, cout in layout[:depth]:
            if kind == "conv":
                modules.append(nn.Conv2d(cin, cout, 3, padding=1))
            elif kind == "relu":
                modules.append(nn.ReLU(inplace=False))
            else:
                modules.append(nn.MaxPool2d(2, 2) if pool == "max" else nn.AvgPool2d(2, 2))
        self.features = nn.Sequential(*modules)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.load_weights(embedded_state_dict(arch, depth) if weights is None else weights)

    def load_weights(self, state: Mapping[str, torch.Tensor]) -> None:
        """Load conv weights from a torchvision/timm-keyed dict; every built conv must be present."""
        own = self.features.state_dict()
        new = {}
        for key in own:
            value = state.get(f"features.{key}", state.get(key))
            if value is None:
                raise KeyError(f"VGG weights lack features.{key}")
            if tuple(value.shape) != tuple(own[key].shape):
                raise ValueError(f"features.{key}: shape {tuple(value.shape)} != {tuple(own[key].shape)}")
            new[key] = value.to(own[key].dtype)
        self.features.load_state_dict(new)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        return ((x + 1) * 0.5 - self.mean) / self.std

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.normalize(x)
        out: dict[str, torch.Tensor] = {}
        wanted = set(self.layers)
        for name, module in zip(self.names, self.features):
            h = module(h)
            if name in wanted:
                out[name] = h
        return out


# ----------------------------------------------------------------------------------------------
# Embedded seeded random network


def _raw_conv_weight(seed: int, index: int, cin: int, cout: int) -> np.ndarray:
    """He-uniform draw from numpy's frozen legacy RandomState: bit-identical everywhere."""
    rs = np.random.RandomState(seed + index)
    bound = np.sqrt(3.0) * np.sqrt(2.0 / (cin * 9))
    w = (rs.random_sample((cout, cin, 3, 3)) * 2.0 - 1.0) * bound
    return w.astype(np.float32)


def _sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f4").tobytes()).hexdigest()


def _embedded_path(arch: str) -> Path:
    """The embedded spec file, sha256-checked by hub.weights when the core is present."""
    try:
        from hub import resolve_weight  # the facade over the hub's store

        return Path(resolve_weight(EMBEDDED_WEIGHT_IDS[arch]))
    except Exception:  # core not there yet, or manifest not merged: use the committed file directly
        from hub.weights.env import BUILTIN_MANIFEST

        return BUILTIN_MANIFEST.parent / "weights" / f"{EMBEDDED_WEIGHT_IDS[arch]}.safetensors"


_embedded_cache: dict[tuple[str, int], dict[str, torch.Tensor]] = {}
_lock = threading.RLock()


def embedded_state_dict(arch: str = "vgg19", depth: int | None = None) -> dict[str, torch.Tensor]:
    """Generate the embedded random VGG (first ``depth`` features entries) from its spec file.

    Raises RuntimeError if a generated tensor's sha256 differs from the one recorded when the
    spec was made (then every decoder trained against it would be invalid).
    """
    from safetensors import safe_open

    layout = _layout(arch)
    depth = len(layout) if depth is None else depth
    key = (arch, depth)
    with _lock:
        if key in _embedded_cache:
            return _embedded_cache[key]
        path = _embedded_path(arch)
        if not path.exists():
            raise FileNotFoundError(f"embedded VGG spec {path} is missing; run `python -m hub.nn.vgg build`")
        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
            seed = int(meta["seed"])
            shas = json.loads(meta["sha256"])
            state = {}
            for index, (name, kind, cin, cout) in enumerate(layout[:depth]):
                if kind != "conv":
                    continue
                raw = _raw_conv_weight(seed, index, cin, cout)
                if _sha(raw) != shas[str(index)]:
                    raise RuntimeError(f"embedded {arch} {name}: regenerated weights differ from the recorded sha256")
                gain = f.get_tensor(f"features.{index}.gain").float()
                state[f"features.{index}.weight"] = torch.from_numpy(raw) * gain.view(-1, 1, 1, 1)
                state[f"features.{index}.bias"] = f.get_tensor(f"features.{index}.bias").float()
        _embedded_cache[key] = state
        return state


def build_embedded_spec(arch: str, photos: Sequence[torch.Tensor], seed: int = 20170, out: Path | None = None) -> Path:
    """Make ``weights/{arch}-random.safetensors``: per-channel gain/bias so every conv's
    pre-activation has mean 0 and std 1 on ``photos`` ([N,3,H,W] in [-1, 1]), layer by layer."""
    from safetensors.torch import save_file

    layout = _layout(arch)
    x = torch.cat(list(photos))
    h = ((x + 1) * 0.5 - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    tensors, shas = {}, {}
    with torch.no_grad():
        for index, (name, kind, cin, cout) in enumerate(layout):
            if kind == "conv":
                raw = _raw_conv_weight(seed, index, cin, cout)
                shas[str(index)] = _sha(raw)
                pre = F.conv2d(h, torch.from_numpy(raw), padding=1)
                mean = pre.mean(dim=(0, 2, 3))
                std = pre.std(dim=(0, 2, 3)).clamp_min(1e-6)
                gain, bias = 1.0 / std, -mean / std
                tensors[f"features.{index}.gain"] = gain.contiguous()
                tensors[f"features.{index}.bias"] = bias.contiguous()
                h = pre * gain.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)
            elif kind == "relu":
                h = F.relu(h)
            else:
                h = F.max_pool2d(h, 2)
    out = out or REPO_ROOT / "weights" / f"{EMBEDDED_WEIGHT_IDS[arch]}.safetensors"
    meta = {
        "seed": str(seed),
        "sha256": json.dumps(shas),
        "generator": "numpy.random.RandomState(seed + features_index).random_sample, He-uniform, float32",
        "normalisation": f"per-channel gain/bias: pre-activation mean 0, std 1 on {len(x)} offline photo crops",
        "arch": arch,
    }
    save_file(tensors, str(out), metadata=meta)
    return out


# ----------------------------------------------------------------------------------------------
# ImageNet weights (timm / torchvision) and resolution


def convert_timm_vgg(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """timm ``vgg*.tv_in1k`` (or torchvision) state dict -> our keys: keep ``features.*`` only.

    timm's VGG keeps torchvision's ``features`` Sequential (same indices) and renames the
    classifier to ``pre_logits.fc1/fc2`` (as convs) and ``head.fc``; we drop those.
    Also accepts the weights without the ``features.`` prefix.
    """
    out = {}
    for k, v in state.items():
        k = k[len("module."):] if k.startswith("module.") else k
        if k.startswith("features."):
            out[k] = v.float()
        elif k.split(".")[0].isdigit():
            out["features." + k] = v.float()
    if not out:
        raise ValueError("no VGG feature weights found (expected keys 'features.N.weight')")
    return out


_sources: dict[str, str] = {}
_modules: dict[tuple, VGGFeatures] = {}


def _imagenet_state(arch: str) -> dict[str, torch.Tensor] | None:
    if os.environ.get("GANHUB_VGG", "").lower() == "embedded":
        _sources[arch] = f"embedded seeded random {arch} features (GANHUB_VGG=embedded)"
        return None
    try:
        from hub import resolve_weight  # the facade over the hub's store
        from hub.weights import load_safetensors

        path = resolve_weight(IMAGENET_WEIGHT_IDS[arch])
        state = convert_timm_vgg(load_safetensors(path))
        _sources[arch] = f"ImageNet {arch} (timm/{arch}.tv_in1k, torchvision weights) from {path}"
        return state
    except Exception as exc:  # offline, not in the HF cache, core missing: fall back, say why
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        _sources[arch] = (
            f"embedded seeded random {arch} features (weights/{EMBEDDED_WEIGHT_IDS[arch]}.safetensors); "
            f"ImageNet weights unavailable: {reason}"
        )
        return None


def vgg_features(
    arch: str = "vgg19",
    layers: Iterable[str] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1"),
    device: torch.device | str | None = None,
    pool: str = "max",
) -> VGGFeatures:
    """A cached, frozen, eval ``VGGFeatures`` with the best weights available (see module doc)."""
    layers = (layers,) if isinstance(layers, str) else tuple(layers)
    device = torch.device(device) if device is not None else torch.device("cpu")
    key = (arch, layers, str(device), pool)
    with _lock:
        if key not in _modules:
            if arch not in _sources or _sources[arch].startswith("ImageNet"):
                state = _imagenet_state(arch)
            else:
                state = None
            module = VGGFeatures(arch, layers, weights=state, pool=pool).to(device).eval()
            module.requires_grad_(False)
            _modules[key] = module
        return _modules[key]


def vgg_source(arch: str = "vgg19") -> str:
    """Which weights ``vgg_features(arch, ...)`` uses in this process (resolves them if needed)."""
    with _lock:
        if arch not in _sources:
            _imagenet_state(arch)
        return _sources[arch]


def is_embedded(arch: str = "vgg19") -> bool:
    return not vgg_source(arch).startswith("ImageNet")


# ----------------------------------------------------------------------------------------------


def _offline_photos(size: int = 128) -> list[torch.Tensor]:
    """Centre and corner crops of the scikit-image / opencv-doc photos, [1,3,size,size] in [-1,1]."""
    from PIL import Image
    import skimage

    skdata = Path(skimage.__file__).parent / "data"
    files = [skdata / f for f in ("astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg", "motorcycle_left.png")]
    cv = Path("/usr/share/doc/opencv-doc/examples/data")
    files += [cv / f for f in ("fruits.jpg", "baboon.jpg", "building.jpg", "home.jpg", "lena.jpg", "messi5.jpg",
                               "orange.jpg", "squirrel_cls.jpg", "butterfly.jpg", "starry_night.jpg")]
    out = []
    for path in files:
        if not path.exists():
            continue
        img = Image.open(path).convert("RGB")
        s = min(img.size)
        img = img.crop(((img.width - s) // 2, (img.height - s) // 2, (img.width + s) // 2, (img.height + s) // 2))
        img = img.resize((size, size), Image.BICUBIC)
        t = torch.from_numpy(np.asarray(img, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
        out.append(t)
    return out


if __name__ == "__main__":  # python -m hub.nn.vgg build
    import sys

    if sys.argv[1:2] == ["build"]:
        photos = _offline_photos()
        for a in ("vgg19", "vgg16"):
            p = build_embedded_spec(a, photos)
            print(p, p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
    else:
        for a in ("vgg19", "vgg16"):
            print(a, vgg_source(a))
