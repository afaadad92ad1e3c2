"""The Python API of image translation, usable without Gradio.

    from plugins.image_translation.api import translate, samples, edges, cycle
    emoji = translate("pix2pix-edges2emoji64", "sketch.png")                 # a line drawing -> an emoji
    lines, outputs = samples("pix2pix-edges2emoji64", "photo.png", n=4, source="edges")
    twemoji = translate("cyclegan-noto-twemoji64", noto_png, "AtoB")         # Noto -> Twemoji
    fake, reconstruction = cycle("cyclegan-noto-twemoji64", noto_png, "AtoB")

``model`` is a registered model name (loaded once through ``hub.get_model``) or the loaded module
(``Pix2PixModel`` or ``CycleGANModel``). Images are anything ``PIL.Image.open`` reads, PIL images or
uint8 arrays; results are PIL RGB images at the model's resolution.
"""

from __future__ import annotations

import threading
from typing import Any, Mapping, Sequence

import numpy as np
import torch
import torch.nn as nn

from plugins.image_translation import sketch
from plugins.image_translation.models import generator_from_state_dict, set_dropout_noise

__all__ = ["Pix2PixModel", "CycleGANModel", "translate", "samples", "cycle", "edges", "line_map", "load_model",
           "build_pix2pix", "build_cyclegan", "parse_direction", "looks_like_drawing", "flip_averaged"]

_NOISE_LOCK = threading.Lock()


class Pix2PixModel(nn.Module):
    """A Pix2Pix generator and how to feed it. ``source`` is what it was trained on: ``"lines"`` (a line
    map, black on white: ours, edges2shoes) or ``"image"`` (a picture as it is: facades' label maps)."""

    def __init__(self, generator: nn.Module, resolution: int, source: str = "lines", name: str = ""):
        super().__init__()
        self.generator = generator
        self.resolution = resolution
        self.source = source
        self.name = name
        self.in_channels = generator.config["in_channels"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.generator(x)


class CycleGANModel(nn.Module):
    """G: A -> B and, when known, F: B -> A, with the domains' names (``domains = ("noto", "twemoji")``)."""

    def __init__(self, G: nn.Module, F: nn.Module | None, resolution: int, domains: Sequence[str] = ("A", "B"),
                 name: str = ""):
        super().__init__()
        self.G = G
        self.F = F
        self.resolution = resolution
        self.domains = tuple(domains)
        self.name = name

    def directions(self) -> list[str]:
        a, b = self.domains
        return [f"{a}2{b}"] + ([f"{b}2{a}"] if self.F is not None else [])

    def generator(self, direction: str) -> nn.Module:
        forward = parse_direction(self, direction)
        net = self.G if forward else self.F
        if net is None:
            raise ValueError(f"{self.name or 'this model'} has no {self.domains[1]} -> {self.domains[0]} generator")
        return net


def _load_tensors(path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        meta = dict(f.metadata() or {})
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    return tensors, meta


def _float32(sd: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.float() if v.is_floating_point() else v for k, v in sd.items()}


def build_pix2pix(path, resolution: int | None = None, source: str = "lines", name: str = "") -> Pix2PixModel:
    """A ``Pix2PixModel`` from a safetensors file: ours (float16, ``config`` metadata) or a converted upstream one."""
    tensors, meta = _load_tensors(path)
    g = generator_from_state_dict(_float32(tensors), meta)
    res = resolution or int(meta.get("resolution", 2 ** g.config["num_downs"]))
    return Pix2PixModel(g, res, meta.get("source", source), name)


def build_cyclegan(paths: Sequence, resolution: int | None = None, domains: Sequence[str] = ("A", "B"),
                   name: str = "") -> CycleGANModel:
    """A ``CycleGANModel`` from one file holding ``G.*`` and ``F.*`` (ours), or from one or two single
    generators (converted upstream files: G, then optionally F)."""
    tensors, meta = _load_tensors(paths[0])
    if any(k.startswith("G.") for k in tensors):
        g_sd = {k[2:]: v for k, v in tensors.items() if k.startswith("G.")}
        f_sd = {k[2:]: v for k, v in tensors.items() if k.startswith("F.")}
        G = generator_from_state_dict(_float32(g_sd))
        F = generator_from_state_dict(_float32(f_sd)) if f_sd else None
    else:
        G = generator_from_state_dict(_float32(tensors))
        F = generator_from_state_dict(_float32(_load_tensors(paths[1])[0])) if len(paths) > 1 else None
    if "domains" in meta:
        domains = tuple(meta["domains"].split(","))
    return CycleGANModel(G, F, resolution or int(meta.get("resolution", 256)), domains, name)


def load_model(model: Any) -> nn.Module:
    if isinstance(model, str):
        from hub import get_model

        return get_model(model)
    return model


def parse_direction(model: CycleGANModel, direction: str) -> bool:
    """True for A -> B. Accepts "AtoB"/"BtoA", "a2b" with the model's domain names, "forward"/"backward"."""
    a, b = (d.lower() for d in model.domains)
    d = str(direction).strip().lower().replace(" ", "").replace("->", "2").replace("→", "2")
    if d in ("atob", "a2b", "forward", "g", f"{a}2{b}", f"{a}to{b}"):
        return True
    if d in ("btoa", "b2a", "backward", "f", f"{b}2{a}", f"{b}to{a}"):
        return False
    raise ValueError(f"direction must be AtoB, BtoA, {a}2{b} or {b}2{a}, not {direction!r}")


# ---------------------------------------------------------------------------------------------
# Pix2Pix

def edges(image: Any, resolution: int = 64):
    """The Canny line map of a picture, as the edges -> emoji model sees it (PIL "L", black lines on white)."""
    from PIL import Image

    return Image.fromarray(sketch.edges(image, resolution), "L")


def looks_like_drawing(image: Any) -> bool:
    """A line drawing: mostly near-white paper (or transparent), little colour."""
    rgb = sketch.as_rgb_array(image).astype(np.int16)
    paper = (rgb.min(axis=2) > 200).mean()
    colour = (rgb.max(axis=2) - rgb.min(axis=2) > 40).mean()
    return bool(paper > 0.6 and colour < 0.05)


def line_map(model: Any, image: Any, source: str = "auto") -> np.ndarray:
    """The uint8 line map (0 = ink) ``model`` is fed for ``image``: ``source`` "lines" (a drawing or sketch:
    cropped to its strokes, centred, thresholded), "edges" (Canny on a picture) or "auto" (a drawing if
    it looks like one). For a model trained on pictures (``source == "image"``) the picture itself."""
    m = load_model(model)
    res = m.resolution
    if getattr(m, "source", "lines") == "image":
        return sketch._resize(sketch._square(sketch.as_rgb_array(image)), res)
    if source == "auto":
        source = "lines" if looks_like_drawing(image) else "edges"
    if source == "lines":
        return sketch.sketch_lines(image, res)
    if source == "edges":
        return sketch.edges(image, res)
    raise ValueError(f'source must be "auto", "lines" or "edges", not {source!r}')


def _pix2pix_input(m: Pix2PixModel, lines: np.ndarray) -> torch.Tensor:
    if lines.ndim == 3:  # a picture (image-to-image models)
        x = torch.from_numpy(lines.astype(np.float32)).permute(2, 0, 1)[None] / 127.5 - 1
    else:
        x = sketch.to_input(lines)
        if m.in_channels == 3:
            x = x.expand(-1, 3, -1, -1)
    return x.to(next(m.parameters()).device)


def samples(model: Any, image: Any, n: int = 4, *, source: str = "auto", seed: int = 0, noise: bool = True,
            flip_average: bool = True):
    """``(line map PIL "L" or RGB, [n PIL RGB outputs])``: sample k uses dropout noise seeded ``seed + k``
    (the generator's only noise, kept on at test time as in the paper); ``noise=False`` gives the
    deterministic output (dropout off) n times. ``flip_average`` (default) averages each output with the
    mirrored output of the mirrored line map (the model was trained on flipped pairs too): it halves the
    GAN's pixel-level artefacts; ``False`` is the single forward pass."""
    from PIL import Image

    from hub.images import to_pil

    m = load_model(model)
    if not isinstance(m, Pix2PixModel):
        raise TypeError(f"{getattr(m, 'name', m)!r} is not a Pix2Pix model")
    lines = line_map(m, image, source)
    x = _pix2pix_input(m, lines)
    outs = []
    with _NOISE_LOCK, torch.no_grad(), torch.random.fork_rng(devices=[]):
        set_dropout_noise(m, noise)
        try:
            for k in range(n):
                torch.manual_seed(seed + k)
                outs.append(to_pil(flip_averaged(m, x) if flip_average else m(x)))
        finally:
            set_dropout_noise(m, False)
    shown = Image.fromarray(lines, "L" if lines.ndim == 2 else "RGB")
    return shown, outs


def translate(model: Any, image: Any, direction: str | None = None, **kw):
    """Pix2Pix: ``translate(model, image, source="auto", seed=0, noise=True, flip_average=True)`` -> the output.
    CycleGAN: ``translate(model, image, direction, flip_average=True)`` -> the image in the other domain."""
    m = load_model(model)
    if isinstance(m, Pix2PixModel):
        return samples(m, image, 1, **kw)[1][0]
    if isinstance(m, CycleGANModel):
        if direction is None:
            raise TypeError("a CycleGAN model needs a direction: AtoB or BtoA (or e.g. noto2twemoji)")
        return cycle(m, image, direction, reconstruct=False, **kw)[0]
    raise TypeError(f"{m!r} is neither a Pix2Pix nor a CycleGAN model")


def _cycle_input(m: CycleGANModel, image: Any) -> torch.Tensor:
    rgb = sketch._resize(sketch._square(sketch.as_rgb_array(image)), m.resolution)
    x = torch.from_numpy(rgb.astype(np.float32)).permute(2, 0, 1)[None] / 127.5 - 1
    return x.to(next(m.parameters()).device)


def flip_averaged(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``(net(x) + mirror(net(mirror(x)))) / 2``: the test-time average over the horizontal flip that
    every generator here was trained with; it halves pixel-level GAN artefacts."""
    return (net(x) + net(x.flip(-1)).flip(-1)) / 2


def cycle(model: Any, image: Any, direction: str = "AtoB", reconstruct: bool = True, flip_average: bool = True):
    """``(translation, reconstruction)`` (PIL RGB): G(x) and F(G(x)) for AtoB, F(y) and G(F(y)) for BtoA;
    the reconstruction is None when the model has only one generator or ``reconstruct`` is False.
    ``flip_average`` (default) runs each generator as ``flip_averaged``; ``False``: one forward pass each."""
    from hub.images import to_pil

    m = load_model(model)
    if not isinstance(m, CycleGANModel):
        raise TypeError(f"{getattr(m, 'name', m)!r} is not a CycleGAN model")
    forward = parse_direction(m, direction)
    there = m.generator("AtoB" if forward else "BtoA")
    back = (m.F if forward else m.G) if reconstruct else None
    x = _cycle_input(m, image)
    run = flip_averaged if flip_average else (lambda net, t: net(t))
    with torch.no_grad():
        y = run(there, x)
        rec = run(back, y) if back is not None else None
    return to_pil(y), (to_pil(rec) if rec is not None else None)
