"""Attribute directions: compute them, save them as safetensors, load them.

Seed 000's attribute vector (its "z_long"):

    d_attr = 1/N1 sum_{x in attr} En(x)  -  1/N2 sum_{x not in attr} En(x)

computed in W+ ([num_ws, w_dim] per direction) from one of three latent sources, recorded in
the file's metadata ("source"):

* ``encoder``   -- En(x) of the labelled train split (the seed's formula, verbatim);
* ``inverted``  -- W+ of the train split found by the inversion engine (optimisation; slower);
* ``generated`` -- no encoder, no inversion: sample z -> w = mapping(z), label G(w) with the
  embedded attribute classifier, and take the same mean difference of the w's. (This is the
  InterFaceGAN-style route; the labels come from the classifier, not the dataset.)

Names: a binary attribute is named by itself ("smiling", "glasses"); a class of a multi-class
attribute is "attr:class" ("hair:red", "gender:woman", "skin_tone:dark"), contrasted against every
other image where that attribute is defined (label -1 = undefined is left out of both means).

``--contrast matched`` takes the same difference inside groups of images that agree on every other
label (``matched_mean_difference``), which removes confounds of the labelled set; measured against
the plain formula in plugins/stylegan2/weights/stylegan2-emoji64-directions.md (the shipped file uses the plain one).

File layout: tensors ``direction.<name>`` float32 [num_ws, w_dim] (the raw mean difference);
metadata ``format`` ("ganhub-directions"), ``model``, ``source``, ``counts`` (JSON {name: [n_with,
n_without]}), ``sigmas`` (JSON {name: sigma}: the standard deviation of the same latents' projection
on the unit direction, so a slider step of 1 is one sigma), ``num_ws``, ``w_dim``, ``command``.

Command (writes weights/<model>-directions.safetensors by default)::

    python -m plugins.attribute_vectors.directions --model stylegan2-emoji64 --source encoder
    python -m plugins.attribute_vectors.directions --model stylegan2-emoji64 --source generated --samples 8192
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import torch

from plugins.attribute_vectors.defaults import DIRECTIONS_FORMAT as FORMAT

WEIGHTS_DIR = Path(__file__).resolve().with_name("weights")  # this plugin's embedded weights
MIN_PER_SIDE = 4  # a direction needs at least this many images on each side


def direction_name(attr: str, cls: str, classes: Sequence[str]) -> str:
    return attr if list(classes) == ["no", "yes"] else f"{attr}:{cls}"


def targets(attributes: Mapping[str, Sequence[str]]) -> list[tuple[str, str, int]]:
    """(name, attribute, class index) of every direction we try to compute."""
    out = []
    for attr, classes in attributes.items():
        if list(classes) == ["no", "yes"]:
            out.append((attr, attr, 1))
            continue
        for k, cls in enumerate(classes):
            if cls in ("none", "unspecified"):  # "no hair colour named" is not a look
                continue
            out.append((direction_name(attr, cls, classes), attr, k))
    return out


def mean_difference(latents: torch.Tensor, labels: Mapping[str, np.ndarray],
                    attributes: Mapping[str, Sequence[str]], min_per_side: int = MIN_PER_SIDE,
                    ) -> tuple[dict[str, torch.Tensor], dict[str, list[int]]]:
    """Seed 000's formula for every (attribute, class): mean(latents | class) - mean(latents | other).

    latents [N, num_ws, w_dim] (or [N, w_dim]); labels: attr -> int array [N] (-1 = undefined).
    Returns ({name: direction}, {name: [n_with, n_without]}); classes with fewer than
    ``min_per_side`` images on a side are skipped.
    """
    lat = latents.float()
    dirs, counts = {}, {}
    for name, attr, k in targets(attributes):
        lab = np.asarray(labels[attr])
        pos = torch.from_numpy(lab == k)
        neg = torch.from_numpy((lab >= 0) & (lab != k))
        if int(pos.sum()) < min_per_side or int(neg.sum()) < min_per_side:
            continue
        dirs[name] = lat[pos].mean(0) - lat[neg].mean(0)
        counts[name] = [int(pos.sum()), int(neg.sum())]
    return dirs, counts


def matched_mean_difference(latents: torch.Tensor, labels: Mapping[str, np.ndarray],
                            attributes: Mapping[str, Sequence[str]], min_per_side: int = MIN_PER_SIDE,
                            ) -> tuple[dict[str, torch.Tensor], dict[str, list[int]]]:
    """Seed 000's mean difference taken within matched groups: images that agree on every OTHER label.

    The plain formula mixes in whatever else differs between the two sides: the 12 red-haired
    emoji are all single-person portraits, so ``mean(red) - mean(not red)`` also points from faces and
    couples towards portraits. Here each group (one combination of the other attributes' labels, e.g.
    "man, medium skin tone, no headwear, ...") that has images on both sides contributes its own
    difference ``mean(with) - mean(without)``, weighted by its number of "with" images. Attributes
    undefined for an image (-1) are part of the key like any other value.
    Returns ({name: direction}, {name: [n_with, n_without]}), counting only images in matched groups.
    """
    lat = latents.float()
    names = list(attributes)
    table = np.stack([np.asarray(labels[a]) for a in names], 1)  # [N, n_attributes]
    dirs, counts = {}, {}
    for name, attr, k in targets(attributes):
        col = names.index(attr)
        lab = table[:, col]
        others = np.delete(table, col, axis=1)
        groups: dict[bytes, list[int]] = {}
        for i in np.flatnonzero(lab >= 0):
            groups.setdefault(others[i].tobytes(), []).append(int(i))
        total = torch.zeros_like(lat[0])
        n_with = n_without = 0
        for idx in groups.values():
            idx = np.asarray(idx)
            pos, neg = idx[lab[idx] == k], idx[lab[idx] != k]
            if len(pos) and len(neg):
                total += len(pos) * (lat[pos].mean(0) - lat[neg].mean(0))
                n_with, n_without = n_with + len(pos), n_without + len(neg)
        if n_with < min_per_side or n_without < min_per_side:
            continue
        dirs[name] = total / n_with
        counts[name] = [n_with, n_without]
    return dirs, counts


def direction_sigmas(directions: Mapping[str, torch.Tensor], latents: torch.Tensor) -> dict[str, float]:
    """The standard deviation of the training codes' (``latents`` [N, num_ws, w_dim], the codes the
    directions were computed from) projection on each unit direction: the length a slider step of 1
    moves (``plugins.attribute_vectors.api.sigma_directions``)."""
    from hub.nn.directions import sigma_scaled

    return {k: round(v, 6) for k, v in sigma_scaled(directions, latents)[1].items()}


def save_directions(path: str | Path, directions: Mapping[str, torch.Tensor], *, model: str, source: str,
                    counts: Mapping[str, Sequence[int]] | None = None, **meta: Any) -> Path:
    from safetensors.torch import save_file

    from hub.training import atomic_write

    if not directions:
        raise ValueError("no directions to save")
    tensors = {f"direction.{k}": v.detach().float().cpu().contiguous() for k, v in directions.items()}
    first = next(iter(tensors.values()))
    info = {"format": FORMAT, "model": model, "source": source, "counts": json.dumps(dict(counts or {})),
            "num_ws": str(first.shape[0] if first.dim() == 2 else 1), "w_dim": str(first.shape[-1])}
    info.update({k: str(v) for k, v in meta.items()})
    return atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=info))


def load_directions(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """-> ({name: [num_ws, w_dim]}, metadata). Raises ValueError for a file of another kind."""
    from safetensors import safe_open

    path = Path(path if isinstance(path, (str, Path)) else getattr(path, "name", path))
    try:
        with safe_open(str(path), "pt") as f:
            meta = dict(f.metadata() or {})
            keys = [k for k in f.keys() if k.startswith("direction.")]
            dirs = {k[len("direction."):]: f.get_tensor(k).float() for k in keys}
    except Exception as exc:
        raise ValueError(f"{path.name} is not a readable safetensors directions file ({exc})") from None
    if meta.get("format") != FORMAT or not dirs:
        raise ValueError(f"{path.name} is not a GAN Hub directions file")
    return dirs, meta


# ---------------------------------------------------------------------------------- latent sources


@torch.no_grad()
def encoder_latents(encoder: Any, images: np.ndarray, num_ws: int, batch: int = 64) -> torch.Tensor:
    """En(x) for uint8 [N,H,W,3] images -> W+ [N, num_ws, w_dim]."""
    from hub.nn.inversion import encode

    device = next(encoder.parameters()).device if hasattr(encoder, "parameters") else torch.device("cpu")
    out = []
    for i in range(0, len(images), batch):
        x = torch.from_numpy(images[i : i + batch]).permute(0, 3, 1, 2).float().div(127.5).sub(1).to(device)
        out.append(encode(encoder, x, num_ws).cpu())
    return torch.cat(out)


def inverted_latents(G: Any, images: np.ndarray, steps: int = 200, batch: int = 32) -> torch.Tensor:
    """W+ of each image by optimisation (W+ only, MSE + perceptual), batched."""
    from hub.nn import inversion as inv

    device = inv.generator_device(G)
    out = []
    for i in range(0, len(images), batch):
        x = torch.from_numpy(images[i : i + batch]).permute(0, 3, 1, 2).float().div(127.5).sub(1).to(device)
        res = inv.invert(G, x, inv.reconstruction_config(w_steps=steps, noise_steps=0, yield_every=steps))
        out.append(res.ws.cpu())
    return torch.cat(out)


@torch.no_grad()
def generated_latents(G: Any, classifier: Any, samples: int = 4096, batch: int = 128, seed: int = 0,
                      psi: float = 1.0) -> tuple[torch.Tensor, dict[str, np.ndarray]]:
    """(W+ [N, num_ws, w_dim], classifier labels attr -> [N]) of ``samples`` random samples."""
    from hub.nn.inversion import generator_device

    device = generator_device(G)
    gen = torch.Generator().manual_seed(seed)
    ws_all, labels = [], {}
    for i in range(0, samples, batch):
        n = min(batch, samples - i)
        z = torch.randn(n, int(G.z_dim), generator=gen).to(device)
        w = G.mapping(z, psi)
        img = G.synthesis(w)
        img = img[0] if isinstance(img, tuple) else img
        pred = classifier.predict(img.clamp(-1, 1))
        for k, v in pred.items():
            labels.setdefault(k, []).append(v.cpu().numpy())
        ws_all.append(w[:, None].repeat(1, int(G.num_ws), 1).cpu())
    return torch.cat(ws_all), {k: np.concatenate(v) for k, v in labels.items()}


def dataset_labels(meta: Iterable[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    from plugins.emoji.dataset import ATTRIBUTES, label_vector

    rows = [label_vector(dict(m)) for m in meta]
    return {a: np.array([r[a] for r in rows], dtype=np.int64) for a in ATTRIBUTES}


# ---------------------------------------------------------------------------------- command


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m plugins.attribute_vectors.directions", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="stylegan2-emoji64")
    ap.add_argument("--source", choices=("encoder", "inverted", "generated"), default="encoder")
    ap.add_argument("--samples", type=int, default=8192, help="generated: number of random samples")
    ap.add_argument("--steps", type=int, default=200, help="inverted: W+ steps per image")
    ap.add_argument("--limit", type=int, default=0, help="encoder/inverted: use only the first N train images")
    ap.add_argument("--psi", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    ap.add_argument("--checkpoint", default=None,
                    help="use a StyleGAN2 training checkpoint ('latest' in the training cache, or a folder) instead of the "
                         "registered weights")
    ap.add_argument("--classifier", default=None, help="a classifier safetensors file instead of the registered one")
    ap.add_argument("--contrast", choices=("all", "matched"), default="all",
                    help="all: the mean-difference formula over the whole split; matched: within groups that agree on "
                         "every other label (matched_mean_difference)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    from hub.plugins import get_model
    from hub.plugins import get_hub

    spec = get_hub().models.spec(args.model)
    generator_desc = args.model
    if args.checkpoint:  # a training-kit checkpoint of the StyleGAN2 trainer: its EMA generator
        from hub.training import cache_dir, latest_checkpoint, load_checkpoint
        from plugins.stylegan2.model import build_generator

        ckpt = latest_checkpoint(cache_dir(args.model)) if args.checkpoint == "latest" else Path(args.checkpoint)
        if ckpt is None:
            raise SystemExit(f"no training checkpoint in {cache_dir(args.model)}")
        G = build_generator(json.loads((ckpt / "state.json").read_text())["g_config"])
        state = load_checkpoint(ckpt, {"G_ema": G})
        G = G.eval().requires_grad_(False)
        generator_desc = f"{args.model} training checkpoint {ckpt.name} (step {state.get('step', '?')})"
    else:
        G = get_model(args.model, device="cpu")
    t0 = time.time()
    if args.source == "generated":
        clf_name = spec.related.get("classifier")
        if args.classifier:
            from plugins.emoji.classifier import load_classifier

            classifier, clf_name = load_classifier(args.classifier).eval(), Path(args.classifier).name
        elif not clf_name:
            raise SystemExit(f"{args.model} names no classifier in ModelSpec.related")
        else:
            classifier = get_model(clf_name, device="cpu")
        latents, labels = generated_latents(G, classifier, args.samples, seed=args.seed, psi=args.psi)
        attributes = {k: list(v) for k, v in classifier.attributes.items()}
        n_desc = f"{args.samples} random samples (seed {args.seed}, psi {args.psi}) labelled by {clf_name}"
    else:
        from plugins.emoji.dataset import ATTRIBUTES, load_emoji_arrays

        images, meta = load_emoji_arrays(int(G.resolution), split="train")
        if args.limit:
            images, meta = images[: args.limit], meta[: args.limit]
        labels, attributes = dataset_labels(meta), ATTRIBUTES
        if args.source == "encoder":
            enc_name = spec.related.get("encoder")
            if not enc_name:
                raise SystemExit(f"{args.model} names no encoder in ModelSpec.related; use --source generated")
            latents = encoder_latents(get_model(enc_name, device="cpu"), images, int(G.num_ws))
            n_desc = f"En(x) of {len(images)} labelled train-split emoji ({enc_name})"
        else:
            latents = inverted_latents(G, images, args.steps)
            n_desc = f"W+ inversions ({args.steps} steps) of {len(images)} labelled train-split emoji"
    contrast = matched_mean_difference if args.contrast == "matched" else mean_difference
    dirs, counts = contrast(latents, labels, attributes)
    out = Path(args.out) if args.out else WEIGHTS_DIR / f"{args.model}-directions.safetensors"
    cmd = "python -m plugins.attribute_vectors.directions " + " ".join(argv if argv is not None else sys.argv[1:])
    sigmas = direction_sigmas(dirs, latents)
    save_directions(out, dirs, model=args.model, source=args.source, counts=counts, latents=n_desc, command=cmd,
                    generator=generator_desc, contrast=args.contrast, sigmas=json.dumps(sigmas))
    print(f"{len(dirs)} directions from {n_desc} in {time.time() - t0:.0f} s -> {out}")
    for k, (a, b) in counts.items():
        print(f"  {k:22s} with {a:5d}  without {b:5d}  |d| {float(dirs[k].norm()):.3f}  sigma {sigmas[k]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
