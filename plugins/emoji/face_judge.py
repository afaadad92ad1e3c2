"""A judge that can say "this is no face or person": a small binary CNN for the new user's path bar.

The attribute classifier has no such answer: every head is a softmax over face / person /
multi-person, trained on people only, so it reads a black disc as "person" (91 %) and magenta noise
as "face" (94 %), and its embedding puts them as close to real emoji as real emoji are to each
other. This judge learns the missing class from what the packages ship:

* yes: the people emoji of the train splits (Noto and Twemoji);
* no: the emoji of every other group (animals, food, travel, activities, objects, symbols, flags)
  from both fonts, split 80 / 20 by name, and generated junk of the kinds the issue saw after bad
  edits (discs, smears, colour noise, flat fields, blurred blends of an emoji with noise).

Blur and colour jitter are applied to both classes, so a generator's softness is no cue. Trained once
(seeded, about 20 s per epoch on one thread) and cached in ``$GANHUB_CACHE/face-judge``. It is an
evaluation tool (``benchmarks/new_user_path.py``), not a shipped model; ``python -m benchmarks.face_judge``
prints its figures on held-out real emoji, junk and the generator's own output.
"""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from hub.images import batch_to_tensor

PEOPLE_GROUPS = ("Smileys & Emotion", "People & Body", "Component")
EPOCHS = 6
SEED = 0
WIDTHS = (16, 32, 64, 96, 128)


def cache_dir() -> Path:
    from hub.weights.env import ganhub_cache_dir

    return ganhub_cache_dir() / "face-judge"


def _heldout(name: str) -> bool:
    return hashlib.sha256(name.encode()).digest()[0] < 52  # about 20 %


def other_emoji(resolution: int = 64) -> dict[str, np.ndarray]:
    """uint8 images of the non-people emoji of both fonts: {"train", "heldout"} (cached as .npy)."""
    cache_dir().mkdir(parents=True, exist_ok=True)
    files = {s: cache_dir() / f"other{resolution}-{s}.npy" for s in ("train", "heldout")}
    if all(f.exists() for f in files.values()):
        return {s: np.load(f) for s, f in files.items()}
    from plugins.emoji.dataset import parse_emoji_test, render_emoji
    from plugins.emoji.twemoji import image_name, package_tarball, render

    seen, out = set(), {"train": [], "heldout": []}
    records = [r for r in parse_emoji_test(all_groups=True) if r["group"] not in PEOPLE_GROUPS]
    with tarfile.open(package_tarball(), "r:gz") as tar:
        prefix = "package/img/twitter/64/"
        members = {m.name[len(prefix):]: m for m in tar.getmembers() if m.name.startswith(prefix)}
        for r in records:
            if r["name"] in seen:
                continue
            seen.add(r["name"])
            split = "heldout" if _heldout(r["name"]) else "train"
            try:
                out[split].append(np.asarray(render_emoji(r["codepoints"], resolution), dtype=np.uint8))
            except (ValueError, KeyError):
                pass
            name = next((n for n in image_name([f"{c:04X}" for c in r["codepoints"]]) if n in members), None)
            if name is not None:
                out[split].append(np.asarray(render(tar.extractfile(members[name]).read(), resolution), dtype=np.uint8))
    arrays = {s: np.stack(v) for s, v in out.items()}
    for s, a in arrays.items():
        np.save(files[s], a)
    return arrays


def people(split: str) -> np.ndarray:
    from plugins.emoji.dataset import load_emoji_arrays
    from plugins.emoji.twemoji import load_twemoji_arrays

    return np.concatenate([load_emoji_arrays(64, split)[0], load_twemoji_arrays(64, split)[0]])


def junk(n: int, generator: torch.Generator, emoji: torch.Tensor | None = None) -> torch.Tensor:
    """n images of the kinds a bad edit produces, in [-1, 1]."""
    out = []
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 64), torch.linspace(-1, 1, 64), indexing="ij")
    for _ in range(n):
        kind = int(torch.randint(6, (1,), generator=generator))
        colour = torch.rand(3, 1, 1, generator=generator) * 2 - 1
        if kind == 0:  # a disc or ellipse of one colour on white
            cy, cx, ry, rx = (torch.rand(4, generator=generator) * torch.tensor([1, 1, 0.6, 0.6]) + torch.tensor([-0.5, -0.5, 0.2, 0.2]))
            mask = (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1).float()
            img = torch.ones(3, 64, 64) * (1 - mask) + colour * mask
        elif kind == 1:  # colour noise around a hue
            img = colour + torch.randn(3, 64, 64, generator=generator) * float(torch.rand(1, generator=generator)) * 0.8
        elif kind == 2:  # a smooth smear: upsampled low-resolution noise
            low = torch.randn(1, 3, 4, 4, generator=generator) * 0.7 + colour[None]
            img = F.interpolate(low, size=64, mode="bicubic", align_corners=False)[0]
        elif kind == 3:  # a flat field
            img = colour.expand(3, 64, 64).clone()
        elif kind == 4 or emoji is None:  # full-range noise
            img = torch.rand(3, 64, 64, generator=generator) * 2 - 1
        else:  # an emoji drowned in noise or smeared beyond recognition
            e = emoji[int(torch.randint(len(emoji), (1,), generator=generator))]
            low = F.interpolate(e[None], size=int(torch.randint(3, 7, (1,), generator=generator)), mode="area")
            img = 0.5 * F.interpolate(low, size=64, mode="bicubic", align_corners=False)[0] + 0.5 * (
                torch.rand(3, 64, 64, generator=generator) * 2 - 1)
        out.append(img.clamp(-1, 1))
    return torch.stack(out)


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Flip, blur (sigma 0-1.2 px) and colour jitter, the same for both classes."""
    flip = torch.rand(len(x), generator=generator) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    sigma = float(torch.rand(1, generator=generator)) * 1.2
    if sigma > 0.2:
        k = torch.arange(-2, 3, dtype=torch.float32)
        w = torch.exp(-(k ** 2) / (2 * sigma ** 2))
        w = w / w.sum()
        x = F.conv2d(F.pad(x, (2, 2, 0, 0), mode="replicate"), w.view(1, 1, 1, 5).repeat(3, 1, 1, 1), groups=3)
        x = F.conv2d(F.pad(x, (0, 0, 2, 2), mode="replicate"), w.view(1, 1, 5, 1).repeat(3, 1, 1, 1), groups=3)
    gain = 1 + (torch.rand(len(x), 3, 1, 1, generator=generator) - 0.5) * 0.2
    return (x * gain).clamp(-1, 1)


def train(epochs: int = EPOCHS, seed: int = SEED, verbose: bool = True):
    from plugins.emoji.classifier import AttributeClassifier

    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    yes = batch_to_tensor(people("train"))
    no = batch_to_tensor(other_emoji()["train"])
    model = AttributeClassifier({"face_or_person": ["no", "yes"]}, widths=WIDTHS)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    n_junk = len(yes) // 3
    for epoch in range(epochs):
        x = torch.cat([yes, no, junk(n_junk, g, yes)])
        y = torch.cat([torch.ones(len(yes)), torch.zeros(len(no) + n_junk)]).long()
        order = torch.randperm(len(x), generator=g)
        model.train()
        total = 0.0
        for i in range(0, len(x), 64):
            idx = order[i : i + 64]
            loss = F.cross_entropy(model(augment(x[idx], g))["face_or_person"], y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if verbose:
            print(f"face judge epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}", flush=True)
    return model.eval()


def load_judge(retrain: bool = False):
    """The trained judge (from the cache, trained first if missing)."""
    from safetensors.torch import load_file, save_file

    from plugins.emoji.classifier import AttributeClassifier

    path = cache_dir() / f"judge-seed{SEED}-e{EPOCHS}.safetensors"
    if path.exists() and not retrain:
        model = AttributeClassifier({"face_or_person": ["no", "yes"]}, widths=WIDTHS)
        model.load_state_dict(load_file(path))
        return model.eval()
    model = train()
    cache_dir().mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    return model


@torch.no_grad()
def is_face_or_person(judge, x: torch.Tensor) -> torch.Tensor:
    """[N] bool: the judge reads the image as a face or person (no test-time flips)."""
    return torch.cat([judge.predict(x[i : i + 256], tta=False)["face_or_person"] == 1 for i in range(0, len(x), 256)])


def judge_figures(judge, generator=None, encoder=None) -> dict[str, tuple[int, float, bool]]:
    """{set: (n, share read as face or person, truth)} on held-out people and other emoji, fresh junk and,
    given a generator (and its encoder), its random samples at psi 0.7 (and reconstructions of held-out Noto)."""
    from hub.nn import inversion as inv
    from plugins.emoji.dataset import load_emoji_arrays

    g = torch.Generator().manual_seed(12345)
    held_people = batch_to_tensor(people("heldout"))
    sets = {
        "held-out people emoji (Noto + Twemoji)": (held_people, True),
        "held-out other emoji (both fonts)": (batch_to_tensor(other_emoji()["heldout"]), False),
        "fresh junk (another seed)": (junk(500, g, held_people), False),
    }
    if generator is not None:
        G = generator
        with torch.no_grad():
            if encoder is not None:
                noto_held = batch_to_tensor(load_emoji_arrays(64, "heldout")[0])
                sets["generator: encoder reconstructions of held-out Noto"] = (torch.cat([
                    G.synthesis(inv.encode(encoder, noto_held[i : i + 50], int(G.num_ws))).clamp(-1, 1)
                    for i in range(0, len(noto_held), 50)]), True)
            z = torch.randn(500, int(G.z_dim), generator=torch.Generator().manual_seed(0))
            sets["generator: random samples, psi 0.7"] = (
                G.synthesis(G.mapping(z, 0.7)[:, None].repeat(1, int(G.num_ws), 1)).clamp(-1, 1), True)
    return {name: (len(x), float(is_face_or_person(judge, x).float().mean()), truth)
            for name, (x, truth) in sets.items()}
