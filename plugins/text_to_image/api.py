"""Python API of text-to-image (GAN-INT-CLS): generate, interpolate, restyle. No Gradio here.

    from hub import get_model
    from plugins.text_to_image.api import generate, interpolate, restyle
    model = get_model("text-to-image-emoji64")                                   # any TextToImage module
    images = generate("a woman with curly hair and dark skin tone", n=4, seed=0, model=model)  # 64x64 PIL RGB
    strip = interpolate("man with red hair, light skin tone", "bald man, dark skin tone", steps=8, model=model)
    new = restyle("a person with white hair and medium skin tone", "some_emoji.png", model=model)

Image i of ``generate(prompt, n, seed)`` uses seed ``seed + i``, so the same prompt and seed give the
same image whatever ``n`` is. ``truncation`` draws z from N(0, 1) truncated to [-t, t] (None: untruncated).
Every function takes the loaded model as the keyword ``model=`` (a ``TextToImageModel``, never a name).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import torch
import torch.nn as nn

from plugins.text_to_image.gan import Z_DIM, Generator, StyleEncoder, truncated_normal
from plugins.text_to_image.defaults import MAX_PROMPT_CHARS, MODEL_NAME
from plugins.text_to_image.text_encoder import TextEncoder

WEIGHT_ID = "text-to-image-emoji64"
INTERFACE = "TextToImage"
MAX_N = 64
MAX_STEPS = 64

__all__ = ["TextToImageModel", "build", "generate", "interpolate", "restyle", "sample_z", "to_pil_list",
           "strip_image", "gif_bytes", "MODEL_NAME"]


class TextToImageModel(nn.Module):
    """Text encoder φ, generator G and style encoder S together (the ``TextToImage`` interface).

    ``encode(prompts) -> [N, 256]``, ``G(z, emb) -> [N, 3, 64, 64]`` in [-1, 1], ``S(x) -> z``.
    """

    resolution = 64
    z_dim = Z_DIM

    def __init__(self, text_encoder: TextEncoder, G: Generator, S: StyleEncoder):
        super().__init__()
        self.text_encoder, self.G, self.S = text_encoder, G, S

    @classmethod
    def from_file(cls, path: str | Path) -> "TextToImageModel":
        from safetensors import safe_open
        from safetensors.torch import load_file

        with safe_open(str(path), "pt") as fh:
            cfg = json.loads(fh.metadata()["config"])
        sd = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(path)).items()}
        model = cls(TextEncoder(**cfg["text"]), Generator(**cfg["G"]), StyleEncoder(**cfg["S"]))
        for prefix, m in (("text.", model.text_encoder), ("G.", model.G), ("S.", model.S)):
            m.load_state_dict({k[len(prefix):]: v for k, v in sd.items() if k.startswith(prefix)}, strict=True)
        model.config = cfg
        return model.eval().requires_grad_(False)

    @property
    def device(self) -> torch.device:
        return next(self.G.parameters()).device

    def encode(self, prompts: Sequence[str]) -> torch.Tensor:
        return self.text_encoder(list(prompts))

    def forward(self, z: torch.Tensor, text_emb: torch.Tensor) -> torch.Tensor:
        return self.G(z, text_emb)


def build(paths: Mapping[str, Path]) -> TextToImageModel:
    """ModelSpec builder: one verified safetensors file holds φ, G and S."""
    return TextToImageModel.from_file(paths[WEIGHT_ID])


# ---- helpers ---------------------------------------------------------------------------------------

def _model(model: Any) -> TextToImageModel:
    if isinstance(model, str) or not hasattr(model, "encode"):
        raise TypeError(f"model must be a loaded TextToImage module, not {model!r}: resolve a name with "
                        "hub.get_model(name) (or ctx.get_model in a tab) first")
    return model


def _check_prompt(prompt: Any, what: str = "prompt") -> str:
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError(f"Please type a {what}: a few words describing an emoji, e.g. 'a woman with curly hair'.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(f"The {what} is {len(prompt)} characters long; please keep it under {MAX_PROMPT_CHARS}.")
    return prompt.strip()


def _check_truncation(truncation: float | None) -> float | None:
    if truncation is None:
        return None
    truncation = float(truncation)
    if not truncation > 0:
        raise ValueError("Truncation must be a positive number (e.g. 1.0), or None for no truncation.")
    return None if truncation >= 10 else truncation


def sample_z(n: int, seed: int, truncation: float | None = None) -> torch.Tensor:
    """z for seeds seed .. seed+n-1, one row each (row i depends only on seed + i)."""
    return torch.cat([truncated_normal((1, Z_DIM), truncation, torch.Generator().manual_seed(int(seed) + i))
                      for i in range(n)])


def to_pil_list(x: torch.Tensor) -> list:
    """[N, 3, H, W] in [-1, 1] -> N PIL RGB images."""
    from hub.images import to_pil

    return [to_pil(image) for image in x]


def strip_image(images: Sequence, scale: int = 1):
    """A horizontal strip of equally sized PIL images (nearest upscaled by ``scale``)."""
    from PIL import Image

    w, h = images[0].size
    out = Image.new("RGB", (w * len(images), h))
    for i, im in enumerate(images):
        out.paste(im, (i * w, 0))
    return out.resize((out.width * scale, out.height * scale), Image.Resampling.NEAREST) if scale > 1 else out


def gif_bytes(images: Sequence, scale: int = 4, duration_ms: int = 120, bounce: bool = True) -> bytes:
    """An animated GIF (there and back) of the frames, nearest-upscaled for viewing."""
    from PIL import Image

    frames = [im.resize((im.width * scale, im.height * scale), Image.Resampling.NEAREST) for im in images]
    if bounce and len(frames) > 2:
        frames = frames + frames[-2:0:-1]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=duration_ms, loop=0)
    return buf.getvalue()


# ---- the API ---------------------------------------------------------------------------------------

@torch.no_grad()
def generate_tensor(prompt: str, n: int = 4, seed: int = 0, truncation: float | None = None, *,
                    model: TextToImageModel) -> torch.Tensor:
    """[n, 3, 64, 64] in [-1, 1] for one prompt."""
    prompt = _check_prompt(prompt)
    if not 1 <= int(n) <= MAX_N:
        raise ValueError(f"n must be between 1 and {MAX_N}, not {n}.")
    m = _model(model)
    z = sample_z(int(n), seed, _check_truncation(truncation)).to(m.device)
    emb = m.encode([prompt]).expand(int(n), -1)
    return m.G(z, emb)


def generate(prompt: str, n: int = 4, seed: int = 0, truncation: float | None = None, *,
             model: TextToImageModel) -> list:
    """``n`` 64x64 PIL images for ``prompt``; image i uses seed ``seed + i``."""
    return to_pil_list(generate_tensor(prompt, n, seed, truncation, model=model))


@torch.no_grad()
def interpolate(prompt_a: str, prompt_b: str, steps: int = 8, seed: int = 0, truncation: float | None = None, *,
                model: TextToImageModel) -> list:
    """GAN-INT at sampling time: one z, text embedding (1 - a) φ(t_a) + a φ(t_b) for a in [0, 1]; ``steps`` frames."""
    prompt_a, prompt_b = _check_prompt(prompt_a, "first prompt"), _check_prompt(prompt_b, "second prompt")
    if not 2 <= int(steps) <= MAX_STEPS:
        raise ValueError(f"steps must be between 2 and {MAX_STEPS}, not {steps}.")
    m = _model(model)
    emb = m.encode([prompt_a, prompt_b])
    alpha = torch.linspace(0, 1, int(steps), device=emb.device)[:, None]
    mix = (1 - alpha) * emb[0:1] + alpha * emb[1:2]
    z = sample_z(1, seed, _check_truncation(truncation)).to(m.device).expand(int(steps), -1)
    return to_pil_list(m.G(z, mix))


@torch.no_grad()
def restyle(prompt: str, image: Any, *, model: TextToImageModel) -> Any:
    """Style from image: z = S(image), then G(z, φ(prompt)): the new caption in the image's pose/style."""
    from PIL import Image

    from hub.images import load_image, to_tensor

    prompt = _check_prompt(prompt)
    m = _model(model)
    img = load_image(image, what="style image").convert("RGB")
    if img.size != (64, 64):  # emoji are square: pad to a square on white, then resize
        side = max(img.size)
        canvas = Image.new("RGB", (side, side), (255, 255, 255))
        canvas.paste(img, ((side - img.width) // 2, (side - img.height) // 2))
        img = canvas.resize((64, 64), Image.Resampling.LANCZOS)
    z = m.S(to_tensor(img).to(m.device))
    return to_pil_list(m.G(z, m.encode([prompt])))[0]
