"""Stage 1: captions for every training emoji, and the text encoder trained by the joint embedding.

Captions per image (all built from the dataset's own name-derived labels, never from pixels):
the natural caption ("woman with curly hair, dark skin tone"), the CLDR name ("woman: dark skin
tone, curly hair"), the keywords, and paraphrase templates that put the same attributes in other
words and orders ("curly-haired woman, dark skin", "a dark-skinned woman with curly hair") — these
teach the encoder that an attribute phrase means the same wherever it stands, which is what lets
an unseen combination of seen phrases compose.

The compositional hold-out (``plugins.emoji.dataset.compositional_holdout``) and the held-out split are
excluded here too: neither their images nor their captions are seen by the encoder.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

_HAIR_WITH = {"red": ["red hair", "ginger hair"], "curly": ["curly hair"], "white": ["white hair", "grey hair"],
              "blond": ["blond hair", "blonde hair"], "bald": ["a bald head", "no hair"]}
_HAIR_ADJ = {"red": ["red-haired", "redhead"], "curly": ["curly-haired"], "white": ["white-haired"],
             "blond": ["blond", "blond-haired"], "bald": ["bald"]}
_GENDER_NOUN = {"man": ["man", "male person"], "woman": ["woman", "female person"], "person": ["person", "human"]}


def _skin_phrases(tone_name: str) -> tuple[list[str], list[str]]:
    """("with ..." phrases, adjective phrases) for a skin tone; tone "none" is the yellow default."""
    if tone_name == "none":
        return ["yellow skin", "default skin tone"], ["yellow"]
    return [f"{tone_name} skin tone", f"{tone_name} skin"], [f"{tone_name}-skinned", f"{tone_name} skin tone"]


def is_portrait(meta: dict[str, Any]) -> bool:
    """A head-and-shoulders person emoji ("woman: curly hair", "man: beard, dark skin tone"...)."""
    return meta["kind"] == "person" and meta["name"].split(":")[0] in ("man", "woman", "person")


def paraphrases(meta: dict[str, Any]) -> list[str]:
    """Template captions naming gender, hair and skin tone in several words and orders."""
    gender = meta.get("gender")
    if meta.get("kind") != "person" or gender not in _GENDER_NOUN or meta.get("skin_tone", -1) < 0:
        return []
    hair = meta.get("hair", "none")
    skin_with, skin_adj = _skin_phrases(meta["skin_tone_name"])
    out = []
    extra = f" {meta['role'] or meta['activity']}" if (meta.get("role") or meta.get("activity")) else ""
    for g in _GENDER_NOUN[gender]:
        g_full = (extra.strip() if g == "person" else g + extra) if extra and g in ("man", "woman", "person") else g
        for s_w, s_a in zip(skin_with, skin_adj):
            if hair == "none":
                out += [f"a {g_full} with {s_w}", f"{s_a} {g_full}", f"{g_full}, {s_w}"]
                if meta.get("beard"):
                    out += [f"a {g} with a beard and {s_w}", f"bearded {g}, {s_w}"]
                continue
            for h_w, h_a in zip(_HAIR_WITH[hair], _HAIR_ADJ[hair]):
                out += [
                    f"a {g} with {h_w} and {s_w}",
                    f"{h_a} {g}, {s_w}",
                    f"{g}: {s_w}, {h_w}",
                    f"a {s_a} {g} with {h_w}",
                    f"{g} with {s_w} and {h_w}",
                    f"portrait of a {h_a} {g} with {s_w}",
                ]
    return sorted(set(out))


def captions_for(meta: dict[str, Any]) -> list[str]:
    """Every caption of one image: caption, name, keywords, paraphrases (deduplicated, stable order)."""
    caps = [meta["caption"], meta["name"], ", ".join(meta["keywords"])] + paraphrases(meta)
    seen, out = set(), []
    for c in caps:
        c = c.strip()
        if c and c not in seen:
            seen.add(c)
            out.append(c)
    return out


def training_set(resolution: int = 64) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Train split minus the compositional hold-out: (uint8 images, meta)."""
    from plugins.emoji.dataset import compositional_holdout, load_emoji_arrays

    images, meta = load_emoji_arrays(resolution, "train")
    keep = [i for i, m in enumerate(meta) if not compositional_holdout(m)]
    return images[keep], [meta[i] for i in keep]


def batch_indices(rng: random.Random, portraits: Sequence[int], n_total: int, batch: int, portrait_share: float):
    """Half portraits (the ~5% head-and-shoulders images, the only ones with a hair type), half uniform: makes
    the attributes the evaluation asks for frequent enough to learn (49 training images carry a hair type)."""
    k = int(round(batch * portrait_share)) if portraits else 0
    return [rng.choice(portraits) for _ in range(k)] + [rng.randrange(n_total) for _ in range(batch - k)]


def train_text_encoder(
    out_dir: Path,
    steps: int = 2500,
    batch: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    images: np.ndarray | None = None,
    meta: list[dict[str, Any]] | None = None,
    encoder_kwargs: dict | None = None,
    log=print,
) -> Path:
    """Train (or, if finished, reuse) the text encoder; returns the safetensors path in ``out_dir``."""
    import torch
    from safetensors.torch import save_file

    from hub.training import atomic_write
    from plugins.text_to_image.text_encoder import ImageEncoder, TextEncoder, symmetric_structured_hinge

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path, info_path = out_dir / "text_encoder.safetensors", out_dir / "text_encoder.json"
    if path.exists() and info_path.exists():
        return path
    if images is None or meta is None:
        images, meta = training_set()
    torch.manual_seed(seed)
    rng = random.Random(seed)
    text_enc = TextEncoder(**(encoder_kwargs or {}))
    img_enc = ImageEncoder(text_enc.embed_dim)
    opt = torch.optim.Adam(list(text_enc.parameters()) + list(img_enc.parameters()), lr=lr)
    pools = [captions_for(m) for m in meta]
    pool_sets = [set(p) for p in pools]
    portraits = [i for i, m in enumerate(meta) if is_portrait(m)]
    x_all = torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
    t0, cpu0 = time.time(), time.process_time()
    for step in range(steps):
        idx = batch_indices(rng, portraits, len(meta), batch, 0.5)
        caps = [rng.choice(pools[i]) for i in idx]
        # same[a, b]: caption b also describes image a (same emoji drawn twice, or a shared paraphrase
        # such as "a woman with dark skin tone"), so it is not a negative for that pair.
        same = torch.tensor([[idx[a] == idx[b] or caps[b] in pool_sets[idx[a]] for b in range(len(idx))]
                             for a in range(len(idx))])
        x = x_all[idx]
        x = torch.where(torch.rand(len(idx), 1, 1, 1) < 0.5, x.flip(-1), x)
        loss = symmetric_structured_hinge(img_enc(x), text_enc(caps), same)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            log(f"text step {step}/{steps} loss {loss.item():.4f} {(step + 1) / (time.time() - t0):.2f} it/s")
    recall = retrieval_recall(text_enc, img_enc, x_all, meta)
    tensors = {k: v.contiguous() for k, v in text_enc.state_dict().items()}
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata={"config": json.dumps(text_enc.config())}))
    info = {"steps": steps, "batch": batch, "lr": lr, "seed": seed, "final_loss": float(loss.item()),
            "cpu_seconds": time.process_time() - cpu0, "image_to_caption_recall@1": recall,
            "config": text_enc.config()}
    atomic_write(info_path, json.dumps(info, indent=1))  # written last: the pair marks stage 1 done
    log(f"text encoder done: {info}")
    return path


def retrieval_recall(text_enc, img_enc, x_all, meta) -> float:
    """Image -> caption recall@1 over portraits (each image's natural caption among all of them)."""
    import torch

    text_enc.eval(), img_enc.eval()
    idx = [i for i, m in enumerate(meta) if is_portrait(m)] or list(range(min(len(meta), 256)))
    with torch.no_grad():
        t = text_enc([meta[i]["caption"] for i in idx])
        v = img_enc(x_all[idx])
    hits = (v @ t.t()).argmax(1) == torch.arange(len(idx))
    text_enc.train(), img_enc.train()
    return float(hits.float().mean())
