"""Label-free latent directions for any ``LatentGenerator``, and the sigma scale every slider uses.

* **SeFa** (Shen & Zhou 2021, "Closed-Form Factorization of Latent Semantics in GANs"): the style
  (modulation) affine A_l of each synthesis layer maps w to that layer's style; the directions that
  change the styles most are the top eigenvectors of A^T A, A the concatenation over the chosen W+
  rows of the affines with each output unit's weight vector normalised to unit length (the paper's
  column normalisation). Closed form, milliseconds, no sampling.
* **GANSpace** (Haerkoenen et al. 2020): PCA of W over sampled codes w = mapping(z) (the paper samples
  10^6 at 1024 px; we default to 20 000, which fixes the top components of our 256/512-d W to well
  under a degree), each component with the standard deviation of the codes along it; an edit moves
  the rows of a chosen W+ layer range (the paper's E(v_i, j-k)).

**Sigma scale.** A direction is a unit vector v in W with a sigma: the standard deviation of
sampled W codes' projection w . v (for GANSpace exactly its PCA standard deviation). A slider value
alpha moves each chosen row by alpha * sigma * v, so a step of 1 is one standard deviation and the
sliders span +-3 sigma (``SLIDER_SIGMAS``). ``sigma_scaled`` does the same for labelled W+ directions
([num_ws, w_dim], e.g. plugins/attribute_vectors' files): sigma is the standard deviation of the
training codes' projection on the unit direction.

**Cache.** Directions are computed live and kept on disk under ``$GANHUB_CACHE/directions/``, keyed
by the generator's tensor hash (``hub.nn.pti.generator_hash``) and every parameter, so a converted
FFHQ / cat / car model gets its sliders once, then instantly.

    from hub import get_model
    from hub.nn.directions import sefa_directions, ganspace_directions
    G = get_model("stylegan2-emoji64")
    d = sefa_directions(G, layers=(0, 1, 2, 3))      # Directions: .vectors [K, w_dim], .sigmas [K]
    ws2 = d.apply(ws, {0: 2.0, 3: -1.5})              # +2 sigma along SeFa 0, -1.5 sigma along SeFa 3
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch

__all__ = [
    "SLIDER_SIGMAS",
    "Directions",
    "style_weights",
    "sefa_directions",
    "ganspace_directions",
    "random_directions",
    "sampled_w",
    "projection_sigma",
    "sigma_scaled",
    "resolve_layers",
    "cache_dir",
]

#: sliders span +- this many standard deviations
SLIDER_SIGMAS = 3.0
FORMAT = "ganhub-labelfree-directions"
GANSPACE_SAMPLES = 20_000
SIGMA_SAMPLES = 10_000


@dataclass
class Directions:
    """K unit directions in W with their sigmas, applied to the W+ rows ``layers``."""

    method: str
    vectors: torch.Tensor  # [K, w_dim], unit rows
    sigmas: torch.Tensor  # [K]
    layers: tuple[int, ...]
    num_ws: int
    values: torch.Tensor | None = None  # SeFa eigenvalues / GANSpace variances, [K]
    mean: torch.Tensor | None = None  # GANSpace: the mean of the sampled W

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def names(self) -> list[str]:
        return [f"{self.method} {k}" for k in range(len(self))]

    def wplus(self, index: int) -> torch.Tensor:
        """Direction ``index`` as a W+ tensor [num_ws, w_dim]: sigma * v on ``layers``, 0 elsewhere;
        ``hub.nn.latents.apply_direction(ws, d, alpha)`` then moves alpha standard deviations."""
        d = torch.zeros(self.num_ws, self.vectors.shape[1], dtype=self.vectors.dtype)
        d[list(self.layers)] = self.vectors[index] * self.sigmas[index]
        return d

    def as_wplus(self) -> dict[str, torch.Tensor]:
        """{name: [num_ws, w_dim]} in the layout of plugins/attribute_vectors' direction files."""
        return {name: self.wplus(k) for k, name in enumerate(self.names)}

    def apply(self, ws: torch.Tensor, alphas: Mapping[int, float] | Sequence[float]) -> torch.Tensor:
        """ws [N, num_ws, w_dim] (or W [N, w_dim]) + sum_k alpha_k sigma_k v_k on ``layers``;
        alphas in standard deviations (by index, or a sequence over the first components)."""
        items = alphas.items() if isinstance(alphas, Mapping) else enumerate(alphas)
        if ws.dim() == 2:
            ws = ws[:, None].repeat(1, self.num_ws, 1)
        out = ws.clone()
        for k, a in items:
            if a:
                out = out + float(a) * self.wplus(int(k)).to(ws.device, ws.dtype)[None]
        return out

    def to(self, device: Any) -> "Directions":
        return Directions(self.method, self.vectors.to(device), self.sigmas.to(device), self.layers, self.num_ws,
                          None if self.values is None else self.values.to(device),
                          None if self.mean is None else self.mean.to(device))


# ----------------------------------------------------------------------------------------------
# layers and style weights


def resolve_layers(G: Any, layers: Any = None) -> tuple[int, ...]:
    """None / "all" -> every W+ row; "coarse" | "middle" | "fine" -> StyleGAN's groups
    (``hub.nn.inversion.layer_groups``); "a-b" -> rows a..b; a sequence of ints -> those rows."""
    n = int(G.num_ws)
    if layers is None or layers == "all":
        return tuple(range(n))
    if isinstance(layers, str):
        from hub.nn.inversion import layer_groups

        groups = layer_groups(G)
        if layers in groups:
            return tuple(groups[layers])
        m = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", layers)
        if not m:
            raise ValueError(f"layers must be all, coarse, middle, fine, 'a-b' or a list of rows, not {layers!r}")
        layers = range(int(m.group(1)), int(m.group(2)) + 1)
    rows = tuple(sorted({int(r) for r in layers}))
    if not rows or rows[0] < 0 or rows[-1] >= n:
        raise ValueError(f"W+ rows {rows} outside 0..{n - 1}")
    return rows


def _row_modules(G: Any) -> dict[int, list[str]]:
    """W+ row -> the names of the modulation weights that read it, for the rosinality layout
    (our ``plugins.stylegan2.model.Generator``): row i feeds conv layer i (``conv1`` for 0,
    ``convs.{i-1}`` after), odd rows also a toRGB (``to_rgb1`` for 1, ``to_rgbs.{(i-3)//2}``)."""
    names = dict(G.named_parameters())
    rows: dict[int, list[str]] = {}
    for r in range(int(G.num_ws)):
        mods = []
        conv = "conv1.conv.modulation.weight" if r == 0 else f"convs.{r - 1}.conv.modulation.weight"
        if conv in names:
            mods.append(conv)
        if r % 2 == 1:
            rgb = "to_rgb1.conv.modulation.weight" if r == 1 else f"to_rgbs.{(r - 3) // 2}.conv.modulation.weight"
            if rgb in names:
                mods.append(rgb)
        rows[r] = mods
    return rows


def style_weights(G: Any, layers: Sequence[int]) -> torch.Tensor:
    """The style affines that read the W+ rows ``layers``, as one [out_total, w_dim] matrix.

    A generator may provide ``G.style_weights(rows)`` itself; otherwise the rosinality layout's
    ``*.conv.modulation.weight`` tensors are used (equalised-lr scale factors do not matter: SeFa
    normalises each output unit's weight vector)."""
    if hasattr(G, "style_weights") and callable(G.style_weights):
        return torch.as_tensor(G.style_weights(list(layers))).float()
    params = dict(G.named_parameters())
    rows = _row_modules(G)
    mats = [params[name].detach().float() for r in layers for name in rows.get(r, [])]
    if not mats:
        raise ValueError("this generator exposes no style (modulation) weights for SeFa; give it style_weights(rows)")
    return torch.cat(mats, 0)


# ----------------------------------------------------------------------------------------------
# sampling and sigmas


@torch.no_grad()
def sampled_w(G: Any, n: int = SIGMA_SAMPLES, seed: int = 0, batch: int = 2048) -> torch.Tensor:
    """n codes w = mapping(z), z ~ N(0, I) seeded, on the CPU [n, w_dim]."""
    from hub.nn.inversion import generator_device

    device = generator_device(G)
    gen = torch.Generator().manual_seed(int(seed))
    out = []
    for start in range(0, n, batch):
        z = torch.randn(min(batch, n - start), int(G.z_dim), generator=gen).to(device)
        out.append(G.mapping(z).float().cpu())
    return torch.cat(out)


def projection_sigma(codes: torch.Tensor, vectors: torch.Tensor) -> torch.Tensor:
    """Standard deviation of the codes' projections on each unit vector: codes [N, D], vectors [K, D] -> [K]."""
    v = vectors.float() / vectors.float().norm(dim=1, keepdim=True).clamp_min(1e-12)
    return (codes.float() @ v.T).std(dim=0)


def sigma_scaled(directions: Mapping[str, torch.Tensor], codes: torch.Tensor,
                 ) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
    """Labelled W+ directions ({name: [num_ws, w_dim]}) rescaled so that alpha = 1 is one standard
    deviation of the training ``codes``' ([N, num_ws, w_dim]) projection on each; returns (scaled, sigmas)."""
    flat = codes.reshape(codes.shape[0], -1).float()
    scaled, sigmas = {}, {}
    for name, d in directions.items():
        unit = d.float().reshape(1, -1)
        unit = unit / unit.norm().clamp_min(1e-12)
        s = float(projection_sigma(flat, unit)[0])
        scaled[name] = (unit * s).reshape(d.shape)
        sigmas[name] = s
    return scaled, sigmas


# ----------------------------------------------------------------------------------------------
# the cache


def cache_dir() -> Path:
    from hub.weights.env import ganhub_cache_dir

    return ganhub_cache_dir() / "directions"


def _cache_path(G: Any, method: str, params: Mapping[str, Any]) -> Path:
    from hub.nn.pti import generator_hash

    key = hashlib.sha256(json.dumps({"method": method, **params}, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir() / f"{generator_hash(G)[:24]}-{method}-{key}.safetensors"


def _load_cached(path: Path, method: str, layers: tuple[int, ...], num_ws: int) -> Directions | None:
    if not path.is_file():
        return None
    try:
        from safetensors.torch import load_file

        t = load_file(str(path))
        return Directions(method, t["vectors"], t["sigmas"], layers, num_ws, t.get("values"), t.get("mean"))
    except Exception:  # a broken cache file is recomputed, never trusted
        return None


def _store(path: Path, d: Directions, params: Mapping[str, Any]) -> None:
    from safetensors.torch import save_file

    tensors = {"vectors": d.vectors.contiguous(), "sigmas": d.sigmas.contiguous()}
    if d.values is not None:
        tensors["values"] = d.values.contiguous()
    if d.mean is not None:
        tensors["mean"] = d.mean.contiguous()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        save_file(tensors, str(tmp), metadata={"format": FORMAT, "method": d.method,
                                               "params": json.dumps(dict(params), sort_keys=True)})
        tmp.replace(path)
    except OSError:  # a read-only cache only costs the recomputation
        pass


# ----------------------------------------------------------------------------------------------
# the methods


def sefa_directions(G: Any, layers: Any = None, n: int = 10, *, sigma_samples: int = SIGMA_SAMPLES,
                    seed: int = 0, cache: bool = True) -> Directions:
    """SeFa's top ``n`` directions for the W+ rows ``layers`` (see ``resolve_layers``), each with the
    standard deviation of ``sigma_samples`` sampled W codes' projection on it."""
    rows = resolve_layers(G, layers)
    params = {"layers": list(rows), "n": int(n), "sigma_samples": int(sigma_samples), "seed": int(seed)}
    path = _cache_path(G, "sefa", params)
    if cache and (hit := _load_cached(path, "sefa", rows, int(G.num_ws))) is not None:
        return hit
    A = style_weights(G, rows).cpu().double()  # [out_total, w_dim]
    A = A / A.norm(dim=1, keepdim=True).clamp_min(1e-12)  # each output unit's weight vector: unit length
    values, vectors = torch.linalg.eigh(A.T @ A)  # ascending
    order = torch.argsort(values, descending=True)[: int(n)]
    vecs = vectors[:, order].T.float().contiguous()  # [n, w_dim]
    # an eigenvector's sign is arbitrary: point each towards increasing projection of the mean code
    codes = sampled_w(G, sigma_samples, seed)
    sign = torch.sign((codes.mean(0) @ vecs.T)).clamp_min(0) * 2 - 1
    vecs = vecs * sign[:, None]
    d = Directions("sefa", vecs, projection_sigma(codes, vecs), rows, int(G.num_ws), values[order].float())
    if cache:
        _store(path, d, params)
    return d


def ganspace_directions(G: Any, n: int = 10, layers: Any = None, *, samples: int = GANSPACE_SAMPLES,
                        seed: int = 0, cache: bool = True) -> Directions:
    """GANSpace: the top ``n`` principal components of ``samples`` sampled W codes, with their standard
    deviations, applied to the W+ rows ``layers``."""
    rows = resolve_layers(G, layers)
    params = {"n": int(n), "samples": int(samples), "seed": int(seed)}  # rows do not change the PCA
    path = _cache_path(G, "ganspace", params)
    if cache and (hit := _load_cached(path, "ganspace", rows, int(G.num_ws))) is not None:
        return hit
    codes = sampled_w(G, samples, seed).double()
    mean = codes.mean(0)
    _, s, vh = torch.linalg.svd(codes - mean, full_matrices=False)
    k = min(int(n), vh.shape[0])
    vecs = vh[:k].float().contiguous()
    stds = (s[:k] / max(1, codes.shape[0] - 1) ** 0.5).float()
    d = Directions("ganspace", vecs, stds, rows, int(G.num_ws), stds ** 2, mean.float())
    if cache:
        _store(path, d, params)
    return d


def random_directions(G: Any, n: int = 5, layers: Any = None, *, seed: int = 0,
                      sigma_samples: int = SIGMA_SAMPLES) -> Directions:
    """Seeded random unit directions in W with their sampled-W sigmas: the control for SeFa / GANSpace."""
    rows = resolve_layers(G, layers)
    gen = torch.Generator().manual_seed(int(seed) + 7919)
    vecs = torch.randn(int(n), int(G.w_dim), generator=gen)
    vecs = vecs / vecs.norm(dim=1, keepdim=True)
    codes = sampled_w(G, sigma_samples, seed)
    return Directions("random", vecs, projection_sigma(codes, vecs), rows, int(G.num_ws))
