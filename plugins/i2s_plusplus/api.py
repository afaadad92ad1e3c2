"""Image2StyleGAN++ (Abdal et al. 2020, "How to Edit the Embedded Images") as a Python API.

Building blocks (each a function with the paper's defaults, built on ``hub.nn.inversion``):

* ``W_l``   masked W+ optimisation (lambda_mse1 = lambda_p = 1e-5, Adam lr 0.01, W+ row mask w_m);
* ``Mk_n``  masked noise optimisation (lambda_mse1 = lambda_mse2 = 1e-5, Adam lr 5);
* ``M_st``  masked style transfer (lambda_s = 5e-7 on the Gram of VGG-16 conv3_3);
* ``I_att`` the masked activation-tensor operation at one synthesis layer: spatial copy,
  averaging or channel-wise copy, through the generator's ``activation_edit`` hook.

Applications (Python generators yielding ``Progress``; ``Run`` wraps one: iterate it to stream,
read ``.result`` at the end, ``.close()`` to cancel):

1. ``reconstruct``        improved reconstruction (Alg. 2): W+ then noise, the engine's "best
                          quality" mode (``hub.nn.inversion.reconstruction_config``);
2. ``crossover``          the masked region of B goes into A (Alg. 3): M_blur, W_l then Mk_n;
3. inpainting             lives in ``plugins.inpainting.api`` (it uses the blocks here);
4. ``scribble_edit``      local edits from colour strokes: W_l on the middle rows, then Mk_n;
5. ``local_style``        the masked region of image 1 takes image 2's style: M_st then Mk_n;
6. ``feature_transfer``   attribute-level feature transfer: I_att spatial copy at an early layer.

Scaling from the paper's 1024 px StyleGAN (18 W+ rows) to our models (the engine's rules, see
``hub.nn.inversion``):

* **Layers**: the paper's 1-based W+ row l of 18 -> our 0-based row round((l - 1) (num_ws - 1) / 17)
  (``paper_rows``; a range keeps every row between its mapped ends). At 64 px (num_ws = 10):
  scribbles' rows 4-6 -> 2-3, inpainting's 1-9 + 17-18 -> 0-4 + 8-9. The paper's synthesis
  layer 4 for I_att is mapped the same way to our layer index (``paper_layer``): 2 (8x8 px) at 64 px.
* **Loss weights**: every paper lambda is divided by 1e-5 (Adam is invariant to a global loss
  scale): W_l mse 1, perceptual 1; Mk_n mse 1, mse2 1 (inpainting's lambda_mse2 = 1e-4 -> 10);
  M_st style 5e-7 / 1e-5 = 0.05. MSE terms are means over their masked region (engine rule).
* **Steps**: the paper's counts are kept in ``PAPER_STEPS`` (and behind the "Paper (slow)" preset of
  every tab). The engine's rule divides them by ``hub.nn.inversion.STEP_DIVISOR`` (5); on the shared
  2-core CPU that left an application at 40-185 s (1 thread, load average ~5-6; see
  docs/i2s_plusplus_results.md), above the < 60 s bar, and the steps were already as cheap as the
  recipe allows (target features and masks computed once; a W_l step is one G forward/backward
  plus one VGG-16 forward/backward to conv3_3 at 64 px, ~60-140 ms; an Mk_n step ~30-60 ms). So the
  defaults divide further where an application did not fit: scribbles and local style (an embedding
  stage, then 1000 + 1000) -> 100 + 100 + 100 and crossover 1000 + 1000 -> 100 + 100
  (``APP_STEP_DIVISOR`` = 10, ``CROSSOVER_STEPS``); improved reconstruction 5000 + 3000 -> 250 + 150
  (``RECONSTRUCT_STEP_DIVISOR`` = 20). Inpainting (200 + 1000 -> 40 + 200) keeps the engine's / 5:
  it fits. The paper does not give the step count of the preliminary embeddings of
  scribbles, style transfer and feature transfer; we use ``EMBED_STEPS`` = ``APP_STEPS`` (its W_l
  count for these applications), and feature transfer embeds its two images in one batch.
* **Masks**: M_blur is the user's mask blurred with a Gaussian of sigma = resolution / 32 px (2 px at
  64 px; the paper gives no width); M_blur+ first grows the mask by resolution / 32 px.

Our reading where the paper is silent: in the noise stage of inpainting and local style transfer the
paper's second MSE term (lambda_mse2, over the edited region) pulls towards the result of the
preceding W+ stage, so that noise restores detail outside without undoing the edit inside. Scribbles
are not silent: the paper's input to both stages is the scribbled image, so its noise stage fits the
stroke colours inside the strokes (``noise_target="edit"`` gives the W+-result reading instead).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator, Mapping, NamedTuple, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from hub.nn import inversion as inv
from plugins.i2s_plusplus.defaults import (  # torch-free: the tab reads them while it builds
    APP_STEP_DIVISOR, APP_STEPS, ATTRIBUTE_PAPER_LAYER, CROSSOVER_STEPS, EMBED_STEPS, INPAINT_PAPER_ROWS, PAPER_STEPS,
    SCRIBBLE_NOISE_STEPS,
    RECONSTRUCT_NOISE_STEPS, RECONSTRUCT_STEP_DIVISOR, RECONSTRUCT_W_STEPS, SCRIBBLE_PAPER_ROWS,
)

__all__ = [
    "PAPER_STEPS",
    "APP_STEP_DIVISOR",
    "RECONSTRUCT_STEP_DIVISOR",
    "EMBED_STEPS",
    "APP_STEPS",
    "SCRIBBLE_NOISE_STEPS",
    "CROSSOVER_STEPS",
    "RECONSTRUCT_W_STEPS",
    "RECONSTRUCT_NOISE_STEPS",
    "SCRIBBLE_PAPER_ROWS",
    "INPAINT_PAPER_ROWS",
    "ATTRIBUTE_PAPER_LAYER",
    "Progress",
    "EditResult",
    "Run",
    "paper_rows",
    "paper_layer",
    "image_tensor",
    "mask_tensor",
    "blur_mask",
    "grow_mask",
    "M_blur",
    "M_blur_plus",
    "W_l",
    "Mk_n",
    "M_st",
    "I_att",
    "activation_edit",
    "render",
    "reconstruct",
    "crossover",
    "scribble_edit",
    "scribble_target",
    "local_style",
    "feature_transfer",
    "side_by_side",
    "naive_paste",
    "seam_energy",
]


# ------------------------------------------------------------------------------------------ types


class Progress(NamedTuple):
    """What an application yields: step over all stages (1-based), total steps, current image
    [N,3,H,W] in [-1,1], the latest losses, and the stage's name."""

    step: int
    total: int
    image: torch.Tensor
    losses: Mapping[str, float]
    stage: str


@dataclass
class EditResult:
    """An application's outcome: the final image tensor (and PIL), latent, noise and extras."""

    image: torch.Tensor
    ws: torch.Tensor | None = None
    noise: list[torch.Tensor] | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    completed: bool = True

    @property
    def pil(self):
        from hub.images import to_pil

        return to_pil(self.image)


class Run(inv.StreamingRun):
    """Iterate to stream ``Progress``; ``.result`` (an ``EditResult``) after the end; ``close()`` cancels
    (the engine's generator is closed too; ``.result`` stays None)."""


# ------------------------------------------------------------------------------------------ helpers


def paper_rows(G: Any, ranges: Sequence[tuple[int, int]]) -> tuple[int, ...]:
    """The paper's 1-based W+ row ranges (of 18) -> our 0-based rows (``hub.nn.inversion.scale_layers``)."""
    return inv.scale_layers(ranges, int(G.num_ws))


def paper_layer(G: Any, layer: int = ATTRIBUTE_PAPER_LAYER) -> int:
    """The paper's 1-based synthesis layer (of 18) -> our 0-based synthesis layer index
    (same proportional map as ``paper_rows``, clipped to ``num_layers - 1``)."""
    return min(int(G.num_layers) - 1, paper_rows(G, ((layer, layer),))[0])


def image_tensor(G: Any, image: Any, what: str = "image") -> torch.Tensor:
    """A PIL / array / path / tensor -> [1,3,R,R] in [-1,1] at the generator's resolution
    (non-square images are centre-cropped)."""
    if isinstance(image, torch.Tensor):
        x = image.float()
        x = x[None] if x.dim() == 3 else x
        if x.shape[-1] != G.resolution or x.shape[-2] != G.resolution:
            x = F.interpolate(x, size=(G.resolution, G.resolution), mode="area")
        return x.to(inv.generator_device(G))
    from hub.images import load_image, to_tensor

    img = load_image(image, what=what)
    if img.width != img.height:
        side = min(img.size)
        left, top = (img.width - side) // 2, (img.height - side) // 2
        img = img.crop((left, top, left + side, top + side))
    return to_tensor(img, size=int(G.resolution)).to(inv.generator_device(G))


def mask_tensor(mask: Any, size: int, device: Any = "cpu") -> torch.Tensor:
    """[H,W] / [1,H,W] / [N,1,H,W] array or tensor (or PIL L) in [0,1] -> float [1|N,1,size,size]
    (area-averaged when shrinking, bilinear when growing)."""
    from PIL import Image

    if isinstance(mask, Image.Image):
        mask = np.asarray(mask.convert("L"), np.float32) / 255.0
    m = torch.as_tensor(np.asarray(mask, np.float32) if not isinstance(mask, torch.Tensor) else mask,
                        dtype=torch.float32)
    while m.dim() < 4:
        m = m[None]
    if m.shape[1] != 1:
        m = m.mean(1, keepdim=True)
    if m.shape[-1] != size or m.shape[-2] != size:
        mode = "area" if m.shape[-1] >= size else "bilinear"
        m = F.interpolate(m, size=(size, size), mode=mode, **({} if mode == "area" else {"align_corners": False}))
    return m.clamp(0, 1).to(device)


def blur_mask(mask: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of a [N,1,H,W] mask (replicate padding so borders stay put)."""
    if sigma <= 0:
        return mask
    radius = max(1, int(round(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32, device=mask.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    m = F.pad(mask, (radius, radius, radius, radius), mode="replicate")
    m = F.conv2d(m, k.view(1, 1, 1, -1))
    m = F.conv2d(m, k.view(1, 1, -1, 1))
    return m.clamp(0, 1)


def grow_mask(mask: torch.Tensor, pixels: int) -> torch.Tensor:
    """Dilate a [N,1,H,W] mask by ``pixels`` (square max filter)."""
    if pixels <= 0:
        return mask
    return F.max_pool2d(mask, 2 * pixels + 1, stride=1, padding=pixels)


def default_sigma(G: Any) -> float:
    return float(G.resolution) / 32.0


def M_blur(mask: torch.Tensor, sigma: float) -> torch.Tensor:
    """Image2StyleGAN++'s M_blur: the mask with soft edges (crossover, local edits)."""
    return blur_mask(mask, sigma)


def M_blur_plus(mask: torch.Tensor, grow: int, sigma: float) -> torch.Tensor:
    """Image2StyleGAN++'s M_blur+: slightly larger than the hole, soft edged, and never smaller than
    the hole itself (1 wherever the hole is)."""
    return torch.maximum(blur_mask(grow_mask(mask, grow), sigma), (mask > 0).float())


def _stage(G: Any, target: torch.Tensor, phase: inv.Phase, state: dict, done: int, total: int,
           yield_every: int, seed: int = 0, init: str = "w_avg", init_range: float = 1.0,
           **kwargs: Any) -> Iterator[Progress]:
    """Run one engine phase from ``state`` ({"ws", "noise"}), yield ``Progress``; updates ``state``.
    Closing the outer generator closes the engine's generator (``finally``).

    A Stop (``hub.nn.stop``) ends the phase at the step it is on and keeps the state it reached;
    ``state["stopped"]`` is then set and later phases are skipped, so the application returns its
    partial result (``extras["stopped"]``) instead of nothing."""
    from hub.nn.stop import RunStopped

    if state.get("stopped"):
        return None
    cfg = inv.InversionConfig(phases=(phase,), init=init, init_range=init_range, yield_every=yield_every,
                              seed=seed)
    try:
        run = inv.Inversion(G, target, cfg, init_ws=state.get("ws"), init_noise=state.get("noise"), **kwargs)
    except RunStopped:  # stopped while the targets' features were computed: nothing of this phase to keep
        state["stopped"] = True
        return None
    try:
        for s in run:
            yield Progress(done + s.step, total, s.image, dict(s.losses), phase.name or phase.variable)
    finally:
        if run.result is None:
            run.close()
    state["stopped"] = run.stopped
    res = run.result
    if res is None:  # stopped before its first step
        return None
    state["ws"], state["noise"] = res.ws, res.noise
    state.setdefault("history", []).extend(dict(h, step=h["step"] + done) for h in res.history)
    return res


@torch.no_grad()
def render(G: Any, ws: torch.Tensor, noise: Sequence[torch.Tensor] | None = None,
           edit: Callable | None = None, return_activations: bool = False):
    """Synthesis of W+ (with the given noise maps) clamped to [-1,1] (and the activations if asked).
    One forward pass, never interrupted by a Stop: after a Stop it renders the partial result."""
    from hub.nn.stop import suspended

    with suspended():
        out = G.synthesis(ws, noise=None if noise is None else list(noise), activation_edit=edit,
                          return_activations=return_activations)
    if return_activations:
        img, acts = out
        return img.clamp(-1, 1), acts
    img = out[0] if isinstance(out, tuple) else out
    return img.clamp(-1, 1)


# ------------------------------------------------------------------------------------ building blocks


def W_l(G: Any, x: torch.Tensor, *, rows: Sequence[int] | None = None, y: torch.Tensor | None = None,
        masks: Mapping[str, Any] | None = None, ws: torch.Tensor | None = None,
        noise: Sequence[torch.Tensor] | None = None, steps: int = inv.scale_steps(5000),
        mse: float = 1.0, mse2: float = 0.0, perceptual: float = 1.0, lr: float = 0.01,
        optimizer: str = "adam", init: str = "w_avg", init_range: float = 1.0, seed: int = 0,
        yield_every: int = 10, features: Callable | None = None) -> Iterator[Progress]:
    """Masked W+ optimisation W_l: only W+ ``rows`` move (w_m; None = all; others stay bit-identical).

    Paper: lambda_mse1 = lambda_p = 1e-5 (-> 1, 1), lambda_mse2 = lambda_s = 0, Adam lr 0.01 (SGD 0.8).
    ``masks`` as in the engine: "mse" (M_m, on x), "mse2" (default 1 - M_m, on y), "perceptual" (M_p).
    A generator of ``Progress``; it *returns* the engine's ``InversionResult``.
    """
    phase = inv.phase_wl(steps, layers=rows, lr=lr, mse=mse, mse2=mse2, perceptual=perceptual, optimizer=optimizer)
    state = {"ws": ws, "noise": noise}
    return (yield from _stage(G, x, phase, state, 0, steps, yield_every, seed=seed, init=init,
                              init_range=init_range, second=y, masks=masks, features=features))


def Mk_n(G: Any, x: torch.Tensor, ws: torch.Tensor, *, noise: Sequence[torch.Tensor] | None = None,
         layers: Sequence[int] | None = None, y: torch.Tensor | None = None,
         masks: Mapping[str, Any] | None = None, steps: int = inv.scale_steps(3000), mse: float = 1.0,
         mse2: float = 1.0, lr: float = 5.0, seed: int = 0, yield_every: int = 10) -> Iterator[Progress]:
    """Masked noise optimisation Mk_n: only the noise maps move (``layers`` = n_m; W+ is fixed).

    Paper: lambda_mse1 = lambda_mse2 = 1e-5 (-> 1, 1), lambda_p = lambda_s = 0, Adam lr 5.
    Returns the engine's ``InversionResult`` (its ``ws`` equals the input ``ws`` exactly).
    """
    phase = inv.phase_mkn(steps, layers=layers, lr=lr, mse=mse, mse2=mse2)
    state = {"ws": ws, "noise": noise}
    return (yield from _stage(G, x, phase, state, 0, steps, yield_every, seed=seed, second=y, masks=masks))


def M_st(G: Any, x: torch.Tensor, style: torch.Tensor, style_mask: Any, ws: torch.Tensor, *,
         noise: Sequence[torch.Tensor] | None = None, rows: Sequence[int] | None = None,
         steps: int = APP_STEPS, style_weight: float = 0.05, mse: float = 1.0, perceptual: float = 1.0,
         lr: float = 0.01, yield_every: int = 10, features: Callable | None = None) -> Iterator[Progress]:
    """Masked style transfer M_st: the Gram matrix (VGG-16 conv3_3) of G(w) over ``style_mask``
    matches that of the whole ``style`` image; outside the mask MSE + perceptual keep x.

    Paper: lambda_s = 5e-7 (-> 0.05 beside the W_l terms' 1e-5 -> 1); its application (local style
    transfer) keeps the rest of image 1 with W_l's lambda_mse1 = lambda_p = 1e-5 over 1 - M.
    """
    m = style_mask
    masks = {"style": m, "mse": 1 - m, "perceptual": 1 - m}
    phase = inv.phase_mst(steps, layers=rows, lr=lr, style=style_weight, mse=mse, perceptual=perceptual)
    state = {"ws": ws, "noise": noise}
    return (yield from _stage(G, x, phase, state, 0, steps, yield_every, second=style, masks=masks,
                              features=features))


def activation_edit(layer: int, source: torch.Tensor, mask: Any, mode: str = "spatial", alpha: float = 0.5,
                    channels: Sequence[int] | None = None) -> Callable[[int, torch.Tensor], torch.Tensor]:
    """The ``activation_edit`` hook of I_att: at ``layer``, blend in ``source`` (B_l of image 2) under
    ``mask`` (area-resized to the layer's resolution):

    * ``"spatial"``  t = (1 - M) A + M B                     (spatial copy; the paper's best);
    * ``"average"``  t = (1 - M) A + M (alpha A + (1 - alpha) B)   (averaging, lambda = alpha);
    * ``"channel"``  as spatial, but only in ``channels`` (channel-wise copy).
    """
    if mode not in ("spatial", "average", "channel"):
        raise ValueError(f"I_att mode must be spatial, average or channel, not {mode!r}")
    if mode == "channel" and not channels:
        raise ValueError("channel-wise copy needs the channels to copy")

    def edit(i: int, a: torch.Tensor) -> torch.Tensor:
        if i != layer:
            return a
        m = mask_tensor(mask, a.shape[-1], a.device).to(a.dtype)
        b = source.to(a.device, a.dtype)
        if mode == "spatial":
            return a * (1 - m) + b * m
        if mode == "average":
            return a * (1 - m) + (alpha * a + (1 - alpha) * b) * m
        if max(int(c) for c in channels) >= a.shape[1] or min(int(c) for c in channels) < 0:
            raise ValueError(f"channels must lie in 0-{a.shape[1] - 1} at layer {layer}")
        cm = torch.zeros(1, a.shape[1], 1, 1, dtype=a.dtype, device=a.device)
        cm[0, [int(c) for c in channels]] = 1
        return a * (1 - m * cm) + b * (m * cm)

    return edit


@torch.no_grad()
def I_att(G: Any, ws1: torch.Tensor, ws2: torch.Tensor, mask: Any, *, layer: int | None = None,
          noise1: Sequence[torch.Tensor] | None = None, noise2: Sequence[torch.Tensor] | None = None,
          mode: str = "spatial", alpha: float = 0.5, channels: Sequence[int] | None = None,
          return_activations: bool = False):
    """Masked activation-tensor operation: G(w1, n1, t) with t at ``layer`` built from image 1's A_l
    and image 2's B_l (see ``activation_edit``). ``layer`` defaults to the paper's layer 4 of 18
    scaled (``paper_layer``). Returns the image (and the edited run's activations if asked)."""
    layer = paper_layer(G) if layer is None else int(layer)
    if not 0 <= layer < int(G.num_layers):
        raise ValueError(f"layer {layer} outside 0..{int(G.num_layers) - 1}")
    _, acts2 = render(G, ws2, noise2, return_activations=True)
    edit = activation_edit(layer, acts2[layer], mask, mode, alpha, channels)
    return render(G, ws1, noise1, edit=edit, return_activations=return_activations)


# ------------------------------------------------------------------------------------ applications


def _result(G: Any, state: dict, **extras: Any) -> EditResult:
    stopped = bool(state.get("stopped"))
    if state["ws"] is None:  # stopped before any latent existed: the start, w_avg
        state["ws"] = G.w_avg.detach().reshape(1, 1, -1).repeat(1, int(G.num_ws), 1)
    return EditResult(image=render(G, state["ws"], state["noise"]), ws=state["ws"], noise=state["noise"],
                      history=state.get("history", []), extras=dict(extras, stopped=stopped), completed=not stopped)


def reconstruct(G: Any, image: Any, *, w_steps: int = RECONSTRUCT_W_STEPS, noise_steps: int = RECONSTRUCT_NOISE_STEPS,
                perceptual: float = 1.0, init: str = "w_avg", seed: int = 0, yield_every: int = 10,
                features: Callable | None = None, encoder: Callable | None = None) -> Iterator[Progress]:
    """Improved reconstruction (Alg. 2): W_l on all rows then Mk_n, the engine's ``reconstruction_config``
    ("best quality" mode, shared with the W+ editing tab). Paper 5000 + 3000 steps; default / 20 =
    250 + 150 here (the engine's own default, / 5, is 1000 + 600: pass those for its full budget).
    ``init="encoder"`` (with ``encoder``) starts W_l from En(image), iGAN's hybrid, instead of the paper's w_avg."""
    x = image_tensor(G, image)
    cfg = inv.reconstruction_config(w_steps, noise_steps, perceptual=perceptual, init=init,
                                    yield_every=yield_every, seed=seed)
    run = inv.Inversion(G, x, cfg, features=features, **({"encoder": encoder} if init == "encoder" else {}))
    total = cfg.total_steps
    try:
        for s in run:
            stage = "W+" if s.step <= w_steps else "noise"
            yield Progress(s.step, total, s.image, dict(s.losses), stage)
    finally:
        if run.result is None:
            run.close()
    res = run.result
    if res is None:  # stopped before the first step: nothing to keep
        from hub.nn.stop import RunStopped

        raise RunStopped("stopped before the first step")
    return EditResult(image=res.image.clamp(-1, 1), ws=res.ws, noise=res.noise, history=res.history,
                      extras={"psnr": res.psnr, "stopped": run.stopped}, completed=not run.stopped)


def _embed_init(encoder: Callable | None) -> dict[str, Any]:
    """Keyword arguments of an embedding stage: from En(x) when there is an encoder, else w_avg."""
    return {"init": "encoder", "encoder": encoder} if encoder is not None else {}


def _start_state(G: Any, latent: Any) -> dict:
    if latent is None:
        return {"ws": None, "noise": None}
    if isinstance(latent, torch.Tensor):
        return {"ws": latent, "noise": None}
    if isinstance(latent, Mapping):
        return {"ws": latent["ws"], "noise": latent.get("noise")}
    return {"ws": latent.ws, "noise": latent.noise}  # InversionResult / EditResult


def crossover(G: Any, image_a: Any, image_b: Any, mask: Any, *, w_steps: int = CROSSOVER_STEPS,
              noise_steps: int = CROSSOVER_STEPS, noise_lr: float = 5.0, sigma: float | None = None,
              mse: float = 1.0, mse2: float = 1.0,
              perceptual: float = 1.0, init_latent: Any = None, encoder: Callable | None = None, seed: int = 0,
              yield_every: int = 10, features: Callable | None = None) -> Iterator[Progress]:
    """Image crossover (Alg. 3): the region ``mask`` (1 = from B) of B goes into A with an invisible seam.

    M_blur = Gaussian(mask, sigma = res/32). W_l (all rows; 1000 / 10 steps): MSE to A over 1 - M_blur,
    MSE to B over M_blur, perceptual to A over 1 - M_blur; then Mk_n (1000 / 10 steps) with the same two
    MSE terms. Starts from w_avg (or ``init_latent``, e.g. A's embedding from the W+ editing tab; or with
    ``encoder``, En(A): not the paper's start, but A's own code outside the region from the first step).
    """
    a, b = image_tensor(G, image_a, "image A"), image_tensor(G, image_b, "image B")
    m = mask_tensor(mask, int(G.resolution), a.device)
    if float(m.max()) <= 0:
        raise ValueError("the crossover mask is empty: paint the region of image B to take")
    mb = M_blur(m, default_sigma(G) if sigma is None else float(sigma))
    masks = {"mse": 1 - mb, "mse2": mb, "perceptual": 1 - mb}
    state = _start_state(G, init_latent)
    if state["ws"] is None and encoder is not None:
        state["ws"] = inv.encode(encoder, a, int(G.num_ws))
    total = w_steps + noise_steps
    if w_steps:
        yield from _stage(G, a, inv.phase_wl(w_steps, mse=mse, mse2=mse2, perceptual=perceptual), state, 0, total,
                          yield_every, seed=seed, second=b, masks=masks, features=features)
    if noise_steps:
        yield from _stage(G, a, inv.phase_mkn(noise_steps, lr=noise_lr, mse=mse, mse2=mse2), state, w_steps, total,
                          yield_every,
                          seed=seed, second=b, masks={"mse": 1 - mb, "mse2": mb})
    if state["ws"] is None:  # nothing ran: render w_avg
        state["ws"] = G.w_avg.detach().reshape(1, 1, -1).repeat(1, int(G.num_ws), 1)
    return _result(G, state, mask=m, mask_blur=mb)


def scribble_target(G: Any, image: Any, colours: Any,
                    stroke_mask: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(photo x, scribbled photo y, stroke mask S) at the generator's resolution. Stroke colours are
    area-averaged premultiplied by their alpha, so thin strokes keep their colour when shrunk."""
    x = image_tensor(G, image)
    R = int(G.resolution)
    s_full = torch.as_tensor(np.asarray(stroke_mask, np.float32))[None, None]
    c_full = torch.as_tensor(np.asarray(colours, np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
    s = mask_tensor(s_full, R)
    cs = F.interpolate(c_full * s_full, size=(R, R), mode="area") if c_full.shape[-1] >= R else \
        F.interpolate(c_full * s_full, size=(R, R), mode="bilinear", align_corners=False)
    colour = (cs / s.clamp_min(1e-6)).clamp(-1, 1)
    s, colour = s.to(x.device), colour.to(x.device)
    if float(s.max()) <= 0:
        raise ValueError("no strokes: paint at least one colour stroke on the image")
    y = x * (1 - s) + colour * s
    return x, y, s


def scribble_edit(G: Any, image: Any, colours: Any, stroke_mask: Any, *, rows: Sequence[int] | None = None,
                  embed_steps: int = EMBED_STEPS, w_steps: int = APP_STEPS, noise_steps: int = SCRIBBLE_NOISE_STEPS,
                  noise_lr: float = 5.0, mse: float = 1.0, mse2: float = 1.0, perceptual: float = 1.0,
                  noise_target: str = "scribbled", init_latent: Any = None, encoder: Callable | None = None,
                  seed: int = 0, yield_every: int = 10, features: Callable | None = None) -> Iterator[Progress]:
    """Local edits from colour scribbles: embed the photo (``embed_steps``, skipped with ``init_latent``),
    W_l on the middle rows only (paper's 4-6 of 18, scaled: ``paper_rows(G, SCRIBBLE_PAPER_ROWS)``;
    1000 / 10 steps), then Mk_n (``SCRIBBLE_NOISE_STEPS`` = 300 of the paper's 1000).

    The paper fits both stages to the scribbled image; we split each MSE into a mean outside the strokes
    (to the photo) and a mean inside them, so a thin stroke is not outweighed by the rest of the image.
    With ``encoder`` the embedding starts from En(photo) (the hybrid method of iGAN, Zhu et al. 2016) instead of w_avg.
    Inside the strokes the noise stage fits ``noise_target``: ``"scribbled"`` (the paper: the stroke
    colours, which the middle W+ rows of a small model express only partly) or ``"edit"`` (the W_l
    result: noise then only restores detail, and the colour moves less).
    """
    if noise_target not in ("scribbled", "edit"):
        raise ValueError(f"noise_target must be 'scribbled' or 'edit', not {noise_target!r}")
    x, y, s = scribble_target(G, image, colours, stroke_mask)
    rows = paper_rows(G, SCRIBBLE_PAPER_ROWS) if rows is None else tuple(rows)
    state = _start_state(G, init_latent)
    total = (0 if state["ws"] is not None else embed_steps) + w_steps + noise_steps
    done = 0
    if state["ws"] is None and embed_steps:
        yield from _stage(G, x, replace(inv.phase_wl(embed_steps), name="embed"), state, 0, total, yield_every,
                          seed=seed, features=features, **_embed_init(encoder))
        done = embed_steps
    if state["ws"] is None:
        state["ws"] = G.w_avg.detach().reshape(1, 1, -1).repeat(1, int(G.num_ws), 1)
    before = render(G, state["ws"], state["noise"])
    if w_steps:
        yield from _stage(G, x, inv.phase_wl(w_steps, layers=rows, mse=mse, mse2=mse2, perceptual=perceptual),
                          state, done, total, yield_every, seed=seed, second=y,
                          masks={"mse": 1 - s, "mse2": s, "perceptual": 1 - s}, features=features)
        done += w_steps
    if noise_steps:
        inside = y if noise_target == "scribbled" else render(G, state["ws"], state["noise"])
        yield from _stage(G, x, inv.phase_mkn(noise_steps, lr=noise_lr), state, done, total, yield_every, seed=seed,
                          second=inside, masks={"mse": 1 - s, "mse2": s})
    return _result(G, state, strokes=s, scribbled=y, embedded=before, rows=rows)


def local_style(G: Any, image: Any, style_image: Any, mask: Any, *, rows: Sequence[int] | None = None,
                embed_steps: int = EMBED_STEPS, w_steps: int = APP_STEPS, noise_steps: int = APP_STEPS,
                noise_lr: float = 5.0, style_weight: float = 0.05, mse: float = 1.0, perceptual: float = 1.0,
                init_latent: Any = None, encoder: Callable | None = None,
                seed: int = 0, yield_every: int = 10, features: Callable | None = None) -> Iterator[Progress]:
    """Local style transfer: the region ``mask`` of image 1 takes image 2's style (Gram of VGG-16
    conv3_3). Embed image 1 (``embed_steps``, skipped with ``init_latent``), M_st (1000 / 10 steps,
    lambda_s 5e-7 -> 0.05, the rest of image 1 kept by MSE + perceptual over 1 - M), then Mk_n
    (1000 / 10 steps) keeping image 1 outside and the M_st result inside. With ``encoder`` the
    embedding starts from En(image 1) instead of w_avg."""
    x = image_tensor(G, image, "image 1")
    style = image_tensor(G, style_image, "style image")
    m = mask_tensor(mask, int(G.resolution), x.device)
    if float(m.max()) <= 0:
        raise ValueError("the style mask is empty: paint the region of image 1 to restyle")
    state = _start_state(G, init_latent)
    total = (0 if state["ws"] is not None else embed_steps) + w_steps + noise_steps
    done = 0
    if state["ws"] is None and embed_steps:
        yield from _stage(G, x, replace(inv.phase_wl(embed_steps), name="embed"), state, 0, total, yield_every,
                          seed=seed, features=features, **_embed_init(encoder))
        done = embed_steps
    if state["ws"] is None:
        state["ws"] = G.w_avg.detach().reshape(1, 1, -1).repeat(1, int(G.num_ws), 1)
    if w_steps:
        phase = inv.phase_mst(w_steps, layers=rows, style=style_weight, mse=mse, perceptual=perceptual)
        yield from _stage(G, x, phase, state, done, total, yield_every, seed=seed, second=style,
                          masks={"style": m, "mse": 1 - m, "perceptual": 1 - m}, features=features)
        done += w_steps
    if noise_steps:
        anchor = render(G, state["ws"], state["noise"])
        yield from _stage(G, x, inv.phase_mkn(noise_steps, lr=noise_lr), state, done, total, yield_every, seed=seed,
                          second=anchor, masks={"mse": 1 - m, "mse2": m})
    return _result(G, state, mask=m)


def side_by_side(images: torch.Tensor) -> torch.Tensor:
    """[N,3,H,W] -> [1,3,H,N*W]: a batched stage's preview shows every image, not only the first."""
    return images if images.shape[0] == 1 else torch.cat(list(images), dim=-1)[None]


def _batched_stage(G: Any, target: torch.Tensor, phase: inv.Phase, state: dict, done: int, total: int,
                   yield_every: int, **kwargs: Any) -> Iterator[Progress]:
    """``_stage`` over a batch of independent images, previews side by side. Each image has its own
    W+ rows and noise maps and the losses are batch means, so every image follows its own trajectory
    (Adam is per entry and invariant to the 1/N scale); one batched step costs ~1.4-1.6x a single
    image's on one CPU thread for N = 2 (~2.7x for N = 4), against Nx when run one after another."""
    for p in _stage(G, target, phase, state, done, total, yield_every, **kwargs):
        yield p._replace(image=side_by_side(p.image))


def feature_transfer(G: Any, image_1: Any, image_2: Any, mask: Any, *, layer: int | None = None,
                     mode: str = "spatial", alpha: float = 0.5, channels: Sequence[int] | None = None,
                     embed_steps: int = EMBED_STEPS, noise_steps: int = 0, noise_lr: float = 5.0,
                     latent_1: Any = None,
                     latent_2: Any = None, seed: int = 0, yield_every: int = 10,
                     features: Callable | None = None) -> Iterator[Progress]:
    """Attribute-level feature transfer: embed both images (W+ ``embed_steps``, then optionally
    ``noise_steps`` of noise; skipped for a given latent), then I_att: image 1's forward pass with the
    activations of image 2 copied in under ``mask`` (1 = take from image 2) at ``layer`` (the paper's
    synthesis layer 4 of 18, scaled: ``paper_layer``). Two images to embed are optimised together as
    one batch (independent latents; the progress preview shows them side by side)."""
    layer = paper_layer(G) if layer is None else int(layer)
    states = [_start_state(G, latent_1), _start_state(G, latent_2)]
    images = [image_1, image_2]
    todo = [k for k, st in enumerate(states) if st["ws"] is None]
    for k in todo:
        if images[k] is None:
            raise ValueError(f"image {k + 1} is missing")
    history: list[dict[str, float]] = []
    if todo and (embed_steps or noise_steps):
        x = torch.cat([image_tensor(G, images[k], f"image {k + 1}") for k in todo])
        names = "+".join(str(k + 1) for k in todo)
        batch: dict = {"ws": None, "noise": None}
        total = embed_steps + noise_steps
        if embed_steps:
            yield from _batched_stage(G, x, replace(inv.phase_wl(embed_steps), name=f"embed {names}"), batch, 0,
                                      total, yield_every, seed=seed, features=features)
        if noise_steps:
            if batch["ws"] is None:
                batch["ws"] = G.w_avg.detach().reshape(1, 1, -1).repeat(len(todo), int(G.num_ws), 1)
            yield from _batched_stage(G, x, replace(inv.phase_mkn(noise_steps, lr=noise_lr), name=f"noise {names}"),
                                      batch, embed_steps, total, yield_every, seed=seed)
        if batch["ws"] is None:  # stopped before the first step: the start, w_avg
            batch["ws"] = G.w_avg.detach().reshape(1, 1, -1).repeat(len(todo), int(G.num_ws), 1)
        history = batch.get("history", [])
        for i, k in enumerate(todo):
            states[k]["ws"] = batch["ws"][i:i + 1]
            states[k]["noise"] = None if batch["noise"] is None else [n[i:i + 1] for n in batch["noise"]]
    for st in states:
        if st["ws"] is None:
            st["ws"] = G.w_avg.detach().reshape(1, 1, -1).repeat(1, int(G.num_ws), 1)
    image = I_att(G, states[0]["ws"], states[1]["ws"], mask, layer=layer, noise1=states[0]["noise"],
                  noise2=states[1]["noise"], mode=mode, alpha=alpha, channels=channels)
    stopped = bool(todo and (embed_steps or noise_steps) and batch.get("stopped"))
    return EditResult(image=image, ws=states[0]["ws"], noise=states[0]["noise"], history=history,
                      completed=not stopped,
                      extras={"layer": layer, "stopped": stopped,
                              "image_1": render(G, states[0]["ws"], states[0]["noise"]),
                              "image_2": render(G, states[1]["ws"], states[1]["noise"]),
                              "latent_1": {"ws": states[0]["ws"], "noise": states[0]["noise"]},
                              "latent_2": {"ws": states[1]["ws"], "noise": states[1]["noise"]}})


# ------------------------------------------------------------------------------------ measures


def naive_paste(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Hard cut-and-paste: B where mask >= 0.5, else A (the crossover baseline)."""
    hard = (mask >= 0.5).to(a.dtype)
    return a * (1 - hard) + b * hard


def seam_energy(image: torch.Tensor, mask: torch.Tensor, width: int = 1) -> float:
    """Mean squared image gradient (forward differences, all channels, [0,1] scale) over the band of
    ``width`` px on both sides of the mask's border: how visible a seam is."""
    hard = (mask >= 0.5).float()
    band = (grow_mask(hard, width) - (1 - grow_mask(1 - hard, width))).clamp(0, 1)
    x = image.float() * 0.5
    gx = torch.zeros_like(x)
    gy = torch.zeros_like(x)
    gx[..., :, :-1] = x[..., :, 1:] - x[..., :, :-1]
    gy[..., :-1, :] = x[..., 1:, :] - x[..., :-1, :]
    energy = (gx ** 2 + gy ** 2).sum(1, keepdim=True)
    return float((energy * band).sum() / band.sum().clamp_min(1))
