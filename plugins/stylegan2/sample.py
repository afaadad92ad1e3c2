"""Sampling API behind the "Sample" tab: seeds -> images, truncation, style mixing by layer range.

Works with any ``LatentGenerator``. Style-mixing groups follow Karras et al. 2019 (Sec. 3.1) by the
resolution a latent steers: coarse 4-8 px, middle 16-32 px, fine 64 px and up (absolute, so they
mean the same at 64 and 1024 px; an empty group borrows the nearest latent).
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import torch

MAX_SEEDS = 64
GROUPS = ("coarse", "middle", "fine")


def parse_seeds(text: str | int | Sequence[int], limit: int = MAX_SEEDS) -> list[int]:
    """"3" / "0-7" / "1, 5, 9-11" -> list of seeds (at most ``limit``); ValueError with a plain sentence."""
    if isinstance(text, int):
        return [text]
    if not isinstance(text, str):
        return [int(s) for s in text][:limit]
    seeds: list[int] = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", part)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if b < a:
                raise ValueError(f"seed range {part!r} runs backwards")
            seeds.extend(range(a, min(b, a + limit) + 1))
        elif re.fullmatch(r"\d+", part):
            seeds.append(int(part))
        else:
            raise ValueError(f"{part!r} is not a seed: use whole numbers such as 0, 5 or 0-7")
    if not seeds:
        raise ValueError("give at least one seed, e.g. 0 or 0-7")
    if len(seeds) > limit:
        raise ValueError(f"at most {limit} seeds at once (got {len(seeds)})")
    return seeds


def ws_resolutions(G: Any) -> list[int]:
    """Resolution steered by each of the num_ws latents (layer i, then the final toRGB)."""
    res = list(G.layer_resolutions)
    return (res + [res[-1]] * G.num_ws)[:G.num_ws]


def mixing_groups(G: Any) -> dict[str, tuple[int, ...]]:
    res = ws_resolutions(G)
    n = len(res)
    groups = {"coarse": tuple(i for i, r in enumerate(res) if r <= 8),
              "middle": tuple(i for i, r in enumerate(res) if 16 <= r <= 32),
              "fine": tuple(i for i, r in enumerate(res) if r >= 64)}
    defaults = {"coarse": (0,), "middle": (n // 2,), "fine": (n - 1,)}
    return {k: v or defaults[k] for k, v in groups.items()}


def z_for_seed(G: Any, seed: int) -> torch.Tensor:
    return torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(int(seed)))


def _device(G: Any) -> torch.device:
    return G.w_avg.device


@torch.no_grad()
def sample(G: Any, seeds: Sequence[int], psi: float = 0.7, mix_seed: int | None = None,
           mix_group: str | Sequence[int] | None = None, batch: int = 16) -> torch.Tensor:
    """Images [N, 3, H, W] in [-1, 1] for ``seeds``; with ``mix_seed`` the latents of ``mix_group``
    (a group name or latent indices) come from that seed (style mixing)."""
    if not 0.0 <= float(psi) <= 2.0:
        raise ValueError(f"truncation psi must be between 0 and 2 (got {psi})")
    dev = _device(G)
    z = torch.cat([z_for_seed(G, s) for s in seeds]).to(dev)
    ws = G.mapping(z, truncation_psi=float(psi))
    ws = ws.unsqueeze(1).repeat(1, G.num_ws, 1)
    if mix_seed is not None and mix_group not in (None, "", "none"):
        layers = mixing_groups(G)[mix_group] if isinstance(mix_group, str) else tuple(mix_group)
        if isinstance(mix_group, str) and mix_group not in GROUPS:
            raise ValueError(f"mixing group must be one of {GROUPS}")
        w_mix = G.mapping(z_for_seed(G, mix_seed).to(dev), truncation_psi=float(psi))
        ws[:, list(layers)] = w_mix[:, None]
    return torch.cat([G.synthesis(ws[i:i + batch]).float().clamp(-1, 1) for i in range(0, len(ws), batch)])


def to_pils(images: torch.Tensor) -> list:
    """[N, 3, H, W] in [-1, 1] -> N PIL RGB images (``hub.images.to_pil``)."""
    from hub.images import to_pil

    return [to_pil(image) for image in images]


def grid(images: Sequence[Any], columns: int = 8):
    """PIL grid of equally sized PIL images (white gaps of 0 px)."""
    from PIL import Image

    w, h = images[0].size
    cols = min(columns, len(images))
    rows = -(-len(images) // cols)
    out = Image.new("RGB", (cols * w, rows * h), "white")
    for i, im in enumerate(images):
        out.paste(im, ((i % cols) * w, (i // cols) * h))
    return out
