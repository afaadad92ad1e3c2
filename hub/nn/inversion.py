"""The GAN-inversion engine: find the latent code of an image, then edit it.

One engine serves every latent-space technique (W+ editing, attribute vectors, iGAN constrained
edits, Image2StyleGAN++ crossover / inpainting / scribbles / local style transfer). It works on
any model that satisfies ``hub.api.LatentGenerator``.

An inversion is a sequence of *phases*. Each phase optimises exactly ONE variable:

* ``"z"``  -- one z per image, pushed through ``G.mapping`` (optimisation in Z, as in iGAN, Zhu et al. 2016);
* ``"w"``  -- one w per image, broadcast to all ``num_ws`` style inputs;
* ``"w+"`` -- one w per style input (Image2StyleGAN), optionally only the rows in ``layers``
  (Image2StyleGAN++'s binary W+ mask ``w_m``: the masked-W+ building block ``W_l``);
* ``"noise"`` -- the per-layer noise maps (Image2StyleGAN++'s ``Mk_n``), optionally only the
  layers in ``layers`` (``n_m``).

Noise is optimised AFTER the latent, never jointly: Image2StyleGAN++ (Sec. 3.1, Fig. 2-3) shows
that joint optimisation overfits noise and that optimising w after n drops PSNR from 39.5 to
20 dB. ``InversionConfig`` refuses a latent phase after a noise phase.

The loss (Image2StyleGAN++ Eq. 1, plus iGAN's terms, Zhu et al. 2016) is a weighted sum of

* ``mse``        lambda_mse1 * MSE over M_m of (G - x)               pixel MSE to the target x
* ``mse2``       lambda_mse2 * MSE over (1 - M_m) of (G - y)         pixel MSE to the second image y
* ``perceptual`` lambda_p * sum_j MSE over M_p of F_j(G) - F_j(x),  VGG-16 conv1_1 conv1_2 conv2_2 conv3_3
* ``style``      lambda_s * mean (Gram_{M_s}(F(G)) - Gram(F(y)))^2    VGG-16 conv3_3 (y's whole style)
* ``latent``     lambda * mean((v - v0)^2)                      iGAN's ||z - z0||^2 (v is the phase variable)
* ``noise_reg``  lambda * StyleGAN2's multi-scale noise autocorrelation penalty (projector.py)
* ``realism``    -lambda * D(G)                                 iGAN's discriminator term

Every per-pixel term takes a mask in [0, 1] (``masks={"mse": ..., "mse2": ..., "perceptual":
..., "style": ...}``; mask ``mse2`` defaults to ``1 - masks["mse"]``, as in the paper). The
target's VGG features (and Gram matrix) are computed once, before the first step. Masked terms
are means over the masked region (``hub.nn.losses.masked_mse``, masks area-resized to each
feature map): the paper's 1/N ||M . d||^2 divided by the mask's area fraction, which keeps a
lambda meaningful whatever the size of the mask (a stroke, a hole, half a face).

Scaling of the published defaults to our models (the docstrings of the presets repeat this):

* **Loss weights.** Image2StyleGAN++ Eq. 1 writes the MSE as lambda/N * ||.||^2 (N = number of
  scalars), i.e. a per-pixel mean, and the perceptual term as per-layer means. We keep those
  normalisations (images in [-1, 1]), so the paper's *ratios* carry over unchanged. Adam's step is
  invariant to a global rescaling of the loss, so we divide every paper lambda by 1e-5: W_l
  (mse1 = p = 1e-5) -> mse 1, perceptual 1; Mk_n (mse1 = mse2 = 1e-5) -> mse 1, mse2 1; M_st
  (lambda_s = 5e-7) -> style 0.05. (If one reads the paper's MSE as a SUM over 1024x1024x3
  values, the per-pixel-mean equivalent weight is lambda * H * W * C = 1e-5 * 3145728 = 31.5;
  we follow the equation as printed, which also matches Image2StyleGAN's 1:1 MSE:perceptual.)
  Under SGD the global scale matters; there use ``scale=`` on ``LossWeights`` to restore it.
* **Optimiser.** Image2StyleGAN: Adam, lr 0.01, betas (0.9, 0.999), eps 1e-8 (kept). Mk_n:
  Adam lr 5 (kept; noise maps are N(0, I) and enter the image through small learned strengths).
* **Layers.** The paper's layer choices (1-based of 18 W+ rows at 1024 px) map to our ``num_ws``
  proportionally: paper row l -> round((l - 1) * (num_ws - 1) / 17). ``scale_layers`` does it;
  e.g. for num_ws = 10 (64 px): rows 1-9 and 17-18 -> 0-4 and 8-9; rows 4-6 -> 2-3.
* **Steps.** The paper runs 5000 W+ steps and 3000 noise steps at 1024 px on a GPU. A 64 px model
  has 256x fewer pixels and 10 instead of 18 latents, and our CPU budget is ~1 minute per image;
  ``scale_steps`` divides every published step count by ``STEP_DIVISOR`` (5): 5000 -> 1000,
  3000 -> 600, 1000 -> 200, 200 -> 40.

The three ways back to the latent (optimisation, encoder, hybrid; Zhu et al. 2016, iGAN):

1. optimisation from ``w_avg`` or a random start (``init="w_avg" | "random" | "uniform"``);
2. the encoder alone (``init="encoder"`` with no phases);
3. the hybrid, encoder then optimisation (``init="encoder"`` plus phases).

Image2StyleGAN++ building blocks are configurations of this engine (x = ``target``, y = ``second``,
M = a pixel mask; ``masks["mse2"]`` defaults to 1 - ``masks["mse"]``)::

    W_l   phase_wl(steps, layers=scale_layers([(4, 6)], G.num_ws))         masked W+ (rows w_m)
    Mk_n  phase_mkn(steps, layers=None)                                      masked noise (layers n_m)
    M_st  phase_mst(steps) with masks={"style": M}, second=style_image       Gram of y inside M
    crossover   InversionConfig((phase_wl(200, mse2=1.0), phase_mkn(200))),
                target=B, second=A, masks={"mse": M_blur, "perceptual": M_blur}, init_ws=w*_A
    inpainting  phase_wl(scale_steps(200), layers=scale_layers([(1, 9), (17, 18)], n)), phase_mkn(200),
                masks={"mse": 1 - M_blur+, "perceptual": 1 - M_blur+}, init "w_avg" / "uniform" (0.4)
    scribbles   phase_wl(200, layers=scale_layers([(4, 6)], n)), then phase_mkn(200), target = the
                photo with the strokes pasted in, init_ws = the photo's W+
    iGAN        plugins.wplus_editing.api.constrained_edit (U + lambda1 ||v - v0||^2 - lambda2 D)

``inversion_steps(...)`` is a Python generator: it yields ``InversionStep(step, image, losses)``
every ``yield_every`` steps (and after the last), so a tab streams it, shows progress and
cancels by closing it; it *returns* an ``InversionResult``. ``invert(...)`` runs it to the end.
``Inversion`` wraps both: iterate it to stream, then read ``.result``.

A fourth method, Pivotal Tuning Inversion (``hub.nn.pti``), builds on these phases: it inverts to a
pivot with them, then tunes the generator's weights around it. ``invert(G, x, method="pti")`` and
``inversion_run(G, x, method="pti")`` reach it through this module (``METHODS``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, NamedTuple, Sequence

import torch
import torch.nn.functional as F

from hub.nn.adain import resize_mask
from hub.nn.losses import gram_matrix, masked_mse, perceptual_loss, style_loss
from hub.nn.scaling import PAPER_NUM_WS, STEP_DIVISOR, scale_layers, scale_steps  # torch-free, re-exported

__all__ = [
    "StreamingRun",
    "PAPER_NUM_WS",
    "STEP_DIVISOR",
    "PERCEPTUAL_LAYERS",
    "STYLE_LAYER",
    "LossWeights",
    "Phase",
    "InversionConfig",
    "InversionStep",
    "InversionResult",
    "Inversion",
    "inversion_steps",
    "invert",
    "inversion_run",
    "METHODS",
    "scale_layers",
    "scale_steps",
    "phase_w_plus",
    "phase_wl",
    "phase_mkn",
    "phase_mst",
    "reconstruction_config",
    "psnr",
    "noise_regularizer",
    "layer_groups",
    "ws_resolutions",
    "encode",
    "generator_device",
]

PERCEPTUAL_LAYERS = ("conv1_1", "conv1_2", "conv2_2", "conv3_3")  # Image2StyleGAN(++)
STYLE_LAYER = "conv3_3"  # Image2StyleGAN++ L_style
LATENT_VARIABLES = ("z", "w", "w+")
VARIABLES = LATENT_VARIABLES + ("noise",)


# ----------------------------------------------------------------------------------------------
# configuration


@dataclass(frozen=True)
class LossWeights:
    """Weights of the loss terms (see the module docstring for each term and the scaling)."""

    mse: float = 0.0
    mse2: float = 0.0
    perceptual: float = 0.0
    style: float = 0.0
    latent: float = 0.0
    noise_reg: float = 0.0
    realism: float = 0.0

    def active(self) -> dict[str, float]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class Phase:
    """One optimisation phase over one variable (``"z" | "w" | "w+" | "noise"``).

    ``layers``: for ``"w+"`` the W+ rows allowed to move (Image2StyleGAN++ ``w_m``), for
    ``"noise"`` the noise layers allowed to move (``n_m``); None = all. Frozen rows stay
    bit-identical to their initial value. ``normalize_noise`` re-standardises the moving noise
    maps after each step (StyleGAN2 projector); off by default, as in Image2StyleGAN++.
    """

    variable: str
    steps: int
    weights: LossWeights
    lr: float = 0.01
    optimizer: str = "adam"  # "adam" | "sgd"
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    momentum: float = 0.0  # SGD only
    layers: tuple[int, ...] | None = None
    normalize_noise: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        if self.variable not in VARIABLES:
            raise ValueError(f"phase variable must be one of {VARIABLES}, not {self.variable!r}")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', not {self.optimizer!r}")
        if self.steps < 0:
            raise ValueError("steps must be >= 0")
        if self.layers is not None and self.variable in ("z", "w"):
            raise ValueError(f"per-layer masks apply to 'w+' and 'noise' phases, not {self.variable!r}")


@dataclass(frozen=True)
class InversionConfig:
    """Phases in order, how to initialise, how often to yield.

    init: ``"w_avg"`` (the mean face), ``"random"`` (mapping of a random z per image),
    ``"uniform"`` (w_avg + U[-init_range, init_range] per W+ row: Image2StyleGAN++ samples
    U[-1, 1] / U[-0.4, 0.4] in W+; we centre the box on w_avg because our W is not centred at 0),
    ``"encoder"`` (needs ``encoder=``; the encoder method, or the hybrid one with phases).
    An explicit ``init_ws`` / ``init_z`` passed to the engine overrides ``init``.
    """

    phases: tuple[Phase, ...] = ()
    init: str = "w_avg"
    init_range: float = 1.0
    yield_every: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if self.init not in ("w_avg", "random", "uniform", "encoder"):
            raise ValueError(f"init must be w_avg, random, uniform or encoder, not {self.init!r}")
        seen_noise = False
        latent = None
        for p in self.phases:
            if p.variable == "noise":
                seen_noise = True
            else:
                if seen_noise:
                    raise ValueError(
                        "a latent phase after a noise phase is refused: Image2StyleGAN++ optimises "
                        "noise only after W+ (w after n drops PSNR from 39.5 to 20 dB)"
                    )
                if latent is not None and (latent == "z") != (p.variable == "z"):
                    raise ValueError("mixing Z phases with W/W+ phases in one run is not supported")
                latent = p.variable
        if self.yield_every < 1:
            raise ValueError("yield_every must be >= 1")

    @property
    def total_steps(self) -> int:
        return sum(p.steps for p in self.phases)


def phase_w_plus(steps: int = scale_steps(5000), lr: float = 0.01, mse: float = 1.0, perceptual: float = 1.0,
                 layers: Sequence[int] | None = None, **weights: float) -> Phase:
    """Image2StyleGAN's W+ embedding: Adam lr 0.01, MSE + perceptual (paper 1:1), 5000 steps / 5."""
    return Phase("w+", steps, LossWeights(mse=mse, perceptual=perceptual, **weights), lr=lr,
                 layers=None if layers is None else tuple(layers), name="W+")


def phase_wl(steps: int = scale_steps(5000), layers: Sequence[int] | None = None, lr: float = 0.01,
             mse: float = 1.0, mse2: float = 0.0, perceptual: float = 1.0, optimizer: str = "adam",
             **weights: float) -> Phase:
    """Image2StyleGAN++ masked W+ optimisation W_l: lambda_mse1 = lambda_p = 1e-5 -> 1, 1
    (global 1e-5 dropped, Adam is scale-invariant); Adam lr 0.01 (SGD: lr 0.8 in the paper)."""
    if optimizer == "sgd" and lr == 0.01:
        lr = 0.8
    return Phase("w+", steps, LossWeights(mse=mse, mse2=mse2, perceptual=perceptual, **weights), lr=lr,
                 optimizer=optimizer, layers=None if layers is None else tuple(layers), name="W_l")


def phase_mkn(steps: int = scale_steps(3000), layers: Sequence[int] | None = None, lr: float = 5.0,
              mse: float = 1.0, mse2: float = 1.0, **weights: float) -> Phase:
    """Image2StyleGAN++ masked noise optimisation Mk_n: lambda_mse1 = lambda_mse2 = 1e-5 -> 1, 1;
    Adam lr 5; 3000 steps / 5 (reconstruction)."""
    return Phase("noise", steps, LossWeights(mse=mse, mse2=mse2, **weights), lr=lr,
                 layers=None if layers is None else tuple(layers), name="Mk_n")


def phase_mst(steps: int = scale_steps(1000), layers: Sequence[int] | None = None, lr: float = 0.01,
              style: float = 0.05, mse: float = 0.0, mse2: float = 0.0, perceptual: float = 0.0,
              **weights: float) -> Phase:
    """Image2StyleGAN++ masked style transfer M_st on W+: lambda_s = 5e-7 -> 0.05 relative to the
    1e-5 of the other building blocks; 1000 steps / 5. Our seed transcription lists lr 5 next to
    M_st; we read that as the noise rate and keep Adam lr 0.01 for W+."""
    return Phase("w+", steps, LossWeights(style=style, mse=mse, mse2=mse2, perceptual=perceptual, **weights),
                 lr=lr, layers=None if layers is None else tuple(layers), name="M_st")


def reconstruction_config(w_steps: int = scale_steps(5000), noise_steps: int = scale_steps(3000),
                          perceptual: float = 1.0, init: str = "w_avg", yield_every: int = 10,
                          seed: int = 0, space: str = "w+") -> InversionConfig:
    """Image2StyleGAN++ Algorithm 2 (improved reconstruction): W_l on all rows, then Mk_n.

    ``noise_steps=0`` gives plain Image2StyleGAN W+ embedding; ``space`` may be "z" or "w" for the
    lecture's comparisons (noise phase still allowed after them).
    """
    if space == "w+":
        first = phase_wl(w_steps, perceptual=perceptual)
    else:
        first = Phase(space, w_steps, LossWeights(mse=1.0, perceptual=perceptual), lr=0.01, name=space.upper())
    phases = [first] if w_steps else []
    if noise_steps:
        phases.append(phase_mkn(noise_steps))
    return InversionConfig(phases=tuple(phases), init=init, yield_every=yield_every, seed=seed)


# ----------------------------------------------------------------------------------------------
# results


class InversionStep(NamedTuple):
    """What the engine yields: global step (1-based), current image [N,3,H,W] in [-1,1], losses."""

    step: int
    image: torch.Tensor
    losses: dict[str, float]


@dataclass
class InversionResult:
    """The outcome of an inversion (or of a cancelled one, up to where it stopped).

    ws [N, num_ws, w_dim]; noise: the noise maps used (list, one per layer) or None; z when the
    run optimised Z; image [N,3,H,W] in [-1,1]; psnr: mean over the batch (dB, vs the target x);
    psnrs: per image; history: one dict of floats per optimisation step: every loss term, "total",
    "psnr" (of the image that step evaluated, batch mean), "step", "phase", "time" (s since start).
    """

    ws: torch.Tensor
    noise: list[torch.Tensor] | None
    image: torch.Tensor
    psnr: float
    psnrs: list[float]
    history: list[dict[str, float]] = field(default_factory=list)
    z: torch.Tensor | None = None
    completed: bool = True
    notes: list[str] = field(default_factory=list)

    def loss_curve(self, key: str = "total") -> list[tuple[int, float]]:
        return [(int(h["step"]), float(h[key])) for h in self.history if key in h]

    def latent(self, index: int = 0) -> dict[str, Any]:
        """{"ws": [1,num_ws,w_dim], "noise": [...]} of one image (for hub.nn.latents.save_latent)."""
        return {
            "ws": self.ws[index : index + 1].detach().clone(),
            "noise": None if self.noise is None else [n[index : index + 1].detach().clone() for n in self.noise],
        }


# ----------------------------------------------------------------------------------------------
# helpers


def generator_device(G: Any) -> torch.device:
    try:
        return next(G.parameters()).device
    except (AttributeError, StopIteration):
        return torch.device("cpu")


def psnr(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """PSNR in dB per image for images in [-1, 1] (peak 1 after mapping to [0, 1]).

    With ``mask`` ([N or 1, 1, H, W] in [0,1]) the MSE is averaged over the masked pixels only.
    """
    d = ((a.float() - b.float()) * 0.5) ** 2
    if mask is None:
        mse = d.flatten(1).mean(1)
    else:
        m = mask.float().expand(d.shape[0], 1, *d.shape[2:])
        mse = (d * m).flatten(1).sum(1) / (m.flatten(1).sum(1) * d.shape[1]).clamp_min(1e-8)
    return 10 * torch.log10(1.0 / mse.clamp_min(1e-12))


def noise_regularizer(noises: Sequence[torch.Tensor]) -> torch.Tensor:
    """StyleGAN2 projector's noise regulariser: squared autocorrelation at lag 1 (x and y, with
    wrap-around) of every noise map, repeated on 2x average-pooled copies down to 8x8."""
    loss = noises[0].new_zeros(())
    for n in noises:
        while True:
            loss = loss + (n * torch.roll(n, 1, dims=3)).mean() ** 2 + (n * torch.roll(n, 1, dims=2)).mean() ** 2
            if n.shape[2] <= 8:
                break
            n = F.avg_pool2d(n, 2)
    return loss


def ws_resolutions(G: Any) -> list[int]:
    """Spatial resolution each W+ row steers: row k drives synthesis layer
    round(k * (num_layers - 1) / (num_ws - 1)) (StyleGAN2: layer k, the last row the final toRGB)."""
    res = list(G.layer_resolutions)
    n, L = int(G.num_ws), len(res)
    if n == 1:
        return [res[-1]]
    return [res[min(L - 1, int(round(k * (L - 1) / (n - 1))))] for k in range(n)]


def layer_groups(G: Any) -> dict[str, tuple[int, ...]]:
    """StyleGAN's style-mixing groups by the resolution a row steers (Karras et al. 2019, Sec. 3.1):
    coarse 4-8 px, middle 16-32 px, fine 64 px and up. Absolute thresholds, so they mean the same
    at 64 and 1024 px; a group that would be empty borrows the nearest row."""
    res = ws_resolutions(G)
    groups = {
        "coarse": tuple(k for k, r in enumerate(res) if r <= 8),
        "middle": tuple(k for k, r in enumerate(res) if 16 <= r <= 32),
        "fine": tuple(k for k, r in enumerate(res) if r >= 64),
    }
    n = len(res)
    if not groups["fine"]:
        groups["fine"] = (n - 1,)
    if not groups["coarse"]:
        groups["coarse"] = (0,)
    if not groups["middle"]:
        groups["middle"] = (n // 2,)
    return groups


def _as_mask(mask: Any, shape: tuple[int, int], device: torch.device) -> torch.Tensor | None:
    """[H,W] / [1,H,W] / [N,1,H,W] (array or tensor) in [0,1] -> float [N|1,1,H,W] at ``shape``."""
    if mask is None:
        return None
    m = torch.as_tensor(mask, dtype=torch.float32, device=device)
    while m.dim() < 4:
        m = m.unsqueeze(0)
    if m.shape[1] != 1:
        m = m.mean(1, keepdim=True)
    if tuple(m.shape[-2:]) != tuple(shape):
        m = F.interpolate(m, size=shape, mode="bilinear", align_corners=False)
    return m.clamp(0, 1)


def encode(encoder: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, num_ws: int) -> torch.Tensor:
    """Run an image -> latent encoder and return W+ [N, num_ws, w_dim] (a W output is broadcast)."""
    with torch.no_grad():
        out = encoder(x)
    if isinstance(out, (tuple, list)):
        out = out[0]
    if out.dim() == 2:
        out = out[:, None].repeat(1, num_ws, 1)
    if out.dim() != 3 or out.shape[1] != num_ws:
        raise ValueError(f"encoder returned shape {tuple(out.shape)}; expected [N, {num_ws}, w_dim]")
    return out.float()


_feature_cache: dict[str, Any] = {}


def default_features(device: torch.device) -> Callable[[torch.Tensor], Mapping[str, torch.Tensor]]:
    """The shared frozen VGG-16 taps (hub.nn.vgg): ImageNet weights when available, else the
    embedded seeded random VGG (``hub.nn.vgg.vgg_source`` says which)."""
    from hub.nn.vgg import vgg_features

    layers = tuple(dict.fromkeys(PERCEPTUAL_LAYERS + (STYLE_LAYER,)))
    return vgg_features("vgg16", layers=layers, device=device)


# ----------------------------------------------------------------------------------------------
# the engine


@dataclass
class _Targets:
    """What every step compares the synthesised image with, prepared once per run.

    ``x`` is the paper's x, ``y`` its y (the MSE2 and style target; x when no second image is
    given); masks are [N|1, 1, H, W] in [0, 1] (see the module docstring for each term). The
    feature fields are filled by ``_measure_target_features`` when a phase weighs them.
    """

    x: torch.Tensor
    y: torch.Tensor
    mse_mask: torch.Tensor | None
    mse2_mask: torch.Tensor | None
    perceptual_mask: torch.Tensor | None
    style_mask: torch.Tensor | None
    use_mse2: bool
    features: Callable[[torch.Tensor], Mapping[str, torch.Tensor]] | None = None
    feats_x: Mapping[str, torch.Tensor] = field(default_factory=dict)
    gram_y: torch.Tensor | None = None
    perceptual_masks: dict[str, torch.Tensor] | None = None  # perceptual_mask sized to each layer


def _prepare_targets(G: Any, target: torch.Tensor, second: torch.Tensor | None, masks: Mapping[str, Any] | None,
                     device: torch.device) -> _Targets:
    """The target images on the generator's device and their masks at its resolution."""
    x = target.to(device, torch.float32)
    if x.dim() == 3:
        x = x[None]
    if x.shape[-1] != G.resolution or x.shape[-2] != G.resolution:
        raise ValueError(f"target is {tuple(x.shape[-2:])}; this generator makes {G.resolution}x{G.resolution}")
    y = x if second is None else second.to(device, torch.float32).expand_as(x)
    hw = tuple(x.shape[-2:])
    masks = dict(masks or {})
    m_mse = _as_mask(masks.get("mse"), hw, device)
    m_mse2 = _as_mask(masks.get("mse2"), hw, device)
    if m_mse2 is None and m_mse is not None:
        m_mse2 = 1.0 - m_mse
    m_perc = _as_mask(masks.get("perceptual"), hw, device)
    m_style = _as_mask(masks.get("style"), hw, device)
    unknown = set(masks) - {"mse", "mse2", "perceptual", "style"}
    if unknown:
        raise ValueError(f"unknown mask names {sorted(unknown)}")
    # an all-zero mse2 mask contributes nothing: decide once, not at every step
    use_mse2 = (m_mse2 is not None or second is not None) and (m_mse2 is None or float(m_mse2.sum()) > 0)
    return _Targets(x, y, m_mse, m_mse2, m_perc, m_style, use_mse2)


def _initial_latents(G: Any, x: torch.Tensor, config: InversionConfig, gen: torch.Generator, *,
                     init_ws: torch.Tensor | None, init_z: torch.Tensor | None,
                     init_noise: Sequence[torch.Tensor] | None,
                     encoder: Callable[[torch.Tensor], torch.Tensor] | None,
                     ) -> tuple[torch.Tensor, torch.Tensor | None, list[torch.Tensor]]:
    """``(ws [N, num_ws, w_dim], z [N, z_dim] or None, noise maps)`` a run starts from.

    ``gen`` draws the random latent (init "random" / "uniform") and then the noise maps, in that
    order, so a seed gives the same start whichever init is chosen.
    """
    device = x.device
    N, num_ws, w_dim = x.shape[0], int(G.num_ws), int(G.w_dim)
    w_avg = G.w_avg.detach().to(device, torch.float32).reshape(1, 1, w_dim)
    uses_z = any(p.variable == "z" for p in config.phases) or init_z is not None
    z = None
    with torch.no_grad():
        if uses_z:
            if init_z is not None:
                z = init_z.to(device, torch.float32).reshape(N, -1).clone()
            elif config.init == "random":
                z = torch.randn(N, int(G.z_dim), generator=gen).to(device)
            elif config.init == "w_avg":
                z = torch.zeros(N, int(G.z_dim), device=device)  # the mode of p(z)
            else:
                raise ValueError("a Z phase starts from init_z, init='random' or init='w_avg'")
            ws = G.mapping(z).reshape(N, 1, w_dim).repeat(1, num_ws, 1)
        elif init_ws is not None:
            ws = init_ws.to(device, torch.float32)
            ws = ws[:, None].repeat(1, num_ws, 1) if ws.dim() == 2 else ws.clone()
            if ws.shape[0] == 1 and N > 1:
                ws = ws.expand(N, *ws.shape[1:]).clone()
        elif config.init == "encoder":
            if encoder is None:
                raise ValueError("init='encoder' needs an encoder (this model has none registered)")
            ws = encode(encoder, x, num_ws).to(device)
        elif config.init == "random":
            z0 = torch.randn(N, int(G.z_dim), generator=gen).to(device)
            ws = G.mapping(z0).reshape(N, 1, w_dim).repeat(1, num_ws, 1)
        elif config.init == "uniform":
            box = (torch.rand(N, num_ws, w_dim, generator=gen) * 2 - 1) * config.init_range
            ws = w_avg + box.to(device)
        else:
            ws = w_avg.expand(N, num_ws, w_dim).clone()
        if ws.shape != (N, num_ws, w_dim):
            raise ValueError(f"initial W+ has shape {tuple(ws.shape)}; expected {(N, num_ws, w_dim)}")
        if init_noise is not None:
            noise = [n.to(device, torch.float32).expand(N, *n.shape[1:]).clone() for n in init_noise]
        else:
            noise = [n.to(device, torch.float32) for n in G.make_noise(N, generator=gen)]
        if len(noise) != int(G.num_layers):
            raise ValueError(f"{len(noise)} noise maps given; this generator has {G.num_layers} layers")
    return ws, z, noise


def _measure_target_features(targets: _Targets, config: InversionConfig, has_second: bool,
                             features: Callable[[torch.Tensor], Mapping[str, torch.Tensor]] | None) -> None:
    """The target's VGG features (and y's Gram matrix), once per run, if a phase weighs them."""
    if not any(p.weights.perceptual or p.weights.style for p in config.phases):
        return
    device = targets.x.device
    if features is None:
        features = default_features(device)
    targets.features = features
    with torch.no_grad():
        targets.feats_x = feats_x = {k: v.detach() for k, v in features(targets.x).items()}
        if any(p.weights.style for p in config.phases):  # style of the whole of y (M_st)
            fy = features(targets.y)[STYLE_LAYER] if has_second else feats_x[STYLE_LAYER]
            targets.gram_y = gram_matrix(fy).detach()
    missing = [l for l in PERCEPTUAL_LAYERS if l not in feats_x]
    if missing:
        raise ValueError(f"feature extractor lacks layers {missing}")
    # masks resized once to each feature map they weigh (the loss helpers would area-resize them at
    # every step); resize_mask hands an already-sized mask back untouched, so the values are the same
    if targets.perceptual_mask is not None and feats_x:
        targets.perceptual_masks = {l: resize_mask(targets.perceptual_mask, feats_x[l].shape[-2:], device)
                                    for l in PERCEPTUAL_LAYERS}
    if targets.style_mask is not None and STYLE_LAYER in feats_x:
        targets.style_mask = resize_mask(targets.style_mask, feats_x[STYLE_LAYER].shape[-2:], device)


def _phase_variable(G: Any, phase: Phase, ws0: torch.Tensor, z0: torch.Tensor | None,
                    noise_fixed: list[torch.Tensor], anchor: torch.Tensor | None):
    """What a phase optimises: ``(var, params, anchor_t, current)``.

    ``var`` is the optimised tensor (a list of noise maps in a noise phase), ``params`` what the
    optimiser steps, ``anchor_t`` the latent L2 term's anchor (None in a noise phase), and
    ``current()`` maps ``var`` with the frozen rest to ``(ws, noise)`` for the generator.
    """
    device = ws0.device
    N, num_ws, w_dim = ws0.shape
    if phase.variable == "z":
        var = z0.clone().requires_grad_(True)
        anchor_t = (anchor.to(device) if anchor is not None and anchor.shape[-1] == var.shape[-1] else z0)
        params = [var]
    elif phase.variable == "w":
        var = ws0.mean(1).clone().requires_grad_(True)
        anchor_t = anchor.to(device).reshape(-1, w_dim) if anchor is not None else ws0.mean(1)
        params = [var]
    elif phase.variable == "w+":
        var = ws0.clone().requires_grad_(True)
        row_mask = torch.zeros(1, num_ws, 1, device=device)
        rows = range(num_ws) if phase.layers is None else phase.layers
        for r in rows:
            if not 0 <= r < num_ws:
                raise ValueError(f"W+ row {r} outside 0..{num_ws - 1}")
            row_mask[0, r] = 1.0
        anchor_t = ws0 if anchor is None else anchor.to(device).reshape(-1, num_ws, w_dim)
        params = [var]
    else:  # noise
        layers = range(len(noise_fixed)) if phase.layers is None else phase.layers
        for r in layers:
            if not 0 <= r < len(noise_fixed):
                raise ValueError(f"noise layer {r} outside 0..{len(noise_fixed) - 1}")
        moving = set(layers)
        var = [n.clone().requires_grad_(i in moving) for i, n in enumerate(noise_fixed)]
        params = [v for i, v in enumerate(var) if i in moving]
        anchor_t = None

    def current() -> tuple[torch.Tensor, list[torch.Tensor]]:
        if phase.variable == "z":
            return G.mapping(var).reshape(N, 1, w_dim).repeat(1, num_ws, 1), noise_fixed
        if phase.variable == "w":
            return var[:, None].repeat(1, num_ws, 1), noise_fixed
        if phase.variable == "w+":
            return var * row_mask + ws0 * (1 - row_mask), noise_fixed
        return ws0, var

    return var, params, anchor_t, current


def _phase_optimizer(phase: Phase, params: list[torch.Tensor]) -> torch.optim.Optimizer:
    if phase.optimizer == "adam":
        return torch.optim.Adam(params, lr=phase.lr, betas=phase.betas, eps=phase.eps)
    return torch.optim.SGD(params, lr=phase.lr, momentum=phase.momentum)


def _loss_terms(w: LossWeights, img: torch.Tensor, targets: _Targets, var: Any, anchor_t: torch.Tensor | None,
                noise_now: Sequence[torch.Tensor],
                discriminator: Callable[[torch.Tensor], torch.Tensor] | None) -> dict[str, torch.Tensor]:
    """The weighted loss terms of one step, in a fixed order (their sum is the step's loss)."""
    terms: dict[str, torch.Tensor] = {}
    if w.mse:
        terms["mse"] = w.mse * masked_mse(img, targets.x, targets.mse_mask)
    if w.mse2 and targets.use_mse2:  # unmasked with y = x: 1 - M_m = 0
        terms["mse2"] = w.mse2 * masked_mse(img, targets.y, targets.mse2_mask)
    if w.perceptual or w.style:
        fg = targets.features(img)
        if w.perceptual:
            feats_x, masks = targets.feats_x, targets.perceptual_masks
            if masks is None:
                perc = perceptual_loss(fg, feats_x, PERCEPTUAL_LAYERS)
            else:  # perceptual_loss's sum over layers, each with its pre-sized mask
                perc = sum(1.0 * masked_mse(fg[l], feats_x[l], masks[l]) for l in PERCEPTUAL_LAYERS)
            terms["perceptual"] = w.perceptual * perc
        if w.style:
            terms["style"] = w.style * style_loss(fg, {STYLE_LAYER: targets.gram_y}, [STYLE_LAYER],
                                                  mask=targets.style_mask)
    if w.latent and anchor_t is not None:
        terms["latent"] = w.latent * ((var - anchor_t) ** 2).mean()
    if w.noise_reg:
        terms["noise_reg"] = w.noise_reg * noise_regularizer(noise_now)
    if w.realism:
        if discriminator is None:
            raise ValueError("the realism term needs a discriminator")
        terms["realism"] = -w.realism * discriminator(img).float().mean()
    return terms


def inversion_steps(
    G: Any,
    target: torch.Tensor,
    config: InversionConfig | None = None,
    *,
    second: torch.Tensor | None = None,
    masks: Mapping[str, Any] | None = None,
    init_ws: torch.Tensor | None = None,
    init_z: torch.Tensor | None = None,
    init_noise: Sequence[torch.Tensor] | None = None,
    anchor: torch.Tensor | None = None,
    encoder: Callable[[torch.Tensor], torch.Tensor] | None = None,
    discriminator: Callable[[torch.Tensor], torch.Tensor] | None = None,
    features: Callable[[torch.Tensor], Mapping[str, torch.Tensor]] | None = None,
    progress: dict[str, Any] | None = None,
) -> Iterator[InversionStep]:
    """Run an inversion as a generator of ``InversionStep``; returns an ``InversionResult``.

    target x [N,3,H,W] in [-1,1] at ``G.resolution``; ``second`` is the paper's y (MSE2 and style
    target; defaults to x). ``masks``: per-pixel masks by term name (see module docstring).
    ``init_ws`` [N,num_ws,w_dim] (or [N,w_dim]) / ``init_z`` [N,z_dim] override ``config.init``;
    ``init_noise`` the starting noise maps (default: seeded N(0, I), Image2StyleGAN++'s n_ini;
    they are used, fixed, during latent phases, so the noise phase starts from the same image).
    ``anchor``: w0 / z0 of the latent L2 term (default: the initial latent).
    ``features``: a callable image -> {VGG layer: map}; default the shared VGG-16.
    Closing the generator cancels cleanly (GeneratorExit is not caught); pass a dict as
    ``progress`` and ``progress["result"](False)`` then gives the state reached (``Inversion``
    does this for you).
    """
    config = config or reconstruction_config()
    targets = _prepare_targets(G, target, second, masks, generator_device(G))
    x = targets.x
    gen = torch.Generator(device="cpu").manual_seed(int(config.seed))
    ws, z, noise = _initial_latents(G, x, config, gen, init_ws=init_ws, init_z=init_z, init_noise=init_noise,
                                    encoder=encoder)
    _measure_target_features(targets, config, second is not None, features)

    notes: list[str] = []
    history: list[dict[str, float]] = []
    global_step = 0
    t_start = time.perf_counter()
    last_image = None
    state = {"ws": ws, "z": z, "noise": noise}
    progress = progress if progress is not None else {}

    def synth(ws_now: torch.Tensor, noise_now: Sequence[torch.Tensor]) -> torch.Tensor:
        out = G.synthesis(ws_now, noise=list(noise_now))
        return out[0] if isinstance(out, tuple) else out

    def result(completed: bool) -> InversionResult:
        with torch.no_grad():
            img = last_image if last_image is not None else synth(state["ws"], state["noise"])
            p = psnr(img, x)
        return InversionResult(
            ws=state["ws"].detach(), noise=[n.detach() for n in state["noise"]], image=img.detach(),
            psnr=float(p.mean()), psnrs=[float(v) for v in p], history=history,
            z=None if state["z"] is None else state["z"].detach(), completed=completed, notes=notes,
        )

    progress["result"] = result
    if config.total_steps == 0:  # encoder alone (or a plain render of the initial latent)
        with torch.no_grad():
            last_image = synth(ws, noise)
        yield InversionStep(0, last_image, {"psnr": float(psnr(last_image, x).mean())})
        return result(True)

    for phase_index, phase in enumerate(config.phases):
        if phase.steps == 0:
            continue
        ws0, z0 = state["ws"].detach(), None if state["z"] is None else state["z"].detach()
        var, params, anchor_t, current = _phase_variable(G, phase, ws0, z0, [n.detach() for n in state["noise"]],
                                                         anchor)
        opt = _phase_optimizer(phase, params)
        for _ in range(phase.steps):
            ws_now, noise_now = current()
            img = synth(ws_now, noise_now)
            terms = _loss_terms(phase.weights, img, targets, var, anchor_t, noise_now, discriminator)
            total = sum(terms.values()) if terms else img.new_zeros((), requires_grad=True)
            opt.zero_grad(set_to_none=True)
            total.backward()
            opt.step()
            if phase.variable == "noise" and phase.normalize_noise:
                with torch.no_grad():
                    for v in params:
                        v.sub_(v.mean(dim=(2, 3), keepdim=True)).div_(v.std(dim=(2, 3), keepdim=True).clamp_min(1e-8))
            global_step += 1
            with torch.no_grad():
                p = float(psnr(img, x).mean())
            record = {k: float(v.detach()) for k, v in terms.items()}
            record.update(total=float(total.detach()), psnr=p, step=float(global_step), phase=float(phase_index),
                          time=time.perf_counter() - t_start)
            history.append(record)
            # keep the state current so that a cancelled run still returns what it reached
            with torch.no_grad():
                ws_cur, noise_cur = current()
                state["ws"], state["noise"] = ws_cur.detach(), [n.detach() for n in noise_cur]
                if phase.variable == "z":
                    state["z"] = var.detach()
            last_image = None
            if global_step % config.yield_every == 0 or global_step == config.total_steps:
                with torch.no_grad():
                    last_image = synth(state["ws"], state["noise"])
                    record_now = dict(record, psnr=float(psnr(last_image, x).mean()))
                yield InversionStep(global_step, last_image, record_now)
    return result(True)


class StreamingRun:
    """A step generator with memory: iterate to stream its items (``.last``), then read the value it
    returned (``.result``); ``run()`` does both; ``close()`` cancels. Shared by every optimisation API.

    A Stop (``hub.nn.stop``: the thread's stop flag, checked at every module call) ends the iteration
    early: ``.stopped`` is then True and ``.result`` is what ``close()`` keeps of the state reached
    (``None`` for a run that keeps nothing)."""

    def __init__(self, gen: Iterator[Any]):
        self._gen = gen
        self.result: Any = None
        self.last: Any = None
        self.stopped = False

    def __iter__(self) -> Iterator[Any]:
        from hub.nn.stop import RunStopped, suspended

        while True:
            try:
                item = next(self._gen)
            except StopIteration as stop:
                self.result = stop.value
                return
            except RunStopped:
                self.stopped = True
                with suspended():  # the partial result calls the modules the stop hook would stop again
                    self.close()
                return
            self.last = item
            yield item

    def run(self) -> Any:
        """Iterate to the end; the result (after a Stop, the partial one; ``RunStopped`` if none)."""
        for _ in self:
            pass
        if self.result is None and self.stopped:
            from hub.nn.stop import RunStopped

            raise RunStopped("stopped before any result")
        assert self.result is not None
        return self.result

    def close(self) -> Any:
        self._gen.close()
        return self.result


class Inversion(StreamingRun):
    """``inversion_steps`` with memory: iterate to stream ``InversionStep``s, then read ``.result``
    (an ``InversionResult``).

    Cancelling (``close()``, or abandoning the loop) leaves ``.result`` at the state reached,
    marked ``completed=False``.
    """

    def __init__(self, G: Any, target: torch.Tensor, config: InversionConfig | None = None, **kwargs: Any):
        self.config = config or reconstruction_config()
        self._progress: dict[str, Any] = {}
        super().__init__(inversion_steps(G, target, self.config, progress=self._progress, **kwargs))

    def close(self) -> InversionResult | None:
        """Cancel; returns (and stores) the result at the state reached, or None before any work."""
        self._gen.close()
        if self.result is None and "result" in self._progress:
            self.result = self._progress["result"](False)
        return self.result


#: Inversion methods beyond the engine's own phases: name -> "module:callable" building a
#: ``StreamingRun`` from ``(G, target, config, **kwargs)``. "pti" is Pivotal Tuning Inversion
#: (hub.nn.pti): the engine's phases find the pivot, then the generator's weights are tuned.
METHODS: dict[str, str] = {"pti": "hub.nn.pti:PTI"}


def inversion_run(G: Any, target: torch.Tensor, config: Any = None, *, method: str | None = None,
                  **kwargs: Any) -> StreamingRun:
    """A streaming inversion: the engine's ``Inversion`` (``method=None``), or the run of one of
    ``METHODS`` (``method="pti"``: ``config`` is a ``hub.nn.pti.PTIConfig`` or the pivot's
    ``InversionConfig``)."""
    if method is None:
        return Inversion(G, target, config, **kwargs)
    if method not in METHODS:
        raise ValueError(f"method must be None or one of {sorted(METHODS)}, not {method!r}")
    import importlib

    module, _, attr = METHODS[method].partition(":")
    return getattr(importlib.import_module(module), attr)(G, target, config, **kwargs)


def invert(G: Any, target: torch.Tensor, config: Any = None, *, method: str | None = None,
           **kwargs: Any) -> InversionResult:
    """Run an inversion to the end and return its result: ``inversion_steps`` by default, a method of
    ``METHODS`` with ``method=`` (``"pti"`` returns a ``hub.nn.pti.PTIResult``)."""
    return inversion_run(G, target, config, method=method, **kwargs).run()
