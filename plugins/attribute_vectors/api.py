"""Attribute vectors as a Python API (no Gradio): load shipped directions, apply them, make new ones.

    from hub import get_model
    from plugins.attribute_vectors import api
    G = get_model("stylegan2-emoji64")
    dirs, meta = api.model_directions("stylegan2-emoji64")          # {"smiling": [num_ws, w_dim], ...}
    face = api.random_face(G, seed=3)                                # or wplus_editing.api.invert(G, photo)
    edited = api.apply_direction(G, face, dirs["smiling"], 1.5)      # w + 1.5 d_smiling
    edited = api.apply_direction(G, face, dirs["hair:red"], 1.0, layers="fine")   # colour rows only
    d_new = api.direction_from_sets(G, with_images, without_images)  # a user-defined attribute

A direction is the attribute vector z_long (White 2016): mean latent of images with the attribute minus mean latent of
images without it (``plugins.attribute_vectors.directions`` computes and documents them).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import torch

from hub.nn import inversion as inv
from hub.nn import latents as lat
from plugins.attribute_vectors.directions import load_directions, save_directions

__all__ = [
    "model_directions",
    "load_directions",
    "save_directions",
    "resolve_layers",
    "apply_direction",
    "apply_directions",
    "direction_from_sets",
    "latents_of_images",
    "random_face",
]


def model_directions(model: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The shipped directions of a model registered in the process-wide hub (its
    ``ModelSpec.related["directions"]``, a weight id): a convenience for scripts; tabs resolve the
    file through their ``DemoContext`` and call ``load_directions``."""
    from hub.plugins import get_hub

    hub = get_hub()
    weight_id = hub.models.spec(model).related.get("directions")
    if not weight_id:
        raise LookupError(f"{model} ships no attribute directions (no 'directions' in its ModelSpec.related)")
    return load_directions(hub.weights.resolve(weight_id))


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
