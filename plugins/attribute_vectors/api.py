"""Attribute vectors as a Python API (no Gradio) over modules, tensors and PIL images.

    from hub import get_model
    from plugins.attribute_vectors import api
    G = get_model("stylegan2-emoji64")                                # any LatentGenerator module
    dirs, meta = api.load_directions(path)                            # {"smiling": [num_ws, w_dim], ...}
    scaled, sigmas = api.sigma_directions(G, dirs, meta)              # a step of 1 = one standard deviation
    face = api.random_face(G, seed=3)                                # or wplus_editing.api.invert(G, photo)
    edited = api.apply_direction(G, face, scaled["smiling"], 1.5)    # +1.5 sigma
    edited = api.apply_direction(G, face, scaled["hair:red"], 1.0, layers="fine")   # colour rows only
    sefa = api.labelfree_directions(G, "sefa", layers="0-3")          # label-free, computed live and cached
    row = api.row_along(G, face, sefa.wplus(0))                       # PIL images at -3 .. +3 sigma
    d_new = api.direction_from_sets(G, with_images, without_images)  # a user-defined attribute

A labelled direction is the attribute vector z_long (White 2016): mean latent of images with the
attribute minus mean latent of images without it (``plugins.attribute_vectors.directions`` computes
and documents them). Label-free directions are SeFa and GANSpace (``hub.nn.directions``). Every
direction is applied sigma-scaled: a slider value alpha moves alpha standard deviations of the
training codes' projection on the direction (the file's ``sigmas``; for a direction without one,
the generator's sampled W codes), and sliders span +-3 (``SLIDER_SIGMAS``).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping, Sequence

import torch

from hub.nn import inversion as inv
from hub.nn import latents as lat
from plugins.attribute_vectors.defaults import SLIDER_SIGMAS
from plugins.attribute_vectors.directions import load_directions, save_directions

__all__ = [
    "SLIDER_SIGMAS",
    "ALONG_SIGMAS",
    "LABELFREE_METHODS",
    "load_directions",
    "save_directions",
    "resolve_layers",
    "apply_direction",
    "apply_directions",
    "direction_from_sets",
    "latents_of_images",
    "random_face",
    "sigma_directions",
    "labelfree_directions",
    "row_along",
]

ALONG_SIGMAS = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)  # the row of images along one direction
LABELFREE_METHODS = ("sefa", "ganspace")


def resolve_layers(G: Any, layers: str | Sequence[int] | None) -> tuple[int, ...] | None:
    """None / "all" -> every row; "coarse" | "middle" | "fine" -> that group; or explicit rows."""
    if layers is None or layers == "all":
        return None
    if isinstance(layers, str):
        groups = inv.layer_groups(G)
        if layers not in groups:
            raise ValueError(f"layers must be all, coarse, middle, fine or a list of rows, not {layers!r}")
        return groups[layers]
    rows = tuple(int(r) for r in layers)
    if any(not 0 <= r < G.num_ws for r in rows):
        raise ValueError(f"rows {rows} outside 0..{G.num_ws - 1}")
    return rows


def _latent(x: Any) -> dict[str, Any]:
    from plugins.wplus_editing.api import as_latent

    return as_latent(x)


def apply_direction(G: Any, latent: Any, direction: torch.Tensor, alpha: float,
                    layers: str | Sequence[int] | None = None) -> dict[str, Any]:
    """w + alpha d (only on ``layers``, if given). ``latent``: InversionResult / {"ws", "noise"} / W+."""
    a = _latent(latent)
    ws = lat.to_w_plus(a["ws"], int(G.num_ws))
    d = direction.to(ws.device)
    if d.dim() == 2 and d.shape[0] != ws.shape[1]:
        raise ValueError(f"direction has {d.shape[0]} rows; this generator has {ws.shape[1]}")
    if d.shape[-1] != ws.shape[-1]:
        raise ValueError(f"direction is {d.shape[-1]}-dimensional; this generator's W is {ws.shape[-1]}")
    return {"ws": lat.apply_direction(ws, d, float(alpha), resolve_layers(G, layers)), "noise": a["noise"]}


def apply_directions(G: Any, latent: Any, directions: Mapping[str, torch.Tensor], alphas: Mapping[str, float],
                     layers: str | Sequence[int] | None = None) -> dict[str, Any]:
    """Several sliders at once: w + sum_k alpha_k d_k."""
    out = _latent(latent)
    for name, alpha in alphas.items():
        if alpha:
            if name not in directions:
                raise KeyError(f"no direction named {name!r} (have: {', '.join(sorted(directions))})")
            out = apply_direction(G, out, directions[name], alpha, layers)
    return out


def latents_of_images(G: Any, images: Sequence[Any], *, encoder: Callable | None = None,
                      steps: int = inv.scale_steps(1000), perceptual: float = 1.0, seed: int = 0) -> torch.Tensor:
    """W+ [N, num_ws, w_dim] of images: En(x) with an encoder, else a batched W+ optimisation
    (Image2StyleGAN's losses, ``steps`` steps; hybrid when both are available and steps > 0)."""
    from plugins.wplus_editing.api import image_tensor

    if not images:
        raise ValueError("the image set is empty")
    x = torch.cat([img if isinstance(img, torch.Tensor) else image_tensor(G, img) for img in images])
    if encoder is not None and steps == 0:
        return inv.encode(encoder, x, int(G.num_ws))
    cfg = inv.InversionConfig(phases=(inv.phase_w_plus(int(steps), perceptual=perceptual),),
                              init="encoder" if encoder is not None else "w_avg",
                              yield_every=max(1, int(steps)), seed=seed)
    return inv.invert(G, x, cfg, encoder=encoder).ws


def direction_from_sets(G: Any, with_images: Sequence[Any], without_images: Sequence[Any], *,
                        encoder: Callable | None = None, steps: int = inv.scale_steps(1000),
                        perceptual: float = 1.0, seed: int = 0) -> torch.Tensor:
    """A user-defined attribute: mean W+ of the "with" set minus mean W+ of the "without" set
    (the mean-difference formula; the latents from ``latents_of_images``). Returns [num_ws, w_dim]."""
    if len(with_images) < 1 or len(without_images) < 1:
        raise ValueError("give at least one image with the attribute and one without it")
    pos = latents_of_images(G, with_images, encoder=encoder, steps=steps, perceptual=perceptual, seed=seed)
    neg = latents_of_images(G, without_images, encoder=encoder, steps=steps, perceptual=perceptual, seed=seed)
    return pos.mean(0) - neg.mean(0)


@torch.no_grad()
def random_face(G: Any, seed: int = 0, psi: float = 0.7) -> dict[str, Any]:
    """A random sample's latent (truncated by psi) to edit."""
    from plugins.wplus_editing.api import random_latent

    return random_latent(G, seed, psi)


def sigma_directions(G: Any, directions: Mapping[str, torch.Tensor], meta: Mapping[str, str] | None = None,
                     ) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
    """Directions rescaled so that alpha = 1 moves one standard deviation along each; returns (scaled, sigmas).

    sigma is the standard deviation of the training codes' projection on the unit direction: the
    file's metadata ``sigmas`` (computed from the codes the directions came from) where it names the
    direction; otherwise that of ``G``'s sampled W codes (``hub.nn.directions.sampled_w``) repeated
    over the W+ rows, e.g. for a direction from ``direction_from_sets``."""
    from hub.nn.directions import sigma_scaled

    stored = json.loads((meta or {}).get("sigmas") or "{}")
    scaled, sigmas = {}, {}
    missing = {k: d for k, d in directions.items() if k not in stored}
    if missing:
        codes = _sampled_wplus(G)
        scaled, sigmas = sigma_scaled(missing, codes)
    for name, d in directions.items():
        if name in stored:
            sigmas[name] = float(stored[name])
            scaled[name] = d.float() / d.float().norm().clamp_min(1e-12) * sigmas[name]
    return {k: scaled[k] for k in directions}, {k: sigmas[k] for k in directions}


_SAMPLED: dict[int, tuple[Any, torch.Tensor]] = {}


def _sampled_wplus(G: Any, n: int = 4096) -> torch.Tensor:
    """G's sampled W codes as W+ [n, num_ws, w_dim], kept per generator object for this process."""
    import weakref

    from hub.nn.directions import sampled_w

    hit = _SAMPLED.get(id(G))
    if hit is None or hit[0]() is not G:
        codes = sampled_w(G, n)[:, None].repeat(1, int(G.num_ws), 1)
        hit = _SAMPLED[id(G)] = (weakref.ref(G), codes)
    return hit[1]


def labelfree_directions(G: Any, method: str, layers: str | Sequence[int] | None = None, n: int = 10):
    """SeFa or GANSpace directions of ``G`` on the W+ rows ``layers`` (None / "all", "coarse", "0-3", [rows]):
    a ``hub.nn.directions.Directions`` whose ``wplus(k)`` is component k scaled to one standard deviation."""
    from hub.nn import directions as labelfree

    method = method.lower()
    if method == "sefa":
        return labelfree.sefa_directions(G, layers, n)
    if method == "ganspace":
        return labelfree.ganspace_directions(G, n, layers)
    raise ValueError(f"method must be one of {', '.join(LABELFREE_METHODS)}, not {method!r}")


@torch.no_grad()
def row_along(G: Any, latent: Any, direction: torch.Tensor, alphas: Sequence[float] = ALONG_SIGMAS,
              layers: str | Sequence[int] | None = None) -> list[Any]:
    """PIL images of ``latent`` moved alpha * ``direction`` for each alpha (with a sigma-scaled
    direction: alpha standard deviations), rendered in one batch."""
    from hub.images import to_pil

    start = _latent(latent)
    device = inv.generator_device(G)
    ws = torch.cat([apply_direction(G, start, direction, a, layers)["ws"] for a in alphas]).to(device)
    noise = start["noise"]
    if noise is not None:
        noise = [n.to(device).expand(len(alphas), *n.shape[1:]) for n in noise]
    out = G.synthesis(ws, noise=noise)
    images = out[0] if isinstance(out, tuple) else out
    return [to_pil(images[i : i + 1].clamp(-1, 1)) for i in range(len(alphas))]
