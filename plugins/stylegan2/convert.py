"""rosinality/stylegan2-pytorch checkpoints -> GAN Hub safetensors, and loading our files.

Upstream checkpoints (``{"g_ema": state_dict, "latent_avg": tensor, ...}``, optionally with
``g``, ``d`` and optimiser states) are read only by ``ganhub weights convert ID`` (weights-only
``torch.load``), which hands the checkpoint to :func:`convert_rosinality` (manifest converter
``plugins.stylegan2.convert:convert_rosinality``). Our module's parameter names are
rosinality's, so conversion only keeps ``g_ema``, renames ``latent_avg`` to ``w_avg`` and
fills it from 4096 mapped samples only when the checkpoint has none.

``latent_avg`` sits beside ``g_ema`` at the top of an upstream file, so a converter that is handed
only ``checkpoint["g_ema"]`` (the manifest's ``#g_ema`` selector) cannot see it. The converter
therefore accepts the whole checkpoint as ``source=`` and says so with ``wants_source = True``: a
store that honours the flag (``hub.weights.WeightStore.convert``) passes it, and the upstream mean
of W survives conversion bit for bit (truncation and the inversion's w_avg start then match upstream).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Mapping

import torch

from plugins.stylegan2.model import Discriminator, Generator, build_discriminator, build_generator

__all__ = ["convert_rosinality", "latent_avg_tensor", "to_rosinality", "infer_generator_config", "load_generator",
           "load_discriminator", "save_generator"]


def _g_ema_of(checkpoint: Mapping[str, Any], source: Mapping[str, Any] | None = None,
              ) -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
    latent_avg = checkpoint.get("latent_avg")
    if latent_avg is None and isinstance(source, Mapping):  # the whole upstream file: latent_avg is top level
        latent_avg = source.get("latent_avg")
        if latent_avg is None and isinstance(source.get("g_ema"), Mapping):
            latent_avg = source["g_ema"].get("latent_avg")
    if isinstance(checkpoint.get("g_ema"), Mapping):
        state = dict(checkpoint["g_ema"])
    else:  # a bare g_ema state dict (what hub.weights.pick_state_dict hands over)
        state = {k: v for k, v in checkpoint.items() if isinstance(v, torch.Tensor) and k != "latent_avg"}
    if latent_avg is None:
        latent_avg = state.pop("latent_avg", None)
    return state, latent_avg


def infer_generator_config(state: Mapping[str, torch.Tensor]) -> dict:
    """size, style_dim, n_mlp and per-resolution widths from a rosinality-layout state dict."""
    style_ids = sorted(int(m.group(1)) for k in state if (m := re.fullmatch(r"style\.(\d+)\.weight", k)))
    if not style_ids or "input.input" not in state:
        raise ValueError("not a StyleGAN2 (rosinality layout) generator: no style.N.weight / input.input")
    style_dim = state[f"style.{style_ids[0]}.weight"].shape[1]
    n_rgbs = len({m.group(1) for k in state if (m := re.match(r"to_rgbs\.(\d+)\.", k))})
    size = 2 ** (n_rgbs + 2)
    channels = {4: int(state["input.input"].shape[1])}
    for j in range(n_rgbs):
        channels[2 ** (j + 3)] = int(state[f"convs.{2 * j}.conv.weight"].shape[1])
    # lr_mlp cannot be read back from the tensors; every public checkpoint uses the published 0.01
    return dict(size=size, style_dim=int(style_dim), n_mlp=len(style_ids), channels=channels, lr_mlp=0.01)


def convert_rosinality(checkpoint: Mapping[str, Any], source: Mapping[str, Any] | None = None,
                       ) -> dict[str, torch.Tensor]:
    """Upstream rosinality checkpoint (or bare g_ema dict) -> our Generator state dict (float32).

    ``source``: the whole upstream checkpoint when ``checkpoint`` is only its ``g_ema`` entry; its
    ``latent_avg`` becomes ``w_avg``. Only without any ``latent_avg`` is w_avg estimated (4096 samples).
    """
    state, latent_avg = _g_ema_of(checkpoint, source)
    cfg = infer_generator_config(state)
    out = {k: v.detach().float().contiguous() for k, v in state.items()}
    if latent_avg is None:  # compute the mean of W like rosinality's mean_latent
        g = Generator(**cfg)
        g.load_state_dict({**out, "w_avg": torch.zeros(cfg["style_dim"])}, strict=True)
        latent_avg = g.mean_latent(4096)
    out["w_avg"] = latent_avg.detach().float().reshape(-1).contiguous()
    return out


#: ``hub.weights.WeightStore.convert`` passes the whole upstream checkpoint as ``source=`` to a
#: converter with this flag (the ``#g_ema`` selector alone would drop the top-level ``latent_avg``).
convert_rosinality.wants_source = True  # type: ignore[attr-defined]


def latent_avg_tensor(checkpoint: Any) -> torch.Tensor | None:
    """The ``latent_avg`` of a rosinality checkpoint (top level or inside ``g_ema``), or None."""
    if not isinstance(checkpoint, Mapping):
        return None
    t = checkpoint.get("latent_avg")
    if t is None and isinstance(checkpoint.get("g_ema"), Mapping):
        t = checkpoint["g_ema"].get("latent_avg")
    return t if isinstance(t, torch.Tensor) else None


def to_rosinality(state: Mapping[str, torch.Tensor]) -> dict[str, Any]:
    """Our Generator state dict -> ``{"g_ema": ..., "latent_avg": ...}`` (the inverse, for tests/export)."""
    g_ema = {k: v for k, v in state.items() if k != "w_avg"}
    return {"g_ema": g_ema, "latent_avg": state["w_avg"].clone()}


def _config_from_metadata(path: Path) -> dict | None:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    return json.loads(meta["config"]) if "config" in meta else None


def save_generator(g: Generator, path: str | Path, dtype: torch.dtype = torch.float32, extra: dict | None = None) -> None:
    """Write a generator as safetensors with its config in the metadata (atomic: the training kit's writer)."""
    from safetensors.torch import save_file

    from hub.training import atomic_write

    tensors = {k: v.detach().to(dtype if v.is_floating_point() else v.dtype).contiguous().cpu()
               for k, v in g.state_dict().items()}
    meta = {"config": json.dumps(g.config()), "format": "ganhub-stylegan2", **{k: str(v) for k, v in (extra or {}).items()}}
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=meta))


def load_generator(path: str | Path, device: str | torch.device = "cpu") -> Generator:
    """A Generator from our safetensors (config in the metadata, else inferred from the shapes)."""
    from safetensors.torch import load_file

    path = Path(path)
    if path.suffix != ".safetensors":
        raise ValueError(f"{path.name} is not a safetensors file; convert it first with `ganhub weights convert`")
    state = load_file(str(path))
    cfg = _config_from_metadata(path) or infer_generator_config(state)
    g = build_generator(cfg)
    if "w_avg" not in state:
        state["w_avg"] = torch.zeros(g.w_dim)
    g.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    return g.to(device).eval().requires_grad_(False)


def load_discriminator(path: str | Path, device: str | torch.device = "cpu") -> Discriminator:
    from safetensors.torch import load_file

    path = Path(path)
    cfg = _config_from_metadata(path)
    if cfg is None:
        raise ValueError(f"{path.name} has no discriminator config in its metadata")
    d = build_discriminator(cfg)
    d.load_state_dict({k: v.float() for k, v in load_file(str(path)).items()}, strict=True)
    return d.to(device).eval().requires_grad_(False)
