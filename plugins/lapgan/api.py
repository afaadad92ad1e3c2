"""LAPGAN as plain functions over the ``LAPGAN`` module, tensors and PIL images (no Gradio).

    model = load_lapgan("plugins/lapgan/weights/lapgan-emoji64.safetensors")   # or hub.get_model("lapgan-emoji64")
    result = sample(model, n=8, seed=0)              # result.images: [8, 3, 64, 64] in [-1, 1]
    result.levels[-1].residual                       # h_0, the band-pass image the 64 px level added
    more = refine(model, result.coarse[:1].expand(6, -1, -1, -1), levels=3, seed=1)   # same I_3, new z
    mine = refine(model, to_coarse(pil_image), levels=3, seed=0)                      # start from your own image
    pyr = pyramid(pil_image)                         # the Laplacian pyramid of a real image

Every call is seeded: the same (model, arguments, seed) gives the same pixels. The coarse image is
never changed by the cascade (``plugins.lapgan.models`` projects every residual onto the band-pass
space, and ``fit_range`` keeps each level in [-1, 1] with its block means), so
``downsample^3(refine(coarse).images) == coarse`` up to float rounding, for any coarse image in [-1, 1].
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch

from plugins.lapgan.models import (KIND_CLASSES, LAPGAN, NOISE_PLANES, SKIN_TONE_CLASSES, condition_vector,
                                   downsample, fit_range, laplacian_pyramid, gaussian_pyramid, upsample)

__all__ = ["DEFAULT_DETAIL_STRENGTH", "LevelResult", "CascadeResult", "Pyramid", "load_lapgan", "build", "sample",
           "refine", "variations", "pyramid", "to_coarse", "bicubic_baseline", "pyramid_figure", "SKIN_TONES", "KINDS"]

WEIGHT_ID = "lapgan-emoji64"
#: Names of the conditioning classes (plugins.emoji.dataset's, repeated so this module needs no data).
SKIN_TONES = ["none", "light", "medium-light", "medium", "medium-dark", "dark"]
KINDS = ["face", "person", "multi-person"]


@dataclass
class LevelResult:
    """One step of the cascade at ``resolution``: ``upsampled`` = u(Ĩ_{k+1}), ``residual`` = h_k,
    ``image`` = their sum Ĩ_k, kept in [-1, 1] by ``fit_range`` (``residual`` is what was added after it)."""

    resolution: int
    upsampled: torch.Tensor
    residual: torch.Tensor
    image: torch.Tensor


@dataclass
class CascadeResult:
    """``coarse``: Ĩ_3 (8x8); ``levels``: one ``LevelResult`` per refinement, coarsest first;
    ``images``: the finest image, clamped to [-1, 1]."""

    coarse: torch.Tensor
    levels: list[LevelResult] = field(default_factory=list)

    @property
    def images(self) -> torch.Tensor:
        return (self.levels[-1].image if self.levels else self.coarse).clamp(-1, 1)


@dataclass
class Pyramid:
    """The Laplacian pyramid of real images: ``gaussian`` [I_0 (64), ..., I_3 (8)], ``bands``
    [h_0, h_1, h_2] (finest first) with ``I_k = u(I_{k+1}) + h_k``, and ``coarse`` = I_3."""

    gaussian: list[torch.Tensor]
    bands: list[torch.Tensor]

    @property
    def coarse(self) -> torch.Tensor:
        return self.gaussian[-1]


# ---- loading ---------------------------------------------------------------------------------

def load_lapgan(path: str | Path) -> LAPGAN:
    """The cascade from a safetensors file whose metadata holds ``config`` (strict loading)."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as fh:
        config = json.loads((fh.metadata() or {})["config"])
    model = LAPGAN.from_config(config)
    model.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()}, strict=True)
    return model.eval().requires_grad_(False)


def build(paths: Mapping[str, Path]) -> LAPGAN:
    """ModelSpec builder: ``paths[WEIGHT_ID]`` is the verified file."""
    return load_lapgan(paths[WEIGHT_ID])


# ---- conditioning and seeds ------------------------------------------------------------------

def _class_index(value: Any, names: Sequence[str], what: str) -> int:
    if value is None or value == "any":
        return -1
    if isinstance(value, str):
        if value not in names:
            raise ValueError(f"{what} must be one of {', '.join(names)} or 'any', not {value!r}")
        return names.index(value)
    index = int(value)
    if not -1 <= index < len(names):
        raise ValueError(f"{what} index must be in -1..{len(names) - 1}, not {index}")
    return index


def _condition(n: int, skin_tone: Any, kind: Any, device) -> torch.Tensor:
    st = _class_index(skin_tone, SKIN_TONES[:SKIN_TONE_CLASSES], "skin tone")
    kd = _class_index(kind, KINDS[:KIND_CLASSES], "kind")
    return condition_vector(torch.tensor([st]), torch.tensor([kd]), n).to(device)


def _generator(seed: int, level: int) -> torch.Generator:
    # one stream per level: fixing the seed of one level and changing another's stays possible
    return torch.Generator().manual_seed(int(seed) * 1009 + level)


def _device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


# ---- the cascade -----------------------------------------------------------------------------

#: How much of each level's generated residual the API and tab add by default. The paper's cascade adds it
#: in full (``detail_strength=1``, the reference); 0.25 was chosen on a validation subset of the TRAINING
#: emoji (``benchmarks/lapgan_quality.py --validate``; see the model card) and beats the no-refinement
#: baseline on the held-out emoji where s = 1 does not.
DEFAULT_DETAIL_STRENGTH = 0.25


def _strength(detail_strength: Any) -> float:
    s = float(detail_strength)
    if not 0.0 <= s <= 2.0:  # also refuses NaN
        raise ValueError(f"detail_strength must be in 0..2, not {detail_strength}")
    return s


@torch.no_grad()
def refine(model: LAPGAN, coarse_image: torch.Tensor, levels: int = 3, seed: int = 0,
           skin_tone: Any = None, kind: Any = None,
           detail_strength: float = DEFAULT_DETAIL_STRENGTH) -> CascadeResult:
    """Run ``levels`` refinement levels (1..3) from ``coarse_image`` ([N, 3, 8, 8] in [-1, 1]):
    ``Ĩ_k = u(Ĩ_{k+1}) + s * G_k(z_k, u(Ĩ_{k+1}), c)``, a fresh z for every image of the batch.

    ``detail_strength`` s (0..2) scales every level's generated band-pass residual before it is added:
    s = 1 is the paper's LAPGAN; s = 0 adds nothing (the pyramid's own upsampling u of the coarse image);
    the same seed draws the same z whatever s is."""
    strength = _strength(detail_strength)
    refiners = sorted(int(r) for r in model.refiners)
    if coarse_image.ndim != 4 or coarse_image.shape[1] != 3:
        raise ValueError(f"coarse_image must be [N, 3, H, W], not {tuple(coarse_image.shape)}")
    if coarse_image.shape[-1] != model.coarse.resolution or coarse_image.shape[-2] != model.coarse.resolution:
        raise ValueError(f"coarse_image must be {model.coarse.resolution}x{model.coarse.resolution}, "
                         f"not {tuple(coarse_image.shape[-2:])}; use to_coarse() for other sizes")
    if not 0 <= int(levels) <= len(refiners):
        raise ValueError(f"levels must be in 0..{len(refiners)}, not {levels}")
    device = _device(model)
    x = coarse_image.to(device, torch.float32)
    n = x.shape[0]
    cond = _condition(n, skin_tone, kind, device)
    result = CascadeResult(coarse=x)
    for level, res in enumerate(refiners[:int(levels)], start=1):
        low = upsample(x)
        z = torch.randn(n, NOISE_PLANES, res, res, generator=_generator(seed, level)).to(device)
        residual = model.refiners[str(res)](z, low, cond)
        if strength != 1.0:
            residual = residual * strength
        finer = fit_range(low + residual, x)
        result.levels.append(LevelResult(res, low, finer - low, finer))
        x = finer
    return result


@torch.no_grad()
def sample(model: LAPGAN, n: int = 8, seed: int = 0, skin_tone: Any = None, kind: Any = None,
           levels: int = 3, detail_strength: float = DEFAULT_DETAIL_STRENGTH) -> CascadeResult:
    """``n`` images: Ĩ_3 = G_3(z_3, c), then ``levels`` refinements. ``skin_tone`` / ``kind``: a class
    name, an index, or None / "any" (unconditional); ``detail_strength``: see ``refine``."""
    if not 1 <= int(n) <= 1024:
        raise ValueError(f"n must be in 1..1024, not {n}")
    device = _device(model)
    cond = _condition(int(n), skin_tone, kind, device)
    z = torch.randn(int(n), model.coarse.z_dim, generator=_generator(seed, 0)).to(device)
    coarse = model.coarse(z, cond)
    return refine(model, coarse, levels, seed, skin_tone, kind, detail_strength)


@torch.no_grad()
def variations(model: LAPGAN, n: int = 6, seed: int = 0, coarse_seed: int = 0, skin_tone: Any = None,
               kind: Any = None, detail_strength: float = DEFAULT_DETAIL_STRENGTH) -> CascadeResult:
    """The paper's figure: one Ĩ_3 (drawn with ``coarse_seed``), ``n`` draws of z at the finer levels."""
    coarse = sample(model, 1, coarse_seed, skin_tone, kind, levels=0).coarse
    return refine(model, coarse.expand(int(n), -1, -1, -1).contiguous(), 3, seed, skin_tone, kind, detail_strength)


# ---- images in -------------------------------------------------------------------------------

def _as_tensor(image: Any, size: int = 64) -> torch.Tensor:
    """A PIL image (any size; squared by a centre crop) or a [N, 3, H, W] tensor -> [N, 3, size, size]."""
    import torch.nn.functional as F

    if isinstance(image, torch.Tensor):
        x = image if image.ndim == 4 else image[None]
    else:
        from hub.images import to_tensor

        side = min(image.size)
        left, top = (image.size[0] - side) // 2, (image.size[1] - side) // 2
        x = to_tensor(image.crop((left, top, left + side, top + side)))
    if x.shape[-2:] != (size, size):
        x = F.interpolate(x.float(), size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return x.float()


def to_coarse(image: Any, resolution: int = 8) -> torch.Tensor:
    """An image (PIL or tensor) -> its [N, 3, 8, 8] coarse image: resized to 64 px, then box-averaged
    by the pyramid's own d three times (the same I_3 a real 64 px emoji has). A tensor that is already
    8x8 is returned as it is."""
    if isinstance(image, torch.Tensor) and image.shape[-2:] == (resolution, resolution):
        return (image if image.ndim == 4 else image[None]).float()
    x = _as_tensor(image, 64)
    while x.shape[-1] > resolution:
        x = downsample(x)
    return x


def pyramid(image: Any, levels: int = 3) -> Pyramid:
    """The Laplacian pyramid of an image (PIL or tensor, resized to 64 px)."""
    x = _as_tensor(image, 64)
    bands, _ = laplacian_pyramid(x, levels)
    return Pyramid(gaussian=gaussian_pyramid(x, levels), bands=bands)


def bicubic_baseline(coarse_image: torch.Tensor, size: int = 64) -> torch.Tensor:
    """The no-refinement baseline: the coarse image upsampled bicubically, clamped to [-1, 1]."""
    import torch.nn.functional as F

    return F.interpolate(coarse_image, size=(size, size), mode="bicubic", align_corners=False).clamp(-1, 1)


# ---- pictures --------------------------------------------------------------------------------

def pyramid_figure(result: CascadeResult, index: int = 0, cell: int = 128, residual_gain: float = 2.0):
    """PIL figure of one image of ``result``: a row per level (16, 32, 64 px) of u(Ĩ_{k+1}) | h_k | Ĩ_k,
    each enlarged (nearest) to ``cell`` px; the residual is shown as grey + ``residual_gain`` x h_k."""
    from PIL import Image

    from hub.images import to_pil

    rows = [(lv.upsampled, lv.residual * residual_gain, lv.image) for lv in result.levels]
    fig = Image.new("RGB", (3 * cell + 8, max(1, len(rows)) * (cell + 4)), "white")
    for r, row in enumerate(rows):
        for c, t in enumerate(row):
            tile = to_pil(t[index:index + 1]).resize((cell, cell), Image.Resampling.NEAREST)
            fig.paste(tile, (c * (cell + 4), r * (cell + 4)))
    return fig
