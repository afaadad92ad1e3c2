"""W+ editing as a Python API (no Gradio): invert, morph, mix, transfer, truncate, iGAN edit.

Every function takes a generator ``G`` that satisfies ``hub.api.LatentGenerator`` (get one with
``hub.get_model("stylegan2-emoji64")``) and latents as ``{"ws": [N, num_ws, w_dim], "noise":
[maps] | None}`` dicts, ``InversionResult``s or bare W+ tensors. Images come in as anything
``hub.images.load_image`` reads and go out as PIL RGB.

    from hub import get_model
    from plugins.wplus_editing import api
    G = get_model("stylegan2-emoji64")
    a = api.invert(G, "face_a.png")                  # Image2StyleGAN(++) W+ then noise
    b = api.invert(G, "face_b.png", noise_steps=0)    # W+ alone
    frames = api.morph_frames(G, a, b, 16); api.save_gif(frames, "morph.gif")
    api.render(G, api.mix(G, a, b, "fine"))           # colours of B on the shapes of A
    api.save_latent("a.safetensors", a, G=G)          # re-load with api.load_latent(path, G)
    c = api.invert(G, "drawing.png", method="pti")    # Pivotal Tuning: c.generator is the tuned copy
    api.save_pti("c.safetensors", c, G=G)             # the latent and the weight delta, one file

Defaults are the published ones, scaled as ``hub.nn.inversion`` explains (Adam lr 0.01, W+
5000 -> 1000 steps, noise 3000 -> 600 steps at lr 5, MSE:perceptual 1:1; PTI: pivot 450 -> 90
steps, then 350 tuning steps at lr 3e-4, as ``hub.nn.pti``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch

from hub.nn import inversion as inv
from hub.nn import latents as lat
from hub.nn import pti as _pti
from hub.nn.latents import LatentFileError, as_latent, load_latent  # re-exported
from hub.nn.latents import save_latent_of as save_latent  # re-exported: any latent, with its PSNR
from hub.nn.pti import PTIResult, load_pti, save_pti  # re-exported: a PTI latent with its weight delta
from plugins.wplus_editing.defaults import INIT_CHOICES, METHODS

__all__ = [
    "METHODS",
    "INIT_CHOICES",
    "as_latent",
    "image_tensor",
    "render",
    "render_pil",
    "inversion_config",
    "invert_stream",
    "invert",
    "morph",
    "morph_frames",
    "save_gif",
    "mix",
    "layer_ranges",
    "transfer",
    "truncate",
    "constrained_edit",
    "save_latent",
    "load_latent",
    "LatentFileError",
    "random_latent",
    "PTIResult",
    "save_pti",
    "load_pti",
]


def image_tensor(G: Any, image: Any, what: str = "image") -> torch.Tensor:
    """Any uploaded image -> [1, 3, R, R] in [-1, 1] at the generator's resolution (centre crop)."""
    from hub.images import load_image, to_tensor

    img = load_image(image, what=what)
    side = min(img.size)
    if img.width != img.height:  # centre square crop: the generators are square
        left, top = (img.width - side) // 2, (img.height - side) // 2
        img = img.crop((left, top, left + side, top + side))
    return to_tensor(img, size=int(G.resolution)).to(inv.generator_device(G))


@torch.no_grad()
def render(G: Any, latent: Any) -> torch.Tensor:
    """Latent -> image tensor [N, 3, R, R] in [-1, 1] (the latent's own noise maps if it has them)."""
    latent = as_latent(latent)
    ws = lat.to_w_plus(latent["ws"], int(G.num_ws)).to(inv.generator_device(G))
    out = G.synthesis(ws, noise=latent["noise"])
    return (out[0] if isinstance(out, tuple) else out).clamp(-1, 1)


def render_pil(G: Any, latent: Any):
    from hub.images import to_pil

    return to_pil(render(G, latent))


@torch.no_grad()
def random_latent(G: Any, seed: int = 0, psi: float = 1.0) -> dict[str, Any]:
    """A random sample: z ~ N(0, I) (seeded) -> mapping (truncated by psi) -> W+; noise None
    (the generator's stored constant maps). Also returns "z" for Z-space edits."""
    gen = torch.Generator().manual_seed(int(seed))
    z = torch.randn(1, int(G.z_dim), generator=gen).to(inv.generator_device(G))
    w = G.mapping(z, psi)
    return {"ws": lat.to_w_plus(w, int(G.num_ws)), "noise": None, "z": z}


def inversion_config(
    method: str = "optimisation",
    *,
    space: str = "w+",
    steps: int | None = None,
    noise_steps: int = inv.scale_steps(3000),
    lr: float = 0.01,
    noise_lr: float = 5.0,
    mse: float = 1.0,
    perceptual: float = 1.0,
    latent: float = 0.0,
    noise_reg: float = 0.0,
    realism: float = 0.0,
    optimizer: str = "adam",
    layers: Sequence[int] | None = None,
    init: str = "w_avg",
    yield_every: int = 10,
    seed: int = 0,
    tuning_steps: int = 350,
    tuning_lr: float = 3e-4,
) -> inv.InversionConfig | _pti.PTIConfig:
    """The engine configuration for one of ``METHODS``.

    optimisation: init ``w_avg`` or ``random``, then ``steps`` of ``space`` (Image2StyleGAN W+ by
    default, 5000 / 5 steps) and ``noise_steps`` of Mk_n (Image2StyleGAN++; 0 = W+ alone). encoder:
    the encoder's W+, no optimisation. hybrid: the encoder's W+, then the same phases as
    optimisation. pti: a ``hub.nn.pti.PTIConfig``: ``steps`` to the pivot in ``space`` ("w", the
    paper's, or "w+"; 450 / 5 steps), then ``tuning_steps`` of the generator's weights at
    ``tuning_lr`` (paper: 350, 3e-4); the noise phase does not apply.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if space not in ("z", "w", "w+"):
        raise ValueError(f"space must be z, w or w+, not {space!r}")
    if method == "pti":
        if space == "z":
            raise ValueError("pivotal tuning searches its pivot in W or W+, not Z")
        pivot = _pti.pivot_config(space, _pti.PIVOT_STEPS if steps is None else int(steps), init=init, lr=lr,
                                  mse=mse, perceptual=perceptual, yield_every=yield_every, seed=seed)
        return _pti.PTIConfig(pivot=pivot, steps=int(tuning_steps), lr=tuning_lr, mse=mse, perceptual=perceptual,
                              yield_every=yield_every, seed=seed)
    steps = inv.scale_steps(5000) if steps is None else steps
    if method == "encoder":
        return inv.InversionConfig(phases=(), init="encoder", yield_every=yield_every, seed=seed)
    if space != "w+" and method == "hybrid":
        raise ValueError("the hybrid method starts from the encoder's W+, so it optimises W+")
    weights = inv.LossWeights(mse=mse, perceptual=perceptual, latent=latent, noise_reg=0.0, realism=realism)
    phases = []
    if steps:
        phases.append(inv.Phase(space, int(steps), weights, lr=lr, optimizer=optimizer,
                                layers=None if layers is None or space != "w+" else tuple(layers),
                                name=space.upper()))
    if noise_steps:
        phases.append(inv.phase_mkn(int(noise_steps), lr=noise_lr, noise_reg=noise_reg))
    return inv.InversionConfig(phases=tuple(phases), init="encoder" if method == "hybrid" else init,
                               yield_every=yield_every, seed=seed)


def invert_stream(G: Any, image: Any, *, method: str = "optimisation", encoder: Callable | None = None,
                  discriminator: Callable | None = None, features: Callable | None = None,
                  init_latent: Any = None, stop: Any = None, **config: Any) -> inv.StreamingRun:
    """An ``Inversion`` to iterate: yields (step, image, losses); ``.result`` at the end (a
    ``PTIResult`` for ``method="pti"``, whose ``generator`` is the tuned copy and ``delta`` its change).

    ``init_latent`` (a loaded latent file, say) continues from that latent instead of ``init``.
    ``stop`` (PTI; a callable or a ``threading.Event``) ends the run at the step it is on.
    """
    wants_encoder = method in ("encoder", "hybrid") or method == "pti" and config.get("init") == "encoder"
    if wants_encoder and encoder is None and init_latent is None:
        raise ValueError("this model has no encoder; use the optimisation method")
    cfg = inversion_config(method, **config)
    target = image if isinstance(image, torch.Tensor) else image_tensor(G, image)
    kwargs: dict[str, Any] = dict(encoder=encoder, discriminator=discriminator, features=features)
    if init_latent is not None:
        start = as_latent(init_latent)
        kwargs["init_ws"] = start["ws"]
        if start["noise"] is not None:
            kwargs["init_noise"] = start["noise"]
    if method == "pti":
        run = _pti.PTI(G, target, cfg, stop=stop, **kwargs)
        run.config = cfg  # as Inversion.config: the tab reads total_steps from it
        return run
    return inv.Inversion(G, target, cfg, **kwargs)


def invert(G: Any, image: Any, **kwargs: Any) -> inv.InversionResult:
    """Invert one image to the end (see ``invert_stream`` and ``inversion_config`` for options)."""
    return invert_stream(G, image, **kwargs).run()


def morph(G: Any, a: Any, b: Any, t: float):
    """The image at ``t`` in [0, 1] on the straight line from latent a to latent b (PIL)."""
    a, b = as_latent(a), as_latent(b)
    ws, noise = lat.lerp_latents(a["ws"], b["ws"], t, a["noise"], b["noise"])
    return render_pil(G, {"ws": ws, "noise": noise})


def morph_frames(G: Any, a: Any, b: Any, frames: int = 16, bounce: bool = False) -> list:
    """``frames`` images from a to b inclusive (and back, with ``bounce``)."""
    if frames < 2:
        raise ValueError("a morph needs at least 2 frames")
    out = [morph(G, a, b, i / (frames - 1)) for i in range(frames)]
    return out + out[-2:0:-1] if bounce else out


def save_gif(frames: Sequence[Any], path: str | Path | None = None, duration_ms: int = 80, scale: int = 1) -> str:
    """Write an endlessly looping animated GIF; returns its path (a temp PNG-folder name if None)."""
    if not frames:
        raise ValueError("no frames")
    if scale > 1:
        from PIL import Image

        frames = [f.resize((f.width * scale, f.height * scale), Image.NEAREST) for f in frames]
    if path is None:
        from hub.images import save_png

        path = Path(save_png(frames[0], "morph")).with_suffix(".gif")
    path = Path(path)
    frames[0].save(path, save_all=True, append_images=list(frames[1:]), duration=duration_ms, loop=0)
    return str(path)


def layer_ranges(G: Any) -> dict[str, tuple[int, ...]]:
    """Coarse / middle / fine W+ rows of this generator (by the resolution they steer)."""
    return inv.layer_groups(G)


def mix(G: Any, a: Any, b: Any, layers: str | Sequence[int] = "fine") -> dict[str, Any]:
    """Style mixing: A's latent with the rows ``layers`` ("coarse" | "middle" | "fine" or indices)
    taken from B. Noise stays A's (it is spatial detail, not style)."""
    a, b = as_latent(a), as_latent(b)
    num_ws = int(G.num_ws)
    if isinstance(layers, str):
        groups = layer_ranges(G)
        if layers not in groups:
            raise ValueError(f"layer range must be one of {sorted(groups)} or a list of rows")
        layers = groups[layers]
    ws = lat.mix_layers(lat.to_w_plus(a["ws"], num_ws), lat.to_w_plus(b["ws"], num_ws).to(a["ws"].device), layers)
    return {"ws": ws, "noise": a["noise"]}


def transfer(w1: Any, w2: Any, w3: Any, lam: float = 1.0, layers: Sequence[int] | None = None) -> dict[str, Any]:
    """Expression / attribute transfer w1 + lambda (w3 - w2) (Image2StyleGAN Sec. 6.3): the change
    from image 2 to image 3 applied to image 1. Noise stays image 1's."""
    a, b, c = as_latent(w1), as_latent(w2), as_latent(w3)
    return {"ws": lat.transfer(a["ws"], b["ws"], c["ws"], lam, layers), "noise": a["noise"]}


def truncate(G: Any, latent: Any, psi: float = 0.7, layers: Sequence[int] | None = None) -> dict[str, Any]:
    """Truncation trick w_avg + psi (w - w_avg): psi < 1 moves towards the mean face."""
    a = as_latent(latent)
    ws = lat.to_w_plus(a["ws"], int(G.num_ws))
    return {"ws": lat.truncate(ws, G.w_avg.to(ws.device), psi, layers), "noise": a["noise"]}


def constrained_edit(
    G: Any,
    start: Any,
    scribble: Any,
    stroke_mask: Any,
    *,
    space: str = "w+",
    steps: int = inv.scale_steps(1000),
    lr: float = 0.01,
    lam_latent: float = 0.1,
    lam_realism: float = 0.0,
    discriminator: Callable | None = None,
    layers: Sequence[int] | None = None,
    preserve: float = 0.0,
    yield_every: int = 10,
    seed: int = 0,
) -> inv.Inversion:
    """Seed 000's constrained edit (iGAN, Zhu et al. 2016) on the inversion engine:

        v* = argmin_v  U(G(v)) + lam_latent ||v - v0||^2 - lam_realism D(G(v))

    U is the colour-scribble constraint: MSE between G(v) and the stroke colours over the stroke
    mask. ``space``: "z" (the seed's formulation; ``start`` must carry "z", as ``random_latent``
    does) or "w+" (for inverted photos; ``layers`` restricts which rows move, e.g. the paper's
    middle rows 4-6 of 18 via ``hub.nn.inversion.scale_layers``). ``preserve`` > 0 adds an MSE to
    the starting image outside the strokes (Image2StyleGAN++'s lambda_mse2 term; not in iGAN).
    ``scribble``: stroke colours, [1,3,R,R] in [-1,1] or an RGB image / uint8 array; ``stroke_mask``:
    [H, W] in [0, 1]. 1000 iterations (Image2StyleGAN++'s scribble step count) / 5 by default.
    Returns an ``Inversion``: iterate it to stream, ``.result`` holds the edit.
    """
    import numpy as np

    s = as_latent(start)
    device = inv.generator_device(G)
    if isinstance(scribble, torch.Tensor):
        target = scribble.to(device, torch.float32)
    else:
        from hub.images import to_tensor

        arr = np.asarray(scribble)
        target = to_tensor(arr if arr.dtype == np.uint8 else scribble, size=int(G.resolution)).to(device)
    mask = torch.as_tensor(np.asarray(stroke_mask, dtype=np.float32))
    if float(mask.max()) <= 0:
        raise ValueError("draw at least one stroke: the scribble mask is empty")
    if lam_realism and discriminator is None:
        raise ValueError("the realism term needs the model's discriminator")
    weights = inv.LossWeights(mse=1.0, mse2=preserve, latent=lam_latent, realism=lam_realism)
    kwargs: dict[str, Any] = {"discriminator": discriminator, "masks": {"mse": mask}}
    if s["noise"] is not None:
        kwargs["init_noise"] = s["noise"]
    if preserve:
        kwargs["second"] = render(G, s)
    if space == "z":
        z0 = start.get("z") if isinstance(start, Mapping) else None
        if z0 is None:
            raise ValueError("a Z-space edit needs the starting z (use random_latent, or space='w+')")
        phase = inv.Phase("z", int(steps), weights, lr=lr, name="iGAN-Z")
        kwargs["init_z"] = z0
    elif space == "w+":
        phase = inv.Phase("w+", int(steps), weights, lr=lr, layers=None if layers is None else tuple(layers),
                          name="iGAN-W+")
        kwargs["init_ws"] = lat.to_w_plus(s["ws"], int(G.num_ws))
    else:
        raise ValueError("space must be 'z' or 'w+'")
    cfg = inv.InversionConfig(phases=(phase,), yield_every=yield_every, seed=seed)
    if s["noise"] is None:  # keep the look of the start: render with the generator's stored maps
        stored = getattr(G, "stored_noise", None)
        if callable(stored):
            kwargs["init_noise"] = [n.expand(1, *n.shape[1:]) for n in stored()]
    return inv.Inversion(G, target, cfg, **kwargs)
