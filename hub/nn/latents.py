"""Latent codes as data: save/load (safetensors), and the arithmetic every W+ edit is made of.

A latent file is a user file, not a weight: no sha256, but its shapes are checked against the
generator it is loaded for, and every problem is a ``LatentFileError`` with a plain sentence.

File layout (safetensors):
  ``ws``        float32 [N, num_ws, w_dim]   the W+ code
  ``noise.{i}`` float32 [N, 1, r_i, r_i]     optional, one per synthesis layer (Image2StyleGAN++ n)
  metadata      {"format": "ganhub-latent", "version": "1", "model": name, "num_ws", "w_dim",
                 "resolution", "num_layers", plus free text such as "psnr"}

The edits (all on W+ tensors [N, num_ws, w_dim]; W [N, w_dim] is broadcast first):
  ``lerp_latents``    morphing (Image2StyleGAN Sec. 6.1; the noise maps are blended with
                      cos/sin weights so that independent N(0, I) maps keep unit variance);
  ``mix_layers``      style mixing: rows ``layers`` come from B (Karras et al. 2019);
  ``transfer``        expression / attribute transfer w1 + lambda (w3 - w2) (Image2StyleGAN Sec. 6.3);
  ``truncate``        w_avg + psi (w - w_avg) (Karras et al. 2019, "truncation trick");
  ``apply_direction`` w + alpha d on chosen rows (En(x) + z_long: the encoder's code plus an attribute vector).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch

__all__ = [
    "LatentFileError",
    "save_latent",
    "load_latent",
    "to_w_plus",
    "lerp_latents",
    "mix_layers",
    "transfer",
    "truncate",
    "apply_direction",
]

FORMAT = "ganhub-latent"
MAX_FILE_BYTES = 64 * 1024 * 1024


class LatentFileError(ValueError):
    """A latent file that cannot be used with this generator (the message says why)."""


def to_w_plus(ws: torch.Tensor, num_ws: int) -> torch.Tensor:
    """W [N, w_dim] or W+ [N, num_ws, w_dim] -> W+ (a copy when broadcast)."""
    if ws.dim() == 1:
        ws = ws[None]
    if ws.dim() == 2:
        return ws[:, None].repeat(1, num_ws, 1)
    if ws.dim() != 3 or ws.shape[1] != num_ws:
        raise ValueError(f"expected W [N, w_dim] or W+ [N, {num_ws}, w_dim], got {tuple(ws.shape)}")
    return ws


def max_codes() -> int:
    """How many codes one latent file may hold: ``GANHUB_MAX_LATENT_CODES`` (default 16)."""
    import os

    try:
        return max(1, int(os.environ.get("GANHUB_MAX_LATENT_CODES", "16")))
    except ValueError:
        return 16


def as_latent(x: Any) -> dict[str, Any]:
    """An inversion result (anything with ``.ws`` and ``.noise``) | {"ws", "noise"} | W+ tensor ->
    {"ws": [N, num_ws, w_dim], "noise": list | None}."""
    if isinstance(x, torch.Tensor):
        return {"ws": x, "noise": None}
    if isinstance(x, Mapping):
        return {"ws": x["ws"], "noise": x.get("noise")}
    if hasattr(x, "ws"):
        return {"ws": x.ws, "noise": getattr(x, "noise", None)}
    raise TypeError(f"not a latent: {type(x).__name__}")


def save_latent_of(path: str | Path, latent: Any, G: Any = None, model: str = "", **meta: Any) -> Path:
    """``save_latent`` of any latent ``as_latent`` accepts; an inversion result's PSNR goes in the meta."""
    a = as_latent(latent)
    if isinstance(getattr(latent, "psnr", None), (int, float)):
        meta.setdefault("psnr", round(float(latent.psnr), 3))
    return save_latent(path, a["ws"], a["noise"], G=G, model=model, **meta)


def save_latent(path: str | Path, ws: torch.Tensor, noise: Sequence[torch.Tensor] | None = None,
                G: Any = None, model: str = "", **meta: Any) -> Path:
    """Write a latent file; ``G`` (optional) fills in and checks the shape metadata."""
    from safetensors.torch import save_file

    ws = ws.detach().float().cpu().contiguous()
    if ws.dim() != 3:
        raise ValueError(f"ws must be [N, num_ws, w_dim], got {tuple(ws.shape)}")
    tensors = {"ws": ws}
    if noise is not None:
        for i, n in enumerate(noise):
            tensors[f"noise.{i}"] = n.detach().float().cpu().contiguous()
    info = {"format": FORMAT, "version": "1", "model": model, "num_ws": str(ws.shape[1]), "w_dim": str(ws.shape[2])}
    if G is not None:
        if ws.shape[1] != G.num_ws or ws.shape[2] != G.w_dim:
            raise ValueError(f"ws {tuple(ws.shape)} does not fit this generator ({G.num_ws} x {G.w_dim})")
        info.update(resolution=str(G.resolution), num_layers=str(G.num_layers))
    info.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in meta.items()})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=info)
    return path


def load_latent(path: str | Path, G: Any = None, model: str | None = None) -> dict[str, Any]:
    """Read a latent file -> {"ws", "noise" (list or None), "meta"}; validated against ``G``.

    Raises ``LatentFileError`` for: not a safetensors file, not a GAN Hub latent, a shape that does
    not fit ``G`` (num_ws, w_dim, noise resolutions), non-finite values. A file saved for another
    model with the same shapes loads (the meta keeps its name; ``model=`` turns that into an error).
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    from safetensors import safe_open

    path = Path(path if isinstance(path, (str, Path)) else getattr(path, "name", path))
    if not path.exists():
        raise LatentFileError(f"latent file {path.name} not found")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise LatentFileError(f"{path.name} is {path.stat().st_size // 2**20} MiB; a latent file is far smaller")
    try:
        with safe_open(str(path), "pt") as f:
            meta = dict(f.metadata() or {})
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise LatentFileError(f"{path.name} is not a safetensors latent file ({str(exc).splitlines()[0][:120]})") from None
    if meta.get("format") != FORMAT or "ws" not in tensors:
        raise LatentFileError(f"{path.name} is a safetensors file but not a GAN Hub latent (no 'ws' / format tag)")
    if model and meta.get("model") and meta["model"] != model:
        raise LatentFileError(f"{path.name} was saved for model {meta['model']!r}, not {model!r}")
    ws = tensors["ws"].float()
    if ws.dim() != 3:
        raise LatentFileError(f"'ws' in {path.name} has shape {tuple(ws.shape)}; expected [N, num_ws, w_dim]")
    if ws.shape[0] > max_codes():
        # every code is rendered or optimised on: thousands of them in one upload cost gigabytes
        raise LatentFileError(f"{path.name} holds {ws.shape[0]} latent codes; at most {max_codes()} are accepted "
                              "(set GANHUB_MAX_LATENT_CODES to change it)")
    if not torch.isfinite(ws).all():
        raise LatentFileError(f"'ws' in {path.name} contains NaN or infinite values")
    noise_keys = sorted((k for k in tensors if k.startswith("noise.")), key=lambda k: int(k.split(".")[1]))
    noise = [tensors[k].float() for k in noise_keys] or None
    if G is not None:
        if ws.shape[1] != G.num_ws or ws.shape[2] != G.w_dim:
            raise LatentFileError(
                f"{path.name} holds W+ of {ws.shape[1]} x {ws.shape[2]}; this generator needs "
                f"{G.num_ws} x {G.w_dim} (was it saved for another model? meta says {meta.get('model') or 'unknown'})")
        if noise is not None:
            if len(noise) != G.num_layers:
                raise LatentFileError(f"{path.name} has {len(noise)} noise maps; this generator has {G.num_layers} layers")
            for i, (n, r) in enumerate(zip(noise, G.layer_resolutions)):
                if n.dim() != 4 or tuple(n.shape[1:]) != (1, r, r) or n.shape[0] != ws.shape[0]:
                    raise LatentFileError(f"noise map {i} in {path.name} is {tuple(n.shape)}; expected [{ws.shape[0]}, 1, {r}, {r}]")
        device = getattr(G.w_avg, "device", torch.device("cpu"))
        ws = ws.to(device)
        noise = None if noise is None else [n.to(device) for n in noise]
    return {"ws": ws, "noise": noise, "meta": meta}


def lerp_latents(ws_a: torch.Tensor, ws_b: torch.Tensor, t: float,
                 noise_a: Sequence[torch.Tensor] | None = None, noise_b: Sequence[torch.Tensor] | None = None):
    """Morph: (1 - t) w_a + t w_b; noise cos(pi t / 2) n_a + sin(pi t / 2) n_b. Exact at t = 0, 1."""
    t = float(t)
    if t == 0.0:
        return ws_a.clone(), None if noise_a is None else [n.clone() for n in noise_a]
    if t == 1.0:
        return ws_b.clone(), None if noise_b is None else [n.clone() for n in noise_b]
    ws = torch.lerp(ws_a, ws_b, t)
    if noise_a is None or noise_b is None:
        return ws, noise_a if noise_b is None else noise_b
    ca, cb = math.cos(math.pi * t / 2), math.sin(math.pi * t / 2)
    return ws, [ca * a + cb * b for a, b in zip(noise_a, noise_b)]


def mix_layers(ws_a: torch.Tensor, ws_b: torch.Tensor, layers: Sequence[int]) -> torch.Tensor:
    """W+ of A with rows ``layers`` taken from B."""
    if ws_a.shape != ws_b.shape:
        raise ValueError(f"W+ shapes differ: {tuple(ws_a.shape)} vs {tuple(ws_b.shape)}")
    out = ws_a.clone()
    rows = sorted(set(int(l) for l in layers))
    if rows and not (0 <= rows[0] and rows[-1] < ws_a.shape[1]):
        raise ValueError(f"layers {rows} outside 0..{ws_a.shape[1] - 1}")
    out[:, rows] = ws_b[:, rows]
    return out


def transfer(w1: torch.Tensor, w2: torch.Tensor, w3: torch.Tensor, lam: float = 1.0,
             layers: Sequence[int] | None = None) -> torch.Tensor:
    """Expression / attribute transfer: w1 + lambda (w3 - w2) (on ``layers`` only, if given):
    w2 -> w3 is the change shown by a pair of images (neutral -> smiling), applied to w1."""
    delta = lam * (w3 - w2)
    if layers is not None:
        keep = torch.zeros(w1.shape[1], dtype=w1.dtype, device=w1.device)
        keep[list(layers)] = 1
        delta = delta * keep.view(1, -1, 1)
    return w1 + delta


def truncate(ws: torch.Tensor, w_avg: torch.Tensor, psi: float, layers: Sequence[int] | None = None) -> torch.Tensor:
    """Truncation trick: w_avg + psi (w - w_avg) (on ``layers`` only, if given)."""
    out = w_avg.reshape(1, 1, -1) + psi * (ws - w_avg.reshape(1, 1, -1))
    if layers is None:
        return out
    return mix_layers(ws, out, layers)


def apply_direction(ws: torch.Tensor, direction: torch.Tensor, alpha: float,
                    layers: Sequence[int] | None = None) -> torch.Tensor:
    """w + alpha d. ``direction`` is [num_ws, w_dim] (or [w_dim], used on every row); with
    ``layers`` only those rows move (so that hair colour does not change the pose)."""
    d = direction.to(ws.device, ws.dtype)
    d = d.reshape(1, 1, -1).expand(1, ws.shape[1], -1) if d.dim() == 1 else d.reshape(1, ws.shape[1], -1)
    if layers is not None:
        keep = torch.zeros(ws.shape[1], dtype=ws.dtype, device=ws.device)
        keep[list(layers)] = 1
        d = d * keep.view(1, -1, 1)
    return ws + alpha * d
